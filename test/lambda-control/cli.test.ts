// The aws CLI and boto3 against the Lambda control plane and IAM, as users type them
// (waiters included). Each CLI call is a Python start, so each test makes only a few.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LambdaClient, CreateFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { startNimbus, cliEnv, type TestNimbus } from '../helpers/server.js';
import { NODE_ZIP, ROLE, uniqueName, zipOf } from './helpers.js';

const run = promisify(execFile);
let nimbus: TestNimbus;
let dir: string;

before(async () => {
  nimbus = await startNimbus();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-cli-'));
});
after(async () => {
  await nimbus?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run('aws', ['--endpoint-url', nimbus.endpoint, '--region', 'us-east-1', '--output', 'json', ...args], { env: cliEnv(), timeout: 20_000 });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

async function awsFails(...args: string[]): Promise<string> {
  try {
    await run('aws', ['--endpoint-url', nimbus.endpoint, '--region', 'us-east-1', ...args], { env: cliEnv(), timeout: 20_000 });
  } catch (e: any) {
    return String(e.stderr);
  }
  assert.fail(`aws ${args.join(' ')} succeeded`);
}

function zipFile(name: string, zip: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, zip);
  return `fileb://${p}`;
}

/** Setup through the SDK (fast); the CLI is kept for the calls under test. */
async function sdkFn(name: string): Promise<void> {
  const lambda = new LambdaClient(nimbus.clientConfig);
  await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: NODE_ZIP() } }));
  await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  lambda.destroy();
}

async function createFn(name: string): Promise<any> {
  return aws('lambda', 'create-function', '--function-name', name, '--runtime', 'nodejs20.x', '--handler', 'index.handler', '--role', ROLE, '--zip-file', zipFile(`${name}.zip`, NODE_ZIP()));
}

describe('aws CLI', { concurrency: true }, () => {
  test('create-function, wait function-active-v2, get-function, missing function', async () => {
    const name = uniqueName('cli');
    const created = await createFn(name);
    assert.equal(created.State, 'Pending');
    await aws('lambda', 'wait', 'function-active-v2', '--function-name', name);
    const got = await aws('lambda', 'get-function', '--function-name', name);
    assert.equal(got.Configuration.State, 'Active');
    assert.ok(got.Code.Location.startsWith(nimbus.endpoint));
    const err = await awsFails('lambda', 'get-function', '--function-name', `${name}-missing`);
    assert.match(err, /ResourceNotFoundException/);
    assert.match(err, new RegExp(`Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}-missing`));
  });

  test('update-function-code, wait function-updated-v2, publish-version', async () => {
    const name = uniqueName('cli');
    await sdkFn(name);
    const up = await aws('lambda', 'update-function-code', '--function-name', name, '--zip-file', zipFile(`${name}-2.zip`, zipOf({ 'index.mjs': 'export const handler = async () => "v2";' })));
    assert.equal(up.LastUpdateStatus, 'InProgress');
    await aws('lambda', 'wait', 'function-updated-v2', '--function-name', name);
    assert.equal((await aws('lambda', 'publish-version', '--function-name', name)).Version, '1');
  });

  test('put-function-concurrency, add-permission, get-policy, duplicate statement', async () => {
    const name = uniqueName('cli');
    await sdkFn(name);
    assert.equal((await aws('lambda', 'put-function-concurrency', '--function-name', name, '--reserved-concurrent-executions', '0')).ReservedConcurrentExecutions, 0);
    await aws('lambda', 'add-permission', '--function-name', name, '--statement-id', 's3invoke', '--action', 'lambda:InvokeFunction', '--principal', 's3.amazonaws.com');
    const policy = JSON.parse((await aws('lambda', 'get-policy', '--function-name', name)).Policy);
    assert.equal(policy.Statement[0].Sid, 's3invoke');
    const err = await awsFails('lambda', 'add-permission', '--function-name', name, '--statement-id', 's3invoke', '--action', 'lambda:InvokeFunction', '--principal', 's3.amazonaws.com');
    assert.match(err, /ResourceConflictException/);
  });

  test('iam create-role, wait role-exists, get-role', async () => {
    const role = uniqueName('clirole');
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    const created = await aws('iam', 'create-role', '--role-name', role, '--assume-role-policy-document', trust);
    assert.equal(created.Role.Arn, `arn:aws:iam::000000000000:role/${role}`);
    await aws('iam', 'wait', 'role-exists', '--role-name', role);
    const got = await aws('iam', 'get-role', '--role-name', role);
    // botocore decodes IAM's URL-encoded policy documents back into JSON
    assert.deepEqual(got.Role.AssumeRolePolicyDocument, JSON.parse(trust));
  });
});

