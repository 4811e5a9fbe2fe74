import http from 'node:http';
import fs from 'node:fs';
import { LambdaClient, CreateFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { startNimbus } from '/work/main/test/helpers/server.js';
import { zipOf } from '/work/main/test/lambda-exec/helpers.js';
const n = await startNimbus({ dataDir: fs.mkdtempSync('/tmp/lxb-') });
const lambda = new LambdaClient(n.clientConfig);
await lambda.send(new CreateFunctionCommand({ FunctionName: 'p', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/r', Code: { ZipFile: zipOf({ 'index.mjs': 'export const handler = async () => 1;' }) } }));
for (;;) { const f = await lambda.send(new GetFunctionCommand({ FunctionName: 'p' })); if (f.Configuration?.State === 'Active') break; await new Promise((r) => setTimeout(r, 20)); }
const agent = new http.Agent({ keepAlive: true });
const raw = (type?: string) => new Promise<void>((r) => { const q = http.request({ port: n.port, host: '127.0.0.1', method: 'POST', path: '/2015-03-31/functions/p/invocations', agent, headers: { ...(type ? { 'x-amz-invocation-type': type } : {}), authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=x' } }, (s) => { s.resume(); s.on('end', () => r()); }); q.end('{}'); });
for (let i = 0; i < 300; i++) await raw();
let t = performance.now(); for (let i = 0; i < 1500; i++) await raw(); console.log('warm', ((performance.now() - t) / 1500).toFixed(3));
t = performance.now(); for (let i = 0; i < 500; i++) await raw('Event'); console.log('async', ((performance.now() - t) / 500).toFixed(3));
agent.destroy(); lambda.destroy(); await n.close();
