import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { BlobStore } from '../../src/store/blobs.js';
import { SystemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/log.js';
import { LambdaEngine } from '../../src/lambda/engine.js';
import { snapshot } from './helpers.js';

test('smoke', async () => {
  const blobs = new BlobStore();
  const engine = new LambdaEngine({ clock: new SystemClock(), log: createLogger('silent'), endpoint: () => 'http://127.0.0.1:1', idleSeconds: 60 });
  try {
    const fn = snapshot(blobs, { 'index.mjs': 'console.log("init"); export const handler = async (e, c) => { console.log("hi", e); return { e, fn: c.functionName, rem: c.getRemainingTimeInMillis() }; };' });
    let t = performance.now();
    const r = await engine.invoke({ fn, payload: Buffer.from('{"a":1}'), invokedFunctionArn: fn.functionArn, requestId: crypto.randomUUID() });
    console.log(performance.now() - t, r.payload.toString(), r.log);
    t = performance.now();
    const r2 = await engine.invoke({ fn, payload: Buffer.from('{"a":2}'), invokedFunctionArn: fn.functionArn, requestId: crypto.randomUUID() });
    console.log(performance.now() - t, r2.payload.toString(), r2.log);
    assert.equal(JSON.parse(r2.payload.toString()).e.a, 2);
  } finally {
    await engine.close();
    blobs.close();
  }
});
