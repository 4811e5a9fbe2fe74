// The queue engine and provider without HTTP: indexed receive, digests, URLs, long-poll waiters.
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/log.js';
import type { RequestContext } from '../../src/core/context.js';
import type { ServiceDeps } from '../../src/services/types.js';
import { QueueEngine, decodeReceiptHandle, encodeReceiptHandle, type NewMessage } from '../../src/services/sqs/engine.js';
import { SqsProvider, validationError, queueUrlFromArn } from '../../src/services/sqs/index.js';
import { md5OfAttributes } from '../../src/services/sqs/md5.js';
import { parseQueueUrl } from '../../src/services/sqs/urls.js';

function setup() {
  const db = openDatabase();
  const clock = new ManualClock();
  const deps = { db, clock, log: createLogger('silent'), endpoint: () => 'http://127.0.0.1:4566' } as unknown as ServiceDeps;
  const provider = new SqsProvider(deps);
  const ctx: RequestContext = {
    requestId: 'r', accountId: '000000000000', region: 'us-east-1', partition: 'aws', service: 'sqs', operation: '',
    host: '127.0.0.1:4566', endpoint: 'http://127.0.0.1:4566', sourceIp: '127.0.0.1', headers: {},
  };
  return { db, clock, provider, engine: provider.engine, ctx };
}

const msg = (i: number): NewMessage => ({ messageId: `id-${i}`, body: `b${i}`, md5Body: 'x', senderId: 'a', delayMs: 0 });

test('receive reads due messages by index (standard and FIFO), expiry and next-due too', () => {
  const { db } = setup();
  const plans = [
    'SELECT * FROM sqs_messages WHERE queue_id = 1 AND visible_at <= 5 ORDER BY visible_at, seq LIMIT 10',
    'DELETE FROM sqs_messages WHERE queue_id = 1 AND enqueued_at <= 5',
    'SELECT min(visible_at) AS t FROM sqs_messages WHERE queue_id = 1 AND visible_at > 5',
    'SELECT * FROM sqs_messages WHERE queue_id = 1 AND head = 1 AND visible_at <= 5 ORDER BY visible_at, seq LIMIT 10',
    "SELECT * FROM sqs_messages WHERE queue_id = 1 AND group_id = 'g' AND seq > 5 ORDER BY seq LIMIT 10",
    "UPDATE sqs_messages SET head = 1 WHERE seq = (SELECT seq FROM sqs_messages WHERE queue_id = 1 AND group_id = 'g' ORDER BY seq LIMIT 1)",
  ].map((sql) => (db.prepare('EXPLAIN QUERY PLAN ' + sql).all() as { detail: string }[]).map((r) => r.detail).join(' | '));
  for (const p of plans) {
    assert.match(p, /^SEARCH sqs_messages USING (COVERING |INTEGER PRIMARY KEY)?/, p);
    assert.doesNotMatch(p, /TEMP B-TREE|SCAN/, p);
  }
});

test('receive latency is flat from 10 to 100,000 queued messages', () => {
  const { engine, provider, ctx } = setup();
  const time = (n: number) => {
    const q = engine.getQueue(ctx.accountId, ctx.region, (provider.CreateQueue({ QueueName: `flat${n}` }, ctx).QueueUrl ?? '').split('/').pop()!)!;
    const batch: NewMessage[] = [];
    for (let i = 0; i < n; i++) batch.push(msg(i));
    engine.send(q, batch);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) assert.equal(engine.receive(q, 10, 0).length, 10); // visibility 0: the same work each time
    return Number(process.hrtime.bigint() - t0) / 200 / 1e6;
  };
  const small = time(10);
  const large = time(100_000);
  // Both are tens of microseconds; a scan of 100k rows would take milliseconds.
  console.log(`receive: ${small.toFixed(3)} ms with 10 queued, ${large.toFixed(3)} ms with 100k`);
  assert.ok(large < Math.max(small * 5, 0.5), `10 queued: ${small.toFixed(3)} ms, 100k queued: ${large.toFixed(3)} ms per receive`);
});

test('FIFO receive stays flat when one group holds 50,000 messages behind an in-flight head', () => {
  const { engine, provider, ctx } = setup();
  provider.CreateQueue({ QueueName: 'big.fifo', Attributes: { FifoQueue: 'true' } }, ctx);
  const q = engine.getQueue(ctx.accountId, ctx.region, 'big.fifo')!;
  engine.send(q, Array.from({ length: 50_000 }, (_, i) => ({ ...msg(i), groupId: 'g' })));
  engine.send(q, [{ ...msg(-1), groupId: 'other' }]);
  assert.deepEqual(engine.receive(q, 1, 60_000).map((m) => m.body), ['b0']);
  const t0 = process.hrtime.bigint();
  let got: string[] = [];
  for (let i = 0; i < 100; i++) got = engine.receive(q, 10, 0).map((m) => m.body);
  const ms = Number(process.hrtime.bigint() - t0) / 100 / 1e6;
  assert.deepEqual(got, ['b-1']); // g is blocked by its in-flight head; only the other group comes
  assert.ok(ms < 5, `${ms.toFixed(3)} ms per receive (walking the blocked group would take tens)`);
});

