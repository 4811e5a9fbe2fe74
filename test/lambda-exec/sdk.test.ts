// Through a real server and the real SDK: invoke types and headers, errors, throttling, a
// handler calling SQS through AWS_ENDPOINT_URL, function URLs with fetch, CloudWatch Logs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { LambdaClient, CreateFunctionCommand, InvokeCommand, InvokeWithResponseStreamCommand, PutFunctionConcurrencyCommand, DeleteFunctionConcurrencyCommand, CreateFunctionUrlConfigCommand, UpdateFunctionCodeCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { SQSClient, ReceiveMessageCommand, CreateQueueCommand } from '@aws-sdk/client-sqs';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startNimbus, type TestNimbus } from '../helpers/server.js';
import { zipOf } from './helpers.js';

let nimbus: TestNimbus;
let lambda: LambdaClient;
let sqs: SQSClient;
const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

before(async () => {
  nimbus = await startNimbus();
  lambda = new LambdaClient(nimbus.clientConfig);
  sqs = new SQSClient(nimbus.clientConfig);
});
after(async () => {
  lambda?.destroy();
  sqs?.destroy();
  await nimbus?.close();
});

async function createFn(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zipOf(files) }, ...extra }));
  for (let i = 0; i < 50; i++) {
    const f = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    if (f.Configuration?.State === 'Active' && f.Configuration.LastUpdateStatus !== 'InProgress') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const text = (p?: Uint8Array) => Buffer.from(p ?? []).toString('utf8');

test('Invoke over the wire: payload, Tail log, FunctionError, Event 202, DryRun 204', async () => {
  await createFn('wire-echo', { 'index.mjs': 'export const handler = async (e) => { console.log("wire-log"); if (e.fail) throw new Error("bad"); return { got: e }; };' });
  const r = await lambda.send(new InvokeCommand({ FunctionName: 'wire-echo', Payload: Buffer.from('{"x":1}'), LogType: 'Tail' }));
  assert.equal(r.StatusCode, 200);
  assert.equal(r.ExecutedVersion, '$LATEST');
  assert.deepEqual(JSON.parse(text(r.Payload)), { got: { x: 1 } });
  assert.match(Buffer.from(r.LogResult!, 'base64').toString(), /wire-log/);
  const bad = await lambda.send(new InvokeCommand({ FunctionName: 'wire-echo', Payload: Buffer.from('{"fail":true}') }));
  assert.equal(bad.StatusCode, 200);
  assert.equal(bad.FunctionError, 'Unhandled');
  assert.equal(JSON.parse(text(bad.Payload)).errorMessage, 'bad');
  const ev = await lambda.send(new InvokeCommand({ FunctionName: 'wire-echo', InvocationType: 'Event', Payload: Buffer.from('{}') }));
  assert.equal(ev.StatusCode, 202);
  const dry = await lambda.send(new InvokeCommand({ FunctionName: 'wire-echo', InvocationType: 'DryRun' }));
  assert.equal(dry.StatusCode, 204);
});

test('reserved concurrency 0 throttles with TooManyRequestsException', async () => {
  await createFn('wire-conc', { 'index.mjs': 'export const handler = async () => 1;' });
  await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'wire-conc', ReservedConcurrentExecutions: 0 }));
  await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'wire-conc' })), (e: Error & { Reason?: string; $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(e.name, 'TooManyRequestsException');
    assert.equal(e.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.equal(e.$metadata?.httpStatusCode, 429);
    return true;
  });
  await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'wire-conc' }));
  assert.equal(text((await lambda.send(new InvokeCommand({ FunctionName: 'wire-conc' }))).Payload), '1');
});

test('a handler reaches SQS through AWS_ENDPOINT_URL with no configuration', async () => {
  const q = await sqs.send(new CreateQueueCommand({ QueueName: 'from-lambda' }));
  await createFn('wire-sqs', {
    'index.mjs': `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
      const sqs = new SQSClient({});
      export const handler = async (e) => { const r = await sqs.send(new SendMessageCommand({ QueueUrl: e.url, MessageBody: 'hello from lambda' })); return r.MessageId; };`,
  });
  const r = await lambda.send(new InvokeCommand({ FunctionName: 'wire-sqs', Payload: Buffer.from(JSON.stringify({ url: q.QueueUrl })) }));
  assert.equal(r.FunctionError, undefined, text(r.Payload));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.QueueUrl, WaitTimeSeconds: 1 }));
  assert.equal(got.Messages?.[0]?.Body, 'hello from lambda');
});

test('a python handler reaches SQS with boto3 and no configuration', async () => {
  const q = await sqs.send(new CreateQueueCommand({ QueueName: 'from-python' }));
  await createFn('wire-boto', { 'app.py': 'import boto3\nsqs = boto3.client("sqs")\ndef handler(e, c):\n    return sqs.send_message(QueueUrl=e["url"], MessageBody="hello from boto3")["MessageId"]\n' }, { Runtime: 'python3.11', Handler: 'app.handler' });
  const r = await lambda.send(new InvokeCommand({ FunctionName: 'wire-boto', Payload: Buffer.from(JSON.stringify({ url: q.QueueUrl })) }));
  assert.equal(r.FunctionError, undefined, text(r.Payload));
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.QueueUrl, WaitTimeSeconds: 1 }));
  assert.equal(got.Messages?.[0]?.Body, 'hello from boto3');
});

