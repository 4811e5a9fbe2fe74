// A mapping and its messages survive a restart with persistence on: nothing lost, nothing twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { LambdaClient, CreateFunctionCommand, CreateEventSourceMappingCommand, GetEventSourceMappingCommand, waitUntilFunctionActiveV2 } from '@aws-sdk/client-lambda';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startNimbus } from '../helpers/server.js';

test('a mapping keeps draining its queue after a restart mid-stream, without losses or duplicates', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-esm-restart-'));
  const out = path.join(dataDir, 'seen.txt');
  let nimbus = await startNimbus({ dataDir });
  let lambda = new LambdaClient(nimbus.clientConfig);
  let sqs = new SQSClient(nimbus.clientConfig);
  const zip = new AdmZip();
  zip.addFile('index.js', Buffer.from(`const fs = require('fs');
exports.handler = async (e) => { await new Promise(r => setTimeout(r, 20)); for (const r of e.Records) fs.appendFileSync(process.env.OUT, r.body + '\\n'); };`));
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'restart-fn', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/r', Code: { ZipFile: zip.toBuffer() }, Environment: { Variables: { OUT: out } } }));
  await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: 'restart-fn' });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'restart-q' }));
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const { UUID } = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'restart-fn', EventSourceArn: arn, BatchSize: 2 }));
  const bodies = Array.from({ length: 60 }, (_, i) => `m${i}`);
  for (let i = 0; i < 30; i += 10) await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.slice(i, i + 10).map((b) => ({ Id: b, MessageBody: b })) }));
  await nimbus.close();

  nimbus = await startNimbus({ dataDir });
  lambda = new LambdaClient(nimbus.clientConfig);
  sqs = new SQSClient(nimbus.clientConfig);
  const m = await lambda.send(new GetEventSourceMappingCommand({ UUID }));
  assert.equal(m.State, 'Enabled');
  for (let i = 30; i < 60; i += 10) await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.slice(i, i + 10).map((b) => ({ Id: b, MessageBody: b })) }));
  const r = await fetch(`${nimbus.endpoint}/_nimbus/lambda/event-source-mappings/${UUID}/drained?timeoutMs=20000`);
  assert.equal(r.status, 200, await r.text());
  await nimbus.close();
  const seen = fs.readFileSync(out, 'utf8').trim().split('\n');
  assert.deepEqual([...seen].sort(), [...bodies].sort(), 'every message processed exactly once');
  fs.rmSync(dataDir, { recursive: true, force: true });
});
