// The rest-json codec against the real @aws-sdk/client-lambda: requests the SDK builds are
// parsed by our codec and compared with the command input; our responses (and errors) are
// read back by the SDK and compared with what the provider returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LambdaClient,
  CreateFunctionCommand,
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  ListFunctionsCommand,
  GetFunctionCommand,
  UpdateAliasCommand,
  AddPermissionCommand,
  GetPolicyCommand,
  DeleteFunctionCommand,
  DeleteAliasCommand,
  GetLayerVersionByArnCommand,
  ListLayersCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  InvalidRequestContentException,
  ServiceException,
} from '@aws-sdk/client-lambda';
import { InternalError } from '../../src/core/errors.js';
import { restJsonCodec } from '../../src/protocols/rest-json.js';
import { codecFor } from '../../src/protocols/index.js';
import { loadModel } from '../../src/core/model.js';
import { ResourceNotFoundException as NimbusNotFound, TooManyRequestsException as NimbusTooMany } from '../../src/generated/lambda.js';
import type { WireRequest } from '../../src/protocols/types.js';
import { credentials, ctxFor, loopback } from './rest-harness.js';

const model = loadModel('lambda');

function client(answer: (op: string, input: Record<string, unknown>) => unknown) {
  const { requestHandler, seen } = loopback(restJsonCodec, model, 'lambda', answer);
  const lambda = new LambdaClient({ endpoint: 'http://localhost:4566', region: 'us-east-1', credentials, requestHandler, maxAttempts: 1 });
  return { lambda, seen };
}

function strip<T extends { $metadata?: unknown }>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = out;
  return rest;
}

const fnConfig = {
  FunctionName: 'my-fn',
  FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:my-fn',
  Runtime: 'nodejs20.x',
  Role: 'arn:aws:iam::123456789012:role/lambda-role',
  Handler: 'index.handler',
  CodeSize: 1234,
  Timeout: 3,
  MemorySize: 256,
  LastModified: '2026-01-01T00:00:00.000+0000',
  CodeSha256: 'abc=',
  Version: '$LATEST',
  Environment: { Variables: { GREETING: 'hi', EMPTY: '' } },
  Layers: [{ Arn: 'arn:aws:lambda:us-east-1:123456789012:layer:greet:1', CodeSize: 10 }],
  State: 'Active',
  Architectures: ['x86_64'],
} as const;

test('codecFor names the rest codecs', () => {
  assert.equal(codecFor('rest-json'), restJsonCodec);
  assert.equal(codecFor('rest-xml').name, 'rest-xml');
});

test('CreateFunction: ZipFile blob, Environment map and Layers list round-trip', async () => {
  const { lambda, seen } = client(() => ({ ...fnConfig }));
  const input = {
    FunctionName: 'my-fn',
    Runtime: 'nodejs20.x' as const,
    Role: 'arn:aws:iam::123456789012:role/lambda-role',
    Handler: 'index.handler',
    Code: { ZipFile: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00]) },
    Environment: { Variables: { GREETING: 'hi', EMPTY: '' } },
    Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:greet:1'],
    MemorySize: 256,
    Publish: true,
  };
  const out = await lambda.send(new CreateFunctionCommand(input));
  assert.equal(seen.op, 'CreateFunction');
  assert.deepEqual(seen.input, input);
  assert.ok(Buffer.isBuffer((seen.input!.Code as { ZipFile: Buffer }).ZipFile));
  assert.equal(seen.response!.status, 201);
  assert.equal(out.$metadata.httpStatusCode, 201);
  assert.deepEqual(strip(out), fnConfig);
});

test('Invoke: headers and querystring in, status/headers and raw payload out', async () => {
  const payloadOut = Buffer.from('{"echo":{"a":1},"bytes":"\u00e9"}');
  const { lambda, seen } = client(() => ({
    StatusCode: 200,
    FunctionError: 'Unhandled',
    LogResult: Buffer.from('START RequestId\nEND').toString('base64'),
    ExecutedVersion: '3',
    Payload: payloadOut,
  }));
  const clientContext = Buffer.from('{"custom":{"k":"v"}}').toString('base64');
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: 'my-fn', Qualifier: 'live', InvocationType: 'RequestResponse', LogType: 'Tail', ClientContext: clientContext, Payload: Buffer.from('{"a":1}') }),
  );
  assert.equal(seen.op, 'Invoke');
  assert.deepEqual(seen.input, {
    FunctionName: 'my-fn',
    Qualifier: 'live',
    InvocationType: 'RequestResponse',
    LogType: 'Tail',
    ClientContext: clientContext,
    Payload: Buffer.from('{"a":1}'),
  });
  assert.equal(out.StatusCode, 200);
  assert.equal(out.FunctionError, 'Unhandled');
  assert.equal(Buffer.from(out.LogResult!, 'base64').toString(), 'START RequestId\nEND');
  assert.equal(out.ExecutedVersion, '3');
  assert.deepEqual(Buffer.from(out.Payload!), payloadOut);
});

