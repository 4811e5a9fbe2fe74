// SQS behaviour, each test run over JSON (SDK v3) and over query (raw form posts + XML).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import { bothProtocols, type SqsCaller, type Env } from './harness.js';

const md5 = (s: string | Buffer) => crypto.createHash('md5').update(s).digest('hex');

function define(name: string, fn: (sqs: SqsCaller, env: Env) => Promise<void>, opts: { clock?: () => ManualClock } = {}) {
  for (const [n, f] of bothProtocols(name, fn, opts)) test(n, f);
}

async function queue(sqs: SqsCaller, name: string, Attributes?: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.call('CreateQueue', { QueueName: name, ...(Attributes ? { Attributes } : {}) });
  return QueueUrl;
}

async function arnOf(sqs: SqsCaller, url: string): Promise<string> {
  return (await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['QueueArn'] })).Attributes.QueueArn;
}

async function counts(sqs: SqsCaller, url: string) {
  const a = (await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] })).Attributes;
  return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible), delayed: Number(a.ApproximateNumberOfMessagesDelayed) };
}

define('queues: create is idempotent, conflicts on different attributes, url forms, list, delete', async (sqs, env) => {
  const url = await queue(sqs, 'orders', { VisibilityTimeout: '45' });
  assert.equal(url, `${env.nimbus.endpoint}/000000000000/orders`);
  assert.equal(await queue(sqs, 'orders', { VisibilityTimeout: '45' }), url);
  assert.equal(await queue(sqs, 'orders'), url);
  const conflict = await sqs.error('CreateQueue', { QueueName: 'orders', Attributes: { VisibilityTimeout: '46' } });
  assert.equal(conflict.code, 'QueueAlreadyExists');
  assert.equal(conflict.status, 400);
  assert.equal((await sqs.call('GetQueueUrl', { QueueName: 'orders' })).QueueUrl, url);
  assert.equal((await sqs.call('GetQueueUrl', { QueueName: 'orders', QueueOwnerAWSAccountId: '000000000000' })).QueueUrl, url);
  // URLs pasted from other tools resolve the same queue.
  for (const other of ['http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/orders', 'https://sqs.us-east-1.amazonaws.com/000000000000/orders', 'http://localhost:4566/000000000000/orders']) {
    const a = await sqs.call('GetQueueAttributes', { QueueUrl: other, AttributeNames: ['VisibilityTimeout'] });
    assert.equal(a.Attributes.VisibilityTimeout, '45', other);
  }
  await queue(sqs, 'orders-eu');
  await queue(sqs, 'invoices');
  assert.deepEqual((await sqs.call('ListQueues', { QueueNamePrefix: 'orders' })).QueueUrls, [url, `${env.nimbus.endpoint}/000000000000/orders-eu`]);
  assert.equal((await sqs.call('ListQueues', { QueueNamePrefix: 'zzz' })).QueueUrls, undefined);
  const page1 = await sqs.call('ListQueues', { MaxResults: 2 });
  assert.equal(page1.QueueUrls.length, 2);
  assert.ok(page1.NextToken);
  const page2 = await sqs.call('ListQueues', { MaxResults: 2, NextToken: page1.NextToken });
  assert.deepEqual(page2.QueueUrls, [`${env.nimbus.endpoint}/000000000000/orders-eu`]);
  assert.equal(page2.NextToken, undefined);
  await sqs.call('DeleteQueue', { QueueUrl: url });
  const gone = await sqs.error('GetQueueUrl', { QueueName: 'orders' });
  assert.equal(gone.code, 'AWS.SimpleQueueService.NonExistentQueue');
  assert.equal(gone.message.includes('The specified queue does not exist.'), true);
  assert.equal((await sqs.error('SendMessage', { QueueUrl: url, MessageBody: 'x' })).code, 'AWS.SimpleQueueService.NonExistentQueue');
});

