// SQS -> Lambda event source mappings, through the real SDK clients against a real server.
// Handlers append what they receive to a file, so the tests observe invocations directly; the
// developer endpoint /_nimbus/lambda/event-source-mappings/<uuid>/drained replaces sleeps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import {
  LambdaClient,
  CreateFunctionCommand,
  CreateEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  UpdateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  waitUntilFunctionActiveV2,
} from '@aws-sdk/client-lambda';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startNimbus, type TestNimbus } from '../helpers/server.js';

let nimbus: TestNimbus;
let lambda: LambdaClient;
let sqs: SQSClient;
let tmp: string;
let n = 0;

before(async () => {
  nimbus = await startNimbus();
  lambda = new LambdaClient(nimbus.clientConfig);
  sqs = new SQSClient(nimbus.clientConfig);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-esm-'));
});
after(async () => {
  await nimbus.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A node handler that appends each event's bodies as one JSON line to $OUT, then runs `tail`. */
async function recordingFunction(tail = 'return {};', timeout = 3): Promise<{ name: string; arn: string; out: string }> {
  const name = `esm-fn-${++n}`;
  const out = path.join(tmp, `${name}.jsonl`);
  const zip = new AdmZip();
  zip.addFile(
    'index.js',
    Buffer.from(`const fs = require('fs');
let active = 0, peak = 0;
exports.handler = async (event) => {
  active++; peak = Math.max(peak, active);
  fs.appendFileSync(process.env.OUT, JSON.stringify({ bodies: event.Records.map(r => r.body), ids: event.Records.map(r => r.messageId), record: event.Records[0] }) + '\\n');
  try { ${tail} } finally { active--; }
};`),
  );
  const r = await lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/r', Code: { ZipFile: zip.toBuffer() }, Timeout: timeout, Environment: { Variables: { OUT: out } } }),
  );
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: name });
  return { name, arn: r.FunctionArn!, out };
}

function lines(file: string): { bodies: string[]; ids: string[]; record: any }[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

async function queue(name: string, attributes: Record<string, string> = {}) {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return { url, arn };
}

async function drained(uuid: string, timeoutMs = 10_000): Promise<void> {
  const r = await fetch(`${nimbus.endpoint}/_nimbus/lambda/event-source-mappings/${uuid}/drained?timeoutMs=${timeoutMs}`);
  assert.equal(r.status, 200, `mapping ${uuid} not drained: ${await r.text()}`);
}

async function enabled(uuid: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const m = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (m.State === 'Enabled') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('mapping never Enabled');
}

test('a mapping delivers the SQS event shape, batches by size, and deletes what succeeded', async () => {
  const fn = await recordingFunction();
  const q = await queue('esm-basic');
  const created = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 5 }));
  assert.equal(created.State, 'Creating');
  assert.equal(created.BatchSize, 5);
  assert.equal(created.FunctionArn, fn.arn);
  await enabled(created.UUID!);
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: [1, 2, 3, 4, 5].map((i) => ({ Id: `m${i}`, MessageBody: `body-${i}`, MessageAttributes: { colour: { DataType: 'String', StringValue: 'red' } } })) }));
  await drained(created.UUID!);
  const got = lines(fn.out);
  assert.deepEqual(got.flatMap((l) => l.bodies).sort(), ['body-1', 'body-2', 'body-3', 'body-4', 'body-5']);
  assert.ok(got.length <= 5);
  const rec = got[0].record;
  assert.equal(rec.eventSource, 'aws:sqs');
  assert.equal(rec.eventSourceARN, q.arn);
  assert.equal(rec.awsRegion, 'us-east-1');
  assert.equal(rec.attributes.ApproximateReceiveCount, '1');
  assert.match(rec.attributes.SentTimestamp, /^\d+$/);
  assert.equal(rec.messageAttributes.colour.stringValue, 'red');
  assert.equal(rec.messageAttributes.colour.dataType, 'String');
  assert.match(rec.md5OfBody, /^[0-9a-f]{32}$/);
  assert.match(rec.md5OfMessageAttributes, /^[0-9a-f]{32}$/);
  const m = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
  assert.equal(m.State, 'Enabled');
  assert.equal(m.LastProcessingResult, 'OK');
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
});

