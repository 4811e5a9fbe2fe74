// The rest-xml (S3) and rest-json (Lambda) codecs against botocore, the engine of boto3 and
// the aws CLI v1: real clients talk HTTP to a server that has only our codec behind it (see
// botocore-harness.ts), so botocore's own handlers run too: the CRC32 checksums it now sends
// where it used to send Content-MD5, `encoding-type=url` added to ListObjects* and decoded
// again, `Expect: 100-continue` on uploads, virtual-hosted addressing, its special parser for
// GetBucketLocation, its error parsing (a HEAD 404 with no body is "404"), event streams.
// Skipped where python3 with boto3 / the aws CLI is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceError } from '../../src/core/errors.js';
import { NoSuchKey, NoSuchBucket } from '../../src/generated/s3.js';
import { ResourceNotFoundException, TooManyRequestsException } from '../../src/generated/lambda.js';
import { awsCli, boto3Calls, codecServer, hasAwsCli, hasBotocore, type Boto3Call, type Boto3Result, type Recorded } from './botocore-harness.js';

const skipPython = !hasBotocore && 'python3 with boto3 is not installed';
const skipCli = !hasAwsCli && 'the aws CLI is not installed';

interface Case {
  name: string;
  call: Boto3Call;
  /** the provider's answer (or a thrown ServiceError) */
  answer?: (input: Record<string, unknown>) => unknown;
  check(result: Boto3Result, rec: Recorded): void;
}

/**
 * Runs the cases in one python process. Each case is one request (no retries), so the
 * server answers the n-th request with the n-th case's provider.
 */
async function runCases(cases: Case[], endpointFor: (port: number) => string = (p) => `http://127.0.0.1:${p}`): Promise<void> {
  const srv = await codecServer((_op, input, rec) => {
    const c = cases[srv.seen.indexOf(rec)];
    return c.answer ? c.answer(input) : {};
  });
  try {
    const results = await boto3Calls(endpointFor(srv.port), cases.map((c) => c.call));
    assert.equal(srv.seen.length, cases.length, `requests seen: ${srv.seen.map((s) => `${s.method} ${s.rawPath}?${s.rawQuery} -> ${s.op}`).join(', ')}`);
    cases.forEach((c, i) => {
      const r = results[i];
      if (r.exception) assert.fail(`${c.name}: botocore raised ${r.exception}`);
      try {
        c.check(r, srv.seen[i]);
      } catch (e) {
        (e as Error).message = `${c.name}: ${(e as Error).message}`;
        throw e;
      }
    });
  } finally {
    await srv.close();
  }
}

function withoutMetadata(ok: Record<string, unknown>): Record<string, unknown> {
  const { ResponseMetadata: _, ...rest } = ok;
  return rest;
}

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest();
const when = new Date('2026-03-04T05:06:07.000Z');
const s3 = (op: string, params: Record<string, unknown>, config: Record<string, unknown> = {}): Boto3Call => ({ service: 's3', op, params, config });

// ---------------------------------------------------------------------------------------
// S3

