// The queue engine: queues and messages in SQLite, receive by index, long-poll waiters.
// It knows AWS's queue semantics (visibility, delay, retention, FIFO groups and deduplication,
// redrive) but no request shapes and no error wording: the provider validates and words errors.
//
// Indexing: a receive reads due messages through (queue_id, visible_at, seq), so it costs the
// same with 10 or 100,000 messages queued; expiry deletes through (queue_id, enqueued_at).
// FIFO: each message group's oldest message is marked `head`. Messages of a group are received
// in order, so the in-flight ones are always at the front: a group is deliverable exactly when
// its head is visible. A FIFO receive reads visible heads through a partial index, then each
// chosen group's following visible messages through (queue_id, group_id, seq); the next message
// becomes head when the head is deleted, expires or moves. No receive walks a blocked group.
//
// Durability: every operation is one SQLite transaction in a WAL database, committed before the
// answer, so an acknowledged SendMessage survives kill -9. With NIMBUS_FSYNC on, a send is
// acknowledged only after its synchronous=FULL commit (sendDurably groups concurrent sends into
// one), so it survives a power cut too. In-flight messages keep their visible_at, so
// after a restart they reappear when their timeout ends.
import crypto from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { partitionOf } from '../../core/context.js';
import { fsyncs, migrate, relaxedTransaction, type Db } from '../../store/db.js';

const MIGRATIONS = [
  `CREATE TABLE sqs_queues (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     account_id TEXT NOT NULL,
     region TEXT NOT NULL,
     name TEXT NOT NULL,
     fifo INTEGER NOT NULL,
     attributes TEXT NOT NULL,
     tags TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     modified_at INTEGER NOT NULL,
     purged_at INTEGER,
     UNIQUE (account_id, region, name)
   );
   CREATE TABLE sqs_messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     queue_id INTEGER NOT NULL,
     message_id TEXT NOT NULL,
     body TEXT NOT NULL,
     attributes TEXT,
     system_attributes TEXT,
     md5_body TEXT NOT NULL,
     md5_attributes TEXT,
     md5_system_attributes TEXT,
     sender_id TEXT NOT NULL,
     sent_at INTEGER NOT NULL,
     enqueued_at INTEGER NOT NULL,
     visible_at INTEGER NOT NULL,
     receive_count INTEGER NOT NULL DEFAULT 0,
     first_received_at INTEGER,
     receipt_token TEXT,
     group_id TEXT,
     dedup_id TEXT,
     dlq_source_arn TEXT,
     head INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX sqs_messages_due ON sqs_messages (queue_id, visible_at, seq);
   CREATE INDEX sqs_messages_age ON sqs_messages (queue_id, enqueued_at);
   CREATE INDEX sqs_messages_group ON sqs_messages (queue_id, group_id, seq) WHERE group_id IS NOT NULL;
   CREATE INDEX sqs_messages_heads ON sqs_messages (queue_id, visible_at, seq) WHERE head = 1;
   CREATE TABLE sqs_dedup (
     queue_id INTEGER NOT NULL,
     dedup_key TEXT NOT NULL,
     message_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (queue_id, dedup_key)
   ) WITHOUT ROWID;`,
];

/** A send whose queue was deleted between the request and its group commit. */
export class QueueGone extends Error {}

/** FIFO deduplication interval (AWS: 5 minutes). */
export const DEDUP_WINDOW_MS = 5 * 60 * 1000;

export interface Queue {
  id: number;
  accountId: string;
  region: string;
  name: string;
  fifo: boolean;
  arn: string;
  /** every settable attribute, with AWS's names and string values, defaults filled in */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  modifiedAt: number;
  purgedAt?: number;
}

export interface NewMessage {
  messageId: string;
  body: string;
  /** JSON of the message attributes as stored (see provider) */
  attributes?: string;
  systemAttributes?: string;
  md5Body: string;
  md5Attributes?: string;
  md5SystemAttributes?: string;
  senderId: string;
  delayMs: number;
  groupId?: string;
  dedupId?: string;
  /** the deduplication key (already scoped by group when DeduplicationScope=messageGroup) */
  dedupKey?: string;
}

export interface SendOutcome {
  messageId: string;
  seq: number;
  /** FIFO: the message was a duplicate within the deduplication interval and was not enqueued */
  duplicate: boolean;
}

