// CloudWatch Logs provider, driven directly (no HTTP): groups, streams, events, filtering, retention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { LogsProvider } from '../../src/services/logs/index.js';
import { compileFilterPattern } from '../../src/services/logs/filter-pattern.js';
import type { RequestContext } from '../../src/core/context.js';

const ctx = { accountId: '000000000000', region: 'us-east-1', partition: 'aws' } as RequestContext;

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  const p = new LogsProvider({ db: openDatabase(), clock });
  return { clock, p };
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
  return undefined;
}

test('groups and streams: create, duplicate, describe with prefix and pagination, delete', () => {
  const { p } = setup();
  for (const n of ['/aws/lambda/a', '/aws/lambda/b', '/aws/lambda/c', '/other']) p.CreateLogGroup({ logGroupName: n }, ctx);
  assert.equal(code(() => p.CreateLogGroup({ logGroupName: '/other' }, ctx)), 'ResourceAlreadyExistsException: The specified log group already exists');
  const first = p.DescribeLogGroups({ logGroupNamePrefix: '/aws/lambda/', limit: 2 }, ctx);
  assert.deepEqual(first.logGroups!.map((g) => g.logGroupName), ['/aws/lambda/a', '/aws/lambda/b']);
  assert.ok(first.nextToken);
  const second = p.DescribeLogGroups({ logGroupNamePrefix: '/aws/lambda/', limit: 2, nextToken: first.nextToken }, ctx);
  assert.deepEqual(second.logGroups!.map((g) => g.logGroupName), ['/aws/lambda/c']);
  assert.equal(second.nextToken, undefined);
  assert.equal(first.logGroups![0].arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/a:*');
  assert.equal(first.logGroups![0].logGroupArn, 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/a');

  p.CreateLogStream({ logGroupName: '/other', logStreamName: 's1' }, ctx);
  p.CreateLogStream({ logGroupName: '/other', logStreamName: 's2' }, ctx);
  assert.equal(code(() => p.CreateLogStream({ logGroupName: '/other', logStreamName: 's1' }, ctx)), 'ResourceAlreadyExistsException: The specified log stream already exists');
  assert.equal(code(() => p.CreateLogStream({ logGroupName: '/nope', logStreamName: 's1' }, ctx)), 'ResourceNotFoundException: The specified log group does not exist.');
  const streams = p.DescribeLogStreams({ logGroupName: '/other', limit: 1 }, ctx);
  assert.deepEqual(streams.logStreams!.map((s) => s.logStreamName), ['s1']);
  assert.deepEqual(p.DescribeLogStreams({ logGroupName: '/other', nextToken: streams.nextToken }, ctx).logStreams!.map((s) => s.logStreamName), ['s2']);
  assert.equal(code(() => p.DescribeLogStreams({ logGroupName: '/other', orderBy: 'LastEventTime', logStreamNamePrefix: 's' }, ctx)),
    'InvalidParameterException: Cannot order by LastEventTime with a logStreamNamePrefix.');
  p.DeleteLogStream({ logGroupName: '/other', logStreamName: 's1' }, ctx);
  assert.equal(code(() => p.DeleteLogStream({ logGroupName: '/other', logStreamName: 's1' }, ctx)), 'ResourceNotFoundException: The specified log stream does not exist.');
  p.DeleteLogGroup({ logGroupName: '/other' }, ctx);
  assert.equal(code(() => p.DeleteLogGroup({ logGroupName: '/other' }, ctx)), 'ResourceNotFoundException: The specified log group does not exist.');
});

test('PutLogEvents: order check, too old / too new rejected, sequence token ignored', () => {
  const { p, clock } = setup();
  p.CreateLogGroup({ logGroupName: 'g' }, ctx);
  p.CreateLogStream({ logGroupName: 'g', logStreamName: 's' }, ctx);
  const now = clock.now();
  assert.equal(code(() => p.PutLogEvents({ logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }] }, ctx)),
    'InvalidParameterException: Log events in a single PutLogEvents request must be in chronological order.');
  assert.equal(code(() => p.PutLogEvents({ logGroupName: 'g', logStreamName: 'x', logEvents: [{ timestamp: now, message: 'b' }] }, ctx)),
    'ResourceNotFoundException: The specified log stream does not exist.');
  const H = 3_600_000;
  const r = p.PutLogEvents({
    logGroupName: 'g', logStreamName: 's', sequenceToken: 'whatever',
    logEvents: [
      { timestamp: now - 14 * 24 * H - H, message: 'old' },
      { timestamp: now - 14 * 24 * H + H, message: 'kept1' },
    ],
  }, ctx);
  assert.deepEqual(r.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 0 });
  assert.ok(r.nextSequenceToken);
  const r2 = p.PutLogEvents({
    logGroupName: 'g', logStreamName: 's',
    logEvents: [{ timestamp: now + H, message: 'kept2' }, { timestamp: now + 3 * H, message: 'new' }],
  }, ctx);
  assert.deepEqual(r2.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
  assert.equal(code(() => p.PutLogEvents({ logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: now - 23.5 * H, message: 'a' }, { timestamp: now + H, message: 'b' }] }, ctx)),
    'InvalidParameterException: The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  assert.equal(code(() => p.PutLogEvents({ logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: now, message: 'x'.repeat(1_048_551) }] }, ctx)),
    'InvalidParameterException: Upload too large: 1048577 bytes exceeds limit of 1048576');
  const got = p.GetLogEvents({ logGroupName: 'g', logStreamName: 's', startFromHead: true }, ctx);
  assert.deepEqual(got.events!.map((e) => e.message), ['kept1', 'kept2']);
  const s = p.DescribeLogStreams({ logGroupName: 'g' }, ctx).logStreams![0];
  assert.equal(s.lastEventTimestamp, now + H);
  assert.equal(s.storedBytes, 10);
});