describe('boto3', () => {
  test('functions, waiters, paginators, errors and IAM', async () => {
    const name = uniqueName('boto');
    const zipPath = path.join(dir, `${name}.zip`);
    fs.writeFileSync(zipPath, NODE_ZIP());
    const script = `
import json, sys, boto3, botocore
kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
lam = boto3.client('lambda', **kw)
iam = boto3.client('iam', **kw)
name, zip_path, role = sys.argv[2], sys.argv[3], sys.argv[4]
out = {}
out['create'] = lam.create_function(FunctionName=name, Runtime='python3.12', Handler='app.handler', Role=role, Code={'ZipFile': open(zip_path, 'rb').read()})['State']
lam.get_waiter('function_active_v2').wait(FunctionName=name)
lam.update_function_configuration(FunctionName=name, MemorySize=512)
lam.get_waiter('function_updated_v2').wait(FunctionName=name)
out['memory'] = lam.get_function_configuration(FunctionName=name)['MemorySize']
out['names'] = [f['FunctionName'] for page in lam.get_paginator('list_functions').paginate(PaginationConfig={'PageSize': 1}) for f in page['Functions']]
try:
    lam.get_function(FunctionName=name + '-nope')
except lam.exceptions.ResourceNotFoundException as e:
    out['error'] = e.response['Error']['Message']
try:
    lam.update_function_configuration(FunctionName=name, Timeout=1000)
except botocore.exceptions.ClientError as e:
    out['timeout_error'] = [e.response['Error']['Code'], e.response['Error']['Message']]
out['v1'] = lam.publish_version(FunctionName=name)['Version']
lam.update_function_code(FunctionName=name, ZipFile=open(zip_path, 'rb').read() + b'')
lam.get_waiter('function_updated_v2').wait(FunctionName=name)
lam.update_function_configuration(FunctionName=name, Description='two')
lam.get_waiter('function_updated_v2').wait(FunctionName=name)
out['v2'] = lam.publish_version(FunctionName=name)['Version']
out['versions'] = [v['Version'] for v in lam.list_versions_by_function(FunctionName=name)['Versions']]
lam.create_alias(FunctionName=name, Name='live', FunctionVersion='1', RoutingConfig={'AdditionalVersionWeights': {'2': 0.5}})
out['alias'] = lam.get_alias(FunctionName=name, Name='live')['RoutingConfig']
iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': []}))
iam.attach_role_policy(RoleName=name, PolicyArn='arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')
try:
    iam.delete_role(RoleName=name)
except iam.exceptions.DeleteConflictException as e:
    out['delete_conflict'] = e.response['Error']['Code']
out['role'] = iam.get_role(RoleName=name)['Role']['RoleName']
try:
    iam.get_role(RoleName=name + '-nope')
except iam.exceptions.NoSuchEntityException as e:
    out['iam_error'] = e.response['Error']['Message']
print(json.dumps(out))
`;
    const { stdout } = await run('python3', ['-c', script, nimbus.endpoint, name, zipPath, ROLE], { env: cliEnv(), timeout: 20_000 });
    const out = JSON.parse(stdout);
    assert.equal(out.create, 'Pending');
    assert.equal(out.memory, 512);
    assert.ok(out.names.includes(name));
    assert.equal(out.error, `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}-nope`);
    assert.deepEqual(out.timeout_error, ['ValidationException', "1 validation error detected: Value '1000' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"]);
    assert.equal(out.role, name);
    assert.equal(out.v1, '1');
    assert.equal(out.v2, '2');
    assert.deepEqual(out.versions, ['$LATEST', '1', '2']);
    assert.deepEqual(out.alias, { AdditionalVersionWeights: { '2': 0.5 } });
    assert.equal(out.delete_conflict, 'DeleteConflict');
    assert.equal(out.iam_error, `The role with name ${name}-nope cannot be found.`);
  });
});
