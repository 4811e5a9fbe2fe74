// The Lambda execution engine: pools of execution environments per function version, warm
// reuse, cold starts (reported as Init Duration), retirement after code or configuration
// changes, idle expiry, provisioned concurrency, and the invocation log (START ... REPORT).
// It knows no wire protocol and no service: the invoker hands it a FunctionSnapshot.
//
// Where it departs from AWS (runtimes are local processes, not microVMs):
//   - no filesystem isolation: the task root, /opt and /tmp are private folders named by
//     LAMBDA_TASK_ROOT, the runtimes' search paths (NODE_PATH, PYTHONPATH, PATH,
//     LD_LIBRARY_PATH) and TMPDIR; code that hard-codes "/tmp/x" or "/opt/x" reaches the host's;
//   - memory is enforced for Node.js only (V8's heap limit); EphemeralStorage and
//     Architectures are not enforced; the local node and python3 run whatever version the
//     function names (the difference is logged once);
//   - credentials are placeholders (Nimbus accepts any signature), the access key naming the
//     function's account.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { FunctionSnapshot, InvokeOutcome, InvokeParams, LogEvent } from './types.js';
import { CodeCache } from './code.js';
import { Environment, type RuntimeResult } from './environment.js';
import {
  NodeSparePool,
  PythonSparePool,
  killTree,
  localPython,
  probePython,
  nimbusNodeModules,
  pythonBootstrap,
  runtimeDir,
  runtimeFamily,
  spawnNode,
  specialiseNode,
  versionMismatch,
} from './runtimes.js';

export interface EngineOptions {
  clock: Clock;
  log: Logger;
  /** http://host:port of Nimbus, given to handlers as AWS_ENDPOINT_URL */
  endpoint(): string;
  /** seconds an idle environment stays warm */
  idleSeconds: number;
  /** where code is unpacked and environments keep their /tmp (default: a private temporary folder, removed on close) */
  workDir?: string;
  /** pre-started Node.js runtimes kept per memory size (default 1; 0 disables) */
  nodeSpares?: number;
  /** receives each invocation's log events, on the environment's stream */
  onLog?(fn: FunctionSnapshot, logStreamName: string, events: LogEvent[]): void;
}

/** seconds AWS allows an on-demand environment's init phase */
const INIT_LIMIT_S = 10;

interface VersionPool {
  envs: Set<Environment>;
  revisionId: string;
  provisioned: number;
}

export class LambdaEngine {
  private readonly pools = new Map<string, VersionPool>();
  private readonly code: CodeCache;
  private readonly workDir: string;
  private readonly ownsWorkDir: boolean;
  private readonly spares: NodeSparePool;
  private readonly pythonSpares: PythonSparePool;
  private readonly children = new Set<ChildProcess>();
  private readonly warned = new Set<string>();
  private closed = false;
  private readonly exitHook = () => {
    for (const c of this.children) killTree(c);
  };

  constructor(private readonly opts: EngineOptions) {
    this.ownsWorkDir = !opts.workDir;
    this.workDir = opts.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-lambda-'));
    this.code = new CodeCache(path.join(this.workDir, 'code'), nimbusNodeModules);
    fs.mkdirSync(path.join(this.workDir, 'tmp'), { recursive: true });
    this.spares = new NodeSparePool(opts.nodeSpares ?? 1, (p) => this.track(p));
    this.pythonSpares = new PythonSparePool((opts.nodeSpares ?? 1) > 0, (p) => this.track(p));
    // Runtimes never outlive Nimbus, even when it exits without calling close().
    process.once('exit', this.exitHook);
  }