export interface StoredMessage {
  seq: number;
  message_id: string;
  body: string;
  attributes: string | null;
  system_attributes: string | null;
  md5_body: string;
  md5_attributes: string | null;
  md5_system_attributes: string | null;
  sender_id: string;
  sent_at: number;
  enqueued_at: number;
  visible_at: number;
  receive_count: number;
  first_received_at: number | null;
  receipt_token: string | null;
  group_id: string | null;
  dedup_id: string | null;
  dlq_source_arn: string | null;
  head: number;
}

export interface ReceivedMessage extends StoredMessage {
  receiptHandle: string;
}

export interface Redrive {
  deadLetterQueue: Queue;
  maxReceiveCount: number;
}

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

type Waiter = () => void;

/** SQS's FIFO sequence numbers are 20-digit decimal strings that only grow. */
export function sequenceNumber(seq: number): string {
  return (10n ** 19n + BigInt(seq)).toString();
}

const HANDLE_PREFIX = 'nimbus1';

export function encodeReceiptHandle(queueId: number, seq: number, token: string): string {
  return Buffer.from(`${HANDLE_PREFIX}:${queueId}:${seq}:${token}`).toString('base64');
}

export function decodeReceiptHandle(handle: string): { queueId: number; seq: number; token: string } | undefined {
  if (!/^[A-Za-z0-9+/=_-]+$/.test(handle)) return undefined;
  const parts = Buffer.from(handle, 'base64').toString('utf8').split(':');
  if (parts.length !== 4 || parts[0] !== HANDLE_PREFIX) return undefined;
  const queueId = Number(parts[1]);
  const seq = Number(parts[2]);
  if (!Number.isSafeInteger(queueId) || !Number.isSafeInteger(seq) || !/^[0-9a-f]{24}$/.test(parts[3])) return undefined;
  return { queueId, seq, token: parts[3] };
}

interface QueueRow {
  id: number;
  account_id: string;
  region: string;
  name: string;
  fifo: number;
  attributes: string;
  tags: string;
  created_at: number;
  modified_at: number;
  purged_at: number | null;
}

