// CloudWatch Logs: the part serverless flows need (groups, streams, events, filtering,
// retention, tags). Events live in SQLite keyed by account and region; the Lambda execution
// engine writes each invocation's output through `appendEvents`, as Lambda itself does.
import type { ServiceDeps, ServiceModule, ValidationIssue } from '../types.js';
import { coralMessage } from '../../server/validation.js';
import type { RequestContext } from '../../core/context.js';
import { partitionOf } from '../../core/context.js';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../store/db.js';
import { migrate } from '../../store/db.js';
import {
  InvalidParameterException,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  type CreateLogGroupRequest,
  type CreateLogStreamRequest,
  type DeleteLogGroupRequest,
  type DeleteLogStreamRequest,
  type DeleteRetentionPolicyRequest,
  type DescribeLogGroupsRequest,
  type DescribeLogGroupsResponse,
  type DescribeLogStreamsRequest,
  type DescribeLogStreamsResponse,
  type FilterLogEventsRequest,
  type FilterLogEventsResponse,
  type FilteredLogEvent,
  type GetLogEventsRequest,
  type GetLogEventsResponse,
  type ListTagsForResourceRequest,
  type ListTagsForResourceResponse,
  type ListTagsLogGroupRequest,
  type ListTagsLogGroupResponse,
  type LogGroup,
  type LogStream,
  type LogsApi,
  type OutputLogEvent,
  type PutLogEventsRequest,
  type PutLogEventsResponse,
  type PutRetentionPolicyRequest,
  type RejectedLogEventsInfo,
  type TagLogGroupRequest,
  type TagResourceRequest,
  type UntagLogGroupRequest,
  type UntagResourceRequest,
} from '../../generated/logs.js';
import { compileFilterPattern } from './filter-pattern.js';

const MIGRATIONS = [
  `CREATE TABLE logs_groups (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,
     created INTEGER NOT NULL, retention_days INTEGER, kms_key_id TEXT,
     log_group_class TEXT NOT NULL DEFAULT 'STANDARD', deletion_protection INTEGER NOT NULL DEFAULT 0,
     tags TEXT NOT NULL DEFAULT '{}',
     PRIMARY KEY (account_id, region, name));
   CREATE TABLE logs_streams (
     account_id TEXT NOT NULL, region TEXT NOT NULL, group_name TEXT NOT NULL, name TEXT NOT NULL,
     created INTEGER NOT NULL, first_ts INTEGER, last_ts INTEGER, last_ingest INTEGER,
     PRIMARY KEY (account_id, region, group_name, name));
   CREATE TABLE logs_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     account_id TEXT NOT NULL, region TEXT NOT NULL, group_name TEXT NOT NULL, stream_name TEXT NOT NULL,
     ts INTEGER NOT NULL, ingest INTEGER NOT NULL, message TEXT NOT NULL);
   CREATE INDEX logs_events_stream ON logs_events (account_id, region, group_name, stream_name, ts, id);
   CREATE INDEX logs_events_group ON logs_events (account_id, region, group_name, ts, id);`,
];

// The values PutRetentionPolicy accepts (the model types retentionInDays as a plain integer).
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const DAY = 86_400_000;
// PutLogEvents rejects events older than 14 days or more than 2 hours in the future.
const TOO_OLD_MS = 14 * DAY;
const TOO_NEW_MS = 2 * 3_600_000;
// GetLogEvents and FilterLogEvents return at most 10,000 events or 1 MB per page; 1 MB is also
// PutLogEvents' batch limit.
const PAGE_EVENTS = 10_000;
const PAGE_BYTES = 1_048_576;

interface GroupRow {
  account_id: string; region: string; name: string; created: number; retention_days: number | null;
  kms_key_id: string | null; log_group_class: string; deletion_protection: number; tags: string;
}
interface StreamRow {
  group_name: string; name: string; created: number; first_ts: number | null; last_ts: number | null; last_ingest: number | null;
}
interface EventRow { id: number; stream_name: string; ts: number; ingest: number; message: string }

type Scope = { accountId: string; region: string };

const groupNotFound = () => new ResourceNotFoundException('The specified log group does not exist.');
const streamNotFound = () => new ResourceNotFoundException('The specified log stream does not exist.');

export class LogsProvider implements LogsApi {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly s;

