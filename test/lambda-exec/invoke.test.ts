// The Invoke API over the engine, with a fake control plane: invocation types, Tail logs,
// throttling, weighted aliases, the durable async queue with retries, DLQ and destinations.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import type { RequestContext } from '../../src/core/context.js';
import type { FunctionSnapshot } from '../../src/lambda/types.js';
import { createInvoker, pickVersion, type ResolvedFunction } from '../../src/services/lambda/invoke.js';
import { ServiceError } from '../../src/core/errors.js';
import { snapshot } from './helpers.js';
import { fakeDeps } from './fake-deps.js';

const clock = new ManualClock(Date.now());
const { deps, calls, logs, blobs, waitForCall } = fakeDeps(clock);
const functions = new Map<string, ResolvedFunction>();
const invoker = createInvoker({
  deps,
  nodeSpares: 1,
  control: {
    resolve(_scope, name, qualifier) {
      const f = functions.get(name + (qualifier ? ':' + qualifier : ''));
      if (!f) throw new ServiceError('ResourceNotFoundException', `Function not found: ${name}`, { status: 404 });
      return f;
    },
    urlTarget: (id) =>
      id === 'abc123'
        ? { accountId: '000000000000', region: 'us-east-1', functionName: 'web', AuthType: 'NONE', Cors: { AllowOrigins: ['https://app.example'], ExposeHeaders: ['x-test'] } }
        : id === 'str999'
          ? { accountId: '000000000000', region: 'us-east-1', functionName: 'streamer', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' }
          : id === 'iam777'
            ? { accountId: '000000000000', region: 'us-east-1', functionName: 'web', AuthType: 'AWS_IAM' }
            : id === 'bare1'
              ? { accountId: '000000000000', region: 'us-east-1', functionName: 'bare', AuthType: 'NONE' }
              : undefined,
  },
});
after(async () => {
  await invoker.close();
  blobs.close();
});

function ctx(): RequestContext {
  return { requestId: crypto.randomUUID(), accountId: '000000000000', region: 'us-east-1', partition: 'aws', service: 'lambda', operation: 'Invoke', host: 'localhost', endpoint: 'http://localhost', sourceIp: '127.0.0.1', headers: {} };
}

function define(name: string, files: Record<string, string>, over: Partial<FunctionSnapshot> = {}, extra: Partial<ResolvedFunction> = {}): FunctionSnapshot {
  const fn = snapshot(blobs, files, { functionName: name, ...over });
  functions.set(name, { functionName: name, functionArn: fn.functionArn, versions: [{ fn }], ...extra });
  return fn;
}

test('RequestResponse: payload, ExecutedVersion, Tail log; logs shipped to CloudWatch Logs', async () => {
  define('echo', { 'index.mjs': 'export const handler = async (e) => { console.log("tail-marker"); return { e }; };' });
  const r = await invoker.Invoke({ FunctionName: 'echo', Payload: Buffer.from('{"a":1}'), LogType: 'Tail' }, ctx());
  assert.equal(r.StatusCode, 200);
  assert.equal(r.ExecutedVersion, '$LATEST');
  assert.equal(r.FunctionError, undefined);
  assert.deepEqual(JSON.parse(r.Payload!.toString()), { e: { a: 1 } });
  const log = Buffer.from(r.LogResult!, 'base64').toString();
  assert.match(log, /tail-marker/);
  assert.match(log, /REPORT RequestId: /);
  assert.equal(logs.find((l) => l.group === '/aws/lambda/echo'), undefined, 'written in batches, after the response');
  await invoker.flushLogs();
  const shipped = logs.find((l) => l.group === '/aws/lambda/echo');
  assert.ok(shipped && shipped.events.some((e) => e.message.includes('tail-marker')));
  assert.match(shipped.stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  const none = await invoker.Invoke({ FunctionName: 'echo' }, ctx());
  assert.equal(none.LogResult, undefined);
  assert.deepEqual(JSON.parse(none.Payload!.toString()), { e: {} });
});

test('DryRun answers 204 and runs nothing; bad JSON is refused; unknown functions are not found', async () => {
  define('dry', { 'index.mjs': 'export const handler = async () => { throw new Error("must not run"); };' });
  const before = logs.length;
  const r = await invoker.Invoke({ FunctionName: 'dry', InvocationType: 'DryRun' }, ctx());
  assert.equal(r.StatusCode, 204);
  assert.equal(logs.length, before);
  await assert.rejects(invoker.Invoke({ FunctionName: 'dry', Payload: Buffer.from('{nope') }, ctx()), (e: ServiceError) => e.code === 'InvalidRequestContentException' && /Could not parse request body into json/.test(e.message));
  await assert.rejects(invoker.Invoke({ FunctionName: 'missing' }, ctx()), (e: ServiceError) => e.code === 'ResourceNotFoundException');
  await assert.rejects(invoker.Invoke({ FunctionName: 'dry', ClientContext: 'not json!' }, ctx()), (e: ServiceError) => e.code === 'InvalidRequestContentException');
  define('cc', { 'index.mjs': 'export const handler = async (e, c) => c.clientContext;' });
  const pretty = Buffer.from(JSON.stringify({ custom: { who: 'zoë' } }, null, 2)).toString('base64');
  const withCc = await invoker.Invoke({ FunctionName: "cc", ClientContext: pretty }, ctx());
  assert.deepEqual(JSON.parse(withCc.Payload!.toString()), { custom: { who: "zoë" } }, 'a pretty-printed UTF-8 client context reaches the handler intact');
});

test('reserved concurrency: 0 throttles everything; N allows N at once', async () => {
  define('zero', { 'index.mjs': 'export const handler = async () => 1;' }, {}, { reservedConcurrency: 0 });
  await assert.rejects(invoker.Invoke({ FunctionName: 'zero' }, ctx()), (e: ServiceError) => e.code === 'TooManyRequestsException' && e.status === 429 && e.fields.Reason === 'ReservedFunctionConcurrentInvocationLimitExceeded');
  define('one', { 'index.mjs': 'export const handler = async () => { await new Promise(r => setTimeout(r, 300)); return 1; };' }, {}, { reservedConcurrency: 1 });
  const results = await Promise.allSettled([invoker.Invoke({ FunctionName: 'one' }, ctx()), invoker.Invoke({ FunctionName: 'one' }, ctx())]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.equal(rejected.reason.code, 'TooManyRequestsException');
  // the slot is free again afterwards
  assert.equal((await invoker.Invoke({ FunctionName: 'one' }, ctx())).StatusCode, 200);
});

test('weighted aliases pick versions by their weights', async () => {
  const v1 = snapshot(blobs, { 'index.mjs': 'export const handler = async () => "v1";' }, { functionName: 'wa', version: '1' });
  const v2 = snapshot(blobs, { 'index.mjs': 'export const handler = async () => "v2";' }, { functionName: 'wa', version: '2' });
  const target: ResolvedFunction = { functionName: 'wa', functionArn: v1.functionArn, qualifier: 'live', versions: [{ fn: v1 }, { fn: v2, weight: 0.3 }] };
  assert.equal(pickVersion(target, 0.1).version, '2');
  assert.equal(pickVersion(target, 0.5).version, '1');
  functions.set('wa:live', target);
  const seen = { '1': 0, '2': 0 } as Record<string, number>;
  for (let i = 0; i < 40; i++) {
    const r = await invoker.Invoke({ FunctionName: 'wa', Qualifier: 'live' }, ctx());
    seen[r.ExecutedVersion!]++;
    assert.equal(JSON.parse(r.Payload!.toString()), 'v' + r.ExecutedVersion);
  }
  assert.ok(seen['1'] > 15 && seen['2'] > 1, JSON.stringify(seen));
});

test('Event: 202 at once, then OnSuccess destination gets AWS\'s record', async () => {
  define('dbl', { 'index.mjs': 'export const handler = async (e) => ({ doubled: e.n * 2 });' }, {}, {
    eventInvokeConfig: { DestinationConfig: { OnSuccess: { Destination: 'arn:aws:sqs:us-east-1:000000000000:dest' } } },
  });
  const c = ctx();
  const r = await invoker.Invoke({ FunctionName: 'dbl', InvocationType: 'Event', Payload: Buffer.from('{"n":21}') }, c);
  assert.equal(r.StatusCode, 202);
  const sent = await waitForCall((x) => x.operation === 'SendMessage' && x.input.QueueUrl.endsWith('/000000000000/dest'));
  assert.equal(sent.service, 'sqs');
  const record = JSON.parse(sent.input.MessageBody);
  assert.equal(record.version, '1.0');
  assert.equal(record.requestContext.requestId, c.requestId);
  assert.equal(record.requestContext.condition, 'Success');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.match(record.requestContext.functionArn, /:function:dbl:\$LATEST$/);
  assert.deepEqual(record.requestPayload, { n: 21 });
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
  assert.deepEqual(record.responsePayload, { doubled: 42 });
  const viaOld = await invoker.InvokeAsync({ FunctionName: 'dbl', InvokeArgs: Buffer.from('{"n":1}') }, ctx());
  assert.equal(viaOld.Status, 202);
  const second = await waitForCall((x) => x.operation === 'SendMessage' && JSON.parse(x.input.MessageBody).responsePayload?.doubled === 2);
  assert.ok(second);
});

async function settle(ms: number) {
  // Lets a run finish on real time, then moves the manual clock past the back-off.
  await invoker.queue.idle();
  await clock.advance(ms);
}

test('async failures: retried twice, 1 and 2 minutes apart, then the dead-letter queue', async () => {
  define('fails', { 'index.mjs': 'export const handler = async () => { throw new Error("always fails"); };' }, { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' });
  const c = ctx();
  await invoker.Invoke({ FunctionName: 'fails', InvocationType: 'Event', Payload: Buffer.from('{"k":"v"}') }, c);
  await invoker.queue.idle();
  const runs = async () => {
    await invoker.flushLogs();
    return logs.filter((l) => l.group === '/aws/lambda/fails').flatMap((l) => l.events).filter((e) => e.message.startsWith('START')).length;
  };
  assert.equal(await runs(), 1);
  await clock.advance(59_000);
  await invoker.queue.idle();
  assert.equal(await runs(), 1, 'not before a minute');
  await settle(1_000);
  await invoker.queue.idle();
  assert.equal(await runs(), 2);
  await settle(120_000);
  const dlq = await waitForCall((x) => x.operation === 'SendMessage' && x.input.QueueUrl.endsWith('/dlq'));
  assert.equal(await runs(), 3);
  assert.equal(dlq.input.MessageBody, '{"k":"v"}');
  assert.equal(dlq.input.MessageAttributes.RequestID.StringValue, c.requestId);
  assert.equal(dlq.input.MessageAttributes.ErrorCode.StringValue, '200');
  assert.equal(dlq.input.MessageAttributes.ErrorMessage.StringValue, 'always fails');
  assert.equal(invoker.queue.size(), 0);
});

test('async failures with MaximumRetryAttempts 0 go to OnFailure (SNS) with condition RetriesExhausted', async () => {
  define('failsOnce', { 'index.mjs': 'export const handler = async () => { throw new TypeError("nope"); };' }, {}, {
    eventInvokeConfig: { MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: 'arn:aws:sns:us-east-1:000000000000:alarms' } } },
  });
  await invoker.Invoke({ FunctionName: 'failsOnce', InvocationType: 'Event', Payload: Buffer.from('{"z":1}') }, ctx());
  const pub = await waitForCall((x) => x.service === 'sns' && x.operation === 'Publish');
  assert.equal(pub.input.TopicArn, 'arn:aws:sns:us-east-1:000000000000:alarms');
  const record = JSON.parse(pub.input.Message);
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.equal(record.responseContext.functionError, 'Unhandled');
  assert.equal(record.responsePayload.errorType, 'TypeError');
  assert.deepEqual(record.requestPayload, { z: 1 });
});

test('function URL: payload format 2.0 event in, the handler\'s response out, CORS headers', async () => {
  define('web', { 'index.mjs': 'export const handler = async (e) => ({ statusCode: 201, headers: { "x-test": "yes" }, cookies: ["a=b"], body: JSON.stringify({ path: e.rawPath, q: e.queryStringParameters, method: e.requestContext.http.method, body: e.body, b64: e.isBase64Encoded, v: e.version, cookies: e.cookies }) });' });
  const res = await invoker.handleUrl(
    { method: 'POST', rawPath: '/_aws/lambda-url/abc123/some/path', rawQuery: 'k=v&k=w&x=1', headers: { host: 'localhost:4566', 'content-type': 'text/plain', origin: 'https://app.example', cookie: 'c1=1; c2=2' }, body: Buffer.from('payload') },
    ctx(),
  );
  assert.equal(res.status, 201);
  assert.equal(res.headers['x-test'], 'yes');
  assert.deepEqual(res.headers['set-cookie'], ['a=b']);
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example');
  assert.equal(res.headers['access-control-expose-headers'], 'x-test');
  const b = JSON.parse(String(res.body));
  assert.deepEqual(b, { path: '/some/path', q: { k: 'v,w', x: '1' }, method: 'POST', body: 'payload', b64: false, v: '2.0', cookies: ['c1=1', 'c2=2'] });
  const binary = await invoker.handleUrl(
    { method: 'PUT', rawPath: '/_aws/lambda-url/abc123/bin', rawQuery: '', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2, 255]) },
    ctx(),
  );
  const bb = JSON.parse(String(binary.body));
  assert.equal(bb.b64, true);
  assert.deepEqual([...Buffer.from(bb.body, 'base64')], [0, 1, 2, 255]);
  assert.equal(bb.q, undefined, 'no queryStringParameters without a query');
  const viaHost = await invoker.handleUrl({ method: 'GET', rawPath: '/', rawQuery: '', headers: { host: 'abc123.lambda-url.us-east-1.localhost:4566' }, body: Buffer.alloc(0) }, ctx());
  assert.equal(viaHost.status, 201);
  const missing = await invoker.handleUrl({ method: 'GET', rawPath: '/_aws/lambda-url/zzz/', rawQuery: '', headers: {}, body: Buffer.alloc(0) }, ctx());
  assert.equal(missing.status, 404);
});

test('function URL: RESPONSE_STREAM with an HttpResponseStream prelude; AWS_IAM refuses unsigned requests; bare values; preflight', async () => {
  define('streamer', { 'index.mjs': 'export const handler = awslambda.streamifyResponse(async (e, s) => { s = awslambda.HttpResponseStream.from(s, { statusCode: 418, headers: { "x-kind": "tea" } }); s.write("hot "); s.write(e.headers["x-forwarded-for"]); s.end(); });' });
  const res = await invoker.handleUrl({ method: 'GET', rawPath: '/_aws/lambda-url/str999/', rawQuery: '', headers: { host: 'localhost:4566' }, body: Buffer.alloc(0) }, ctx());
  assert.equal(res.status, 418);
  assert.equal(res.headers['x-kind'], 'tea');
  assert.equal(String(res.body), 'hot 127.0.0.1');

  const unsigned = await invoker.handleUrl({ method: 'GET', rawPath: '/_aws/lambda-url/iam777/', rawQuery: '', headers: {}, body: Buffer.alloc(0) }, ctx());
  assert.equal(unsigned.status, 403);
  const signed = await invoker.handleUrl({ method: 'GET', rawPath: '/_aws/lambda-url/iam777/', rawQuery: '', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=abc' }, body: Buffer.alloc(0) }, ctx());
  assert.equal(signed.status, 201);

  define('bare', { 'index.mjs': 'export const handler = async () => ({ hello: "world" });' });
  const bare = await invoker.handleUrl({ method: 'GET', rawPath: '/_aws/lambda-url/bare1/', rawQuery: '', headers: {}, body: Buffer.alloc(0) }, ctx());
  assert.equal(bare.status, 200);
  assert.equal(bare.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(String(bare.body)), { hello: 'world' });
  const preflight = await invoker.handleUrl({ method: 'OPTIONS', rawPath: '/_aws/lambda-url/abc123/', rawQuery: '', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' }, body: Buffer.alloc(0) }, ctx());
  assert.equal(preflight.status, 200);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
  const otherOrigin = await invoker.handleUrl({ method: 'GET', rawPath: '/_aws/lambda-url/abc123/', rawQuery: '', headers: { origin: 'https://evil.example' }, body: Buffer.alloc(0) }, ctx());
  assert.equal(otherOrigin.headers['access-control-allow-origin'], undefined);
});

test('the account-level concurrency limit throttles with ConcurrentInvocationLimitExceeded', async () => {
  const other = fakeDeps(clock);
  const small = createInvoker({ deps: other.deps, nodeSpares: 0, accountConcurrency: 1, control: { resolve: (_s, name) => functions.get(name)! } });
  try {
    define('slowA', { 'index.mjs': 'export const handler = async () => { await new Promise(r => setTimeout(r, 300)); return "a"; };' });
    define('slowB', { 'index.mjs': 'export const handler = async () => "b";' });
    const a = small.Invoke({ FunctionName: 'slowA' }, ctx());
    await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(small.Invoke({ FunctionName: 'slowB' }, ctx()), (e: ServiceError) => e.code === 'TooManyRequestsException' && e.fields.Reason === 'ConcurrentInvocationLimitExceeded');
    assert.equal((await a).StatusCode, 200);
    assert.equal(JSON.parse((await small.Invoke({ FunctionName: 'slowB' }, ctx())).Payload!.toString()), 'b');
  } finally {
    await small.close();
    other.blobs.close();
  }
});