test('function URL over HTTP with fetch', async () => {
  await createFn('wire-url', { 'index.mjs': 'export const handler = async (e) => ({ statusCode: 201, headers: { "x-test": "yes" }, body: JSON.stringify({ path: e.rawPath, q: e.queryStringParameters, method: e.requestContext.http.method, body: e.body }) });' });
  const cfg = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'wire-url', AuthType: 'NONE' }));
  const urlId = new URL(cfg.FunctionUrl!).hostname.split('.')[0];
  const res = await fetch(`${nimbus.endpoint}/_aws/lambda-url/${urlId}/some/path?k=v`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'payload' });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('x-test'), 'yes');
  assert.deepEqual(await res.json(), { path: '/some/path', q: { k: 'v' }, method: 'POST', body: 'payload' });
  // The URL's own host (<url-id>.lambda-url.<region>.localhost): curl and browsers resolve
  // *.localhost to the loopback; node's resolver does not, so connect to it and send the Host.
  const u = new URL(cfg.FunctionUrl!);
  assert.match(u.hostname, /^[a-z0-9]+\.lambda-url\.us-east-1\.localhost$/);
  const status = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: nimbus.port, path: '/x', headers: { host: u.host } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
  assert.equal(status, 201);
});

test('code update retires warm environments; each invocation\'s log reaches CloudWatch Logs', async () => {
  await createFn('wire-upd', { 'index.mjs': 'export const handler = async () => { console.log("v1-ran"); return "v1"; };' });
  assert.equal(text((await lambda.send(new InvokeCommand({ FunctionName: 'wire-upd' }))).Payload), '"v1"');
  await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'wire-upd', ZipFile: zipOf({ 'index.mjs': 'export const handler = async () => "v2";' }) }));
  let out = '';
  for (let i = 0; i < 50 && out !== '"v2"'; i++) {
    out = text((await lambda.send(new InvokeCommand({ FunctionName: 'wire-upd' }))).Payload);
    if (out !== '"v2"') await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(out, '"v2"');
  const logs = new CloudWatchLogsClient(nimbus.clientConfig);
  try {
    let found = false;
    for (let i = 0; i < 20 && !found; i++) {
      const r = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/wire-upd' })).catch(() => undefined);
      found = !!r?.events?.some((e) => e.message?.includes('v1-ran'));
      if (!found) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(found, 'the log line reached CloudWatch Logs');
  } finally {
    logs.destroy();
  }
});

test('InvokeWithResponseStream: a streamifyResponse handler\'s chunks as AWS\'s event stream', async () => {
  await createFn('wire-stream', { 'index.mjs': 'export const handler = awslambda.streamifyResponse(async (e, stream) => { stream.write("part-1 "); await new Promise(r => setTimeout(r, 10)); stream.write("part-2"); stream.end(); });' });
  const r = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'wire-stream', Payload: Buffer.from('{}') }));
  assert.equal(r.StatusCode, 200);
  let body = '';
  let complete = false;
  for await (const ev of r.EventStream!) {
    if (ev.PayloadChunk?.Payload) body += Buffer.from(ev.PayloadChunk.Payload).toString();
    if (ev.InvokeComplete) complete = !ev.InvokeComplete.ErrorCode;
  }
  assert.equal(body, 'part-1 part-2');
  assert.ok(complete);
  // a plain Invoke of a streaming function answers the whole body
  assert.equal(text((await lambda.send(new InvokeCommand({ FunctionName: 'wire-stream' }))).Payload), 'part-1 part-2');
});

test('a function that invokes itself asynchronously is stopped after 16 hops', async () => {
  await createFn('wire-loop', {
    'index.mjs': `import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
      const lambda = new LambdaClient({});
      export const handler = async (e) => {
        console.log('hop ' + e.n + ' ' + process.env._X_AMZN_TRACE_ID);
        await lambda.send(new InvokeCommand({ FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME, InvocationType: 'Event', Payload: JSON.stringify({ n: e.n + 1 }) }));
        return e.n;
      };`,
  });
  await lambda.send(new InvokeCommand({ FunctionName: 'wire-loop', InvocationType: 'Event', Payload: Buffer.from('{"n":1}') }));
  const logs = new CloudWatchLogsClient(nimbus.clientConfig);
  try {
    const hops = async () => {
      const r = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/wire-loop', filterPattern: '"hop "' })).catch(() => undefined);
      return (r?.events ?? []).map((e) => Number(/hop (\d+)/.exec(e.message ?? '')?.[1])).filter((n) => n > 0);
    };
    let seen: number[] = [];
    for (let i = 0; i < 100; i++) {
      seen = await hops();
      if (seen.length >= 16) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 300));
    seen = await hops();
    assert.equal(Math.max(...seen), 16, `hops seen: ${seen.join(',')}`);
  } finally {
    logs.destroy();
  }
});
