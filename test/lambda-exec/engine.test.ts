// The execution engine on its own: real runtimes (node cjs/esm/callback, python, a shell-script
// custom runtime), AWS's error shapes, timeouts, warm reuse, retirement, layers, env and context.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { BlobStore } from '../../src/store/blobs.js';
import { SystemClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/log.js';
import { LambdaEngine } from '../../src/lambda/engine.js';
import type { FunctionSnapshot, InvokeOutcome, LogEvent } from '../../src/lambda/types.js';
import { snapshot, layerOf } from './helpers.js';

const blobs = new BlobStore();
const shipped: { stream: string; events: LogEvent[] }[] = [];
const engine = new LambdaEngine({
  clock: new SystemClock(),
  log: createLogger('silent'),
  endpoint: () => 'http://127.0.0.1:4566',
  idleSeconds: 60,
  nodeSpares: 1,
  onLog: (_fn, stream, events) => shipped.push({ stream, events }),
});
after(async () => {
  await engine.close();
  blobs.close();
});

function invoke(fn: FunctionSnapshot, event: unknown = {}, extra: { clientContext?: string } = {}): Promise<InvokeOutcome> {
  return engine.invoke({ fn, payload: Buffer.from(JSON.stringify(event)), invokedFunctionArn: fn.functionArn, requestId: crypto.randomUUID(), ...extra });
}
const body = (o: InvokeOutcome) => JSON.parse(o.payload.toString('utf8'));

test('node ESM handler: event, context, AWS environment variables, function variables', async () => {
  const fn = snapshot(
    blobs,
    {
      'index.mjs': `export const handler = async (event, context) => ({
        event,
        ctx: { fn: context.functionName, ver: context.functionVersion, arn: context.invokedFunctionArn, mem: context.memoryLimitInMB,
               id: context.awsRequestId, group: context.logGroupName, stream: context.logStreamName, left: context.getRemainingTimeInMillis(),
               wait: context.callbackWaitsForEmptyEventLoop, client: context.clientContext },
        env: Object.fromEntries(['AWS_LAMBDA_FUNCTION_NAME','AWS_LAMBDA_FUNCTION_VERSION','AWS_LAMBDA_FUNCTION_MEMORY_SIZE','AWS_LAMBDA_LOG_GROUP_NAME',
          'AWS_LAMBDA_LOG_STREAM_NAME','AWS_REGION','AWS_DEFAULT_REGION','AWS_EXECUTION_ENV','_HANDLER','LAMBDA_TASK_ROOT','LAMBDA_RUNTIME_DIR','TZ',
          'AWS_ACCESS_KEY_ID','AWS_SECRET_ACCESS_KEY','AWS_ENDPOINT_URL','GREETING','AWS_LAMBDA_RUNTIME_API'].map(k => [k, process.env[k]])),
        cwd: process.cwd(),
      });`,
    },
    { environment: { GREETING: 'hi' }, memorySize: 256, timeout: 5 },
  );
  const cc = Buffer.from(JSON.stringify({ custom: { a: 'b' } })).toString('base64');
  const out = await invoke(fn, { a: 1 }, { clientContext: cc });
  assert.equal(out.functionError, undefined, out.payload.toString());
  const r = body(out);
  assert.deepEqual(r.event, { a: 1 });
  assert.equal(r.ctx.fn, fn.functionName);
  assert.equal(r.ctx.ver, '$LATEST');
  assert.equal(r.ctx.arn, fn.functionArn);
  assert.equal(r.ctx.mem, '256');
  assert.match(r.ctx.id, /^[0-9a-f-]{36}$/);
  assert.equal(r.ctx.group, `/aws/lambda/${fn.functionName}`);
  assert.match(r.ctx.stream, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.equal(r.ctx.stream, out.logStreamName);
  assert.ok(r.ctx.left > 3000 && r.ctx.left <= 5000, String(r.ctx.left));
  assert.equal(r.ctx.wait, true);
  assert.deepEqual(r.ctx.client, { custom: { a: 'b' } });
  assert.equal(r.env.AWS_LAMBDA_FUNCTION_NAME, fn.functionName);
  assert.equal(r.env.AWS_LAMBDA_FUNCTION_VERSION, '$LATEST');
  assert.equal(r.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, '256');
  assert.equal(r.env.AWS_REGION, 'us-east-1');
  assert.equal(r.env.AWS_DEFAULT_REGION, 'us-east-1');
  assert.equal(r.env.AWS_EXECUTION_ENV, 'AWS_Lambda_nodejs20.x');
  assert.equal(r.env._HANDLER, 'index.handler');
  assert.equal(r.env.LAMBDA_TASK_ROOT, r.cwd);
  assert.ok(r.env.LAMBDA_RUNTIME_DIR);
  assert.equal(r.env.TZ, ':UTC');
  assert.equal(r.env.AWS_ACCESS_KEY_ID, '000000000000');
  assert.ok(r.env.AWS_SECRET_ACCESS_KEY);
  assert.equal(r.env.AWS_ENDPOINT_URL, 'http://127.0.0.1:4566');
  assert.equal(r.env.GREETING, 'hi');
  assert.match(r.env.AWS_LAMBDA_RUNTIME_API, /^127\.0\.0\.1:\d+$/);
  assert.equal(r.env.AWS_LAMBDA_LOG_STREAM_NAME, out.logStreamName);
});

test('node CommonJS and callback handlers; console lines in AWS format; log shipped START..REPORT', async () => {
  const fn = snapshot(blobs, {
    'lib/app.js': `module.exports = { handler: (event, context, callback) => { console.log('got', event.n); setTimeout(() => callback(null, { twice: event.n * 2 }), 5); } };`,
  }, { handler: 'lib/app.handler' });
  const out = await invoke(fn, { n: 21 });
  assert.deepEqual(body(out), { twice: 42 });
  const lines = out.log.trimEnd().split('\n');
  const start = lines.findIndex((l) => l.startsWith('START RequestId: '));
  assert.ok(start >= 0, out.log);
  assert.ok(lines[0].startsWith('INIT_START Runtime Version: '), lines[0]);
  assert.match(lines[start + 1], /^\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\tINFO\tgot 21$/);
  assert.match(lines.at(-2)!, /^END RequestId: /);
  assert.match(lines.at(-1)!, /^REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms/);
  assert.ok(out.initDurationMs! > 0);
  const s = shipped.find((x) => x.stream === out.logStreamName);
  assert.ok(s && s.events.some((e) => e.message.includes('got 21')));

  const cjs = snapshot(blobs, { 'index.js': `exports.handler = async () => 'plain'; ` });
  assert.equal(body(await invoke(cjs)), 'plain');
  const cjsExt = snapshot(blobs, { 'h.cjs': `exports.run = async (e) => e.x;` }, { handler: 'h.run' });
  assert.equal(body(await invoke(cjsExt, { x: 7 })), 7);
  const typeModule = snapshot(blobs, { 'package.json': '{"type":"module"}', 'index.js': `export const handler = async () => ({ esm: typeof require === 'undefined' });` });
  assert.deepEqual(body(await invoke(typeModule)), { esm: true });
});

test('errors as AWS shapes them', async () => {
  const thrown = snapshot(blobs, { 'index.mjs': `export const handler = async (e) => { throw new TypeError('boom ' + e.id); };` });
  let out = await invoke(thrown, { id: 42 });
  assert.equal(out.functionError, 'Unhandled');
  assert.equal(out.errorType, 'TypeError');
  let r = body(out);
  assert.equal(r.errorType, 'TypeError');
  assert.equal(r.errorMessage, 'boom 42');
  assert.ok(Array.isArray(r.trace) && r.trace[0] === 'TypeError: boom 42', JSON.stringify(r));
  assert.match(out.log, /\tERROR\tInvoke Error \t\{"errorType":"TypeError"/);

  out = await invoke(snapshot(blobs, { 'other.mjs': 'export const handler = 1;' }));
  r = body(out);
  assert.equal(out.functionError, 'Unhandled');
  assert.equal(r.errorType, 'Runtime.ImportModuleError');
  assert.match(r.errorMessage, /^Error: Cannot find module 'index'/);

  out = await invoke(snapshot(blobs, { 'index.mjs': 'export const other = async () => 1;' }));
  r = body(out);
  assert.equal(r.errorType, 'Runtime.HandlerNotFound');
  assert.equal(r.errorMessage, 'index.handler is undefined or not exported');

  out = await invoke(snapshot(blobs, { 'index.mjs': 'import "no-such-package"; export const handler = async () => 1;' }));
  assert.equal(body(out).errorType, 'Runtime.ImportModuleError');

  out = await invoke(snapshot(blobs, { 'index.mjs': 'export const handler = async () => { ;;; )' }));
  assert.equal(body(out).errorType, 'Runtime.UserCodeSyntaxError');

  out = await invoke(snapshot(blobs, { 'index.mjs': 'export const handler = async () => { process.exit(3); };' }));
  r = body(out);
  assert.equal(out.functionError, 'Unhandled');
  assert.equal(r.errorType, 'Runtime.ExitError');
  assert.match(r.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$/);

  out = await invoke(snapshot(blobs, { 'index.mjs': 'export const handler = async () => "x".repeat(7 * 1024 * 1024);' }));
  r = body(out);
  assert.equal(out.functionError, 'Unhandled');
  assert.equal(r.errorType, 'Function.ResponseSizeTooLarge');
  assert.match(r.errorMessage, /Response payload size exceeded maximum allowed payload size \(6291556 bytes\)/);

  // An init-time exception is the invocation's error, and the next invocation tries init again.
  const initThrows = snapshot(blobs, { 'index.mjs': 'throw new RangeError("bad init"); export const handler = async () => 1;' });
  out = await invoke(initThrows);
  r = body(out);
  assert.equal(out.functionError, 'Unhandled');
  assert.equal(r.errorType, 'RangeError');
  assert.equal(r.errorMessage, 'bad init');
});

test('timeout: killed, AWS message, the next invocation recovers in a new environment', async () => {
  const fn = snapshot(blobs, { 'index.mjs': 'let inits = (globalThis.n = 1); export const handler = async (e) => { if (e.sleep) await new Promise(r => setTimeout(r, e.sleep)); return "ok"; };' }, { timeout: 1 });
  assert.equal(body(await invoke(fn, {})), 'ok');
  const pid = engine.environments(fn.functionArn, '$LATEST').length;
  assert.equal(pid, 1);
  const t0 = Date.now();
  const out = await invoke(fn, { sleep: 5000 });
  assert.ok(Date.now() - t0 < 4000, 'killed at the timeout, not after the handler\'s 5 s');
  assert.equal(out.functionError, 'Unhandled');
  const r = body(out);
  assert.match(r.errorMessage, /^\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 1\.00 seconds$/);
  assert.match(out.log, /Status: timeout/);
  assert.equal(engine.environments(fn.functionArn, '$LATEST').length, 0);
  const again = await invoke(fn, {});
  assert.equal(body(again), 'ok');
  assert.ok(again.initDurationMs !== undefined, 'a fresh environment (cold start)');
});

test('warm reuse: init runs once, /tmp persists; a code update retires the environment', async () => {
  const src = (tag: string) => ({
    'index.mjs': `import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
      let inits = 0; inits++;
      export const handler = async (e) => {
        const f = path.join(os.tmpdir(), 'state');
        const before = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null;
        fs.writeFileSync(f, e.v);
        return { tag: '${tag}', inits, before, calls: (globalThis.calls = (globalThis.calls ?? 0) + 1) };
      };`,
  });
  const fn = snapshot(blobs, src('v1'));
  const a = await invoke(fn, { v: 'one' });
  const b = await invoke(fn, { v: 'two' });
  assert.deepEqual(body(a), { tag: 'v1', inits: 1, before: null, calls: 1 });
  assert.deepEqual(body(b), { tag: 'v1', inits: 1, before: 'one', calls: 2 });
  assert.ok(a.initDurationMs !== undefined);
  assert.equal(b.initDurationMs, undefined);
  assert.doesNotMatch(b.log, /Init Duration/);
  const envs = engine.environments(fn.functionArn, '$LATEST');
  assert.equal(envs.length, 1);

  const updated = { ...snapshot(blobs, src('v2'), { functionName: fn.functionName }), revisionId: crypto.randomUUID() };
  const c = await invoke(updated, { v: 'three' });
  assert.deepEqual(body(c), { tag: 'v2', inits: 1, before: null, calls: 1 });
  const after = engine.environments(fn.functionArn, '$LATEST');
  assert.equal(after.length, 1);
  assert.notEqual(after[0].id, envs[0].id);
});

test('concurrent invocations get separate environments', async () => {
  const fn = snapshot(blobs, { 'index.mjs': 'const id = Math.random(); export const handler = async () => { await new Promise(r => setTimeout(r, 200)); return id; };' });
  const [a, b] = await Promise.all([invoke(fn), invoke(fn)]);
  assert.notEqual(body(a), body(b));
  assert.equal(engine.environments(fn.functionArn, '$LATEST').length, 2);
});

test('layers: /opt/nodejs/node_modules for require and import; the runtime SDK resolves from ESM', async () => {
  const layer = layerOf(blobs, { 'nodejs/node_modules/greet/index.js': 'module.exports = (w) => "hello " + w;', 'nodejs/node_modules/greet/package.json': '{"name":"greet","main":"index.js"}', 'bin/tool': 'x' });
  const cjs = snapshot(blobs, { 'index.js': 'const greet = require("greet"); exports.handler = async (e) => greet(e.who);' }, { layers: [layer] });
  assert.equal(body(await invoke(cjs, { who: 'layer' })), 'hello layer');
  const esm = snapshot(blobs, {
    'index.mjs': `import greet from 'greet'; import { SQSClient } from '@aws-sdk/client-sqs';
      export const handler = async (e) => ({ g: greet(e.who), sdk: typeof SQSClient, path: process.env.PATH.split(':').pop() });`,
  }, { layers: [layer] });
  const r = body(await invoke(esm, { who: 'esm' }));
  assert.equal(r.g, 'hello esm');
  assert.equal(r.sdk, 'function');
  assert.ok(fs.existsSync(r.path + '/tool'), 'PATH ends with the layers\' /opt/bin');
});

test('python: AWS context object, print in the log, error format, import and handler errors, layers', async () => {
  const layer = layerOf(blobs, { 'python/helper.py': 'def twice(x):\n    return x * 2\n' }, 'pylayer');
  const fn = snapshot(blobs, {
    'app.py': [
      'import os, helper',
      'def handler(event, context):',
      '    print("py-log-line")',
      '    if event.get("fail"):',
      '        raise ValueError("bad value")',
      '    return {"sum": helper.twice(event["a"]), "fn": context.function_name, "rid": context.aws_request_id, "mem": context.memory_limit_in_mb,',
      '            "arn": context.invoked_function_arn, "left": context.get_remaining_time_in_millis(), "group": context.log_group_name, "region": os.environ["AWS_REGION"]}',
    ].join('\n'),
  }, { runtime: 'python3.11', handler: 'app.handler', layers: [layer] });
  const out = await invoke(fn, { a: 21 });
  assert.equal(out.functionError, undefined, out.payload.toString());
  const r = body(out);
  assert.equal(r.sum, 42);
  assert.equal(r.fn, fn.functionName);
  assert.match(r.rid, /^[0-9a-f-]{36}$/);
  assert.equal(r.mem, '128');
  assert.equal(r.arn, fn.functionArn);
  assert.ok(r.left > 0);
  assert.equal(r.region, 'us-east-1');
  assert.match(out.log, /\npy-log-line\n/);

  const bad = await invoke(fn, { fail: true });
  assert.equal(bad.functionError, 'Unhandled');
  const e = body(bad);
  assert.equal(e.errorType, 'ValueError');
  assert.equal(e.errorMessage, 'bad value');
  assert.match(e.requestId, /^[0-9a-f-]{36}$/);
  assert.ok(Array.isArray(e.stackTrace) && e.stackTrace.some((l: string) => l.includes('app.py')));

  const missing = await invoke(snapshot(blobs, { 'app.py': 'x = 1\n' }, { runtime: 'python3.11', handler: 'nope.handler' }));
  assert.equal(body(missing).errorType, 'Runtime.ImportModuleError');
  assert.match(body(missing).errorMessage, /^Unable to import module 'nope': No module named 'nope'/);
  const noHandler = await invoke(snapshot(blobs, { 'app.py': 'x = 1\n' }, { runtime: 'python3.11', handler: 'app.handler' }));
  assert.equal(body(noHandler).errorType, 'Runtime.HandlerNotFound');
  assert.equal(body(noHandler).errorMessage, "Handler 'handler' missing on module 'app'");
});

test('provided.al2023: a shell-script bootstrap speaking the Runtime API; a missing bootstrap', async () => {
  const bootstrap = `#!/bin/sh
set -eu
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  H=$(mktemp); EVENT=$(curl -sS -D "$H" "$API/next")
  ID=$(grep -i "^Lambda-Runtime-Aws-Request-Id:" "$H" | tr -d "\\r" | cut -d" " -f2)
  echo "handling $ID"
  curl -sS -X POST "$API/$ID/response" -d "{\\"custom\\":true,\\"got\\":$EVENT}" >/dev/null
done`;
  const fn = snapshot(blobs, { bootstrap: { content: bootstrap, mode: 0o755 } }, { runtime: 'provided.al2023', handler: 'bootstrap' });
  const out = await invoke(fn, { x: 1 });
  assert.equal(out.functionError, undefined, out.payload.toString());
  assert.deepEqual(body(out), { custom: true, got: { x: 1 } });
  const again = await invoke(fn, { x: 2 });
  assert.deepEqual(body(again), { custom: true, got: { x: 2 } });
  assert.match(again.log, /handling [0-9a-f-]{36}/);

  const none = await invoke(snapshot(blobs, { 'README': 'x' }, { runtime: 'provided.al2', handler: 'x' }));
  assert.equal(none.functionError, 'Unhandled');
  assert.equal(body(none).errorType, 'Runtime.InvalidEntrypoint');
});

test('a runaway allocation is reported as Runtime.OutOfMemory and does not hurt others', async () => {
  const fn = snapshot(blobs, { 'index.mjs': 'export const handler = async () => { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())); };' }, { timeout: 20 });
  const out = await invoke(fn);
  assert.equal(out.functionError, 'Unhandled');
  assert.equal(body(out).errorType, 'Runtime.OutOfMemory');
  const ok = snapshot(blobs, { 'index.mjs': 'export const handler = async () => "fine";' });
  assert.equal(body(await invoke(ok)), 'fine');
});

test('an async exception during init is an init error; a runaway logger is capped', async () => {
  const initAsync = snapshot(blobs, { 'index.mjs': 'setTimeout(() => { throw new SyntaxError("late init"); }, 0); await new Promise((r) => setTimeout(r, 50)); export const handler = async () => 1;' });
  const out = await invoke(initAsync);
  assert.equal(out.functionError, 'Unhandled');
  assert.deepEqual([body(out).errorType, body(out).errorMessage], ['SyntaxError', 'late init']);

  const noisy = snapshot(blobs, { 'index.mjs': 'export const handler = async () => { const l = "x".repeat(200); for (let i = 0; i < 60000; i++) console.log(l); return "done"; };' }, { timeout: 20 });
  const loud = await invoke(noisy);
  assert.equal(body(loud), 'done');
  assert.ok(loud.log.length < 9 * 1024 * 1024, `log kept: ${loud.log.length}`);
  assert.match(loud.log, /Nimbus: \d+ more log lines of this invocation were dropped/);
});

test('callback handlers wait for the event loop unless callbackWaitsForEmptyEventLoop is false; python marshal errors', async () => {
  const waits = snapshot(blobs, { 'index.js': 'exports.handler = (e, ctx, cb) => { ctx.callbackWaitsForEmptyEventLoop = !e.noWait; globalThis.order = []; setTimeout(() => globalThis.order.push("timer"), 400); cb(null, Date.now()); };' });
  let t0 = Date.now();
  await invoke(waits, {});
  assert.ok(Date.now() - t0 >= 390, 'answered after the pending timer ran');
  t0 = Date.now();
  await invoke(waits, { noWait: true });
  assert.ok(Date.now() - t0 < 390, 'answered at once');

  const py = await invoke(snapshot(blobs, { 'app.py': 'def handler(e, c):\n    return {1, 2}\n' }, { runtime: 'python3.11', handler: 'app.handler' }));
  assert.equal(py.functionError, 'Unhandled');
  assert.equal(body(py).errorType, 'Runtime.MarshalError');
  assert.match(body(py).errorMessage, /^Unable to marshal response: Object of type set is not JSON serializable/);
});

test('a runtime that dies between invocations is replaced by a cold start', async () => {
  const fn = snapshot(blobs, { 'index.mjs': 'export const handler = async (e) => { if (e.die) setTimeout(() => process.exit(7), 20); return process.pid; };' });
  const first = await invoke(fn, { die: true });
  const pid = body(first);
  for (let i = 0; i < 100 && engine.environments(fn.functionArn, '$LATEST').length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(engine.environments(fn.functionArn, '$LATEST').length, 0);
  const next = await invoke(fn, {});
  assert.notEqual(body(next), pid);
  assert.ok(next.initDurationMs !== undefined);
});

test('LogFormat JSON: application lines and platform records as JSON', async () => {
  const fn = snapshot(blobs, { 'index.mjs': 'export const handler = async () => { console.warn("careful", { n: 1 }); return 1; };' }, { logFormat: 'JSON' });
  const out = await invoke(fn);
  const records = out.log.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(records.map((r) => r.type ?? r.level), ['platform.initStart', 'platform.start', 'WARN', 'platform.report']);
  assert.equal(records[2].message, "careful { n: 1 }");
  assert.match(records[2].requestId, /^[0-9a-f-]{36}$/);
  assert.equal(records[3].record.status, 'success');
  assert.equal(records[3].record.metrics.memorySizeMB, 128);
  assert.ok(records[3].record.metrics.initDurationMs > 0);
});

test('more error shapes: python exit and init exceptions; a custom runtime reporting /error and crashing', async () => {
  const pyExit = await invoke(snapshot(blobs, { 'app.py': 'import sys\ndef handler(e, c):\n    sys.stdout.flush()\n    import os\n    os._exit(2)\n' }, { runtime: 'python3.11', handler: 'app.handler' }));
  assert.equal(pyExit.functionError, 'Unhandled');
  assert.equal(body(pyExit).errorType, 'Runtime.ExitError');
  assert.match(body(pyExit).errorMessage, /Runtime exited with error: exit status 2$/);

  const pyInit = await invoke(snapshot(blobs, { 'app.py': 'x = 1 / 0\ndef handler(e, c):\n    return 1\n' }, { runtime: 'python3.11', handler: 'app.handler' }));
  assert.equal(body(pyInit).errorType, 'ZeroDivisionError');
  assert.equal(body(pyInit).errorMessage, 'division by zero');

  const reports = `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
H=$(mktemp); curl -sS -D "$H" "$API/next" >/dev/null
ID=$(grep -i "^Lambda-Runtime-Aws-Request-Id:" "$H" | tr -d "\\r" | cut -d" " -f2)
curl -sS -X POST -H "Lambda-Runtime-Function-Error-Type: Custom.Failure" "$API/$ID/error" -d '{"errorType":"Custom.Failure","errorMessage":"custom said no"}' >/dev/null
H=$(mktemp); curl -sS -D "$H" "$API/next" >/dev/null
exit 5`;
  const fn = snapshot(blobs, { bootstrap: { content: reports, mode: 0o755 } }, { runtime: 'provided.al2', handler: 'x' });
  const first = await invoke(fn);
  assert.equal(first.functionError, 'Unhandled');
  assert.deepEqual(body(first), { errorType: 'Custom.Failure', errorMessage: 'custom said no' });
  const second = await invoke(fn);
  assert.equal(second.functionError, 'Unhandled');
  assert.equal(body(second).errorType, 'Runtime.ExitError');
  assert.match(body(second).errorMessage, /exit status 5$/);
});

test('a custom runtime sending garbage to the Runtime API gets 4xx answers, and Nimbus carries on', async () => {
  const bootstrap = `#!/bin/sh
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
H=$(mktemp); curl -sS -D "$H" "$API/invocation/next" >/dev/null
ID=$(grep -i "^Lambda-Runtime-Aws-Request-Id:" "$H" | tr -d "\\r" | cut -d" " -f2)
A=$(curl -s -o /dev/null -w "%{http_code}" -X POST "$API/invocation/%E0%A4%A/response" -d x)
B=$(curl -s -o /dev/null -w "%{http_code}" -X POST "$API/invocation/not-the-id/response" -d x)
C=$(curl -s -o /dev/null -w "%{http_code}" "$API/nowhere")
printf 'garbage\\r\\n\\r\\n' | curl -s -m 1 telnet://\${AWS_LAMBDA_RUNTIME_API} >/dev/null 2>&1
curl -sS -X POST "$API/invocation/$ID/response" -d "\\"$A $B $C\\"" >/dev/null
sleep 5`;
  const fn = snapshot(blobs, { bootstrap: { content: bootstrap, mode: 0o755 } }, { runtime: 'provided.al2023', handler: 'x' });
  const out = await invoke(fn);
  assert.equal(body(out), '400 400 404');
});
