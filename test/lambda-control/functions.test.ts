// Lambda control plane through the real SDK v3 LambdaClient: functions, code, states and waiters.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  LambdaClient,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  DeleteFunctionCommand,
  InvokeCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  paginateListFunctions,
} from '@aws-sdk/client-lambda';
import { useNimbus, rejectsWithAwsError as rejects } from '../helpers/sdk.js';
import { nodeFunctionInput, NODE_ZIP, ROLE, uniqueName, zipOf, zipSlip } from './helpers.js';

let lambda: LambdaClient;
const nimbus = useNimbus((nimbus) => (lambda = new LambdaClient(nimbus.clientConfig)));

const create = (name: string, extra: Record<string, unknown> = {}, zip = NODE_ZIP()) =>
  lambda.send(new CreateFunctionCommand(nodeFunctionInput(name, extra, zip)));

describe('CreateFunction / GetFunction', () => {
  test('stores the function with AWS defaults, exact CodeSha256 and CodeSize, Pending then Active', async () => {
    const name = uniqueName();
    const zip = NODE_ZIP();
    const out = await create(name, { Environment: { Variables: { AA: '1' } }, Tags: { team: 'x' } }, zip);
    assert.equal(out.$metadata.httpStatusCode, 201);
    assert.equal(out.FunctionArn, `arn:aws:lambda:us-east-1:000000000000:function:${name}`);
    assert.equal(out.CodeSha256, crypto.createHash('sha256').update(zip).digest('base64'));
    assert.equal(out.CodeSize, zip.length);
    assert.equal(out.State, 'Pending');
    assert.equal(out.StateReasonCode, 'Creating');
    assert.equal(out.Timeout, 3);
    assert.equal(out.MemorySize, 128);
    assert.equal(out.Version, '$LATEST');
    assert.deepEqual(out.Architectures, ['x86_64']);
    assert.deepEqual(out.EphemeralStorage, { Size: 512 });
    assert.deepEqual(out.LoggingConfig, { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` });
    assert.match(out.LastModified!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

    const got = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    assert.equal(got.Configuration!.State, 'Active');
    assert.equal(got.Configuration!.LastUpdateStatus, 'Successful');
    assert.deepEqual(got.Configuration!.Environment, { Variables: { AA: '1' } });
    assert.deepEqual(got.Tags, { team: 'x' });
    assert.equal(got.Code!.RepositoryType, 'S3');
    const download = await fetch(got.Code!.Location!);
    assert.equal(download.status, 200);
    assert.deepEqual(Buffer.from(await download.arrayBuffer()), zip);
  });

  test('function-active-v2 waiter passes at once', async () => {
    const name = uniqueName();
    await create(name);
    const t0 = Date.now();
    const r = await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: name });
    assert.equal(r.state, 'SUCCESS');
    assert.ok(Date.now() - t0 < 900, `waiter took ${Date.now() - t0} ms`);
  });

  test('accepts names, partial ARNs and full ARNs', async () => {
    const name = uniqueName();
    await create(name);
    for (const fn of [name, `000000000000:function:${name}`, `arn:aws:lambda:us-east-1:000000000000:function:${name}`]) {
      const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
      assert.equal(c.FunctionName, name);
    }
  });

  test('a duplicate name is a ResourceConflictException', async () => {
    const name = uniqueName();
    await create(name);
    await rejects(create(name), 'ResourceConflictException', `Function already exist: ${name}`, 409);
  });

  test('a missing function is ResourceNotFoundException with the ARN', async () => {
    await rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'nope-nope' })), 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope-nope', 404);
    await rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'nope-nope', Qualifier: '3' })), 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope-nope');
  });

  test('AWS validation messages', async () => {
    await rejects(create(uniqueName(), { Runtime: 'cobol9' }), 'InvalidParameterValueException', /^Value cobol9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: \[.*nodejs20\.x.*\] or be a valid ARN$/);
    await rejects(create(uniqueName(), { Runtime: 'python2.7' }), 'InvalidParameterValueException', /The runtime parameter of python2.7 is no longer supported/);
    await rejects(create(uniqueName(), { Role: 'not-a-role' }), 'ValidationException', /^1 validation error detected: Value 'not-a-role' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:/);
    await rejects(create(uniqueName(), { Role: undefined }), 'ValidationException', "1 validation error detected: Value null at 'role' failed to satisfy constraint: Member must not be null");
    await rejects(create(uniqueName(), { Handler: 'bad handler' }), 'ValidationException', /at 'handler' failed to satisfy constraint/);
    await rejects(create(uniqueName(), { MemorySize: 10241 }), 'InvalidParameterValueException', "'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to 10240");
    await rejects(create(uniqueName(), { MemorySize: 64 }), 'ValidationException', "1 validation error detected: Value '64' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128");
    await rejects(create(uniqueName(), { Timeout: 901 }), 'ValidationException', "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900");
    await rejects(create(uniqueName(), { Environment: { Variables: { BIG: 'x'.repeat(4100) } } }), 'InvalidParameterValueException', /exceeded the 4KB limit/);
    await rejects(create(uniqueName(), { Environment: { Variables: { AWS_REGION: 'x' } } }), 'InvalidParameterValueException', /Reserved keys used in this request: AWS_REGION/);
    await rejects(create(uniqueName(), { Environment: { Variables: { 'bad-key': 'x' } } }), 'ValidationException', "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]");
    await rejects(create(uniqueName(), { Environment: { Variables: { A: 'single letter' } } }), 'ValidationException', /Map keys must satisfy constraint/);
    await rejects(create(uniqueName(), { Architectures: ['sparc'] }), 'ValidationException', "1 validation error detected: Value '[sparc]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
    await rejects(create(uniqueName(), { TracingConfig: { Mode: 'Loud' } }), 'ValidationException', "1 validation error detected: Value 'Loud' at 'tracingConfig.mode' failed to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]");
    await rejects(create(uniqueName(), { Runtime: undefined }), 'InvalidParameterValueException', 'Runtime and Handler are mandatory parameters for functions created with deployment packages.');
  });

  test('bad zips are refused with AWS words', async () => {
    await rejects(create(uniqueName(), {}, Buffer.from('not a zip at all')), 'InvalidParameterValueException', 'Could not unzip uploaded file. Please check your file, then try to upload again.');
    await rejects(create(uniqueName(), {}, zipSlip()), 'InvalidParameterValueException', /Could not unzip/);
  });

  test('PackageType Image is stored (ECR code location)', async () => {
    const name = uniqueName();
    await lambda.send(new CreateFunctionCommand({ FunctionName: name, Role: ROLE, PackageType: 'Image', Code: { ImageUri: '000000000000.dkr.ecr.us-east-1.amazonaws.com/app:latest' } }));
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    assert.equal(got.Configuration!.PackageType, 'Image');
    assert.equal(got.Code!.RepositoryType, 'ECR');
    assert.equal(got.Code!.ImageUri, '000000000000.dkr.ecr.us-east-1.amazonaws.com/app:latest');
    await rejects(lambda.send(new InvokeCommand({ FunctionName: name })), 'InvalidRuntimeException', /PackageType Image needs a container engine/);
  });
});

describe('updates', () => {
  test('UpdateFunctionCode: InProgress then Successful, conflict while in progress, waiter fast', async () => {
    const name = uniqueName();
    await create(name);
    await waitUntilFunctionActiveV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: name });
    const zip2 = zipOf({ 'index.mjs': 'export const handler = async () => 2;' });
    const up = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }));
    assert.equal(up.LastUpdateStatus, 'InProgress');
    assert.equal(up.CodeSha256, crypto.createHash('sha256').update(zip2).digest('base64'));
    await rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 10 })), 'ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:${name}`, 409);
    const t0 = Date.now();
    const r = await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 10 }, { FunctionName: name });
    assert.equal(r.state, 'SUCCESS');
    assert.ok(Date.now() - t0 < 900);
    const c = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 10 }));
    assert.equal(c.Timeout, 10);
  });

  test('UpdateFunctionCode DryRun changes nothing; RevisionId mismatch is PreconditionFailedException', async () => {
    const name = uniqueName();
    const created = await create(name);
    await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const dry = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zipOf({ 'a.js': '1' }), DryRun: true }));
    assert.notEqual(dry.CodeSha256, created.CodeSha256);
    const still = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    assert.equal(still.CodeSha256, created.CodeSha256);
    await rejects(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: NODE_ZIP(), RevisionId: 'stale' })), 'PreconditionFailedException', /The Revision Id provided does not match the latest Revision Id/, 412);
    await rejects(lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 5, RevisionId: 'stale' })), 'PreconditionFailedException');
    const ok = await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 5, RevisionId: still.RevisionId }));
    assert.notEqual(ok.RevisionId, still.RevisionId);
  });

  test('UpdateFunctionConfiguration applies every field', async () => {
    const name = uniqueName();
    await create(name);
    await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const c = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: name,
        Handler: 'app.main',
        Runtime: 'python3.12',
        Role: 'arn:aws:iam::000000000000:role/other',
        Description: 'desc',
        MemorySize: 1024,
        Timeout: 900,
        Environment: { Variables: { KEY: 'v' } },
        EphemeralStorage: { Size: 2048 },
        DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON' },
      }),
    );
    assert.equal(c.Handler, 'app.main');
    assert.equal(c.Runtime, 'python3.12');
    assert.equal(c.Role, 'arn:aws:iam::000000000000:role/other');
    assert.equal(c.Description, 'desc');
    assert.equal(c.MemorySize, 1024);
    assert.equal(c.Timeout, 900);
    assert.deepEqual(c.Environment, { Variables: { KEY: 'v' } });
    assert.deepEqual(c.EphemeralStorage, { Size: 2048 });
    assert.deepEqual(c.DeadLetterConfig, { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' });
    assert.deepEqual(c.TracingConfig, { Mode: 'Active' });
    assert.deepEqual(c.LoggingConfig, { LogFormat: 'JSON', LogGroup: `/aws/lambda/${name}`, ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO' });
    assert.equal(c.LastUpdateStatus, 'InProgress');
  });
});

