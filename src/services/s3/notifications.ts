// Bucket notifications: configuration validation as S3 does it, and event records in the
// format S3 sends them (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html),
// delivered after the response through the target service's own provider. A failed delivery is
// logged and never fails the object operation (S3 delivers at least once, asynchronously).
import crypto from 'node:crypto';
import { ServiceError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { InternalClient } from '../types.js';
import type { NotificationConfiguration, NotificationConfigurationFilter } from '../../generated/s3.js';
import { invalidArgument } from './errors.js';
import { urlEncodeKey } from './objects.js';

export const SUPPORTED_EVENTS = new Set([
  's3:ReducedRedundancyLostObject',
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
  's3:ObjectRestore:Delete',
  's3:Replication:*',
  's3:Replication:OperationFailedReplication',
  's3:Replication:OperationNotTracked',
  's3:Replication:OperationMissedThreshold',
  's3:Replication:OperationReplicatedAfterThreshold',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
  's3:ObjectAcl:Put',
  's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete',
  's3:LifecycleExpiration:DeleteMarkerCreated',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
]);

type TargetKind = 'queue' | 'topic' | 'lambda';
// The generated Events type is a union of strings and string[]; on the wire it is always a list.
interface AnyConfiguration {
  Id?: string;
  Events: any;
  Filter?: NotificationConfigurationFilter;
}
interface Target {
  kind: TargetKind;
  arn: string;
  id: string;
  events: string[];
  prefix: string;
  suffix: string;
}

/** The configurations of a bucket as a flat list of targets. */
export function targetsOf(config: NotificationConfiguration | undefined): Target[] {
  if (!config) return [];
  const out: Target[] = [];
  const add = (kind: TargetKind, arn: string, c: AnyConfiguration) =>
    out.push({ kind, arn, id: c.Id ?? '', events: c.Events as string[], ...filterOf(c.Filter) });
  for (const c of config.QueueConfigurations ?? []) add('queue', c.QueueArn, c);
  for (const c of config.TopicConfigurations ?? []) add('topic', c.TopicArn, c);
  for (const c of config.LambdaFunctionConfigurations ?? []) add('lambda', c.LambdaFunctionArn, c);
  return out;
}

function filterOf(filter: NotificationConfigurationFilter | undefined): { prefix: string; suffix: string } {
  let prefix = '';
  let suffix = '';
  for (const r of filter?.Key?.FilterRules ?? []) {
    if (r.Name?.toLowerCase() === 'prefix') prefix = r.Value ?? '';
    else if (r.Name?.toLowerCase() === 'suffix') suffix = r.Value ?? '';
  }
  return { prefix, suffix };
}

function eventsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const wild = (w: string, e: string) => w.endsWith(':*') && e.startsWith(w.slice(0, -1));
  return wild(a, b) || wild(b, a);
}

/** Matching is on the raw key; "s3:ObjectCreated:*" covers every ObjectCreated event. */
export function matches(target: Target, eventName: string, key: string): boolean {
  return target.events.some((e) => eventsOverlap(e, eventName)) && key.startsWith(target.prefix) && key.endsWith(target.suffix);
}

/**
 * Validates a configuration the way PutBucketNotificationConfiguration does and returns it
 * normalised: every configuration gets an Id (S3 generates one when absent) and filter rule names
 * read "Prefix"/"Suffix" as S3 returns them.
 */
