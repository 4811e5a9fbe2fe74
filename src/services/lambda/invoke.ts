// Invoke, InvokeAsync and InvokeWithResponseStream: qualifier and weighted-alias resolution,
// concurrency limits, the async queue, Tail logs, and shipping each invocation's log to
// CloudWatch Logs. Runs functions through the execution engine (src/lambda).
//
// ---- For the control-plane provider (src/services/lambda/index.ts / provider.ts) ----
// Exports: createInvoker(opts) -> Invoker;  types InvokeControl, ResolvedFunction.
//
//   const invoker = createInvoker({ deps, control });   // once, in createProvider
//   provider.Invoke = (input, ctx) => invoker.Invoke(input, ctx);
//   provider.InvokeAsync = (input, ctx) => invoker.InvokeAsync(input, ctx);
//   provider.InvokeWithResponseStream = (input, ctx) => invoker.InvokeWithResponseStream(input, ctx);
//   handleRaw: for paths under /_aws/lambda-url/ and hosts matching .lambda-url.:
//       return invoker.handleUrl(req, ctx);   (implemented in ./urls.ts)
//   after UpdateFunctionCode/Configuration: nothing to do (revisionId changes retire environments);
//   after DeleteFunction: invoker.retire(functionArn)   (or retire(functionArn, version))
//   PutProvisionedConcurrencyConfig: invoker.provision(snapshot, count)
//   close(): await invoker.close()
//
// `control` is the control plane's read API; the invoker never touches the store:
//   resolve(scope, functionName, qualifier) -> ResolvedFunction; functionName is a name, a
//     partial or a full ARN (possibly qualified); throws ResourceNotFoundException (or
//     ResourceConflictException for a function that is not Active) exactly as AWS words them.
//   urlTarget(urlId) -> the function URL config, or undefined.
//
// Other services (SNS, S3, event source mappings) call invoker.invokeEvent(scope, name,
// qualifier, payload, { hops }) or invoker.invokeSync(...); `hops` is the call chain's length,
// read with hopsOfTrace(<X-Amzn-Trace-Id / AWSTraceHeader>) where the event carries one, so
// recursive loops stop after 16 hops as on AWS.
import crypto from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import type { ServiceDeps } from '../types.js';
import type { WireRequest, WireResponse } from '../../protocols/types.js';
import type { FunctionSnapshot, InvokeOutcome } from '../../lambda/types.js';
import { LambdaEngine } from '../../lambda/engine.js';
import {
  InvalidParameterValueException,
  InvalidRequestContentException,
  RequestTooLargeException,
  TooManyRequestsException,
  RecursiveInvocationException,
} from '../../generated/lambda.js';
import type {
  InvocationRequest,
  InvocationResponse,
  InvokeAsyncRequest,
  InvokeAsyncResponse,
  InvokeWithResponseStreamRequest,
  InvokeWithResponseStreamResponse,
} from '../../generated/lambda.js';
import { AsyncQueue, type AsyncEvent, type EventInvokeSettings, type RunResult } from './async.js';
import type { Scope } from './destinations.js';
import { handleFunctionUrl, type UrlTarget } from './urls.js';

export interface ResolvedFunction {
  /** the function's name (not an ARN) */
  functionName: string;
  /** unqualified ARN */
  functionArn: string;
  /** the qualifier as resolved: undefined (unqualified = $LATEST), a version number, or an alias name */
  qualifier?: string;
  /** the versions to run: one, or an alias's primary version and its AdditionalVersionWeights (weights 0..1; the primary's is the rest) */
  versions: { fn: FunctionSnapshot; weight?: number }[];
  /** PutFunctionConcurrency's ReservedConcurrentExecutions */
  reservedConcurrency?: number;
  /** PutFunctionRecursionConfig: "Terminate" (default) or "Allow" */
  recursiveLoop?: string;
  /** PutFunctionEventInvokeConfig of this qualifier (or of the function when unqualified) */
  eventInvokeConfig?: EventInvokeSettings;
}

export interface InvokeControl {
  resolve(scope: Scope, functionName: string, qualifier: string | undefined): ResolvedFunction | Promise<ResolvedFunction>;
  urlTarget?(urlId: string): UrlTarget | undefined | Promise<UrlTarget | undefined>;
}