test('Invoke: an asynchronous invocation answers 202 from the StatusCode member, with no body', async () => {
  const { lambda, seen } = client(() => ({ StatusCode: 202 }));
  const out = await lambda.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:my-fn:7', InvocationType: 'Event', Payload: Buffer.from('{}') }));
  assert.equal(seen.input!.FunctionName, 'arn:aws:lambda:us-east-1:123456789012:function:my-fn:7');
  assert.equal(seen.response!.status, 202);
  assert.equal(seen.response!.body, undefined);
  assert.equal(out.StatusCode, 202);
});

test('ListFunctions: Marker/MaxItems querystring, list output', async () => {
  const { lambda, seen } = client(() => ({ Functions: [fnConfig, { ...fnConfig, FunctionName: 'b' }], NextMarker: 'tok 2' }));
  const out = await lambda.send(new ListFunctionsCommand({ Marker: 'tok/1 +x', MaxItems: 2 }));
  assert.deepEqual(seen.input, { Marker: 'tok/1 +x', MaxItems: 2 });
  assert.equal(out.NextMarker, 'tok 2');
  assert.deepEqual(out.Functions, [fnConfig, { ...fnConfig, FunctionName: 'b' }]);
});

test('GetFunction: uri label with an ARN, nested output', async () => {
  const output = {
    Configuration: fnConfig,
    Code: { RepositoryType: 'S3', Location: 'http://localhost:4566/_nimbus/code/abc?x=1&y=2' },
    Tags: { team: 'a b', 'aws:x': 'y' },
    Concurrency: { ReservedConcurrentExecutions: 0 },
  };
  const { lambda, seen } = client(() => output);
  const out = await lambda.send(new GetFunctionCommand({ FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:my-fn', Qualifier: '$LATEST' }));
  assert.deepEqual(seen.input, { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:my-fn', Qualifier: '$LATEST' });
  assert.deepEqual(strip(out), output);
});

test('UpdateAlias: two uri labels and RoutingConfig weights', async () => {
  const output = {
    AliasArn: 'arn:aws:lambda:us-east-1:123456789012:function:my-fn:live',
    Name: 'live',
    FunctionVersion: '1',
    RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
    RevisionId: 'r-1',
  };
  const { lambda, seen } = client(() => output);
  const input = { FunctionName: 'my-fn', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } } };
  const out = await lambda.send(new UpdateAliasCommand(input));
  assert.equal(seen.op, 'UpdateAlias');
  assert.deepEqual(seen.input, input);
  assert.deepEqual(strip(out), output);
});

test('AddPermission and GetPolicy', async () => {
  const policy = JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: [{ Sid: 's3invoke', Effect: 'Allow' }] });
  const { lambda, seen } = client((op) => (op === 'AddPermission' ? { Statement: '{"Sid":"s3invoke"}' } : { Policy: policy, RevisionId: 'r-2' }));
  const input = {
    FunctionName: 'my-fn',
    StatementId: 's3invoke',
    Action: 'lambda:InvokeFunction',
    Principal: 's3.amazonaws.com',
    SourceArn: 'arn:aws:s3:::bucket',
    Qualifier: '1',
  };
  const added = await lambda.send(new AddPermissionCommand(input));
  assert.equal(seen.op, 'AddPermission');
  assert.deepEqual(seen.input, input);
  assert.equal(added.$metadata.httpStatusCode, 201);
  assert.equal(added.Statement, '{"Sid":"s3invoke"}');
  const got = await lambda.send(new GetPolicyCommand({ FunctionName: 'my-fn' }));
  assert.equal(seen.op, 'GetPolicy');
  assert.equal(got.Policy, policy);
  assert.equal(got.RevisionId, 'r-2');
});

test("DeleteAlias answers the model's 204; DeleteFunction takes its status from the StatusCode member", async () => {
  const { lambda, seen } = client((op) => (op === 'DeleteFunction' ? { StatusCode: 204 } : {}));
  const alias = await lambda.send(new DeleteAliasCommand({ FunctionName: 'my-fn', Name: 'live' }));
  assert.equal(seen.op, 'DeleteAlias');
  assert.equal(seen.response!.status, 204);
  assert.equal(seen.response!.body, undefined);
  assert.equal(alias.$metadata.httpStatusCode, 204);
  // the current model gives DeleteFunction a statusCode-bound member (202 for durable
  // functions); the provider sets it to 204 as Lambda answers for a plain delete
  const out = await lambda.send(new DeleteFunctionCommand({ FunctionName: 'my-fn' }));
  assert.equal(seen.response!.status, 204);
  assert.equal(seen.response!.body, undefined);
  assert.equal(out.$metadata.httpStatusCode, 204);
});

test('routing: a query literal wins over the bare path (GetLayerVersionByArn vs ListLayers)', async () => {
  const { lambda, seen } = client(() => ({}));
  await lambda.send(new GetLayerVersionByArnCommand({ Arn: 'arn:aws:lambda:us-east-1:123456789012:layer:greet:1' }));
  assert.equal(seen.op, 'GetLayerVersionByArn');
  assert.equal(seen.input!.Arn, 'arn:aws:lambda:us-east-1:123456789012:layer:greet:1');
  await lambda.send(new ListLayersCommand({ CompatibleRuntime: 'python3.12' }));
  assert.equal(seen.op, 'ListLayers');
});

test('routing: method, trailing slash and unknown paths', () => {
  const wire = (method: string, rawPath: string, rawQuery = ''): WireRequest => ({ method, rawPath, rawQuery, headers: {}, body: Buffer.alloc(0) });
  assert.equal(restJsonCodec.resolveOperation(wire('GET', '/2015-03-31/functions/'), model), 'ListFunctions');
  assert.equal(restJsonCodec.resolveOperation(wire('GET', '/2015-03-31/functions/f/configuration'), model), 'GetFunctionConfiguration');
  assert.equal(restJsonCodec.resolveOperation(wire('PUT', '/2015-03-31/functions/f/configuration'), model), 'UpdateFunctionConfiguration');
  assert.equal(restJsonCodec.resolveOperation(wire('GET', '/2019-09-30/functions/f/provisioned-concurrency', 'List=ALL'), model), 'ListProvisionedConcurrencyConfigs');
  assert.equal(restJsonCodec.resolveOperation(wire('GET', '/2019-09-30/functions/f/provisioned-concurrency', 'Qualifier=1'), model), 'GetProvisionedConcurrencyConfig');
  assert.equal(restJsonCodec.resolveOperation(wire('PATCH', '/2015-03-31/functions/f'), model), undefined);
  assert.equal(restJsonCodec.resolveOperation(wire('GET', '/2015-03-31/nothing/here'), model), undefined);
  const err = restJsonCodec.unknownOperationError!(wire('GET', '/nope'), model);
  assert.equal(err.code, 'UnknownOperationException');
  assert.equal(err.status, 404);
});

test('ResourceNotFoundException: SDK error class, name, message, status and Type', async () => {
  const arn = 'arn:aws:lambda:us-east-1:123456789012:function:nope';
  const { lambda, seen } = client(() => {
    throw new NimbusNotFound(`Function not found: ${arn}`, { Type: 'User' });
  });
  const err = await lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })).catch((e) => e);
  assert.ok(err instanceof ResourceNotFoundException, String(err));
  assert.equal(err.name, 'ResourceNotFoundException');
  assert.equal(err.message, `Function not found: ${arn}`);
  assert.equal(err.Type, 'User');
  assert.equal(err.$metadata.httpStatusCode, 404);
  assert.equal(err.$fault, 'client');
  // Lambda's wire form: the code in X-Amzn-ErrorType, `Message` as the shape spells it
  assert.equal(seen.response!.headers['X-Amzn-ErrorType'], 'ResourceNotFoundException');
  assert.deepEqual(JSON.parse(seen.responseText!), { Type: 'User', Message: `Function not found: ${arn}` });
});