test('receipt handles: round trip, foreign and malformed handles', () => {
  const h = encodeReceiptHandle(7, 42, 'a'.repeat(24));
  assert.deepEqual(decodeReceiptHandle(h), { queueId: 7, seq: 42, token: 'a'.repeat(24) });
  assert.equal(decodeReceiptHandle('garbage'), undefined);
  assert.equal(decodeReceiptHandle(Buffer.from('other:1:2:3').toString('base64')), undefined);
});

test('attribute digest: AWS encoding incl. custom types and binary values', () => {
  // Built by hand from the developer guide's encoding: length-prefixed name, type, transport byte, value.
  const parts = [
    Buffer.from([0, 0, 0, 1]), Buffer.from('b'), Buffer.from([0, 0, 0, 6]), Buffer.from('Binary'), Buffer.from([2]), Buffer.from([0, 0, 0, 2]), Buffer.from([1, 2]),
    Buffer.from([0, 0, 0, 1]), Buffer.from('n'), Buffer.from([0, 0, 0, 10]), Buffer.from('Number.int'), Buffer.from([1]), Buffer.from([0, 0, 0, 1]), Buffer.from('7'),
  ];
  const expected = createHash('md5').update(Buffer.concat(parts)).digest('hex');
  assert.equal(md5OfAttributes({ n: { DataType: 'Number.int', StringValue: '7' }, b: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2]) } }), expected);
  assert.equal(md5OfAttributes({}), undefined);
});


test('queue URLs: every form names the same queue; ARN to URL for internal callers', () => {
  assert.deepEqual(parseQueueUrl('http://127.0.0.1:4566/000000000000/q'), { accountId: '000000000000', name: 'q', region: undefined });
  assert.deepEqual(parseQueueUrl('http://sqs.eu-west-1.localhost.localstack.cloud:4566/111111111111/q.fifo'), { accountId: '111111111111', name: 'q.fifo', region: 'eu-west-1' });
  assert.deepEqual(parseQueueUrl('https://eu-west-2.queue.amazonaws.com/111111111111/q'), { accountId: '111111111111', name: 'q', region: 'eu-west-2' });
  assert.deepEqual(parseQueueUrl('q'), { name: 'q' });
  assert.equal(parseQueueUrl('http://host/onlyone'), undefined);
  assert.equal(queueUrlFromArn('arn:aws:sqs:us-east-1:000000000000:jobs', 'http://127.0.0.1:4566'), 'http://127.0.0.1:4566/000000000000/jobs');
});

test('provider: a queue in another region is resolved by its URL host', () => {
  const { provider, ctx } = setup();
  provider.CreateQueue({ QueueName: 'eu' }, { ...ctx, region: 'eu-west-1' });
  const q = provider.resolve('http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/eu', ctx);
  assert.equal(q.region, 'eu-west-1');
  assert.throws(() => provider.resolve('http://127.0.0.1:4566/000000000000/eu', ctx), { code: 'QueueDoesNotExist' });
});

