// The ceiling must answer every workload with a response the real SDK v3 clients accept
// (SQS's MD5 checks included), or the bench would compare Nimbus against errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PublishCommand } from '@aws-sdk/client-sns';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CEILING_MESSAGE_BODY, createCeilingServer } from '../../bench/ceiling.js';
import { createClients, type Clients } from '../../bench/harness/clients.js';

let server: http.Server;
let clients: Clients;
let endpoint: string;

before(async () => {
  server = createCeilingServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  clients = createClients(endpoint);
});

after(async () => {
  clients.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('health answers 200 JSON', async () => {
  const res = await fetch(`${endpoint}/_nimbus/health`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, 'ok');
});

test('STS GetCallerIdentity parses', async () => {
  const out = await clients.sts.send(new GetCallerIdentityCommand({}));
  assert.equal(out.Account, '000000000000');
  assert.equal(out.Arn, 'arn:aws:iam::000000000000:root');
});

test('SQS answers pass the SDK MD5 checks for the fixed body', async () => {
  const QueueUrl = `${endpoint}/000000000000/ceiling`;
  const sent = await clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: CEILING_MESSAGE_BODY }));
  assert.ok(sent.MessageId);
  const batch = await clients.sqs.send(
    new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: CEILING_MESSAGE_BODY })) }),
  );
  assert.equal(batch.Successful?.length, 10);
  const got = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  assert.equal(got.Messages?.length, 10);
  assert.equal(got.Messages?.[0].Body, CEILING_MESSAGE_BODY);
  const del = await clients.sqs.send(
    new DeleteMessageBatchCommand({ QueueUrl, Entries: got.Messages!.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }),
  );
  assert.equal(del.Successful?.length, 10);
});

test('SQS SendMessage with another body fails the SDK MD5 check (the check is live)', async () => {
  await assert.rejects(clients.sqs.send(new SendMessageCommand({ QueueUrl: `${endpoint}/000000000000/ceiling`, MessageBody: 'other' })), /InvalidChecksum/);
});

test('SNS Publish parses', async () => {
  const out = await clients.sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:ceiling', Message: 'x' }));
  assert.ok(out.MessageId);
});

test('Lambda Invoke, async Invoke, CreateFunction, GetFunction, ListFunctions parse', async () => {
  const sync = await clients.lambda.send(new InvokeCommand({ FunctionName: 'f', Payload: Buffer.from('{}') }));
  assert.equal(sync.StatusCode, 200);
  assert.deepEqual(JSON.parse(Buffer.from(sync.Payload!).toString()), { ok: true });
  const event = await clients.lambda.send(new InvokeCommand({ FunctionName: 'f', InvocationType: 'Event' }));
  assert.equal(event.StatusCode, 202);
  const created = await clients.lambda.send(
    new CreateFunctionCommand({ FunctionName: 'f', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/r', Handler: 'index.handler', Code: { ZipFile: Buffer.alloc(100) } }),
  );
  assert.equal(created.State, 'Active');
  const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: 'f' }));
  assert.equal(got.Configuration?.Runtime, 'nodejs20.x');
  const list = await clients.lambda.send(new ListFunctionsCommand({}));
  assert.equal(list.Functions?.length, 50);
});

test('S3 PutObject (aws-chunked with a checksum trailer) gets an ETag', async () => {
  const out = await clients.s3.send(new PutObjectCommand({ Bucket: 'ceiling', Key: 'k', Body: Buffer.alloc(4096) }));
  assert.match(out.ETag ?? '', /^"[0-9a-f]{32}"$/);
});