test('TooManyRequestsException: Reason field, Retry-After header, lower-case message', async () => {
  const { lambda, seen } = client(() => {
    throw new NimbusTooMany('Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retryAfterSeconds: '1' });
  });
  const err = await lambda.send(new InvokeCommand({ FunctionName: 'f' })).catch((e) => e);
  assert.ok(err instanceof TooManyRequestsException, String(err));
  assert.equal(err.message, 'Rate Exceeded.');
  assert.equal(err.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  assert.equal(err.retryAfterSeconds, '1');
  assert.equal(err.$metadata.httpStatusCode, 429);
  assert.equal(seen.response!.headers['Retry-After'], '1');
  assert.deepEqual(JSON.parse(seen.responseText!), { Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
});

test('a body that is not JSON is InvalidRequestContentException (400), read as such by the SDK', async () => {
  const wire: WireRequest = {
    method: 'POST',
    rawPath: '/2015-03-31/functions',
    rawQuery: '',
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{"FunctionName": "x",'),
  };
  const op = restJsonCodec.resolveOperation(wire, model)!;
  assert.equal(op, 'CreateFunction');
  let thrown: any;
  try {
    restJsonCodec.parse(wire, model, op);
  } catch (e) {
    thrown = e;
  }
  assert.equal(thrown?.code, 'InvalidRequestContentException');
  assert.equal(thrown.status, 400);
  assert.match(thrown.message, /^Could not parse request body into json/);
  // and the SDK names it from our error response
  const { lambda } = client(() => {
    throw thrown;
  });
  const err = await lambda.send(new ListFunctionsCommand({})).catch((e) => e);
  assert.ok(err instanceof InvalidRequestContentException, String(err));
  assert.match(err.message, /^Could not parse request body into json/);
});

test('unknown operation error renders as JSON with X-Amzn-ErrorType', () => {
  const err = restJsonCodec.unknownOperationError!({ method: 'GET', rawPath: '/x', rawQuery: '', headers: {}, body: Buffer.alloc(0) }, model);
  const res = restJsonCodec.serializeError(err, model, ctxFor('lambda'));
  assert.equal(res.status, 404);
  assert.equal(res.headers['X-Amzn-ErrorType'], 'UnknownOperationException');
  assert.equal(JSON.parse(String(res.body)).Type, 'User');
});

test('a header that cannot hold its type is a 4xx, not a crash', () => {
  // ListFunctions' MaxItems is an integer querystring member
  const wire: WireRequest = { method: 'GET', rawPath: '/2015-03-31/functions', rawQuery: 'MaxItems=ten', headers: {}, body: Buffer.alloc(0) };
  assert.throws(() => restJsonCodec.parse(wire, model, 'ListFunctions'), (e: any) => e.status === 400 && e.code === 'InvalidParameterValueException');
});

test("Nimbus's internal failure reaches the SDK as Lambda's ServiceException (500)", async () => {
  const { lambda, seen } = client(() => {
    throw new InternalError();
  });
  const err = await lambda.send(new ListFunctionsCommand({})).catch((e) => e);
  assert.ok(err instanceof ServiceException, String(err));
  assert.equal(err.$metadata.httpStatusCode, 500);
  assert.equal(err.$fault, 'server');
  assert.equal(JSON.parse(seen.responseText!).Type, 'Service');
});

test('InvokeWithResponseStream: events framed as an AWS event stream, read back by the SDK', async () => {
  const { lambda, seen } = client(() => ({
    StatusCode: 200,
    ExecutedVersion: '$LATEST',
    ResponseStreamContentType: 'application/vnd.amazon.eventstream',
    EventStream: [{ PayloadChunk: { Payload: Buffer.from('{"part":1}') } }, { PayloadChunk: { Payload: Buffer.from('[2]') } }, { InvokeComplete: { LogResult: 'bG9n' } }],
  }));
  const out = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'f', Payload: Buffer.from('{}'), LogType: 'Tail' }));
  assert.equal(seen.op, 'InvokeWithResponseStream');
  assert.equal(out.StatusCode, 200);
  assert.equal(out.ExecutedVersion, '$LATEST');
  const events: unknown[] = [];
  for await (const e of out.EventStream!) {
    if (e.PayloadChunk) events.push({ chunk: Buffer.from(e.PayloadChunk.Payload!).toString() });
    else if (e.InvokeComplete) events.push({ complete: e.InvokeComplete });
  }
  assert.deepEqual(events, [{ chunk: '{"part":1}' }, { chunk: '[2]' }, { complete: { LogResult: 'bG9n' } }]);
});