define('queues: attribute validation and names', async (sqs) => {
  const e1 = await sqs.error('CreateQueue', { QueueName: 'bad name' });
  assert.equal(e1.code, 'InvalidParameterValue');
  const e2 = await sqs.error('CreateQueue', { QueueName: 'x.fifo' });
  assert.equal(e2.code, 'InvalidParameterValue');
  const e3 = await sqs.error('CreateQueue', { QueueName: 'y', Attributes: { FifoQueue: 'true' } });
  assert.equal(e3.code, 'InvalidParameterValue');
  const e4 = await sqs.error('CreateQueue', { QueueName: 'q', Attributes: { VisibilityTimeout: '43201' } });
  assert.equal(e4.code, 'InvalidAttributeValue');
  assert.match(e4.message, /Invalid value for the parameter VisibilityTimeout/);
  const e5 = await sqs.error('CreateQueue', { QueueName: 'q', Attributes: { Colour: 'red' } });
  assert.equal(e5.code, 'InvalidAttributeName');
  const e6 = await sqs.error('CreateQueue', { QueueName: 'q', Attributes: { ContentBasedDeduplication: 'true' } });
  assert.equal(e6.code, 'InvalidAttributeName');
  const url = await queue(sqs, 'q', { KmsMasterKeyId: 'alias/aws/sqs', DelaySeconds: '5' });
  await sqs.call('SetQueueAttributes', { QueueUrl: url, Attributes: { MessageRetentionPeriod: '60', Policy: '{"Version":"2012-10-17","Statement":[]}' } });
  const a = (await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] })).Attributes;
  assert.equal(a.KmsMasterKeyId, 'alias/aws/sqs');
  assert.equal(a.SqsManagedSseEnabled, 'false');
  assert.equal(a.DelaySeconds, '5');
  assert.equal(a.MessageRetentionPeriod, '60');
  assert.equal(a.MaximumMessageSize, '1048576');
  assert.equal(a.Policy, '{"Version":"2012-10-17","Statement":[]}');
  assert.equal(a.QueueArn, 'arn:aws:sqs:us-east-1:000000000000:q');
  assert.equal((await sqs.error('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['Nope'] })).code, 'InvalidAttributeName');
  assert.equal((await sqs.error('SetQueueAttributes', { QueueUrl: url, Attributes: { QueueArn: 'x' } })).code, 'InvalidAttributeName');
  const missing = await sqs.error('GetQueueUrl', {});
  assert.equal(missing.code, 'MissingParameter');
  assert.match(missing.message, /The request must contain the parameter QueueName./);
});

define('tags and permissions', async (sqs) => {
  const url = await queue(sqs, 'tagged');
  await sqs.call('TagQueue', { QueueUrl: url, Tags: { team: 'a', env: 'dev' } });
  await sqs.call('UntagQueue', { QueueUrl: url, TagKeys: ['env'] });
  assert.deepEqual((await sqs.call('ListQueueTags', { QueueUrl: url })).Tags, { team: 'a' });
  await sqs.call('AddPermission', { QueueUrl: url, Label: 'send', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] });
  assert.equal((await sqs.error('AddPermission', { QueueUrl: url, Label: 'send', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] })).code, 'InvalidParameterValue');
  const policy = JSON.parse((await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['Policy'] })).Attributes.Policy);
  assert.deepEqual(policy.Statement[0], { Sid: 'send', Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root'] }, Action: ['SQS:SendMessage'], Resource: 'arn:aws:sqs:us-east-1:000000000000:tagged' });
  await sqs.call('RemovePermission', { QueueUrl: url, Label: 'send' });
  assert.equal((await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['Policy'] })).Attributes?.Policy, undefined);
  assert.equal((await sqs.error('RemovePermission', { QueueUrl: url, Label: 'send' })).code, 'InvalidParameterValue');
});