function s3Cases(style: string, config: Record<string, unknown>): Case[] {
  const tag = `[${style}]`;
  const body = Buffer.from('hello, botocore\n');
  const key = 'dir/a b+c%d?#ü=&.txt';
  return [
    {
      name: `${tag} CreateBucket with a LocationConstraint document`,
      call: s3('CreateBucket', { Bucket: 'my-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }, config),
      answer: () => ({ Location: '/my-bucket' }),
      check(r, rec) {
        assert.equal(rec.op, 'CreateBucket');
        assert.deepEqual(rec.input, { Bucket: 'my-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
        assert.equal(r.ok.Location, '/my-bucket');
      },
    },
    {
      name: `${tag} PutObject: body, metadata, tagging, CRC32 checksum and Expect: 100-continue`,
      call: s3('PutObject', { Bucket: 'my-bucket', Key: key, Body: body, ContentType: 'text/plain', Metadata: { Owner: 'me', 'x-y': 'z' }, Tagging: 'a=1&b=two' }, config),
      answer: () => ({ ETag: '"abc"', VersionId: 'v1', ChecksumCRC32: 'AAAAAA==' }),
      check(r, rec) {
        assert.equal(rec.op, 'PutObject');
        const { ChecksumCRC32, ChecksumAlgorithm, ...input } = rec.input!;
        assert.deepEqual(input, { Bucket: 'my-bucket', Key: key, Body: body, ContentLength: body.length, ContentType: 'text/plain', Metadata: { owner: 'me', 'x-y': 'z' }, Tagging: 'a=1&b=two' });
        // botocore >= 1.36 sends a CRC32 of the body where it used to send Content-MD5
        const crc = Buffer.alloc(4);
        crc.writeUInt32BE(crc32(body));
        assert.equal(ChecksumCRC32, crc.toString('base64'));
        assert.equal(ChecksumAlgorithm, 'CRC32');
        assert.equal(rec.headers.expect, '100-continue');
        assert.deepEqual(withoutMetadata(r.ok), { ETag: '"abc"', VersionId: 'v1', ChecksumCRC32: 'AAAAAA==' });
      },
    },
    {
      name: `${tag} PutObject with a caller's Content-MD5 passes it through`,
      call: s3('PutObject', { Bucket: 'my-bucket', Key: 'k', Body: body, ContentMD5: md5(body).toString('base64') }, config),
      answer: () => ({ ETag: `"${md5(body).toString('hex')}"` }),
      check(r, rec) {
        assert.equal(rec.input!.ContentMD5, md5(body).toString('base64'));
        assert.equal(r.ok.ETag, `"${md5(body).toString('hex')}"`);
      },
    },
    {
      name: `${tag} GetObject with a Range: 206, headers, metadata and the body`,
      call: s3('GetObject', { Bucket: 'my-bucket', Key: key, Range: 'bytes=1-4', IfNoneMatch: '"zzz"', ResponseContentType: 'text/csv' }, config),
      answer: () => ({
        Body: Buffer.from('ello'),
        ContentRange: `bytes 1-4/${body.length}`,
        ContentLength: 4,
        ContentType: 'text/csv',
        ETag: '"abc"',
        LastModified: when,
        Metadata: { owner: 'me' },
        AcceptRanges: 'bytes',
        TagCount: 2,
      }),
      check(r, rec) {
        // botocore asks for the object's checksum on every GetObject (x-amz-checksum-mode)
        assert.deepEqual(rec.input, { Bucket: 'my-bucket', Key: key, Range: 'bytes=1-4', IfNoneMatch: '"zzz"', ResponseContentType: 'text/csv', ChecksumMode: 'ENABLED' });
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 206);
        assert.deepEqual(r.ok.Body, Buffer.from('ello'));
        assert.equal(r.ok.ContentRange, `bytes 1-4/${body.length}`);
        assert.equal(r.ok.ContentLength, 4);
        assert.deepEqual(r.ok.LastModified, when);
        assert.deepEqual(r.ok.Metadata, { owner: 'me' });
        assert.equal(r.ok.TagCount, 2);
        assert.equal(r.ok.ContentType, 'text/csv');
      },
    },
    {
      name: `${tag} GetObject NoSuchKey: S3's error document, read by botocore`,
      call: s3('GetObject', { Bucket: 'my-bucket', Key: 'missing' }, config),
      answer: () => {
        throw new NoSuchKey('The specified key does not exist.', { Key: 'missing' });
      },
      check(r) {
        assert.equal(r.error.Error.Code, 'NoSuchKey');
        assert.equal(r.error.Error.Message, 'The specified key does not exist.');
        assert.equal(r.error.Error.Key, 'missing');
        assert.equal(r.error.ResponseMetadata.HTTPStatusCode, 404);
        assert.match(r.error.ResponseMetadata.RequestId, /^[0-9A-F]{16}$/);
        assert.ok(r.error.ResponseMetadata.HostId);
      },
    },
    {
      name: `${tag} HeadObject 404: no body, botocore names the error after the status`,
      call: s3('HeadObject', { Bucket: 'my-bucket', Key: 'missing' }, config),
      answer: () => {
        throw new NoSuchKey('The specified key does not exist.');
      },
      check(r) {
        assert.equal(r.error.Error.Code, '404');
        assert.equal(r.error.Error.Message, 'Not Found');
      },
    },
    {
      name: `${tag} HeadObject: header-only output, RFC 822 and ISO 8601 header dates`,
      call: s3('HeadObject', { Bucket: 'my-bucket', Key: key, PartNumber: 1 }, config),
      answer: () => ({
        ContentLength: 16,
        ContentType: 'text/plain',
        ETag: '"abc"',
        LastModified: when,
        Expires: 'Thu, 01 Jan 2037 00:00:00 GMT',
        ObjectLockMode: 'GOVERNANCE',
        ObjectLockRetainUntilDate: new Date('2030-01-02T03:04:05.000Z'),
        Metadata: { owner: 'me' },
        PartsCount: 3,
      }),
      check(r, rec) {
        assert.deepEqual(rec.input, { Bucket: 'my-bucket', Key: key, PartNumber: 1 });
        assert.equal(r.ok.ContentLength, 16);
        assert.deepEqual(r.ok.LastModified, when);
        assert.equal(r.ok.ExpiresString, 'Thu, 01 Jan 2037 00:00:00 GMT');
        assert.deepEqual(r.ok.ObjectLockRetainUntilDate, new Date('2030-01-02T03:04:05.000Z'));
        assert.deepEqual(r.ok.Metadata, { owner: 'me' });
        assert.equal(r.ok.PartsCount, 3);
      },
    },
    {
      name: `${tag} GetObjectAttributes: a list header in, a renamed root out`,
      call: s3('GetObjectAttributes', { Bucket: 'my-bucket', Key: key, ObjectAttributes: ['ETag', 'ObjectSize', 'StorageClass'] }, config),
      answer: () => ({ ETag: 'abc', ObjectSize: 16, StorageClass: 'STANDARD', LastModified: when }),
      check(r, rec) {
        assert.equal(rec.op, 'GetObjectAttributes');
        assert.deepEqual(rec.input!.ObjectAttributes, ['ETag', 'ObjectSize', 'StorageClass']);
        assert.equal(r.ok.ETag, 'abc');
        assert.equal(r.ok.ObjectSize, 16);
        assert.equal(r.ok.StorageClass, 'STANDARD');
        assert.deepEqual(r.ok.LastModified, when);
      },
    },
    {
      name: `${tag} PutBucketPolicy / GetBucketPolicy: a JSON document as a string payload`,
      call: s3('PutBucketPolicy', { Bucket: 'my-bucket', Policy: '{"Version":"2012-10-17","Statement":[]}' }, config),
      check(r, rec) {
        assert.equal(rec.op, 'PutBucketPolicy');
        assert.equal(rec.input!.Policy, '{"Version":"2012-10-17","Statement":[]}');
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 204);
      },
    },
    {
      name: `${tag} GetBucketPolicy`,
      call: s3('GetBucketPolicy', { Bucket: 'my-bucket' }, config),
      answer: () => ({ Policy: '{"Version":"2012-10-17","Statement":[]}' }),
      check(r) {
        assert.equal(r.ok.Policy, '{"Version":"2012-10-17","Statement":[]}');
      },
    },
    {
      name: `${tag} ListObjectsV2: botocore asks for encoding-type=url and decodes keys, prefixes, delimiter`,
      call: s3('ListObjectsV2', { Bucket: 'my-bucket', Prefix: 'dir/', Delimiter: '/', StartAfter: 'dir/a b', MaxKeys: 2 }, config),
      answer: (input) => ({
        Name: 'my-bucket',
        // S3 url-encodes these when asked (EncodingType=url); our provider is expected to
        EncodingType: input.EncodingType,
        Prefix: 'dir%2F',
        Delimiter: '%2F',
        StartAfter: 'dir%2Fa+b',
        MaxKeys: 2,
        KeyCount: 2,
        IsTruncated: true,
        NextContinuationToken: 'tok/+=',
        Contents: [{ Key: 'dir%2Fa+b%2Bc%25d%3F%23%C3%BC%3D%26.txt', Size: 16, ETag: '"abc"', LastModified: when, StorageClass: 'STANDARD' }],
        CommonPrefixes: [{ Prefix: 'dir%2Fsub+dir%2F' }],
      }),
      check(r, rec) {
        assert.equal(rec.op, 'ListObjectsV2');
        assert.deepEqual(rec.input, { Bucket: 'my-bucket', Prefix: 'dir/', Delimiter: '/', StartAfter: 'dir/a b', MaxKeys: 2, EncodingType: 'url' });
        assert.equal(r.ok.Contents[0].Key, key);
        assert.deepEqual(r.ok.Contents[0].LastModified, when);
        assert.deepEqual(r.ok.CommonPrefixes, [{ Prefix: 'dir/sub dir/' }]);
        assert.equal(r.ok.Prefix, 'dir/');
        assert.equal(r.ok.Delimiter, '/');
        assert.equal(r.ok.StartAfter, 'dir/a b');
        assert.equal(r.ok.NextContinuationToken, 'tok/+=');
        assert.equal(r.ok.IsTruncated, true);
        assert.equal(r.ok.KeyCount, 2);
      },
    },
    {
      name: `${tag} ListObjects (v1): Marker and NextMarker decoded too`,
      call: s3('ListObjects', { Bucket: 'my-bucket', Marker: 'a b' }, config),
      answer: (input) => ({ Name: 'my-bucket', EncodingType: input.EncodingType, Marker: 'a+b', NextMarker: 'c%2Bd', IsTruncated: true, Contents: [{ Key: 'c%2Bd', Size: 1, LastModified: when }] }),
      check(r, rec) {
        assert.equal(rec.op, 'ListObjects');
        assert.deepEqual(rec.input, { Bucket: 'my-bucket', Marker: 'a b', EncodingType: 'url' });
        assert.equal(r.ok.Marker, 'a b');
        assert.equal(r.ok.NextMarker, 'c+d');
        assert.equal(r.ok.Contents[0].Key, 'c+d');
      },
    },
    {
      name: `${tag} ListObjectVersions: versions and delete markers`,
      call: s3('ListObjectVersions', { Bucket: 'my-bucket', Prefix: 'a b' }, config),
      answer: (input) => ({
        Name: 'my-bucket',
        EncodingType: input.EncodingType,
        Prefix: 'a+b',
        IsTruncated: false,
        Versions: [{ Key: 'a+b%2F1', VersionId: 'v2', IsLatest: true, LastModified: when, Size: 3, ETag: '"e"' }],
        DeleteMarkers: [{ Key: 'a+b%2F2', VersionId: 'v3', IsLatest: true, LastModified: when }],
      }),
      check(r, rec) {
        assert.equal(rec.op, 'ListObjectVersions');
        assert.equal(rec.input!.EncodingType, 'url');
        assert.equal(r.ok.Versions[0].Key, 'a b/1');
        assert.equal(r.ok.Versions[0].IsLatest, true);
        assert.equal(r.ok.DeleteMarkers[0].Key, 'a b/2');
        assert.equal(r.ok.Prefix, 'a b');
      },
    },
    {
      name: `${tag} DeleteObjects: a required checksum, flattened lists both ways`,
      call: s3('DeleteObjects', { Bucket: 'my-bucket', Delete: { Objects: [{ Key: 'a' }, { Key: 'b&<c>', VersionId: 'v1' }], Quiet: false } }, config),
      answer: () => ({ Deleted: [{ Key: 'a' }, { Key: 'b&<c>', VersionId: 'v1', DeleteMarker: true, DeleteMarkerVersionId: 'dm' }], Errors: [{ Key: 'x', Code: 'AccessDenied', Message: 'Access Denied' }] }),
      check(r, rec) {
        const { ChecksumAlgorithm, ...input } = rec.input!;
        assert.equal(ChecksumAlgorithm, 'CRC32');
        assert.ok(rec.headers['x-amz-checksum-crc32'] || rec.headers['content-md5'], 'DeleteObjects carries a body checksum');
        assert.deepEqual(input, { Bucket: 'my-bucket', Delete: { Objects: [{ Key: 'a' }, { Key: 'b&<c>', VersionId: 'v1' }], Quiet: false } });
        assert.deepEqual(r.ok.Deleted, [{ Key: 'a' }, { Key: 'b&<c>', VersionId: 'v1', DeleteMarker: true, DeleteMarkerVersionId: 'dm' }]);
        assert.deepEqual(r.ok.Errors, [{ Key: 'x', Code: 'AccessDenied', Message: 'Access Denied' }]);
      },
    },
    {
      name: `${tag} CreateMultipartUpload`,
      call: s3('CreateMultipartUpload', { Bucket: 'my-bucket', Key: 'big', Metadata: { m: '1' }, ContentType: 'application/zip' }, config),
      answer: () => ({ Bucket: 'my-bucket', Key: 'big', UploadId: 'up/1+2' }),
      check(r, rec) {
        assert.equal(rec.op, 'CreateMultipartUpload');
        assert.deepEqual(rec.input, { Bucket: 'my-bucket', Key: 'big', Metadata: { m: '1' }, ContentType: 'application/zip' });
        assert.equal(r.ok.UploadId, 'up/1+2');
      },
    },
    {
      name: `${tag} UploadPart: body, part number and upload id`,
      call: s3('UploadPart', { Bucket: 'my-bucket', Key: 'big', UploadId: 'up/1+2', PartNumber: 1, Body: Buffer.from('part-one') }, config),
      answer: () => ({ ETag: '"p1"' }),
      check(r, rec) {
        assert.equal(rec.op, 'UploadPart');
        assert.equal(rec.input!.UploadId, 'up/1+2');
        assert.equal(rec.input!.PartNumber, 1);
        assert.deepEqual(rec.input!.Body, Buffer.from('part-one'));
        assert.equal(rec.headers.expect, '100-continue');
        assert.equal(r.ok.ETag, '"p1"');
      },
    },
    {
      name: `${tag} CompleteMultipartUpload`,
      call: s3('CompleteMultipartUpload', { Bucket: 'my-bucket', Key: 'big', UploadId: 'up/1+2', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"p1"' }, { PartNumber: 2, ETag: '"p2"' }] } }, config),
      answer: () => ({ Location: 'http://localhost/my-bucket/big', Bucket: 'my-bucket', Key: 'big', ETag: '"x-2"' }),
      check(r, rec) {
        assert.equal(rec.op, 'CompleteMultipartUpload');
        assert.deepEqual(rec.input!.MultipartUpload, { Parts: [{ PartNumber: 1, ETag: '"p1"' }, { PartNumber: 2, ETag: '"p2"' }] });
        assert.equal(r.ok.ETag, '"x-2"');
        assert.equal(r.ok.Key, 'big');
      },
    },
    {
      name: `${tag} ListParts`,
      call: s3('ListParts', { Bucket: 'my-bucket', Key: 'big', UploadId: 'up/1+2' }, config),
      answer: () => ({ Bucket: 'my-bucket', Key: 'big', UploadId: 'up/1+2', IsTruncated: false, Parts: [{ PartNumber: 1, ETag: '"p1"', Size: 8, LastModified: when }] }),
      check(r, rec) {
        assert.equal(rec.op, 'ListParts');
        assert.deepEqual(r.ok.Parts, [{ PartNumber: 1, ETag: '"p1"', Size: 8, LastModified: when }]);
      },
    },
    {
      name: `${tag} CopyObject: botocore encodes a CopySource dict into the header`,
      call: s3('CopyObject', { Bucket: 'my-bucket', Key: 'dst', CopySource: { Bucket: 'src', Key: 'a b+c.txt', VersionId: 'v1' }, MetadataDirective: 'REPLACE', Metadata: { x: 'y' } }, config),
      answer: () => ({ CopyObjectResult: { ETag: '"c"', LastModified: when }, CopySourceVersionId: 'v1' }),
      check(r, rec) {
        assert.equal(rec.op, 'CopyObject');
        assert.equal(rec.input!.CopySource, 'src/a%20b%2Bc.txt?versionId=v1');
        assert.equal(rec.input!.MetadataDirective, 'REPLACE');
        assert.deepEqual(r.ok.CopyObjectResult, { ETag: '"c"', LastModified: when });
        assert.equal(r.ok.CopySourceVersionId, 'v1');
      },
    },
    {
      name: `${tag} GetBucketLocation: botocore's own parser reads the text root`,
      call: s3('GetBucketLocation', { Bucket: 'my-bucket' }, config),
      answer: () => ({ LocationConstraint: 'eu-west-1' }),
      check(r) {
        assert.equal(r.ok.LocationConstraint, 'eu-west-1');
      },
    },
    {
      name: `${tag} GetBucketLocation in us-east-1 is an empty element (None)`,
      call: s3('GetBucketLocation', { Bucket: 'my-bucket' }, config),
      answer: () => ({}),
      check(r) {
        assert.equal(r.ok.LocationConstraint, null);
      },
    },
    {
      name: `${tag} PutBucketNotificationConfiguration: flattened, renamed members`,
      call: s3(
        'PutBucketNotificationConfiguration',
        {
          Bucket: 'my-bucket',
          NotificationConfiguration: {
            QueueConfigurations: [{ Id: 'q', QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q', Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }, { Name: 'suffix', Value: '.csv' }] } } }],
            LambdaFunctionConfigurations: [{ LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', Events: ['s3:ObjectCreated:Put'] }],
          },
        },
        config,
      ),
      check(r, rec) {
        assert.equal(rec.op, 'PutBucketNotificationConfiguration');
        const cfg = rec.input!.NotificationConfiguration as any;
        assert.deepEqual(cfg.QueueConfigurations[0].Events, ['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
        assert.deepEqual(cfg.QueueConfigurations[0].Filter.Key.FilterRules, [{ Name: 'prefix', Value: 'in/' }, { Name: 'suffix', Value: '.csv' }]);
        assert.equal(cfg.LambdaFunctionConfigurations[0].LambdaFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:f');
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 200);
      },
    },
    {
      name: `${tag} GetBucketNotificationConfiguration`,
      call: s3('GetBucketNotificationConfiguration', { Bucket: 'my-bucket' }, config),
      answer: () => ({ TopicConfigurations: [{ Id: 't', TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'a' }] } } }] }),
      check(r) {
        assert.deepEqual(r.ok.TopicConfigurations, [{ Id: 't', TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'a' }] } } }]);
      },
    },
    {
      name: `${tag} PutObjectAcl: a Grantee with its xsi:type attribute`,
      call: s3(
        'PutObjectAcl',
        {
          Bucket: 'my-bucket',
          Key: key,
          AccessControlPolicy: {
            Owner: { ID: 'owner-id' },
            Grants: [
              { Grantee: { Type: 'CanonicalUser', ID: 'owner-id' }, Permission: 'FULL_CONTROL' },
              { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
            ],
          },
        },
        config,
      ),
      check(_r, rec) {
        assert.equal(rec.op, 'PutObjectAcl');
        assert.deepEqual(rec.input!.AccessControlPolicy, {
          Owner: { ID: 'owner-id' },
          Grants: [
            { Grantee: { Type: 'CanonicalUser', ID: 'owner-id' }, Permission: 'FULL_CONTROL' },
            { Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' },
          ],
        });
      },
    },
    {
      name: `${tag} GetBucketAcl: <AccessControlPolicy> with namespaced attributes, read by botocore`,
      call: s3('GetBucketAcl', { Bucket: 'my-bucket' }, config),
      answer: () => ({ Owner: { ID: 'owner-id', DisplayName: 'me' }, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: 'owner-id', DisplayName: 'me' }, Permission: 'FULL_CONTROL' }] }),
      check(r) {
        assert.deepEqual(r.ok.Owner, { ID: 'owner-id', DisplayName: 'me' });
        assert.deepEqual(r.ok.Grants, [{ Grantee: { Type: 'CanonicalUser', ID: 'owner-id', DisplayName: 'me' }, Permission: 'FULL_CONTROL' }]);
      },
    },
    {
      name: `${tag} PutBucketLifecycleConfiguration: Filter.And with tags, an ISO 8601 Date, flattened rules`,
      call: s3(
        'PutBucketLifecycleConfiguration',
        {
          Bucket: 'my-bucket',
          LifecycleConfiguration: {
            Rules: [
              { ID: 'old', Status: 'Enabled', Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] } }, Expiration: { Date: new Date('2027-01-01T00:00:00.000Z') } },
              { ID: 'tmp', Status: 'Disabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
            ],
          },
        },
        config,
      ),
      check(r, rec) {
        assert.equal(rec.op, 'PutBucketLifecycleConfiguration');
        assert.deepEqual(rec.input!.LifecycleConfiguration, {
          Rules: [
            { ID: 'old', Status: 'Enabled', Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] } }, Expiration: { Date: new Date('2027-01-01T00:00:00.000Z') } },
            { ID: 'tmp', Status: 'Disabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
          ],
        });
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 200);
      },
    },
    {
      name: `${tag} GetBucketLifecycleConfiguration`,
      call: s3('GetBucketLifecycleConfiguration', { Bucket: 'my-bucket' }, config),
      answer: () => ({ Rules: [{ ID: 'old', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Date: new Date('2027-01-01T00:00:00.000Z') } }], TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' }),
      check(r) {
        assert.deepEqual(r.ok.Rules, [{ ID: 'old', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Date: new Date('2027-01-01T00:00:00.000Z') } }]);
        assert.equal(r.ok.TransitionDefaultMinimumObjectSize, 'all_storage_classes_128K');
      },
    },
    {
      name: `${tag} GetBucketCors: flattened rules of flattened lists`,
      call: s3('GetBucketCors', { Bucket: 'my-bucket' }, config),
      answer: () => ({ CORSRules: [{ AllowedOrigins: ['http://a', 'http://b'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60 }] }),
      check(r) {
        assert.deepEqual(r.ok.CORSRules, [{ AllowedOrigins: ['http://a', 'http://b'], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 60 }]);
      },
    },
    {
      name: `${tag} PutBucketVersioning / GetBucketVersioning (MfaDelete renamed)`,
      call: s3('PutBucketVersioning', { Bucket: 'my-bucket', VersioningConfiguration: { Status: 'Enabled', MFADelete: 'Disabled' } }, config),
      check(_r, rec) {
        assert.deepEqual(rec.input!.VersioningConfiguration, { Status: 'Enabled', MFADelete: 'Disabled' });
      },
    },
    {
      name: `${tag} GetBucketVersioning`,
      call: s3('GetBucketVersioning', { Bucket: 'my-bucket' }, config),
      answer: () => ({ Status: 'Suspended', MFADelete: 'Disabled' }),
      check(r) {
        assert.equal(r.ok.Status, 'Suspended');
        assert.equal(r.ok.MFADelete, 'Disabled');
      },
    },
    {
      name: `${tag} PutBucketTagging: a checksummed XML payload`,
      call: s3('PutBucketTagging', { Bucket: 'my-bucket', Tagging: { TagSet: [{ Key: 'k', Value: 'v & w' }] } }, config),
      check(r, rec) {
        assert.equal(rec.op, 'PutBucketTagging');
        assert.deepEqual(rec.input!.Tagging, { TagSet: [{ Key: 'k', Value: 'v & w' }] });
        assert.ok(rec.headers['x-amz-checksum-crc32'] || rec.headers['content-md5']);
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 204);
      },
    },
    {
      name: `${tag} GetObjectTagging`,
      call: s3('GetObjectTagging', { Bucket: 'my-bucket', Key: key }, config),
      answer: () => ({ TagSet: [{ Key: 'a', Value: '1' }], VersionId: 'v1' }),
      check(r, rec) {
        assert.equal(rec.input!.Key, key);
        assert.deepEqual(r.ok.TagSet, [{ Key: 'a', Value: '1' }]);
        assert.equal(r.ok.VersionId, 'v1');
      },
    },
    {
      name: `${tag} NoSuchBucket on a bucket operation`,
      call: s3('ListObjectsV2', { Bucket: 'nope' }, config),
      answer: () => {
        throw new NoSuchBucket('The specified bucket does not exist', { BucketName: 'nope' });
      },
      check(r) {
        assert.equal(r.error.Error.Code, 'NoSuchBucket');
        assert.equal(r.error.Error.BucketName, 'nope');
      },
    },
  ];
}

