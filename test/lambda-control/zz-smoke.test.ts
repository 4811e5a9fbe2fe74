import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LambdaClient, CreateFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { startNimbus } from '../helpers/server.js';
import { NODE_ZIP, ROLE } from './helpers.js';
test('smoke', async () => {
  const n = await startNimbus();
  try {
    const c = new LambdaClient(n.clientConfig);
    const out = await c.send(new CreateFunctionCommand({ FunctionName: 'f1', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: NODE_ZIP() } }));
    console.log(out);
    const g = await c.send(new GetFunctionCommand({ FunctionName: 'f1' }));
    console.log(g);
    const r = await fetch(g.Code!.Location!); console.log(r.status, (await r.arrayBuffer()).byteLength);
    await c.send(new GetFunctionCommand({ FunctionName: 'nope' })).catch(e => console.log(e.name, e.message, e.$metadata.httpStatusCode));
  } finally { await n.close(); }
});
