import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
import { test } from 'node:test';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { LambdaClient, CreateFunctionCommand, InvokeCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { startNimbus } from '/work/main/test/helpers/server.js';
import { zipOf } from '/work/main/test/lambda-exec/helpers.js';

test('bench', async () => {
  const n = await startNimbus({ dataDir: require('fs').mkdtempSync('/tmp/lxb-') });
  const lambda = new LambdaClient(n.clientConfig);
  const agent = new http.Agent({ keepAlive: true });
  const srv = http.createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}')); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as any).port;
  const get = () => new Promise<void>((r) => { const q = http.request({ port, host: '127.0.0.1', method: 'POST', agent }, (s) => { s.resume(); s.on('end', () => r()); }); q.end('{}'); });
  for (let i = 0; i < 200; i++) await get();
  let t = performance.now(); for (let i = 0; i < 500; i++) await get(); console.log('plain http', ((performance.now() - t) / 500).toFixed(3), 'ms');
  const raw = (path: string, body: string) => new Promise<void>((r) => { const q = http.request({ port: n.port, host: '127.0.0.1', method: 'POST', path, agent, headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x' } }, (s) => { s.resume(); s.on('end', () => r()); }); q.end(body); });
  for (let k = 0; k < 6; k++) {
    const name = 'b' + k;
    await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/r', Code: { ZipFile: zipOf({ 'index.mjs': 'export const handler = async () => 1;' }) } }));
    for (;;) { const f = await lambda.send(new GetFunctionCommand({ FunctionName: name })); if (f.Configuration?.State === 'Active') break; await new Promise((r) => setTimeout(r, 20)); }
    await new Promise((r) => setTimeout(r, 300));
    t = performance.now();
    await raw(`/2015-03-31/functions/${name}/invocations`, '{}');
    console.log('cold invoke', (performance.now() - t).toFixed(1), 'ms');
  }
  for (let i = 0; i < 200; i++) await raw('/2015-03-31/functions/b0/invocations', '{}');
  t = performance.now(); for (let i = 0; i < 500; i++) await raw('/2015-03-31/functions/b0/invocations', '{}'); console.log('warm invoke (raw http)', ((performance.now() - t) / 500).toFixed(3), 'ms');
  t = performance.now(); for (let i = 0; i < 500; i++) await raw('/2015-03-31/functions/b0/invocations', '{}'); console.log('warm invoke (raw http)', ((performance.now() - t) / 500).toFixed(3), 'ms');
  t = performance.now(); for (let i = 0; i < 200; i++) await new Promise<void>((r) => { const q = http.request({ port: n.port, host: '127.0.0.1', method: 'POST', path: '/2015-03-31/functions/b0/invocations', agent, headers: { 'x-amz-invocation-type': 'Event', authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x' } }, (s) => { s.resume(); s.on('end', () => r()); }); q.end('{}'); }); console.log('async accept', ((performance.now() - t) / 200).toFixed(3), 'ms');
  t = performance.now(); spawnSync(process.execPath, ['-e', '0']); console.log('node -e 0', (performance.now() - t).toFixed(1), 'ms');
  agent.destroy(); srv.close(); lambda.destroy(); await n.close();
});