test('botocore S3, path-style: requests parse to its input, it reads our responses', { skip: skipPython }, async () => {
  await runCases(s3Cases('path', { retries: { total_max_attempts: 1 } }));
});

test('botocore S3, virtual-hosted (bucket.localhost): the same through the Host header', { skip: skipPython }, async () => {
  const config = { retries: { total_max_attempts: 1 }, s3: { addressing_style: 'virtual' } };
  const cases = s3Cases('virtual', config).filter((c) => /PutObject:|GetObject with|ListObjectsV2:|DeleteObjects|CopyObject|NoSuchKey/.test(c.name));
  cases.push({
    name: '[virtual] ListBuckets on the bare endpoint',
    call: s3('ListBuckets', {}, config),
    answer: () => ({ Buckets: [{ Name: 'my-bucket', CreationDate: when }], Owner: { ID: 'abc', DisplayName: 'me' } }),
    check(r, rec) {
      assert.equal(rec.op, 'ListBuckets');
      assert.deepEqual(r.ok.Buckets, [{ Name: 'my-bucket', CreationDate: when }]);
      assert.deepEqual(r.ok.Owner, { ID: 'abc', DisplayName: 'me' });
    },
  });
  await runCases(hostNamesBucket(cases, /^my-bucket\.localhost:\d+$/), (port) => `http://localhost:${port}`);
});

