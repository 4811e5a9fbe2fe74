// Nimbus's own Node.js runtime client: speaks the Lambda Runtime API (AWS_LAMBDA_RUNTIME_API)
// as AWS's runtime interface client does, with AWS's context object, console format and error
// shapes. It starts unspecialised (pre-started by the engine, so a cold start skips the node
// spawn) and receives its function - task root, handler, environment - over the IPC channel.
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import Module, { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { PassThrough } from 'node:stream';

const parentPid = process.ppid;
// Never outlive Nimbus: the IPC channel closes when it dies, and its pid disappears.
process.on('disconnect', () => process.exit(129));
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(129);
}, 500).unref();

process.once('message', (spec) => {
  specialise(spec).catch((e) => {
    fs.writeSync(2, `nimbus bootstrap: ${e && e.stack}\n`);
    process.exit(1);
  });
});
// An IPC message that arrives before a listener exists is dropped: say when one does.
process.send({ ready: true });

// AWS's Node.js runtime offers response streaming through the global `awslambda`.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
globalThis.awslambda = {
  streamifyResponse(fn) {
    fn[STREAMING] = true;
    return fn;
  },
  HttpResponseStream: {
    from(stream, prelude) {
      stream.setContentType?.('application/vnd.awslambda.http-integration-response');
      stream.write(JSON.stringify(prelude ?? {}));
      stream.write(Buffer.alloc(8));
      return stream;
    },
  },
};

let currentRequestId;
let jsonLogs = false;

function writeLog(level, args) {
  const message = util.format(...args);
  let line;
  if (jsonLogs) {
    line = JSON.stringify({ timestamp: new Date().toISOString(), level, requestId: currentRequestId, message });
  } else {
    // AWS's runtime writes one record per console call; outside its telemetry pipe it folds
    // newlines into \r so a multi-line message stays one log event. Nimbus unfolds them.
    line = `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${message}`.replace(/\n/g, '\r');
  }
  fs.writeSync(1, line + '\n');
}

function patchConsole() {
  console.log = (...a) => writeLog('INFO', a);
  console.info = (...a) => writeLog('INFO', a);
  console.warn = (...a) => writeLog('WARN', a);
  console.error = (...a) => writeLog('ERROR', a);
  console.debug = (...a) => writeLog('DEBUG', a);
  console.trace = (...a) => writeLog('TRACE', a);
  console.fatal = (...a) => writeLog('FATAL', a);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let apiHost = '127.0.0.1';
let apiPort = 9001;
/** the same Runtime API on a local socket, when Nimbus offers one (cheaper than loopback TCP) */
let apiSocket;

// The Runtime API client: plain HTTP/1.1 on one kept-alive connection. Requests are written as
// soon as they are made (pipelined): an invocation's response and the next GET /next leave in
// one write, which saves the round trip a request-at-a-time client waits for.
let conn;
let inbox = Buffer.alloc(0);
const waiting = [];

function connection() {
  if (conn) return conn;
  if (apiSocket) {
    conn = net.connect(apiSocket);
  } else {
    conn = net.connect(apiPort, apiHost);
    conn.setNoDelay(true);
  }
  conn.on('data', (chunk) => {
    inbox = inbox.length ? Buffer.concat([inbox, chunk]) : chunk;
    for (;;) {
      const end = inbox.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = inbox.subarray(0, end).toString('utf8').split('\r\n');
      const headers = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (inbox.length < end + 4 + length) return;
      const body = Buffer.from(inbox.subarray(end + 4, end + 4 + length));
      inbox = inbox.subarray(end + 4 + length);
      const w = waiting.shift();
      w?.resolve({ status: Number(head[0].split(' ')[1]), headers, body });
    }
  });
  // The Runtime API is gone: Nimbus stopped (or killed this environment).
  conn.on('close', () => process.exit(129));
  conn.on('error', () => process.exit(129));
  return conn;
}

function api(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    let head = `${method} ${urlPath} HTTP/1.1\r\nHost: ${apiHost}:${apiPort}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${payload ? payload.length : 0}\r\n\r\n`;
    waiting.push({ resolve, reject });
    const c = connection();
    c.write(payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : head);
  });
}

function errorRecord(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack || '').split('\n') };
  }
  // AWS reports thrown non-Errors by their type; the message is the value itself.
  return { errorType: typeof err, errorMessage: typeof err === 'string' ? err : JSON.stringify(err) ?? String(err), trace: [] };
}

class RuntimeError extends Error {
  constructor(type, message, cause) {
    super(message);
    this.name = type;
    if (cause?.stack) this.stack = `${type}: ${message}\n${String(cause.stack).split('\n').slice(1).join('\n')}`;
  }
}

