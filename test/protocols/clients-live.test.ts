// Lambda through the whole Nimbus with the clients that are not the JS SDK: `aws lambda invoke`
// (raw payload file in, raw payload file out, --log-type Tail), and a function URL fetched by
// curl on its own host name (<url-id>.lambda-url.<region>.localhost, which curl resolves to
// the loopback address itself): the pipeline must route it by Host to the lambda module's raw
// handler, not take it for a virtual-hosted S3 bucket, and keep the path and query as sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import AdmZip from 'adm-zip';
import { LambdaClient, AddPermissionCommand, CreateFunctionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { startNimbus, type TestNimbus } from '../helpers/server.js';
import { awsCli, hasAwsCli } from './botocore-harness.js';

const run = promisify(execFile);
const hasCurl = spawnSync('curl', ['--version']).status === 0;

let nimbus: TestNimbus;
let dir: string;
let lambda: LambdaClient;
let functionUrl: string;
before(async () => {
  nimbus = await startNimbus();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-live-'));
  lambda = new LambdaClient(nimbus.clientConfig);
  const zip = new AdmZip();
  // echoes what it was given: the invoke payload, or the function URL event
  zip.addFile('index.mjs', Buffer.from('export const handler = async (event) => { console.log("saw", typeof event); return event.requestContext ? { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(event) } : event; };'));
  await lambda.send(new CreateFunctionCommand({ FunctionName: 'live-echo', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/r', Code: { ZipFile: zip.toBuffer() } }));
  functionUrl = (await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'live-echo', AuthType: 'NONE' }))).FunctionUrl!;
  // as AWS requires of a public URL: a resource-based policy statement
  await lambda.send(new AddPermissionCommand({ FunctionName: 'live-echo', StatementId: 'public-url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
});
after(async () => {
  lambda?.destroy();
  await nimbus?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('aws lambda invoke: fileb:// payload, the raw result in the outfile, --log-type Tail', { skip: !hasAwsCli && 'the aws CLI is not installed' }, async () => {
  const payload = '{"greeting": "hällo", "n": [1, 2, 3]}';
  fs.writeFileSync(path.join(dir, 'in.json'), payload);
  const r = await awsCli(nimbus.endpoint, ['lambda', 'invoke', '--function-name', 'live-echo', '--payload', 'fileb://in.json', '--log-type', 'Tail', 'out.json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.StatusCode, 200);
  assert.equal(r.json.ExecutedVersion, '$LATEST');
  assert.equal(r.json.FunctionError, undefined);
  const tail = Buffer.from(r.json.LogResult, 'base64').toString('utf8');
  assert.match(tail, /START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
  assert.match(tail, /saw\s+object/);
  assert.match(tail, /REPORT RequestId: /);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')), JSON.parse(payload));
});

test('a function URL on its own *.localhost host reaches the function with path, query and Host intact', { skip: !hasCurl && 'curl is not installed' }, async () => {
  const url = new URL(functionUrl);
  assert.match(url.hostname, /^[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost$/);
  assert.equal(url.port, String(nimbus.port));
  const res = await run('curl', ['-s', '-S', '-m', '20', '-X', 'POST', '-H', 'X-Custom: v1', '-H', 'content-type: text/plain', '--data-binary', 'body text', `${url.origin}/path/a%20b?x=1&y=a%20b&x=2`]);
  const event = JSON.parse(res.stdout);
  assert.equal(event.headers.host, url.host);
  assert.equal(event.headers['x-custom'], 'v1');
  assert.equal(event.requestContext.http.method, 'POST');
  assert.equal(event.requestContext.http.path, '/path/a b');
  assert.equal(event.rawQueryString, 'x=1&y=a%20b&x=2');
  assert.deepEqual(event.queryStringParameters, { x: '1,2', y: 'a b' });
  assert.equal(event.body, 'body text');
  assert.equal(event.requestContext.apiId, url.hostname.split('.')[0]);
  // an unknown url id on the same host pattern is the function URL 404, not an S3 answer
  const missing = await run('curl', ['-s', '-m', '20', '-o', '/dev/null', '-w', '%{http_code} %{content_type}', `http://${'z'.repeat(32)}.lambda-url.us-east-1.localhost:${nimbus.port}/`]);
  assert.match(missing.stdout, /^404 application\/json/);
});

test('a function URL payload over 6 MB is a 413, as on AWS', async () => {
  const urlId = new URL(functionUrl).hostname.split('.')[0];
  const res = await fetch(`${nimbus.endpoint}/_aws/lambda-url/${urlId}/`, { method: 'POST', body: Buffer.alloc(6 * 1024 * 1024 + 1, 'a') });
  assert.equal(res.status, 413);
});