  constructor(deps: Pick<ServiceDeps, 'db' | 'clock'>) {
    this.db = deps.db;
    this.clock = deps.clock;
    migrate(this.db, 'logs', MIGRATIONS);
    const db = this.db;
    this.s = {
      group: db.prepare('SELECT * FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?'),
      insertGroup: db.prepare(`INSERT INTO logs_groups (account_id, region, name, created, kms_key_id, log_group_class, deletion_protection, tags)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteGroup: db.prepare('DELETE FROM logs_groups WHERE account_id = ? AND region = ? AND name = ?'),
      deleteGroupStreams: db.prepare('DELETE FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ?'),
      deleteGroupEvents: db.prepare('DELETE FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ?'),
      setRetention: db.prepare('UPDATE logs_groups SET retention_days = ? WHERE account_id = ? AND region = ? AND name = ?'),
      setTags: db.prepare('UPDATE logs_groups SET tags = ? WHERE account_id = ? AND region = ? AND name = ?'),
      groupsFrom: db.prepare(`SELECT * FROM logs_groups WHERE account_id = ? AND region = ? AND name >= ? AND substr(name, 1, length(?)) = ? ORDER BY name`),
      stream: db.prepare('SELECT * FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?'),
      streams: db.prepare('SELECT * FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ? ORDER BY name'),
      insertStream: db.prepare('INSERT INTO logs_streams (account_id, region, group_name, name, created) VALUES (?, ?, ?, ?, ?)'),
      deleteStream: db.prepare('DELETE FROM logs_streams WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?'),
      deleteStreamEvents: db.prepare('DELETE FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND stream_name = ?'),
      touchStream: db.prepare(`UPDATE logs_streams SET first_ts = min(coalesce(first_ts, ?), ?), last_ts = max(coalesce(last_ts, ?), ?), last_ingest = ?
        WHERE account_id = ? AND region = ? AND group_name = ? AND name = ?`),
      insertEvent: db.prepare('INSERT INTO logs_events (account_id, region, group_name, stream_name, ts, ingest, message) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      expire: db.prepare('DELETE FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND ts < ?'),
      storedBytes: db.prepare('SELECT coalesce(sum(length(CAST(message AS BLOB))), 0) AS n FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ?'),
      streamStoredBytes: db.prepare('SELECT coalesce(sum(length(CAST(message AS BLOB))), 0) AS n FROM logs_events WHERE account_id = ? AND region = ? AND group_name = ? AND stream_name = ?'),
    };
  }

  // ---- the execution engine's entry point ----

  /**
   * Writes function output as Lambda does: the group and stream are created when missing, and
   * no event is rejected for its age (the engine stamps events with the current time).
   */
  appendEvents(accountId: string, region: string, group: string, stream: string, events: { timestamp: number; message: string }[]): void {
    this.db.transaction(() => {
      const now = this.clock.now();
      if (!this.s.group.get(accountId, region, group)) this.s.insertGroup.run(accountId, region, group, now, null, 'STANDARD', 0, '{}');
      if (!this.s.stream.get(accountId, region, group, stream)) this.s.insertStream.run(accountId, region, group, stream, now);
      this.insertEvents({ accountId, region }, group, stream, events, now);
    })();
  }

  // ---- groups ----

  CreateLogGroup(input: CreateLogGroupRequest, ctx: RequestContext): void {
    if (this.s.group.get(ctx.accountId, ctx.region, input.logGroupName)) {
      throw new ResourceAlreadyExistsException('The specified log group already exists');
    }
    this.s.insertGroup.run(ctx.accountId, ctx.region, input.logGroupName, this.clock.now(), input.kmsKeyId ?? null,
      input.logGroupClass ?? 'STANDARD', input.deletionProtectionEnabled ? 1 : 0, JSON.stringify(input.tags ?? {}));
  }

  DeleteLogGroup(input: DeleteLogGroupRequest, ctx: RequestContext): void {
    const g = this.requireGroup(ctx, input.logGroupName);
    if (g.deletion_protection) {
      throw new InvalidParameterException('Log group deletion is not allowed because deletion protection is enabled.');
    }
    this.db.transaction(() => {
      this.s.deleteGroupEvents.run(ctx.accountId, ctx.region, g.name);
      this.s.deleteGroupStreams.run(ctx.accountId, ctx.region, g.name);
      this.s.deleteGroup.run(ctx.accountId, ctx.region, g.name);
    })();
  }

  DescribeLogGroups(input: DescribeLogGroupsRequest, ctx: RequestContext): DescribeLogGroupsResponse {
    if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
      throw new InvalidParameterException('LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.');
    }
    const prefix = input.logGroupNamePrefix ?? '';
    const after = input.nextToken !== undefined ? decodeToken(input.nextToken) : '';
    const limit = input.limit ?? 50;
    const pattern = input.logGroupNamePattern?.toLowerCase();
    const identifiers = input.logGroupIdentifiers?.map(groupNameOf);
    const rows = (this.s.groupsFrom.all(ctx.accountId, ctx.region, after, prefix, prefix) as GroupRow[]).filter(
      (g) => after === '' || g.name > after,
    ).filter((g) => (!pattern || g.name.toLowerCase().includes(pattern)) && (!identifiers || identifiers.includes(g.name))
      && (!input.logGroupClass || g.log_group_class === input.logGroupClass));
    const page = rows.slice(0, limit);
    return {
      logGroups: page.map((g) => this.describeGroup(g)),
      nextToken: rows.length > limit ? encodeToken(page[page.length - 1].name) : undefined,
    };
  }

  PutRetentionPolicy(input: PutRetentionPolicyRequest, ctx: RequestContext): void {
    if (!RETENTION_DAYS.includes(input.retentionInDays)) {
      throw new InvalidParameterException(
        `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
      );
    }
    const g = this.requireGroup(ctx, input.logGroupName);
    this.s.setRetention.run(input.retentionInDays, ctx.accountId, ctx.region, g.name);
  }

