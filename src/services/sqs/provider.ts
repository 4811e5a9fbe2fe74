// The SQS provider: every operation of the model with AWS's member names, validation and error
// wording. Queue state and delivery live in the engine; this file decides what AWS would accept
// and how it answers. Error codes follow the JSON protocol's shape names; the query codes
// (AWS.SimpleQueueService.NonExistentQueue, ...) come from the model's error hints.
import crypto from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import { partitionOf } from '../../core/context.js';
import { ServiceError } from '../../core/errors.js';
import type { ServiceDeps } from '../types.js';
import * as G from '../../generated/sqs.js';
import { md5Hex, md5OfAttributes, type AttributeValue } from './md5.js';
import { decodeReceiptHandle, sequenceNumber, QueueEngine, QueueGone, type NewMessage, type Queue, type ReceivedMessage, type Redrive } from './engine.js';
import { parseQueueArn, parseQueueUrl, queueUrl } from './urls.js';
import { MoveTasks } from './moves.js';

const MiB = 1024 * 1024;

// ---- AWS's non-modelled error codes (query code == JSON code) ----

export function invalidParameterValue(message: string): ServiceError {
  return new ServiceError('InvalidParameterValue', message);
}
export function missingParameter(name: string): ServiceError {
  return new ServiceError('MissingParameter', `The request must contain the parameter ${name}.`);
}
function outOfRange(param: string, value: unknown, min: number, max: number, optional = false): ServiceError {
  return invalidParameterValue(`Value ${value} for parameter ${param} is invalid. Reason: Must be >= ${min} and <= ${max}${optional ? ', if provided' : ''}.`);
}
function queueDoesNotExist(): ServiceError {
  return new G.QueueDoesNotExist('The specified queue does not exist.');
}
function invalidAttributeValue(name: string): ServiceError {
  return new G.InvalidAttributeValue(`Invalid value for the parameter ${name}.`);
}
function unknownAttribute(name: string): ServiceError {
  return new G.InvalidAttributeName(`Unknown Attribute ${name}.`);
}

// ---- queue attributes ----

