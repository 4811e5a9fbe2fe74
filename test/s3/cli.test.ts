// S3 through the real aws CLI (high-level s3 commands and s3api) and boto3's transfer manager.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { startNimbus, cliEnv, type TestNimbus } from '../helpers/server.js';

const run = promisify(execFile);
let nimbus: TestNimbus;
let dir: string;
before(async () => {
  nimbus = await startNimbus();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-s3-cli-'));
});
after(async () => {
  await nimbus.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const aws = (...args: string[]) => run('aws', ['--endpoint-url', nimbus.endpoint, '--region', 'us-east-1', '--output', 'json', ...args], { env: cliEnv() });

test('aws s3 cp/ls/sync and s3api', async () => {
  // Each CLI start costs about a second: independent commands run side by side.
  await new S3Client({ ...nimbus.clientConfig, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: 'cli-bucket' }));
  const src = path.join(dir, 'site');
  fs.mkdirSync(path.join(src, 'css'), { recursive: true });
  fs.writeFileSync(path.join(src, 'index.html'), '<h1>hi</h1>');
  fs.writeFileSync(path.join(src, 'css', 'a b.css'), 'body{}');
  fs.writeFileSync(path.join(src, 'ünï.txt'), 'unicode');
  const single = path.join(dir, 'single.txt');
  fs.writeFileSync(single, 'one file');
  // sync re-uploads a file whose local mtime is newer than S3's LastModified, which has whole
  // seconds on AWS as here: files written in the second of their upload would race it.
  const past = new Date(Date.now() - 3600_000);
  for (const f of ['index.html', 'css/a b.css', 'ünï.txt']) fs.utimesSync(path.join(src, f), past, past);

  await Promise.all([aws('s3', 'sync', src, 's3://cli-bucket/site/'), aws('s3', 'cp', single, 's3://cli-bucket/single.txt')]);
  const back = path.join(dir, 'back');
  const [ls, lsRec, head, again, , err] = await Promise.all([
    aws('s3', 'ls', 's3://cli-bucket/site/'),
    aws('s3', 'ls', '--recursive', 's3://cli-bucket/'),
    aws('s3api', 'head-object', '--bucket', 'cli-bucket', '--key', 'site/css/a b.css'),
    // A second sync uploads nothing: sizes and times match what S3 reported.
    aws('s3', 'sync', src, 's3://cli-bucket/site/'),
    aws('s3', 'cp', '--recursive', 's3://cli-bucket/site/', back),
    aws('s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'missing', path.join(dir, 'x')).catch((e) => e),
  ]);
  assert.match(ls.stdout, /PRE css\//);
  assert.match(ls.stdout, /index\.html/);
  for (const k of ['site/index.html', 'site/css/a b.css', 'site/ünï.txt', 'single.txt']) assert.ok(lsRec.stdout.includes(k), `${k} in ${lsRec.stdout}`);
  assert.equal(JSON.parse(head.stdout).ContentLength, 6);
  assert.equal(again.stdout.trim(), '');
  assert.equal(fs.readFileSync(path.join(back, 'css', 'a b.css'), 'utf8'), 'body{}');
  assert.equal(fs.readFileSync(path.join(back, 'ünï.txt'), 'utf8'), 'unicode');
  assert.match(String(err.stderr), /NoSuchKey/);
});

test('boto3 transfer manager: multipart upload and download', async () => {
  const file = path.join(dir, 'big.bin');
  const data = crypto.randomBytes(12 * 1024 * 1024 + 5);
  fs.writeFileSync(file, data);
  const script = `
import boto3, sys
from boto3.s3.transfer import TransferConfig
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')
s3.create_bucket(Bucket='boto-bucket')
cfg = TransferConfig(multipart_threshold=5*1024*1024, multipart_chunksize=5*1024*1024, max_concurrency=3)
s3.upload_file(sys.argv[2], 'boto-bucket', 'big.bin', Config=cfg)
head = s3.head_object(Bucket='boto-bucket', Key='big.bin')
print(head['ETag'], head['ContentLength'])
s3.download_file('boto-bucket', 'big.bin', sys.argv[2] + '.back', Config=cfg)
`;
  const out = await run('python3', ['-c', script, nimbus.endpoint, file], { env: cliEnv() });
  const [etag, length] = out.stdout.trim().split(' ');
  assert.match(etag, /^"[0-9a-f]{32}-3"$/);
  assert.equal(Number(length), data.length);
  assert.ok(fs.readFileSync(file + '.back').equals(data));
});
