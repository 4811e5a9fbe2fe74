// The durable async queue alone: volume (none lost, none run twice), restart recovery,
// throttle back-off on the injected clock, event age.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock, SystemClock } from '../../src/core/clock.js';
import { openDatabase } from '../../src/store/db.js';
import { AsyncQueue, type AsyncEvent, type RunResult } from '../../src/services/lambda/async.js';
import { fakeDeps } from './fake-deps.js';

const scope = { accountId: '000000000000', region: 'us-east-1' };
const ok = (ev: AsyncEvent): RunResult => ({ kind: 'done', payload: Buffer.from('null'), executedVersion: '$LATEST', functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${ev.function_name}` });

test('10,000 queued events drain with none lost and none run twice', async () => {
  const { deps, blobs } = fakeDeps(new SystemClock());
  const seen = new Map<string, number>();
  const q = new AsyncQueue({
    deps,
    maxConcurrent: 16,
    maxPerFunction: 8,
    run: async (ev) => {
      seen.set(ev.request_id, (seen.get(ev.request_id) ?? 0) + 1);
      if (Math.random() < 0.5) await new Promise((r) => setImmediate(r));
      return ok(ev);
    },
    settingsOf: async () => undefined,
  });
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) q.enqueue(scope, { requestId: `r${i}`, functionName: `f${i % 7}`, payload: Buffer.from(`{"i":${i}}`) });
  const enqueueMs = performance.now() - t0;
  for (let i = 0; i < 200 && q.size() > 0; i++) await q.idle();
  assert.equal(q.size(), 0);
  assert.equal(seen.size, 10_000);
  assert.ok([...seen.values()].every((n) => n === 1), 'every event ran exactly once');
  assert.ok(enqueueMs < 5000, `enqueue took ${enqueueMs} ms`);
  q.close();
  blobs.close();
});

test('events accepted before a restart run after it, including those that were running', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-async-'));
  try {
    const clock = new SystemClock();
    let db = openDatabase(dir);
    let { deps, blobs } = fakeDeps(clock, db);
    let started = 0;
    const q1 = new AsyncQueue({ deps, maxConcurrent: 2, run: () => (started++, new Promise<RunResult>(() => {})), settingsOf: async () => undefined });
    for (let i = 0; i < 5; i++) q1.enqueue(scope, { requestId: `k${i}`, functionName: 'f', payload: Buffer.from('{}') });
    // the second starts once the first has waited past the scale-out delay
    for (let i = 0; i < 100 && started < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(started, 2, 'two were running when Nimbus stopped');
    q1.close();
    db.close();
    blobs.close();

    db = openDatabase(dir);
    ({ deps, blobs } = fakeDeps(clock, db));
    const ran: string[] = [];
    const q2 = new AsyncQueue({ deps, run: async (ev) => (ran.push(ev.request_id), ok(ev)), settingsOf: async () => undefined });
    await q2.idle();
    for (let i = 0; i < 50 && ran.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(ran.sort(), ['k0', 'k1', 'k2', 'k3', 'k4']);
    assert.equal(q2.size(), 0);
    q2.close();
    db.close();
    blobs.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('throttled events back off on the clock and give up at MaximumEventAgeInSeconds', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const { deps, blobs, waitForCall } = fakeDeps(clock);
  const times: number[] = [];
  const q = new AsyncQueue({
    deps,
    run: async () => (times.push(clock.now()), { kind: 'throttled' }),
    settingsOf: async () => ({ functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', config: { MaximumEventAgeInSeconds: 60, DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:fail' } } } }),
  });
  q.enqueue(scope, { requestId: 't1', functionName: 'f', payload: Buffer.from('{"a":1}') });
  await q.idle();
  for (let i = 0; i < 70 * 4; i++) {
    await clock.advance(250);
    await q.idle();
  }
  const start = times[0];
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  const expected = [1000, 2000, 4000, 8000, 16000];
  expected.forEach((e, i) => assert.ok(gaps[i] >= e && gaps[i] <= e + 250, `gap ${i}: ${gaps[i]} (expected ${e})`));
  const sent = await waitForCall((c) => c.operation === 'SendMessage');
  const record = JSON.parse(sent.input.MessageBody);
  assert.equal(record.requestContext.condition, 'EventAgeExceeded');
  assert.equal(record.responseContext.statusCode, 429);
  assert.ok(times.at(-1)! - start <= 60_000);
  assert.equal(q.size(), 0);
  q.close();
  blobs.close();
});
