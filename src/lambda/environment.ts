// One execution environment: a runtime process, its own Runtime API endpoint, its private /tmp
// and its log stream. Explicit one-way states, as the Runtime Interface Emulator keeps them:
//
//   starting --(first /next)--> ready <--> invoking
//       \                         \           \
//        +--(init error, exit)-----+-----------+--(timeout, exit, retire)--> stopped
//
// One invocation at a time. A timeout, a crash or an init failure stops the environment for
// good (SIGKILL to its whole process group); the pool starts a fresh one for the next request.
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { FunctionSnapshot, InvokeParams, LogEvent } from './types.js';
import { killTree } from './runtimes.js';
import { serveLocalRuntimeApi, type RuntimeRequest, type RuntimeResponse } from './runtime-api-local.js';

export type EnvState = 'starting' | 'ready' | 'invoking' | 'stopped';

/** AWS's synchronous response limit: larger responses fail as Function.ResponseSizeTooLarge. */
export const MAX_RESPONSE_BYTES = 6291556;
/** log bytes kept per invocation */
const MAX_LOG_BYTES = 8 * 1024 * 1024;

export interface RuntimeResult {
  payload: Buffer;
  error?: { type: string };
  /** set when the invocation timed out */
  timedOut?: boolean;
  durationMs: number;
  lines: LogEvent[];
}

interface Invocation {
  params: InvokeParams;
  deadline: number;
  startedAt: number;
  delivered: boolean;
  lines: LogEvent[];
  done: boolean;
  resolve(r: RuntimeResult): void;
  timer?: TimerHandle;
  /** response or error received, waiting for the runtime's end-of-output marker */
  pending?: { payload: Buffer; error?: { type: string } };
  markerTimer?: NodeJS.Timeout;
  markerSeen?: boolean;
  /** a POST with the invocation's response or error has started */
  answering?: boolean;
  streamed?: boolean;
}

export interface EnvironmentOptions {
  fn: FunctionSnapshot;
  clock: Clock;
  tmpDir: string;
  logStreamName: string;
  /** Nimbus's own runtime clients print an end-of-output marker before answering, so every line lands in the right invocation's log */
  usesOutputMarker: boolean;
  provisioned?: boolean;
}

export class Environment {
  readonly id = crypto.randomUUID();
  readonly fn: FunctionSnapshot;
  readonly logStreamName: string;
  readonly tmpDir: string;
  provisioned: boolean;
  state: EnvState = 'starting';
  /** lines logged outside any invocation (init, or after a response), delivered with the next log */
  pendingLines: LogEvent[] = [];
  retiring = false;
  /** taken by a request (starting for it, or invoking) */
  claimed = false;
  idleTimer?: TimerHandle;
  initDurationMs?: number;
  coldStartReported = false;
  lastUsed = 0;
  proc?: ChildProcess;
  stderrTail = '';
  /** bytes logged since the last invocation started, and lines dropped past MAX_LOG_BYTES */
  private loggedBytes = 0;
  private maxMemoryMb?: number;
  private memoryReading = false;
  private memoryReadAt = 0;
  private droppedLines = 0;

  private server: http.Server;
  /** the same Runtime API on a Linux abstract socket, for Nimbus's own runtime clients (see listen) */
  private localServer?: net.Server;
  runtimeSocket?: string;
  private waitingNext?: RuntimeResponse;
  private current?: Invocation;
  private initWaiters: ((r: { ok: true } | { ok: false; payload: Buffer; errorType: string }) => void)[] = [];
  initError?: { payload: Buffer; errorType: string };
  private startedAt = 0;
  private readonly clock: Clock;
  private readonly usesOutputMarker: boolean;
  private exitListeners: (() => void)[] = [];

  constructor(opts: EnvironmentOptions) {
    this.fn = opts.fn;
    this.clock = opts.clock;
    this.tmpDir = opts.tmpDir;
    this.logStreamName = opts.logStreamName;
    this.usesOutputMarker = opts.usesOutputMarker;
    this.provisioned = !!opts.provisioned;
    // Whatever a runtime sends, it never throws inside Nimbus.
    this.server = http.createServer((req, res) => this.handleRuntimeRequest(req, res));
    this.server.on('clientError', (_err, socket) => socket.destroy());
    this.server.keepAliveTimeout = 0;
  }

