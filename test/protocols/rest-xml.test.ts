// The rest-xml codec against the real @aws-sdk/client-s3, path-style and virtual-hosted:
// requests the SDK builds are parsed by our codec and compared with the command input; our
// responses and errors are read back by the SDK and compared with the provider's output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectsCommand,
  ListBucketsCommand,
  DeleteObjectsCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CopyObjectCommand,
  PutBucketNotificationConfigurationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketLocationCommand,
  NoSuchKey,
  NoSuchBucket,
  NotFound,
  S3ServiceException,
  type NotificationConfiguration,
} from '@aws-sdk/client-s3';
import { restXmlCodec, AwsChunkedDecoder } from '../../src/protocols/rest-xml.js';
import { s3HostAddressing, toPathStyle } from '../../src/protocols/s3-addressing.js';
import { loadModel } from '../../src/core/model.js';
import { NoSuchKey as NimbusNoSuchKey, NoSuchBucket as NimbusNoSuchBucket } from '../../src/generated/s3.js';
import type { WireRequest } from '../../src/protocols/types.js';
import { credentials, loopback, readAll } from './rest-harness.js';

const model = loadModel('s3');
const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function client(forcePathStyle: boolean, answer: (op: string, input: Record<string, unknown>) => unknown, extra: Record<string, unknown> = {}) {
  const { requestHandler, seen } = loopback(restXmlCodec, model, 's3', answer);
  const s3 = new S3Client({
    endpoint: 'http://localhost:4566',
    region: 'us-east-1',
    credentials,
    forcePathStyle,
    requestHandler,
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...extra,
  });
  return { s3, seen };
}

function strip<T extends { $metadata?: unknown }>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = out;
  return rest;
}

/** Members the SDK adds on its own (checksums), which the command input does not have. */
function withoutSdkAdditions(input: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...input };
  for (const k of Object.keys(out)) if (k.startsWith('Checksum')) delete out[k];
  return out;
}

const wire = (method: string, rawPath: string, rawQuery = '', headers: Record<string, string> = {}, body = ''): WireRequest => ({
  method,
  rawPath,
  rawQuery,
  headers,
  body: Buffer.from(body),
});