define('messages: send, receive with attributes and digests, delete', async (sqs) => {
  const url = await queue(sqs, 'm');
  const attrs = {
    s: { DataType: 'String', StringValue: 'héllo' },
    n: { DataType: 'Number.int', StringValue: '42' },
    b: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) },
    'meta.kind': { DataType: 'String.custom', StringValue: 'k' },
  };
  const sent = await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'hello world', MessageAttributes: attrs, MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } } });
  assert.equal(sent.MD5OfMessageBody, '5eb63bbbe01eeed093cb22bb8f5acdc3');
  assert.equal(sent.MD5OfMessageAttributes, md5OfAttributesBySpec(attrs));
  assert.equal(sent.MD5OfMessageSystemAttributes, md5OfAttributesBySpec({ AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } }));
  assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);
  const { Messages } = await sqs.call('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] });
  assert.equal(Messages.length, 1);
  const m = Messages[0];
  assert.equal(m.Body, 'hello world');
  assert.equal(m.MessageId, sent.MessageId);
  assert.equal(m.MD5OfBody, md5('hello world'));
  assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.deepEqual(Buffer.from(m.MessageAttributes.b.BinaryValue), Buffer.from([0, 1, 2, 255]));
  assert.equal(m.MessageAttributes.n.StringValue, '42');
  assert.equal(m.MessageAttributes.s.StringValue, 'héllo');
  assert.equal(m.Attributes.ApproximateReceiveCount, '1');
  assert.equal(m.Attributes.AWSTraceHeader, 'Root=1-5759e988-bd862e3fe1be46a994272793');
  assert.match(m.Attributes.SentTimestamp, /^\d{13}$/);
  assert.equal(m.Attributes.SenderId, '000000000000');
  assert.deepEqual(await counts(sqs, url), { visible: 0, inFlight: 1, delayed: 0 });
  await sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
  assert.deepEqual(await counts(sqs, url), { visible: 0, inFlight: 0, delayed: 0 });
  // deleting again with the same handle succeeds, as on AWS
  await sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
  const bad = await sqs.error('DeleteMessage', { QueueUrl: url, ReceiptHandle: 'garbage' });
  assert.equal(bad.code, 'ReceiptHandleIsInvalid');
  assert.equal(bad.message.includes('The input receipt handle "garbage" is not a valid receipt handle.'), true);
});