describe('ListFunctions and DeleteFunction', () => {
  test('paginates in name order; FunctionVersion=ALL lists versions', async () => {
    const prefix = uniqueName('list');
    for (let i = 0; i < 5; i++) await create(`${prefix}-${i}`);
    const names: string[] = [];
    for await (const page of paginateListFunctions({ client: lambda, pageSize: 2 }, {})) {
      assert.ok((page.Functions ?? []).length <= 2);
      for (const f of page.Functions ?? []) names.push(f.FunctionName!);
    }
    const mine = names.filter((n) => n.startsWith(prefix));
    assert.deepEqual(mine, [0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
    assert.deepEqual(names, [...names].sort());
    const all = await lambda.send(new ListFunctionsCommand({ FunctionVersion: 'ALL', MaxItems: 1000 }));
    assert.ok(all.Functions!.some((f) => f.FunctionArn === `arn:aws:lambda:us-east-1:000000000000:function:${prefix}-0:$LATEST`));
    // ListFunctions leaves out the state fields (GetFunction has them), as the API reference says
    const listed = all.Functions!.find((f) => f.FunctionName === `${prefix}-0`)!;
    assert.equal(listed.State, undefined);
    assert.equal(listed.LastUpdateStatus, undefined);
    assert.equal(listed.Runtime, 'nodejs20.x');
  });

  test('DeleteFunction removes it; a qualifier deletes one version; $LATEST cannot be deleted alone', async () => {
    const name = uniqueName();
    await create(name, { Publish: true });
    await rejects(lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '$LATEST' })), 'InvalidParameterValueException', '$LATEST version cannot be deleted without deleting the function.');
    await lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '1' }));
    await rejects(lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' })), 'ResourceNotFoundException', `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}:1`);
    const del = await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    assert.equal(del.$metadata.httpStatusCode, 204);
    await rejects(lambda.send(new GetFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
    await rejects(lambda.send(new DeleteFunctionCommand({ FunctionName: name })), 'ResourceNotFoundException');
  });

  test('GetFunction and ListFunctions stay fast with 1,000 functions', async () => {
    const prefix = uniqueName('bulk');
    const provider = await nimbus().services.internal.provider<any>('lambda');
    const zip = NODE_ZIP();
    const ctx = { accountId: '000000000001', region: 'us-east-1', partition: 'aws', endpoint: nimbus().endpoint } as any;
    {
      for (let i = 0; i < 1000; i++) await provider.CreateFunction({ FunctionName: `${prefix}-${String(i).padStart(4, '0')}`, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }, ctx);
      const t0 = performance.now();
      for (let i = 0; i < 200; i++) provider.GetFunction({ FunctionName: `${prefix}-${String(i * 5).padStart(4, '0')}` }, ctx);
      const getMs = (performance.now() - t0) / 200;
      const t1 = performance.now();
      let marker: string | undefined;
      let count = 0;
      do {
        const page = provider.ListFunctions({ Marker: marker }, ctx);
        count += page.Functions.length;
        marker = page.NextMarker;
      } while (marker);
      const listMs = performance.now() - t1;
      assert.equal(count, 1000);
      assert.ok(getMs < 2, `GetFunction took ${getMs} ms`);
      assert.ok(listMs < 300, `listing 1000 took ${listMs} ms`);
    }
  });
});
