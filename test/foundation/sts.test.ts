import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { startNimbus, cliEnv, type TestNimbus } from '../helpers/server.js';

const run = promisify(execFile);
let nimbus: TestNimbus;
before(async () => {
  nimbus = await startNimbus();
});
after(() => nimbus.close());

test('GetCallerIdentity with a non-numeric key reports the default account as root', async () => {
  const sts = new STSClient(nimbus.clientConfig);
  const id = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(id.Account, '000000000000');
  assert.equal(id.Arn, 'arn:aws:iam::000000000000:root');
  assert.equal(id.UserId, '000000000000');
  assert.match(id.$metadata.requestId ?? '', /^[0-9a-f-]{36}$/);
});

test('a 12-digit access key id is taken as the account, and the region picks the partition', async () => {
  const sts = new STSClient({ ...nimbus.clientConfig, region: 'cn-north-1', credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' } });
  const id = await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(id.Account, '123456789012');
  assert.equal(id.Arn, 'arn:aws-cn:iam::123456789012:root');
});

test('AssumeRole issues keys that then identify as the assumed role', async () => {
  const sts = new STSClient(nimbus.clientConfig);
  const r = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/app', RoleSessionName: 'sess', DurationSeconds: 900 }));
  assert.match(r.Credentials!.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
  assert.ok(r.Credentials!.Expiration instanceof Date);
  assert.equal(r.AssumedRoleUser!.Arn, 'arn:aws:sts::111122223333:assumed-role/app/sess');
  const as = new STSClient({ ...nimbus.clientConfig, credentials: { accessKeyId: r.Credentials!.AccessKeyId!, secretAccessKey: r.Credentials!.SecretAccessKey!, sessionToken: r.Credentials!.SessionToken } });
  const id = await as.send(new GetCallerIdentityCommand({}));
  assert.equal(id.Account, '111122223333');
  assert.equal(id.Arn, 'arn:aws:sts::111122223333:assumed-role/app/sess');
});

test('AssumeRole validates its input as STS does', async () => {
  const sts = new STSClient(nimbus.clientConfig);
  await assert.rejects(sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111122223333:role/app', RoleSessionName: 'x' })), (e: any) => {
    assert.equal(e.name, 'ValidationError');
    assert.equal(e.$metadata.httpStatusCode, 400);
    return true;
  });
});

test('the aws CLI prints the caller identity', async () => {
  const { stdout } = await run('aws', ['--endpoint-url', nimbus.endpoint, 'sts', 'get-caller-identity', '--output', 'json'], { env: cliEnv() });
  const id = JSON.parse(stdout);
  assert.equal(id.Account, '000000000000');
  assert.equal(id.Arn, 'arn:aws:iam::000000000000:root');
});
