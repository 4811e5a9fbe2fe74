// The command users run: banner, Ready line, flags, health, graceful shutdown on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function startMain(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Ready.')) resolve(out);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before Ready: ${out}`)));
  });
  return { child, ready };
}

test('nimbus prints its banner and Ready, serves health, and exits 0 on SIGTERM with state kept', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-main-'));
  const { child, ready } = startMain(['--port', '0', '--log-level', 'warn'], { NIMBUS_DATA_DIR: dataDir });
  const banner = await ready;
  const endpoint = /endpoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
  assert.ok(endpoint, banner);
  assert.match(banner, new RegExp(`state\\s+${dataDir.replace(/[/.]/g, '\\$&')} \\(persistent\\)`));
  assert.match(banner, /aws --endpoint-url http:\/\/127\.0\.0\.1:\d+ sts get-caller-identity/);
  const health = await (await fetch(`${endpoint}/_nimbus/health`)).json();
  assert.equal(health.edition, 'nimbus');
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.ok(fs.existsSync(path.join(dataDir, 'nimbus.sqlite')));
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a bad flag is refused with a clear message', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--prot', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 2);
  assert.match(err, /unknown option --prot/);
});
