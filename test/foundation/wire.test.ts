// Raw HTTP against the pipeline: routing, request ids, error shapes, bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startNimbus, type TestNimbus } from '../helpers/server.js';

let nimbus: TestNimbus;
before(async () => {
  nimbus = await startNimbus();
});
after(() => nimbus.close());

const sigv4 = (service: string, key = 'test', region = 'us-east-1') =>
  `AWS4-HMAC-SHA256 Credential=${key}/20260101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

test('health answers at /_nimbus/health and /_localstack/health', async () => {
  for (const path of ['/_nimbus/health', '/_localstack/health']) {
    const r = await request(nimbus.endpoint).get(path).expect(200);
    assert.equal(r.body.edition, 'nimbus');
    assert.ok(['available', 'running'].includes(r.body.services.sqs));
    assert.match(r.body.version, /^\d+\.\d+\.\d+/);
  }
});

test('every response carries a request id', async () => {
  const r = await request(nimbus.endpoint).post('/').type('form').send('Action=GetCallerIdentity&Version=2011-06-15').expect(200);
  assert.match(r.headers['x-amzn-requestid'], /^[0-9a-f-]{36}$/);
  assert.match(r.text, /<GetCallerIdentityResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/);
  assert.ok(r.text.includes(`<RequestId>${r.headers['x-amzn-requestid']}</RequestId>`));
});

test('an unknown query action answers InvalidAction', async () => {
  const r = await request(nimbus.endpoint).post('/').set('authorization', sigv4('sts')).type('form').send('Action=NoSuchThing&Version=2011-06-15').expect(400);
  assert.match(r.text, /<Code>InvalidAction<\/Code>/);
});

test('an unknown JSON target answers UnknownOperationException', async () => {
  const r = await request(nimbus.endpoint)
    .post('/')
    .set('x-amz-target', 'AmazonSQS.NoSuchThing')
    .set('content-type', 'application/x-amz-json-1.0')
    .send('{}')
    .expect(400);
  assert.match(JSON.parse(r.text).__type, /UnknownOperationException/);
});

test('a service Nimbus does not serve gets an AWS-shaped error, not a 500', async () => {
  const r = await request(nimbus.endpoint)
    .post('/')
    .set('x-amz-target', 'DynamoDB_20120810.ListTables')
    .set('content-type', 'application/x-amz-json-1.0')
    .send('{}')
    .expect(400);
  assert.equal(JSON.parse(r.text).__type, 'UnknownOperationException');
  assert.match(JSON.parse(r.text).message, /DynamoDB_20120810/);
});

test('a model operation Nimbus does not implement answers 501 naming it', async () => {
  const r = await request(nimbus.endpoint).post('/').set('authorization', sigv4('sts')).type('form').send('Action=GetFederationToken&Version=2011-06-15&Name=bob').expect(501);
  assert.match(r.text, /<Code>NotImplemented<\/Code>/);
  assert.match(r.text, /sts:GetFederationToken/);
});

test('malformed bodies answer 4xx and the server keeps serving', async () => {
  await request(nimbus.endpoint)
    .post('/')
    .set('x-amz-target', 'AmazonSQS.ListQueues')
    .set('content-type', 'application/x-amz-json-1.0')
    .send('{"QueueNamePrefix": ')
    .expect((r) => assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`));
  await request(nimbus.endpoint)
    .post('/')
    .set('x-amz-target', 'AmazonSQS.ListQueues')
    .set('content-type', 'application/x-amz-json-1.0')
    .send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))
    .expect((r) => assert.ok(r.status >= 400 && r.status < 500, `status ${r.status}`));
  await request(nimbus.endpoint).post('/').type('form').send('Action=GetCallerIdentity&Version=2011-06-15').expect(200);
});

test('bodies over the limit answer 413 without being read into memory', async () => {
  const big = Buffer.alloc(17 * 1024 * 1024, 0x61);
  const r = await fetch(nimbus.endpoint + '/', { method: 'POST', headers: { authorization: sigv4('sns'), 'content-type': 'application/x-www-form-urlencoded' }, body: big });
  assert.equal(r.status, 413);
  assert.match(await r.text(), /<Code>RequestEntityTooLargeException<\/Code>/);
  await request(nimbus.endpoint).post('/').type('form').send('Action=GetCallerIdentity&Version=2011-06-15').expect(200);
});

test('validation errors use the service wording', async () => {
  const r = await request(nimbus.endpoint)
    .post('/')
    .set('authorization', sigv4('sts'))
    .type('form')
    .send('Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::111122223333:role/x&RoleSessionName=a')
    .expect(400);
  assert.match(r.text, /<Code>ValidationError<\/Code>/);
  assert.match(r.text, /1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2/);
});

test('an Invoke payload over 6 MB is Lambda\'s RequestTooLargeException, read no further', async () => {
  const r = await fetch(nimbus.endpoint + '/2015-03-31/functions/any/invocations', { method: 'POST', headers: { authorization: sigv4('lambda') }, body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x61) });
  assert.equal(r.status, 413);
  assert.equal(r.headers.get('x-amzn-errortype'), 'RequestTooLargeException');
  assert.match(JSON.parse(await r.text()).message ?? '', /Request must be smaller than 6291456 bytes for the InvokeFunction operation/);
});