export interface InvokerOptions {
  deps: ServiceDeps;
  control: InvokeControl;
  /** an engine to share (tests); created from deps otherwise */
  engine?: LambdaEngine;
  /** account-level concurrent executions (AWS's default quota is 1000) */
  accountConcurrency?: number;
  /** pre-started Node.js runtimes per memory size (default 1) */
  nodeSpares?: number;
}

export interface InternalInvokeOptions {
  /** a Lambda/SQS/SNS/S3 call chain's hop count, for loop detection */
  hops?: number;
}

/** AWS's synchronous payload limit (6 MB) and async limit (1 MB since 2025: it was 256 KB). */
const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
/** AWS stops a recursive loop after about 16 invocations of the chain. */
const MAX_HOPS = 16;

export class Invoker {
  readonly engine: LambdaEngine;
  readonly queue: AsyncQueue;
  private readonly ownsEngine: boolean;
  private readonly running = new Map<string, number>();
  private readonly accountRunning = new Map<string, number>();
  private readonly accountConcurrency: number;
  private logsProvider?: Promise<{ appendEvents?: (a: string, r: string, g: string, s: string, e: { timestamp: number; message: string }[]) => void } | undefined>;

  constructor(private readonly opts: InvokerOptions) {
    const deps = opts.deps;
    this.ownsEngine = !opts.engine;
    this.engine =
      opts.engine ??
      new LambdaEngine({
        clock: deps.clock,
        log: deps.log,
        endpoint: () => deps.endpoint(),
        idleSeconds: deps.config.lambdaIdleSeconds,
        workDir: undefined,
        nodeSpares: opts.nodeSpares,
        onLog: (fn, stream, events) => this.shipLogs(fn, stream, events),
      });
    this.accountConcurrency = opts.accountConcurrency ?? 1000;
    this.queue = new AsyncQueue({
      deps,
      run: (ev) => this.runQueued(ev),
      settingsOf: async (ev) => {
        const r = await this.resolveQuiet(ev);
        return r ? { config: r.eventInvokeConfig, deadLetterTargetArn: r.versions[0]?.fn.deadLetterTargetArn, functionArn: r.functionArn } : undefined;
      },
    });
  }