export class QueueEngine {
  private readonly cache = new Map<string, Queue | null>();
  private readonly waiters = new Map<number, Set<Waiter>>();
  private pending: { q: Queue; messages: NewMessage[]; resolve: (r: SendOutcome[]) => void; reject: (e: unknown) => void }[] = [];
  private closed = false;
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    migrate(db, 'sqs', MIGRATIONS);
    const p = <T = unknown>(sql: string) => db.prepare<unknown[], T>(sql);
    this.s = {
      queueByName: p<QueueRow>('SELECT * FROM sqs_queues WHERE account_id = ? AND region = ? AND name = ?'),
      queueById: p<QueueRow>('SELECT * FROM sqs_queues WHERE id = ?'),
      queuesByPrefix: p<QueueRow>("SELECT * FROM sqs_queues WHERE account_id = ? AND region = ? AND substr(name, 1, length(?)) = ? AND name > ? ORDER BY name LIMIT ?"),
      allQueues: p<QueueRow>('SELECT * FROM sqs_queues'),
      insertQueue: p('INSERT INTO sqs_queues (account_id, region, name, fifo, attributes, tags, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      updateAttributes: p('UPDATE sqs_queues SET attributes = ?, modified_at = ? WHERE id = ?'),
      updateTags: p('UPDATE sqs_queues SET tags = ? WHERE id = ?'),
      updatePurged: p('UPDATE sqs_queues SET purged_at = ? WHERE id = ?'),
      deleteQueue: p('DELETE FROM sqs_queues WHERE id = ?'),
      deleteQueueMessages: p('DELETE FROM sqs_messages WHERE queue_id = ?'),
      deleteQueueDedup: p('DELETE FROM sqs_dedup WHERE queue_id = ?'),
      insertMessage: p(
        `INSERT INTO sqs_messages (queue_id, message_id, body, attributes, system_attributes, md5_body, md5_attributes, md5_system_attributes,
           sender_id, sent_at, enqueued_at, visible_at, receive_count, first_received_at, receipt_token, group_id, dedup_id, dlq_source_arn, head)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, NULL, ?, ?, ?, ?)`,
      ),
      groupHasMessages: p<{ one: number }>('SELECT 1 AS one FROM sqs_messages WHERE queue_id = ? AND group_id = ? LIMIT 1'),
      promoteHead: p(
        `UPDATE sqs_messages SET head = 1
          WHERE seq = (SELECT seq FROM sqs_messages WHERE queue_id = ? AND group_id = ? ORDER BY seq LIMIT 1)`,
      ),
      dedupGet: p<{ message_id: string; seq: number }>('SELECT message_id, seq FROM sqs_dedup WHERE queue_id = ? AND dedup_key = ? AND expires_at > ?'),
      dedupPut: p('INSERT OR REPLACE INTO sqs_dedup (queue_id, dedup_key, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)'),
      dedupExpire: p('DELETE FROM sqs_dedup WHERE queue_id = ? AND expires_at <= ?'),
      expire: p<{ group_id: string | null; head: number }>('DELETE FROM sqs_messages WHERE queue_id = ? AND enqueued_at <= ? RETURNING group_id, head'),
      dueStandard: p<StoredMessage>('SELECT * FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?'),
      dueHeads: p<StoredMessage>('SELECT * FROM sqs_messages WHERE queue_id = ? AND head = 1 AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?'),
      groupAfter: p<StoredMessage>('SELECT * FROM sqs_messages WHERE queue_id = ? AND group_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      markReceived: p('UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, first_received_at = coalesce(first_received_at, ?), receipt_token = ? WHERE seq = ?'),
      bySeq: p<StoredMessage>('SELECT * FROM sqs_messages WHERE seq = ? AND queue_id = ?'),
      deleteBySeq: p<{ group_id: string | null; head: number }>('DELETE FROM sqs_messages WHERE seq = ? RETURNING group_id, head'),
      deleteByHandle: p<{ group_id: string | null; head: number }>('DELETE FROM sqs_messages WHERE seq = ? AND queue_id = ? AND receipt_token = ? RETURNING group_id, head'),
      setVisibleAt: p('UPDATE sqs_messages SET visible_at = ? WHERE seq = ?'),
      nextDue: p<{ t: number | null }>('SELECT min(visible_at) AS t FROM sqs_messages WHERE queue_id = ? AND visible_at > ?'),
      counts: p<{ visible: number | null; inflight: number | null; delayed: number | null }>(
        `SELECT sum(visible_at <= @now) AS visible, sum(visible_at > @now AND receive_count > 0) AS inflight,
                sum(visible_at > @now AND receive_count = 0) AS delayed
           FROM sqs_messages WHERE queue_id = @queue`,
      ),
      visibleBatch: p<StoredMessage>('SELECT * FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?'),
    };
  }

  // ---- queues ----

  private toQueue(r: QueueRow): Queue {
    return {
      id: r.id,
      accountId: r.account_id,
      region: r.region,
      name: r.name,
      fifo: r.fifo === 1,
      arn: `arn:${partitionOf(r.region)}:sqs:${r.region}:${r.account_id}:${r.name}`,
      attributes: JSON.parse(r.attributes),
      tags: JSON.parse(r.tags),
      createdAt: r.created_at,
      modifiedAt: r.modified_at,
      purgedAt: r.purged_at ?? undefined,
    };
  }

  getQueue(accountId: string, region: string, name: string): Queue | undefined {
    const key = `${accountId}\n${region}\n${name}`;
    let q = this.cache.get(key);
    if (q === undefined) {
      const row = this.s.queueByName.get(accountId, region, name);
      q = row ? this.toQueue(row) : null;
      this.cache.set(key, q);
    }
    return q ?? undefined;
  }

  getQueueByArn(arn: string): Queue | undefined {
    const m = /^arn:[\w-]+:sqs:([a-z0-9-]+):(\d{12}):(.+)$/.exec(arn);
    return m ? this.getQueue(m[2], m[1], m[3]) : undefined;
  }

  private invalidate(q: Pick<Queue, 'accountId' | 'region' | 'name'>): void {
    this.cache.delete(`${q.accountId}\n${q.region}\n${q.name}`);
  }

  createQueue(accountId: string, region: string, name: string, fifo: boolean, attributes: Record<string, string>, tags: Record<string, string>): Queue {
    const now = this.clock.now();
    this.s.insertQueue.run(accountId, region, name, fifo ? 1 : 0, JSON.stringify(attributes), JSON.stringify(tags), now, now);
    this.invalidate({ accountId, region, name });
    return this.getQueue(accountId, region, name)!;
  }

  setAttributes(q: Queue, attributes: Record<string, string>): Queue {
    this.s.updateAttributes.run(JSON.stringify(attributes), this.clock.now(), q.id);
    this.invalidate(q);
    this.notify(q.id);
    return this.getQueue(q.accountId, q.region, q.name)!;
  }

  setTags(q: Queue, tags: Record<string, string>): void {
    this.s.updateTags.run(JSON.stringify(tags), q.id);
    this.invalidate(q);
  }

  deleteQueue(q: Queue): void {
    this.db.transaction(() => {
      this.s.deleteQueueMessages.run(q.id);
      this.s.deleteQueueDedup.run(q.id);
      this.s.deleteQueue.run(q.id);
    })();
    this.invalidate(q);
    this.notify(q.id);
  }

  /** Queues of an account and region whose name starts with prefix, by name, after `after`. */
  listQueues(accountId: string, region: string, prefix: string, after: string, limit: number): Queue[] {
    return this.s.queuesByPrefix.all(accountId, region, prefix, prefix, after, limit).map((r) => this.toQueue(r));
  }

  allQueues(): Queue[] {
    return this.s.allQueues.all().map((r) => this.toQueue(r));
  }

  // ---- messages ----

  private expire(q: Queue, now: number): void {
    const retentionMs = Number(q.attributes.MessageRetentionPeriod) * 1000;
    const gone = this.s.expire.all(q.id, now - retentionMs);
    for (const r of gone) this.afterDelete(q.id, r);
  }

  /** A FIFO group whose head left gets its next message as head. */
  private afterDelete(queueId: number, removed: { group_id: string | null; head: number } | undefined): void {
    if (removed?.head === 1 && removed.group_id !== null) this.s.promoteHead.run(queueId, removed.group_id);
  }

  private isNewHead(q: Queue, groupId: string | null | undefined): number {
    return q.fifo && groupId ? (this.s.groupHasMessages.get(q.id, groupId) ? 0 : 1) : 0;
  }

  send(q: Queue, messages: NewMessage[]): SendOutcome[] {
    const out = this.db.transaction(() => this.insertMessages(q, messages))();
    this.notify(q.id);
    return out;
  }

  /**
   * Like send, with group commit when commits wait for the disk (NIMBUS_FSYNC): sends that arrive together (in
   * one turn of the event loop) share one transaction, so one fsync of synchronous=FULL, and
   * each is acknowledged only after that commit. An fsync costs about a millisecond; sharing it
   * is what lets concurrent senders reach thousands of messages a second.
   */
  sendDurably(q: Queue, messages: NewMessage[]): Promise<SendOutcome[]> {
    if (!fsyncs(this.db)) return Promise.resolve(this.send(q, messages));
    return new Promise((resolve, reject) => {
      this.pending.push({ q, messages, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const results: (SendOutcome[] | Error)[] = [];
    try {
      this.db.transaction(() => {
        for (const b of batch) {
          try {
            if (!this.s.queueById.get(b.q.id)) throw new QueueGone();
            // a nested transaction is a savepoint: one failing send does not undo the others
            results.push(this.db.transaction(() => this.insertMessages(b.q, b.messages))());
          } catch (e) {
            results.push(e as Error);
          }
        }
      })();
    } catch (e) {
      for (const b of batch) b.reject(e);
      return;
    }
    batch.forEach((b, i) => {
      const r = results[i];
      if (r instanceof Error) b.reject(r);
      else b.resolve(r);
    });
    for (const id of new Set(batch.map((b) => b.q.id))) this.notify(id);
  }

  private insertMessages(q: Queue, messages: NewMessage[]): SendOutcome[] {
    const now = this.clock.now();
    if (q.fifo) this.s.dedupExpire.run(q.id, now);
    return messages.map((m): SendOutcome => {
      if (m.dedupKey !== undefined) {
        const dup = this.s.dedupGet.get(q.id, m.dedupKey, now);
        if (dup) return { messageId: dup.message_id, seq: dup.seq, duplicate: true };
      }
      const info = this.s.insertMessage.run(
        q.id, m.messageId, m.body, m.attributes ?? null, m.systemAttributes ?? null, m.md5Body, m.md5Attributes ?? null,
        m.md5SystemAttributes ?? null, m.senderId, now, now, now + m.delayMs, m.groupId ?? null, m.dedupId ?? null, null,
        this.isNewHead(q, m.groupId),
      );
      const seq = Number(info.lastInsertRowid);
      if (m.dedupKey !== undefined) this.s.dedupPut.run(q.id, m.dedupKey, m.messageId, seq, now + DEDUP_WINDOW_MS);
      return { messageId: m.messageId, seq, duplicate: false };
    });
  }

  /**
   * Receives, deletes and visibility changes never wait for the disk, even with NIMBUS_FSYNC on:
   * losing one to a power cut only makes a message visible again, which SQS's at-least-once
   * delivery allows.
   */
  private relaxed<T>(fn: () => T): T {
    return relaxedTransaction(this.db, fn);
  }


  /**
   * Takes up to `max` deliverable messages, makes them invisible for visibilityMs and counts the
   * receive. A message whose receive count already reached the redrive policy's maxReceiveCount
   * is moved to the dead-letter queue instead (AWS moves it on the receive that would exceed it).
   */
  receive(q: Queue, max: number, visibilityMs: number, redrive?: Redrive): ReceivedMessage[] {
    const now = this.clock.now();
    let movedTo: Queue | undefined;
    const got = this.relaxed(() => {
      this.expire(q, now);
      const result: ReceivedMessage[] = [];
      for (;;) {
        const want = max - result.length;
        const rows = q.fifo ? this.dueFifo(q, now, want) : this.s.dueStandard.all(q.id, now, want);
        let moved = 0;
        for (const row of rows) {
          if (redrive && row.receive_count >= redrive.maxReceiveCount) {
            this.moveRow(row, q.id, redrive.deadLetterQueue, now, q.arn);
            movedTo = redrive.deadLetterQueue;
            moved++;
            continue;
          }
          const token = crypto.randomBytes(12).toString('hex');
          this.s.markReceived.run(now + visibilityMs, now, token, row.seq);
          result.push({
            ...row,
            visible_at: now + visibilityMs,
            receive_count: row.receive_count + 1,
            first_received_at: row.first_received_at ?? now,
            receipt_token: token,
            receiptHandle: encodeReceiptHandle(q.id, row.seq, token),
          });
        }
        if (moved === 0 || result.length >= max) break;
      }
      return result;
    });
    if (movedTo) this.notify(movedTo.id);
    return got;
  }

  /**
   * Deliverable FIFO messages: visible group heads, oldest first, each followed by the next
   * visible messages of its group (AWS returns as many of one group as it can, in order).
   */
  private dueFifo(q: Queue, now: number, want: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const head of this.s.dueHeads.all(q.id, now, want)) {
      if (out.length >= want) break;
      out.push(head);
      for (const next of this.s.groupAfter.all(q.id, head.group_id, head.seq, want - out.length)) {
        if (next.visible_at > now) break;
        out.push(next);
      }
    }
    return out;
  }

  /**
   * Re-enqueues a stored message on another queue (dead-letter moves and redrives). The message
   * keeps its id, body, attributes and SentTimestamp. Retention: AWS counts a standard
   * message's age from its original enqueue time, a FIFO message's from the move.
   */
  private moveRow(row: StoredMessage, from: number, target: Queue, now: number, dlqSourceArn: string | null): void {
    this.afterDelete(from, this.s.deleteBySeq.get(row.seq));
    this.s.insertMessage.run(
      target.id, row.message_id, row.body, row.attributes, row.system_attributes, row.md5_body, row.md5_attributes,
      row.md5_system_attributes, row.sender_id, row.sent_at, target.fifo ? now : row.enqueued_at, now,
      row.group_id, row.dedup_id, dlqSourceArn, this.isNewHead(target, row.group_id),
    );
  }

  /** The messages of a previous receive, when each is still in flight under the same handle. */
  redeliver(q: Queue, previous: { seq: number; token: string }[]): ReceivedMessage[] | undefined {
    const now = this.clock.now();
    const out: ReceivedMessage[] = [];
    for (const p of previous) {
      const row = this.s.bySeq.get(p.seq, q.id);
      if (!row || row.receipt_token !== p.token || row.visible_at <= now) return undefined;
      out.push({ ...row, receiptHandle: encodeReceiptHandle(q.id, row.seq, p.token) });
    }
    return out;
  }

  /**
   * False when the handle is stale or the message already gone; the provider answers success
   * either way, as AWS does ("the request succeeds, but the message might not be deleted").
   */
  deleteMessage(q: Queue, handle: { seq: number; token: string }): boolean {
    const deleted = this.relaxed(() => {
      const removed = this.s.deleteByHandle.get(handle.seq, q.id, handle.token);
      this.afterDelete(q.id, removed);
      return removed !== undefined;
    });
    // Deleting a FIFO message can unblock its group: pollers look again.
    if (deleted && q.fifo) this.notify(q.id);
    return deleted;
  }

  deleteMessages(q: Queue, handles: { seq: number; token: string }[]): void {
    this.relaxed(() => {
      for (const h of handles) this.afterDelete(q.id, this.s.deleteByHandle.get(h.seq, q.id, h.token));
    });
    if (q.fifo) this.notify(q.id);
  }

  changeVisibility(q: Queue, handle: { seq: number; token: string }, visibilityMs: number): 'ok' | 'gone' | 'not-in-flight' {
    const now = this.clock.now();
    const row = this.s.bySeq.get(handle.seq, q.id);
    if (!row || row.receipt_token !== handle.token) return 'gone';
    if (row.visible_at <= now) return 'not-in-flight';
    this.relaxed(() => this.s.setVisibleAt.run(now + visibilityMs, row.seq));
    this.notify(q.id); // waiters recompute the next due time
    return 'ok';
  }

  purge(q: Queue): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      this.s.deleteQueueMessages.run(q.id);
      this.s.updatePurged.run(now, q.id);
    })();
    this.invalidate(q);
  }

  counts(q: Queue): QueueCounts {
    const now = this.clock.now();
    this.relaxed(() => this.expire(q, now));
    const c = this.s.counts.get({ queue: q.id, now })!;
    return { visible: c.visible ?? 0, inFlight: c.inflight ?? 0, delayed: c.delayed ?? 0 };
  }

  /** Moves up to `limit` visible messages of `from` to the queue `targetOf` names (undefined: skip). */
  moveVisible(from: Queue, limit: number, targetOf: (m: StoredMessage) => Queue | undefined): number {
    const now = this.clock.now();
    const touched = new Set<number>();
    const moved = this.db.transaction(() => {
      this.expire(from, now);
      let n = 0;
      for (const row of this.s.visibleBatch.all(from.id, now, limit)) {
        const target = targetOf(row);
        if (!target) continue;
        this.moveRow(row, from.id, target, now, null);
        touched.add(target.id);
        n++;
      }
      return n;
    })();
    for (const id of touched) this.notify(id);
    return moved;
  }

  // ---- long polling ----

  /**
   * Resolves when the queue may have something to deliver (a send, a visibility change, a
   * delayed or in-flight message falling due), at `deadline`, on abort, or on shutdown. Callers
   * loop: try to receive, wait, try again. This is also the hook for the Lambda event source
   * mapping poller: receive through the provider, and between empty receives await this.
   */
  waitForMessages(queueId: number, deadline: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
    const now = this.clock.now();
    if (deadline <= now) return Promise.resolve();
    const nextDue = this.s.nextDue.get(queueId, now)?.t ?? Infinity;
    const wakeAt = Math.min(deadline, nextDue);
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined;
      const set = this.waiters.get(queueId) ?? new Set<Waiter>();
      this.waiters.set(queueId, set);
      const done: Waiter = () => {
        timer?.cancel();
        set.delete(done);
        if (set.size === 0 && this.waiters.get(queueId) === set) this.waiters.delete(queueId);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      set.add(done);
      timer = this.clock.setTimeout(done, wakeAt - now);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  notify(queueId: number): void {
    const set = this.waiters.get(queueId);
    if (!set) return;
    for (const w of [...set]) w();
  }

  close(): void {
    if (this.pending.length) this.flush();
    this.closed = true;
    for (const id of [...this.waiters.keys()]) this.notify(id);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}
