// The S3 provider called directly: buckets, objects, versions, listings, multipart, CORS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ManualClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { openDatabase } from '../../src/store/db.js';
import { BlobStore } from '../../src/store/blobs.js';
import { S3Provider } from '../../src/services/s3/provider.js';
import { body, harness, rejectsWith, text } from './harness.js';
import { validationError } from '../../src/services/s3/index.js';

const md5 = (s: string | Buffer) => crypto.createHash('md5').update(s).digest();
const b64crc32 = (s: string | Buffer) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(zlib.crc32(typeof s === 'string' ? Buffer.from(s) : s));
  return b.toString('base64');
};

test('buckets: create rules, location, ownership, listing, delete', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    assert.deepEqual(s3.CreateBucket({ Bucket: 'alpha' }, ctx()), { Location: '/alpha', BucketArn: 'arn:aws:s3:::alpha' });
    await rejectsWith(() => s3.CreateBucket({ Bucket: 'Bad_Name' }, ctx()), 'InvalidBucketName', 400);
    await rejectsWith(() => s3.CreateBucket({ Bucket: 'ab' }, ctx()), 'InvalidBucketName');
    await rejectsWith(() => s3.CreateBucket({ Bucket: '192.168.1.1' }, ctx()), 'InvalidBucketName');
    // us-east-1: re-creating your own bucket succeeds (S3's legacy behaviour) ...
    assert.equal(s3.CreateBucket({ Bucket: 'alpha' }, ctx()).Location, '/alpha');
    // ... elsewhere it is BucketAlreadyOwnedByYou; another account gets BucketAlreadyExists.
    s3.CreateBucket({ Bucket: 'beta', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }, ctx({ region: 'eu-west-1' }));
    await rejectsWith(() => s3.CreateBucket({ Bucket: 'beta', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }, ctx({ region: 'eu-west-1' })), 'BucketAlreadyOwnedByYou', 409);
    await rejectsWith(() => s3.CreateBucket({ Bucket: 'alpha' }, ctx({ accountId: '111111111111' })), 'BucketAlreadyExists', 409);
    await rejectsWith(() => s3.CreateBucket({ Bucket: 'gamma' }, ctx({ region: 'eu-west-1' })), 'IllegalLocationConstraintException');
    await rejectsWith(() => s3.CreateBucket({ Bucket: 'gamma', CreateBucketConfiguration: { LocationConstraint: 'us-east-1' } }, ctx()), 'InvalidLocationConstraint');

    assert.deepEqual(s3.GetBucketLocation({ Bucket: 'alpha' }), {});
    assert.deepEqual(s3.GetBucketLocation({ Bucket: 'beta' }), { LocationConstraint: 'eu-west-1' });
    assert.equal(s3.HeadBucket({ Bucket: 'beta' }).BucketRegion, 'eu-west-1');
    await rejectsWith(() => s3.HeadBucket({ Bucket: 'nope' }), 'NoSuchBucket', 404);
    await rejectsWith(() => s3.HeadBucket({ Bucket: 'beta', ExpectedBucketOwner: '111111111111' }), 'AccessDenied', 403);
    assert.ok(s3.HeadBucket({ Bucket: 'beta', ExpectedBucketOwner: '000000000000' }));

    s3.CreateBucket({ Bucket: 'theirs' }, ctx({ accountId: '111111111111' }));
    const list = s3.ListBuckets({}, ctx());
    assert.deepEqual(list.Buckets!.map((b) => [b.Name, b.BucketRegion]), [['alpha', 'us-east-1'], ['beta', 'eu-west-1']]);
    assert.match(list.Owner!.ID!, /^[0-9a-f]{64}$/);
    const page = s3.ListBuckets({ MaxBuckets: 1 }, ctx());
    assert.equal(page.Buckets!.length, 1);
    assert.deepEqual(s3.ListBuckets({ ContinuationToken: page.ContinuationToken }, ctx()).Buckets!.map((b) => b.Name), ['beta']);

    await s3.PutObject({ Bucket: 'alpha', Key: 'k', Body: body('x') as never }, ctx());
    const e = await rejectsWith(() => s3.DeleteBucket({ Bucket: 'alpha' }), 'BucketNotEmpty', 409);
    assert.equal(e.message, 'The bucket you tried to delete is not empty');
    s3.DeleteObject({ Bucket: 'alpha', Key: 'k' }, ctx());
    s3.DeleteBucket({ Bucket: 'alpha' });
    await rejectsWith(() => s3.HeadBucket({ Bucket: 'alpha' }), 'NoSuchBucket');
  } finally {
    h.close();
  }
});