define('messages: attribute name selection (names, prefixes, All) digests the returned subset', async (sqs) => {
  const url = await queue(sqs, 'sel');
  const attrs = { 'order.id': { DataType: 'String', StringValue: '1' }, 'order.total': { DataType: 'Number', StringValue: '9.5' }, colour: { DataType: 'String', StringValue: 'red' } };
  await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: attrs });
  const r = await sqs.call('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['order.*'], VisibilityTimeout: 0 });
  assert.deepEqual(Object.keys(r.Messages[0].MessageAttributes).sort(), ['order.id', 'order.total']);
  assert.equal(r.Messages[0].MD5OfMessageAttributes, md5OfAttributesBySpec({ 'order.id': attrs['order.id'], 'order.total': attrs['order.total'] }));
  const none = await sqs.call('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0 });
  assert.equal(none.Messages[0].MessageAttributes, undefined);
  assert.equal(none.Messages[0].Attributes, undefined);
  const one = await sqs.call('ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['colour'], AttributeNames: ['ApproximateReceiveCount'] });
  assert.deepEqual(Object.keys(one.Messages[0].MessageAttributes), ['colour']);
  assert.deepEqual(one.Messages[0].Attributes, { ApproximateReceiveCount: '3' });
});

define('validation: limits and AWS error codes', async (sqs) => {
  const url = await queue(sqs, 'v');
  const cases: [string, Record<string, unknown>, string, RegExp?][] = [
    ['SendMessage', { QueueUrl: url, MessageBody: 'x', DelaySeconds: 901 }, 'InvalidParameterValue', /Value 901 for parameter DelaySeconds is invalid. Reason: Must be >= 0 and <= 900./],
    ['SendMessage', { QueueUrl: url, MessageBody: 'a\u0000b' }, 'InvalidMessageContents'],
    ['SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(1024 * 1024 + 1) }, 'InvalidParameterValue', /Message must be shorter than 1048576 bytes/],
    ['SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }])) }, 'InvalidParameterValue', /Number of message attributes \[11\] exceeds the allowed maximum \[10\]/],
    ['SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { 'AWS.x': { DataType: 'String', StringValue: 'v' } } }, 'InvalidParameterValue'],
    ['SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'Bogus', StringValue: 'v' } } }, 'InvalidParameterValue', /supported type prefixes: Binary, Number, String/],
    ['SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'Number', StringValue: 'abc' } } }, 'InvalidParameterValue', /to a number/],
    ['SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'String', StringValue: '' } } }, 'InvalidParameterValue', /must contain a non-empty value of type 'String'/],
    ['SendMessage', { QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' }, 'InvalidParameterValue'],
    ['ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 11 }, 'InvalidParameterValue', /Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided./],
    ['ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 0 }, 'InvalidParameterValue'],
    ['ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 21 }, 'InvalidParameterValue', /Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided./],
    ['ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 43201 }, 'InvalidParameterValue'],
    ['SendMessageBatch', { QueueUrl: url, Entries: [] }, 'AWS.SimpleQueueService.EmptyBatchRequest'],
    ['SendMessageBatch', { QueueUrl: url, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' })) }, 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'],
    ['SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }] }, 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'],
    ['SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'bad id!', MessageBody: 'x' }] }, 'AWS.SimpleQueueService.InvalidBatchEntryId'],
    ['SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'x'.repeat(600_000) }, { Id: 'b', MessageBody: 'x'.repeat(600_000) }] }, 'AWS.SimpleQueueService.BatchRequestTooLong'],
    ['DeleteMessageBatch', { QueueUrl: url, Entries: [] }, 'AWS.SimpleQueueService.EmptyBatchRequest'],
    ['ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: 'nope', VisibilityTimeout: 1 }, 'ReceiptHandleIsInvalid'],
  ];
  for (const [op, input, code, message] of cases) {
    const e = await sqs.error(op, input);
    assert.equal(e.code, code, `${op} ${JSON.stringify(input).slice(0, 120)}`);
    assert.equal(e.status, 400);
    if (message) assert.match(e.message, message);
  }
  // Batch entries fail one by one, with AWS's entry codes.
  const r = await sqs.call('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'ok', MessageBody: 'fine' }, { Id: 'late', MessageBody: 'x', DelaySeconds: 1000 }] });
  assert.deepEqual(r.Successful.map((s: { Id: string }) => s.Id), ['ok']);
  assert.equal(r.Successful[0].MD5OfMessageBody, md5('fine'));
  assert.equal(r.Failed.length, 1);
  assert.equal(r.Failed[0].Id, 'late');
  assert.equal(r.Failed[0].Code, 'InvalidParameterValue');
  assert.equal(r.Failed[0].SenderFault, true);
});

define('batches: send, change visibility, delete', async (sqs) => {
  const url = await queue(sqs, 'b');
  const sent = await sqs.call('SendMessageBatch', { QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })) });
  assert.equal(sent.Successful.length, 10);
  const got = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
  assert.equal(got.Messages.length, 10);
  const cv = await sqs.call('ChangeMessageVisibilityBatch', {
    QueueUrl: url,
    Entries: [...got.Messages.slice(0, 2).map((m: any, i: number) => ({ Id: `c${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })), { Id: 'bad', ReceiptHandle: 'zzz', VisibilityTimeout: 0 }],
  });
  assert.deepEqual(cv.Successful.map((s: any) => s.Id).sort(), ['c0', 'c1']);
  assert.equal(cv.Failed[0].Code, 'ReceiptHandleIsInvalid');
  assert.deepEqual(await counts(sqs, url), { visible: 2, inFlight: 8, delayed: 0 });
  const del = await sqs.call('DeleteMessageBatch', { QueueUrl: url, Entries: got.Messages.slice(2).map((m: any, i: number) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })) });
  assert.equal(del.Successful.length, 8);
  assert.equal((del.Failed ?? []).length, 0);
  assert.deepEqual(await counts(sqs, url), { visible: 2, inFlight: 0, delayed: 0 });
});

define(
  'timing: visibility timeout, delays, retention, receive counts (injected clock)',
  async (sqs, env) => {
    const clock = env.clock as ManualClock;
    const url = await queue(sqs, 't', { VisibilityTimeout: '10', MessageRetentionPeriod: '120' });
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'a' });
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'later', DelaySeconds: 5 });
    assert.deepEqual(await counts(sqs, url), { visible: 1, inFlight: 0, delayed: 1 });
    const first = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10, AttributeNames: ['All'] });
    assert.deepEqual(first.Messages.map((m: any) => m.Body), ['a']);
    assert.equal(first.Messages[0].Attributes.ApproximateFirstReceiveTimestamp, String(clock.now()));
    const firstReceive = clock.now();
    assert.equal((await sqs.call('ReceiveMessage', { QueueUrl: url })).Messages, undefined);
    await clock.advance(5_000);
    assert.deepEqual((await sqs.call('ReceiveMessage', { QueueUrl: url })).Messages.map((m: any) => m.Body), ['later']);
    await clock.advance(5_000);
    const again = await sqs.call('ReceiveMessage', { QueueUrl: url, AttributeNames: ['All'] });
    assert.equal(again.Messages[0].Body, 'a');
    assert.equal(again.Messages[0].Attributes.ApproximateReceiveCount, '2');
    assert.equal(again.Messages[0].Attributes.ApproximateFirstReceiveTimestamp, String(firstReceive));
    // the first receipt handle is stale now: deleting with it leaves the message
    await sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: first.Messages[0].ReceiptHandle });
    assert.equal((await counts(sqs, url)).inFlight, 2);
    const stale = await sqs.error('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: first.Messages[0].ReceiptHandle, VisibilityTimeout: 0 });
    assert.equal(stale.code, 'InvalidParameterValue');
    await sqs.call('ChangeMessageVisibility', { QueueUrl: url, ReceiptHandle: again.Messages[0].ReceiptHandle, VisibilityTimeout: 0 });
    assert.equal((await counts(sqs, url)).visible, 1);
    // retention: everything is older than 120 s after this
    await clock.advance(121_000);
    assert.deepEqual(await counts(sqs, url), { visible: 0, inFlight: 0, delayed: 0 });
    assert.equal((await sqs.call('ReceiveMessage', { QueueUrl: url })).Messages, undefined);
  },
  { clock: () => new ManualClock() },
);

define(
  'long polling returns as soon as a message arrives',
  async (sqs, env) => {
    const clock = env.clock as ManualClock;
    const url = await queue(sqs, 'lp');
    const started = Date.now();
    const pending = sqs.call('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 20 });
    await new Promise((r) => setTimeout(r, 50));
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'wake' });
    const got = await pending;
    assert.equal(got.Messages[0].Body, 'wake');
    assert.ok(Date.now() - started < 2000);
    // a delayed message wakes the poller when it falls due; an empty wait ends at the deadline
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'delayed', DelaySeconds: 3 });
    const p2 = sqs.call('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 10 });
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(3_000);
    assert.equal((await p2).Messages[0].Body, 'delayed');
    const p3 = sqs.call('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 1 });
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(1_000);
    assert.equal((await p3).Messages, undefined);
  },
  { clock: () => new ManualClock() },
);

define('FIFO: group ordering, blocked groups, deduplication, sequence numbers, attempt ids', async (sqs, env) => {
  const url = await queue(sqs, 'f.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
  const s1 = await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g1' });
  const s2 = await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'two', MessageGroupId: 'g1' });
  const dup = await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'two', MessageGroupId: 'g1' });
  assert.equal(dup.MessageId, s2.MessageId);
  assert.ok(BigInt(s2.SequenceNumber) > BigInt(s1.SequenceNumber));
  assert.match(s1.SequenceNumber, /^\d{20}$/);
  await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'three', MessageGroupId: 'g1', MessageDeduplicationId: 'explicit' });
  await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'other', MessageGroupId: 'g2' });
  assert.equal((await sqs.error('SendMessage', { QueueUrl: url, MessageBody: 'x' })).code, 'MissingParameter');
  assert.equal((await sqs.error('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g', DelaySeconds: 5 })).code, 'InvalidParameterValue');
  const first = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 2, ReceiveRequestAttemptId: 'attempt-1', AttributeNames: ['All'] });
  assert.deepEqual(first.Messages.map((m: any) => m.Body), ['one', 'two']);
  assert.equal(first.Messages[0].Attributes.MessageGroupId, 'g1');
  assert.equal(first.Messages[0].Attributes.SequenceNumber, s1.SequenceNumber);
  assert.equal(first.Messages[0].Attributes.MessageDeduplicationId, crypto.createHash('sha256').update('one').digest('hex'));
  // a retry with the same attempt id gets the same messages and handles
  const retry = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 2, ReceiveRequestAttemptId: 'attempt-1' });
  assert.deepEqual(retry.Messages.map((m: any) => m.ReceiptHandle), first.Messages.map((m: any) => m.ReceiptHandle));
  // g1 is blocked while 'one' and 'two' are in flight: only g2 comes
  const next = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
  assert.deepEqual(next.Messages.map((m: any) => m.Body), ['other']);
  for (const m of first.Messages) await sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
  const last = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
  assert.deepEqual(last.Messages.map((m: any) => m.Body), ['three']);
  // dedup window outlives the message: 'one' again is still a duplicate
  await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'one', MessageGroupId: 'g1' });
  await sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: last.Messages[0].ReceiptHandle });
  assert.equal((await counts(sqs, url)).visible, 0);
  const explicit = await queue(sqs, 'e.fifo', { FifoQueue: 'true' });
  const noDedup = await sqs.error('SendMessage', { QueueUrl: explicit, MessageBody: 'x', MessageGroupId: 'g' });
  assert.equal(noDedup.code, 'InvalidParameterValue');
  assert.equal((await sqs.call('GetQueueAttributes', { QueueUrl: explicit, AttributeNames: ['All'] })).Attributes.DeduplicationScope, 'queue');
  const e = await sqs.error('SetQueueAttributes', { QueueUrl: explicit, Attributes: { FifoThroughputLimit: 'perMessageGroupId' } });
  assert.equal(e.code, 'InvalidParameterValue');
  await sqs.call('SetQueueAttributes', { QueueUrl: explicit, Attributes: { DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' } });
  void env;
});

define(
  'FIFO deduplication interval is 5 minutes',
  async (sqs, env) => {
    const clock = env.clock as ManualClock;
    const url = await queue(sqs, 'd.fifo', { FifoQueue: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    const a = await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g1', MessageDeduplicationId: 'd' });
    const b = await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g2', MessageDeduplicationId: 'd' });
    assert.notEqual(a.MessageId, b.MessageId); // scope: message group
    await clock.advance(299_000);
    assert.equal((await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g1', MessageDeduplicationId: 'd' })).MessageId, a.MessageId);
    await clock.advance(2_000);
    assert.notEqual((await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g1', MessageDeduplicationId: 'd' })).MessageId, a.MessageId);
    assert.equal((await counts(sqs, url)).visible, 3);
  },
  { clock: () => new ManualClock() },
);

define(
  'dead-letter queues: redrive on the receive that exceeds maxReceiveCount, move tasks back',
  async (sqs, env) => {
    const clock = env.clock as ManualClock;
    const dlq = await queue(sqs, 'dlq');
    const dlqArn = await arnOf(sqs, dlq);
    const src = await queue(sqs, 'src', { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) });
    const srcArn = await arnOf(sqs, src);
    assert.equal((await sqs.call('GetQueueAttributes', { QueueUrl: src, AttributeNames: ['RedrivePolicy'] })).Attributes.RedrivePolicy, `{"deadLetterTargetArn":"${dlqArn}","maxReceiveCount":2}`);
    assert.deepEqual((await sqs.call('ListDeadLetterSourceQueues', { QueueUrl: dlq })).queueUrls, [src]);
    await sqs.call('SendMessage', { QueueUrl: src, MessageBody: 'poison' });
    for (let i = 0; i < 2; i++) {
      assert.equal((await sqs.call('ReceiveMessage', { QueueUrl: src })).Messages.length, 1);
      await clock.advance(1_000);
    }
    assert.equal((await sqs.call('ReceiveMessage', { QueueUrl: src })).Messages, undefined);
    const moved = await sqs.call('ReceiveMessage', { QueueUrl: dlq, MessageSystemAttributeNames: ['All'], VisibilityTimeout: 0 });
    assert.equal(moved.Messages[0].Body, 'poison');
    assert.equal(moved.Messages[0].Attributes.DeadLetterQueueSourceArn, srcArn);
    // errors: missing DLQ, type mismatch, RedriveAllowPolicy
    const missing = await sqs.error('SetQueueAttributes', { QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:nope', maxReceiveCount: 1 }) } });
    assert.equal(missing.code, 'InvalidParameterValue');
    const badCount = await sqs.error('SetQueueAttributes', { QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 0 }) } });
    assert.equal(badCount.code, 'InvalidParameterValue');
    const fifoDlq = await queue(sqs, 'fdlq.fifo', { FifoQueue: 'true' });
    const mismatch = await sqs.error('SetQueueAttributes', { QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(sqs, fifoDlq), maxReceiveCount: 1 }) } });
    assert.equal(mismatch.code, 'InvalidParameterValue');
    const strict = await queue(sqs, 'strict', { RedriveAllowPolicy: JSON.stringify({ redrivePermission: 'denyAll' }) });
    const denied = await sqs.error('SetQueueAttributes', { QueueUrl: src, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(sqs, strict), maxReceiveCount: 1 }) } });
    assert.equal(denied.code, 'InvalidParameterValue');

    // move task: back to the source queue
    const notDlq = await sqs.error('StartMessageMoveTask', { SourceArn: srcArn });
    assert.equal(notDlq.code, 'InvalidParameterValue');
    const { TaskHandle } = await sqs.call('StartMessageMoveTask', { SourceArn: dlqArn });
    assert.ok(TaskHandle);
    await clock.advance(0);
    const tasks = await sqs.call('ListMessageMoveTasks', { SourceArn: dlqArn, MaxResults: 10 });
    assert.equal(tasks.Results[0].Status, 'COMPLETED');
    assert.equal(tasks.Results[0].ApproximateNumberOfMessagesMoved, 1);
    const back = await sqs.call('ReceiveMessage', { QueueUrl: src });
    assert.equal(back.Messages[0].Body, 'poison');
    assert.equal((await sqs.error('CancelMessageMoveTask', { TaskHandle })).code, 'AWS.SimpleQueueService.UnsupportedOperation');
  },
  { clock: () => new ManualClock() },
);

define(
  'move tasks at a rate, to a given destination, and cancelled',
  async (sqs, env) => {
    const clock = env.clock as ManualClock;
    const dlq = await queue(sqs, 'dlq2');
    const dlqArn = await arnOf(sqs, dlq);
    await queue(sqs, 'src2', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) });
    const dest = await queue(sqs, 'dest2');
    await sqs.call('SendMessageBatch', { QueueUrl: dlq, Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: `b${i}` })) });
    const { TaskHandle } = await sqs.call('StartMessageMoveTask', { SourceArn: dlqArn, DestinationArn: await arnOf(sqs, dest), MaxNumberOfMessagesPerSecond: 2 });
    assert.equal((await sqs.error('StartMessageMoveTask', { SourceArn: dlqArn })).code, 'AWS.SimpleQueueService.UnsupportedOperation');
    await clock.advance(0);
    assert.equal((await counts(sqs, dest)).visible, 2);
    await clock.advance(1_000);
    assert.equal((await counts(sqs, dest)).visible, 4);
    const running = await sqs.call('ListMessageMoveTasks', { SourceArn: dlqArn });
    assert.equal(running.Results[0].Status, 'RUNNING');
    assert.equal(running.Results[0].TaskHandle, TaskHandle);
    assert.equal(running.Results[0].ApproximateNumberOfMessagesToMove, 5);
    assert.equal((await sqs.call('CancelMessageMoveTask', { TaskHandle })).ApproximateNumberOfMessagesMoved, 4);
    await clock.advance(5_000);
    assert.equal((await counts(sqs, dest)).visible, 4);
    assert.equal((await counts(sqs, dlq)).visible, 1);
  },
  { clock: () => new ManualClock() },
);

define(
  'purge: deletes everything, a second purge within 60 s is PurgeQueueInProgress',
  async (sqs, env) => {
    const clock = env.clock as ManualClock;
    const url = await queue(sqs, 'p');
    await sqs.call('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a', MessageBody: 'a' }, { Id: 'b', MessageBody: 'b' }] });
    await sqs.call('PurgeQueue', { QueueUrl: url });
    assert.equal((await counts(sqs, url)).visible, 0);
    const e = await sqs.error('PurgeQueue', { QueueUrl: url });
    assert.equal(e.code, 'AWS.SimpleQueueService.PurgeQueueInProgress');
    assert.equal(e.status, 403);
    await clock.advance(60_000);
    await sqs.call('PurgeQueue', { QueueUrl: url });
  },
  { clock: () => new ManualClock() },
);

define('no duplicate delivery under 16 concurrent receivers', async (sqs) => {
  const url = await queue(sqs, 'c');
  for (let b = 0; b < 10; b++) await sqs.call('SendMessageBatch', { QueueUrl: url, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `${b}-${i}` })) });
  const seen: string[] = [];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (;;) {
        const r = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
        if (!r.Messages) return;
        for (const m of r.Messages) seen.push(m.Body);
      }
    }),
  );
  assert.equal(seen.length, 100);
  assert.equal(new Set(seen).size, 100);
});

/** The attribute digest as the SQS developer guide spells it, written out byte by byte. */
function md5OfAttributesBySpec(attrs: Record<string, { DataType: string; StringValue?: string; BinaryValue?: Buffer }>): string {
  const bytes: number[] = [];
  const u32 = (n: number) => bytes.push((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  const field = (b: Buffer) => {
    u32(b.length);
    bytes.push(...b);
  };
  for (const name of Object.keys(attrs).sort()) {
    const a = attrs[name];
    field(Buffer.from(name));
    field(Buffer.from(a.DataType));
    if (a.BinaryValue) {
      bytes.push(2);
      field(a.BinaryValue);
    } else {
      bytes.push(1);
      field(Buffer.from(a.StringValue!));
    }
  }
  return md5(Buffer.from(bytes));
}

// JSON only: the SDK v3 maps __type to its modelled error classes (query has no such mapping).
test('json: SDK v3 error classes and query-compatible codes', async () => {
  const SQS = await import('@aws-sdk/client-sqs');
  const { startNimbus } = await import('../helpers/server.js');
  const n = await startNimbus();
  try {
    const c = new SQS.SQSClient({ ...n.clientConfig, maxAttempts: 1 });
    const { QueueUrl } = await c.send(new SQS.CreateQueueCommand({ QueueName: 'errs' }));
    const fail = (p: Promise<unknown>) => p.then(() => assert.fail('expected an error'), (e) => e);
    const missing = await fail(c.send(new SQS.GetQueueUrlCommand({ QueueName: 'none' })));
    assert.ok(missing instanceof SQS.QueueDoesNotExist);
    assert.equal(missing.$metadata.httpStatusCode, 400);
    assert.equal((missing as { Code?: string }).Code, 'AWS.SimpleQueueService.NonExistentQueue');
    assert.ok((await fail(c.send(new SQS.DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'x' })))) instanceof SQS.ReceiptHandleIsInvalid);
    assert.ok((await fail(c.send(new SQS.CreateQueueCommand({ QueueName: 'errs', Attributes: { DelaySeconds: '3' } })))) instanceof SQS.QueueNameExists);
    assert.ok((await fail(c.send(new SQS.SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'x' }] })))) instanceof SQS.BatchEntryIdsNotDistinct);
    await c.send(new SQS.PurgeQueueCommand({ QueueUrl }));
    assert.ok((await fail(c.send(new SQS.PurgeQueueCommand({ QueueUrl })))) instanceof SQS.PurgeQueueInProgress);
    const invalid = await fail(c.send(new SQS.SendMessageCommand({ QueueUrl, MessageBody: 'x', DelaySeconds: 901 })));
    assert.equal(invalid.name, 'InvalidParameterValue');
    assert.equal(invalid.message, 'Value 901 for parameter DelaySeconds is invalid. Reason: Must be >= 0 and <= 900.');
  } finally {
    await n.close();
  }
});
