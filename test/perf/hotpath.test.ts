// What the hot-path work (scripts/perf/) changed in the pipeline, pinned: UTF-8 checking of
// form and JSON bodies, byte-exact Content-Length of text bodies, one log line per request
// written in batches (and none lost at exit), codecs loaded on first use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { startNimbus, type TestNimbus } from '../helpers/server.js';

let nimbus: TestNimbus;
before(async () => {
  nimbus = await startNimbus();
});
after(() => nimbus.close());

const sigv4 = (service: string) => `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=abc`;

function post(headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(nimbus.endpoint);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a JSON body that is not UTF-8 is a SerializationException', async () => {
  const body = Buffer.concat([Buffer.from('{"QueueName":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  const r = await post({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.CreateQueue', authorization: sigv4('sqs') }, body);
  assert.equal(r.status, 400);
  assert.match(r.body.toString(), /SerializationException/);
  assert.match(r.body.toString(), /not valid UTF-8/);
});

test('a form body that is not UTF-8 is MalformedQueryString', async () => {
  const body = Buffer.concat([Buffer.from('Action=GetCallerIdentity&Version=2011-06-15&X='), Buffer.from([0xff])]);
  const r = await post({ 'content-type': 'application/x-www-form-urlencoded', authorization: sigv4('sts') }, body);
  assert.equal(r.status, 400);
  assert.match(r.body.toString(), /<Code>MalformedQueryString<\/Code>/);
});

test('Content-Length counts bytes of multi-byte text bodies, and both request id headers are sent', async () => {
  const json = (target: string, input: object) =>
    post({ 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${target}`, authorization: sigv4('sqs') }, Buffer.from(JSON.stringify(input)));
  const created = await json('CreateQueue', { QueueName: `utf8-${Date.now()}`, tags: { team: 'équipe-ünï' } });
  assert.equal(created.status, 200, created.body.toString());
  const r = await json('ListQueueTags', { QueueUrl: JSON.parse(created.body.toString()).QueueUrl });
  assert.equal(r.status, 200, r.body.toString());
  assert.equal(JSON.parse(r.body.toString()).Tags.team, 'équipe-ünï');
  assert.equal(Number(r.headers['content-length']), r.body.length);
  assert.ok(r.body.length > r.body.toString('utf8').length);
  assert.match(String(r.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
  assert.equal(r.headers['x-amz-request-id'], r.headers['x-amzn-requestid']);
  assert.equal(r.headers['x-powered-by'], undefined);
});

test('the default log sink writes every line, in order, including lines logged right before exit', () => {
  const script = `
    import { createLogger } from './src/core/log.ts';
    const log = createLogger('info');
    for (let i = 0; i < 2000; i++) log.info('line ' + i);
    log.warn('warned');
    log.info('last');
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stderr.trim().split('\n').map((l) => l.replace(/^\S+ \S+\s+/, ''));
  assert.deepEqual(lines, [...Array.from({ length: 2000 }, (_, i) => `line ${i}`), 'warned', 'last']);
});
