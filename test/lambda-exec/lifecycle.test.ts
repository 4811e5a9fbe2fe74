// Runtimes never outlive Nimbus, even when it is killed with SIGKILL and cannot clean up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('runtime processes exit when Nimbus is killed with SIGKILL', async () => {
  const host = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'engine-host.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      host.stdout!.on('data', (c) => {
        out += c;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]));
      });
      host.once('exit', (code) => reject(new Error(`host exited ${code}`)));
    });
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive));
    host.kill('SIGKILL');
    for (let i = 0; i < 60 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(pids.filter(alive), [], 'no runtime outlived its host');
  } finally {
    host.kill('SIGKILL');
  }
});
