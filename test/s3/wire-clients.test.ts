// S3 through the whole Nimbus (pipeline, rest-xml codec, provider) with the clients that use
// botocore: what they do differently from the JS SDK. Keys that need url-encoding in listings
// (botocore asks for encoding-type=url and decodes), Content-MD5 checked against the body,
// Expect: 100-continue on a failing upload, ranged parallel downloads, presigned URLs (the CLI's
// and boto3's), virtual-hosted addressing, the CLI's multipart threshold. The plain cp/ls/sync
// flows and boto3's transfer manager are in cli.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startNimbus, type TestNimbus } from '../helpers/server.js';
import { awsCli, boto3Calls, hasAwsCli, hasBotocore } from '../protocols/botocore-harness.js';

const run = promisify(execFile);
const skip = (!hasBotocore || !hasAwsCli) && 'python3 with boto3 and the aws CLI are needed';

let nimbus: TestNimbus;
let dir: string;
before(async () => {
  if (skip) return;
  nimbus = await startNimbus();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-s3-wire-'));
  // Every CLI or python start costs seconds: the fixtures are made in one python run.
  const setup = await boto3Calls(nimbus.endpoint, [
    ...['wire-keys', 'wire-md5', 'wire-expect', 'wire-cp', 'wire-presign', 'wire-cors'].map((Bucket) => ({ service: 's3' as const, op: 'CreateBucket', params: { Bucket } })),
    { service: 's3', op: 'PutObject', params: { Bucket: 'wire-presign', Key: 'dir/a b+c.txt', Body: Buffer.from('presigned body') } },
    {
      service: 's3',
      op: 'PutBucketCors',
      params: { Bucket: 'wire-cors', CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['http://app.example'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], MaxAgeSeconds: 60 }] } },
    },
  ]);
  for (const x of setup) assert.ok(x.ok, JSON.stringify(x.error ?? x.exception));
});