async function postInitError(err) {
  const rec = errorRecord(err);
  const body = JSON.stringify(rec);
  writeLog('ERROR', [`Uncaught Exception \t${body}`]);
  await api('POST', '/2018-06-01/runtime/init/error', body, { 'content-type': 'application/json', 'lambda-runtime-function-error-type': rec.errorType }).catch(() => {});
  process.exit(1);
}

function findHandlerFile(taskRoot, moduleName) {
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const f = path.resolve(taskRoot, moduleName + ext);
    if (fs.existsSync(f)) return f;
  }
  return undefined;
}

function isEsm(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(dir) === dir) return false;
  }
}

async function loadHandler(taskRoot, handlerString) {
  // "dir/file.fn.nested": the module is everything up to the first dot of the last path
  // segment, the rest a property path, as AWS's Node.js runtime parses it.
  const slash = handlerString.lastIndexOf('/');
  const dot = handlerString.indexOf('.', slash + 1);
  if (dot < 0) throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  const moduleName = handlerString.slice(0, dot);
  const fnPath = handlerString.slice(dot + 1).split('.');
  const file = findHandlerFile(taskRoot, moduleName);
  if (!file) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`);
  }
  let mod;
  try {
    if (isEsm(file)) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = createRequire(file)(file);
      } catch (e) {
        if (e && e.code === 'ERR_REQUIRE_ESM') mod = await import(pathToFileURL(file).href);
        else throw e;
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw new RuntimeError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`, e);
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${e.message}`, e);
    }
    throw e;
  }
  let fn = mod;
  for (const p of fnPath) fn = fn?.[p];
  // An ES module's CommonJS interop puts the exports under default.
  if (typeof fn !== 'function' && mod && mod.default && typeof mod.default === 'object') {
    fn = mod.default;
    for (const p of fnPath) fn = fn?.[p];
  }
  if (typeof fn !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`);
  return fn;
}

async function specialise(spec) {
  for (const k of Object.keys(process.env)) delete process.env[k];
  Object.assign(process.env, spec.env);
  // NODE_PATH (the layers' /opt/nodejs/node_modules) is read once at start-up: re-read it.
  Module._initPaths();
  process.chdir(spec.taskRoot);
  const [h, p] = spec.runtimeApi.split(':');
  apiHost = h;
  apiPort = Number(p);
  apiSocket = spec.runtimeSocket;
  jsonLogs = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON';
  patchConsole();

  let handler;
  try {
    handler = await loadHandler(spec.taskRoot, spec.handler);
  } catch (e) {
    await postInitError(e);
    return;
  }
  initDone = true;
  await runLoop(handler);
}

let inFlight;
let initDone = false;

process.on('uncaughtException', (err) => fatal(err, false));
process.on('unhandledRejection', (reason) => fatal(reason, true));

async function fatal(err, rejection) {
  let rec = errorRecord(err);
  if (rejection) {
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    rec = { errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: msg, trace: [`Runtime.UnhandledPromiseRejection: ${msg}`, ...(err instanceof Error ? String(err.stack).split('\n').slice(1) : [])] };
  }
  if (!initDone) return postInitError(err);
  writeLog('ERROR', [`${rejection ? 'Unhandled Promise Rejection' : 'Uncaught Exception'} \t${JSON.stringify(rec)}`]);
  if (inFlight) {
    const id = inFlight;
    inFlight = undefined;
    fs.writeSync(1, `\u0000NIMBUS_END ${id}\n`);
    await api('POST', `/2018-06-01/runtime/invocation/${id}/error`, JSON.stringify(rec), { 'content-type': 'application/json', 'lambda-runtime-function-error-type': rec.errorType }).catch(() => {});
  }
  process.exit(128);
}