test('botocore S3, virtual-hosted on an s3.localhost endpoint (bucket.s3.localhost)', { skip: skipPython }, async () => {
  const config = { retries: { total_max_attempts: 1 }, s3: { addressing_style: 'virtual' } };
  const cases = s3Cases('virtual s3.', config).filter((c) => /PutObject:|ListObjectsV2:|CreateBucket/.test(c.name));
  await runCases(hostNamesBucket(cases, /^my-bucket\.s3\.localhost:\d+$/), (port) => `http://s3.localhost:${port}`);
});

/** The requests really were virtual-hosted: the bucket came in the Host header, not the path. */
function hostNamesBucket(cases: Case[], host: RegExp): Case[] {
  return cases.map((c) => ({
    ...c,
    check(r, rec) {
      if (c.call.params?.Bucket) {
        assert.match(rec.headers.host, host);
        assert.ok(!rec.rawPath.startsWith('/my-bucket'), rec.rawPath);
      }
      c.check(r, rec);
    },
  }));
}

// ---------------------------------------------------------------------------------------
// Lambda

const lambda = (op: string, params: Record<string, unknown>, config: Record<string, unknown> = { retries: { total_max_attempts: 1 } }): Boto3Call => ({ service: 'lambda', op, params, config });
const fnArn = 'arn:aws:lambda:us-east-1:123456789012:function:my-fn';