test('long-poll waiters wake on send, on a due message, at the deadline and on shutdown', async () => {
  const { engine, provider, ctx, clock } = setup();
  provider.CreateQueue({ QueueName: 'w' }, ctx);
  const q = engine.getQueue(ctx.accountId, ctx.region, 'w')!;
  let woke = false;
  const p1 = engine.waitForMessages(q.id, clock.now() + 20_000).then(() => (woke = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(woke, false);
  engine.send(q, [msg(1)]);
  await p1;
  engine.send(q, [{ ...msg(2), delayMs: 5_000 }]);
  engine.receive(q, 10, 60_000);
  woke = false;
  const p2 = engine.waitForMessages(q.id, clock.now() + 20_000).then(() => (woke = true));
  await clock.advance(4_999);
  assert.equal(woke, false);
  await clock.advance(1);
  await p2;
  const ac = new AbortController();
  const p3 = engine.waitForMessages(q.id, clock.now() + 20_000, ac.signal);
  ac.abort();
  await p3;
  const p4 = engine.waitForMessages(q.id, clock.now() + 20_000);
  provider.close();
  await p4;
});

test('validation errors in SQS terms', () => {
  assert.deepEqual(
    { code: validationError([{ path: ['QueueUrl'], value: undefined, kind: 'required' }], 'SendMessage').code, message: validationError([{ path: ['QueueUrl'], value: undefined, kind: 'required' }], 'SendMessage').message },
    { code: 'MissingParameter', message: 'The request must contain the parameter QueueUrl.' },
  );
  assert.equal(validationError([{ path: ['Entries'], value: undefined, kind: 'required' }], 'SendMessageBatch').code, 'EmptyBatchRequest');
  assert.equal(validationError([{ path: ['DelaySeconds'], value: 'x', kind: 'type', limit: 'integer' }], 'SendMessage').code, 'InvalidParameterValue');
});

test('receiveForMapping: long-polls by ARN, abortable, with every attribute', async () => {
  const { provider, ctx, clock } = setup();
  const { QueueUrl } = provider.CreateQueue({ QueueName: 'esm' }, ctx);
  const arn = 'arn:aws:sqs:us-east-1:000000000000:esm';
  assert.equal(await provider.receiveForMapping('arn:aws:sqs:us-east-1:000000000000:none', { max: 10, waitMs: 0 }), undefined);
  const pending = provider.receiveForMapping(arn, { max: 10, waitMs: 20_000 });
  await new Promise((r) => setImmediate(r));
  await provider.SendMessage({ QueueUrl: QueueUrl!, MessageBody: 'job', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }, ctx);
  const got = (await pending)!;
  assert.equal(got[0].Body, 'job');
  assert.equal(got[0].Attributes!.ApproximateReceiveCount, '1');
  assert.equal(got[0].MessageAttributes!.k.StringValue, 'v');
  const ac = new AbortController();
  const idle = provider.receiveForMapping(arn, { max: 10, waitMs: 20_000, signal: ac.signal });
  ac.abort();
  assert.deepEqual(await idle, []);
  void clock;
});

test('FIFO to FIFO dead-letter moves keep group and order', async () => {
  const { provider, ctx, clock } = setup();
  const dlq = provider.CreateQueue({ QueueName: 'd.fifo', Attributes: { FifoQueue: 'true' } }, ctx).QueueUrl!;
  const src = provider.CreateQueue({ QueueName: 's.fifo', Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:d.fifo', maxReceiveCount: 1 }) } }, ctx).QueueUrl!;
  for (const b of ['1', '2']) await provider.SendMessage({ QueueUrl: src, MessageBody: b, MessageGroupId: 'g' }, ctx);
  assert.deepEqual((await provider.ReceiveMessage({ QueueUrl: src, MaxNumberOfMessages: 10 }, ctx)).Messages!.map((m) => m.Body), ['1', '2']);
  await clock.advance(1_000);
  assert.equal((await provider.ReceiveMessage({ QueueUrl: src, MaxNumberOfMessages: 10 }, ctx)).Messages, undefined);
  const moved = await provider.ReceiveMessage({ QueueUrl: dlq, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId'] }, ctx);
  assert.deepEqual(moved.Messages!.map((m) => [m.Body, m.Attributes!.MessageGroupId]), [['1', 'g'], ['2', 'g']]);
});

test('internal callers: SendMessage by a URL built from the queue ARN, through validation', async () => {
  const { startNimbus } = await import('../helpers/server.js');
  const n = await startNimbus();
  try {
    const where = { accountId: '000000000000', region: 'eu-west-1' };
    const { QueueUrl } = await n.services.internal.call('sqs', 'CreateQueue', { QueueName: 'from-sns' }, where);
    const url = queueUrlFromArn('arn:aws:sqs:eu-west-1:000000000000:from-sns', n.endpoint);
    assert.equal(url, QueueUrl);
    const sent = await n.services.internal.call('sqs', 'SendMessage', { QueueUrl: url, MessageBody: 'event', MessageAttributes: { a: { DataType: 'Binary', BinaryValue: Buffer.from('x') } } }, where);
    assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);
    await assert.rejects(n.services.internal.call('sqs', 'SendMessage', { QueueUrl: url }, where), { code: 'MissingParameter' });
    const sqs = await n.services.internal.provider<SqsProvider>('sqs');
    const got = await sqs.receiveForMapping('arn:aws:sqs:eu-west-1:000000000000:from-sns', { max: 10, waitMs: 0 });
    assert.equal(got![0].Body, 'event');
  } finally {
    await n.close();
  }
});

test('with fsync on: concurrent sends share one commit; receives leave the connection at synchronous=FULL', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-sqs-engine-'));
  const db = openDatabase(dir, { fsync: true });
  try {
    const engine = new QueueEngine(db, new ManualClock());
    const q = engine.createQueue('000000000000', 'us-east-1', 'disk', false, { MessageRetentionPeriod: '345600', VisibilityTimeout: '30' }, {});
    // count top-level transactions (each one commit, each one fsync)
    let commits = 0;
    const transaction = db.transaction.bind(db);
    db.transaction = ((fn: (...a: unknown[]) => unknown) => {
      const tx = transaction(fn);
      return Object.assign((...a: unknown[]) => {
        if (!db.inTransaction) commits++;
        return tx(...a);
      }, tx);
    }) as typeof db.transaction;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => engine.sendDurably(q, [msg(i)])));
    assert.equal(results.flat().length, 8);
    assert.equal(new Set(results.flat().map((r) => r.seq)).size, 8);
    assert.equal(commits, 1);
    assert.equal(engine.receive(q, 10, 30_000).length, 8);
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
