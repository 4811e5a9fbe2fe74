import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, summarize } from '../../bench/harness/stats.js';
import { compareLoad, interleavedSamples, runRound } from '../../bench/harness/measure.js';
import { startSink } from '../../bench/harness/sink.js';
import { describeError, latencyRow, throughputRow } from '../../bench/harness/types.js';
import { formatTable, summaryLine } from '../../bench/harness/report.js';
import { scenarios, selectScenarios } from '../../bench/scenarios/index.js';
import { parseArgs } from '../../bench/bench.js';

test('percentiles use the nearest rank', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(xs, 50), 50);
  assert.equal(percentile(xs, 99), 99);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  const s = summarize([3, 1, 2], 1000);
  assert.equal(s.p50, 2);
  assert.equal(s.opsPerSec, 3);
});

test('a round stops at its call budget and at its time budget', async () => {
  let calls = 0;
  const counted = await runRound(async () => void calls++, 4, 10, 10_000);
  assert.equal(counted.samples.length, 10);
  assert.equal(calls, 10);
  const timed = await runRound(() => new Promise((r) => setTimeout(r, 20)), 2, 1_000_000, 100);
  assert.ok(timed.samples.length >= 2 && timed.samples.length <= 20, `got ${timed.samples.length}`);
});

test('compareLoad alternates targets and an error from Nimbus ends the measurement', async () => {
  const seen: string[] = [];
  const cmp = await compareLoad(
    async () => void seen.push('n'),
    async () => void seen.push('c'),
    { concurrency: 1, count: 2, maxMs: 1000, rounds: 2, warmup: 1 },
  );
  assert.deepEqual(seen.join(''), 'cn' + 'ccnn' + 'nncc');
  assert.equal(cmp.nimbus.n, 4);
  await assert.rejects(
    compareLoad(
      async () => {
        throw new Error('NotImplemented');
      },
      async () => undefined,
      { concurrency: 1, count: 2, maxMs: 1000 },
    ),
    /NotImplemented/,
  );
});

test('rows judge ratios against their goals', () => {
  const cmp = { nimbus: { n: 1, p50: 2, p99: 3, opsPerSec: 50 }, ceiling: { n: 1, p50: 1, p99: 1, opsPerSec: 100 } };
  assert.equal(latencyRow('s', 'm', cmp, 2).ok, true);
  assert.equal(latencyRow('s', 'm', cmp, 1.5).ok, false);
  assert.equal(latencyRow('s', 'm', cmp).ok, undefined);
  assert.equal(throughputRow('s', 'm', cmp, 0.5).ok, true);
  assert.equal(throughputRow('s', 'm', cmp, 0.8).ok, false);
  const table = formatTable([latencyRow('s', 'm', cmp, 1.5), { scenario: 'x', metric: '', skipped: 'NotImplemented (501): no' }]);
  assert.match(table, /MISS/);
  assert.match(table, /x\s+skipped: NotImplemented \(501\): no/);
  assert.equal(summaryLine([latencyRow('s', 'm', cmp, 1.5)]), '0 ok, 1 missed, 0 informational, 0 skipped');
});

test('SDK errors are described by name and status', () => {
  const err = Object.assign(new Error('Nimbus does not implement sns:Publish yet.'), { name: 'NotImplemented', $metadata: { httpStatusCode: 501 } });
  assert.equal(describeError(err), 'NotImplemented(501): Nimbus does not implement sns:Publish yet.');
});

test('--only selects by name or service prefix; the default run leaves optional scenarios out', () => {
  const names = (only: string[]) => selectScenarios(scenarios, only).map((s) => s.name);
  assert.ok(!names([]).includes('s3.multipart-1gb'));
  assert.ok(names([]).includes('startup'));
  assert.deepEqual(names(['s3.multipart-1gb']), ['s3.multipart-1gb']);
  assert.ok(names(['sqs']).every((n) => n.startsWith('sqs.')) && names(['sqs']).length >= 4);
  assert.deepEqual(names(['sq']), []);
  assert.equal(new Set(scenarios.map((s) => s.name)).size, scenarios.length);
});

test('command-line options', () => {
  const o = parseArgs(['--only', 'sts,sqs.send', '--scale=0.5', '--esm-messages', '100000']);
  assert.deepEqual(o.only, ['sts', 'sqs.send']);
  assert.equal(o.scale, 0.5);
  assert.equal(o.esmMessages, 100000);
  assert.throws(() => parseArgs(['--scale', '-1']), /positive/);
  assert.throws(() => parseArgs(['--bogus']), /unknown option/);
});

test('interleavedSamples runs the baseline between samples', async () => {
  const order: string[] = [];
  const { samples, baseline } = await interleavedSamples(
    3,
    10_000,
    async (i) => {
      order.push(`s${i}`);
      return 10 + i;
    },
    async () => void order.push('b'),
    2,
  );
  assert.deepEqual(samples, [10, 11, 12]);
  assert.equal(baseline.n, 6);
  assert.deepEqual(order.slice(20), ['s0', 'b', 'b', 's1', 'b', 'b', 's2', 'b', 'b']);
});

test('the sink resolves reports that arrive before or after the wait', async () => {
  const sink = await startSink();
  try {
    const post = (bodies: string[], t: number) => fetch(sink.url, { method: 'POST', body: JSON.stringify({ t, bodies }) });
    await post(['early'], 1);
    assert.equal(await sink.waitFor('early', 1000), 1);
    const late = sink.waitFor('late', 1000);
    await post(['late', 'other'], 2);
    assert.equal(await late, 2);
    await assert.rejects(sink.waitFor('never', 50), /never saw message never/);
  } finally {
    await sink.close();
  }
});
