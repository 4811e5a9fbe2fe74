// Asynchronous invocation (InvocationType=Event, InvokeAsync, and deliveries from SNS/S3): a
// durable queue in SQLite, so accepted events survive a restart. Each event runs at least once
// and, short of a crash in the middle of a run, exactly once. As on AWS:
//   - function errors are retried MaximumRetryAttempts times (default 2), about 1 and then 2
//     minutes apart; throttles are retried with exponential back-off from 1 s up to 5 minutes;
//   - an event older than MaximumEventAgeInSeconds (default 6 hours) is not run again;
//   - then the OnFailure destination, else the DeadLetterConfig target, receives it; a success
//     goes to the OnSuccess destination.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
// Time (back-off, event age) comes from deps.clock, so tests advance it instead of sleeping.
import type { Db } from '../../store/db.js';
import { migrate, relaxedTransaction } from '../../store/db.js';
import type { ServiceDeps } from '../types.js';
import type { TimerHandle } from '../../core/clock.js';
import { destinationRecord, sendToDeadLetter, sendToDestination, type DestinationCondition, type Scope } from './destinations.js';

const MIGRATIONS = [
  `
  CREATE TABLE lambda_async_events (
    account_id TEXT NOT NULL, region TEXT NOT NULL,
    request_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    function_name TEXT NOT NULL,
    qualifier TEXT,
    payload BLOB NOT NULL,
    enqueued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    running INTEGER NOT NULL DEFAULT 0,
    chain TEXT,
    PRIMARY KEY (account_id, region, request_id)
  ) WITHOUT ROWID;
  CREATE INDEX lambda_async_due ON lambda_async_events (running, next_at, seq);
  `,
];

export interface AsyncEvent {
  account_id: string;
  region: string;
  request_id: string;
  seq: number;
  function_name: string;
  qualifier: string | null;
  payload: Buffer;
  enqueued_at: number;
  attempts: number;
  next_at: number;
  running: number;
  chain: string | null;
}

/** What one run of an event came to, as the worker needs it. */
export type RunResult =
  | { kind: 'gone' } // the function (or qualifier) no longer exists: the event is dropped
  | { kind: 'throttled' }
  | {
      kind: 'done';
      payload: Buffer;
      functionError?: string;
      errorMessage?: string;
      executedVersion: string;
      functionArn: string;
      config?: EventInvokeSettings;
      deadLetterTargetArn?: string;
    };

export interface EventInvokeSettings {
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
}

export interface AsyncQueueOptions {
  deps: ServiceDeps;
  /** runs the event once (synchronously, as the RequestResponse path does) */
  run(ev: AsyncEvent): Promise<RunResult>;
  /** settings for retries and destinations when a run could not even start (throttled) */
  settingsOf(ev: AsyncEvent): Promise<{ config?: EventInvokeSettings; deadLetterTargetArn?: string; functionArn: string } | undefined>;
  /** events run at once, over all functions */
  maxConcurrent?: number;
  /** events of one function run at once */
  maxPerFunction?: number;
}

const FUNCTION_ERROR_DELAYS = [60_000, 120_000];
const MAX_THROTTLE_DELAY = 300_000;
const DEFAULT_MAX_AGE_S = 21600;
const DEFAULT_RETRIES = 2;
const SCALE_OUT_AFTER_MS = 100;

export class AsyncQueue {
  private readonly db: Db;
  private readonly s;
  private seq: number;
  private inFlight = 0;
  private readonly perFunction = new Map<string, number>();
  private timer?: TimerHandle;
  private scaleTimer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private pumping = false;
  private pumpAgain = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly maxConcurrent: number;
  private readonly maxPerFunction: number;
  /** throttle retries so far per event (kept in memory: a restart starts the back-off over) */
  private readonly throttles = new Map<string, number>();