/** An unsigned request straight to the server (path-style), as a browser or curl would send. */
const plain = (p: string, init?: RequestInit) => fetch(`${nimbus.endpoint}${p}`, init);
after(async () => {
  if (skip) return;
  await nimbus.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const md5 = (b: Buffer | string) => crypto.createHash('md5').update(b).digest();
const aws = (...args: string[]) => awsCli(nimbus.endpoint, args, { cwd: dir });
function ok<T extends { code: number; stderr: string }>(r: T): T {
  assert.equal(r.code, 0, r.stderr);
  return r;
}

// Keys with every character botocore's url-decoding of listings could get wrong: '+' (decoded
// as a space by unquote_plus), '%', a space, non-ASCII, '?', '#', '&', '=', and the CR, LF and
// TAB an XML parser would normalise away if they were not encoded.
const trickyKeys = ['a+b c%20d.txt', 'dir/ü?#&=.txt', 'dir/sub dir/x+y', '100%', 'cr\r\nlf\ttab.txt'];

test('listings through botocore keep keys that need url-encoding exact', { skip }, async () => {
  const calls = [
    ...trickyKeys.map((Key) => ({ service: 's3' as const, op: 'PutObject', params: { Bucket: 'wire-keys', Key, Body: Buffer.from(Key) } })),
    { service: 's3' as const, op: 'ListObjectsV2', params: { Bucket: 'wire-keys' } },
    { service: 's3' as const, op: 'ListObjectsV2', params: { Bucket: 'wire-keys', Prefix: 'dir/', Delimiter: '/' } },
    { service: 's3' as const, op: 'ListObjects', params: { Bucket: 'wire-keys', MaxKeys: 1, Marker: 'a+b c%20d.txt' } },
    { service: 's3' as const, op: 'ListObjectVersions', params: { Bucket: 'wire-keys', Prefix: 'dir/sub ' } },
    ...trickyKeys.map((Key) => ({ service: 's3' as const, op: 'GetObject', params: { Bucket: 'wire-keys', Key } })),
  ];
  const r = await boto3Calls(nimbus.endpoint, calls);
  for (const [i, x] of r.entries()) assert.ok(x.ok, `${calls[i].op} ${JSON.stringify(calls[i].params)}: ${JSON.stringify(x.error ?? x.exception)}`);
  const n = trickyKeys.length - 1;
  const all = r[n + 1].ok;
  assert.deepEqual(all.Contents.map((c: any) => c.Key), [...trickyKeys].sort());
  const dirs = r[n + 2].ok;
  assert.deepEqual(dirs.Contents.map((c: any) => c.Key), ['dir/ü?#&=.txt']);
  assert.deepEqual(dirs.CommonPrefixes, [{ Prefix: 'dir/sub dir/' }]);
  assert.equal(dirs.Prefix, 'dir/');
  assert.equal(dirs.Delimiter, '/');
  const v1 = r[n + 3].ok;
  assert.equal(v1.Marker, 'a+b c%20d.txt');
  assert.deepEqual(v1.Contents.map((c: any) => c.Key), ['cr\r\nlf\ttab.txt']);
  assert.equal(v1.IsTruncated, true);
  const versions = r[n + 4].ok;
  assert.deepEqual(versions.Versions.map((v: any) => v.Key), ['dir/sub dir/x+y']);
  assert.equal(versions.Prefix, 'dir/sub ');
  trickyKeys.forEach((Key, i) => assert.deepEqual(r[n + 5 + i].ok.Body, Buffer.from(Key)));

  // the CLI: `s3 ls` and `s3api list-objects` decode; with --encoding-type url the caller decodes
  const [ls, auto, explicit] = await Promise.all([
    aws('s3', 'ls', '--recursive', 's3://wire-keys'),
    aws('s3api', 'list-objects', '--bucket', 'wire-keys'),
    aws('s3api', 'list-objects', '--bucket', 'wire-keys', '--encoding-type', 'url'),
  ]);
  for (const k of trickyKeys.filter((k) => !/[\r\n]/.test(k))) assert.ok(ok(ls).stdout.includes(` ${k}\n`), `${k} in ${ls.stdout}`);
  assert.deepEqual(ok(auto).json.Contents.map((c: any) => c.Key), [...trickyKeys].sort());
  const encoded = ok(explicit).json.Contents.map((c: any) => c.Key as string);
  assert.deepEqual(encoded.map((k: string) => decodeURIComponent(k.replace(/\+/g, ' '))), [...trickyKeys].sort());
  assert.ok(!encoded.some((k: string) => /[ ü?#&=]/.test(k)), `encoded keys: ${encoded}`);
});

test('Content-MD5: a matching digest stores the object, a wrong one is BadDigest', { skip }, async () => {
  const body = Buffer.from('checked body\n');
  fs.writeFileSync(path.join(dir, 'md5.txt'), body);
  const [good, bad] = await Promise.all([
    aws('s3api', 'put-object', '--bucket', 'wire-md5', '--key', 'good', '--body', 'md5.txt', '--content-md5', md5(body).toString('base64')),
    aws('s3api', 'put-object', '--bucket', 'wire-md5', '--key', 'bad', '--body', 'md5.txt', '--content-md5', md5('other').toString('base64')),
  ]);
  assert.equal(ok(good).json.ETag, `"${md5(body).toString('hex')}"`);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /BadDigest/);
  const got = await plain('/wire-md5/good');
  assert.deepEqual(Buffer.from(await got.arrayBuffer()), body);
  assert.equal((await plain('/wire-md5/bad', { method: 'HEAD' })).status, 404);
});

test('Expect: 100-continue uploads: success, and an error answered while the body is pending', { skip }, async () => {
  const big = crypto.randomBytes(3 * 1024 * 1024);
  const r = await boto3Calls(nimbus.endpoint, [
    { service: 's3', op: 'PutObject', params: { Bucket: 'wire-expect', Key: 'k', Body: big } },
    { service: 's3', op: 'PutObject', params: { Bucket: 'no-such-wire-bucket', Key: 'k', Body: big }, config: { retries: { total_max_attempts: 1 } } },
    { service: 's3', op: 'HeadObject', params: { Bucket: 'wire-expect', Key: 'k' } },
  ]);
  assert.equal(r[0].sent!.headers.expect, '100-continue');
  assert.equal(r[0].ok.ETag, `"${md5(big).toString('hex')}"`);
  assert.equal(r[1].error?.Error?.Code, 'NoSuchBucket', JSON.stringify(r[1]));
  assert.equal(r[2].ok.ContentLength, big.length);
});

test('aws s3 cp: multipart above the 8 MB threshold (or a configured one), ranged parallel download', { skip }, async () => {
  const big = crypto.randomBytes(9 * 1024 * 1024 + 3);
  const mid = crypto.randomBytes(6 * 1024 * 1024);
  fs.writeFileSync(path.join(dir, 'big.bin'), big);
  fs.writeFileSync(path.join(dir, 'mid.bin'), mid);
  // a 5 MB threshold from the CLI's own configuration file
  fs.writeFileSync(path.join(dir, 'config'), '[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n');
  const [a, b, c] = await Promise.all([
    aws('s3', 'cp', 'big.bin', 's3://wire-cp/big.bin'),
    aws('s3', 'cp', 'mid.bin', 's3://wire-cp/mid-default.bin'),
    awsCli(nimbus.endpoint, ['s3', 'cp', 'mid.bin', 's3://wire-cp/mid-5mb.bin'], { cwd: dir, env: { AWS_CONFIG_FILE: path.join(dir, 'config') } }),
  ]);
  ok(a);
  ok(b);
  ok(c);
  const etags = await Promise.all(['big.bin', 'mid-default.bin', 'mid-5mb.bin'].map(async (k) => (await plain(`/wire-cp/${k}`, { method: 'HEAD' })).headers.get('etag')));
  // a multipart upload's ETag is the MD5 of the parts' MD5s and their count
  assert.match(etags[0]!, /^"[0-9a-f]{32}-2"$/);
  assert.equal(etags[1], `"${md5(mid).toString('hex')}"`);
  assert.match(etags[2]!, /^"[0-9a-f]{32}-2"$/);
  // downloads above the threshold are ranged GETs (206) run in parallel
  const down = await aws('s3', 'cp', 's3://wire-cp/big.bin', 'big.back');
  ok(down);
  assert.ok(fs.readFileSync(path.join(dir, 'big.back')).equals(big));
});

test('presigned URLs: the CLI (SigV2 query), boto3 SigV2 and SigV4, GET and PUT, fetched without an SDK', { skip }, async () => {
  const v4 = { signature_version: 's3v4' };
  const [presign, r] = await Promise.all([aws('s3', 'presign', 's3://wire-presign/dir/a b+c.txt', '--expires-in', '600'), boto3Calls(nimbus.endpoint, [
    { service: 's3', op: 'generate_presigned_url', params: { ClientMethod: 'get_object', Params: { Bucket: 'wire-presign', Key: 'dir/a b+c.txt' } } },
    { service: 's3', op: 'generate_presigned_url', params: { ClientMethod: 'get_object', Params: { Bucket: 'wire-presign', Key: 'dir/a b+c.txt', ResponseContentType: 'text/x-test' } }, config: v4 },
    { service: 's3', op: 'generate_presigned_url', params: { ClientMethod: 'put_object', Params: { Bucket: 'wire-presign', Key: 'up-v2.txt' } } },
    { service: 's3', op: 'generate_presigned_url', params: { ClientMethod: 'put_object', Params: { Bucket: 'wire-presign', Key: 'up v4.txt', ContentType: 'text/plain' } }, config: v4 },
    { service: 's3', op: 'generate_presigned_url', params: { ClientMethod: 'get_object', Params: { Bucket: 'wire-presign', Key: 'up v4.txt' } }, config: { ...v4, s3: { addressing_style: 'virtual' } }, endpoint: `http://localhost:${nimbus.port}` },
  ])]);
  const cliUrl = ok(presign).stdout.trim();
  const [getV2, getV4, putV2, putV4, getVirtual] = r.map((x) => x.ok.url as string);
  assert.match(cliUrl, /[?&]Signature=/);
  assert.match(getV4, /[?&]X-Amz-Signature=/);
  assert.match(getVirtual, /^http:\/\/wire-presign\.localhost:\d+\//);
  for (const url of [cliUrl, getV2, getV4]) {
    const res = await fetch(url);
    assert.equal(res.status, 200, url);
    assert.equal(await res.text(), 'presigned body');
  }
  assert.equal((await fetch(getV4)).headers.get('content-type'), 'text/x-test');
  const put2 = await fetch(putV2, { method: 'PUT', body: 'via v2' });
  assert.equal(put2.status, 200, await put2.text());
  const put4 = await fetch(putV4, { method: 'PUT', body: 'via v4', headers: { 'content-type': 'text/plain' } });
  assert.equal(put4.status, 200, await put4.text());
  // curl resolves *.localhost to the loopback address itself
  const viaCurl = await run('curl', ['-s', '-f', getVirtual]);
  assert.equal(viaCurl.stdout, 'via v4');
  assert.equal(await (await plain('/wire-presign/up-v2.txt')).text(), 'via v2');
});

test('virtual-hosted addressing end to end: bucket.localhost and bucket.s3.localhost', { skip }, async () => {
  const virtual = { s3: { addressing_style: 'virtual' } };
  const r = await boto3Calls(nimbus.endpoint, [
    { service: 's3', op: 'CreateBucket', params: { Bucket: 'wire-virtual' }, config: virtual, endpoint: `http://localhost:${nimbus.port}` },
    { service: 's3', op: 'PutObject', params: { Bucket: 'wire-virtual', Key: 'dir/k 1', Body: Buffer.from('one') }, config: virtual, endpoint: `http://localhost:${nimbus.port}` },
    { service: 's3', op: 'PutObject', params: { Bucket: 'wire-virtual', Key: 'k2', Body: Buffer.from('two') }, config: virtual, endpoint: `http://s3.localhost:${nimbus.port}` },
    { service: 's3', op: 'ListObjectsV2', params: { Bucket: 'wire-virtual' }, config: virtual, endpoint: `http://s3.localhost:${nimbus.port}` },
    { service: 's3', op: 'GetObject', params: { Bucket: 'wire-virtual', Key: 'dir/k 1' }, config: virtual, endpoint: `http://s3.us-east-1.localhost:${nimbus.port}` },
    { service: 's3', op: 'ListObjectsV2', params: { Bucket: 'wire-virtual' } },
    // a bucket named like another service (logs.localhost) is still a bucket when signed for s3
    { service: 's3', op: 'CreateBucket', params: { Bucket: 'logs' }, config: virtual, endpoint: `http://localhost:${nimbus.port}` },
    { service: 's3', op: 'PutObject', params: { Bucket: 'logs', Key: 'app.log', Body: Buffer.from('line') }, config: virtual, endpoint: `http://localhost:${nimbus.port}` },
    { service: 's3', op: 'ListObjectsV2', params: { Bucket: 'logs' } },
  ]);
  for (const x of r) assert.ok(x.ok, JSON.stringify(x.error ?? x.exception));
  assert.match(r[1].sent!.url, /^http:\/\/wire-virtual\.localhost:\d+\/dir\/k%201$/);
  assert.match(r[2].sent!.url, /^http:\/\/wire-virtual\.s3\.localhost:\d+\/k2$/);
  assert.deepEqual(r[3].ok.Contents.map((c: any) => c.Key), ['dir/k 1', 'k2']);
  assert.deepEqual(r[4].ok.Body, Buffer.from('one'));
  assert.deepEqual(r[5].ok.Contents.map((c: any) => c.Key), ['dir/k 1', 'k2']);
  assert.match(r[7].sent!.url, /^http:\/\/logs\.localhost:\d+\/app\.log$/);
  assert.deepEqual(r[8].ok.Contents.map((c: any) => c.Key), ['app.log']);
});

test('CORS preflight (OPTIONS) reaches the bucket CORS rules', { skip }, async () => {
  const allowed = await fetch(`${nimbus.endpoint}/wire-cors/k`, { method: 'OPTIONS', headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://app.example');
  const denied = await fetch(`${nimbus.endpoint}/wire-cors/k`, { method: 'OPTIONS', headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'PUT' } });
  assert.equal(denied.status, 403);
  assert.match(await denied.text(), /<Code>AccessForbidden<\/Code>/);
});

test("botocore reports S3's own request id (x-amz-request-id), the one in S3's error documents", { skip }, async () => {
  const [r] = await boto3Calls(nimbus.endpoint, [{ service: 's3', op: 'GetObject', params: { Bucket: 'wire-keys', Key: 'no-such-key' } }]);
  assert.equal(r.error.Error.Code, 'NoSuchKey');
  assert.equal(r.error.ResponseMetadata.RequestId, r.error.ResponseMetadata.HTTPHeaders['x-amz-request-id']);
  assert.match(r.error.ResponseMetadata.RequestId, /^[0-9A-F]{16}$/);
});