  async Invoke(input: InvocationRequest, ctx: RequestContext): Promise<InvocationResponse> {
    const type = input.InvocationType ?? 'RequestResponse';
    if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
      throw new InvalidParameterValueException(`1 validation error detected: Value '${type}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]`);
    }
    const scope = { accountId: ctx.accountId, region: ctx.region };
    const target = await this.opts.control.resolve(scope, input.FunctionName, input.Qualifier);
    const payload = normalisePayload(input.Payload);
    if (type === 'DryRun') return { StatusCode: 204, Payload: Buffer.alloc(0) };
    if (type === 'Event') {
      this.enqueue(scope, target, payload, ctx.requestId, hopsOf(ctx));
      return { StatusCode: 202, Payload: Buffer.alloc(0) };
    }
    if (payload.length > SYNC_PAYLOAD_LIMIT) {
      throw new RequestTooLargeException(`Request must be smaller than ${SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`);
    }
    checkClientContext(input.ClientContext);
    const { outcome, fn } = await this.runSync(scope, target, payload, ctx.requestId, {
      clientContext: input.ClientContext,
      traceId: header(ctx, 'x-amzn-trace-id'),
      hops: hopsOf(ctx),
    });
    return {
      StatusCode: 200,
      Payload: outcome.payload,
      FunctionError: outcome.functionError,
      LogResult: input.LogType === 'Tail' ? tail(outcome.log) : undefined,
      ExecutedVersion: fn.version,
    };
  }

  /** The deprecated InvokeAsync: always asynchronous, answers 202 with Status 202. */
  async InvokeAsync(input: InvokeAsyncRequest, ctx: RequestContext): Promise<InvokeAsyncResponse> {
    const scope = { accountId: ctx.accountId, region: ctx.region };
    const target = await this.opts.control.resolve(scope, input.FunctionName, undefined);
    const args = Buffer.isBuffer(input.InvokeArgs) ? input.InvokeArgs : await readAll(input.InvokeArgs);
    this.enqueue(scope, target, normalisePayload(args), ctx.requestId, hopsOf(ctx));
    return { Status: 202 };
  }

  /**
   * Runs the function and returns its response as the event stream's chunks. Nimbus collects the
   * stream before answering (the codec frames PayloadChunk/InvokeComplete events), so chunks
   * arrive together rather than as the handler writes them.
   */
  async InvokeWithResponseStream(input: InvokeWithResponseStreamRequest, ctx: RequestContext): Promise<InvokeWithResponseStreamResponse> {
    const scope = { accountId: ctx.accountId, region: ctx.region };
    const target = await this.opts.control.resolve(scope, input.FunctionName, input.Qualifier);
    const payload = normalisePayload(input.Payload);
    if (input.InvocationType === 'DryRun') return { StatusCode: 204 };
    checkClientContext(input.ClientContext);
    const chunks: Buffer[] = [];
    const { outcome, fn } = await this.runSync(scope, target, payload, ctx.requestId, {
      clientContext: input.ClientContext,
      traceId: header(ctx, 'x-amzn-trace-id'),
      hops: hopsOf(ctx),
      onChunk: (c) => chunks.push(c),
    });
    const events: unknown[] = [];
    if (!outcome.functionError) {
      const body = chunks.length ? Buffer.concat(chunks) : outcome.payload;
      if (body.length) events.push({ PayloadChunk: { Payload: body } });
      events.push({ InvokeComplete: { LogResult: input.LogType === 'Tail' ? tail(outcome.log) : undefined } });
    } else {
      events.push({ InvokeComplete: { ErrorCode: outcome.errorType ?? 'Unhandled', ErrorDetails: outcome.payload.toString('utf8'), LogResult: input.LogType === 'Tail' ? tail(outcome.log) : undefined } });
    }
    return { StatusCode: 200, ExecutedVersion: fn.version, ResponseStreamContentType: 'application/vnd.amazon.eventstream', EventStream: events as never };
  }

  /** Function URLs (see ./urls.ts). */
  handleUrl(req: WireRequest, ctx: RequestContext): Promise<WireResponse> {
    return handleFunctionUrl(this, this.opts.control, req, ctx);
  }

  /** Runs a function synchronously for an internal caller (function URLs, event source mappings). */
  async invokeSync(scope: Scope, functionName: string, qualifier: string | undefined, payload: Buffer, o: InternalInvokeOptions & { requestId?: string } = {}): Promise<{ outcome: InvokeOutcome; fn: FunctionSnapshot }> {
    const target = await this.opts.control.resolve(scope, functionName, qualifier);
    return this.runSync(scope, target, payload, o.requestId ?? crypto.randomUUID(), { hops: o.hops });
  }

  /** Queues an event for an internal caller (SNS, S3): as InvocationType=Event. */
  async invokeEvent(scope: Scope, functionName: string, qualifier: string | undefined, payload: Buffer, o: InternalInvokeOptions = {}): Promise<string> {
    const target = await this.opts.control.resolve(scope, functionName, qualifier);
    const id = crypto.randomUUID();
    this.enqueue(scope, target, payload, id, o.hops);
    return id;
  }

  provision(fn: FunctionSnapshot, count: number): Promise<void> {
    return this.engine.provision(fn, count);
  }

  retire(functionArn: string, version?: string): void {
    this.engine.retire(functionArn, version);
  }

  async close(): Promise<void> {
    this.queue.close();
    if (this.ownsEngine) await this.engine.close();
    await this.flushLogs().catch(() => {});
  }

  // ----

  private enqueue(scope: Scope, target: ResolvedFunction, payload: Buffer, requestId: string, hops?: number): void {
    if (payload.length > ASYNC_PAYLOAD_LIMIT) {
      throw new RequestTooLargeException(`Request must be smaller than ${ASYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`);
    }
    this.queue.enqueue(scope, { requestId, functionName: target.functionName, qualifier: target.qualifier, payload, chain: hops ? String(hops) : undefined });
  }

  private async resolveQuiet(ev: AsyncEvent): Promise<ResolvedFunction | undefined> {
    try {
      return await this.opts.control.resolve({ accountId: ev.account_id, region: ev.region }, ev.function_name, ev.qualifier ?? undefined);
    } catch {
      return undefined;
    }
  }

  private async runQueued(ev: AsyncEvent): Promise<RunResult> {
    const target = await this.resolveQuiet(ev);
    if (!target) return { kind: 'gone' };
    const scope = { accountId: ev.account_id, region: ev.region };
    try {
      const { outcome, fn } = await this.runSync(scope, target, ev.payload, ev.request_id, { hops: ev.chain ? Number(ev.chain) : undefined });
      let errorMessage: string | undefined;
      if (outcome.functionError) {
        try {
          errorMessage = JSON.parse(outcome.payload.toString('utf8')).errorMessage;
        } catch {
          errorMessage = outcome.payload.toString('utf8');
        }
      }
      return {
        kind: 'done',
        payload: outcome.payload,
        functionError: outcome.functionError,
        errorMessage,
        executedVersion: fn.version,
        functionArn: target.functionArn,
        config: target.eventInvokeConfig,
        deadLetterTargetArn: fn.deadLetterTargetArn,
      };
    } catch (e) {
      if (e instanceof TooManyRequestsException) return { kind: 'throttled' };
      if (e instanceof RecursiveInvocationException) {
        this.opts.deps.log.warn(`lambda: stopped a recursive loop at ${target.functionName} (event ${ev.request_id})`);
        return { kind: 'gone' };
      }
      throw e;
    }
  }

  private async runSync(
    scope: Scope,
    target: ResolvedFunction,
    payload: Buffer,
    requestId: string,
    o: { clientContext?: string; traceId?: string; hops?: number; onChunk?: (c: Buffer) => void },
  ): Promise<{ outcome: InvokeOutcome; fn: FunctionSnapshot }> {
    if ((o.hops ?? 0) >= MAX_HOPS && target.recursiveLoop !== 'Allow') {
      // AWS's recursive loop detection stops the chain (for async sources the event is dropped).
      throw new RecursiveInvocationException("Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation.", { Type: 'User' });
    }
    const fn = pickVersion(target);
    const release = this.acquire(scope, target);
    try {
      const outcome = await this.engine.invoke({
        fn,
        payload,
        invokedFunctionArn: target.qualifier ? `${target.functionArn}:${target.qualifier}` : target.functionArn,
        requestId,
        clientContext: o.clientContext,
        traceId: traceFor(o.traceId, target.functionArn, o.hops ?? 0),
        onChunk: o.onChunk,
      });
      return { outcome, fn };
    } finally {
      release();
    }
  }

  /** Takes a concurrency slot, or throws AWS's throttle. */
  private acquire(scope: Scope, target: ResolvedFunction): () => void {
    const fnKey = `${scope.accountId}/${scope.region}/${target.functionName}`;
    const acctKey = `${scope.accountId}/${scope.region}`;
    const mine = this.running.get(fnKey) ?? 0;
    const reserved = target.reservedConcurrency;
    if (reserved !== undefined && reserved !== null) {
      if (mine >= reserved) {
        throw new TooManyRequestsException('Rate Exceeded.', { Type: 'User', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
      }
    } else if ((this.accountRunning.get(acctKey) ?? 0) >= this.accountConcurrency) {
      throw new TooManyRequestsException('Rate Exceeded.', { Type: 'User', Reason: 'ConcurrentInvocationLimitExceeded' });
    }
    this.running.set(fnKey, mine + 1);
    this.accountRunning.set(acctKey, (this.accountRunning.get(acctKey) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.running.get(fnKey) ?? 1) - 1;
      if (n) this.running.set(fnKey, n);
      else this.running.delete(fnKey);
      const a = (this.accountRunning.get(acctKey) ?? 1) - 1;
      if (a) this.accountRunning.set(acctKey, a);
      else this.accountRunning.delete(acctKey);
    };
  }

  private pendingLogs = new Map<string, { fn: FunctionSnapshot; stream: string; events: { timestamp: number; message: string }[] }>();
  private logTimer?: NodeJS.Timeout;

  /**
   * Invocation logs are written to CloudWatch Logs in batches, a few tens of milliseconds after
   * the invocation (AWS delivers them asynchronously too), so that a durable write is not paid
   * on every invocation's path.
   */
  private shipLogs(fn: FunctionSnapshot, stream: string, events: { timestamp: number; message: string }[]): void {
    const key = `${fn.accountId}\n${fn.region}\n${fn.logGroup}\n${stream}`;
    const batch = this.pendingLogs.get(key);
    if (batch) batch.events.push(...events);
    else this.pendingLogs.set(key, { fn, stream, events: [...events] });
    this.logTimer ??= setTimeout(() => void this.flushLogs(), 50);
  }

  /** Writes the buffered invocation logs now. */
  async flushLogs(): Promise<void> {
    if (this.logTimer) clearTimeout(this.logTimer);
    this.logTimer = undefined;
    if (!this.pendingLogs.size) return;
    const batches = [...this.pendingLogs.values()];
    this.pendingLogs.clear();
    this.logsProvider ??= this.opts.deps.internal.provider('logs').catch(() => undefined) as Promise<never>;
    const logs = await this.logsProvider;
    for (const b of batches) {
      try {
        logs?.appendEvents?.(b.fn.accountId, b.fn.region, b.fn.logGroup, b.stream, b.events);
      } catch (e) {
        this.opts.deps.log.warn(`lambda: writing the log of ${b.fn.functionName} failed`, e);
      }
    }
  }
}

export function createInvoker(opts: InvokerOptions): Invoker {
  return new Invoker(opts);
}

/** Weighted alias routing: the primary version, or one of AdditionalVersionWeights by its weight. */
export function pickVersion(target: ResolvedFunction, random = Math.random()): FunctionSnapshot {
  const [primary, ...others] = target.versions;
  let r = random;
  for (const v of others) {
    const w = v.weight ?? 0;
    if (r < w) return v.fn;
    r -= w;
  }
  return primary.fn;
}

/** The last 4 KB of the log, base64, as X-Amz-Log-Result carries it. */
export function tail(log: string): string {
  const b = Buffer.from(log, 'utf8');
  return b.subarray(Math.max(0, b.length - 4096)).toString('base64');
}

function normalisePayload(p: Buffer | undefined): Buffer {
  if (!p || p.length === 0) return Buffer.from('{}');
  try {
    JSON.parse(p.toString('utf8'));
  } catch (e) {
    // AWS refuses a payload that is not JSON before running anything.
    throw new InvalidRequestContentException(`Could not parse request body into json: Could not parse payload into json: ${(e as Error).message}`, { Type: 'User' });
  }
  return p;
}

/** AWS refuses a ClientContext that is not base64-encoded JSON before running anything. */
function checkClientContext(cc: string | undefined): void {
  if (cc === undefined) return;
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(cc)) throw new Error('not base64');
    const v = JSON.parse(Buffer.from(cc, 'base64').toString('utf8'));
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
  } catch {
    throw new InvalidRequestContentException('Client context must be a valid Base64-encoded JSON object.', { Type: 'User' });
  }
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.headers?.[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The hop count of a call chain, from the X-Ray trace header's Lineage field. Nimbus gives each
 * invocation a trace header with the count raised by one; the SDK inside a handler forwards it
 * (from _X_AMZN_TRACE_ID) on the calls it makes, which is how AWS's loop detection sees chains.
 */
export function hopsOfTrace(trace: string | undefined): number | undefined {
  const m = trace && /Lineage=(?:\d+:)?[0-9a-f]+:(\d+)/.exec(trace);
  return m ? Number(m[1]) : undefined;
}

function hopsOf(ctx: RequestContext): number | undefined {
  return hopsOfTrace(header(ctx, 'x-amzn-trace-id'));
}

const lineageHashes = new Map<string, string>();

/** Random hex digits drawn from a pool refilled 4 KB at a time (one syscall for many trace ids). */
const randomPool = Buffer.alloc(4096);
let randomUsed = randomPool.length;
function randomHex(bytes: number): string {
  if (randomUsed + bytes > randomPool.length) {
    crypto.randomFillSync(randomPool);
    randomUsed = 0;
  }
  const hex = randomPool.toString('hex', randomUsed, randomUsed + bytes);
  randomUsed += bytes;
  return hex;
}

/** The trace header handed to the runtime: the caller's Root (or a new one) and the chain's next hop. */
function traceFor(incoming: string | undefined, functionArn: string, hops: number): string {
  const root = (incoming && /Root=([^;]+)/.exec(incoming)?.[1]) ?? `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomHex(12)}`;
  let fnHash = lineageHashes.get(functionArn);
  if (!fnHash) lineageHashes.set(functionArn, (fnHash = crypto.createHash('sha256').update(functionArn).digest('hex').slice(0, 8)));
  return `Root=${root};Parent=${randomHex(8)};Sampled=0;Lineage=${fnHash}:${hops + 1}`;
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}