  DeleteRetentionPolicy(input: DeleteRetentionPolicyRequest, ctx: RequestContext): void {
    const g = this.requireGroup(ctx, input.logGroupName);
    this.s.setRetention.run(null, ctx.accountId, ctx.region, g.name);
  }

  // ---- tags ----

  TagLogGroup(input: TagLogGroupRequest, ctx: RequestContext): void {
    this.tag(ctx, input.logGroupName, input.tags, []);
  }
  UntagLogGroup(input: UntagLogGroupRequest, ctx: RequestContext): void {
    this.tag(ctx, input.logGroupName, {}, input.tags);
  }
  ListTagsLogGroup(input: ListTagsLogGroupRequest, ctx: RequestContext): ListTagsLogGroupResponse {
    return { tags: JSON.parse(this.requireGroup(ctx, input.logGroupName).tags) };
  }
  TagResource(input: TagResourceRequest, ctx: RequestContext): void {
    this.tag(ctx, this.groupFromArn(input.resourceArn), input.tags, []);
  }
  UntagResource(input: UntagResourceRequest, ctx: RequestContext): void {
    this.tag(ctx, this.groupFromArn(input.resourceArn), {}, input.tagKeys);
  }
  ListTagsForResource(input: ListTagsForResourceRequest, ctx: RequestContext): ListTagsForResourceResponse {
    return { tags: JSON.parse(this.requireGroup(ctx, this.groupFromArn(input.resourceArn)).tags) };
  }

  private tag(ctx: RequestContext, group: string, add: Record<string, string>, remove: string[]): void {
    const g = this.requireGroup(ctx, group);
    const tags: Record<string, string> = { ...JSON.parse(g.tags), ...add };
    for (const k of remove) delete tags[k];
    if (Object.keys(tags).length > 50) throw new InvalidParameterException('A resource can have no more than 50 tags.');
    this.s.setTags.run(JSON.stringify(tags), ctx.accountId, ctx.region, g.name);
  }

  private groupFromArn(resourceArn: string): string {
    const m = /^arn:[^:]+:logs:[^:]*:\d*:log-group:(.+?)(?::\*)?$/.exec(resourceArn);
    if (!m) throw new InvalidParameterException(`Invalid resource arn: ${resourceArn}`);
    return m[1];
  }

  // ---- streams ----

  CreateLogStream(input: CreateLogStreamRequest, ctx: RequestContext): void {
    const g = this.requireGroup(ctx, input.logGroupName);
    if (this.s.stream.get(ctx.accountId, ctx.region, g.name, input.logStreamName)) {
      throw new ResourceAlreadyExistsException('The specified log stream already exists');
    }
    this.s.insertStream.run(ctx.accountId, ctx.region, g.name, input.logStreamName, this.clock.now());
  }

  DeleteLogStream(input: DeleteLogStreamRequest, ctx: RequestContext): void {
    const g = this.requireGroup(ctx, input.logGroupName);
    const st = this.requireStream(ctx, g.name, input.logStreamName);
    this.db.transaction(() => {
      this.s.deleteStreamEvents.run(ctx.accountId, ctx.region, g.name, st.name);
      this.s.deleteStream.run(ctx.accountId, ctx.region, g.name, st.name);
    })();
  }

