// Deployment packages: limits, zip checks, storage by content, and code read from Nimbus's S3.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { LambdaClient, CreateFunctionCommand, GetFunctionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { BlobStore } from '../../src/store/blobs.js';
import { inspectZip, storeZip, UNZIPPED_LIMIT } from '../../src/services/lambda/code.js';
import { startNimbus, type TestNimbus } from '../helpers/server.js';
import { NODE_ZIP, ROLE, uniqueName, zipOf } from './helpers.js';

/** Rewrites the uncompressed size recorded in every central-directory entry (nothing is inflated to check it). */
function claimUnzippedSize(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  for (let i = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); i >= 0; i = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), i + 4)) out.writeUInt32LE(size, i + 24);
  return out;
}

describe('code checks (unit)', () => {
  test('zips over 50 MB for direct upload are RequestTooLargeException; S3 packages are not held to it', () => {
    const blobs = new BlobStore();
    try {
      const big = Buffer.alloc(50 * 1024 * 1024 + 1);
      assert.throws(() => storeZip(blobs, big, 'CreateFunction', true), (e: any) => e.code === 'RequestTooLargeException' && e.status === 413 && e.message === 'Request must be smaller than 69905067 bytes for the CreateFunction operation');
      assert.throws(() => storeZip(blobs, big, 'CreateFunction', false), (e: any) => e.code === 'InvalidParameterValueException');
    } finally {
      blobs.close();
    }
  });

  test('unzipped size over 250 MB is refused', () => {
    const zip = claimUnzippedSize(zipOf({ 'a.txt': 'x' }), UNZIPPED_LIMIT + 1);
    assert.throws(() => inspectZip(zip), (e: any) => e.code === 'InvalidParameterValueException' && e.message === `Unzipped size must be smaller than ${UNZIPPED_LIMIT} bytes`);
    assert.equal(inspectZip(zipOf({ 'a.txt': 'hello' })).unzippedSize, 5);
  });

  test('the same zip is stored once', () => {
    const blobs = new BlobStore();
    try {
      const zip = NODE_ZIP();
      const a = storeZip(blobs, zip, 'CreateFunction', true);
      const b = storeZip(blobs, Buffer.from(zip), 'CreateFunction', true);
      assert.equal(a.sha256Hex, b.sha256Hex);
      assert.equal(a.codeSha256, crypto.createHash('sha256').update(zip).digest('base64'));
      assert.ok(blobs.has(a.sha256Hex));
    } finally {
      blobs.close();
    }
  });
});

describe('code from S3', () => {
  let nimbus: TestNimbus;
  let lambda: LambdaClient;
  let s3: S3Client;
  before(async () => {
    nimbus = await startNimbus();
    lambda = new LambdaClient(nimbus.clientConfig);
    s3 = new S3Client({ ...nimbus.clientConfig, forcePathStyle: true });
  });
  after(async () => {
    lambda?.destroy();
    s3?.destroy();
    await nimbus?.close();
  });

  test('CreateFunction and UpdateFunctionCode read S3Bucket/S3Key; a missing key is reported as AWS does', async () => {
    const bucket = uniqueName('code').toLowerCase();
    const zip = NODE_ZIP();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'fn.zip', Body: zip }));
    const name = uniqueName('s3fn');
    const out = await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { S3Bucket: bucket, S3Key: 'fn.zip' } }));
    assert.equal(out.CodeSha256, crypto.createHash('sha256').update(zip).digest('base64'));
    assert.equal(out.CodeSize, zip.length);
    await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    await assert.rejects(lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, S3Bucket: bucket, S3Key: 'missing.zip' })), (e: any) => {
      assert.equal(e.name, 'InvalidParameterValueException');
      assert.match(e.message, /^Error occurred while GetObject\. S3 Error Code: NoSuchKey\. S3 Error Message: /);
      return true;
    });
  });
});