for (const forcePathStyle of [true, false]) {
  const style = forcePathStyle ? 'path-style' : 'virtual-hosted';

  test(`[${style}] CreateBucket with a LocationConstraint document`, async () => {
    const { s3, seen } = client(forcePathStyle, () => ({ Location: '/my-bucket' }));
    const out = await s3.send(new CreateBucketCommand({ Bucket: 'my-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' }, ACL: 'private' }));
    if (!forcePathStyle) assert.equal(seen.wire!.headers.host, 'my-bucket.localhost:4566');
    assert.equal(seen.op, 'CreateBucket');
    assert.deepEqual(seen.input, { Bucket: 'my-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' }, ACL: 'private' });
    assert.equal(out.Location, '/my-bucket');
  });

  test(`[${style}] PutObject: streamed body, Metadata, ContentType, Tagging`, async () => {
    let body: Buffer | undefined;
    const { s3, seen } = client(forcePathStyle, async (_op, input) => {
      assert.ok(typeof (input.Body as Readable).pipe === 'function', 'streaming payload stays a stream');
      body = await readAll(input.Body);
      return { ETag: '"5d41402abc4b2a76b9719d911017c592"', VersionId: 'v1' };
    });
    const out = await s3.send(
      new PutObjectCommand({
        Bucket: 'b',
        Key: 'dir/file name+1 é.txt',
        Body: Readable.from([Buffer.from('hel'), Buffer.from('lo')]),
        ContentLength: 5,
        ContentType: 'text/plain',
        Metadata: { colour: 'red', 'two-words': 'a b' },
        Tagging: 'k1=v1&k2=v%202',
      }),
    );
    assert.equal(seen.op, 'PutObject');
    const { Body: _, ...rest } = seen.input!;
    assert.deepEqual(withoutSdkAdditions(rest), {
      Bucket: 'b',
      Key: 'dir/file name+1 é.txt',
      ContentLength: 5,
      ContentType: 'text/plain',
      Metadata: { colour: 'red', 'two-words': 'a b' },
      Tagging: 'k1=v1&k2=v%202',
    });
    assert.equal(body!.toString(), 'hello');
    assert.equal(out.ETag, '"5d41402abc4b2a76b9719d911017c592"');
    assert.equal(out.VersionId, 'v1');
  });

  test(`[${style}] GetObject: Range in, headers, metadata and a stream out`, async () => {
    const lastModified = new Date('2026-01-01T00:00:00.000Z');
    const { s3, seen } = client(forcePathStyle, () => ({
      Body: Readable.from([Buffer.from('ell')]),
      ContentLength: 3,
      ContentRange: 'bytes 1-3/5',
      ContentType: 'text/plain',
      ETag: '"abc"',
      LastModified: lastModified,
      AcceptRanges: 'bytes',
      Metadata: { colour: 'red', accent: 'é' },
      TagCount: 2,
    }));
    const out = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'a/b.txt', Range: 'bytes=1-3', ResponseContentType: 'text/csv', IfNoneMatch: '"zzz"' }));
    assert.equal(seen.op, 'GetObject');
    assert.deepEqual(seen.input, { Bucket: 'b', Key: 'a/b.txt', Range: 'bytes=1-3', ResponseContentType: 'text/csv', IfNoneMatch: '"zzz"' });
    assert.equal(seen.response!.headers['Last-Modified'], 'Thu, 01 Jan 2026 00:00:00 GMT');
    assert.equal(seen.response!.status, 206);
    assert.equal(out.$metadata.httpStatusCode, 206);
    assert.equal(await out.Body!.transformToString(), 'ell');
    assert.equal(out.ContentLength, 3);
    assert.equal(out.ContentRange, 'bytes 1-3/5');
    assert.equal(out.ContentType, 'text/plain');
    assert.equal(out.ETag, '"abc"');
    assert.deepEqual(out.LastModified, lastModified);
    assert.equal(out.TagCount, 2);
    // non-ASCII metadata travels RFC 2047-encoded, as S3 sends it; the SDK hands it over as is
    assert.equal(out.Metadata!.colour, 'red');
    assert.equal(seen.response!.headers['x-amz-meta-accent'], '=?UTF-8?B?w6k=?=');
  });

  test(`[${style}] ListObjectsV2: flattened Contents and CommonPrefixes, counts and tokens`, async () => {
    const output = {
      IsTruncated: true,
      Contents: [
        { Key: 'a.txt', LastModified: new Date('2026-01-01T00:00:00.000Z'), ETag: '"e1"', Size: 5, StorageClass: 'STANDARD' },
        { Key: 'b & <c>.txt', LastModified: new Date('2026-01-02T03:04:05.678Z'), ETag: '"e2"', Size: 0, StorageClass: 'STANDARD', Owner: { ID: 'owner-id', DisplayName: 'me' } },
      ],
      Name: 'b',
      Prefix: '',
      Delimiter: '/',
      MaxKeys: 2,
      CommonPrefixes: [{ Prefix: 'dir/' }, { Prefix: 'other/' }],
      KeyCount: 4,
      NextContinuationToken: 'next+token/=',
    };
    const { s3, seen } = client(forcePathStyle, () => output);
    const out = await s3.send(new ListObjectsV2Command({ Bucket: 'b', Delimiter: '/', MaxKeys: 2, Prefix: '', ContinuationToken: 'tok en', FetchOwner: true }));
    assert.equal(seen.op, 'ListObjectsV2');
    assert.deepEqual(seen.input, { Bucket: 'b', Delimiter: '/', MaxKeys: 2, Prefix: '', ContinuationToken: 'tok en', FetchOwner: true });
    assert.deepEqual(strip(out), output);
    assert.match(seen.responseText!, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<ListBucketResult xmlns="${NS.replace(/\./g, '\\.')}">`));
    assert.match(seen.responseText!, /<LastModified>2026-01-01T00:00:00\.000Z<\/LastModified>/);
    assert.match(seen.responseText!, /<\/Contents><Contents>/);
  });

  test(`[${style}] DeleteObjects: flattened Object list and Quiet in, Deleted/Error out`, async () => {
    const output = {
      Deleted: [{ Key: 'a' }, { Key: 'b c', VersionId: 'v2', DeleteMarker: true }],
      Errors: [{ Key: 'd', Code: 'AccessDenied', Message: 'Access Denied' }],
    };
    const { s3, seen } = client(forcePathStyle, () => output);
    const input = { Bucket: 'b', Delete: { Objects: [{ Key: 'a' }, { Key: 'b c', VersionId: 'v2' }, { Key: ' lead\r\ncrlf ' }], Quiet: false } };
    const out = await s3.send(new DeleteObjectsCommand(structuredClone(input)));
    assert.equal(seen.op, 'DeleteObjects');
    assert.deepEqual(withoutSdkAdditions(seen.input), input);
    assert.deepEqual(strip(out), output);
    assert.match(seen.responseText!, /<DeleteResult xmlns=/);
  });

  test(`[${style}] multipart: CreateMultipartUpload, UploadPart, CompleteMultipartUpload`, async () => {
    const { s3, seen } = client(forcePathStyle, async (op, input) => {
      if (op === 'CreateMultipartUpload') return { Bucket: 'b', Key: 'big', UploadId: 'up-1' };
      if (op === 'UploadPart') {
        assert.equal((await readAll(input.Body)).toString(), 'part-one');
        return { ETag: '"p1"' };
      }
      return { Location: 'http://localhost:4566/b/big', Bucket: 'b', Key: 'big', ETag: '"x-2"' };
    });
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b', Key: 'big', Metadata: { m: '1' } }));
    assert.equal(seen.op, 'CreateMultipartUpload');
    assert.deepEqual(seen.input, { Bucket: 'b', Key: 'big', Metadata: { m: '1' } });
    assert.match(seen.responseText!, /<InitiateMultipartUploadResult xmlns=/);
    assert.equal(created.UploadId, 'up-1');
    const part = await s3.send(new UploadPartCommand({ Bucket: 'b', Key: 'big', UploadId: 'up-1', PartNumber: 1, Body: Buffer.from('part-one') }));
    assert.equal(seen.op, 'UploadPart');
    assert.equal((seen.input as Record<string, unknown>).PartNumber, 1);
    assert.equal(part.ETag, '"p1"');
    const input = { Bucket: 'b', Key: 'big', UploadId: 'up-1', MultipartUpload: { Parts: [{ ETag: '"p1"', PartNumber: 1 }, { ETag: '"p2"', PartNumber: 2 }] } };
    const done = await s3.send(new CompleteMultipartUploadCommand(input));
    assert.equal(seen.op, 'CompleteMultipartUpload');
    assert.deepEqual(seen.input, input);
    assert.equal(done.ETag, '"x-2"');
    assert.equal(done.Location, 'http://localhost:4566/b/big');
  });

  test(`[${style}] bucket notification configuration round-trips (flattened, renamed members)`, async () => {
    const config: NotificationConfiguration = {
      QueueConfigurations: [
        {
          Id: 'q1',
          QueueArn: 'arn:aws:sqs:us-east-1:123456789012:q',
          Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }, { Name: 'suffix', Value: '.txt' }] } },
        },
      ],
      LambdaFunctionConfigurations: [{ Id: 'l1', LambdaFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', Events: ['s3:ObjectCreated:Put'] }],
    };
    let stored: unknown;
    const { s3, seen } = client(forcePathStyle, (op, input) => {
      if (op === 'PutBucketNotificationConfiguration') {
        stored = input.NotificationConfiguration;
        return {};
      }
      return stored;
    });
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: 'b', NotificationConfiguration: config }));
    assert.equal(seen.op, 'PutBucketNotificationConfiguration');
    assert.deepEqual(seen.input, { Bucket: 'b', NotificationConfiguration: config });
    const got = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: 'b' }));
    assert.equal(seen.op, 'GetBucketNotificationConfiguration');
    assert.deepEqual(strip(got), config);
    assert.match(seen.responseText!, /<NotificationConfiguration xmlns="[^"]+"><QueueConfiguration><Id>q1<\/Id><Queue>/);
    assert.match(seen.responseText!, /<Filter><S3Key><FilterRule><Name>prefix<\/Name>/);
  });

  test(`[${style}] keys with spaces, unicode, '+', '%', '?' and '#' survive the path`, async () => {
    const keys = ['with space.txt', 'plus+sign', 'ünï/cödé 文字.bin', 'per%cent?q=1#frag', 'trailing/', '/leading', 'a//double'];
    const { s3, seen } = client(forcePathStyle, () => ({ Body: Readable.from([Buffer.from('x')]) }));
    for (const Key of keys) {
      await s3.send(new GetObjectCommand({ Bucket: 'b', Key }));
      assert.equal(seen.op, 'GetObject', Key);
      assert.equal(seen.input!.Key, Key);
      assert.equal(seen.input!.Bucket, 'b');
    }
  });

  test(`[${style}] NoSuchKey and NoSuchBucket: S3 error documents read by the SDK`, async () => {
    const { s3, seen } = client(forcePathStyle, (op) => {
      if (op === 'GetObject') throw new NimbusNoSuchKey('The specified key does not exist.', { Key: 'missing.txt' });
      throw new NimbusNoSuchBucket('The specified bucket does not exist', { BucketName: 'nope' });
    });
    const err = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'missing.txt' })).catch((e) => e);
    assert.ok(err instanceof NoSuchKey, String(err));
    assert.equal(err.name, 'NoSuchKey');
    assert.equal(err.message, 'The specified key does not exist.');
    assert.equal(err.$metadata.httpStatusCode, 404);
    assert.equal(err.$metadata.requestId, 'C0FFEE0000004000');
    assert.equal(
      seen.responseText,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>missing.txt</Key><RequestId>C0FFEE0000004000</RequestId><HostId>' +
        Buffer.from('c0ffee00-0000-4000-8000-000000000001').toString('base64') +
        '</HostId></Error>',
    );
    const err2 = await s3.send(new ListObjectsV2Command({ Bucket: 'nope' })).catch((e) => e);
    assert.ok(err2 instanceof NoSuchBucket, String(err2));
    assert.equal(err2.message, 'The specified bucket does not exist');
    assert.equal((err2 as { BucketName?: string }).BucketName, 'nope');
  });

  test(`[${style}] HeadObject 404 has no body and the SDK calls it NotFound`, async () => {
    const { s3, seen } = client(forcePathStyle, () => {
      throw new NimbusNoSuchKey('The specified key does not exist.', { Key: 'k' });
    });
    const err = await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })).catch((e) => e);
    assert.equal(seen.op, 'HeadObject');
    assert.equal(seen.response!.body, undefined);
    assert.ok(err instanceof NotFound, String(err));
    assert.equal(err.name, 'NotFound');
    assert.equal(err.$metadata.httpStatusCode, 404);
  });

  test(`[${style}] HeadObject success: header-only output`, async () => {
    const { s3 } = client(forcePathStyle, () => ({ ContentLength: 5, ETag: '"e"', LastModified: new Date('2026-01-01T00:00:00Z'), Metadata: { a: 'b' }, ContentType: 'text/plain' }));
    const out = await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' }));
    assert.equal(out.ContentLength, 5);
    assert.deepEqual(out.Metadata, { a: 'b' });
    assert.deepEqual(out.LastModified, new Date('2026-01-01T00:00:00Z'));
  });

  test(`[${style}] CopyObject: x-amz-copy-source routes to CopyObject, payload structure out`, async () => {
    const { s3, seen } = client(forcePathStyle, () => ({ CopyObjectResult: { ETag: '"c"', LastModified: new Date('2026-01-01T00:00:00.000Z') } }));
    const out = await s3.send(new CopyObjectCommand({ Bucket: 'b', Key: 'dst', CopySource: 'src/a%20b.txt', MetadataDirective: 'REPLACE', Metadata: { x: 'y' } }));
    assert.equal(seen.op, 'CopyObject');
    assert.deepEqual(seen.input, { Bucket: 'b', Key: 'dst', CopySource: 'src/a%20b.txt', MetadataDirective: 'REPLACE', Metadata: { x: 'y' } });
    assert.match(seen.responseText!, /^<\?xml[^>]*>\n<CopyObjectResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/"><ETag>/);
    assert.deepEqual(out.CopyObjectResult, { ETag: '"c"', LastModified: new Date('2026-01-01T00:00:00.000Z') });
  });
}

test('ListBuckets: <ListAllMyBucketsResult> with <Bucket> items', async () => {
  const output = { Buckets: [{ Name: 'a', CreationDate: new Date('2026-01-01T00:00:00.000Z') }], Owner: { ID: 'id', DisplayName: 'me' } };
  const { s3, seen } = client(true, () => output);
  const out = await s3.send(new ListBucketsCommand({}));
  assert.equal(seen.op, 'ListBuckets');
  assert.deepEqual(strip(out), output);
  assert.match(seen.responseText!, /<ListAllMyBucketsResult xmlns="[^"]+"><Buckets><Bucket><Name>a<\/Name><CreationDate>2026-01-01T00:00:00\.000Z<\/CreationDate><\/Bucket><\/Buckets>/);
});

test('ListObjects (v1) on a plain GET /bucket, V2 with ?list-type=2', async () => {
  const { s3, seen } = client(true, () => ({ Name: 'b', Contents: [{ Key: 'k', Size: 1 }], IsTruncated: false }));
  const out = await s3.send(new ListObjectsCommand({ Bucket: 'b', Marker: 'm' }));
  assert.equal(seen.op, 'ListObjects');
  assert.deepEqual(out.Contents, [{ Key: 'k', Size: 1 }]);
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/b', 'list-type=2&prefix=x'), model), 'ListObjectsV2');
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/b/', ''), model), 'ListObjects');
});

test('GetBucketLocation: a text root element, empty for us-east-1', async () => {
  const { s3, seen } = client(true, (_op, input) => (input.Bucket === 'eu' ? { LocationConstraint: 'eu-west-1' } : {}));
  const eu = await s3.send(new GetBucketLocationCommand({ Bucket: 'eu' }));
  assert.equal(eu.LocationConstraint, 'eu-west-1');
  assert.equal(seen.responseText, `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="${NS}">eu-west-1</LocationConstraint>`);
  const us = await s3.send(new GetBucketLocationCommand({ Bucket: 'us' }));
  assert.equal(us.LocationConstraint ?? '', '');
});

test('PutObject with the SDK default checksums: aws-chunked stream decoded, ContentLength decoded', async () => {
  let body: Buffer | undefined;
  let trailers: Record<string, string> | undefined;
  const { s3, seen } = client(
    true,
    async (_op, input) => {
      body = await readAll(input.Body);
      trailers = (input.Body as { trailers?: Record<string, string> }).trailers;
      return { ETag: '"e"' };
    },
    { requestChecksumCalculation: 'WHEN_SUPPORTED' },
  );
  const data = Buffer.alloc(70_000, 'z');
  await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: Readable.from([data.subarray(0, 30_000), data.subarray(30_000)]), ContentLength: data.length, ContentEncoding: 'gzip' }));
  assert.equal(seen.op, 'PutObject');
  assert.equal(seen.wire!.headers['content-encoding'], 'gzip,aws-chunked');
  assert.deepEqual(body, data);
  // the SDK's trailing checksum is handed over for the provider to verify
  assert.equal(seen.wire!.headers['x-amz-trailer'], 'x-amz-checksum-crc32');
  assert.match(trailers?.['x-amz-checksum-crc32'] ?? '', /^[A-Za-z0-9+/]{6}==$/);
  assert.equal(seen.input!.ContentLength, data.length);
  // the SDK's transfer encoding is not the object's: only the caller's gzip is kept
  assert.equal(seen.input!.ContentEncoding, 'gzip');
});

test('routing among operations sharing PUT /{Bucket}/{Key+}', () => {
  const op = (q: string, h: Record<string, string> = {}) => restXmlCodec.resolveOperation(wire('PUT', '/b/k', q, h), model);
  assert.equal(op(''), 'PutObject');
  assert.equal(op('x-id=PutObject'), 'PutObject');
  assert.equal(op('', { 'x-amz-copy-source': 'a/b' }), 'CopyObject');
  assert.equal(op('partNumber=1&uploadId=u'), 'UploadPart');
  assert.equal(op('partNumber=1&uploadId=u', { 'x-amz-copy-source': 'a/b' }), 'UploadPartCopy');
  assert.equal(op('tagging'), 'PutObjectTagging');
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/b/k', 'uploadId=u'), model), 'ListParts');
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/b/k', 'x-id=GetObject'), model), 'GetObject');
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/b', 'notification'), model), 'GetBucketNotificationConfiguration');
  assert.equal(restXmlCodec.resolveOperation(wire('PUT', '/b', 'lifecycle'), model), 'PutBucketLifecycleConfiguration');
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/b', 'analytics&id=x'), model), 'GetBucketAnalyticsConfiguration');
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/b', 'analytics'), model), 'ListBucketAnalyticsConfigurations');
  assert.equal(restXmlCodec.resolveOperation(wire('GET', '/'), model), 'ListBuckets');
  assert.equal(restXmlCodec.resolveOperation(wire('POST', '/b', 'delete'), model), 'DeleteObjects');
  assert.equal(restXmlCodec.resolveOperation(wire('POST', '/b/k', 'uploads'), model), 'CreateMultipartUpload');
  assert.equal(restXmlCodec.resolveOperation(wire('HEAD', '/b'), model), 'HeadBucket');
});

test('unknown routes answer MethodNotAllowed (405) in S3 form', () => {
  const req = wire('POST', '/b/k');
  assert.equal(restXmlCodec.resolveOperation(wire('PATCH', '/b/k'), model), undefined);
  const err = restXmlCodec.unknownOperationError!(wire('PATCH', '/b/k'), model);
  assert.equal(err.code, 'MethodNotAllowed');
  assert.equal(err.status, 405);
  assert.deepEqual(err.fields, { Method: 'PATCH', ResourceType: 'OBJECT' });
  // POST /{Bucket}/{Key+} is CompleteMultipartUpload, which needs ?uploadId: still routed there, for validation to name it
  assert.equal(restXmlCodec.resolveOperation(req, model), 'CompleteMultipartUpload');
});

test('malformed XML is MalformedXML (400); a bad integer header is a 400 too', () => {
  const req = wire('POST', '/b', 'delete', {}, '<Delete><Object><Key>a</Key></Delete>');
  assert.throws(() => restXmlCodec.parse(req, model, 'DeleteObjects'), (e: any) => e.code === 'MalformedXML' && e.status === 400);
  assert.throws(() => restXmlCodec.parse(wire('GET', '/b/%E0%A4%A', ''), model, 'GetObject'), (e: any) => e.code === 'InvalidURI' && e.status === 400);
  const req2 = wire('PUT', '/b/k', '', { 'content-length': 'lots' });
  assert.throws(() => restXmlCodec.parse(req2, model, 'PutObject'), (e: any) => e.status === 400);
});

test('S3 virtual-hosted addressing', () => {
  assert.deepEqual(s3HostAddressing('my.bucket.s3.localhost:4566'), { isS3Host: true, bucket: 'my.bucket' });
  assert.deepEqual(s3HostAddressing('b.s3.amazonaws.com'), { isS3Host: true, bucket: 'b' });
  assert.deepEqual(s3HostAddressing('b.s3.us-west-2.amazonaws.com'), { isS3Host: true, bucket: 'b' });
  assert.deepEqual(s3HostAddressing('b.s3-us-west-2.amazonaws.com'), { isS3Host: true, bucket: 'b' });
  assert.deepEqual(s3HostAddressing('b.s3.us-east-1.localhost'), { isS3Host: true, bucket: 'b' });
  assert.deepEqual(s3HostAddressing('b.localhost:4566'), { isS3Host: true, bucket: 'b' });
  assert.deepEqual(s3HostAddressing('s3.localhost:4566'), { isS3Host: true });
  assert.deepEqual(s3HostAddressing('s3.amazonaws.com'), { isS3Host: true });
  assert.deepEqual(s3HostAddressing('localhost:4566'), { isS3Host: false });
  assert.deepEqual(s3HostAddressing('127.0.0.1:4566'), { isS3Host: false });
  assert.deepEqual(s3HostAddressing('sqs.us-east-1.localhost:4566'), { isS3Host: false });
  assert.deepEqual(s3HostAddressing('abc.lambda-url.us-east-1.localhost:4566'), { isS3Host: false });
  assert.deepEqual(s3HostAddressing('b.s3-website-us-east-1.amazonaws.com'), { isS3Host: false });

  const vh = toPathStyle(wire('GET', '/dir/k%20ey', '', { host: 'b.s3.localhost:4566' }));
  assert.equal(vh.rawPath, '/b/dir/k%20ey');
  assert.equal(vh.headers.host, 'b.s3.localhost:4566');
  assert.equal(toPathStyle(wire('PUT', '/', '', { host: 'b.localhost:4566' })).rawPath, '/b');
  assert.equal(toPathStyle(wire('GET', '/b/k', '', { host: 'localhost:4566' })).rawPath, '/b/k');
  // a request signed for S3 on `<bucket>.localhost` names the bucket even when it is named like a service
  assert.equal(toPathStyle(wire('GET', '/k', '', { host: 'logs.localhost:4566' })).rawPath, '/logs/k');
  assert.equal(toPathStyle(wire('GET', '/', '', { host: 'my.sqs.data.localhost:4566' })).rawPath, '/my.sqs.data');
  assert.equal(toPathStyle(wire('GET', '/b/k', '', { host: 'sqs.us-east-1.localhost:4566' })).rawPath, '/b/k');
  assert.equal(toPathStyle(wire('GET', '/b/k', '', { host: 'abc.lambda-url.us-east-1.localhost:4566' })).rawPath, '/b/k');
  assert.deepEqual(s3HostAddressing('logs.localhost:4566'), { isS3Host: false });
  // idempotent, also through the pipeline's Object.assign copy
  const target = wire('GET', '/k', '', { host: 'b.s3.localhost' });
  Object.assign(target, toPathStyle(target));
  assert.equal(toPathStyle(target).rawPath, '/b/k');
  assert.equal(restXmlCodec.resolveOperation(target, model), 'GetObject');
});

test('the SDK sees the S3ServiceException base for errors it has no class for', async () => {
  const { ServiceError } = await import('../../src/core/errors.js');
  const { s3 } = client(true, () => {
    throw new ServiceError('InvalidBucketName', 'The specified bucket is not valid.', { fields: { BucketName: 'A_B' } });
  });
  const err = await s3.send(new CreateBucketCommand({ Bucket: 'ab' })).catch((e) => e);
  assert.ok(err instanceof S3ServiceException);
  assert.equal(err.name, 'InvalidBucketName');
  assert.equal((err as { BucketName?: string }).BucketName, 'A_B');
  assert.equal(err.$metadata.httpStatusCode, 400);
});

test('aws-chunked with SigV4 chunk signatures, fed a few bytes at a time', async () => {
  const sig = ';chunk-signature=' + 'a'.repeat(64);
  const encoded = Buffer.from(`5${sig}\r\nhello\r\n6${sig}\r\n world\r\n0${sig}\r\nx-amz-checksum-sha256:abc=\r\n\r\n`);
  const decoder = new AwsChunkedDecoder();
  const out = readAll(decoder);
  for (let i = 0; i < encoded.length; i += 3) decoder.write(encoded.subarray(i, i + 3));
  decoder.end();
  assert.equal((await out).toString(), 'hello world');
  assert.deepEqual(decoder.trailers, { 'x-amz-checksum-sha256': 'abc=' });
  // a body cut before its final chunk is an error, not a silently short object
  const cut = new AwsChunkedDecoder();
  const failed = readAll(cut).then(
    () => undefined,
    (e) => e,
  );
  cut.end(Buffer.from('5\r\nhel'));
  assert.equal((await failed)?.code, 'IncompleteBody');
});