test('a batching window gathers messages sent one by one into one invocation', async () => {
  const fn = await recordingFunction();
  const q = await queue('esm-window');
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 50, MaximumBatchingWindowInSeconds: 1, ScalingConfig: { MaximumConcurrency: 2 } }));
  await enabled(m.UUID!);
  for (let i = 0; i < 12; i++) await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: `w${i}` }));
  await drained(m.UUID!);
  const got = lines(fn.out);
  assert.equal(got.flatMap((l) => l.bodies).length, 12);
  assert.ok(got.length <= 3, `expected the window to batch, got ${got.length} invocations`);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('ReportBatchItemFailures keeps only the reported items on the queue', async () => {
  const fn = await recordingFunction(`return { batchItemFailures: event.Records.filter(r => r.body === 'bad').map(r => ({ itemIdentifier: r.messageId })) };`);
  const q = await queue('esm-partial', { VisibilityTimeout: '30' });
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumBatchingWindowInSeconds: 1 }));
  await enabled(m.UUID!);
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: ['a', 'bad', 'c'].map((b, i) => ({ Id: `e${i}`, MessageBody: b })) }));
  for (let i = 0; i < 100 && lines(fn.out).flatMap((l) => l.bodies).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['All'] }))).Attributes!;
  assert.equal(Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible), 1);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('a failing function leaves messages for the queue redrive policy to move to the DLQ', async () => {
  const fn = await recordingFunction(`throw new Error('poison');`, 1);
  const dlq = await queue('esm-dlq');
  const q = await queue('esm-src', { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 1 }));
  await enabled(m.UUID!);
  await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'poison' }));
  await drained(m.UUID!, 15_000);
  assert.equal(lines(fn.out).length, 2, 'invoked once per receive up to maxReceiveCount');
  const moved = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1 }));
  assert.equal(moved.Messages?.[0]?.Body, 'poison');
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('messages that match no filter are deleted without an invocation', async () => {
  const fn = await recordingFunction();
  const q = await queue('esm-filter');
  const m = await lambda.send(
    new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 1, FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ['order'] } }) }] } }),
  );
  await enabled(m.UUID!);
  await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify({ kind: 'order', id: 1 }) }));
  await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify({ kind: 'refund', id: 2 }) }));
  await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'not json' }));
  await drained(m.UUID!);
  assert.deepEqual(lines(fn.out).flatMap((l) => l.bodies), [JSON.stringify({ kind: 'order', id: 1 })]);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('a disabled mapping does not poll; enabling it resumes', async () => {
  const fn = await recordingFunction();
  const q = await queue('esm-toggle');
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 1, Enabled: false }));
  assert.equal(m.State, 'Disabled');
  await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'waiting' }));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(lines(fn.out).length, 0);
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes!;
  assert.equal(a.ApproximateNumberOfMessages, '1');
  const u = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: true }));
  assert.equal(u.State, 'Updating');
  await enabled(m.UUID!);
  await drained(m.UUID!);
  assert.deepEqual(lines(fn.out).flatMap((l) => l.bodies), ['waiting']);
  const list = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: fn.name }));
  assert.deepEqual(list.EventSourceMappings?.map((x) => x.UUID), [m.UUID]);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('AWS validation: batch size over 10 needs a window, duplicates conflict, unknown mappings are not found', async () => {
  const fn = await recordingFunction();
  const q = await queue('esm-validate');
  await assert.rejects(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 100 })), (e: any) => e.name === 'InvalidParameterValueException');
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn }));
  await assert.rejects(lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn })), (e: any) => e.name === 'ResourceConflictException' && e.message.includes(m.UUID!));
  await assert.rejects(lambda.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-0000-0000-000000000000' })), (e: any) => e.name === 'ResourceNotFoundException' && e.$metadata.httpStatusCode === 404);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('FIFO: a failed message blocks the rest of its group, so order holds across retries', async () => {
  const name = `esm-fifo-${++n}`;
  const out = path.join(tmp, `${name}.jsonl`);
  const failedOnce = path.join(tmp, `${name}.failed`);
  const zip = new AdmZip();
  zip.addFile(
    'index.js',
    Buffer.from(`const fs = require('fs');
exports.handler = async (event) => {
  for (const r of event.Records) {
    if (r.body === 'b' && !fs.existsSync(process.env.FAILED)) { fs.writeFileSync(process.env.FAILED, '1'); throw new Error('first try of b fails'); }
    fs.appendFileSync(process.env.OUT, JSON.stringify({ bodies: [r.body], ids: [r.messageId], record: r }) + '\\n');
  }
};`),
  );
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/r', Code: { ZipFile: zip.toBuffer() }, Timeout: 1, Environment: { Variables: { OUT: out, FAILED: failedOnce } } }));
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: name });
  const q = await queue('esm-order.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '1' });
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: name, EventSourceArn: q.arn, BatchSize: 1 }));
  await enabled(m.UUID!);
  for (const b of ['a', 'b', 'c', 'd']) await sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: b, MessageGroupId: 'g' }));
  await drained(m.UUID!, 15_000);
  assert.ok(fs.existsSync(failedOnce), 'b failed once');
  const got = lines(out);
  assert.deepEqual(got.flatMap((l) => l.bodies), ['a', 'b', 'c', 'd']);
  assert.equal(got[1].record.attributes.MessageGroupId, 'g');
  assert.match(got[1].record.attributes.SequenceNumber, /^\d+$/);
  assert.equal(got[1].record.attributes.ApproximateReceiveCount, '2');
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});

test('ScalingConfig.MaximumConcurrency caps concurrent invocations of a mapping', async () => {
  const fn = await recordingFunction(`fs.appendFileSync(process.env.OUT + '.spans', JSON.stringify([Date.now(), (await new Promise(r => setTimeout(r, 250)), Date.now())]) + '\\n'); return {};`);
  const q = await queue('esm-concurrency');
  const m = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: fn.name, EventSourceArn: q.arn, BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } }));
  await enabled(m.UUID!);
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: [0, 1, 2, 3, 4, 5].map((i) => ({ Id: `c${i}`, MessageBody: `c${i}` })) }));
  await drained(m.UUID!, 15_000);
  const spans = fs.readFileSync(fn.out + '.spans', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [number, number]);
  assert.equal(spans.length, 6);
  let peak = 0;
  for (const [s] of spans) peak = Math.max(peak, spans.filter(([a, b]) => a <= s && s < b).length);
  assert.equal(peak, 2, `peak concurrency ${peak}`);
  await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
});