const INT_ATTRIBUTES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, MiB],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};
const SETTABLE = new Set([...Object.keys(INT_ATTRIBUTES), 'Policy', 'RedrivePolicy', 'RedriveAllowPolicy', 'KmsMasterKeyId', 'SqsManagedSseEnabled']);
const FIFO_SETTABLE = new Set(['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);
const COMPUTED = [
  'QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp', 'LastModifiedTimestamp',
];
// The order AWS lists attributes in for AttributeNames=All.
const ALL_ORDER = [
  'QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp', 'LastModifiedTimestamp', 'VisibilityTimeout', 'MaximumMessageSize', 'MessageRetentionPeriod', 'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds', 'Policy', 'RedrivePolicy', 'RedriveAllowPolicy', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled', 'FifoQueue', 'ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit',
];

function defaultAttributes(fifo: boolean): Record<string, string> {
  const a: Record<string, string> = {
    VisibilityTimeout: '30',
    // 1 MiB: AWS raised the maximum (and default) message size from 256 KiB in August 2025.
    MaximumMessageSize: String(MiB),
    MessageRetentionPeriod: '345600',
    DelaySeconds: '0',
    ReceiveMessageWaitTimeSeconds: '0',
    // SSE-SQS is on by default for queues created since 2022.
    SqsManagedSseEnabled: 'true',
  };
  if (fifo) Object.assign(a, { FifoQueue: 'true', ContentBasedDeduplication: 'false', DeduplicationScope: 'queue', FifoThroughputLimit: 'perQueue' });
  return a;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FIFO_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;
// XML 1.0 characters, the set SQS accepts in bodies and string attribute values.
// eslint-disable-next-line no-control-regex
const INVALID_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const INVALID_CHARS_MESSAGE = 'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF';

interface StoredAttribute {
  t: string;
  s?: string;
  b?: string;
}

function storeAttributes(attrs: Record<string, AttributeValue> | undefined): string | undefined {
  if (!attrs || Object.keys(attrs).length === 0) return undefined;
  const out: Record<string, StoredAttribute> = {};
  for (const [k, v] of Object.entries(attrs)) {
    out[k] = v.DataType.startsWith('Binary') ? { t: v.DataType, b: (v.BinaryValue ?? Buffer.alloc(0)).toString('base64') } : { t: v.DataType, s: v.StringValue ?? '' };
  }
  return JSON.stringify(out);
}

function loadAttributes(json: string | null): Record<string, G.MessageAttributeValue> {
  if (!json) return {};
  const out: Record<string, G.MessageAttributeValue> = {};
  for (const [k, v] of Object.entries<StoredAttribute>(JSON.parse(json))) {
    out[k] = v.b !== undefined ? { DataType: v.t, BinaryValue: Buffer.from(v.b, 'base64') } : { DataType: v.t, StringValue: v.s };
  }
  return out;
}

function asList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

interface ReceiveAttempt {
  at: number;
  handles: { seq: number; token: string }[];
}

export class SqsProvider implements G.SqsApi {
  readonly engine: QueueEngine;
  readonly moves: MoveTasks;
  private readonly attempts = new Map<string, ReceiveAttempt>();

  constructor(private readonly deps: ServiceDeps) {
    this.engine = new QueueEngine(deps.db, deps.clock);
    this.moves = new MoveTasks(this.engine, deps.clock, deps.log);
  }

  close(): void {
    this.moves.close();
    this.engine.close();
  }

  // ---- resolution ----

  /** The queue a QueueUrl names; AWS answers QueueDoesNotExist for anything it cannot resolve. */
  resolve(url: string | undefined, ctx: RequestContext): Queue {
    if (url === undefined || url === '') throw missingParameter('QueueUrl');
    const addr = parseQueueUrl(url);
    if (!addr) throw queueDoesNotExist();
    // Paths like ElasticMQ's /queue/<name> carry no account: the caller's own is meant.
    const account = addr.accountId && /^\d{12}$/.test(addr.accountId) ? addr.accountId : ctx.accountId;
    const q = this.engine.getQueue(account, addr.region ?? ctx.region, addr.name);
    if (!q) throw queueDoesNotExist();
    return q;
  }

  urlOf(q: Queue, ctx: RequestContext): string {
    return queueUrl(ctx.endpoint, q.accountId, q.name);
  }

  private redriveOf(q: Queue): Redrive | undefined {
    const policy = q.attributes.RedrivePolicy ? parseJsonObject(q.attributes.RedrivePolicy) : undefined;
    if (!policy) return undefined;
    const dlq = this.engine.getQueueByArn(String(policy.deadLetterTargetArn));
    if (!dlq) return undefined;
    return { deadLetterQueue: dlq, maxReceiveCount: Number(policy.maxReceiveCount) };
  }

  // ---- queues ----

  CreateQueue(input: G.CreateQueueRequest, ctx: RequestContext): G.CreateQueueResult {
    const name = input.QueueName;
    const requested = input.Attributes ?? {};
    const fifoAttr = requested.FifoQueue;
    const fifo = name.endsWith('.fifo');
    if (fifoAttr !== undefined && !/^(true|false)$/i.test(fifoAttr)) throw invalidAttributeValue('FifoQueue');
    const wantsFifo = fifoAttr?.toLowerCase() === 'true';
    if (wantsFifo) {
      if (!FIFO_NAME.test(name)) {
        throw invalidParameterValue('The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.');
      }
    } else if (!QUEUE_NAME.test(name)) {
      // also a .fifo name without FifoQueue=true: a standard queue's name cannot contain '.'
      throw invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const settings = this.checkAttributes(requested, fifo, ctx, name, true);
    const existing = this.engine.getQueue(ctx.accountId, ctx.region, name);
    if (existing) {
      // Idempotent with equal attributes; any requested attribute that differs is a conflict.
      for (const [k, v] of Object.entries(settings)) {
        if ((existing.attributes[k] ?? '') !== v) {
          throw new G.QueueNameExists(`A queue already exists with the same name and a different value for attribute ${k}`);
        }
      }
      return { QueueUrl: this.urlOf(existing, ctx) };
    }
    const attributes = { ...defaultAttributes(fifo), ...settings };
    for (const [k, v] of Object.entries(attributes)) if (v === '') delete attributes[k];
    checkThroughputLimit(attributes);
    if (attributes.KmsMasterKeyId) {
      if (requested.SqsManagedSseEnabled === undefined) attributes.SqsManagedSseEnabled = 'false';
      attributes.KmsDataKeyReusePeriodSeconds ??= '300';
    }
    const q = this.engine.createQueue(ctx.accountId, ctx.region, name, fifo, attributes, { ...(input.tags ?? {}) });
    return { QueueUrl: this.urlOf(q, ctx) };
  }

  /** Validates attributes for CreateQueue/SetQueueAttributes; returns them normalized. */
  private checkAttributes(attrs: Record<string, string>, fifo: boolean, ctx: RequestContext, queueName: string, creating: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    const sourceArn = `arn:${partitionOf(ctx.region)}:sqs:${ctx.region}:${ctx.accountId}:${queueName}`;
    for (const [name, raw] of Object.entries(attrs)) {
      const value = String(raw);
      if (name === 'FifoQueue') {
        if (!creating) throw new G.InvalidAttributeName('Invalid attribute name FifoQueue');
        if (fifo) out.FifoQueue = 'true';
        continue;
      }
      if (FIFO_SETTABLE.has(name)) {
        if (!fifo) throw unknownAttribute(name);
        if (name === 'ContentBasedDeduplication') {
          if (!/^(true|false)$/i.test(value)) throw invalidAttributeValue(name);
          out[name] = value.toLowerCase();
        } else if (name === 'DeduplicationScope') {
          if (value !== 'queue' && value !== 'messageGroup') throw invalidAttributeValue(name);
          out[name] = value;
        } else {
          if (value !== 'perQueue' && value !== 'perMessageGroupId') throw invalidAttributeValue(name);
          out[name] = value;
        }
        continue;
      }
      if (!SETTABLE.has(name)) throw unknownAttribute(name);
      const range = INT_ATTRIBUTES[name];
      if (range) {
        if (!/^\d{1,10}$/.test(value) || Number(value) < range[0] || Number(value) > range[1]) throw invalidAttributeValue(name);
        out[name] = String(Number(value));
        continue;
      }
      switch (name) {
        case 'Policy':
          if (value !== '' && !parseJsonObject(value)) throw invalidAttributeValue(name);
          out[name] = value;
          break;
        case 'SqsManagedSseEnabled':
          if (!/^(true|false)$/i.test(value)) throw invalidAttributeValue(name);
          out[name] = value.toLowerCase();
          break;
        case 'KmsMasterKeyId':
          // Accepted and reported; Nimbus does not encrypt (there is no KMS to call).
          out[name] = value;
          break;
        case 'RedrivePolicy':
          out[name] = value === '' ? '' : this.checkRedrivePolicy(value, fifo, sourceArn);
          break;
        case 'RedriveAllowPolicy':
          out[name] = value === '' ? '' : checkRedriveAllowPolicy(value);
          break;
      }
    }
    return out;
  }

  private checkRedrivePolicy(value: string, fifo: boolean, sourceArn: string): string {
    const policy = parseJsonObject(value);
    const bad = (reason: string) => invalidParameterValue(`Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`);
    if (!policy) throw bad('Redrive policy is not a valid JSON map.');
    const target = policy.deadLetterTargetArn;
    const max = policy.maxReceiveCount;
    if (target === undefined) throw bad('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
    if (max === undefined) throw bad('Redrive policy does not contain mandatory attribute: maxReceiveCount.');
    const n = Number(max);
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw bad(`Invalid value for maxReceiveCount: ${max}, valid values are from 1 to 1000 both inclusive.`);
    if (typeof target !== 'string' || !parseQueueArn(target)) throw bad('Invalid value for deadLetterTargetArn.');
    const dlq = this.engine.getQueueByArn(target);
    if (!dlq) throw bad('Dead letter target does not exist.');
    if (dlq.fifo !== fifo) throw bad('Dead-letter queue must be same type of queue as the source.');
    const allow = dlq.attributes.RedriveAllowPolicy ? parseJsonObject(dlq.attributes.RedriveAllowPolicy) : undefined;
    if (allow) {
      const permission = allow.redrivePermission;
      const sources = asList(allow.sourceQueueArns);
      if (permission === 'denyAll' || (permission === 'byQueue' && !sources.includes(sourceArn))) {
        throw bad('Dead letter target does not allow this source queue to use it as its dead letter queue.');
      }
    }
    return JSON.stringify({ deadLetterTargetArn: target, maxReceiveCount: n });
  }

  GetQueueUrl(input: G.GetQueueUrlRequest, ctx: RequestContext): G.GetQueueUrlResult {
    const account = input.QueueOwnerAWSAccountId || ctx.accountId;
    const q = this.engine.getQueue(account, ctx.region, input.QueueName);
    if (!q) throw queueDoesNotExist();
    return { QueueUrl: this.urlOf(q, ctx) };
  }

  ListQueues(input: G.ListQueuesRequest, ctx: RequestContext): G.ListQueuesResult {
    const max = input.MaxResults;
    if (max !== undefined && (max < 1 || max > 1000)) throw outOfRange('MaxResults', max, 1, 1000);
    let after = '';
    if (input.NextToken) {
      const decoded = decodeToken(input.NextToken);
      if (decoded === undefined) throw invalidParameterValue('Invalid NextToken value.');
      after = decoded;
    }
    const prefix = input.QueueNamePrefix ?? '';
    const limit = max ?? 1000;
    const queues = this.engine.listQueues(ctx.accountId, ctx.region, prefix, after, limit + 1);
    const page = queues.slice(0, limit);
    // AWS leaves QueueUrls out when nothing matches.
    const out: G.ListQueuesResult = page.length ? { QueueUrls: page.map((q) => this.urlOf(q, ctx)) } : {};
    // AWS paginates only when MaxResults is given.
    if (max !== undefined && queues.length > limit) out.NextToken = encodeToken(page[page.length - 1].name);
    return out;
  }

  DeleteQueue(input: G.DeleteQueueRequest, ctx: RequestContext): void {
    // AWS also refuses to re-create a deleted queue's name for 60 seconds (QueueDeletedRecently);
    // Nimbus allows it at once, as local test suites create and delete queues freely.
    const q = this.resolve(input.QueueUrl, ctx);
    this.moves.cancelFor(q.arn);
    this.engine.deleteQueue(q);
  }

  GetQueueAttributes(input: G.GetQueueAttributesRequest, ctx: RequestContext): G.GetQueueAttributesResult {
    const q = this.resolve(input.QueueUrl, ctx);
    const names = asList(input.AttributeNames);
    for (const n of names) if (n !== 'All' && !ALL_ORDER.includes(n)) throw unknownAttribute(n);
    if (names.length === 0) return {};
    const all = names.includes('All');
    const wanted = all ? ALL_ORDER : ALL_ORDER.filter((n) => names.includes(n));
    const counts = wanted.some((n) => n.startsWith('Approximate')) ? this.engine.counts(q) : undefined;
    const out: Record<string, string> = {};
    for (const n of wanted) {
      let v: string | undefined;
      switch (n) {
        case 'QueueArn': v = q.arn; break;
        case 'ApproximateNumberOfMessages': v = String(counts!.visible); break;
        case 'ApproximateNumberOfMessagesNotVisible': v = String(counts!.inFlight); break;
        case 'ApproximateNumberOfMessagesDelayed': v = String(counts!.delayed); break;
        case 'CreatedTimestamp': v = String(Math.floor(q.createdAt / 1000)); break;
        case 'LastModifiedTimestamp': v = String(Math.floor(q.modifiedAt / 1000)); break;
        default: v = q.attributes[n] || undefined;
      }
      if (v !== undefined) out[n] = v;
    }
    return { Attributes: out };
  }

  SetQueueAttributes(input: G.SetQueueAttributesRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    for (const n of Object.keys(input.Attributes ?? {})) if (COMPUTED.includes(n)) throw unknownAttribute(n);
    const changes = this.checkAttributes(input.Attributes ?? {}, q.fifo, { ...ctx, accountId: q.accountId, region: q.region }, q.name, false);
    const merged = { ...q.attributes, ...changes };
    for (const [k, v] of Object.entries(merged)) if (v === '') delete merged[k];
    if (changes.KmsMasterKeyId) {
      if (changes.SqsManagedSseEnabled === undefined) merged.SqsManagedSseEnabled = 'false';
      merged.KmsDataKeyReusePeriodSeconds ??= '300';
    }
    if (changes.SqsManagedSseEnabled === 'true') delete merged.KmsMasterKeyId;
    checkThroughputLimit(merged);
    this.engine.setAttributes(q, merged);
  }

  TagQueue(input: G.TagQueueRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    const tags = { ...q.tags, ...(input.Tags ?? {}) };
    if (Object.keys(tags).length > 50) throw invalidParameterValue('Too many tags added for queue ' + q.name + '.');
    this.engine.setTags(q, tags);
  }

  UntagQueue(input: G.UntagQueueRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    const tags = { ...q.tags };
    for (const k of asList(input.TagKeys)) delete tags[k];
    this.engine.setTags(q, tags);
  }

  ListQueueTags(input: G.ListQueueTagsRequest, ctx: RequestContext): G.ListQueueTagsResult {
    const q = this.resolve(input.QueueUrl, ctx);
    return Object.keys(q.tags).length ? { Tags: { ...q.tags } } : {};
  }

  AddPermission(input: G.AddPermissionRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(input.Label)) throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: Must be shorter than 80 characters and contain only alphanumeric characters, hyphens and underscores.`);
    const accounts = asList(input.AWSAccountIds);
    const actions = asList(input.Actions);
    if (accounts.length === 0) throw missingParameter('AWSAccountIds');
    if (actions.length === 0) throw missingParameter('Actions');
    const policy = (q.attributes.Policy && parseJsonObject(q.attributes.Policy)) || { Version: '2012-10-17', Id: `${q.arn}/SQSDefaultPolicy`, Statement: [] };
    const statements = Array.isArray(policy.Statement) ? (policy.Statement as Record<string, unknown>[]) : [];
    if (statements.some((s) => s.Sid === input.Label)) throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: Already exists.`);
    const partition = partitionOf(q.region);
    statements.push({
      Sid: input.Label,
      Effect: 'Allow',
      Principal: { AWS: accounts.map((a) => `arn:${partition}:iam::${a}:root`) },
      Action: actions.map((a) => (a === '*' ? 'SQS:*' : `SQS:${a}`)),
      Resource: q.arn,
    });
    policy.Statement = statements;
    this.engine.setAttributes(q, { ...q.attributes, Policy: JSON.stringify(policy) });
  }

  RemovePermission(input: G.RemovePermissionRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    const policy = q.attributes.Policy ? parseJsonObject(q.attributes.Policy) : undefined;
    const statements = policy && Array.isArray(policy.Statement) ? (policy.Statement as Record<string, unknown>[]) : [];
    const kept = statements.filter((s) => s.Sid !== input.Label);
    if (kept.length === statements.length) throw invalidParameterValue(`Value ${input.Label} for parameter Label is invalid. Reason: can't find label on existing policy.`);
    const attributes = { ...q.attributes };
    if (kept.length) attributes.Policy = JSON.stringify({ ...policy, Statement: kept });
    else delete attributes.Policy;
    this.engine.setAttributes(q, attributes);
  }

  PurgeQueue(input: G.PurgeQueueRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    const now = this.deps.clock.now();
    if (q.purgedAt !== undefined && now - q.purgedAt < 60_000) {
      throw new G.PurgeQueueInProgress(`Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    }
    this.engine.purge(q);
  }

  ListDeadLetterSourceQueues(input: G.ListDeadLetterSourceQueuesRequest, ctx: RequestContext): G.ListDeadLetterSourceQueuesResult {
    const q = this.resolve(input.QueueUrl, ctx);
    const max = input.MaxResults;
    if (max !== undefined && (max < 1 || max > 1000)) throw outOfRange('MaxResults', max, 1, 1000);
    const after = input.NextToken ? decodeToken(input.NextToken) ?? '' : '';
    const sources = this.engine
      .allQueues()
      .filter((s) => s.accountId === q.accountId && s.region === q.region && s.name > after)
      .filter((s) => s.attributes.RedrivePolicy && parseJsonObject(s.attributes.RedrivePolicy)?.deadLetterTargetArn === q.arn)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const limit = max ?? 1000;
    const page = sources.slice(0, limit);
    const out: G.ListDeadLetterSourceQueuesResult = { queueUrls: page.map((s) => this.urlOf(s, ctx)) };
    if (max !== undefined && sources.length > limit) out.NextToken = encodeToken(page[page.length - 1].name);
    return out;
  }

  // ---- messages ----

  private checkMessage(
    q: Queue,
    entry: { MessageBody?: string; DelaySeconds?: number; MessageAttributes?: Record<string, G.MessageAttributeValue>; MessageSystemAttributes?: Record<string, G.MessageSystemAttributeValue>; MessageDeduplicationId?: string; MessageGroupId?: string },
    ctx: RequestContext,
  ): NewMessage {
    const body = entry.MessageBody;
    if (body === undefined || body === null || body === '') throw missingParameter('MessageBody');
    if (INVALID_CHARS.test(body)) throw new G.InvalidMessageContents(INVALID_CHARS_MESSAGE);
    let size = Buffer.byteLength(body, 'utf8');
    const attrs = entry.MessageAttributes ?? {};
    const names = Object.keys(attrs);
    if (names.length > 10) throw invalidParameterValue(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
    for (const name of names) {
      const a = attrs[name] ?? ({} as G.MessageAttributeValue);
      const lower = name.toLowerCase();
      if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
        throw invalidParameterValue('Message (user) attributes name can only contain upper and lower score characters, digits, periods, hyphens and underscores. ');
      }
      if (lower.startsWith('aws.') || lower.startsWith('amazon.')) {
        throw invalidParameterValue("You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use. Additionally, they cannot start or end with '.'.");
      }
      size += Buffer.byteLength(name, 'utf8') + attributeSize(name, a);
    }
    const sys = entry.MessageSystemAttributes ?? {};
    for (const [name, a] of Object.entries(sys)) {
      if (name !== 'AWSTraceHeader') throw invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
      if (a?.DataType !== 'String' || !a.StringValue) throw invalidParameterValue(`Message system attribute 'AWSTraceHeader' must contain a non-empty value of type 'String'.`);
    }
    const maxSize = Number(q.attributes.MaximumMessageSize);
    if (size > maxSize) throw invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${maxSize} bytes.`);
    let delaySeconds = Number(q.attributes.DelaySeconds);
    if (entry.DelaySeconds !== undefined && entry.DelaySeconds !== null) {
      if (entry.DelaySeconds < 0 || entry.DelaySeconds > 900) throw outOfRange('DelaySeconds', entry.DelaySeconds, 0, 900);
      if (q.fifo && entry.DelaySeconds !== 0) {
        throw invalidParameterValue(`Value ${entry.DelaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`);
      }
      if (!q.fifo) delaySeconds = entry.DelaySeconds;
    }
    let dedupId = entry.MessageDeduplicationId;
    let dedupKey: string | undefined;
    const groupId = entry.MessageGroupId;
    if (q.fifo) {
      if (groupId === undefined || groupId === '') throw missingParameter('MessageGroupId');
      if (!/^[\x21-\x7E]{1,128}$/.test(groupId)) throw invalidParameterValue(`Value ${groupId} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
      if (dedupId === undefined) {
        if (q.attributes.ContentBasedDeduplication !== 'true') {
          throw invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
        }
        dedupId = crypto.createHash('sha256').update(body, 'utf8').digest('hex');
      } else if (!/^[\x21-\x7E]{1,128}$/.test(dedupId)) {
        throw invalidParameterValue(`Value ${dedupId} for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
      }
      dedupKey = q.attributes.DeduplicationScope === 'messageGroup' ? `${groupId}\n${dedupId}` : dedupId;
    } else {
      // Standard queues: MessageGroupId is accepted (fair queues, 2025); deduplication ids are not.
      if (dedupId !== undefined) {
        throw invalidParameterValue(`Value ${dedupId} for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.`);
      }
    }
    const userAttrs = names.length ? (attrs as Record<string, AttributeValue>) : undefined;
    const sysAttrs = Object.keys(sys).length ? (sys as Record<string, AttributeValue>) : undefined;
    return {
      messageId: crypto.randomUUID(),
      body,
      attributes: storeAttributes(userAttrs),
      systemAttributes: storeAttributes(sysAttrs),
      md5Body: md5Hex(Buffer.from(body, 'utf8')),
      md5Attributes: md5OfAttributes(userAttrs),
      md5SystemAttributes: md5OfAttributes(sysAttrs),
      senderId: ctx.accountId,
      delayMs: delaySeconds * 1000,
      groupId: groupId || undefined,
      dedupId: q.fifo ? dedupId : undefined,
      dedupKey,
    };
  }

  async SendMessage(input: G.SendMessageRequest, ctx: RequestContext): Promise<G.SendMessageResult> {
    const q = this.resolve(input.QueueUrl, ctx);
    const m = this.checkMessage(q, input, ctx);
    const [r] = await this.engine.sendDurably(q, [m]).catch(rethrowGone);
    const out: G.SendMessageResult = { MD5OfMessageBody: m.md5Body, MessageId: r.messageId };
    if (m.md5Attributes) out.MD5OfMessageAttributes = m.md5Attributes;
    if (m.md5SystemAttributes) out.MD5OfMessageSystemAttributes = m.md5SystemAttributes;
    if (q.fifo) out.SequenceNumber = sequenceNumber(r.seq);
    return out;
  }

  private checkBatch<T extends { Id: string }>(entries: T[] | undefined, kind: string): T[] {
    const list = entries ?? [];
    if (list.length === 0) throw new G.EmptyBatchRequest(`There should be at least one ${kind}RequestEntry in the request.`);
    if (list.length > 10) throw new G.TooManyEntriesInBatchRequest(`Maximum number of entries per request are 10. You have sent ${list.length}.`);
    const seen = new Set<string>();
    for (const e of list) {
      if (!BATCH_ID.test(e.Id ?? '')) {
        throw new G.InvalidBatchEntryId('A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
      }
      if (seen.has(e.Id)) throw new G.BatchEntryIdsNotDistinct(`Id ${e.Id} repeated.`);
      seen.add(e.Id);
    }
    return list;
  }

  async SendMessageBatch(input: G.SendMessageBatchRequest, ctx: RequestContext): Promise<G.SendMessageBatchResult> {
    const q = this.resolve(input.QueueUrl, ctx);
    const entries = this.checkBatch(input.Entries, 'SendMessageBatch');
    let total = 0;
    for (const e of entries) {
      total += Buffer.byteLength(e.MessageBody ?? '', 'utf8');
      for (const [name, a] of Object.entries(e.MessageAttributes ?? {})) total += Buffer.byteLength(name, 'utf8') + attributeSize(name, a);
    }
    if (total > MiB) throw new G.BatchRequestTooLong(`Batch requests cannot be longer than ${MiB} bytes. You have sent ${total} bytes.`);
    const Failed: G.BatchResultErrorEntry[] = [];
    const accepted: { id: string; m: NewMessage }[] = [];
    for (const e of entries) {
      try {
        accepted.push({ id: e.Id, m: this.checkMessage(q, e, ctx) });
      } catch (err) {
        Failed.push(batchFailure(e.Id, err));
      }
    }
    const results = accepted.length ? await this.engine.sendDurably(q, accepted.map((a) => a.m)).catch(rethrowGone) : [];
    const Successful = accepted.map(({ id, m }, i): G.SendMessageBatchResultEntry => {
      const r: G.SendMessageBatchResultEntry = { Id: id, MessageId: results[i].messageId, MD5OfMessageBody: m.md5Body };
      if (m.md5Attributes) r.MD5OfMessageAttributes = m.md5Attributes;
      if (m.md5SystemAttributes) r.MD5OfMessageSystemAttributes = m.md5SystemAttributes;
      if (q.fifo) r.SequenceNumber = sequenceNumber(results[i].seq);
      return r;
    });
    return { Successful, Failed };
  }

  async ReceiveMessage(input: G.ReceiveMessageRequest, ctx: RequestContext): Promise<G.ReceiveMessageResult> {
    let q = this.resolve(input.QueueUrl, ctx);
    const max = input.MaxNumberOfMessages ?? 1;
    if (max < 1 || max > 10) throw invalidParameterValue(`Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    const visibility = input.VisibilityTimeout ?? Number(q.attributes.VisibilityTimeout);
    if (visibility < 0 || visibility > 43200) throw outOfRange('VisibilityTimeout', visibility, 0, 43200, true);
    const wait = input.WaitTimeSeconds ?? Number(q.attributes.ReceiveMessageWaitTimeSeconds);
    if (wait < 0 || wait > 20) throw outOfRange('WaitTimeSeconds', wait, 0, 20, true);
    const attemptId = input.ReceiveRequestAttemptId;
    if (attemptId !== undefined && !/^[\x21-\x7E]{1,128}$/.test(attemptId)) {
      throw invalidParameterValue(`Value ${attemptId} for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.`);
    }
    const systemNames = new Set([...asList(input.AttributeNames), ...asList(input.MessageSystemAttributeNames)]);
    const attributeNames = asList(input.MessageAttributeNames);

    // FIFO: a retried receive with the same attempt id returns the same messages and handles
    // while they are still in flight (AWS keeps attempt ids for 5 minutes).
    const attemptKey = q.fifo && attemptId ? `${q.id}\n${attemptId}` : undefined;
    if (attemptKey) {
      const prev = this.attempts.get(attemptKey);
      if (prev && this.deps.clock.now() - prev.at < 5 * 60_000) {
        const again = this.engine.redeliver(q, prev.handles);
        if (again) return this.receiveResult(q, again, systemNames, attributeNames);
      }
    }

    const deadline = this.deps.clock.now() + wait * 1000;
    for (;;) {
      const got = this.engine.receive(q, max, visibility * 1000, this.redriveOf(q));
      if (got.length > 0 || this.deps.clock.now() >= deadline || this.engine.isClosed) {
        if (attemptKey && got.length) {
          this.pruneAttempts();
          this.attempts.set(attemptKey, { at: this.deps.clock.now(), handles: got.map((m) => ({ seq: m.seq, token: m.receipt_token! })) });
        }
        return this.receiveResult(q, got, systemNames, attributeNames);
      }
      await this.engine.waitForMessages(q.id, deadline);
      if (this.engine.isClosed) return {};
      const again = this.engine.getQueue(q.accountId, q.region, q.name);
      if (!again || again.id !== q.id) return {};
      q = again;
    }
  }

  /**
   * For the Lambda event source mapping poller: receives up to `max` messages from the queue
   * an ARN names, long-polling up to `waitMs` (abortable), with every system and message
   * attribute, as a Lambda SQS event needs them. Undefined when the queue does not exist.
   * Delete and change visibility through the provider's DeleteMessageBatch and
   * ChangeMessageVisibility (or deps.internal.call) with `queueUrlFromArn`.
   */
  async receiveForMapping(queueArn: string, opts: { max: number; waitMs: number; visibilityTimeout?: number; signal?: AbortSignal }): Promise<G.Message[] | undefined> {
    let q = this.engine.getQueueByArn(queueArn);
    if (!q) return undefined;
    const deadline = this.deps.clock.now() + opts.waitMs;
    for (;;) {
      const visibility = opts.visibilityTimeout ?? Number(q.attributes.VisibilityTimeout);
      const got = this.engine.receive(q, Math.min(Math.max(opts.max, 1), 10), visibility * 1000, this.redriveOf(q));
      if (got.length || this.deps.clock.now() >= deadline || opts.signal?.aborted || this.engine.isClosed) {
        return got.map((m) => this.toMessage(q!, m, new Set(['All']), ['All']));
      }
      await this.engine.waitForMessages(q.id, deadline, opts.signal);
      if (this.engine.isClosed) return [];
      const again = this.engine.getQueueByArn(queueArn);
      if (!again || again.id !== q.id) return undefined;
      q = again;
    }
  }

  private pruneAttempts(): void {
    const cutoff = this.deps.clock.now() - 5 * 60_000;
    for (const [k, v] of this.attempts) {
      if (v.at >= cutoff) break;
      this.attempts.delete(k);
    }
  }

  private receiveResult(q: Queue, got: ReceivedMessage[], systemNames: Set<string>, attributeNames: string[]): G.ReceiveMessageResult {
    if (got.length === 0) return {};
    return { Messages: got.map((m) => this.toMessage(q, m, systemNames, attributeNames)) };
  }

  private toMessage(q: Queue, m: ReceivedMessage, systemNames: Set<string>, attributeNames: string[]): G.Message {
    const all = systemNames.has('All');
    const want = (n: string) => all || systemNames.has(n);
    const attrs: Record<string, string> = {};
    if (want('SenderId')) attrs.SenderId = m.sender_id;
    if (want('SentTimestamp')) attrs.SentTimestamp = String(m.sent_at);
    if (want('ApproximateReceiveCount')) attrs.ApproximateReceiveCount = String(m.receive_count);
    if (want('ApproximateFirstReceiveTimestamp')) attrs.ApproximateFirstReceiveTimestamp = String(m.first_received_at);
    if (q.fifo) {
      if (want('SequenceNumber')) attrs.SequenceNumber = sequenceNumber(m.seq);
      if (want('MessageDeduplicationId') && m.dedup_id) attrs.MessageDeduplicationId = m.dedup_id;
    }
    if (want('MessageGroupId') && m.group_id) attrs.MessageGroupId = m.group_id;
    if (want('DeadLetterQueueSourceArn') && m.dlq_source_arn) attrs.DeadLetterQueueSourceArn = m.dlq_source_arn;
    const sys = loadAttributes(m.system_attributes);
    if (want('AWSTraceHeader') && sys.AWSTraceHeader?.StringValue) attrs.AWSTraceHeader = sys.AWSTraceHeader.StringValue;

    const out: G.Message = { MessageId: m.message_id, ReceiptHandle: m.receiptHandle, MD5OfBody: m.md5_body, Body: m.body };
    if (Object.keys(attrs).length) out.Attributes = attrs;
    const userAttrs = loadAttributes(m.attributes);
    const selected = selectAttributes(userAttrs, attributeNames);
    if (selected) {
      out.MessageAttributes = selected;
      // The digest covers the attributes returned, so clients can verify what they received.
      out.MD5OfMessageAttributes = md5OfAttributes(selected as Record<string, AttributeValue>);
    }
    return out;
  }

  DeleteMessage(input: G.DeleteMessageRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    this.engine.deleteMessage(q, this.handleOf(q, input.ReceiptHandle));
  }

  private handleOf(q: Queue, handle: string | undefined): { seq: number; token: string } {
    if (handle === undefined || handle === '') throw missingParameter('ReceiptHandle');
    const h = decodeReceiptHandle(handle);
    if (!h || h.queueId !== q.id) throw new G.ReceiptHandleIsInvalid(`The input receipt handle "${handle}" is not a valid receipt handle.`);
    return h;
  }

  DeleteMessageBatch(input: G.DeleteMessageBatchRequest, ctx: RequestContext): G.DeleteMessageBatchResult {
    const q = this.resolve(input.QueueUrl, ctx);
    const entries = this.checkBatch(input.Entries, 'DeleteMessageBatch');
    const Successful: G.DeleteMessageBatchResultEntry[] = [];
    const Failed: G.BatchResultErrorEntry[] = [];
    const handles: { seq: number; token: string }[] = [];
    for (const e of entries) {
      try {
        handles.push(this.handleOf(q, e.ReceiptHandle));
        Successful.push({ Id: e.Id });
      } catch (err) {
        Failed.push(batchFailure(e.Id, err));
      }
    }
    this.engine.deleteMessages(q, handles);
    return { Successful, Failed };
  }

  private changeVisibility(q: Queue, handle: string | undefined, timeout: number | undefined): void {
    const h = this.handleOf(q, handle);
    if (timeout === undefined || timeout === null) throw missingParameter('VisibilityTimeout');
    if (timeout < 0 || timeout > 43200) throw outOfRange('VisibilityTimeout', timeout, 0, 43200);
    const r = this.engine.changeVisibility(q, h, timeout * 1000);
    if (r === 'gone') {
      throw invalidParameterValue(`Value ${handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    }
    if (r === 'not-in-flight') throw new G.MessageNotInflight('The message referred to is not in flight.');
  }

  ChangeMessageVisibility(input: G.ChangeMessageVisibilityRequest, ctx: RequestContext): void {
    const q = this.resolve(input.QueueUrl, ctx);
    this.changeVisibility(q, input.ReceiptHandle, input.VisibilityTimeout);
  }

  ChangeMessageVisibilityBatch(input: G.ChangeMessageVisibilityBatchRequest, ctx: RequestContext): G.ChangeMessageVisibilityBatchResult {
    const q = this.resolve(input.QueueUrl, ctx);
    const entries = this.checkBatch(input.Entries, 'ChangeMessageVisibilityBatch');
    const Successful: G.ChangeMessageVisibilityBatchResultEntry[] = [];
    const Failed: G.BatchResultErrorEntry[] = [];
    for (const e of entries) {
      try {
        this.changeVisibility(q, e.ReceiptHandle, e.VisibilityTimeout ?? 0);
        Successful.push({ Id: e.Id });
      } catch (err) {
        Failed.push(batchFailure(e.Id, err));
      }
    }
    return { Successful, Failed };
  }

  // ---- message move tasks (DLQ redrive) ----

  StartMessageMoveTask(input: G.StartMessageMoveTaskRequest): G.StartMessageMoveTaskResult {
    const source = this.engine.getQueueByArn(input.SourceArn);
    if (!source) throw new G.ResourceNotFoundException('The resource that you specified for the SourceArn parameter doesn\'t exist.');
    const isDlq = this.engine.allQueues().some((s) => s.attributes.RedrivePolicy && parseJsonObject(s.attributes.RedrivePolicy)?.deadLetterTargetArn === source.arn);
    if (!isDlq) throw invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    let destination: Queue | undefined;
    if (input.DestinationArn !== undefined) {
      destination = this.engine.getQueueByArn(input.DestinationArn);
      if (!destination) throw new G.ResourceNotFoundException('The resource that you specified for the DestinationArn parameter doesn\'t exist.');
      if (destination.fifo !== source.fifo) throw invalidParameterValue('The source queue and destination queue must be of the same queue type.');
    }
    const rate = input.MaxNumberOfMessagesPerSecond;
    if (rate !== undefined && (rate < 1 || rate > 500)) throw outOfRange('MaxNumberOfMessagesPerSecond', rate, 1, 500);
    if (this.moves.running(source.arn)) throw new G.UnsupportedOperation('There is already a task running. Only one active task is allowed for a source queue arn at a given time.');
    return { TaskHandle: this.moves.start(source, destination, rate) };
  }

  CancelMessageMoveTask(input: G.CancelMessageMoveTaskRequest): G.CancelMessageMoveTaskResult {
    const moved = this.moves.cancel(input.TaskHandle);
    if (moved === undefined) throw new G.ResourceNotFoundException('Task does not exist.');
    if (moved === 'not-running') throw new G.UnsupportedOperation('Only active tasks can be cancelled.');
    return { ApproximateNumberOfMessagesMoved: moved };
  }

  ListMessageMoveTasks(input: G.ListMessageMoveTasksRequest): G.ListMessageMoveTasksResult {
    const source = this.engine.getQueueByArn(input.SourceArn);
    if (!source) throw new G.ResourceNotFoundException('The resource that you specified for the SourceArn parameter doesn\'t exist.');
    const max = input.MaxResults ?? 1;
    if (max < 1 || max > 10) throw outOfRange('MaxResults', max, 1, 10);
    return { Results: this.moves.list(source.arn, max) };
  }
}

function attributeSize(name: string, a: G.MessageAttributeValue | undefined): number {
  if (!a || !a.DataType) throw invalidParameterValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
  if (!DATA_TYPE.test(a.DataType) || a.DataType.length > 256) {
    throw invalidParameterValue(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
  }
  if ((a.StringListValues && a.StringListValues.length) || (a.BinaryListValues && a.BinaryListValues.length)) {
    // Modelled but "reserved for future use": AWS rejects list values.
    throw invalidParameterValue(`Message (user) attribute '${name}' must contain a non-empty value of type '${a.DataType.split('.')[0]}'.`);
  }
  const type = a.DataType.split('.')[0];
  let valueSize: number;
  if (type === 'Binary') {
    if (!a.BinaryValue || a.BinaryValue.length === 0) throw invalidParameterValue(`Message (user) attribute '${name}' must contain a non-empty value of type 'Binary'.`);
    valueSize = a.BinaryValue.length;
  } else {
    const v = a.StringValue;
    if (v === undefined || v === null || v === '') throw invalidParameterValue(`Message (user) attribute '${name}' must contain a non-empty value of type '${type}'.`);
    if (type === 'Number' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim())) throw invalidParameterValue(`Can't cast the value of message (user) attribute '${name}' to a number.`);
    if (INVALID_CHARS.test(v)) throw new G.InvalidMessageContents(INVALID_CHARS_MESSAGE);
    valueSize = Buffer.byteLength(v, 'utf8');
  }
  return Buffer.byteLength(a.DataType, 'utf8') + valueSize;
}

function selectAttributes(attrs: Record<string, G.MessageAttributeValue>, names: string[]): Record<string, G.MessageAttributeValue> | undefined {
  const keys = Object.keys(attrs);
  if (keys.length === 0 || names.length === 0) return undefined;
  const out: Record<string, G.MessageAttributeValue> = {};
  for (const k of keys) {
    const hit = names.some((n) => n === 'All' || n === '.*' || n === k || (n.endsWith('.*') && k.startsWith(n.slice(0, -1))));
    if (hit) out[k] = attrs[k];
  }
  return Object.keys(out).length ? out : undefined;
}

function rethrowGone(e: unknown): never {
  throw e instanceof QueueGone ? queueDoesNotExist() : e;
}

function batchFailure(id: string, err: unknown): G.BatchResultErrorEntry {
  if (err instanceof ServiceError) return { Id: id, SenderFault: err.senderFault, Code: err.code, Message: err.message };
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' };
}

function encodeToken(name: string): string {
  return Buffer.from(JSON.stringify({ after: name })).toString('base64');
}

function decodeToken(token: string): string | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
    return typeof v?.after === 'string' ? v.after : undefined;
  } catch {
    return undefined;
  }
}

// High-throughput FIFO (perMessageGroupId) needs deduplication per message group.
function checkThroughputLimit(attributes: Record<string, string>): void {
  if (attributes.FifoThroughputLimit === 'perMessageGroupId' && attributes.DeduplicationScope !== 'messageGroup') {
    throw invalidParameterValue('The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup');
  }
}

function checkRedriveAllowPolicy(value: string): string {
  const policy = parseJsonObject(value);
  const bad = (reason: string) => invalidParameterValue(`Value ${value} for parameter RedriveAllowPolicy is invalid. Reason: ${reason}`);
  if (!policy) throw bad('Amazon SQS can\'t parse the redrive allow policy.');
  const permission = policy.redrivePermission;
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') throw bad('Invalid value for redrivePermission.');
  const sources = policy.sourceQueueArns;
  if (permission === 'byQueue') {
    if (!Array.isArray(sources) || sources.length === 0) throw bad('sourceQueueArns must be specified when redrivePermission is byQueue.');
    if (sources.length > 10) throw bad('Maximum number of source queue ARNs you can specify is 10.');
  } else if (sources !== undefined) {
    throw bad('Only specify sourceQueueArns when redrivePermission is byQueue.');
  }
  return value;
}

