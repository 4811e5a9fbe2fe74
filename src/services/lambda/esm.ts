// Event source mappings: SQS -> Lambda. Each enabled mapping runs pollers that receive from the
// queue through the SQS provider (so receive counts, visibility and redrive behave exactly as
// for any consumer), wait on the queue engine between empty receives (woken by sends, not by a
// fixed interval), and invoke the function synchronously through the Lambda provider.
//
// Fidelity, after the AWS Lambda developer guide ("Using Lambda with Amazon SQS"):
// - success deletes the batch; a failed invocation (function error, timeout, throttle) leaves
//   the messages to reappear after the queue's visibility timeout, so the queue's RedrivePolicy
//   moves poison messages to its dead-letter queue;
// - with ReportBatchItemFailures only the reported items stay; a malformed response (unknown or
//   empty itemIdentifier) fails the whole batch; an empty or null list means success;
// - FIFO: after the first failed item of a message group, the rest of that group stays too;
// - messages that match none of the FilterCriteria are deleted without an invocation;
// - ScalingConfig.MaximumConcurrency bounds the concurrent invocations of one mapping.
// Departure: AWS starts with five pollers and scales up to 1,250 concurrent invocations; Nimbus
// runs MaximumConcurrency pollers (5 when unset), enough for a single machine.
import crypto from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import { ServiceError } from '../../core/errors.js';
import type { Db } from '../../store/db.js';
import { migrate } from '../../store/db.js';
import type {
  CreateEventSourceMappingRequest,
  EventSourceMappingConfiguration,
  ListEventSourceMappingsRequest,
  ListEventSourceMappingsResponse,
  UpdateEventSourceMappingRequest,
} from '../../generated/lambda.js';
import { InvalidParameterValueException, ResourceConflictException, ResourceInUseException, ResourceNotFoundException } from '../../generated/lambda.js';
import { matchesPattern, checkEventPattern } from '../sns/filter-policy.js';
import { parseQueueArn, queueUrlFromArn } from '../sqs/urls.js';
import type { ServiceDeps } from '../types.js';

const MIGRATIONS = [
  `CREATE TABLE lambda_esm (
     uuid TEXT PRIMARY KEY,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     function_arn TEXT NOT NULL,
     event_source_arn TEXT NOT NULL,
     config TEXT NOT NULL
   );
   CREATE INDEX lambda_esm_by_function ON lambda_esm (account_id, region, function_arn);
   CREATE INDEX lambda_esm_by_source ON lambda_esm (account_id, region, event_source_arn);`,
];

/** Six MB: the synchronous invocation payload limit, which also bounds an SQS batch. */
const MAX_BATCH_BYTES = 6 * 1024 * 1024;
const RECENT_BATCHES = 50;
/** How long one idle receive waits before the poller checks in again (a send ends it at once). */
const IDLE_POLL_MS = 20_000;

/** The SQS provider's hook for pollers inside Nimbus (see src/services/sqs/index.ts). */
interface MappingSource {
  receiveForMapping(queueArn: string, opts: { max: number; waitMs: number; signal?: AbortSignal }): Promise<SqsMessage[] | undefined>;
}

export interface BatchRecord {
  time: string;
  messageIds: string[];
  /** invoked | filtered | failed | partial */
  result: string;
  durationMs: number;
  error?: string;
}

interface Stored {
  uuid: string;
  accountId: string;
  region: string;
  config: EventSourceMappingConfiguration & { FunctionArn: string; EventSourceArn: string };
}

interface SqsMessage {
  MessageId: string;
  ReceiptHandle: string;
  MD5OfBody: string;
  Body: string;
  Attributes?: Record<string, string>;
  MD5OfMessageAttributes?: string;
  MessageAttributes?: Record<string, { StringValue?: string; BinaryValue?: Buffer; StringListValues?: string[]; BinaryListValues?: Buffer[]; DataType: string }>;
}

/** What the mappings need from the Lambda control plane. */
export interface FunctionLookup {
  /** The function's ARN as the mapping reports it (qualified when the caller named a qualifier) and its timeout. */
  resolve(ctx: RequestContext, functionName: string): Promise<{ functionArn: string; timeout: number }>;
}