test('botocore Lambda: rest-json requests parse to its input, it reads our responses and errors', { skip: skipPython }, async () => {
  const zip = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 1, 2, 255]);
  const clientContext = Buffer.from(JSON.stringify({ custom: { a: 1 } })).toString('base64');
  const config = { Version: '$LATEST', FunctionName: 'my-fn', FunctionArn: fnArn, Runtime: 'nodejs20.x', Handler: 'index.handler', LastModified: '2026-03-04T05:06:07.000+0000', CodeSize: 8, MemorySize: 128, Timeout: 3, State: 'Active', Environment: { Variables: { A: '1' } } };
  await runCases([
    {
      name: 'CreateFunction: a ZipFile blob (base64 in JSON), Environment, Layers',
      call: lambda('CreateFunction', { FunctionName: 'my-fn', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::123456789012:role/r', Handler: 'index.handler', Code: { ZipFile: zip }, Environment: { Variables: { A: '1' } }, Layers: ['arn:aws:lambda:us-east-1:123456789012:layer:l:1'], Publish: true }),
      answer: () => config,
      check(r, rec) {
        assert.equal(rec.op, 'CreateFunction');
        assert.deepEqual((rec.input!.Code as any).ZipFile, zip);
        assert.deepEqual(rec.input!.Environment, { Variables: { A: '1' } });
        assert.equal(rec.input!.Publish, true);
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 201);
        assert.equal(r.ok.FunctionArn, fnArn);
        assert.equal(r.ok.LastModified, config.LastModified);
        assert.deepEqual(r.ok.Environment, { Variables: { A: '1' } });
      },
    },
    {
      name: 'Invoke: raw payload in, LogType Tail, ClientContext; status, headers and raw payload out',
      call: lambda('Invoke', { FunctionName: 'my-fn', Qualifier: 'live', InvocationType: 'RequestResponse', LogType: 'Tail', ClientContext: clientContext, Payload: Buffer.from('{"a": [1, "é"]}') }),
      answer: () => ({ StatusCode: 200, FunctionError: 'Unhandled', LogResult: Buffer.from('START\nEND\n').toString('base64'), ExecutedVersion: '7', Payload: Buffer.from('{"errorMessage":"boom"}') }),
      check(r, rec) {
        assert.equal(rec.op, 'Invoke');
        assert.deepEqual(rec.input, { FunctionName: 'my-fn', Qualifier: 'live', InvocationType: 'RequestResponse', LogType: 'Tail', ClientContext: clientContext, Payload: Buffer.from('{"a": [1, "é"]}') });
        assert.equal(r.ok.StatusCode, 200);
        assert.equal(r.ok.FunctionError, 'Unhandled');
        assert.equal(Buffer.from(r.ok.LogResult, 'base64').toString(), 'START\nEND\n');
        assert.equal(r.ok.ExecutedVersion, '7');
        assert.deepEqual(r.ok.Payload, Buffer.from('{"errorMessage":"boom"}'));
      },
    },
    {
      name: 'Invoke Event: 202 from the StatusCode member, empty payload',
      call: lambda('Invoke', { FunctionName: fnArn + ':7', InvocationType: 'Event', Payload: Buffer.from('{}') }),
      answer: () => ({ StatusCode: 202 }),
      check(r, rec) {
        assert.equal(rec.input!.FunctionName, fnArn + ':7');
        assert.equal(r.ok.StatusCode, 202);
        assert.deepEqual(r.ok.Payload, Buffer.alloc(0));
      },
    },
    {
      name: 'InvokeAsync (deprecated): a streaming blob payload, 202',
      call: lambda('InvokeAsync', { FunctionName: 'my-fn', InvokeArgs: Buffer.from('{"old":"api"}') }),
      answer: () => ({ Status: 202 }),
      check(r, rec) {
        assert.equal(rec.op, 'InvokeAsync');
        assert.deepEqual(rec.input, { FunctionName: 'my-fn', InvokeArgs: Buffer.from('{"old":"api"}') });
        assert.equal(r.ok.Status, 202);
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 202);
      },
    },
    {
      name: 'ListFunctions: Marker/MaxItems querystring',
      call: lambda('ListFunctions', { Marker: 'tok/1 +x', MaxItems: 2 }),
      answer: () => ({ Functions: [config], NextMarker: 'n+/=' }),
      check(r, rec) {
        assert.deepEqual(rec.input, { Marker: 'tok/1 +x', MaxItems: 2 });
        assert.equal(r.ok.NextMarker, 'n+/=');
        assert.equal(r.ok.Functions[0].FunctionName, 'my-fn');
      },
    },
    {
      name: 'UpdateAlias: two uri labels, RoutingConfig weights',
      call: lambda('UpdateAlias', { FunctionName: 'my-fn', Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: { '3': 0.25 } } }),
      answer: () => ({ AliasArn: `${fnArn}:live`, Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: { '3': 0.25 } }, RevisionId: 'r' }),
      check(r, rec) {
        assert.deepEqual(rec.input, { FunctionName: 'my-fn', Name: 'live', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: { '3': 0.25 } } });
        assert.deepEqual(r.ok.RoutingConfig, { AdditionalVersionWeights: { '3': 0.25 } });
      },
    },
    {
      name: 'GetFunction: an ARN in the uri label, Qualifier, nested output',
      call: lambda('GetFunction', { FunctionName: fnArn, Qualifier: '$LATEST' }),
      answer: () => ({ Configuration: config, Code: { RepositoryType: 'S3', Location: 'http://localhost:4566/_nimbus/lambda/code/x?sig=a%2Bb' }, Tags: { a: '1' } }),
      check(r, rec) {
        assert.deepEqual(rec.input, { FunctionName: fnArn, Qualifier: '$LATEST' });
        assert.equal(r.ok.Configuration.FunctionArn, fnArn);
        assert.equal(r.ok.Code.Location, 'http://localhost:4566/_nimbus/lambda/code/x?sig=a%2Bb');
        assert.deepEqual(r.ok.Tags, { a: '1' });
      },
    },
    {
      name: 'AddPermission: a JSON body next to a uri label, 201',
      call: lambda('AddPermission', { FunctionName: 'my-fn', StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::b', SourceAccount: '123456789012', Qualifier: 'live' }),
      answer: () => ({ Statement: '{"Sid":"s3-invoke"}' }),
      check(r, rec) {
        assert.deepEqual(rec.input, { FunctionName: 'my-fn', StatementId: 's3-invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::b', SourceAccount: '123456789012', Qualifier: 'live' });
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 201);
        assert.equal(r.ok.Statement, '{"Sid":"s3-invoke"}');
      },
    },
    {
      name: 'GetPolicy',
      call: lambda('GetPolicy', { FunctionName: 'my-fn' }),
      answer: () => ({ Policy: '{"Version":"2012-10-17","Statement":[]}', RevisionId: 'r1' }),
      check(r) {
        assert.equal(r.ok.Policy, '{"Version":"2012-10-17","Statement":[]}');
        assert.equal(r.ok.RevisionId, 'r1');
      },
    },
    {
      name: "DeleteAlias: the model's 204",
      call: lambda('DeleteAlias', { FunctionName: 'my-fn', Name: 'live' }),
      check(r, rec) {
        assert.equal(rec.op, 'DeleteAlias');
        assert.deepEqual(rec.input, { FunctionName: 'my-fn', Name: 'live' });
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 204);
      },
    },
    {
      name: 'GetLayerVersionByArn: a query literal (?find=LayerVersion) wins over ListLayers',
      call: lambda('GetLayerVersionByArn', { Arn: 'arn:aws:lambda:us-east-1:123456789012:layer:greet:1' }),
      answer: () => ({ LayerVersionArn: 'arn:aws:lambda:us-east-1:123456789012:layer:greet:1', Version: 1, CompatibleRuntimes: ['python3.12'] }),
      check(r, rec) {
        assert.equal(rec.op, 'GetLayerVersionByArn');
        assert.deepEqual(rec.input, { Arn: 'arn:aws:lambda:us-east-1:123456789012:layer:greet:1' });
        assert.equal(r.ok.Version, 1);
      },
    },
    {
      name: 'ListLayers on the bare path',
      call: lambda('ListLayers', { CompatibleRuntime: 'python3.12' }),
      answer: () => ({ Layers: [] }),
      check(r, rec) {
        assert.equal(rec.op, 'ListLayers');
        assert.deepEqual(rec.input, { CompatibleRuntime: 'python3.12' });
        assert.deepEqual(r.ok.Layers, []);
      },
    },
    {
      name: 'DeleteFunction: 204, no body',
      call: lambda('DeleteFunction', { FunctionName: 'my-fn', Qualifier: '3' }),
      answer: () => ({ StatusCode: 204 }),
      check(r, rec) {
        assert.deepEqual(rec.input, { FunctionName: 'my-fn', Qualifier: '3' });
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 204);
      },
    },
    {
      name: 'ListTags: an ARN in a uri label (botocore escapes the colons)',
      call: lambda('ListTags', { Resource: fnArn }),
      answer: () => ({ Tags: { team: 'a b', 'aws:x': '1' } }),
      check(r, rec) {
        assert.equal(rec.rawPath, `/2017-03-31/tags/${encodeURIComponent(fnArn)}`);
        assert.deepEqual(rec.input, { Resource: fnArn });
        assert.deepEqual(r.ok.Tags, { team: 'a b', 'aws:x': '1' });
      },
    },
    {
      name: 'CreateEventSourceMapping: a timestamp member as epoch seconds',
      call: lambda('CreateEventSourceMapping', { FunctionName: 'my-fn', EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:q', BatchSize: 5, FilterCriteria: { Filters: [{ Pattern: '{"body":{"a":[1]}}' }] } }),
      answer: () => ({ UUID: 'u-1', BatchSize: 5, EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:q', FunctionArn: fnArn, LastModified: new Date('2026-03-04T05:06:07.250Z'), State: 'Creating' }),
      check(r, rec) {
        assert.deepEqual(rec.input, { FunctionName: 'my-fn', EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:q', BatchSize: 5, FilterCriteria: { Filters: [{ Pattern: '{"body":{"a":[1]}}' }] } });
        assert.equal(r.ok.ResponseMetadata.HTTPStatusCode, 202);
        assert.deepEqual(r.ok.LastModified, new Date('2026-03-04T05:06:07.250Z'));
        assert.equal(r.ok.UUID, 'u-1');
      },
    },
    {
      name: 'GetFunction ResourceNotFoundException: code from X-Amzn-ErrorType, Message, Type',
      call: lambda('GetFunction', { FunctionName: 'nope' }),
      answer: () => {
        throw new ResourceNotFoundException(`Function not found: ${fnArn.replace('my-fn', 'nope')}`, { Type: 'User' });
      },
      check(r) {
        assert.equal(r.error.Error.Code, 'ResourceNotFoundException');
        assert.equal(r.error.Error.Message, `Function not found: ${fnArn.replace('my-fn', 'nope')}`);
        assert.equal(r.error.ResponseMetadata.HTTPStatusCode, 404);
        assert.equal(r.error.Type, 'User');
      },
    },
    {
      name: 'TooManyRequestsException: Reason and the Retry-After header as modeled fields',
      call: lambda('Invoke', { FunctionName: 'f' }),
      answer: () => {
        throw new TooManyRequestsException('Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retryAfterSeconds: '1' });
      },
      check(r) {
        assert.equal(r.error.Error.Code, 'TooManyRequestsException');
        assert.equal(r.error.Error.Message, 'Rate Exceeded.');
        assert.equal(r.error.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
        assert.equal(r.error.retryAfterSeconds, '1');
        assert.equal(r.error.ResponseMetadata.HTTPStatusCode, 429);
      },
    },
    {
      name: "Nimbus's internal failure is Lambda's ServiceException (500)",
      call: lambda('ListFunctions', {}),
      answer: () => {
        throw new ServiceError('InternalFailure', 'boom', { status: 500, senderFault: false });
      },
      check(r) {
        assert.equal(r.error.Error.Code, 'ServiceException');
        assert.equal(r.error.ResponseMetadata.HTTPStatusCode, 500);
      },
    },
    {
      name: 'InvokeWithResponseStream: botocore reads our event stream',
      call: lambda('InvokeWithResponseStream', { FunctionName: 'f', Payload: Buffer.from('{}'), LogType: 'Tail' }),
      answer: () => ({
        StatusCode: 200,
        ExecutedVersion: '$LATEST',
        ResponseStreamContentType: 'application/octet-stream',
        EventStream: [{ PayloadChunk: { Payload: Buffer.from('hello ') } }, { PayloadChunk: { Payload: Buffer.from('world') } }, { InvokeComplete: { LogResult: Buffer.from('log').toString('base64') } }],
      }),
      check(r) {
        assert.equal(r.ok.StatusCode, 200);
        assert.equal(r.ok.ExecutedVersion, '$LATEST');
        assert.deepEqual(r.ok.EventStream, [{ PayloadChunk: { Payload: Buffer.from('hello ') } }, { PayloadChunk: { Payload: Buffer.from('world') } }, { InvokeComplete: { LogResult: Buffer.from('log').toString('base64') } }]);
      },
    },
  ]);
});

// ---------------------------------------------------------------------------------------
// The aws CLI itself

test('aws CLI: lambda invoke writes the raw payload to the outfile; --log-type Tail', { skip: skipCli }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-cli-'));
  const srv = await codecServer((op, input) => {
    assert.equal(op, 'Invoke');
    // echoes the payload back, as a function would
    return { StatusCode: 200, ExecutedVersion: '$LATEST', LogResult: input.LogType === 'Tail' ? Buffer.from('START RequestId: x\n').toString('base64') : undefined, Payload: input.Payload };
  });
  try {
    const payload = Buffer.from('{"name": "wörld", "n": [1, 2]}\n');
    fs.writeFileSync(path.join(dir, 'in.json'), payload);
    const [fromFile, inline] = await Promise.all([
      awsCli(srv.endpoint, ['lambda', 'invoke', '--function-name', 'my-fn', '--payload', 'fileb://in.json', '--log-type', 'Tail', 'out1.json'], { cwd: dir }),
      awsCli(srv.endpoint, ['lambda', 'invoke', '--function-name', fnArn, '--qualifier', '3', '--payload', '{"k":"v"}', 'out2.json'], { cwd: dir }),
    ]);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.deepEqual(fromFile.json, { StatusCode: 200, ExecutedVersion: '$LATEST', LogResult: Buffer.from('START RequestId: x\n').toString('base64') });
    assert.deepEqual(fs.readFileSync(path.join(dir, 'out1.json')), payload);
    assert.equal(inline.code, 0, inline.stderr);
    assert.deepEqual(inline.json, { StatusCode: 200, ExecutedVersion: '$LATEST' });
    assert.equal(fs.readFileSync(path.join(dir, 'out2.json'), 'utf8'), '{"k":"v"}');
    const seen = srv.seen.map((s) => s.input!).sort((a, b) => String(a.FunctionName).localeCompare(String(b.FunctionName)));
    assert.deepEqual(seen, [
      { FunctionName: fnArn, Qualifier: '3', Payload: Buffer.from('{"k":"v"}') },
      { FunctionName: 'my-fn', LogType: 'Tail', Payload: payload },
    ]);
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('aws CLI: s3api list-objects decodes keys it asked to be encoded; --encoding-type url leaves them to the caller', { skip: skipCli }, async () => {
  const srv = await codecServer((op, input) => {
    assert.equal(op, 'ListObjects');
    const encoded = input.EncodingType === 'url';
    return { Name: 'b', EncodingType: input.EncodingType, IsTruncated: false, Contents: [{ Key: encoded ? 'a+b%2Bc%25.txt' : 'a b+c%.txt', Size: 1, LastModified: when, ETag: '"e"' }] };
  });
  try {
    const [auto, explicit] = await Promise.all([
      awsCli(srv.endpoint, ['s3api', 'list-objects', '--bucket', 'b']),
      awsCli(srv.endpoint, ['s3api', 'list-objects', '--bucket', 'b', '--encoding-type', 'url']),
    ]);
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(auto.json.Contents[0].Key, 'a b+c%.txt');
    assert.equal(explicit.code, 0, explicit.stderr);
    assert.equal(explicit.json.Contents[0].Key, 'a+b%2Bc%25.txt');
    assert.deepEqual(
      srv.seen.map((s) => s.input!.EncodingType),
      ['url', 'url'],
    );
  } finally {
    await srv.close();
  }
});

test('aws CLI: s3 cp uploads below the 8 MB threshold with PutObject, above it in parts', { skip: skipCli }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-cli-'));
  const parts = new Map<number, Buffer>();
  const srv = await codecServer((op, input) => {
    switch (op) {
      case 'PutObject':
        return { ETag: `"${md5(input.Body as Buffer).toString('hex')}"` };
      case 'CreateMultipartUpload':
        return { Bucket: input.Bucket, Key: input.Key, UploadId: 'u-1' };
      case 'UploadPart':
        parts.set(input.PartNumber as number, input.Body as Buffer);
        return { ETag: `"${md5(input.Body as Buffer).toString('hex')}"` };
      case 'CompleteMultipartUpload':
        return { Bucket: input.Bucket, Key: input.Key, ETag: '"x-2"', Location: 'http://x' };
      default:
        throw new ServiceError('NotImplemented', op, { status: 501 });
    }
  });
  try {
    const small = crypto.randomBytes(1024 * 1024);
    const big = crypto.randomBytes(9 * 1024 * 1024);
    fs.writeFileSync(path.join(dir, 'small.bin'), small);
    fs.writeFileSync(path.join(dir, 'big.bin'), big);
    const [a, b] = await Promise.all([
      awsCli(srv.endpoint, ['s3', 'cp', 'small.bin', 's3://b/small.bin', '--content-type', 'application/x-test'], { cwd: dir }),
      awsCli(srv.endpoint, ['s3', 'cp', 'big.bin', 's3://b/dir/big file.bin'], { cwd: dir }),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const put = srv.seen.find((s) => s.op === 'PutObject')!;
    assert.equal(put.input!.Key, 'small.bin');
    assert.equal(put.input!.ContentType, 'application/x-test');
    assert.deepEqual(put.input!.Body, small);
    const ops = srv.seen.filter((s) => s.input?.Key === 'dir/big file.bin').map((s) => s.op);
    assert.deepEqual(ops.sort(), ['CompleteMultipartUpload', 'CreateMultipartUpload', 'UploadPart', 'UploadPart']);
    assert.deepEqual(Buffer.concat([parts.get(1)!, parts.get(2)!]), big);
    assert.equal(parts.get(1)!.length, 8 * 1024 * 1024);
    const complete = srv.seen.find((s) => s.op === 'CompleteMultipartUpload')!;
    assert.deepEqual(
      (complete.input!.MultipartUpload as any).Parts.map((p: any) => p.PartNumber),
      [1, 2],
    );
  } finally {
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}