  DescribeLogStreams(input: DescribeLogStreamsRequest, ctx: RequestContext): DescribeLogStreamsResponse {
    const g = this.requireGroup(ctx, this.groupOf(input));
    const byTime = input.orderBy === 'LastEventTime';
    if (byTime && input.logStreamNamePrefix !== undefined) {
      throw new InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    let rows = (this.s.streams.all(ctx.accountId, ctx.region, g.name) as StreamRow[]).filter(
      (st) => input.logStreamNamePrefix === undefined || st.name.startsWith(input.logStreamNamePrefix),
    );
    if (byTime) rows.sort((a, b) => (a.last_ts ?? 0) - (b.last_ts ?? 0) || (a.name < b.name ? -1 : 1));
    if (input.descending) rows.reverse();
    const offset = input.nextToken !== undefined ? Number(decodeToken(input.nextToken)) || 0 : 0;
    const limit = input.limit ?? 50;
    rows = rows.slice(offset);
    const page = rows.slice(0, limit);
    return {
      logStreams: page.map((st) => this.describeStream(ctx, g.name, st)),
      nextToken: rows.length > limit ? encodeToken(String(offset + limit)) : undefined,
    };
  }

  // ---- events ----

  PutLogEvents(input: PutLogEventsRequest, ctx: RequestContext): PutLogEventsResponse {
    // Sequence tokens are accepted and ignored, as AWS does since January 2023.
    const g = this.requireGroup(ctx, input.logGroupName);
    this.requireStream(ctx, g.name, input.logStreamName);
    const events = input.logEvents;
    for (let i = 1; i < events.length; i++) {
      if (events[i].timestamp < events[i - 1].timestamp) {
        throw new InvalidParameterException('Log events in a single PutLogEvents request must be in chronological order.');
      }
    }
    // Batch size as AWS counts it: UTF-8 message bytes plus 26 bytes per event.
    const size = events.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0);
    if (size > PAGE_BYTES) throw new InvalidParameterException(`Upload too large: ${size} bytes exceeds limit of ${PAGE_BYTES}`);
    const now = this.clock.now();
    const retentionCutoff = g.retention_days ? now - g.retention_days * DAY : -Infinity;
    const rejected: RejectedLogEventsInfo = {};
    const accepted: { timestamp: number; message: string }[] = [];
    events.forEach((e, i) => {
      if (e.timestamp < now - TOO_OLD_MS) rejected.tooOldLogEventEndIndex = i;
      else if (e.timestamp < retentionCutoff) rejected.expiredLogEventEndIndex = i;
      else if (e.timestamp > now + TOO_NEW_MS) rejected.tooNewLogEventStartIndex ??= i;
      else accepted.push(e);
    });
    // The 24-hour span limit applies to the events that are not rejected for their age.
    if (accepted.length > 0 && accepted[accepted.length - 1].timestamp - accepted[0].timestamp > DAY) {
      throw new InvalidParameterException('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    }
    this.db.transaction(() => this.insertEvents(ctx, g.name, input.logStreamName, accepted, now))();
    return {
      nextSequenceToken: sequenceToken(now),
      rejectedLogEventsInfo: Object.keys(rejected).length ? rejected : undefined,
    };
  }

  GetLogEvents(input: GetLogEventsRequest, ctx: RequestContext): GetLogEventsResponse {
    const g = this.requireGroup(ctx, this.groupOf(input));
    this.requireStream(ctx, g.name, input.logStreamName);
    this.expire(ctx, g);
    const limit = input.limit ?? PAGE_EVENTS;
    const conds = ['account_id = ?', 'region = ?', 'group_name = ?', 'stream_name = ?'];
    const args: unknown[] = [ctx.accountId, ctx.region, g.name, input.logStreamName];
    if (input.startTime !== undefined) { conds.push('ts >= ?'); args.push(input.startTime); }
    if (input.endTime !== undefined) { conds.push('ts < ?'); args.push(input.endTime); }
    let direction: 'f' | 'b' = input.startFromHead ? 'f' : 'b';
    let position: EventPosition | undefined;
    if (input.nextToken !== undefined) {
      const t = parsePositionToken(input.nextToken);
      if (!t) throw new InvalidParameterException('The specified nextToken is invalid.');
      direction = t.direction;
      position = t.position;
      if (direction === 'f') { conds.push('(ts > ? OR (ts = ? AND id > ?))'); args.push(position.ts, position.ts, position.id); }
      else { conds.push('(ts < ? OR (ts = ? AND id < ?))'); args.push(position.ts, position.ts, position.id); }
    }
    const order = direction === 'f' ? 'ts ASC, id ASC' : 'ts DESC, id DESC';
    const rows = this.db.prepare(`SELECT id, stream_name, ts, ingest, message FROM logs_events WHERE ${conds.join(' AND ')} ORDER BY ${order} LIMIT ?`)
      .all(...args, limit) as EventRow[];
    const page = capBytes(rows);
    if (direction === 'b') page.reverse();
    const events: OutputLogEvent[] = page.map((r) => ({ timestamp: r.ts, message: r.message, ingestionTime: r.ingest }));
    if (page.length === 0) {
      // At either end AWS hands back the token it was given, which is how clients know to stop.
      // With no token and nothing stored yet, both tokens point before the first event, so a
      // client tailing the stream with nextForwardToken sees the events written later.
      const here = position ?? { ts: 0, id: 0 };
      return { events, nextForwardToken: positionToken('f', here), nextBackwardToken: positionToken('b', here) };
    }
    return {
      events,
      nextForwardToken: positionToken('f', page[page.length - 1]),
      nextBackwardToken: positionToken('b', page[0]),
    };
  }

  FilterLogEvents(input: FilterLogEventsRequest, ctx: RequestContext): FilterLogEventsResponse {
    const g = this.requireGroup(ctx, this.groupOf(input));
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
      throw new InvalidParameterException('You cannot specify both LogStreamNames and LogStreamNamePrefix.');
    }
    const matches = compileFilterPattern(input.filterPattern);
    this.expire(ctx, g);
    const limit = input.limit ?? PAGE_EVENTS;
    const conds = ['account_id = ?', 'region = ?', 'group_name = ?'];
    const args: unknown[] = [ctx.accountId, ctx.region, g.name];
    if (input.logStreamNames) {
      conds.push(`stream_name IN (${input.logStreamNames.map(() => '?').join(',')})`);
      args.push(...input.logStreamNames);
    }
    if (input.logStreamNamePrefix !== undefined) {
      conds.push('substr(stream_name, 1, length(?)) = ?');
      args.push(input.logStreamNamePrefix, input.logStreamNamePrefix);
    }
    if (input.startTime !== undefined) { conds.push('ts >= ?'); args.push(input.startTime); }
    if (input.endTime !== undefined) { conds.push('ts <= ?'); args.push(input.endTime); }
    if (input.nextToken !== undefined) {
      const t = parsePositionToken(decodeToken(input.nextToken));
      if (!t) throw new InvalidParameterException('The specified nextToken is invalid.');
      conds.push('(ts > ? OR (ts = ? AND id > ?))');
      args.push(t.position.ts, t.position.ts, t.position.id);
    }
    const stmt = this.db.prepare(`SELECT id, stream_name, ts, ingest, message FROM logs_events WHERE ${conds.join(' AND ')} ORDER BY ts, id`);
    const events: FilteredLogEvent[] = [];
    let bytes = 0;
    let last: EventRow | undefined;
    let more = false;
    for (const r of stmt.iterate(...args) as Iterable<EventRow>) {
      if (!matches(r.message)) continue;
      if (events.length >= limit || bytes + r.message.length > PAGE_BYTES) { more = true; break; }
      bytes += r.message.length;
      events.push({ logStreamName: r.stream_name, timestamp: r.ts, message: r.message, ingestionTime: r.ingest, eventId: eventId(r) });
      last = r;
    }
    return {
      events,
      searchedLogStreams: [],
      nextToken: more && last ? encodeToken(positionToken('f', last)) : undefined,
    };
  }

  // ---- helpers ----

  private insertEvents(scope: Scope, group: string, stream: string, events: { timestamp: number; message: string }[], now: number): void {
    if (events.length === 0) return;
    let min = Infinity;
    let max = -Infinity;
    for (const e of events) {
      this.s.insertEvent.run(scope.accountId, scope.region, group, stream, e.timestamp, now, e.message);
      min = Math.min(min, e.timestamp);
      max = Math.max(max, e.timestamp);
    }
    this.s.touchStream.run(min, min, max, max, now, scope.accountId, scope.region, group, stream);
  }

  /** Retention: events older than the group's retention period are gone. */
  private expire(scope: Scope, g: GroupRow): void {
    if (g.retention_days) this.s.expire.run(scope.accountId, scope.region, g.name, this.clock.now() - g.retention_days * DAY);
  }

  private groupOf(input: { logGroupName?: string; logGroupIdentifier?: string }): string {
    if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
      throw new InvalidParameterException('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    }
    const name = input.logGroupName ?? (input.logGroupIdentifier !== undefined ? groupNameOf(input.logGroupIdentifier) : undefined);
    if (name === undefined) throw new InvalidParameterException('Either LogGroupName or LogGroupIdentifier must be specified.');
    return name;
  }

  private requireGroup(scope: Scope, name: string): GroupRow {
    const g = this.s.group.get(scope.accountId, scope.region, name) as GroupRow | undefined;
    if (!g) throw groupNotFound();
    return g;
  }

  private requireStream(scope: Scope, group: string, name: string): StreamRow {
    const st = this.s.stream.get(scope.accountId, scope.region, group, name) as StreamRow | undefined;
    if (!st) throw streamNotFound();
    return st;
  }

  private describeGroup(g: GroupRow): LogGroup {
    this.expire({ accountId: g.account_id, region: g.region }, g);
    const logGroupArn = `arn:${partitionOf(g.region)}:logs:${g.region}:${g.account_id}:log-group:${g.name}`;
    return {
      logGroupName: g.name,
      creationTime: g.created,
      retentionInDays: g.retention_days ?? undefined,
      metricFilterCount: 0,
      arn: `${logGroupArn}:*`,
      storedBytes: (this.s.storedBytes.get(g.account_id, g.region, g.name) as { n: number }).n,
      kmsKeyId: g.kms_key_id ?? undefined,
      logGroupClass: g.log_group_class,
      logGroupArn,
      deletionProtectionEnabled: g.deletion_protection === 1,
    };
  }

  private describeStream(scope: Scope, group: string, st: StreamRow): LogStream {
    return {
      logStreamName: st.name,
      creationTime: st.created,
      firstEventTimestamp: st.first_ts ?? undefined,
      lastEventTimestamp: st.last_ts ?? undefined,
      lastIngestionTime: st.last_ingest ?? undefined,
      uploadSequenceToken: sequenceToken(st.last_ingest ?? st.created),
      arn: `arn:${partitionOf(scope.region)}:logs:${scope.region}:${scope.accountId}:log-group:${group}:log-stream:${st.name}`,
      storedBytes: (this.s.streamStoredBytes.get(scope.accountId, scope.region, group, st.name) as { n: number }).n,
    };
  }
}

interface EventPosition { ts: number; id: number }

// Tokens look like AWS's: "f/" or "b/" and 56 digits (here: the event timestamp and row id).
function positionToken(direction: 'f' | 'b', p: EventPosition): string {
  return `${direction}/${String(p.ts).padStart(20, '0')}${String(p.id).padStart(36, '0')}`;
}
function parsePositionToken(token: string): { direction: 'f' | 'b'; position: EventPosition } | undefined {
  const m = /^([fb])\/(\d{20})(\d{36})$/.exec(token);
  if (!m) return undefined;
  return { direction: m[1] as 'f' | 'b', position: { ts: Number(m[2]), id: Number(m[3]) } };
}
function eventId(r: EventRow): string {
  return `${String(r.ts).padStart(20, '0')}${String(r.id).padStart(36, '0')}`;
}
function sequenceToken(n: number): string {
  return String(n).padStart(56, '0');
}
function encodeToken(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
function decodeToken(s: string): string {
  return Buffer.from(s, 'base64url').toString('utf8');
}
function groupNameOf(identifier: string): string {
  const m = /^arn:[^:]+:logs:[^:]*:\d*:log-group:(.+?)(?::\*)?$/.exec(identifier);
  return m ? m[1] : identifier;
}
function capBytes(rows: EventRow[]): EventRow[] {
  let bytes = 0;
  const out: EventRow[] = [];
  for (const r of rows) {
    bytes += r.message.length + 26;
    if (bytes > PAGE_BYTES && out.length > 0) break;
    out.push(r);
  }
  return out;
}

const mod: ServiceModule = {
  createProvider: (deps: ServiceDeps) => new LogsProvider(deps),
  // CloudWatch Logs words constraint violations the Coral way but under InvalidParameterException
  // ("1 validation error detected: Value '' at 'logGroupName' failed to satisfy constraint: ...").
  validationError: (issues: ValidationIssue[]) => new InvalidParameterException(coralMessage(issues)),
};
export const { createProvider, validationError } = mod;