test('GetLogEvents: head and tail, forward/backward tokens, same token at the end', () => {
  const { p, clock } = setup();
  const t0 = clock.now();
  p.CreateLogGroup({ logGroupName: 'tail' }, ctx);
  p.CreateLogStream({ logGroupName: 'tail', logStreamName: 's' }, ctx);
  const empty = p.GetLogEvents({ logGroupName: 'tail', logStreamName: 's' }, ctx);
  assert.deepEqual(empty.events, []);
  p.appendEvents(ctx.accountId, ctx.region, 'tail', 's', [{ timestamp: t0, message: 'first' }]);
  assert.deepEqual(p.GetLogEvents({ logGroupName: 'tail', logStreamName: 's', nextToken: empty.nextForwardToken }, ctx).events!.map((e) => e.message), ['first']);
  p.appendEvents(ctx.accountId, ctx.region, '/aws/lambda/f', 'stream', Array.from({ length: 5 }, (_, i) => ({ timestamp: t0 + i, message: `m${i}` })));
  const tail = p.GetLogEvents({ logGroupName: '/aws/lambda/f', logStreamName: 'stream', limit: 2 }, ctx);
  assert.deepEqual(tail.events!.map((e) => e.message), ['m3', 'm4']);
  const back = p.GetLogEvents({ logGroupName: '/aws/lambda/f', logStreamName: 'stream', limit: 2, nextToken: tail.nextBackwardToken }, ctx);
  assert.deepEqual(back.events!.map((e) => e.message), ['m1', 'm2']);
  const head = p.GetLogEvents({ logGroupName: '/aws/lambda/f', logStreamName: 'stream', limit: 3, startFromHead: true }, ctx);
  assert.deepEqual(head.events!.map((e) => e.message), ['m0', 'm1', 'm2']);
  assert.match(head.nextForwardToken!, /^f\/\d{56}$/);
  const next = p.GetLogEvents({ logGroupName: '/aws/lambda/f', logStreamName: 'stream', limit: 3, nextToken: head.nextForwardToken }, ctx);
  assert.deepEqual(next.events!.map((e) => e.message), ['m3', 'm4']);
  const end = p.GetLogEvents({ logGroupName: '/aws/lambda/f', logStreamName: 'stream', nextToken: next.nextForwardToken }, ctx);
  assert.deepEqual(end.events, []);
  assert.equal(end.nextForwardToken, next.nextForwardToken);
  // appendEvents later: the same forward token now yields the new line
  p.appendEvents(ctx.accountId, ctx.region, '/aws/lambda/f', 'stream', [{ timestamp: t0 + 10, message: 'later' }]);
  assert.deepEqual(p.GetLogEvents({ logGroupName: '/aws/lambda/f', logStreamName: 'stream', nextToken: end.nextForwardToken }, ctx).events!.map((e) => e.message), ['later']);
});