  constructor(private readonly opts: AsyncQueueOptions) {
    this.db = opts.deps.db;
    migrate(this.db, 'lambda-async', MIGRATIONS);
    const p = (sql: string) => this.db.prepare(sql);
    this.s = {
      insert: p('INSERT INTO lambda_async_events (account_id, region, request_id, seq, function_name, qualifier, payload, enqueued_at, next_at, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      due: p('SELECT account_id, region, request_id, function_name, next_at FROM lambda_async_events WHERE running = 0 AND next_at <= ? ORDER BY next_at, seq LIMIT ?'),
      get: p('SELECT * FROM lambda_async_events WHERE account_id = ? AND region = ? AND request_id = ?'),
      nextDue: p('SELECT MIN(next_at) AS at FROM lambda_async_events WHERE running = 0'),
      claim: p('UPDATE lambda_async_events SET running = 1, attempts = attempts + ? WHERE account_id = ? AND region = ? AND request_id = ? AND running = 0'),
      reschedule: p('UPDATE lambda_async_events SET running = 0, next_at = ? WHERE account_id = ? AND region = ? AND request_id = ?'),
      remove: p('DELETE FROM lambda_async_events WHERE account_id = ? AND region = ? AND request_id = ?'),
      maxSeq: p('SELECT COALESCE(MAX(seq), 0) AS m FROM lambda_async_events'),
      // Events that were running when Nimbus stopped run again: at least once, never lost.
      recover: p('UPDATE lambda_async_events SET running = 0 WHERE running = 1'),
      count: p('SELECT COUNT(*) AS n FROM lambda_async_events'),
    };
    this.s.recover.run();
    // Claims, reschedules and removals commit without their own fsync (see relaxed()).
    for (const k of ['insert', 'claim', 'reschedule', 'remove'] as const) {
      const stmt = this.s[k];
      this.s[k] = { run: (...args: unknown[]) => this.relaxed(() => stmt.run(...args)) } as typeof stmt;
    }
    this.seq = (this.s.maxSeq.get() as { m: number }).m;
    this.maxConcurrent = opts.maxConcurrent ?? 8;
    this.maxPerFunction = opts.maxPerFunction ?? 4;
    this.kick();
  }

  /**
   * Queue writes do not wait for the disk even with NIMBUS_FSYNC on, so that an Event invoke is
   * accepted as fast as a warm RequestResponse invoke answers: they survive a crash or kill -9 of
   * Nimbus, not an OS crash or power cut. A lost claim or removal only runs an event again, which
   * AWS's at-least-once async delivery allows.
   */
  private relaxed<T>(fn: () => T): T {
    return relaxedTransaction(this.db, fn);
  }

  /** Accepts an event (durably, before the caller's 202). */
  enqueue(scope: Scope, o: { requestId: string; functionName: string; qualifier?: string; payload: Buffer; chain?: string }): void {
    const now = this.opts.deps.clock.now();
    this.s.insert.run(scope.accountId, scope.region, o.requestId, ++this.seq, o.functionName, o.qualifier ?? null, o.payload, now, now, o.chain ?? null);
    this.kick();
  }

  /** Events not yet finished (queued or running). */
  size(): number {
    return (this.s.count.get() as { n: number }).n;
  }

  /** Resolves when nothing is due or running (tests). */
  idle(): Promise<void> {
    if (!this.inFlight && !this.hasDue()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    if (this.scaleTimer) clearTimeout(this.scaleTimer);
  }

  private hasDue(): boolean {
    return (this.s.due.all(this.opts.deps.clock.now(), 1) as unknown[]).length > 0;
  }

  private kick(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    setImmediate(() => {
      this.pumping = false;
      this.pumpAgain = false;
      try {
        this.pump();
      } catch (e) {
        this.opts.deps.log.error('lambda async: queue pump failed', e);
      }
      if (this.pumpAgain) this.kick();
    });
  }

  private pump(): void {
    if (this.closed) return;
    const now = this.opts.deps.clock.now();
    let waitingToScale = false;
    while (this.inFlight < this.maxConcurrent) {
      const rows = this.s.due.all(now, 256) as Pick<AsyncEvent, 'account_id' | 'region' | 'request_id' | 'function_name' | 'next_at'>[];
      let started = 0;
      for (const due of rows) {
        if (this.inFlight >= this.maxConcurrent) break;
        const key = fnKey(due);
        const running = this.perFunction.get(key) ?? 0;
        if (running >= this.maxPerFunction) continue;
        // A function's events share its warm environment while they keep up; another
        // environment starts only for events that have waited (as Lambda scales out on backlog).
        if (running > 0 && now - due.next_at < SCALE_OUT_AFTER_MS) {
          waitingToScale = true;
          continue;
        }
        if (this.s.claim.run(1, due.account_id, due.region, due.request_id).changes !== 1) continue;
        const ev = this.s.get.get(due.account_id, due.region, due.request_id) as AsyncEvent;
        started++;
        this.inFlight++;
        this.perFunction.set(key, running + 1);
        this.execute(ev).finally(() => {
          this.inFlight--;
          const n = (this.perFunction.get(key) ?? 1) - 1;
          if (n) this.perFunction.set(key, n);
          else this.perFunction.delete(key);
          this.kick();
        });
      }
      if (!started || rows.length < 256) break;
    }
    if (waitingToScale && !this.scaleTimer) {
      this.scaleTimer = setTimeout(() => {
        this.scaleTimer = undefined;
        this.kick();
      }, SCALE_OUT_AFTER_MS);
      this.scaleTimer.unref();
    }
    this.armTimer();
    if (!this.inFlight && !this.hasDue()) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const f of w) f();
    }
  }