export function normalizeConfiguration(config: NotificationConfiguration): NotificationConfiguration {
  const out: NotificationConfiguration = {};
  const fix = <T extends AnyConfiguration>(list: T[] | undefined): T[] | undefined => {
    if (!list?.length) return undefined;
    return list.map((c) => {
      if (!c.Events?.length) throw invalidArgument('Event list can not be empty', 'Event', '');
      for (const e of c.Events as string[]) if (!SUPPORTED_EVENTS.has(e)) throw invalidArgument('The event is not supported for notifications', e, 'Event');
      let filter: NotificationConfigurationFilter | undefined;
      if (c.Filter?.Key?.FilterRules?.length) {
        const seen = new Set<string>();
        const rules = c.Filter.Key.FilterRules.map((r) => {
          const name = (r.Name ?? '').toLowerCase();
          if (name !== 'prefix' && name !== 'suffix') throw invalidArgument('filter rule name must be either prefix or suffix', 'FilterRule', r.Name ?? '');
          if (seen.has(name)) throw invalidArgument(`Cannot specify more than one ${name} rule in a filter.`, 'FilterRule', r.Name);
          seen.add(name);
          if ((r.Value ?? '').length > 1024) throw invalidArgument('filter rule value cannot be longer than 1024 characters', 'FilterRule', r.Value);
          return { Name: name === 'prefix' ? 'Prefix' : 'Suffix', Value: r.Value ?? '' };
        });
        filter = { Key: { FilterRules: rules as never } };
      } else if (c.Filter) filter = c.Filter;
      const id = c.Id || Buffer.from(crypto.randomUUID()).toString('base64').replace(/=+$/, '');
      return { ...c, Id: id, ...(filter ? { Filter: filter } : {}) };
    });
  };
  out.TopicConfigurations = fix(config.TopicConfigurations);
  out.QueueConfigurations = fix(config.QueueConfigurations);
  out.LambdaFunctionConfigurations = fix(config.LambdaFunctionConfigurations);
  if (config.EventBridgeConfiguration) out.EventBridgeConfiguration = {};
  for (const k of Object.keys(out) as (keyof NotificationConfiguration)[]) if (out[k] === undefined) delete out[k];

  const ids = new Set<string>();
  const targets = targetsOf(out);
  for (const t of targets) {
    if (ids.has(t.id)) throw invalidArgument('Same ID used for multiple configurations. IDs must be unique', 'ID', t.id);
    ids.add(t.id);
  }
  // S3 rejects two configurations (whatever their destinations) that could both fire for one
  // event on one key: a shared event type with prefixes and suffixes that do not exclude each other.
  for (let i = 0; i < targets.length; i++) {
    for (let j = i + 1; j < targets.length; j++) {
      const a = targets[i];
      const b = targets[j];
      const prefixesOverlap = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
      const suffixesOverlap = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
      if (prefixesOverlap && suffixesOverlap && a.events.some((e) => b.events.some((f) => eventsOverlap(e, f)))) {
        throw new ServiceError('InvalidArgument', 'Configurations overlap. Configurations on the same bucket cannot share a common event type.', {
          status: 400,
          fields: { ArgumentName1: 'Event', ArgumentValue1: a.events.find((e) => b.events.some((f) => eventsOverlap(e, f))) },
        });
      }
    }
  }
  return out;
}

interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}
function parseArn(arn: string): ParsedArn | undefined {
  const m = /^arn:([\w-]+):([\w-]+):([a-z0-9-]*):(\d{12}):(.+)$/.exec(arn);
  return m ? { partition: m[1], service: m[2], region: m[3], accountId: m[4], resource: m[5] } : undefined;
}

const SERVICE_OF: Record<TargetKind, string> = { queue: 'sqs', topic: 'sns', lambda: 'lambda' };
const MISSING: Record<TargetKind, string> = {
  queue: 'The destination queue does not exist',
  topic: 'The destination topic does not exist',
  lambda: 'The destination Lambda does not exist',
};

export interface Delivery {
  internal: InternalClient;
  log: Logger;
  endpoint(): string;
}

// SQS's URL scheme, imported on the first delivery (S3 alone does not load SQS) and kept.
let queueUrlFromArn: ((arn: string, endpoint: string) => string) | undefined;
async function queueUrlOf(arn: string, endpoint: string): Promise<string> {
  queueUrlFromArn ??= (await import('../sqs/urls.js')).queueUrlFromArn;
  return queueUrlFromArn(arn, endpoint);
}

/**
 * Checks every destination exists (S3 checks them, and its permission to publish, on save).
 * Throws S3's InvalidArgument listing each failing destination as ArgumentName<n>/ArgumentValue<n>.
 */
export async function validateDestinations(config: NotificationConfiguration, bucketRegion: string, d: Delivery): Promise<void> {
  const failures: [string, string][] = [];
  for (const t of targetsOf(config)) {
    const arn = parseArn(t.arn);
    // Destinations must be in the bucket's region; FIFO queues are not supported destinations.
    if (!arn || arn.service !== SERVICE_OF[t.kind] || arn.region !== bucketRegion) {
      failures.push([t.arn, MISSING[t.kind]]);
      continue;
    }
    if (t.kind === 'queue' && arn.resource.endsWith('.fifo')) {
      failures.push([t.arn, 'FIFO queues are not supported as destinations for event notifications']);
      continue;
    }
    const where = { accountId: arn.accountId, region: arn.region };
    try {
      if (t.kind === 'queue') await d.internal.call('sqs', 'GetQueueAttributes', { QueueUrl: await queueUrlOf(t.arn, d.endpoint()), AttributeNames: ['QueueArn'] }, where);
      else if (t.kind === 'topic') await d.internal.call('sns', 'GetTopicAttributes', { TopicArn: t.arn }, where);
      else await d.internal.call('lambda', 'GetFunction', { FunctionName: t.arn }, where);
    } catch (e) {
      // A target service Nimbus does not implement yet cannot be checked; S3 would accept it.
      if (e instanceof ServiceError && e.code === 'NotImplemented') continue;
      failures.push([t.arn, MISSING[t.kind]]);
    }
  }
  if (failures.length) {
    const fields: Record<string, string> = {};
    failures.forEach(([name, value], i) => {
      fields[`ArgumentName${i + 1}`] = name;
      fields[`ArgumentValue${i + 1}`] = value;
    });
    throw new ServiceError('InvalidArgument', 'Unable to validate the following destination configurations', { status: 400, fields });
  }
}