async function runLoop(handler) {
  const env = process.env;
  for (;;) {
    let next;
    try {
      next = await api('GET', '/2018-06-01/runtime/invocation/next');
    } catch {
      process.exit(129); // the Runtime API is gone: Nimbus stopped
    }
    if (next.status !== 200) process.exit(129);
    const id = next.headers['lambda-runtime-aws-request-id'];
    const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
    currentRequestId = id;
    inFlight = id;
    if (next.headers['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = next.headers['lambda-runtime-trace-id'];
    else delete process.env._X_AMZN_TRACE_ID;
    const cc = next.headers['lambda-runtime-client-context'];
    const ci = next.headers['lambda-runtime-cognito-identity'];
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
      invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'],
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      awsRequestId: id,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      identity: parseOrUndefined(ci),
      clientContext: parseOrUndefined(cc),
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    if (handler[STREAMING]) {
      await runStreaming(handler, id, next, context);
      continue;
    }
    let result;
    let failed = false;
    try {
      const event = JSON.parse(next.body.toString('utf8') || 'null');
      const baseline = activeResources();
      result = await new Promise((resolve, reject) => {
        let settled = false;
        const callback = (err, value) => {
          if (settled) return;
          settled = true;
          const finish = () => (err !== undefined && err !== null ? reject(err) : resolve(value));
          // As on AWS, a callback-style answer waits for the event loop to empty unless the
          // handler set context.callbackWaitsForEmptyEventLoop = false.
          if (context.callbackWaitsForEmptyEventLoop) waitForEmptyLoop(baseline).then(finish);
          else finish();
        };
        context.done = callback;
        context.succeed = (v) => callback(null, v);
        context.fail = (e) => callback(e ?? new Error('handled'));
        const ret = handler(event, context, callback);
        if (ret && typeof ret.then === 'function') {
          // an async handler's result is sent at once: AWS only waits for callback handlers
          ret.then((v) => ((context.callbackWaitsForEmptyEventLoop = false), callback(null, v)), (e) => ((context.callbackWaitsForEmptyEventLoop = false), callback(e ?? new Error('undefined'))));
        }
      });
    } catch (e) {
      failed = true;
      result = e;
    }
    if (inFlight !== id) continue; // already answered by an uncaught exception
    inFlight = undefined;
    if (failed) {
      const rec = errorRecord(result);
      writeLog('ERROR', [`Invoke Error \t${JSON.stringify(rec)}`]);
      fs.writeSync(1, `\u0000NIMBUS_END ${id}\n`);
      await api('POST', `/2018-06-01/runtime/invocation/${id}/error`, JSON.stringify(rec), { 'content-type': 'application/json', 'lambda-runtime-function-error-type': rec.errorType });
    } else {
      let body;
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch (e) {
        fs.writeSync(1, `\u0000NIMBUS_END ${id}\n`);
        const rec = errorRecord(e);
        await api('POST', `/2018-06-01/runtime/invocation/${id}/error`, JSON.stringify(rec), { 'content-type': 'application/json', 'lambda-runtime-function-error-type': rec.errorType });
        continue;
      }
      // The response and the next GET /next (made right below, at the top of the loop) leave in
      // one write; the end-of-output marker follows it. Nimbus holds the result until the marker
      // arrives, so every line written before it still belongs to this invocation.
      const c = connection();
      c.cork();
      void api('POST', `/2018-06-01/runtime/invocation/${id}/response`, body ?? 'null', { 'content-type': 'application/json' });
      process.nextTick(() => {
        c.uncork();
        fs.writeSync(1, `\u0000NIMBUS_END ${id}\n`);
      });
    }
  }
}

async function runStreaming(handler, id, next, context) {
  const req = http.request({
    host: apiHost,
    port: apiPort,
    method: 'POST',
    path: `/2018-06-01/runtime/invocation/${id}/response`,
    agent,
    headers: { 'lambda-runtime-function-response-mode': 'streaming', 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' },
  });
  const answered = new Promise((resolve) => {
    req.on('response', (r) => {
      r.resume();
      r.on('end', resolve);
    });
    req.on('error', resolve);
  });
  const stream = new PassThrough();
  let wrote = false;
  stream.setContentType = (t) => {
    if (!wrote) req.setHeader('content-type', t);
  };
  stream.on('data', (c) => {
    wrote = true;
    req.write(c);
  });
  const ended = new Promise((resolve) => stream.on('end', resolve));
  try {
    const event = JSON.parse(next.body.toString('utf8') || 'null');
    await handler(event, stream, context);
    if (!stream.writableEnded) stream.end();
    await ended;
  } catch (e) {
    if (!wrote) {
      req.destroy();
      inFlight = undefined;
      const rec = errorRecord(e);
      writeLog('ERROR', [`Invoke Error \t${JSON.stringify(rec)}`]);
      fs.writeSync(1, `\u0000NIMBUS_END ${id}\n`);
      await api('POST', `/2018-06-01/runtime/invocation/${id}/error`, JSON.stringify(rec), { 'content-type': 'application/json', 'lambda-runtime-function-error-type': rec.errorType }).catch(() => {});
      return;
    }
    writeLog('ERROR', [`Invoke Error \t${JSON.stringify(errorRecord(e))}`]);
  }
  inFlight = undefined;
  fs.writeSync(1, `\u0000NIMBUS_END ${id}\n`);
  req.end();
  await answered;
}

/** Counts of what keeps the event loop alive, by kind (the runtime's own handles included). */
function activeResources() {
  const counts = new Map();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

async function waitForEmptyLoop(baseline) {
  for (;;) {
    await new Promise((r) => setImmediate(r));
    const now = activeResources();
    let busy = false;
    for (const [kind, n] of now) if (n > (baseline.get(kind) ?? 0)) busy = true;
    if (!busy) return;
    await new Promise((r) => setTimeout(r, 1).unref());
  }
}

function parseOrUndefined(s) {
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