  /** Opens the environment's Runtime API endpoint; resolves to its host:port (AWS_LAMBDA_RUNTIME_API). */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    // Nimbus's own Node.js runtime client reaches the same Runtime API over a Unix socket in the
    // abstract namespace (no file in the function's folders), served by runtime-api-local.ts: a
    // local socket costs the kernel a little less than loopback TCP on every event and answer.
    // AWS_LAMBDA_RUNTIME_API stays host:port for everything else.
    if (process.platform === 'linux') {
      const name = `\0nimbus-runtime-${this.id}`;
      const local = net.createServer((socket) => serveLocalRuntimeApi(socket, (req, res) => this.handleRuntimeRequest(req, res)));
      this.runtimeSocket = await new Promise<string | undefined>((resolve) => {
        local.once('error', () => resolve(undefined));
        local.listen(name, () => resolve(name));
      });
      if (this.runtimeSocket) this.localServer = local;
    }
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Takes ownership of the started runtime process; init runs until its first /next. */
  attach(proc: ChildProcess): void {
    this.proc = proc;
    this.startedAt = performance.now();
    const lineReader = (stream: 'out' | 'err') => {
      let buf = '';
      return (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          this.onLine(line, stream);
        }
        if (buf.length > 256 * 1024) {
          this.onLine(buf, stream);
          buf = '';
        }
      };
    };
    proc.stdout?.on('data', lineReader('out'));
    proc.stderr?.on('data', lineReader('err'));
    proc.once('exit', (code, signal) => this.onExit(code, signal));
    proc.once('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      // AWS: a custom runtime whose bootstrap cannot be executed fails as Runtime.InvalidEntrypoint.
      const msg = code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such file or directory' : err.message;
      this.initError ??= errorPayload('Runtime.InvalidEntrypoint', `RequestId: ${this.current?.params.requestId ?? ''} Error: fork/exec ${this.fn.runtime.startsWith('provided') ? '/var/task/bootstrap' : 'runtime'}: ${msg}`);
      this.onExit(null, null);
    });
  }

  /** Resolves when init finished: the runtime asked for its first event, or failed. */
  initialised(): Promise<{ ok: true } | { ok: false; payload: Buffer; errorType: string }> {
    if (this.state === 'ready' || this.state === 'invoking') return Promise.resolve({ ok: true });
    if (this.state === 'stopped') return Promise.resolve({ ok: false, ...(this.initError ?? errorPayload('Runtime.ExitError', 'Error: Runtime exited without providing a reason')) });
    return new Promise((resolve) => this.initWaiters.push(resolve));
  }

  onExitOnce(fn: () => void): void {
    this.exitListeners.push(fn);
  }

  /** Runs one invocation; the caller has checked the environment is ready. */
  invoke(params: InvokeParams): Promise<RuntimeResult> {
    if (this.state !== 'ready') throw new Error(`environment ${this.id} is ${this.state}`);
    this.state = 'invoking';
    this.idleTimer?.cancel();
    this.idleTimer = undefined;
    return new Promise<RuntimeResult>((resolve) => {
      const inv: Invocation = {
        params,
        startedAt: performance.now(),
        // The runtime compares the deadline with its own wall clock, whatever clock Nimbus runs on.
        deadline: Date.now() + this.fn.timeout * 1000,
        delivered: false,
        lines: this.pendingLines,
        done: false,
        resolve,
      };
      this.pendingLines = [];
      this.loggedBytes = 0;
      this.droppedLines = 0;
      this.current = inv;
      inv.timer = this.clock.setTimeout(() => this.onTimeout(inv), this.fn.timeout * 1000);
      if (this.waitingNext) {
        const res = this.waitingNext;
        this.waitingNext = undefined;
        this.deliver(inv, res);
      }
    });
  }

  /**
   * Maximum resident memory of the runtime so far, as REPORT's "Max Memory Used": read from
   * /proc in the background at most once a second, so a report may lag a little.
   */
  maxMemoryUsedMb(): number | undefined {
    const pid = this.proc?.pid;
    if (pid && this.maxMemoryMb === undefined) {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (m) return (this.maxMemoryMb = Math.ceil(Number(m[1]) / 1024));
      } catch {
        return undefined; // no /proc (not Linux), or the process is gone
      }
    }
    const now = Date.now();
    if (pid && !this.memoryReading && now - this.memoryReadAt > 1000) {
      this.memoryReading = true;
      this.memoryReadAt = now;
      fs.readFile(`/proc/${pid}/status`, 'utf8', (err, status) => {
        this.memoryReading = false;
        const m = !err && /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) this.maxMemoryMb = Math.ceil(Number(m[1]) / 1024);
      });
    }
    return this.maxMemoryMb;
  }

  /** Kills the runtime and closes its endpoint. */
  stop(): void {
    if (this.state !== 'stopped') this.state = 'stopped';
    this.idleTimer?.cancel();
    if (this.proc) killTree(this.proc);
    this.waitingNext?.destroy();
    this.waitingNext = undefined;
    this.server.close();
    this.localServer?.close();
    this.server.closeAllConnections();
    fs.rm(this.tmpDir, { recursive: true, force: true }, () => {});
    if (this.current && !this.current.done) this.finishWithExit(null, 'SIGKILL');
    this.failInit();
  }

  // ---- Runtime API ----

  private handleRuntimeRequest(req: RuntimeRequest, res: RuntimeResponse): void {
    // Whatever a runtime sends, it never throws inside Nimbus.
    try {
      this.onRuntimeRequest(req, res);
    } catch (e) {
      if (!res.headersSent) json(res, 400, { errorType: 'InvalidRequest', errorMessage: (e as Error).message });
      else res.destroy();
    }
  }

  private onRuntimeRequest(req: RuntimeRequest, res: RuntimeResponse): void {
    const url = req.url ?? '';
    const m = /^\/2018-06-01\/runtime\/(?:invocation\/(next|[^/]+\/(?:response|error))|(init\/error))$/.exec(url.split('?')[0]);
    if (!m) {
      req.resume();
      return json(res, 404, { errorType: 'InvalidRequest', errorMessage: 'Not Found' });
    }
    if (m[1] === 'next') {
      if (req.method !== 'GET') return json(res, 405, { errorType: 'InvalidRequest', errorMessage: 'Method Not Allowed' });
      req.resume();
      return this.onNext(res);
    }
    if (req.method !== 'POST') {
      req.resume();
      return json(res, 405, { errorType: 'InvalidRequest', errorMessage: 'Method Not Allowed' });
    }
    if (m[2]) {
      return readBody(req, MAX_RESPONSE_BYTES * 2, (body) => {
        const type = headerOf(req, 'lambda-runtime-function-error-type') ?? errorTypeOf(body) ?? 'Runtime.Unknown';
        this.initError = { payload: body ?? Buffer.from('{}'), errorType: type };
        json(res, 202, { status: 'OK' });
      });
    }
    const [id, kind] = m[1].split('/');
    const inv = this.current;
    if (!inv || inv.done || !inv.delivered || inv.params.requestId !== decodeURIComponent(id)) {
      req.resume();
      return json(res, 400, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    }
    // The answer's body may still be arriving when a pipelined GET /next is read.
    inv.answering = true;
    const streaming = kind === 'response' && headerOf(req, 'lambda-runtime-function-response-mode') === 'streaming';
    if (streaming && inv.params.onChunk) {
      inv.streamed = true;
      req.on('data', (c: Buffer) => inv.params.onChunk?.(c));
      req.on('end', () => {
        json(res, 202, { status: 'OK' });
        this.complete(inv, { payload: Buffer.alloc(0) });
      });
      return;
    }
    readBody(req, MAX_RESPONSE_BYTES, (body) => {
      if (kind === 'response') {
        if (!body) {
          // AWS answers the runtime 413 and the caller Function.ResponseSizeTooLarge.
          json(res, 413, { errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`, errorType: 'RequestEntityTooLarge' });
          this.complete(inv, errorPayloadWithType('Function.ResponseSizeTooLarge', `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`));
          return;
        }
        // The caller's answer leaves first; the runtime's acknowledgement follows in the same turn
        // of the event loop (the runtime has nothing to do until its next event anyway).
        this.complete(inv, { payload: body });
        setImmediate(() => {
          if (!res.destroyed) json(res, 202, { status: 'OK' });
        });
      } else {
        const payload = body ?? Buffer.from('{}');
        const type = headerOf(req, 'lambda-runtime-function-error-type') ?? errorTypeOf(payload) ?? 'Runtime.Unknown';
        json(res, 202, { status: 'OK' });
        this.complete(inv, { payload, error: { type } });
      }
    });
  }

  private onNext(res: RuntimeResponse): void {
    if (this.state === 'stopped') {
      res.destroy();
      return;
    }
    if (this.state === 'starting') {
      this.state = 'ready';
      this.initDurationMs = performance.now() - this.startedAt;
      const waiters = this.initWaiters;
      this.initWaiters = [];
      for (const w of waiters) w({ ok: true });
    }
    const inv = this.current;
    if (inv && !inv.done && !inv.delivered) return this.deliver(inv, res);
    if (inv && !inv.done && inv.delivered && !inv.answering) {
      // The runtime asked for the next event without answering this one: AWS treats the
      // invocation as having returned no payload.
      this.complete(inv, { payload: Buffer.from('null') });
    }
    this.waitingNext?.destroy();
    this.waitingNext = res;
    res.socket?.setTimeout(0);
  }

  private deliver(inv: Invocation, res: RuntimeResponse): void {
    inv.delivered = true;
    const p = inv.params;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': p.requestId,
      'lambda-runtime-deadline-ms': String(inv.deadline),
      'lambda-runtime-invoked-function-arn': p.invokedFunctionArn,
      'lambda-runtime-trace-id': p.traceId ?? traceId(this.clock.now()),
      'content-length': String(p.payload.length),
    };
    // Header values travel as bytes: UTF-8 JSON is written as is (latin1 keeps each byte).
    // Control characters (a pretty-printed document's newlines) become spaces: JSON allows them only as whitespace.
    const headerSafe = (b: Buffer) => b.toString('latin1').replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ');
    if (p.clientContext) headers['lambda-runtime-client-context'] = headerSafe(Buffer.from(p.clientContext, 'base64'));
    if (p.cognitoIdentity) headers['lambda-runtime-cognito-identity'] = headerSafe(Buffer.from(p.cognitoIdentity, 'utf8'));
    try {
      res.writeHead(200, headers);
      res.end(p.payload);
    } catch (e) {
      res.destroy();
      this.complete(inv, errorPayloadWithType('Runtime.Unknown', `Nimbus could not hand the event to the runtime: ${(e as Error).message}`));
    }
  }

  private complete(inv: Invocation, r: { payload: Buffer; error?: { type: string } }): void {
    if (inv.done || inv.pending) return;
    inv.pending = r;
    if (inv.markerSeen) return this.finish(inv);
    // Output and answer travel on different pipes: wait for the runtime's end-of-output marker
    // (a custom runtime has none, so its last lines get a moment to arrive).
    inv.markerTimer = setTimeout(() => this.finish(inv), this.usesOutputMarker ? 200 : 5);
  }

  private finish(inv: Invocation, extra: Partial<RuntimeResult> = {}): void {
    if (inv.done) return;
    inv.done = true;
    inv.timer?.cancel();
    if (inv.markerTimer) clearTimeout(inv.markerTimer);
    if (this.current === inv) this.current = undefined;
    if (this.state === 'invoking') this.state = 'ready';
    const r = inv.pending ?? { payload: Buffer.from('null') };
    if (this.droppedLines) inv.lines.push({ timestamp: this.clock.now(), message: `Nimbus: ${this.droppedLines} more log lines of this invocation were dropped (over ${MAX_LOG_BYTES / 1024 / 1024} MB)` });
    inv.resolve({ payload: r.payload, error: r.error, durationMs: performance.now() - inv.startedAt, lines: inv.lines, ...extra });
  }

  private onTimeout(inv: Invocation): void {
    if (inv.done) return;
    if (inv.pending) return this.finish(inv);
    const secs = this.fn.timeout.toFixed(2);
    // AWS's text: "<ISO date> <request id> Task timed out after 3.00 seconds".
    const msg = `${new Date(this.clock.now()).toISOString()} ${inv.params.requestId} Task timed out after ${secs} seconds`;
    inv.pending = { payload: Buffer.from(JSON.stringify({ errorMessage: msg })), error: { type: 'Sandbox.Timedout' } };
    this.finish(inv, { timedOut: true });
    this.stop();
  }

  private onLine(raw: string, stream: 'out' | 'err'): void {
    if (raw.startsWith('\u0000NIMBUS_END ')) {
      const inv = this.current;
      if (inv && !inv.done && inv.params.requestId === raw.slice(12).trim()) {
        inv.markerSeen = true;
        if (inv.pending) this.finish(inv);
      }
      return;
    }
    if (stream === 'err') this.stderrTail = (this.stderrTail + raw + '\n').slice(-4096);
    const inv = this.current;
    const target = inv && !inv.done && !inv.markerSeen ? inv.lines : this.pendingLines;
    // A runaway logger must not exhaust Nimbus's memory: past the cap, lines are counted, not kept.
    this.loggedBytes += raw.length;
    if (this.loggedBytes > MAX_LOG_BYTES) {
      this.droppedLines++;
      return;
    }
    target.push({ timestamp: this.clock.now(), message: raw.replace(/\r/g, '\n') });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const wasStopped = this.state === 'stopped';
    this.state = 'stopped';
    this.idleTimer?.cancel();
    if (this.current && !this.current.done) this.finishWithExit(code, signal);
    this.failInit();
    if (!wasStopped) this.stop();
    const ls = this.exitListeners;
    this.exitListeners = [];
    for (const l of ls) l();
  }

  private failInit(): void {
    if (!this.initWaiters.length) return;
    const waiters = this.initWaiters;
    this.initWaiters = [];
    const err = this.initError ?? errorPayload('Runtime.ExitError', `RequestId: ${this.current?.params.requestId ?? ''} Error: Runtime exited with error: ${describeExit(this.proc?.exitCode ?? null, this.proc?.signalCode ?? null)}`);
    for (const w of waiters) w({ ok: false, ...err });
  }

  private finishWithExit(code: number | null, signal: NodeJS.Signals | null): void {
    const inv = this.current!;
    if (inv.pending) return this.finish(inv);
    const id = inv.params.requestId;
    const how = describeExit(code, signal);
    // A V8 heap exhaustion aborts the process; AWS reports running out of memory as Runtime.OutOfMemory.
    const oom = /heap out of memory|MemoryError/.test(this.stderrTail);
    const type = oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
    inv.pending = errorPayloadWithType(type, `RequestId: ${id} Error: Runtime exited with error: ${how}`);
    this.finish(inv);
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  // Go's os.ProcessState wording, which AWS's messages carry.
  const names: Record<string, string> = { SIGKILL: 'killed', SIGABRT: 'aborted (core dumped)', SIGSEGV: 'segmentation fault (core dumped)', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGBUS: 'bus error (core dumped)' };
  if (signal) return `signal: ${names[signal] ?? signal}`;
  return `exit status ${code ?? 1}`;
}

function errorPayload(type: string, message: string): { payload: Buffer; errorType: string } {
  return { payload: Buffer.from(JSON.stringify({ errorType: type, errorMessage: message })), errorType: type };
}

function errorPayloadWithType(type: string, message: string): { payload: Buffer; error: { type: string } } {
  return { payload: Buffer.from(JSON.stringify({ errorMessage: message, errorType: type })), error: { type } };
}

function errorTypeOf(body: Buffer | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const v = JSON.parse(body.toString('utf8'));
    return typeof v?.errorType === 'string' ? v.errorType : undefined;
  } catch {
    return undefined;
  }
}

function headerOf(req: RuntimeRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v || undefined;
}

/** Reads a body up to `limit` bytes; undefined past the limit. */
function readBody(req: RuntimeRequest, limit: number, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > limit) over = true;
    else chunks.push(c);
  });
  req.on('end', () => done(over ? undefined : Buffer.concat(chunks)));
  req.on('error', () => done(undefined));
}

function json(res: RuntimeResponse, status: number, body: unknown): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

/** An X-Ray trace header as Lambda passes it when the caller sent none. */
function traceId(now: number): string {
  const epoch = Math.floor(now / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${crypto.randomBytes(12).toString('hex')};Parent=${crypto.randomBytes(8).toString('hex')};Sampled=0;Lineage=1:${crypto.randomBytes(4).toString('hex')}:0`;
}