/** S3 URL-encodes keys in records as application/x-www-form-urlencoded ("red flower.jpg" -> "red+flower.jpg"), "/" left as is. */
export const encodeEventKey = urlEncodeKey;

export interface ObjectEvent {
  /** without the "s3:" prefix, e.g. "ObjectCreated:Put" */
  eventName: string;
  bucket: string;
  bucketRegion: string;
  partition: string;
  ownerPrincipalId: string;
  principalId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
  time: number;
  key: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  sequencer: string;
  /** ObjectRestore:Completed: until when the restored copy is kept, and the archive's class */
  restore?: { expiry: number; storageClass: string };
}

export function eventRecord(e: ObjectEvent, configurationId: string): Record<string, unknown> {
  const object: Record<string, unknown> = { key: encodeEventKey(e.key) };
  if (e.size !== undefined) object.size = e.size;
  if (e.eTag !== undefined) object.eTag = e.eTag;
  if (e.versionId !== undefined) object.versionId = e.versionId;
  object.sequencer = e.sequencer;
  return {
    // 2.3 for tagging (and lifecycle/ACL/restore-deletion) events, 2.1 for the rest, as documented.
    eventVersion: e.eventName.startsWith('ObjectTagging:') || e.eventName === 'ObjectAcl:Put' || e.eventName === 'ObjectRestore:Delete' ? '2.3' : '2.1',
    eventSource: 'aws:s3',
    awsRegion: e.bucketRegion,
    eventTime: new Date(e.time).toISOString(),
    eventName: e.eventName,
    userIdentity: { principalId: e.principalId },
    requestParameters: { sourceIPAddress: e.sourceIp },
    responseElements: { 'x-amz-request-id': e.requestId, 'x-amz-id-2': e.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: { name: e.bucket, ownerIdentity: { principalId: e.ownerPrincipalId }, arn: `arn:${e.partition}:s3:::${e.bucket}` },
      object,
    },
    ...(e.restore
      ? { glacierEventData: { restoreEventData: { lifecycleRestorationExpiryTime: new Date(e.restore.expiry).toISOString(), lifecycleRestoreStorageClass: e.restore.storageClass } } }
      : {}),
  };
}

async function send(t: Target, message: string, d: Delivery): Promise<void> {
  const arn = parseArn(t.arn);
  if (!arn) throw new Error(`not an ARN: ${t.arn}`);
  const where = { accountId: arn.accountId, region: arn.region };
  if (t.kind === 'queue') {
    const QueueUrl = queueUrlFromArn ? queueUrlFromArn(t.arn, d.endpoint()) : await queueUrlOf(t.arn, d.endpoint());
    await d.internal.call('sqs', 'SendMessage', { QueueUrl, MessageBody: message }, where);
  }
  else if (t.kind === 'topic') await d.internal.call('sns', 'Publish', { TopicArn: t.arn, Message: message, Subject: 'Amazon S3 Notification' }, where);
  else await d.internal.call('lambda', 'Invoke', { FunctionName: t.arn, InvocationType: 'Event', Payload: Buffer.from(message) }, where);
}

/** Sends one record per matching configuration, each in its own message, as S3 does. */
export function deliverEvent(config: NotificationConfiguration | undefined, event: ObjectEvent, d: Delivery): Promise<void>[] {
  const sends: Promise<void>[] = [];
  for (const t of targetsOf(config)) {
    if (!matches(t, 's3:' + event.eventName, event.key)) continue;
    const message = JSON.stringify({ Records: [eventRecord(event, t.id)] });
    sends.push(
      send(t, message, d).catch((e) => {
        d.log.warn(`s3: delivery of ${event.eventName} for s3://${event.bucket}/${event.key} to ${t.arn} failed:`, e instanceof Error ? e.message : String(e));
      }),
    );
  }
  return sends;
}

/** The s3:TestEvent S3 sends to queue and topic destinations when a configuration is saved (not to functions). */
export function deliverTestEvent(config: NotificationConfiguration, info: { bucket: string; time: number; requestId: string; hostId: string }, d: Delivery): Promise<void>[] {
  const message = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date(info.time).toISOString(), Bucket: info.bucket, RequestId: info.requestId, HostId: info.hostId });
  const seen = new Set<string>();
  return targetsOf(config)
    .filter((t) => t.kind !== 'lambda' && !seen.has(t.arn) && seen.add(t.arn))
    .map((t) => send(t, message, d).catch((e) => d.log.warn(`s3: test event to ${t.arn} failed:`, e instanceof Error ? e.message : String(e))));
}