export class EventSourceMappings {
  private readonly runners = new Map<string, Runner>();
  readonly recent = new Map<string, BatchRecord[]>();
  private readonly lastResults = new Map<string, string>();

  constructor(
    readonly deps: ServiceDeps,
    private readonly functions: FunctionLookup,
  ) {
    migrate(deps.db, 'lambda-esm', MIGRATIONS);
  }

  private get db(): Db {
    return this.deps.db;
  }

  /** Resumes the pollers of enabled mappings (after a restart with persistence on). */
  start(): void {
    for (const s of this.all()) {
      if (s.config.State === 'Enabled' || s.config.State === 'Creating' || s.config.State === 'Updating' || s.config.State === 'Enabling') {
        s.config.State = 'Enabled';
        this.save(s);
        this.ensureRunner(s);
      } else if (s.config.State === 'Deleting') this.remove(s.uuid);
      else if (s.config.State === 'Disabling') {
        s.config.State = 'Disabled';
        this.save(s);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }

  private all(): Stored[] {
    return (this.db.prepare('SELECT uuid, account_id, region, config FROM lambda_esm').all() as { uuid: string; account_id: string; region: string; config: string }[]).map(rowToStored);
  }

  private get(uuid: string, ctx: RequestContext): Stored {
    const row = this.db.prepare('SELECT uuid, account_id, region, config FROM lambda_esm WHERE uuid = ? AND account_id = ? AND region = ?').get(uuid, ctx.accountId, ctx.region) as
      | { uuid: string; account_id: string; region: string; config: string }
      | undefined;
    if (!row) throw new ResourceNotFoundException(`The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${ctx.requestId})`, { Type: 'User' });
    return rowToStored(row);
  }

  private save(s: Stored): void {
    this.db
      .prepare(
        `INSERT INTO lambda_esm (uuid, account_id, region, function_arn, event_source_arn, config) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(uuid) DO UPDATE SET function_arn = excluded.function_arn, config = excluded.config`,
      )
      .run(s.uuid, s.accountId, s.region, s.config.FunctionArn, s.config.EventSourceArn, JSON.stringify(s.config));
  }

  private remove(uuid: string): void {
    this.db.prepare('DELETE FROM lambda_esm WHERE uuid = ?').run(uuid);
    this.recent.delete(uuid);
    this.lastResults.delete(uuid);
  }

  private validateCommon(input: { BatchSize?: number; MaximumBatchingWindowInSeconds?: number; FilterCriteria?: { Filters?: { Pattern?: string }[] }; FunctionResponseTypes?: string[]; ScalingConfig?: { MaximumConcurrency?: number } }, fifo: boolean): void {
    const batch = input.BatchSize;
    if (batch !== undefined && (batch < 1 || batch > 10000)) throw new InvalidParameterValueException('BatchSize must be between 1 and 10000.', { Type: 'User' });
    if (fifo && batch !== undefined && batch > 10) throw new InvalidParameterValueException('Batch size for FIFO queues must be less than or equal to 10.', { Type: 'User' });
    if (batch !== undefined && batch > 10 && !input.MaximumBatchingWindowInSeconds) {
      throw new InvalidParameterValueException('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10', { Type: 'User' });
    }
    for (const f of input.FilterCriteria?.Filters ?? []) {
      try {
        checkEventPattern(JSON.parse(f.Pattern ?? ''));
      } catch {
        throw new InvalidParameterValueException(`Invalid filter pattern definition.`, { Type: 'User' });
      }
    }
    for (const t of input.FunctionResponseTypes ?? []) {
      if (t !== 'ReportBatchItemFailures') throw new InvalidParameterValueException(`Invalid FunctionResponseTypes: ${t}`, { Type: 'User' });
    }
    const mc = input.ScalingConfig?.MaximumConcurrency;
    if (mc !== undefined && (mc < 2 || mc > 1000)) throw new InvalidParameterValueException('MaximumConcurrency must be between 2 and 1000.', { Type: 'User' });
  }

  async CreateEventSourceMapping(input: CreateEventSourceMappingRequest, ctx: RequestContext): Promise<EventSourceMappingConfiguration> {
    const sourceArn = input.EventSourceArn;
    const queue = sourceArn ? parseQueueArn(sourceArn) : undefined;
    if (!sourceArn || !queue) throw new InvalidParameterValueException('Unrecognized event source, must be one of the supported event source types (Nimbus supports SQS queues).', { Type: 'User' });
    const fifo = queue.name.endsWith('.fifo');
    this.validateCommon(input, fifo);
    const fn = await this.functions.resolve(ctx, input.FunctionName);
    const attrs = await this.queueAttributes(sourceArn);
    const visibility = Number(attrs.VisibilityTimeout ?? 30);
    if (visibility < fn.timeout) {
      throw new InvalidParameterValueException(`Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${fn.timeout} seconds`, { Type: 'User' });
    }
    const existing = this.db.prepare('SELECT uuid FROM lambda_esm WHERE account_id = ? AND region = ? AND event_source_arn = ? AND function_arn = ?').get(ctx.accountId, ctx.region, sourceArn, fn.functionArn) as
      | { uuid: string }
      | undefined;
    if (existing) {
      throw new ResourceConflictException(
        `An event source mapping with SQS arn (" ${sourceArn} ") and function (" ${input.FunctionName} ") already exists. Please update or delete the existing mapping with UUID ${existing.uuid}`,
        { Type: 'User' },
      );
    }
    const uuid = crypto.randomUUID();
    const enabled = input.Enabled ?? true;
    const config: Stored['config'] = {
      UUID: uuid,
      BatchSize: input.BatchSize ?? 10,
      MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds ?? 0,
      EventSourceArn: sourceArn,
      FunctionArn: fn.functionArn,
      LastModified: new Date(this.deps.clock.now()),
      State: enabled ? 'Creating' : 'Disabled',
      StateTransitionReason: 'USER_INITIATED',
      FunctionResponseTypes: input.FunctionResponseTypes ?? [],
      EventSourceMappingArn: `arn:${ctx.partition}:lambda:${ctx.region}:${ctx.accountId}:event-source-mapping:${uuid}`,
    };
    if (input.FilterCriteria?.Filters?.length) config.FilterCriteria = input.FilterCriteria;
    if (input.ScalingConfig) config.ScalingConfig = input.ScalingConfig;
    const stored: Stored = { uuid, accountId: ctx.accountId, region: ctx.region, config };
    this.save(stored);
    const response = present(config);
    if (enabled) this.settle(stored, 'Enabled');
    return response;
  }

  GetEventSourceMapping(input: { UUID: string }, ctx: RequestContext): EventSourceMappingConfiguration {
    return present(this.get(input.UUID, ctx).config);
  }

  async UpdateEventSourceMapping(input: UpdateEventSourceMappingRequest, ctx: RequestContext): Promise<EventSourceMappingConfiguration> {
    const s = this.get(input.UUID, ctx);
    const c = s.config;
    if (c.State !== 'Enabled' && c.State !== 'Disabled') {
      throw new ResourceInUseException(`Cannot update the event source mapping because it is in use. (State: ${c.State})`, { Type: 'User' });
    }
    const fifo = parseQueueArn(c.EventSourceArn)?.name.endsWith('.fifo') ?? false;
    this.validateCommon({ BatchSize: input.BatchSize ?? c.BatchSize, MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds ?? c.MaximumBatchingWindowInSeconds, FilterCriteria: input.FilterCriteria, FunctionResponseTypes: input.FunctionResponseTypes, ScalingConfig: input.ScalingConfig }, fifo);
    if (input.FunctionName !== undefined) c.FunctionArn = (await this.functions.resolve(ctx, input.FunctionName)).functionArn;
    if (input.BatchSize !== undefined) c.BatchSize = input.BatchSize;
    if (input.MaximumBatchingWindowInSeconds !== undefined) c.MaximumBatchingWindowInSeconds = input.MaximumBatchingWindowInSeconds;
    if (input.FilterCriteria !== undefined) {
      if (input.FilterCriteria.Filters?.length) c.FilterCriteria = input.FilterCriteria;
      else delete c.FilterCriteria;
    }
    if (input.FunctionResponseTypes !== undefined) c.FunctionResponseTypes = input.FunctionResponseTypes;
    if (input.ScalingConfig !== undefined) c.ScalingConfig = input.ScalingConfig;
    const enable = input.Enabled ?? c.State === 'Enabled';
    c.LastModified = new Date(this.deps.clock.now());
    c.StateTransitionReason = 'USER_INITIATED';
    c.State = 'Updating';
    this.save(s);
    const response = present(c);
    await this.runners.get(s.uuid)?.stop();
    this.runners.delete(s.uuid);
    this.settle(s, enable ? 'Enabled' : 'Disabled');
    return response;
  }

  async DeleteEventSourceMapping(input: { UUID: string }, ctx: RequestContext): Promise<EventSourceMappingConfiguration> {
    const s = this.get(input.UUID, ctx);
    s.config.State = 'Deleting';
    s.config.StateTransitionReason = 'USER_INITIATED';
    this.save(s);
    const response = present(s.config);
    const runner = this.runners.get(s.uuid);
    this.runners.delete(s.uuid);
    // Polling stops at once; the record goes when the last in-flight batch has finished.
    void (runner?.stop() ?? Promise.resolve()).then(() => this.remove(s.uuid));
    return response;
  }

  ListEventSourceMappings(input: ListEventSourceMappingsRequest, ctx: RequestContext): ListEventSourceMappingsResponse {
    let rows = (this.db.prepare('SELECT uuid, account_id, region, config FROM lambda_esm WHERE account_id = ? AND region = ? ORDER BY rowid').all(ctx.accountId, ctx.region) as { uuid: string; account_id: string; region: string; config: string }[]).map(rowToStored);
    if (input.EventSourceArn) rows = rows.filter((r) => r.config.EventSourceArn === input.EventSourceArn);
    if (input.FunctionName) {
      const name = input.FunctionName;
      const wanted = functionNameOf(name);
      rows = rows.filter((r) => r.config.FunctionArn === name || functionNameOf(r.config.FunctionArn) === wanted);
    }
    const start = input.Marker ? Number(Buffer.from(input.Marker, 'base64url').toString()) || 0 : 0;
    const max = input.MaxItems ?? 100;
    const page = rows.slice(start, start + max);
    const next = start + max < rows.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
    return { EventSourceMappings: page.map((r) => present(r.config)), NextMarker: next };
  }

  /** The transitional state (Creating, Updating) settles right after the response, as AWS's does within seconds. */
  private settle(s: Stored, target: 'Enabled' | 'Disabled'): void {
    this.deps.clock.setTimeout(() => {
      const row = this.db.prepare('SELECT uuid, account_id, region, config FROM lambda_esm WHERE uuid = ?').get(s.uuid) as { uuid: string; account_id: string; region: string; config: string } | undefined;
      if (!row) return;
      const current = rowToStored(row);
      if (current.config.State === 'Deleting') return;
      current.config.State = target;
      this.save(current);
      if (target === 'Enabled') this.ensureRunner(current);
    }, 0);
  }

  private ensureRunner(s: Stored): void {
    if (this.runners.has(s.uuid)) return;
    const runner = new Runner(this, s);
    this.runners.set(s.uuid, runner);
    runner.start();
  }

  record(uuid: string, rec: BatchRecord, lastResult: string): void {
    const list = this.recent.get(uuid) ?? [];
    list.push(rec);
    if (list.length > RECENT_BATCHES) list.shift();
    this.recent.set(uuid, list);
    // The stored LastProcessingResult is rewritten only when it changes, not once per batch.
    if (this.lastResults.get(uuid) === lastResult) return;
    this.lastResults.set(uuid, lastResult);
    const row = this.db.prepare('SELECT config FROM lambda_esm WHERE uuid = ?').get(uuid) as { config: string } | undefined;
    if (!row) return;
    const config = JSON.parse(row.config);
    if (config.LastProcessingResult !== lastResult) {
      config.LastProcessingResult = lastResult;
      this.db.prepare('UPDATE lambda_esm SET config = ? WHERE uuid = ?').run(JSON.stringify(config), uuid);
    }
  }

  /** Whether any poller of the mapping is between receiving a batch and settling it. */
  busy(uuid: string): boolean {
    return (this.runners.get(uuid)?.inFlight ?? 0) > 0;
  }

  async queueAttributes(queueArn: string): Promise<Record<string, string>> {
    const q = parseQueueArn(queueArn)!;
    try {
      const out = await this.deps.internal.call('sqs', 'GetQueueAttributes', { QueueUrl: queueUrlFromArn(queueArn, this.deps.endpoint()), AttributeNames: ['All'] }, { accountId: q.accountId, region: q.region });
      return out.Attributes ?? {};
    } catch (e) {
      if (e instanceof ServiceError && /NonExistentQueue|QueueDoesNotExist/.test(e.code)) {
        throw new InvalidParameterValueException(`Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.`, { Type: 'User' });
      }
      throw e;
    }
  }
}

/** The function's name from a name, `name:qualifier`, a partial ARN or a full ARN. */
function functionNameOf(nameOrArn: string): string {
  const at = nameOrArn.indexOf(':function:');
  return (at >= 0 ? nameOrArn.slice(at + ':function:'.length) : nameOrArn).split(':')[0];
}

function rowToStored(row: { uuid: string; account_id: string; region: string; config: string }): Stored {
  const config = JSON.parse(row.config);
  if (config.LastModified) config.LastModified = new Date(config.LastModified);
  return { uuid: row.uuid, accountId: row.account_id, region: row.region, config };
}

function present(c: EventSourceMappingConfiguration): EventSourceMappingConfiguration {
  return { ...c, LastProcessingResult: c.LastProcessingResult ?? 'No records processed' };
}

/** The pollers of one enabled mapping. */
class Runner {
  private readonly abort = new AbortController();
  private workers: Promise<void>[] = [];
  inFlight = 0;
  private readonly queueUrl: string;
  private readonly where: { accountId: string; region: string };

  constructor(
    private readonly owner: EventSourceMappings,
    private readonly s: Stored,
  ) {
    const q = parseQueueArn(s.config.EventSourceArn)!;
    this.where = { accountId: q.accountId, region: q.region };
    this.queueUrl = queueUrlFromArn(s.config.EventSourceArn, owner.deps.endpoint());
  }

  start(): void {
    const n = this.s.config.ScalingConfig?.MaximumConcurrency ?? 5;
    for (let i = 0; i < n; i++) this.workers.push(this.loop());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.workers);
  }

  private get deps() {
    return this.owner.deps;
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const batch = await this.collect(signal);
        if (!batch.length) continue;
        if (signal.aborted) {
          await this.release(batch);
          break;
        }
        this.inFlight++;
        try {
          await this.process(batch);
        } finally {
          this.inFlight--;
        }
      } catch (e) {
        if (signal.aborted) break;
        this.deps.log.warn(`event source mapping ${this.s.uuid}: ${(e as Error).message}`);
        await new Promise<void>((resolve) => {
          const timer = this.deps.clock.setTimeout(done, 1000);
          function done() {
            timer?.cancel();
            signal.removeEventListener('abort', done);
            resolve();
          }
          signal.addEventListener('abort', done, { once: true });
        });
      }
    }
  }

  /**
   * Receives until the batch is full, the batching window (counted from the first message) has
   * passed, or 6 MB are gathered. Receives long-poll on the queue engine, so a send wakes the
   * poller at once.
   */
  private async collect(signal: AbortSignal): Promise<SqsMessage[]> {
    const c = this.s.config;
    const batchSize = c.BatchSize ?? 10;
    const windowMs = (c.MaximumBatchingWindowInSeconds ?? 0) * 1000;
    const sqs = await this.deps.internal.provider<MappingSource>('sqs');
    const messages: SqsMessage[] = [];
    let bytes = 0;
    let deadline = Infinity;
    for (;;) {
      const waitMs = messages.length ? Math.max(0, deadline - this.deps.clock.now()) : IDLE_POLL_MS;
      const got = await sqs.receiveForMapping(c.EventSourceArn, { max: Math.min(10, batchSize - messages.length), waitMs, signal });
      if (!got) throw new Error(`the source queue ${c.EventSourceArn} does not exist`);
      if (got.length && !messages.length) deadline = this.deps.clock.now() + windowMs;
      for (const m of got) {
        messages.push(m);
        bytes += Buffer.byteLength(m.Body);
      }
      if (messages.length >= batchSize || bytes >= MAX_BATCH_BYTES || signal.aborted) return messages;
      if (messages.length && this.deps.clock.now() >= deadline) return messages;
    }
  }

  private async release(batch: SqsMessage[]): Promise<void> {
    await this.deps.internal
      .call('sqs', 'ChangeMessageVisibilityBatch', { QueueUrl: this.queueUrl, Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })) }, this.where)
      .catch(() => undefined);
  }

  private async deleteAll(batch: SqsMessage[]): Promise<void> {
    for (let i = 0; i < batch.length; i += 10) {
      const chunk = batch.slice(i, i + 10);
      await this.deps.internal.call('sqs', 'DeleteMessageBatch', { QueueUrl: this.queueUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })) }, this.where);
    }
  }

  private matchesFilters(m: SqsMessage): boolean {
    const filters = this.s.config.FilterCriteria?.Filters ?? [];
    if (!filters.length) return true;
    const record = this.record(m);
    let body: unknown = m.Body;
    try {
      body = JSON.parse(m.Body);
    } catch {
      /* a body that is not JSON is matched as a plain string */
    }
    const doc = { ...record, body };
    return filters.some((f) => {
      try {
        return matchesPattern(JSON.parse(f.Pattern ?? '{}'), doc);
      } catch {
        return false;
      }
    });
  }

  private record(m: SqsMessage) {
    const messageAttributes: Record<string, unknown> = {};
    for (const [name, a] of Object.entries(m.MessageAttributes ?? {})) {
      messageAttributes[name] = {
        stringValue: a.StringValue,
        binaryValue: a.BinaryValue ? Buffer.from(a.BinaryValue).toString('base64') : undefined,
        stringListValues: a.StringListValues ?? [],
        binaryListValues: (a.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
        dataType: a.DataType,
      };
    }
    const r: Record<string, unknown> = {
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      attributes: m.Attributes ?? {},
      messageAttributes,
      md5OfBody: m.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.s.config.EventSourceArn,
      awsRegion: this.where.region,
    };
    if (m.MD5OfMessageAttributes) r.md5OfMessageAttributes = m.MD5OfMessageAttributes;
    return r;
  }

  private async process(batch: SqsMessage[]): Promise<void> {
    const started = this.deps.clock.now();
    const ids = batch.map((m) => m.MessageId);
    const wanted = batch.filter((m) => this.matchesFilters(m));
    const filtered = batch.filter((m) => !wanted.includes(m));
    if (filtered.length) await this.deleteAll(filtered);
    if (!wanted.length) {
      this.owner.record(this.s.uuid, { time: new Date(started).toISOString(), messageIds: ids, result: 'filtered', durationMs: this.deps.clock.now() - started }, 'OK');
      return;
    }
    const payload = Buffer.from(JSON.stringify({ Records: wanted.map((m) => this.record(m)) }));
    let failedIds: Set<string> | 'all';
    let error: string | undefined;
    try {
      const out = await this.deps.internal.call('lambda', 'Invoke', { FunctionName: this.s.config.FunctionArn, InvocationType: 'RequestResponse', Payload: payload }, this.where);
      if (out.FunctionError) {
        failedIds = 'all';
        error = `function error: ${Buffer.from(out.Payload ?? '').toString().slice(0, 200)}`;
      } else failedIds = this.reportedFailures(wanted, out.Payload);
    } catch (e) {
      failedIds = 'all';
      error = e instanceof ServiceError ? `${e.code}: ${e.message}` : String(e);
    }
    const keep = new Set<string>();
    if (failedIds === 'all') wanted.forEach((m) => keep.add(m.MessageId));
    else {
      const fifo = this.s.config.EventSourceArn.endsWith('.fifo');
      const blockedGroups = new Set<string>();
      for (const m of wanted) {
        const group = m.Attributes?.MessageGroupId;
        if (failedIds.has(m.MessageId) || (fifo && group !== undefined && blockedGroups.has(group))) {
          keep.add(m.MessageId);
          if (fifo && group !== undefined) blockedGroups.add(group);
        }
      }
    }
    await this.deleteAll(wanted.filter((m) => !keep.has(m.MessageId)));
    const result = keep.size === 0 ? 'invoked' : keep.size === wanted.length ? 'failed' : 'partial';
    this.owner.record(
      this.s.uuid,
      { time: new Date(started).toISOString(), messageIds: ids, result, durationMs: this.deps.clock.now() - started, error },
      result === 'failed' ? 'PROBLEM: Function call failed' : 'OK',
    );
  }

  /** ReportBatchItemFailures: the reported ids, or 'all' when the response is malformed. */
  private reportedFailures(batch: SqsMessage[], payload: Buffer | undefined): Set<string> | 'all' {
    if (!(this.s.config.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures')) return new Set();
    let response: unknown;
    try {
      const text = Buffer.from(payload ?? '').toString();
      response = text ? JSON.parse(text) : null;
    } catch {
      return new Set();
    }
    if (response === null || typeof response !== 'object') return new Set();
    const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
    if (failures === undefined || failures === null) return new Set();
    if (!Array.isArray(failures)) return 'all';
    const known = new Set(batch.map((m) => m.MessageId));
    const ids = new Set<string>();
    for (const f of failures) {
      const id = (f as { itemIdentifier?: unknown } | null)?.itemIdentifier;
      if (typeof id !== 'string' || !id || !known.has(id)) return 'all';
      ids.add(id);
    }
    return ids;
  }
}

/**
 * Developer endpoints (no AWS counterpart), so tests need no sleeps:
 *   GET /_nimbus/lambda/event-source-mappings/<uuid>            state and the recent batches
 *   GET /_nimbus/lambda/event-source-mappings/<uuid>/drained?timeoutMs=N
 *       waits until the source queue holds no message (visible, in flight or delayed) and no
 *       batch is being processed; 200 {"drained":true}, or 408 {"drained":false} at the timeout
 */
export async function handleMappingDeveloperRoute(mappings: EventSourceMappings, path: string, query: URLSearchParams): Promise<{ status: number; body: unknown } | undefined> {
  const m = /^\/_nimbus\/lambda\/event-source-mappings\/([0-9a-f-]{36})(\/drained)?\/?$/.exec(path);
  if (!m) return undefined;
  const row = mappings.deps.db.prepare('SELECT config FROM lambda_esm WHERE uuid = ?').get(m[1]) as { config: string } | undefined;
  if (!row) return { status: 404, body: { message: `no event source mapping ${m[1]}` } };
  const config = JSON.parse(row.config) as Stored['config'];
  if (!m[2]) return { status: 200, body: { UUID: m[1], State: config.State, EventSourceArn: config.EventSourceArn, FunctionArn: config.FunctionArn, recentBatches: mappings.recent.get(m[1]) ?? [] } };
  const clock = mappings.deps.clock;
  const deadline = clock.now() + Math.min(Number(query.get('timeoutMs') ?? 10_000) || 10_000, 120_000);
  for (;;) {
    const a = await mappings.queueAttributes(config.EventSourceArn);
    const left = Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
    if (left === 0 && !mappings.busy(m[1])) return { status: 200, body: { drained: true } };
    if (clock.now() >= deadline) return { status: 408, body: { drained: false, messagesLeft: left } };
    await new Promise((r) => setTimeout(r, 20));
  }
}