test('FilterLogEvents: patterns, stream names, time range, pagination', () => {
  const { p, clock } = setup();
  const t0 = clock.now();
  p.appendEvents(ctx.accountId, ctx.region, 'g', 'a', [
    { timestamp: t0 + 1, message: 'ERROR disk full' },
    { timestamp: t0 + 3, message: '{"level":"warn","n":7,"user":{"id":"u1"}}' },
  ]);
  p.appendEvents(ctx.accountId, ctx.region, 'g', 'b', [
    { timestamp: t0 + 2, message: 'INFO started request' },
    { timestamp: t0 + 4, message: 'ERROR timeout in request' },
  ]);
  const msgs = (r: { events?: { message?: string }[] }) => r.events!.map((e) => e.message);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g' }, ctx)).length, 4);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', filterPattern: 'ERROR' }, ctx)), ['ERROR disk full', 'ERROR timeout in request']);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', filterPattern: 'ERROR -timeout' }, ctx)), ['ERROR disk full']);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', filterPattern: '?INFO ?disk' }, ctx)), ['ERROR disk full', 'INFO started request']);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', filterPattern: '"started request"' }, ctx)), ['INFO started request']);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', filterPattern: '{ $.n > 5 && $.user.id = "u*" }' }, ctx)).length, 1);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', filterPattern: '{ $.level = error }' }, ctx)), []);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', logStreamNames: ['b'] }, ctx)), ['INFO started request', 'ERROR timeout in request']);
  assert.deepEqual(msgs(p.FilterLogEvents({ logGroupName: 'g', startTime: t0 + 2, endTime: t0 + 3 }, ctx)).length, 2);
  const page1 = p.FilterLogEvents({ logGroupName: 'g', limit: 3 }, ctx);
  assert.equal(page1.events!.length, 3);
  assert.equal(page1.events![0].logStreamName, 'a');
  const page2 = p.FilterLogEvents({ logGroupName: 'g', limit: 3, nextToken: page1.nextToken }, ctx);
  assert.deepEqual(msgs(page2), ['ERROR timeout in request']);
  assert.equal(page2.nextToken, undefined);
  assert.equal(code(() => p.FilterLogEvents({ logGroupName: 'g', filterPattern: '{ $.x = ' }, ctx)), 'InvalidParameterException: Invalid filter pattern');
  assert.equal(code(() => p.FilterLogEvents({ logGroupName: 'nope' }, ctx)), 'ResourceNotFoundException: The specified log group does not exist.');
});

test('filter pattern language', () => {
  const m = (pattern: string, message: string) => compileFilterPattern(pattern)(message);
  assert.equal(m('{ ($.a = 1 || $.b = 2) && $.c NOT EXISTS }', '{"a":1}'), true);
  assert.equal(m('{ ($.a = 1 || $.b = 2) && $.c NOT EXISTS }', '{"a":1,"c":0}'), false);
  assert.equal(m('{ $.ok IS TRUE }', '{"ok":true}'), true);
  assert.equal(m('{ $.v IS NULL }', '{"v":null}'), true);
  assert.equal(m('{ $.arr[1] = "y" }', '{"arr":["x","y"]}'), true);
  assert.equal(m('{ $.n != 3 }', '{"n":4}'), true);
  assert.equal(m('{ $.n <= 3 }', '{"n":4}'), false);
  assert.equal(m('{ $.n = 3 }', 'not json'), false);
  assert.equal(m('%ERR[0-9]+%', 'got ERR42 here'), true);
  assert.equal(m('[ip, user, status = 4*, ...]', '1.2.3.4 bob 404 extra stuff'), true);
  assert.equal(m('[ip, user, status = 4*, ...]', '1.2.3.4 bob 200 extra'), false);
  assert.equal(m('[a, b > 10]', 'x 11'), true);
  assert.equal(m('[a, b > 10]', 'x 11 y'), false);
  assert.equal(m('error', 'ERROR'), false);
});

test('retention: expired events vanish; bad values rejected; tags by name and by ARN', async () => {
  const { p, clock } = setup();
  p.appendEvents(ctx.accountId, ctx.region, 'g', 's', [{ timestamp: clock.now(), message: 'old one' }]);
  assert.equal(code(() => p.PutRetentionPolicy({ logGroupName: 'g', retentionInDays: 2 }, ctx))?.startsWith('InvalidParameterException: 1 validation error detected'), true);
  p.PutRetentionPolicy({ logGroupName: 'g', retentionInDays: 1 }, ctx);
  assert.equal(p.DescribeLogGroups({}, ctx).logGroups![0].retentionInDays, 1);
  await clock.advance(86_400_000 + 1);
  p.appendEvents(ctx.accountId, ctx.region, 'g', 's', [{ timestamp: clock.now(), message: 'new one' }]);
  assert.deepEqual(p.FilterLogEvents({ logGroupName: 'g' }, ctx).events!.map((e) => e.message), ['new one']);
  p.DeleteRetentionPolicy({ logGroupName: 'g' }, ctx);
  assert.equal(p.DescribeLogGroups({}, ctx).logGroups![0].retentionInDays, undefined);

  p.TagLogGroup({ logGroupName: 'g', tags: { a: '1', b: '2' } }, ctx);
  p.UntagLogGroup({ logGroupName: 'g', tags: ['a'] }, ctx);
  assert.deepEqual(p.ListTagsLogGroup({ logGroupName: 'g' }, ctx).tags, { b: '2' });
  const arn = p.DescribeLogGroups({}, ctx).logGroups![0].logGroupArn!;
  p.TagResource({ resourceArn: arn, tags: { c: '3' } }, ctx);
  p.UntagResource({ resourceArn: arn + ':*', tagKeys: ['b'] }, ctx);
  assert.deepEqual(p.ListTagsForResource({ resourceArn: arn }, ctx).tags, { c: '3' });
  assert.equal(code(() => p.ListTagsForResource({ resourceArn: arn.replace(':g', ':zz') }, ctx)), 'ResourceNotFoundException: The specified log group does not exist.');
});
