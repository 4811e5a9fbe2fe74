// The Runtime API's local-socket side (src/lambda/runtime-api-local.ts): HTTP/1.1 framing of
// Nimbus's own runtime client, answers in request order, an answer held back while the
// pipelined request behind it is pending, and node's own refusals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import { serveLocalRuntimeApi, type RuntimeRequest, type RuntimeResponse } from '../../src/lambda/runtime-api-local.js';

type Seen = { method?: string; url?: string; headers: RuntimeRequest['headers']; body: Buffer; res: RuntimeResponse };

let server: net.Server;
let path: string;
let onRequest: (seen: Seen) => void = () => {};

before(async () => {
  path = process.platform === 'linux' ? `\0nimbus-test-${crypto.randomUUID()}` : `/tmp/nimbus-test-${crypto.randomUUID()}.sock`;
  server = net.createServer((socket) =>
    serveLocalRuntimeApi(socket, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => onRequest({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks), res }));
    }),
  );
  await new Promise<void>((resolve) => server.listen(path, resolve));
});
const clients = new Set<net.Socket>();
after(() => {
  for (const c of clients) c.destroy();
  server.close();
});

function connect(): Promise<{ socket: net.Socket; received: () => string; chunks: string[]; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    clients.add(socket);
    const chunks: string[] = [];
    socket.on('data', (c) => chunks.push(c.toString('latin1')));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('connect', () => resolve({ socket, chunks, received: () => chunks.join(''), closed }));
  });
}

const tick = () => new Promise((r) => setTimeout(r, 30));

describe('local Runtime API connection', () => {
  test('a body split across writes arrives whole; a lone answer leaves at once', async () => {
    const seen: Seen[] = [];
    onRequest = (s) => {
      seen.push(s);
      s.res.writeHead(202, { 'content-type': 'application/json', 'content-length': 15 });
      s.res.end('{"status":"OK"}');
    };
    const c = await connect();
    c.socket.write('POST /2018-06-01/runtime/invocation/id-1/response HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok"');
    await tick();
    assert.equal(seen.length, 0);
    c.socket.write(':true}');
    await tick();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].method, 'POST');
    assert.equal(seen[0].url, '/2018-06-01/runtime/invocation/id-1/response');
    assert.equal(seen[0].headers['content-type'], 'application/json');
    assert.equal(seen[0].body.toString(), '{"ok":true}');
    assert.match(c.received(), /^HTTP\/1\.1 202 Accepted\r\n[\s\S]*content-length: 15\r\n[\s\S]*\r\n\r\n\{"status":"OK"\}$/);
    c.socket.destroy();
  });

  test('an answer ready ahead of a pending pipelined request waits, then both leave together in order', async () => {
    const seen: Seen[] = [];
    onRequest = (s) => {
      seen.push(s);
      if (s.method === 'POST') {
        s.res.writeHead(202, { 'content-length': 2 });
        s.res.end('ok');
      }
    };
    const c = await connect();
    c.socket.write(
      'POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\nContent-Length: 4\r\n\r\nnull' +
        'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nContent-Length: 0\r\n\r\n',
    );
    await tick();
    assert.deepEqual(seen.map((s) => s.method), ['POST', 'GET']);
    assert.equal(c.received(), '', 'the 202 waits for the pending GET /next');
    seen[1].res.writeHead(200, { 'lambda-runtime-aws-request-id': 'b', 'content-length': 2 });
    seen[1].res.end(Buffer.from('{}'));
    await tick();
    assert.equal(c.chunks.length, 1, 'one write');
    const text = c.received();
    assert.ok(text.indexOf('HTTP/1.1 202') === 0 && text.indexOf('HTTP/1.1 200 OK') > 0, text);
    assert.match(text, /lambda-runtime-aws-request-id: b\r\n[\s\S]*\r\n\r\n\{\}$/);
    c.socket.destroy();
  });

  test('header values node refuses are refused the same way; destroy closes the connection', async () => {
    let res: RuntimeResponse | undefined;
    onRequest = (s) => (res = s.res);
    const c = await connect();
    c.socket.write('GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n\r\n');
    await tick();
    assert.throws(() => res!.writeHead(200, { 'x-bad': 'a\nb' }), TypeError);
    assert.equal(res!.headersSent, false);
    res!.destroy();
    await c.closed;
    assert.equal(res!.destroyed, true);
  });

  test('a chunked request (never sent by Nimbus runtime clients) closes the connection', async () => {
    let called = false;
    onRequest = () => (called = true);
    const c = await connect();
    c.socket.write('POST /2018-06-01/runtime/invocation/a/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    await c.closed;
    assert.equal(called, false);
  });
});