  private armTimer(): void {
    const row = this.s.nextDue.get() as { at: number | null };
    const now = this.opts.deps.clock.now();
    if (row.at === null || row.at <= now) return; // nothing waiting, or due now (the pump runs when a slot frees)
    if (this.timer && this.timerAt <= row.at) return;
    this.timer?.cancel();
    this.timerAt = row.at;
    this.timer = this.opts.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.kick();
    }, row.at - now);
  }

  private async execute(ev: AsyncEvent): Promise<void> {
    const deps = this.opts.deps;
    let result: RunResult;
    try {
      result = await this.opts.run(ev);
    } catch (e) {
      deps.log.warn(`lambda async: event ${ev.request_id} could not run`, e);
      result = { kind: 'throttled' };
    }
    const now = deps.clock.now();
    if (result.kind === 'gone') {
      this.s.remove.run(ev.account_id, ev.region, ev.request_id);
      return;
    }
    if (result.kind === 'throttled') {
      // A throttle is not an attempt of the function: it does not count against MaximumRetryAttempts.
      const settings = await this.opts.settingsOf(ev).catch(() => undefined);
      const n = (this.throttles.get(ev.request_id) ?? 0) + 1;
      this.throttles.set(ev.request_id, n);
      const maxAge = (settings?.config?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_S) * 1000;
      const delay = Math.min(MAX_THROTTLE_DELAY, 1000 * 2 ** (n - 1));
      this.relaxed(() => this.db.prepare('UPDATE lambda_async_events SET attempts = attempts - 1 WHERE account_id = ? AND region = ? AND request_id = ?').run(ev.account_id, ev.region, ev.request_id));
      if (!settings || now + delay - ev.enqueued_at > maxAge) {
        this.throttles.delete(ev.request_id);
        this.s.remove.run(ev.account_id, ev.region, ev.request_id);
        if (settings) await this.fail(ev, settings, 'EventAgeExceeded', ev.attempts - 1, { statusCode: 429, errorMessage: 'Rate Exceeded.' });
        return;
      }
      this.s.reschedule.run(now + delay, ev.account_id, ev.region, ev.request_id);
      return;
    }
    this.throttles.delete(ev.request_id);
    const cfg = result.config;
    if (!result.functionError) {
      this.s.remove.run(ev.account_id, ev.region, ev.request_id);
      const dest = cfg?.DestinationConfig?.OnSuccess?.Destination;
      if (dest) {
        const record = destinationRecord({
          now,
          requestId: ev.request_id,
          functionArn: `${result.functionArn}:${result.executedVersion}`,
          condition: 'Success',
          attempts: ev.attempts,
          requestPayload: ev.payload,
          statusCode: 200,
          executedVersion: result.executedVersion,
          responsePayload: result.payload,
        });
        await sendToDestination(deps, dest, record).catch((e) => deps.log.warn(`lambda async: OnSuccess delivery to ${dest} failed`, e));
      }
      return;
    }
    const retries = cfg?.MaximumRetryAttempts ?? DEFAULT_RETRIES;
    const maxAge = (cfg?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_S) * 1000;
    if (ev.attempts <= retries) {
      const delay = FUNCTION_ERROR_DELAYS[Math.min(ev.attempts - 1, FUNCTION_ERROR_DELAYS.length - 1)];
      if (now + delay - ev.enqueued_at <= maxAge) {
        this.s.reschedule.run(now + delay, ev.account_id, ev.region, ev.request_id);
        return;
      }
      this.s.remove.run(ev.account_id, ev.region, ev.request_id);
      await this.fail(ev, { ...result, config: cfg }, 'EventAgeExceeded', ev.attempts, { statusCode: 200, result });
      return;
    }
    this.s.remove.run(ev.account_id, ev.region, ev.request_id);
    await this.fail(ev, { ...result, config: cfg }, 'RetriesExhausted', ev.attempts, { statusCode: 200, result });
  }

  private async fail(
    ev: AsyncEvent,
    settings: { config?: EventInvokeSettings; deadLetterTargetArn?: string; functionArn: string },
    condition: DestinationCondition,
    attempts: number,
    o: { statusCode: number; errorMessage?: string; result?: Extract<RunResult, { kind: 'done' }> },
  ): Promise<void> {
    const deps = this.opts.deps;
    const dest = settings.config?.DestinationConfig?.OnFailure?.Destination;
    const version = o.result?.executedVersion ?? ev.qualifier ?? '$LATEST';
    if (dest) {
      const record = destinationRecord({
        now: deps.clock.now(),
        requestId: ev.request_id,
        functionArn: `${settings.functionArn}:${version}`,
        condition,
        attempts,
        requestPayload: ev.payload,
        statusCode: o.statusCode,
        executedVersion: o.result?.executedVersion,
        functionError: o.result?.functionError,
        responsePayload: o.result?.payload,
      });
      await sendToDestination(deps, dest, record).catch((e) => deps.log.warn(`lambda async: OnFailure delivery to ${dest} failed`, e));
      return;
    }
    if (settings.deadLetterTargetArn) {
      const dlq = settings.deadLetterTargetArn;
      await sendToDeadLetter(deps, dlq, {
        requestId: ev.request_id,
        payload: ev.payload,
        errorCode: o.statusCode,
        errorMessage: o.errorMessage ?? o.result?.errorMessage ?? '',
      }).catch((e) => deps.log.warn(`lambda async: dead-letter delivery to ${dlq} failed`, e));
    }
  }
}

function fnKey(ev: Pick<AsyncEvent, 'account_id' | 'region' | 'function_name'>): string {
  return `${ev.account_id}/${ev.region}/${ev.function_name}`;
}
