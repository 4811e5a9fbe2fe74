// Environment lifetime on the injected clock: idle expiry, provisioned concurrency, retirement
// of in-flight environments after an update, and close() leaving no process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/log.js';
import { BlobStore } from '../../src/store/blobs.js';
import { LambdaEngine } from '../../src/lambda/engine.js';
import type { FunctionSnapshot } from '../../src/lambda/types.js';
import { alive, snapshot } from './helpers.js';

function setup() {
  const clock = new ManualClock(Date.now());
  const blobs = new BlobStore();
  const pids: number[] = [];
  const engine = new LambdaEngine({ clock, log: createLogger('silent'), endpoint: () => 'http://127.0.0.1:1', idleSeconds: 30, nodeSpares: 0 });
  const invoke = (fn: FunctionSnapshot, e: unknown = {}) => engine.invoke({ fn, payload: Buffer.from(JSON.stringify(e)), invokedFunctionArn: fn.functionArn, requestId: crypto.randomUUID() });
  return { clock, blobs, engine, invoke, pids };
}

test('an idle environment is stopped after lambdaIdleSeconds; the next invocation is cold', async () => {
  const { clock, blobs, engine, invoke } = setup();
  try {
    const fn = snapshot(blobs, { 'index.mjs': 'export const handler = async () => process.pid;' });
    const first = await invoke(fn);
    const pid = Number(first.payload.toString());
    await clock.advance(29_000);
    const warm = await invoke(fn);
    assert.equal(Number(warm.payload.toString()), pid, 'still warm at 29 s');
    await clock.advance(30_000);
    assert.equal(engine.environments(fn.functionArn, '$LATEST').length, 0);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(alive(pid), false, 'the runtime process is gone');
    const cold = await invoke(fn);
    assert.notEqual(Number(cold.payload.toString()), pid);
    assert.ok(cold.initDurationMs !== undefined);
  } finally {
    await engine.close();
    blobs.close();
  }
});

test('provisioned concurrency pre-starts environments that init once and never idle out', async () => {
  const { clock, blobs, engine, invoke } = setup();
  try {
    const fn = snapshot(blobs, { 'index.mjs': 'const type = process.env.AWS_LAMBDA_INITIALIZATION_TYPE; export const handler = async () => ({ type, pid: process.pid });' }, { version: '1' });
    await engine.provision(fn, 2);
    assert.deepEqual(engine.environments(fn.functionArn, '1').map((e) => e.state), ['ready', 'ready']);
    const r = await invoke(fn);
    assert.equal(JSON.parse(r.payload.toString()).type, 'provisioned-concurrency');
    assert.equal(r.initDurationMs, undefined, 'no cold start');
    await clock.advance(3600_000);
    assert.equal(engine.environments(fn.functionArn, '1').length, 2);
    await engine.provision(fn, 0);
    await clock.advance(30_000);
    assert.equal(engine.environments(fn.functionArn, '1').length, 0, 'deprovisioned environments idle out');
  } finally {
    await engine.close();
    blobs.close();
  }
});

test('an update retires a busy environment only after its invocation finishes; close() kills everything', async () => {
  const { blobs, engine, invoke } = setup();
  const fn = snapshot(blobs, { 'index.mjs': 'export const handler = async (e) => { if (e.wait) await new Promise(r => setTimeout(r, 300)); return process.pid; };' });
  const busy = invoke(fn, { wait: true });
  await new Promise((r) => setTimeout(r, 100));
  const updated = { ...fn, revisionId: crypto.randomUUID() };
  const fresh = await invoke(updated);
  const old = await busy;
  assert.notEqual(old.payload.toString(), fresh.payload.toString());
  assert.equal(old.functionError, undefined, 'the in-flight invocation completed');
  const oldPid = Number(old.payload.toString());
  for (let i = 0; i < 50 && alive(oldPid); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(alive(oldPid), false, 'the retired environment stopped');
  const freshPid = Number(fresh.payload.toString());
  assert.ok(alive(freshPid));
  await engine.close();
  for (let i = 0; i < 50 && alive(freshPid); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(alive(freshPid), false, 'close() killed the runtime');
  blobs.close();
});

test('a hung init ends as a timed-out invocation; a runtime version mismatch is logged once', async () => {
  const { clock, blobs, engine, invoke } = setup();
  try {
    const hung = snapshot(blobs, { 'index.mjs': 'await new Promise(() => setInterval(() => {}, 1000)); export const handler = async () => 1;' }, { timeout: 2 });
    const pending = invoke(hung);
    await new Promise((r) => setTimeout(r, 200));
    await clock.advance(11_000);
    assert.equal(engine.environments(hung.functionArn, '$LATEST').length, 1, 'still within 10 s + timeout');
    await clock.advance(1_000);
    const out = await pending;
    assert.equal(out.functionError, 'Unhandled');
    assert.match(JSON.parse(out.payload.toString()).errorMessage, /Task timed out after 2\.00 seconds$/);
    assert.equal(engine.environments(hung.functionArn, '$LATEST').length, 0);

    const old = snapshot(blobs, { 'index.mjs': 'export const handler = async () => 1;' }, { runtime: 'nodejs18.x' });
    const first = await invoke(old);
    if (!process.versions.node.startsWith('18.')) assert.match(first.log, /Nimbus: function runtime nodejs18\.x runs on the local Node\.js \d+\./);
    assert.equal(first.payload.toString(), '1');
    await engine.close();
    const again = await invoke({ ...old }).catch(() => undefined);
    assert.equal(again, undefined, 'a closed engine runs nothing');
  } finally {
    await engine.close();
    blobs.close();
  }
});