  /** Runs one invocation in a warm environment of the version, or a new one (a cold start). */
  async invoke(params: InvokeParams): Promise<InvokeOutcome> {
    if (this.closed) throw new Error('engine closed');
    const fn = params.fn;
    const pool = this.poolOf(fn);
    let env = [...pool.envs].find((e) => e.state === 'ready' && !e.claimed && !e.retiring);
    let cold = false;
    let initLines: LogEvent[] = [];
    if (env) {
      env.claimed = true;
    } else {
      env = await this.startEnvironment(fn, pool, false);
      // AWS gives init 10 s, then retries it inside the invocation under the function's timeout;
      // Nimbus allows the sum once, and a hung init ends as a timed-out invocation.
      let initTimer: TimerHandle | undefined;
      const init = await Promise.race([
        env.initialised(),
        new Promise<'timeout'>((resolve) => (initTimer = this.opts.clock.setTimeout(() => resolve('timeout'), (INIT_LIMIT_S + fn.timeout) * 1000))),
      ]);
      initTimer?.cancel();
      if (init === 'timeout') {
        pool.envs.delete(env);
        env.stop();
        const msg = `${new Date(this.opts.clock.now()).toISOString()} ${params.requestId} Task timed out after ${fn.timeout.toFixed(2)} seconds`;
        return this.outcomeOf(env, params, { payload: Buffer.from(JSON.stringify({ errorMessage: msg })), error: { type: 'Sandbox.Timedout' }, timedOut: true, durationMs: fn.timeout * 1000, lines: [] }, env.pendingLines, true);
      }
      if (!init.ok) {
        pool.envs.delete(env);
        env.stop();
        initLines = env.pendingLines;
        return this.outcomeOf(env, params, { payload: init.payload, error: { type: init.errorType }, durationMs: 0, lines: [] }, initLines, true);
      }
    }
    if (!env.coldStartReported) {
      cold = true;
      initLines = env.pendingLines;
      env.pendingLines = [];
    }
    env.coldStartReported = true;
    if (env.state !== 'ready') {
      // the runtime died right after init, before it could take the event
      pool.envs.delete(env);
      const payload = Buffer.from(JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${params.requestId} Error: Runtime exited without providing a reason` }));
      return this.outcomeOf(env, params, { payload, error: { type: 'Runtime.ExitError' }, durationMs: 0, lines: [] }, initLines, cold);
    }
    const result = await env.invoke(params);
    env.lastUsed = this.opts.clock.now();
    const outcome = this.outcomeOf(env, params, result, initLines, cold);
    this.release(env, pool);
    return outcome;
  }

  /** Pre-starts environments up to `count` for a version (provisioned concurrency). */
  async provision(fn: FunctionSnapshot, count: number): Promise<void> {
    const pool = this.poolOf(fn);
    pool.provisioned = count;
    const provisioned = [...pool.envs].filter((e) => e.provisioned && e.state !== 'stopped');
    const have = provisioned.length;
    // Fewer than before (or the config deleted): the extra environments become on-demand ones
    // and expire when idle.
    for (const env of provisioned.slice(count)) {
      env.provisioned = false;
      if (!env.claimed) this.release(env, pool);
    }
    const started: Promise<unknown>[] = [];
    for (let i = have; i < count; i++) started.push(this.startEnvironment(fn, pool, true).then((e) => e.initialised()));
    await Promise.all(started);
  }

  /** Stops a function's environments (all versions, or one): after deletion. In-flight invocations finish first. */
  retire(functionArn: string, version?: string): void {
    for (const [key, pool] of this.pools) {
      if (key !== poolKey(functionArn, version ?? '') && !(version === undefined && key.startsWith(functionArn + ':'))) continue;
      for (const env of pool.envs) this.retireEnv(env, pool);
      if (!pool.envs.size) this.pools.delete(key);
    }
  }

  /** Environments of a version that are alive (for tests and GetFunctionConcurrency-like views). */
  environments(functionArn: string, version: string): { id: string; state: string }[] {
    const pool = this.pools.get(poolKey(functionArn, version));
    return pool ? [...pool.envs].map((e) => ({ id: e.id, state: e.state })) : [];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.spares.close();
    this.pythonSpares.close();
    for (const pool of this.pools.values()) for (const env of pool.envs) env.stop();
    this.pools.clear();
    for (const c of this.children) killTree(c);
    process.removeListener('exit', this.exitHook);
    if (this.ownsWorkDir) fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  // ----

  private poolOf(fn: FunctionSnapshot): VersionPool {
    const key = poolKey(fn.functionArn, fn.version);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = { envs: new Set(), revisionId: fn.revisionId, provisioned: 0 };
      this.pools.set(key, pool);
    } else if (pool.revisionId !== fn.revisionId) {
      // Code or configuration changed: older environments take no new work and stop once idle.
      pool.revisionId = fn.revisionId;
      for (const env of pool.envs) this.retireEnv(env, pool);
    }
    return pool;
  }

  private retireEnv(env: Environment, pool: VersionPool): void {
    env.retiring = true;
    // A claimed environment (starting for a request, or invoking) finishes that request first.
    if (!env.claimed) {
      pool.envs.delete(env);
      env.stop();
    }
  }

  private release(env: Environment, pool: VersionPool): void {
    env.claimed = false;
    if (env.state === 'stopped' || env.retiring || this.closed) {
      pool.envs.delete(env);
      env.stop();
      return;
    }
    if (env.provisioned) return;
    env.idleTimer?.cancel();
    env.idleTimer = this.opts.clock.setTimeout(() => {
      if (env.state === 'ready') {
        pool.envs.delete(env);
        env.stop();
      }
    }, this.opts.idleSeconds * 1000);
  }

  private track(p: ChildProcess): void {
    this.children.add(p);
    p.once('exit', () => this.children.delete(p));
    // A runtime's pipes must never hold Nimbus's event loop open.
    p.unref();
    (p.stdin as unknown as { unref?: () => void })?.unref?.();
    (p.stdout as unknown as { unref?: () => void })?.unref?.();
    (p.stderr as unknown as { unref?: () => void })?.unref?.();
    (p.channel as unknown as { unref?: () => void })?.unref?.();
  }

  private async startEnvironment(fn: FunctionSnapshot, pool: VersionPool, provisioned: boolean): Promise<Environment> {
    const family = runtimeFamily(fn.runtime);
    // Not at start-up (it would compete with it): the first environment of any kind looks for python3.
    if (family !== 'python') probePython();
    const now = new Date(this.opts.clock.now());
    const streamId = crypto.randomBytes(16).toString('hex');
    // AWS names streams "YYYY/MM/DD/[<version>]<32 hex>".
    const logStreamName = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}/[${fn.version}]${streamId}`;
    const tmpDir = fs.mkdtempSync(path.join(this.workDir, 'tmp', 'env-'));
    const env = new Environment({ fn, clock: this.opts.clock, tmpDir, logStreamName, usesOutputMarker: family === 'node' || family === 'python', provisioned });
    // The environment belongs to the request that starts it; provisioned ones wait for any.
    env.claimed = !provisioned;
    env.coldStartReported = provisioned;
    pool.envs.add(env);
    const runtimeApi = await env.listen();
    if (this.closed) {
      env.stop();
      throw new Error('engine closed');
    }
    const initLines: LogEvent[] = [];
    const t = this.opts.clock.now();
    const runtimeVersion = runtimeVersionName(fn.runtime);
    const runtimeVersionArn = `arn:aws:lambda:${fn.region}::runtime:${crypto.createHash('sha256').update(fn.runtime).digest('hex')}`;
    initLines.push({
      timestamp: t,
      message:
        fn.logFormat === 'JSON'
          ? platformRecord(t, 'platform.initStart', { initializationType: provisioned ? 'provisioned-concurrency' : 'on-demand', phase: 'init', runtimeVersion, runtimeVersionArn })
          : `INIT_START Runtime Version: ${runtimeVersion}\tRuntime Version ARN: ${runtimeVersionArn}`,
    });
    const mismatch = versionMismatch(fn.runtime);
    if (mismatch && !this.warned.has(fn.functionArn + fn.runtime)) {
      this.warned.add(fn.functionArn + fn.runtime);
      this.opts.log.warn(`${mismatch} (function ${fn.functionName})`);
      initLines.push({ timestamp: t, message: mismatch });
    }
    env.pendingLines.push(...initLines);

    let code;
    try {
      code = this.code.prepare(fn);
    } catch (e) {
      this.opts.log.error(`lambda: cannot unpack code of ${fn.functionArn}`, e);
      env.attach(spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: ['ignore', 'pipe', 'pipe'] }));
      return env;
    }
    const vars = this.environmentVariables(fn, code.taskRoot, code.optDir, tmpDir, logStreamName, runtimeApi, provisioned);
    let proc: ChildProcess;
    if (family === 'node') {
      const spare = fn.environment.NODE_OPTIONS ? undefined : this.spares.claim(fn.memorySize);
      proc = spare ?? spawnNode(fn.memorySize, { PATH: vars.PATH, TZ: ':UTC', ...(fn.environment.NODE_OPTIONS ? { NODE_OPTIONS: fn.environment.NODE_OPTIONS } : {}) }, code.taskRoot);
      if (!spare) this.track(proc);
      this.spares.want(fn.memorySize);
      specialiseNode(proc, { runtimeApi, runtimeSocket: env.runtimeSocket, taskRoot: code.taskRoot, handler: fn.handler, env: vars });
    } else if (family === 'python') {
      const spare = this.pythonSpares.claim();
      if (spare) {
        proc = spare;
        spare.stdin?.end(JSON.stringify({ env: vars, taskRoot: code.taskRoot }) + '\n');
      } else {
        proc = spawn(localPython().executable, ['-u', pythonBootstrap], { env: vars, cwd: code.taskRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        this.track(proc);
      }
    } else if (family === 'provided') {
      // AWS looks for the bootstrap in the task root, then in /opt.
      const candidates = [path.join(code.taskRoot, 'bootstrap'), path.join(code.optDir, 'bootstrap')];
      const bootstrap = candidates.find((c) => fs.existsSync(c));
      if (!bootstrap) {
        proc = spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: ['ignore', 'pipe', 'pipe'] });
        this.track(proc);
        env.attach(proc);
        env.initError = {
          payload: Buffer.from(JSON.stringify({ errorType: 'Runtime.InvalidEntrypoint', errorMessage: "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]" })),
          errorType: 'Runtime.InvalidEntrypoint',
        };
        return env;
      }
      proc = spawn(bootstrap, [], { env: vars, cwd: code.taskRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      this.track(proc);
    } else {
      proc = spawn(process.execPath, ['-e', 'process.exit(1)'], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.track(proc);
      env.attach(proc);
      env.initError = {
        payload: Buffer.from(JSON.stringify({ errorType: 'Runtime.InvalidRuntime', errorMessage: `Nimbus cannot run the ${fn.runtime} runtime` })),
        errorType: 'Runtime.InvalidRuntime',
      };
      return env;
    }
    env.attach(proc);
    // A runtime that dies between invocations leaves the pool (a claimed one leaves on release).
    env.onExitOnce(() => {
      if (!env.claimed) pool.envs.delete(env);
    });
    return env;
  }

  private environmentVariables(fn: FunctionSnapshot, taskRoot: string, optDir: string, tmpDir: string, logStreamName: string, runtimeApi: string, provisioned: boolean): Record<string, string> {
    const family = runtimeFamily(fn.runtime);
    const major = process.versions.node.split('.')[0];
    const pyVersion = /^python(\d+\.\d+)/.exec(fn.runtime)?.[1] ?? '3';
    const endpoint = this.opts.endpoint();
    const vars: Record<string, string> = {
      // Nimbus's own: the SDK inside a handler reaches Nimbus with no configuration.
      AWS_ENDPOINT_URL: endpoint,
      LANG: 'en_US.UTF-8',
      // The local interpreters first; AWS's PATH ends with /opt/bin.
      PATH: `${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}:${path.join(optDir, 'bin')}`,
      LD_LIBRARY_PATH: [path.join(optDir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      // AWS's /tmp is private to the environment; here it is a private folder named by TMPDIR.
      TMPDIR: tmpDir,
      TMP: tmpDir,
      TEMP: tmpDir,
      HOME: tmpDir,
      ...fn.environment,
    };
    if (family === 'node') {
      vars.NODE_PATH = [path.join(optDir, 'nodejs', `node${major}`, 'node_modules'), path.join(optDir, 'nodejs', 'node_modules'), nimbusNodeModules].filter(Boolean).join(':');
    }
    if (family === 'python') {
      vars.PYTHONPATH = [taskRoot, path.join(optDir, 'python', 'lib', `python${pyVersion}`, 'site-packages'), path.join(optDir, 'python')].join(':');
      vars.PYTHONUNBUFFERED = '1';
    }
    // Reserved variables: AWS sets these and a function's own configuration cannot override them.
    Object.assign(vars, {
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: fn.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
      AWS_LAMBDA_RUNTIME_API: runtimeApi,
      AWS_LAMBDA_INITIALIZATION_TYPE: provisioned ? 'provisioned-concurrency' : 'on-demand',
      AWS_REGION: fn.region,
      AWS_DEFAULT_REGION: fn.region,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      _HANDLER: fn.handler,
      LAMBDA_TASK_ROOT: taskRoot,
      LAMBDA_RUNTIME_DIR: runtimeDir,
      TZ: ':UTC',
      // The execution role's credentials: Nimbus accepts any signature; a 12-digit access key
      // names the function's account.
      AWS_ACCESS_KEY_ID: fn.accountId,
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SESSION_TOKEN: 'nimbus-lambda-session',
    });
    if (fn.logFormat === 'JSON') vars.AWS_LAMBDA_LOG_FORMAT = 'JSON';
    return vars;
  }

  private outcomeOf(env: Environment, params: InvokeParams, r: RuntimeResult, initLines: LogEvent[], cold: boolean): InvokeOutcome {
    const fn = params.fn;
    const id = params.requestId;
    const now = this.opts.clock.now();
    const startAt = now - Math.round(r.durationMs);
    const events: LogEvent[] = [...initLines];
    const json = fn.logFormat === 'JSON';
    events.push({ timestamp: startAt, message: json ? platformRecord(startAt, 'platform.start', { requestId: id, version: fn.version }) : `START RequestId: ${id} Version: ${fn.version}` });
    events.push(...r.lines);
    if (r.timedOut) {
      events.push({ timestamp: now, message: JSON.parse(r.payload.toString()).errorMessage });
    } else if (r.error && /^Runtime\.(ExitError|OutOfMemory|InvalidEntrypoint)$/.test(r.error.type)) {
      try {
        const p = JSON.parse(r.payload.toString());
        events.push({ timestamp: now, message: `${p.errorMessage}\n${p.errorType}` });
      } catch {
        // not JSON
      }
    }
    const billed = Math.max(1, Math.ceil(r.durationMs));
    const mem = env.maxMemoryUsedMb() ?? 0;
    const initMs = cold ? env.initDurationMs : undefined;
    const crashed = !!r.error && /^Runtime\.(ExitError|OutOfMemory)$/.test(r.error.type);
    if (json) {
      // With LoggingConfig.LogFormat=JSON, AWS writes the platform lines as JSON records.
      const metrics: Record<string, number> = { durationMs: round2(r.durationMs), billedDurationMs: billed, memorySizeMB: fn.memorySize, maxMemoryUsedMB: mem };
      if (initMs !== undefined) metrics.initDurationMs = round2(initMs);
      const record: Record<string, unknown> = { requestId: id, metrics, status: r.timedOut ? 'timeout' : crashed ? 'error' : 'success' };
      if (crashed) record.errorType = r.error!.type;
      events.push({ timestamp: now, message: platformRecord(now, 'platform.report', record) });
    } else {
      events.push({ timestamp: now, message: `END RequestId: ${id}` });
      let report = `REPORT RequestId: ${id}\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${fn.memorySize} MB\tMax Memory Used: ${mem} MB\t`;
      if (initMs !== undefined) report += `Init Duration: ${initMs.toFixed(2)} ms\t`;
      if (r.timedOut) report += 'Status: timeout';
      else if (crashed) report += 'Status: error\tError Type: ' + r.error!.type;
      events.push({ timestamp: now, message: report });
    }
    try {
      this.opts.onLog?.(fn, env.logStreamName, events);
    } catch (e) {
      this.opts.log.warn('lambda: log delivery failed', e);
    }
    return {
      payload: r.payload,
      functionError: r.error ? 'Unhandled' : undefined,
      errorType: r.error?.type,
      get log() {
        return events.map((e) => e.message + '\n').join('');
      },
      logEvents: events,
      logStreamName: env.logStreamName,
      durationMs: r.durationMs,
      initDurationMs: cold ? env.initDurationMs : undefined,
    };
  }
}

function platformRecord(at: number, type: string, record: Record<string, unknown>): string {
  return JSON.stringify({ time: new Date(at).toISOString(), type, record });
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function poolKey(functionArn: string, version: string): string {
  return `${functionArn}:${version}`;
}

function runtimeVersionName(runtime: string): string {
  const m = /^(nodejs|python)(\d+(?:\.\d+)?)/.exec(runtime);
  if (m) return `${m[1] === 'nodejs' ? 'nodejs' : 'python'}:${m[2].replace(/\.x$/, '')}.v1`;
  return `${runtime}.v1`;
}
