// Browser-based uploads (POST /{bucket}, multipart/form-data) through handlePostObject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import crypto from 'node:crypto';
import { handlePostObject } from '../../src/services/s3/index.js';
import { harness, rejectsWith, text } from './harness.js';

const BOUNDARY = '----nimbusFormBoundary7MA4YWxk';

function form(fields: [string, string][], file?: { name?: string; filename: string; data: Buffer }, after: [string, string][] = []): Buffer {
  const parts: Buffer[] = [];
  const field = ([k, v]: [string, string]) => parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  fields.forEach(field);
  if (file) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${file.name ?? 'file'}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(file.data, Buffer.from('\r\n'));
  }
  after.forEach(field);
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/** The body in small pieces, so boundaries straddle chunks. */
function chunked(buf: Buffer, size = 7): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) pieces.push(buf.subarray(i, i + size));
  return Readable.from(pieces);
}

const policy = (conditions: unknown[], expiration = '2030-01-01T00:00:00Z') => Buffer.from(JSON.stringify({ expiration, conditions })).toString('base64');

function request(bucket: string, body: Buffer, contentType = `multipart/form-data; boundary=${BOUNDARY}`) {
  return { method: 'POST', rawPath: `/${bucket}`, rawQuery: '', headers: { 'content-type': contentType }, body: Buffer.alloc(0), stream: chunked(body) };
}

test('form upload: fields, ${filename}, metadata, tagging, 201 document, ObjectCreated:Post', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'forms' }, ctx());
    await s3.PutBucketNotificationConfiguration({ Bucket: 'forms', NotificationConfiguration: { QueueConfigurations: [{ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:q', Events: ['s3:ObjectCreated:Post'] as never }] } }, ctx());
    await s3.settled();
    h.calls.length = 0;
    // File bytes that look like the start of a boundary must survive.
    const data = Buffer.concat([Buffer.from('line1\r\n--'), crypto.randomBytes(3000), Buffer.from(`\r\n--${BOUNDARY.slice(0, 10)}`)]);
    const fields: [string, string][] = [
      ['key', 'uploads/${filename}'],
      ['Content-Type', 'image/png'],
      ['x-amz-meta-origin', 'browser'],
      ['success_action_status', '201'],
      ['tagging', '<Tagging><TagSet><Tag><Key>src</Key><Value>web</Value></Tag></TagSet></Tagging>'],
      ['policy', policy([{ bucket: 'forms' }, ['starts-with', '$key', 'uploads/'], ['eq', '$Content-Type', 'image/png'], ['starts-with', '$x-amz-meta-origin', ''], ['eq', '$success_action_status', '201'], ['starts-with', '$tagging', ''], ['content-length-range', 1, 10000]])],
      ['x-amz-signature', 'ignored'],
    ];
    const res = await handlePostObject(request('forms', form(fields, { filename: 'cat.png', data }, [['key', 'after-the-file-is-ignored']])) as never, ctx(), s3);
    assert.equal(res.status, 201);
    assert.match(String(res.body), /<PostResponse><Location>http:\/\/127\.0\.0\.1:4566\/forms\/uploads\/cat\.png<\/Location><Bucket>forms<\/Bucket><Key>uploads\/cat\.png<\/Key><ETag>"[0-9a-f]{32}"<\/ETag><\/PostResponse>/);
    assert.equal(res.headers.ETag, `"${crypto.createHash('md5').update(data).digest('hex')}"`);
    const got = s3.GetObject({ Bucket: 'forms', Key: 'uploads/cat.png' });
    assert.equal(await text(got.Body), data.toString());
    assert.equal(got.ContentType, 'image/png');
    assert.deepEqual(got.Metadata, { origin: 'browser' });
    assert.deepEqual(s3.GetObjectTagging({ Bucket: 'forms', Key: 'uploads/cat.png' }).TagSet, [{ Key: 'src', Value: 'web' }]);
    await s3.settled();
    const record = JSON.parse(h.calls.find((c) => c.operation === 'SendMessage')!.input.MessageBody).Records[0];
    assert.equal(record.eventName, 'ObjectCreated:Post');
    assert.equal(record.s3.object.key, 'uploads/cat.png');

    // Default: 204 with Location and ETag; a redirect answers 303 with bucket, key and etag.
    const plain = await handlePostObject(request('forms', form([['key', 'k']], { filename: 'x', data: Buffer.from('x') })) as never, ctx(), s3);
    assert.equal(plain.status, 204);
    assert.equal(plain.headers.Location, 'http://127.0.0.1:4566/forms/k');
    const redirect = await handlePostObject(request('forms', form([['key', 'r'], ['success_action_redirect', 'https://app.test/done']], { filename: 'x', data: Buffer.from('x') })) as never, ctx(), s3);
    assert.equal(redirect.status, 303);
    assert.match(String(redirect.headers.Location), /^https:\/\/app\.test\/done\?bucket=forms&key=r&etag=%22/);
  } finally {
    h.close();
  }
});

test('form upload errors: policy conditions, extra fields, expiry, size range, missing key or file, not a form', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'forms2' }, ctx());
    const file = { filename: 'f', data: Buffer.alloc(100, 1) };
    const post = (fields: [string, string][], f: typeof file | null = file) => handlePostObject(request('forms2', form(fields, f ?? undefined)) as never, ctx(), s3);
    const eq = await rejectsWith(post([['key', 'other/x'], ['policy', policy([{ bucket: 'forms2' }, ['starts-with', '$key', 'uploads/']])]]), 'AccessDenied', 403);
    assert.equal(eq.message, 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]');
    const extra = await rejectsWith(post([['key', 'k'], ['Content-Type', 'text/plain'], ['policy', policy([{ bucket: 'forms2' }, ['starts-with', '$key', '']])]]), 'AccessDenied');
    assert.equal(extra.message, 'Invalid according to Policy: Extra input fields: content-type');
    const expired = await rejectsWith(post([['key', 'k'], ['policy', policy([{ bucket: 'forms2' }, ['starts-with', '$key', '']], '2020-01-01T00:00:00Z')]]), 'AccessDenied');
    assert.equal(expired.message, 'Invalid according to Policy: Policy expired.');
    await rejectsWith(post([['key', 'k'], ['policy', policy([{ bucket: 'forms2' }, ['starts-with', '$key', ''], ['content-length-range', 1, 50]])]]), 'EntityTooLarge', 400);
    await rejectsWith(post([['key', 'k'], ['policy', policy([{ bucket: 'forms2' }, ['starts-with', '$key', ''], ['content-length-range', 200, 500]])]]), 'EntityTooSmall', 400);
    await rejectsWith(post([['key', 'k'], ['policy', policy([{ bucket: 'other' }, ['starts-with', '$key', '']])]]), 'AccessDenied');
    await rejectsWith(post([['acl', 'private']]), 'InvalidArgument', 400);
    await rejectsWith(post([['key', 'k']], null), 'InvalidArgument', 400);
    await rejectsWith(handlePostObject(request('forms2', Buffer.from('key=k'), 'application/x-www-form-urlencoded') as never, ctx(), s3), 'PreconditionFailed', 412);
    await rejectsWith(handlePostObject(request('forms2', Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="key"\r\n\r\nk`)) as never, ctx(), s3), 'MalformedPOSTRequest', 400);
    await rejectsWith(handlePostObject(request('missing-bucket', form([['key', 'k']], file)) as never, ctx(), s3), 'NoSuchBucket', 404);
    assert.equal(s3.ListObjectsV2({ Bucket: 'forms2' }).KeyCount, 0);
  } finally {
    h.close();
  }
});