test('bucket configuration: tagging, versioning, CORS, policy, encryption', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'conf' }, ctx());
    await rejectsWith(() => s3.GetBucketTagging({ Bucket: 'conf' }), 'NoSuchTagSet', 404);
    s3.PutBucketTagging({ Bucket: 'conf', Tagging: { TagSet: [{ Key: 'team', Value: 'a' }] } });
    assert.deepEqual(s3.GetBucketTagging({ Bucket: 'conf' }).TagSet, [{ Key: 'team', Value: 'a' }]);
    await rejectsWith(() => s3.PutBucketTagging({ Bucket: 'conf', Tagging: { TagSet: [{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }] } }), 'InvalidTag');
    s3.DeleteBucketTagging({ Bucket: 'conf' });
    await rejectsWith(() => s3.GetBucketTagging({ Bucket: 'conf' }), 'NoSuchTagSet');

    assert.deepEqual(s3.GetBucketVersioning({ Bucket: 'conf' }), {});
    s3.PutBucketVersioning({ Bucket: 'conf', VersioningConfiguration: { Status: 'Enabled' } });
    assert.deepEqual(s3.GetBucketVersioning({ Bucket: 'conf' }), { Status: 'Enabled' });

    await rejectsWith(() => s3.GetBucketCors({ Bucket: 'conf' }), 'NoSuchCORSConfiguration', 404);
    await rejectsWith(() => s3.PutBucketCors({ Bucket: 'conf', CORSConfiguration: { CORSRules: [{ AllowedMethods: ['PATCH'], AllowedOrigins: ['*'] }] } }), 'InvalidRequest');
    s3.PutBucketCors({ Bucket: 'conf', CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET', 'PUT'], AllowedOrigins: ['https://*.example.com'], AllowedHeaders: ['x-amz-*', 'content-type'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 300 }] } });
    assert.equal(s3.GetBucketCors({ Bucket: 'conf' }).CORSRules!.length, 1);
    const pre = s3.corsPreflight('conf', 'https://app.example.com', 'PUT', 'Content-Type, x-amz-meta-a');
    assert.equal(pre.status, 200);
    assert.equal(pre.headers['Access-Control-Allow-Origin'], 'https://app.example.com');
    assert.equal(pre.headers['Access-Control-Allow-Methods'], 'GET, PUT');
    assert.equal(pre.headers['Access-Control-Allow-Headers'], 'content-type, x-amz-meta-a');
    assert.equal(pre.headers['Access-Control-Expose-Headers'], 'ETag');
    assert.equal(pre.headers['Access-Control-Max-Age'], '300');
    await rejectsWith(() => s3.corsPreflight('conf', 'https://evil.com', 'PUT', undefined), 'AccessForbidden', 403);
    await rejectsWith(() => s3.corsPreflight('conf', 'https://app.example.com', 'DELETE', undefined), 'AccessForbidden', 403);
    await rejectsWith(() => s3.corsPreflight('conf', 'https://app.example.com', 'GET', 'authorization'), 'AccessForbidden', 403);
    s3.DeleteBucketCors({ Bucket: 'conf' });
    const noCors = await rejectsWith(() => s3.corsPreflight('conf', 'https://app.example.com', 'GET', undefined), 'AccessForbidden');
    assert.equal(noCors.message, 'CORSResponse: CORS is not enabled for this bucket.');

    await rejectsWith(() => s3.GetBucketPolicy({ Bucket: 'conf' }), 'NoSuchBucketPolicy', 404);
    await rejectsWith(() => s3.PutBucketPolicy({ Bucket: 'conf', Policy: 'not json' }), 'MalformedPolicy');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::conf/*' }] });
    s3.PutBucketPolicy({ Bucket: 'conf', Policy: policy });
    assert.equal(s3.GetBucketPolicy({ Bucket: 'conf' }).Policy, policy);

    assert.equal(s3.GetBucketEncryption({ Bucket: 'conf' }).ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm, 'AES256');
  } finally {
    h.close();
  }
});

test('PutObject/GetObject: ETag, checksums, metadata, ranges, conditions, overrides', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'objs' }, ctx());
    await rejectsWith(() => s3.PutObject({ Bucket: 'missing', Key: 'k', Body: body('x') as never }, ctx()), 'NoSuchBucket', 404);
    const data = 'hello, world';
    const put = await s3.PutObject({ Bucket: 'objs', Key: 'dir/hello.txt', Body: body(data) as never, ContentType: 'text/plain', Metadata: { owner: 'me' }, ChecksumCRC32: b64crc32(data), Tagging: 'a=1&b=two%20words' }, ctx());
    assert.equal(put.ETag, `"${md5(data).toString('hex')}"`);
    assert.equal(put.ChecksumCRC32, b64crc32(data));
    assert.equal(put.ChecksumType, 'FULL_OBJECT');
    assert.equal(put.VersionId, undefined);

    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'bad', Body: body(data) as never, ChecksumCRC32: b64crc32('other') }, ctx()), 'BadDigest');
    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'bad', Body: body(data) as never, ContentMD5: md5('other').toString('base64') }, ctx()), 'BadDigest');
    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'bad', Body: body(data) as never, ContentMD5: 'nope' }, ctx()), 'InvalidDigest');
    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'bad', Body: body(data) as never, ContentLength: 6 * 1024 ** 3 }, ctx()), 'EntityTooLarge');
    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'bad', Body: body(data) as never, ContentLength: 99 }, ctx()), 'IncompleteBody');
    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'k'.repeat(1025), Body: body(data) as never }, ctx()), 'KeyTooLongError');
    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'meta', Body: body(data) as never, Metadata: { big: 'x'.repeat(2046) } }, ctx()), 'MetadataTooLarge');
    await s3.PutObject({ Bucket: 'objs', Key: 'meta', Body: body(data) as never, Metadata: { big: 'x'.repeat(2045) } }, ctx());
    await rejectsWith(() => s3.HeadObject({ Bucket: 'objs', Key: 'bad' }), 'NoSuchKey', 404);
    const ok = await s3.PutObject({ Bucket: 'objs', Key: 'md5', Body: body(data) as never, ContentMD5: md5(data).toString('base64'), ChecksumAlgorithm: 'SHA256' }, ctx());
    assert.equal(ok.ChecksumSHA256, crypto.createHash('sha256').update(data).digest('base64'));

    const got = s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', ChecksumMode: 'ENABLED' });
    assert.equal(await text(got.Body), data);
    assert.equal(got.ContentLength, data.length);
    assert.equal(got.ContentType, 'text/plain');
    assert.deepEqual(got.Metadata, { owner: 'me' });
    assert.equal(got.ETag, put.ETag);
    assert.equal(got.TagCount, 2);
    assert.equal(got.ChecksumCRC32, b64crc32(data));
    assert.equal(got.LastModified!.getTime(), Date.UTC(2026, 0, 1, 12, 0, 0));
    assert.deepEqual(s3.GetObjectTagging({ Bucket: 'objs', Key: 'dir/hello.txt' }, ).TagSet, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: 'two words' }]);
    // Without a Content-Type S3 stores binary/octet-stream.
    assert.equal(s3.HeadObject({ Bucket: 'objs', Key: 'md5' }).ContentType, 'binary/octet-stream');

    const ranged = s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', Range: 'bytes=0-4' });
    assert.equal(await text(ranged.Body), 'hello');
    assert.equal(ranged.ContentRange, `bytes 0-4/${data.length}`);
    assert.equal(ranged.StatusCode, 206);
    assert.equal(ranged.ChecksumCRC32, undefined);
    assert.equal(await text(s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', Range: 'bytes=-5' }).Body), 'world');
    assert.equal(await text(s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', Range: 'bytes=7-' }).Body), 'world');
    assert.equal(await text(s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', Range: 'bytes=7-1000' }).Body), 'world');
    const invalid = await rejectsWith(() => s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', Range: 'bytes=100-200' }), 'InvalidRange', 416);
    assert.equal(invalid.fields.ActualObjectSize, data.length);
    // A Range S3 cannot parse is ignored: the whole object, 200.
    const ignored = s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', Range: 'bytes=0-1,4-5' });
    assert.equal(ignored.StatusCode, undefined);
    assert.equal(await text(ignored.Body), data);

    const etag = put.ETag!;
    const lm = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
    assert.equal(s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', IfMatch: etag }).ETag, etag);
    await rejectsWith(() => s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', IfMatch: '"abc"' }), 'PreconditionFailed', 412);
    const nm = await rejectsWith(() => s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', IfNoneMatch: etag }), 'NotModified', 304);
    assert.equal(nm.headers.ETag, etag);
    await rejectsWith(() => s3.HeadObject({ Bucket: 'objs', Key: 'dir/hello.txt', IfModifiedSince: lm }), 'NotModified', 304);
    assert.ok(s3.HeadObject({ Bucket: 'objs', Key: 'dir/hello.txt', IfModifiedSince: new Date(lm.getTime() - 1000) }));
    await rejectsWith(() => s3.HeadObject({ Bucket: 'objs', Key: 'dir/hello.txt', IfUnmodifiedSince: new Date(lm.getTime() - 1000) }), 'PreconditionFailed');
    // If-Match true wins over If-Unmodified-Since false (RFC 7232, as S3 documents).
    assert.ok(s3.HeadObject({ Bucket: 'objs', Key: 'dir/hello.txt', IfMatch: etag, IfUnmodifiedSince: new Date(lm.getTime() - 1000) }));

    const over = s3.GetObject({ Bucket: 'objs', Key: 'dir/hello.txt', ResponseContentType: 'application/json', ResponseContentDisposition: 'attachment; filename="x"', ResponseExpires: new Date(0) });
    assert.equal(over.ContentType, 'application/json');
    assert.equal(over.ContentDisposition, 'attachment; filename="x"');
    assert.equal(over.Expires, 'Thu, 01 Jan 1970 00:00:00 GMT');

    // Conditional writes.
    await rejectsWith(() => s3.PutObject({ Bucket: 'objs', Key: 'dir/hello.txt', Body: body('x') as never, IfNoneMatch: '*' }, ctx()), 'PreconditionFailed', 412);
    await s3.PutObject({ Bucket: 'objs', Key: 'fresh', Body: body('x') as never, IfNoneMatch: '*' }, ctx());

    // Object tagging round trip.
    s3.PutObjectTagging({ Bucket: 'objs', Key: 'fresh', Tagging: { TagSet: [{ Key: 'x', Value: 'y' }] } }, ctx());
    assert.deepEqual(s3.GetObjectTagging({ Bucket: 'objs', Key: 'fresh' }).TagSet, [{ Key: 'x', Value: 'y' }]);
    s3.DeleteObjectTagging({ Bucket: 'objs', Key: 'fresh' }, ctx());
    assert.deepEqual(s3.GetObjectTagging({ Bucket: 'objs', Key: 'fresh' }).TagSet, []);
  } finally {
    h.close();
  }
});

test('CopyObject: metadata directive, self-copy rule, conditions; DeleteObjects quiet', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'src' }, ctx());
    s3.CreateBucket({ Bucket: 'dst' }, ctx());
    const put = await s3.PutObject({ Bucket: 'src', Key: 'a b/ü.txt', Body: body('payload') as never, ContentType: 'text/plain', Metadata: { m: '1' } }, ctx());
    const copied = await s3.CopyObject({ Bucket: 'dst', Key: 'copy', CopySource: 'src/a%20b/%C3%BC.txt' }, ctx());
    assert.equal(copied.CopyObjectResult!.ETag, put.ETag);
    const head = s3.HeadObject({ Bucket: 'dst', Key: 'copy' });
    assert.deepEqual(head.Metadata, { m: '1' });
    assert.equal(head.ContentType, 'text/plain');
    await s3.CopyObject({ Bucket: 'dst', Key: 'replaced', CopySource: '/src/a%20b/%C3%BC.txt', MetadataDirective: 'REPLACE', Metadata: { n: '2' }, ContentType: 'text/csv' }, ctx());
    const head2 = s3.HeadObject({ Bucket: 'dst', Key: 'replaced' });
    assert.deepEqual(head2.Metadata, { n: '2' });
    assert.equal(head2.ContentType, 'text/csv');
    await rejectsWith(() => s3.CopyObject({ Bucket: 'dst', Key: 'copy', CopySource: 'dst/copy' }, ctx()), 'InvalidRequest');
    await s3.CopyObject({ Bucket: 'dst', Key: 'copy', CopySource: 'dst/copy', MetadataDirective: 'REPLACE' }, ctx());
    await rejectsWith(() => s3.CopyObject({ Bucket: 'dst', Key: 'x', CopySource: 'src/nothing' }, ctx()), 'NoSuchKey');
    await rejectsWith(() => s3.CopyObject({ Bucket: 'dst', Key: 'x', CopySource: 'nobucket/k' }, ctx()), 'NoSuchBucket');
    await rejectsWith(() => s3.CopyObject({ Bucket: 'dst', Key: 'x', CopySource: 'justbucket' }, ctx()), 'InvalidArgument');
    const pf = await rejectsWith(() => s3.CopyObject({ Bucket: 'dst', Key: 'x', CopySource: 'dst/copy', CopySourceIfMatch: '"nope"' }, ctx()), 'PreconditionFailed', 412);
    assert.equal(pf.fields.Condition, 'x-amz-copy-source-If-Match');

    const del = s3.DeleteObjects({ Bucket: 'dst', Delete: { Objects: [{ Key: 'copy' }, { Key: 'replaced' }, { Key: 'never-existed' }] } }, ctx());
    assert.deepEqual(del.Deleted!.map((d) => d.Key), ['copy', 'replaced', 'never-existed']);
    await s3.PutObject({ Bucket: 'dst', Key: 'q', Body: body('q') as never }, ctx());
    assert.deepEqual(s3.DeleteObjects({ Bucket: 'dst', Delete: { Objects: [{ Key: 'q' }], Quiet: true } }, ctx()), {});
    const bad = s3.DeleteObjects({ Bucket: 'dst', Delete: { Objects: [{ Key: 'q', VersionId: 'bogus' }] } }, ctx());
    assert.equal(bad.Errors![0].Code, 'InvalidArgument');
  } finally {
    h.close();
  }
});

test('versioning: version ids, delete markers, ListObjectVersions, suspended null versions', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'ver' }, ctx());
    await s3.PutObject({ Bucket: 'ver', Key: 'k', Body: body('pre') as never }, ctx());
    s3.PutBucketVersioning({ Bucket: 'ver', VersioningConfiguration: { Status: 'Enabled' } });
    const v1 = await s3.PutObject({ Bucket: 'ver', Key: 'k', Body: body('one') as never }, ctx());
    h.clock.advance(1000);
    const v2 = await s3.PutObject({ Bucket: 'ver', Key: 'k', Body: body('two') as never }, ctx());
    assert.match(v1.VersionId!, /^[A-Za-z0-9._]{32}$/);
    assert.notEqual(v1.VersionId, v2.VersionId);
    assert.equal(await text(s3.GetObject({ Bucket: 'ver', Key: 'k' }).Body), 'two');
    assert.equal(await text(s3.GetObject({ Bucket: 'ver', Key: 'k', VersionId: v1.VersionId }).Body), 'one');
    assert.equal(await text(s3.GetObject({ Bucket: 'ver', Key: 'k', VersionId: 'null' }).Body), 'pre');
    await rejectsWith(() => s3.GetObject({ Bucket: 'ver', Key: 'k', VersionId: 'x'.repeat(32) }), 'NoSuchVersion', 404);
    await rejectsWith(() => s3.GetObject({ Bucket: 'ver', Key: 'k', VersionId: 'bad id' }), 'InvalidArgument', 400);

    const del = s3.DeleteObject({ Bucket: 'ver', Key: 'k' }, ctx());
    assert.equal(del.DeleteMarker, true);
    const gone = await rejectsWith(() => s3.GetObject({ Bucket: 'ver', Key: 'k' }), 'NoSuchKey', 404);
    assert.equal(gone.headers['x-amz-delete-marker'], 'true');
    assert.equal(gone.headers['x-amz-version-id'], del.VersionId);
    await rejectsWith(() => s3.GetObject({ Bucket: 'ver', Key: 'k', VersionId: del.VersionId }), 'MethodNotAllowed', 405);
    assert.equal(s3.ListObjectsV2({ Bucket: 'ver' }).KeyCount, 0);

    const versions = s3.ListObjectVersions({ Bucket: 'ver' });
    assert.deepEqual(versions.Versions!.map((v) => [v.VersionId, v.IsLatest]), [[v2.VersionId, false], [v1.VersionId, false], ['null', false]]);
    assert.deepEqual(versions.DeleteMarkers!.map((m) => [m.VersionId, m.IsLatest]), [[del.VersionId, true]]);
    const page = s3.ListObjectVersions({ Bucket: 'ver', MaxKeys: 2 });
    assert.equal(page.IsTruncated, true);
    const rest = s3.ListObjectVersions({ Bucket: 'ver', KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker });
    assert.deepEqual(rest.Versions!.map((v) => v.VersionId), [v1.VersionId, 'null']);

    // Removing the marker makes the newest version current again.
    assert.deepEqual(s3.DeleteObject({ Bucket: 'ver', Key: 'k', VersionId: del.VersionId }, ctx()), { DeleteMarker: true, VersionId: del.VersionId });
    assert.equal(await text(s3.GetObject({ Bucket: 'ver', Key: 'k' }).Body), 'two');
    await rejectsWith(() => s3.DeleteBucket({ Bucket: 'ver' }), 'BucketNotEmpty');

    s3.PutBucketVersioning({ Bucket: 'ver', VersioningConfiguration: { Status: 'Suspended' } });
    await s3.PutObject({ Bucket: 'ver', Key: 'k', Body: body('suspended') as never }, ctx());
    const after = s3.ListObjectVersions({ Bucket: 'ver' }).Versions!;
    // the earlier null version was replaced
    assert.deepEqual(after.map((v) => v.VersionId), ['null', v2.VersionId, v1.VersionId]);
    assert.equal(s3.HeadObject({ Bucket: 'ver', Key: 'k' }).VersionId, 'null');
  } finally {
    h.close();
  }
});

test('listings: prefix, delimiter, common prefixes, pagination, start-after, url encoding, V1 markers', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'list' }, ctx());
    // UTF-8 byte order, as S3 lists: U+FF5E sorts before U+1F600 (in UTF-16 it would sort after).
    const keys = ['a.txt', 'photos/2024/a.jpg', 'photos/2024/b.jpg', 'photos/2025/c.jpg', 'photos/top.jpg', 'z z+.txt', 'é.txt', '\uff5e.txt', '\u{1f600}.txt'];
    for (const k of keys) await s3.PutObject({ Bucket: 'list', Key: k, Body: body(k) as never }, ctx());

    const all = s3.ListObjectsV2({ Bucket: 'list' });
    assert.deepEqual(all.Contents!.map((c) => c.Key), keys);
    assert.equal(all.KeyCount, keys.length);
    assert.equal(all.Contents![0].StorageClass, 'STANDARD');
    assert.equal(all.Contents![0].Owner, undefined);
    assert.ok(s3.ListObjectsV2({ Bucket: 'list', FetchOwner: true }).Contents![0].Owner);

    const top = s3.ListObjectsV2({ Bucket: 'list', Delimiter: '/' });
    assert.deepEqual(top.Contents!.map((c) => c.Key), ['a.txt', 'z z+.txt', 'é.txt', '\uff5e.txt', '\u{1f600}.txt']);
    assert.deepEqual(top.CommonPrefixes, [{ Prefix: 'photos/' }]);
    const photos = s3.ListObjectsV2({ Bucket: 'list', Prefix: 'photos/', Delimiter: '/' });
    assert.deepEqual(photos.Contents!.map((c) => c.Key), ['photos/top.jpg']);
    assert.deepEqual(photos.CommonPrefixes, [{ Prefix: 'photos/2024/' }, { Prefix: 'photos/2025/' }]);

    // Pages of two with a delimiter: common prefixes count towards MaxKeys and are never repeated.
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = s3.ListObjectsV2({ Bucket: 'list', Delimiter: '/', MaxKeys: 2, ContinuationToken: token });
      assert.ok(page.KeyCount! <= 2);
      seen.push(...(page.Contents ?? []).map((c) => c.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      token = page.NextContinuationToken;
      assert.equal(page.IsTruncated, !!token);
    } while (token);
    assert.deepEqual(seen.sort(), ['a.txt', 'photos/', 'z z+.txt', 'é.txt', '\uff5e.txt', '\u{1f600}.txt'].sort());
    // Pagination across the two non-BMP-ordered keys loses nothing.
    const one = s3.ListObjectsV2({ Bucket: 'list', StartAfter: 'é.txt', MaxKeys: 1 });
    assert.deepEqual(one.Contents!.map((c) => c.Key), ['\uff5e.txt']);
    assert.deepEqual(s3.ListObjectsV2({ Bucket: 'list', ContinuationToken: one.NextContinuationToken }).Contents!.map((c) => c.Key), ['\u{1f600}.txt']);
    await rejectsWith(() => s3.ListObjectsV2({ Bucket: 'list', ContinuationToken: 'garbage' }), 'InvalidArgument');

    assert.deepEqual(s3.ListObjectsV2({ Bucket: 'list', StartAfter: 'photos/2025/c.jpg' }).Contents!.map((c) => c.Key), ['photos/top.jpg', 'z z+.txt', 'é.txt', '\uff5e.txt', '\u{1f600}.txt']);
    const enc = s3.ListObjectsV2({ Bucket: 'list', EncodingType: 'url', Prefix: 'z' });
    assert.deepEqual(enc.Contents!.map((c) => c.Key), ['z+z%2B.txt']);
    assert.equal(s3.ListObjectsV2({ Bucket: 'list', EncodingType: 'url', Prefix: 'é' }).Contents![0].Key, '%C3%A9.txt');
    assert.equal(s3.ListObjectsV2({ Bucket: 'list', MaxKeys: 0 }).KeyCount, 0);

    const v1 = s3.ListObjects({ Bucket: 'list', MaxKeys: 2, Delimiter: '/' });
    assert.equal(v1.IsTruncated, true);
    assert.equal(v1.NextMarker, 'photos/');
    const v1b = s3.ListObjects({ Bucket: 'list', Marker: v1.NextMarker, Delimiter: '/' });
    assert.deepEqual(v1b.Contents!.map((c) => c.Key), ['z z+.txt', 'é.txt', '\uff5e.txt', '\u{1f600}.txt']);
    assert.equal(v1b.CommonPrefixes, undefined);
    assert.ok(v1b.Contents![0].Owner);
  } finally {
    h.close();
  }
});

test('multipart: composite ETag, part rules, partNumber reads, ListParts, ListMultipartUploads, abort', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'mpu' }, ctx());
    const part1 = Buffer.alloc(5 * 1024 * 1024, 'a');
    const part2 = Buffer.from('tail');
    const up = s3.CreateMultipartUpload({ Bucket: 'mpu', Key: 'big.bin', ContentType: 'application/x-big', Metadata: { kind: 'big' }, ChecksumAlgorithm: 'CRC32' }, ctx());
    assert.equal(up.ChecksumAlgorithm, 'CRC32');
    assert.equal(up.ChecksumType, 'COMPOSITE');
    const p1 = await s3.UploadPart({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, PartNumber: 1, Body: body(part1) as never }, ctx());
    const p2 = await s3.UploadPart({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, PartNumber: 2, Body: body(part2) as never, ChecksumCRC32: b64crc32(part2) }, ctx());
    assert.equal(p1.ChecksumCRC32, b64crc32(part1));
    await rejectsWith(() => s3.UploadPart({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, PartNumber: 10001, Body: body('x') as never }, ctx()), 'InvalidArgument');
    await rejectsWith(() => s3.UploadPart({ Bucket: 'mpu', Key: 'big.bin', UploadId: 'nope', PartNumber: 1, Body: body('x') as never }, ctx()), 'NoSuchUpload', 404);

    const parts = s3.ListParts({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId! });
    assert.deepEqual(parts.Parts!.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, part1.length, p1.ETag], [2, 4, p2.ETag]]);
    assert.equal(s3.ListParts({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, MaxParts: 1 }).NextPartNumberMarker, 1);
    const uploads = s3.ListMultipartUploads({ Bucket: 'mpu' });
    assert.deepEqual(uploads.Uploads!.map((u) => [u.Key, u.UploadId]), [['big.bin', up.UploadId]]);

    await rejectsWith(() => s3.CompleteMultipartUpload({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 1, ETag: p1.ETag }] } }, ctx()), 'InvalidPartOrder');
    await rejectsWith(() => s3.CompleteMultipartUpload({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0000"' }] } }, ctx()), 'InvalidPart');
    await rejectsWith(() => s3.CompleteMultipartUpload({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: p2.ETag }, { PartNumber: 3, ETag: p2.ETag }] } }, ctx()), 'InvalidPart');

    const done = s3.CompleteMultipartUpload({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] } }, ctx());
    const expected = crypto.createHash('md5').update(Buffer.concat([md5(part1), md5(part2)])).digest('hex');
    assert.equal(done.ETag, `"${expected}-2"`);
    // COMPOSITE: the CRC32 of the concatenated raw part CRCs, "-<parts>".
    const crcOfCrcs = b64crc32(Buffer.concat([Buffer.from(b64crc32(part1), 'base64'), Buffer.from(b64crc32(part2), 'base64')]));
    assert.equal(done.ChecksumCRC32, `${crcOfCrcs}-2`);
    assert.equal(done.Location, 'http://127.0.0.1:4566/mpu/big.bin');
    await rejectsWith(() => s3.ListParts({ Bucket: 'mpu', Key: 'big.bin', UploadId: up.UploadId! }), 'NoSuchUpload');

    const head = s3.HeadObject({ Bucket: 'mpu', Key: 'big.bin' });
    assert.equal(head.ContentLength, part1.length + 4);
    assert.equal(head.ContentType, 'application/x-big');
    assert.deepEqual(head.Metadata, { kind: 'big' });
    const second = s3.GetObject({ Bucket: 'mpu', Key: 'big.bin', PartNumber: 2 });
    assert.equal(await text(second.Body), 'tail');
    assert.equal(second.PartsCount, 2);
    assert.equal(second.ContentRange, `bytes ${part1.length}-${part1.length + 3}/${part1.length + 4}`);
    await rejectsWith(() => s3.GetObject({ Bucket: 'mpu', Key: 'big.bin', PartNumber: 3 }), 'InvalidPartNumber', 416);
    const attrs = s3.GetObjectAttributes({ Bucket: 'mpu', Key: 'big.bin', ObjectAttributes: ['ETag', 'ObjectSize', 'ObjectParts', 'Checksum', 'StorageClass'] });
    assert.equal(attrs.ETag, `${expected}-2`);
    assert.equal(attrs.ObjectSize, part1.length + 4);
    assert.equal(attrs.StorageClass, 'STANDARD');
    assert.equal(attrs.Checksum!.ChecksumType, 'COMPOSITE');
    assert.deepEqual(attrs.ObjectParts!.Parts, [{ PartNumber: 1, Size: part1.length }, { PartNumber: 2, Size: 4 }]);
    // A range across the part boundary.
    assert.equal(await text(s3.GetObject({ Bucket: 'mpu', Key: 'big.bin', Range: `bytes=${part1.length - 2}-${part1.length + 1}` }).Body), 'aata');

    // Parts below 5 MiB except the last: EntityTooSmall. Abort removes the upload.
    const small = s3.CreateMultipartUpload({ Bucket: 'mpu', Key: 'small' }, ctx());
    const s1 = await s3.UploadPart({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId!, PartNumber: 1, Body: body('x') as never }, ctx());
    const s2 = await s3.UploadPart({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId!, PartNumber: 2, Body: body('y') as never }, ctx());
    await rejectsWith(() => s3.CompleteMultipartUpload({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] } }, ctx()), 'EntityTooSmall');
    s3.AbortMultipartUpload({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId! });
    await rejectsWith(() => s3.AbortMultipartUpload({ Bucket: 'mpu', Key: 'small', UploadId: small.UploadId! }), 'NoSuchUpload', 404);

    // FULL_OBJECT CRC32: the parts' CRCs combined equal the CRC of the whole object.
    const full = s3.CreateMultipartUpload({ Bucket: 'mpu', Key: 'full', ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' }, ctx());
    const f1 = await s3.UploadPart({ Bucket: 'mpu', Key: 'full', UploadId: full.UploadId!, PartNumber: 1, Body: body(part1) as never }, ctx());
    const f2 = await s3.UploadPart({ Bucket: 'mpu', Key: 'full', UploadId: full.UploadId!, PartNumber: 2, Body: body(part2) as never }, ctx());
    const fdone = s3.CompleteMultipartUpload({ Bucket: 'mpu', Key: 'full', UploadId: full.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: f1.ETag }, { PartNumber: 2, ETag: f2.ETag }] } }, ctx());
    assert.equal(fdone.ChecksumCRC32, b64crc32(Buffer.concat([part1, part2])));
    assert.equal(fdone.ChecksumType, 'FULL_OBJECT');

    // UploadPartCopy with a range, then copy of a multipart object is a single-part object.
    const pc = s3.CreateMultipartUpload({ Bucket: 'mpu', Key: 'pc' }, ctx());
    const c1 = await s3.UploadPartCopy({ Bucket: 'mpu', Key: 'pc', UploadId: pc.UploadId!, PartNumber: 1, CopySource: 'mpu/big.bin', CopySourceRange: `bytes=${part1.length}-${part1.length + 3}` });
    assert.equal(c1.CopyPartResult!.ETag, `"${md5('tail').toString('hex')}"`);
    await rejectsWith(() => s3.UploadPartCopy({ Bucket: 'mpu', Key: 'pc', UploadId: pc.UploadId!, PartNumber: 2, CopySource: 'mpu/big.bin', CopySourceRange: 'bytes=0-99999999' }), 'InvalidArgument');
    const copy = await s3.CopyObject({ Bucket: 'mpu', Key: 'flat', CopySource: 'mpu/big.bin' }, ctx());
    assert.equal(copy.CopyObjectResult!.ETag, `"${md5(Buffer.concat([part1, part2])).toString('hex')}"`);
  } finally {
    h.close();
  }
});

test('stored configurations: public access block, lifecycle, website; S3-shaped validation errors', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'stored' }, ctx());
    await rejectsWith(() => s3.GetPublicAccessBlock({ Bucket: 'stored' }), 'NoSuchPublicAccessBlockConfiguration', 404);
    s3.PutPublicAccessBlock({ Bucket: 'stored', PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true } });
    assert.deepEqual(s3.GetPublicAccessBlock({ Bucket: 'stored' }).PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true });
    s3.DeletePublicAccessBlock({ Bucket: 'stored' });
    await rejectsWith(() => s3.GetPublicAccessBlock({ Bucket: 'stored' }), 'NoSuchPublicAccessBlockConfiguration');

    await rejectsWith(() => s3.GetBucketLifecycleConfiguration({ Bucket: 'stored' }), 'NoSuchLifecycleConfiguration', 404);
    const rules = [{ ID: 'expire', Status: 'Enabled' as const, Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } }];
    s3.PutBucketLifecycleConfiguration({ Bucket: 'stored', LifecycleConfiguration: { Rules: rules } });
    assert.deepEqual(s3.GetBucketLifecycleConfiguration({ Bucket: 'stored' }).Rules, rules);

    await rejectsWith(() => s3.GetBucketWebsite({ Bucket: 'stored' }), 'NoSuchWebsiteConfiguration', 404);
    s3.PutBucketWebsite({ Bucket: 'stored', WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } } });
    assert.deepEqual(s3.GetBucketWebsite({ Bucket: 'stored' }), { IndexDocument: { Suffix: 'index.html' } });

    assert.equal(validationError([{ path: ['Delete', 'Objects'], value: undefined, kind: 'required' }], 'DeleteObjects').code, 'MalformedXML');
    assert.equal(validationError([{ path: ['Key'], value: '', kind: 'minLength', limit: 1 }], 'PutObject').code, 'InvalidArgument');
  } finally {
    h.close();
  }
});

test('state survives a restart with a data directory (same code path as in memory)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-s3-persist-'));
  const h = harness();
  const deps = () => ({ config: loadConfig([], {}), db: openDatabase(dir), blobs: new BlobStore(dir), clock: new ManualClock(), log: createLogger('silent'), internal: {} as never, endpoint: () => 'http://x' });
  try {
    const first = deps();
    const a = new S3Provider(first);
    a.CreateBucket({ Bucket: 'kept' }, h.ctx());
    await a.PutObject({ Bucket: 'kept', Key: 'k', Body: body('survives') as never }, h.ctx());
    first.db.close();
    const second = deps();
    const b = new S3Provider(second);
    assert.equal(await text(b.GetObject({ Bucket: 'kept', Key: 'k' }).Body), 'survives');
    second.db.close();
  } finally {
    h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
