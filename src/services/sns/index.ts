// SNS: topics, subscriptions, publishing, tags, permissions, data protection policies.
// State in SQLite keyed by account and region; deliveries happen after Publish returns
// (delivery.ts); filter policies in filter-policy.ts; message signing in signing.ts.
// Mobile push and SMS: platform applications, endpoints, phone-number opt-outs and SMS
// attributes are stored; publishing to an endpoint or phone number is accepted and goes nowhere.
import crypto from 'node:crypto';
import type { ServiceDeps, ServiceModule, Provider, ValidationIssue } from '../types.js';
import { ServiceError } from '../../core/errors.js';
import { coralMessage } from '../../server/validation.js';
import type { RequestContext } from '../../core/context.js';
import { arn as makeArn, partitionOf } from '../../core/context.js';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../store/db.js';
import { migrate } from '../../store/db.js';
import type { WireRequest, WireResponse } from '../../protocols/types.js';
import {
  AuthorizationErrorException,
  BatchEntryIdsNotDistinctException,
  BatchRequestTooLongException,
  EndpointDisabledException,
  EmptyBatchRequestException,
  InvalidBatchEntryIdException,
  InvalidParameterException,
  NotFoundException,
  ResourceNotFoundException,
  TagLimitExceededException,
  TooManyEntriesInBatchRequestException,
  type AddPermissionInput,
  type BatchResultErrorEntry,
  type CheckIfPhoneNumberIsOptedOutInput,
  type CheckIfPhoneNumberIsOptedOutResponse,
  type ConfirmSubscriptionInput,
  type ConfirmSubscriptionResponse,
  type CreatePlatformApplicationInput,
  type CreatePlatformApplicationResponse,
  type CreatePlatformEndpointInput,
  type CreateEndpointResponse,
  type DeleteEndpointInput,
  type DeletePlatformApplicationInput,
  type GetEndpointAttributesInput,
  type GetEndpointAttributesResponse,
  type GetPlatformApplicationAttributesInput,
  type GetPlatformApplicationAttributesResponse,
  type ListEndpointsByPlatformApplicationInput,
  type ListEndpointsByPlatformApplicationResponse,
  type ListPlatformApplicationsInput,
  type ListPlatformApplicationsResponse,
  type SetEndpointAttributesInput,
  type SetPlatformApplicationAttributesInput,
  type CreateTopicInput,
  type CreateTopicResponse,
  type DeleteTopicInput,
  type GetDataProtectionPolicyInput,
  type GetDataProtectionPolicyResponse,
  type GetSMSAttributesInput,
  type GetSMSAttributesResponse,
  type GetSMSSandboxAccountStatusResult,
  type GetSubscriptionAttributesInput,
  type GetSubscriptionAttributesResponse,
  type GetTopicAttributesInput,
  type GetTopicAttributesResponse,
  type ListPhoneNumbersOptedOutInput,
  type ListPhoneNumbersOptedOutResponse,
  type ListSMSSandboxPhoneNumbersResult,
  type ListSubscriptionsByTopicInput,
  type ListSubscriptionsByTopicResponse,
  type ListSubscriptionsInput,
  type ListSubscriptionsResponse,
  type ListTagsForResourceRequest,
  type ListTagsForResourceResponse,
  type ListTopicsInput,
  type ListTopicsResponse,
  type MessageAttributeValue,
  type OptInPhoneNumberInput,
  type OptInPhoneNumberResponse,
  type PublishBatchInput,
  type PublishBatchResponse,
  type PublishBatchResultEntry,
  type PublishInput,
  type PublishResponse,
  type PutDataProtectionPolicyInput,
  type RemovePermissionInput,
  type SetSMSAttributesInput,
  type SetSMSAttributesResponse,
  type SetSubscriptionAttributesInput,
  type SetTopicAttributesInput,
  type SnsApi,
  type SubscribeInput,
  type SubscribeResponse,
  type Subscription,
  type Tag,
  type TagResourceRequest,
  type TagResourceResponse,
  type UnsubscribeInput,
  type UntagResourceRequest,
  type UntagResourceResponse,
} from '../../generated/sns.js';
import { checkFilterPolicy, FilterPolicyError, matchesMessageAttributes, matchesMessageBody, type Pattern } from './filter-policy.js';
import { Deliverer, type PublishedMessage, type SubscriptionTarget } from './delivery.js';
import { SnsSigner } from './signing.js';
import { parseQueueArn } from '../sqs/urls.js';

const MIGRATIONS = [
  `CREATE TABLE sns_topics (
     account_id TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, arn TEXT NOT NULL,
     attributes TEXT NOT NULL, tags TEXT NOT NULL, data_protection_policy TEXT,
     deleted_subscriptions INTEGER NOT NULL DEFAULT 0, sequence INTEGER NOT NULL DEFAULT 0,
     created INTEGER NOT NULL,
     PRIMARY KEY (account_id, region, name));
   CREATE TABLE sns_subscriptions (
     account_id TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL, topic_arn TEXT NOT NULL,
     protocol TEXT NOT NULL, endpoint TEXT NOT NULL, owner TEXT NOT NULL, attributes TEXT NOT NULL,
     confirmed INTEGER NOT NULL, token TEXT, created INTEGER NOT NULL,
     PRIMARY KEY (account_id, region, arn));
   CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (account_id, region, topic_arn, created);
   CREATE TABLE sns_dedup (
     account_id TEXT NOT NULL, region TEXT NOT NULL, topic_arn TEXT NOT NULL, dedup_id TEXT NOT NULL,
     message_id TEXT NOT NULL, sequence_number TEXT NOT NULL, expires INTEGER NOT NULL,
     PRIMARY KEY (account_id, region, topic_arn, dedup_id));
   CREATE TABLE sns_signing (account_id TEXT NOT NULL, region TEXT NOT NULL, key_pem TEXT NOT NULL, cert_pem TEXT NOT NULL,
     PRIMARY KEY (account_id, region));
   CREATE TABLE sns_sms (account_id TEXT NOT NULL, region TEXT NOT NULL, attributes TEXT NOT NULL, opted_out TEXT NOT NULL,
     PRIMARY KEY (account_id, region));`,
  `CREATE TABLE sns_platform_apps (
     account_id TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL, platform TEXT NOT NULL, attributes TEXT NOT NULL,
     PRIMARY KEY (account_id, region, arn));
   CREATE TABLE sns_platform_endpoints (
     account_id TEXT NOT NULL, region TEXT NOT NULL, arn TEXT NOT NULL, app_arn TEXT NOT NULL, token TEXT NOT NULL,
     attributes TEXT NOT NULL, created INTEGER NOT NULL,
     PRIMARY KEY (account_id, region, arn));
   CREATE INDEX sns_platform_endpoints_app ON sns_platform_endpoints (account_id, region, app_arn, created);`,
  // HTTP/S subscriptions removed by Unsubscribe, restorable through the SubscribeURL of the
  // UnsubscribeConfirmation message (kept 3 days, as AWS's tokens are valid).
  `CREATE TABLE sns_unsubscribed (
     account_id TEXT NOT NULL, region TEXT NOT NULL, token TEXT NOT NULL, topic_arn TEXT NOT NULL, arn TEXT NOT NULL,
     protocol TEXT NOT NULL, endpoint TEXT NOT NULL, owner TEXT NOT NULL, attributes TEXT NOT NULL, expires INTEGER NOT NULL,
     PRIMARY KEY (account_id, region, token));`,
];

const PAGE = 100;
const PLATFORMS = ['ADM', 'APNS', 'APNS_SANDBOX', 'APNS_VOIP', 'APNS_VOIP_SANDBOX', 'MACOS', 'MACOS_SANDBOX', 'GCM', 'BAIDU', 'MPNS', 'WNS'];
const MAX_MESSAGE_BYTES = 262_144;
const DEDUP_WINDOW_MS = 5 * 60_000;
const PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose'];
const PENDING_PROTOCOLS = ['http', 'https', 'email', 'email-json', 'sms'];
const RAW_PROTOCOLS = ['http', 'https', 'sqs', 'firehose'];
const TOPIC_ATTRIBUTES = ['DeliveryPolicy', 'DisplayName', 'Policy', 'TracingConfig', 'KmsMasterKeyId', 'SignatureVersion', 'ContentBasedDeduplication', 'ArchivePolicy', 'FifoThroughputScope', 'FifoTopic'];
const SUBSCRIPTION_ATTRIBUTES = ['DeliveryPolicy', 'FilterPolicy', 'FilterPolicyScope', 'RawMessageDelivery', 'RedrivePolicy', 'SubscriptionRoleArn', 'ReplayPolicy'];
const DEFAULT_EFFECTIVE_DELIVERY_POLICY = JSON.stringify({
  http: {
    defaultHealthyRetryPolicy: { minDelayTarget: 20, maxDelayTarget: 20, numRetries: 3, numMaxDelayRetries: 0, numNoDelayRetries: 0, numMinDelayRetries: 0, backoffFunction: 'linear' },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
  },
});

interface TopicRow {
  account_id: string; region: string; name: string; arn: string; attributes: string; tags: string;
  data_protection_policy: string | null; deleted_subscriptions: number; sequence: number;
}
interface EndpointRow { arn: string; app_arn: string; token: string; attributes: string; created: number }
interface SubRow {
  account_id: string; region: string; arn: string; topic_arn: string; protocol: string; endpoint: string; owner: string;
  attributes: string; confirmed: number; token: string | null;
}

const topicNotFound = () => new NotFoundException('Topic does not exist');
const subNotFound = () => new NotFoundException('Subscription does not exist');
const invalid = (m: string) => new InvalidParameterException(`Invalid parameter: ${m}`);

export class SnsProvider implements SnsApi {
  private readonly db: Db;
  private readonly clock: Clock;
  readonly signer: SnsSigner;
  readonly deliverer: Deliverer;
  private readonly s;
  private readonly policyCache = new Map<string, Pattern>();

  constructor(private readonly deps: Pick<ServiceDeps, 'db' | 'clock' | 'log' | 'internal' | 'endpoint'>) {
    this.db = deps.db;
    this.clock = deps.clock;
    migrate(this.db, 'sns', MIGRATIONS);
    this.signer = new SnsSigner(this.db);
    this.deliverer = new Deliverer({ internal: deps.internal, clock: deps.clock, log: deps.log, signer: this.signer, endpoint: deps.endpoint });
    const db = this.db;
    this.s = {
      topic: db.prepare('SELECT * FROM sns_topics WHERE account_id = ? AND region = ? AND name = ?'),
      topics: db.prepare('SELECT * FROM sns_topics WHERE account_id = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?'),
      insertTopic: db.prepare('INSERT INTO sns_topics (account_id, region, name, arn, attributes, tags, data_protection_policy, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      deleteTopic: db.prepare('DELETE FROM sns_topics WHERE account_id = ? AND region = ? AND name = ?'),
      setTopicAttributes: db.prepare('UPDATE sns_topics SET attributes = ? WHERE account_id = ? AND region = ? AND name = ?'),
      setTopicTags: db.prepare('UPDATE sns_topics SET tags = ? WHERE account_id = ? AND region = ? AND name = ?'),
      setDataProtection: db.prepare('UPDATE sns_topics SET data_protection_policy = ? WHERE account_id = ? AND region = ? AND name = ?'),
      countDeleted: db.prepare('UPDATE sns_topics SET deleted_subscriptions = deleted_subscriptions + 1 WHERE account_id = ? AND region = ? AND arn = ?'),
      nextSequence: db.prepare('UPDATE sns_topics SET sequence = sequence + 1 WHERE account_id = ? AND region = ? AND name = ? RETURNING sequence'),
      sub: db.prepare('SELECT * FROM sns_subscriptions WHERE account_id = ? AND region = ? AND arn = ?'),
      subByToken: db.prepare('SELECT * FROM sns_subscriptions WHERE account_id = ? AND region = ? AND topic_arn = ? AND token = ?'),
      subsOfTopic: db.prepare('SELECT * FROM sns_subscriptions WHERE account_id = ? AND region = ? AND topic_arn = ? ORDER BY created, arn'),
      subsAll: db.prepare('SELECT * FROM sns_subscriptions WHERE account_id = ? AND region = ? ORDER BY created, arn'),
      subExisting: db.prepare('SELECT * FROM sns_subscriptions WHERE account_id = ? AND region = ? AND topic_arn = ? AND protocol = ? AND endpoint = ?'),
      insertSub: db.prepare(`INSERT INTO sns_subscriptions (account_id, region, arn, topic_arn, protocol, endpoint, owner, attributes, confirmed, token, created)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteSub: db.prepare('DELETE FROM sns_subscriptions WHERE account_id = ? AND region = ? AND arn = ?'),
      deleteTopicSubs: db.prepare('DELETE FROM sns_subscriptions WHERE account_id = ? AND region = ? AND topic_arn = ?'),
      setSubAttributes: db.prepare('UPDATE sns_subscriptions SET attributes = ? WHERE account_id = ? AND region = ? AND arn = ?'),
      confirmSub: db.prepare('UPDATE sns_subscriptions SET confirmed = 1 WHERE account_id = ? AND region = ? AND arn = ?'),
      dedup: db.prepare('SELECT * FROM sns_dedup WHERE account_id = ? AND region = ? AND topic_arn = ? AND dedup_id = ? AND expires > ?'),
      putDedup: db.prepare('INSERT OR REPLACE INTO sns_dedup (account_id, region, topic_arn, dedup_id, message_id, sequence_number, expires) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      expireDedup: db.prepare('DELETE FROM sns_dedup WHERE expires <= ?'),
      app: db.prepare('SELECT * FROM sns_platform_apps WHERE account_id = ? AND region = ? AND arn = ?'),
      apps: db.prepare('SELECT * FROM sns_platform_apps WHERE account_id = ? AND region = ? ORDER BY arn'),
      putApp: db.prepare('INSERT OR REPLACE INTO sns_platform_apps (account_id, region, arn, platform, attributes) VALUES (?, ?, ?, ?, ?)'),
      deleteApp: db.prepare('DELETE FROM sns_platform_apps WHERE account_id = ? AND region = ? AND arn = ?'),
      endpoint: db.prepare('SELECT * FROM sns_platform_endpoints WHERE account_id = ? AND region = ? AND arn = ?'),
      endpointByToken: db.prepare('SELECT * FROM sns_platform_endpoints WHERE account_id = ? AND region = ? AND app_arn = ? AND token = ?'),
      endpointsOfApp: db.prepare('SELECT * FROM sns_platform_endpoints WHERE account_id = ? AND region = ? AND app_arn = ? ORDER BY created, arn'),
      putEndpoint: db.prepare('INSERT OR REPLACE INTO sns_platform_endpoints (account_id, region, arn, app_arn, token, attributes, created) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deleteEndpoint: db.prepare('DELETE FROM sns_platform_endpoints WHERE account_id = ? AND region = ? AND arn = ?'),
      deleteAppEndpoints: db.prepare('DELETE FROM sns_platform_endpoints WHERE account_id = ? AND region = ? AND app_arn = ?'),
      unsubscribed: db.prepare('SELECT * FROM sns_unsubscribed WHERE account_id = ? AND region = ? AND topic_arn = ? AND token = ? AND expires > ?'),
      putUnsubscribed: db.prepare(`INSERT INTO sns_unsubscribed (account_id, region, token, topic_arn, arn, protocol, endpoint, owner, attributes, expires)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      deleteUnsubscribed: db.prepare('DELETE FROM sns_unsubscribed WHERE account_id = ? AND region = ? AND (token = ? OR expires <= ?)'),
      sms: db.prepare('SELECT * FROM sns_sms WHERE account_id = ? AND region = ?'),
      putSms: db.prepare('INSERT OR REPLACE INTO sns_sms (account_id, region, attributes, opted_out) VALUES (?, ?, ?, ?)'),
    };
  }

  // ---- topics ----

  CreateTopic(input: CreateTopicInput, ctx: RequestContext): CreateTopicResponse {
    const attrs = { ...(input.Attributes ?? {}) };
    const fifo = attrs.FifoTopic === 'true';
    if (fifo ? !/^[A-Za-z0-9_-]{1,251}\.fifo$/.test(input.Name) : !/^[A-Za-z0-9_-]{1,256}$/.test(input.Name)) {
      if (fifo || input.Name.endsWith('.fifo')) {
        throw invalid('Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.');
      }
      throw invalid('Topic Name');
    }
    for (const [k, v] of Object.entries(attrs)) this.checkTopicAttribute(k, v, fifo, 'Attributes Reason: ');
    if (attrs.FifoTopic === 'false') delete attrs.FifoTopic;
    if (input.DataProtectionPolicy !== undefined) checkJson(input.DataProtectionPolicy, 'DataProtectionPolicy');
    const tags = tagsToMap(input.Tags ?? []);
    const existing = this.s.topic.get(ctx.accountId, ctx.region, input.Name) as TopicRow | undefined;
    if (existing) {
      // Idempotent when the attributes (and tags, when given) are the same, as AWS is.
      const stored = JSON.parse(existing.attributes) as Record<string, string>;
      for (const [k, v] of Object.entries(attrs)) {
        if (stored[k] !== v) throw invalid('Attributes Reason: Topic already exists with different attributes');
      }
      if (input.Tags?.length) {
        const storedTags = JSON.parse(existing.tags) as Record<string, string>;
        if (JSON.stringify(sortKeys(storedTags)) !== JSON.stringify(sortKeys(tags))) throw invalid('Tags Reason: Topic already exists with different tags');
      }
      return { TopicArn: existing.arn };
    }
    const topicArn = makeArn(ctx, 'sns', input.Name);
    this.s.insertTopic.run(ctx.accountId, ctx.region, input.Name, topicArn, JSON.stringify(attrs), JSON.stringify(tags), input.DataProtectionPolicy ?? null, this.clock.now());
    return { TopicArn: topicArn };
  }

  DeleteTopic(input: DeleteTopicInput, ctx: RequestContext): void {
    // Idempotent: deleting a topic that does not exist is not an error.
    const name = this.topicName(input.TopicArn, ctx);
    this.db.transaction(() => {
      this.s.deleteTopicSubs.run(ctx.accountId, ctx.region, input.TopicArn);
      this.s.deleteTopic.run(ctx.accountId, ctx.region, name);
    })();
  }

  GetTopicAttributes(input: GetTopicAttributesInput, ctx: RequestContext): GetTopicAttributesResponse {
    const t = this.requireTopic(input.TopicArn, ctx);
    const stored = JSON.parse(t.attributes) as Record<string, string>;
    const subs = this.s.subsOfTopic.all(ctx.accountId, ctx.region, t.arn) as SubRow[];
    const confirmed = subs.filter((s) => s.confirmed).length;
    const attributes: Record<string, string> = {
      Policy: stored.Policy ?? defaultPolicy(t),
      Owner: t.account_id,
      SubscriptionsPending: String(subs.length - confirmed),
      TopicArn: t.arn,
      EffectiveDeliveryPolicy: stored.DeliveryPolicy ?? DEFAULT_EFFECTIVE_DELIVERY_POLICY,
      SubscriptionsConfirmed: String(confirmed),
      DisplayName: stored.DisplayName ?? '',
      SubscriptionsDeleted: String(t.deleted_subscriptions),
      ...omit(stored, ['Policy', 'DisplayName']),
    };
    if (stored.FifoTopic === 'true') attributes.ContentBasedDeduplication = stored.ContentBasedDeduplication ?? 'false';
    return { Attributes: attributes };
  }

  SetTopicAttributes(input: SetTopicAttributesInput, ctx: RequestContext): void {
    const t = this.requireTopic(input.TopicArn, ctx);
    const stored = JSON.parse(t.attributes) as Record<string, string>;
    if (input.AttributeName === 'FifoTopic') throw invalid('AttributeName');
    this.checkTopicAttribute(input.AttributeName, input.AttributeValue ?? '', stored.FifoTopic === 'true', '');
    if (input.AttributeValue === undefined || input.AttributeValue === '') delete stored[input.AttributeName];
    else stored[input.AttributeName] = input.AttributeValue;
    this.s.setTopicAttributes.run(JSON.stringify(stored), ctx.accountId, ctx.region, t.name);
  }

  ListTopics(input: ListTopicsInput, ctx: RequestContext): ListTopicsResponse {
    const after = input.NextToken !== undefined ? decodeToken(input.NextToken) : '';
    const rows = this.s.topics.all(ctx.accountId, ctx.region, after, PAGE + 1) as TopicRow[];
    const page = rows.slice(0, PAGE);
    return {
      Topics: page.map((t) => ({ TopicArn: t.arn })),
      NextToken: rows.length > PAGE ? encodeToken(page[page.length - 1].arn) : undefined,
    };
  }

  AddPermission(input: AddPermissionInput, ctx: RequestContext): void {
    const t = this.requireTopic(input.TopicArn, ctx);
    const stored = JSON.parse(t.attributes) as Record<string, string>;
    const policy = JSON.parse(stored.Policy ?? defaultPolicy(t));
    policy.Statement ??= [];
    if (policy.Statement.some((s: { Sid?: string }) => s.Sid === input.Label)) throw invalid('Statement already exists');
    const principals = input.AWSAccountId.map((a) => (/^\d{12}$/.test(a) ? `arn:${partitionOf(ctx.region)}:iam::${a}:root` : a));
    const actions = input.ActionName.map((a) => `SNS:${a}`);
    policy.Statement.push({
      Sid: input.Label,
      Effect: 'Allow',
      Principal: { AWS: principals.length === 1 ? principals[0] : principals },
      Action: actions.length === 1 ? actions[0] : actions,
      Resource: t.arn,
    });
    stored.Policy = JSON.stringify(policy);
    this.s.setTopicAttributes.run(JSON.stringify(stored), ctx.accountId, ctx.region, t.name);
  }

  RemovePermission(input: RemovePermissionInput, ctx: RequestContext): void {
    const t = this.requireTopic(input.TopicArn, ctx);
    const stored = JSON.parse(t.attributes) as Record<string, string>;
    const policy = JSON.parse(stored.Policy ?? defaultPolicy(t));
    policy.Statement = (policy.Statement ?? []).filter((s: { Sid?: string }) => s.Sid !== input.Label);
    stored.Policy = JSON.stringify(policy);
    this.s.setTopicAttributes.run(JSON.stringify(stored), ctx.accountId, ctx.region, t.name);
  }

  PutDataProtectionPolicy(input: PutDataProtectionPolicyInput, ctx: RequestContext): void {
    const t = this.requireTopic(input.ResourceArn, ctx);
    checkJson(input.DataProtectionPolicy, 'DataProtectionPolicy');
    this.s.setDataProtection.run(input.DataProtectionPolicy, ctx.accountId, ctx.region, t.name);
  }

  GetDataProtectionPolicy(input: GetDataProtectionPolicyInput, ctx: RequestContext): GetDataProtectionPolicyResponse {
    const t = this.requireTopic(input.ResourceArn, ctx);
    return { DataProtectionPolicy: t.data_protection_policy ?? '' };
  }

  // ---- tags ----

  TagResource(input: TagResourceRequest, ctx: RequestContext): TagResourceResponse {
    const t = this.taggable(input.ResourceArn, ctx);
    const tags = { ...JSON.parse(t.tags), ...tagsToMap(input.Tags) };
    if (Object.keys(tags).length > 50) throw new TagLimitExceededException('Could not complete request: tag quota of per resource exceeded');
    this.s.setTopicTags.run(JSON.stringify(tags), ctx.accountId, ctx.region, t.name);
    return {};
  }

  UntagResource(input: UntagResourceRequest, ctx: RequestContext): UntagResourceResponse {
    const t = this.taggable(input.ResourceArn, ctx);
    const tags = JSON.parse(t.tags) as Record<string, string>;
    for (const k of input.TagKeys) delete tags[k];
    this.s.setTopicTags.run(JSON.stringify(tags), ctx.accountId, ctx.region, t.name);
    return {};
  }

  ListTagsForResource(input: ListTagsForResourceRequest, ctx: RequestContext): ListTagsForResourceResponse {
    const t = this.taggable(input.ResourceArn, ctx);
    return { Tags: Object.entries(JSON.parse(t.tags) as Record<string, string>).map(([Key, Value]) => ({ Key, Value })) };
  }

  private taggable(resourceArn: string, ctx: RequestContext): TopicRow {
    const t = this.findTopic(resourceArn, ctx);
    if (!t) throw new ResourceNotFoundException('Resource does not exist');
    return t;
  }

  // ---- subscriptions ----

  Subscribe(input: SubscribeInput, ctx: RequestContext): SubscribeResponse {
    const t = this.requireTopic(input.TopicArn, ctx);
    const topicAttrs = JSON.parse(t.attributes) as Record<string, string>;
    const fifo = topicAttrs.FifoTopic === 'true';
    const protocol = input.Protocol.toLowerCase();
    if (!PROTOCOLS.includes(protocol)) throw invalid(`Amazon SNS does not support this protocol string: ${input.Protocol}`);
    const endpoint = input.Endpoint ?? '';
    this.checkEndpoint(protocol, endpoint, fifo);
    const attrs = { ...(input.Attributes ?? {}) };
    for (const [k, v] of Object.entries(attrs)) this.checkSubscriptionAttribute(k, v, protocol, attrs, 'Attributes Reason: ');
    if (protocol === 'firehose' && !attrs.SubscriptionRoleArn) throw invalid('Attributes Reason: SubscriptionRoleArn is required for firehose');

    const existing = this.s.subExisting.get(ctx.accountId, ctx.region, t.arn, protocol, endpoint) as SubRow | undefined;
    if (existing) {
      const stored = JSON.parse(existing.attributes) as Record<string, string>;
      for (const [k, v] of Object.entries(attrs)) {
        if ((stored[k] ?? defaultSubAttribute(k)) !== v) throw invalid('Attributes Reason: Subscription already exists with different attributes');
      }
      return { SubscriptionArn: existing.confirmed || input.ReturnSubscriptionArn ? existing.arn : 'pending confirmation' };
    }
    const subArn = `${t.arn}:${crypto.randomUUID()}`;
    const pending = PENDING_PROTOCOLS.includes(protocol);
    const token = pending ? crypto.randomBytes(64).toString('hex') : null;
    if (attrs.FilterPolicy !== undefined && attrs.FilterPolicyScope === undefined) attrs.FilterPolicyScope = 'MessageAttributes';
    this.s.insertSub.run(ctx.accountId, ctx.region, subArn, t.arn, protocol, endpoint, ctx.accountId, JSON.stringify(attrs), pending ? 0 : 1, token, this.clock.now());
    if (protocol === 'http' || protocol === 'https') {
      const target = this.target({ account_id: ctx.accountId, region: ctx.region, arn: subArn, topic_arn: t.arn, protocol, endpoint, owner: ctx.accountId, attributes: JSON.stringify(attrs), confirmed: 0, token }, topicAttrs);
      this.deliverer.sendConfirmation(target, t.arn, token!, topicAttrs.SignatureVersion ?? '1');
    } else if (pending) {
      // No mail or text is sent locally: the confirmation link goes to the log instead.
      this.deps.log.info(`sns: ${protocol} subscription of ${endpoint} to ${t.arn} is pending; confirm it at ${this.deliverer.subscribeUrl(t.arn, token!)}`);
    }
    return { SubscriptionArn: pending && !input.ReturnSubscriptionArn ? 'pending confirmation' : subArn };
  }

  ConfirmSubscription(input: ConfirmSubscriptionInput, ctx: RequestContext): ConfirmSubscriptionResponse {
    const t = this.requireTopic(input.TopicArn, ctx);
    const sub = this.s.subByToken.get(ctx.accountId, ctx.region, t.arn, input.Token) as SubRow | undefined;
    if (sub) {
      this.s.confirmSub.run(ctx.accountId, ctx.region, sub.arn);
      return { SubscriptionArn: sub.arn };
    }
    // The token of an UnsubscribeConfirmation restores the subscription it removed.
    const now = this.clock.now();
    const gone = this.s.unsubscribed.get(ctx.accountId, ctx.region, t.arn, input.Token, now) as
      | { arn: string; protocol: string; endpoint: string; owner: string; attributes: string }
      | undefined;
    if (!gone) throw invalid('Token');
    this.db.transaction(() => {
      this.s.deleteUnsubscribed.run(ctx.accountId, ctx.region, input.Token, now);
      if (!this.s.sub.get(ctx.accountId, ctx.region, gone.arn)) {
        this.s.insertSub.run(ctx.accountId, ctx.region, gone.arn, t.arn, gone.protocol, gone.endpoint, gone.owner, gone.attributes, 1, input.Token, now);
      }
    })();
    return { SubscriptionArn: gone.arn };
  }

  Unsubscribe(input: UnsubscribeInput, ctx: RequestContext): void {
    const parts = input.SubscriptionArn.split(':');
    if (parts.length < 6 || parts[0] !== 'arn') throw invalid(`SubscriptionArn Reason: An ARN must have at least 6 elements, not ${parts.length}`);
    const sub = this.s.sub.get(ctx.accountId, ctx.region, input.SubscriptionArn) as SubRow | undefined;
    if (!sub) throw subNotFound();
    const httpConfirmed = sub.confirmed === 1 && (sub.protocol === 'http' || sub.protocol === 'https');
    const token = crypto.randomBytes(64).toString('hex');
    this.db.transaction(() => {
      this.s.deleteSub.run(ctx.accountId, ctx.region, sub.arn);
      this.s.countDeleted.run(ctx.accountId, ctx.region, sub.topic_arn);
      if (httpConfirmed) {
        this.s.putUnsubscribed.run(ctx.accountId, ctx.region, token, sub.topic_arn, sub.arn, sub.protocol, sub.endpoint, sub.owner, sub.attributes, this.clock.now() + 3 * 86_400_000);
      }
    })();
    // AWS tells an HTTP/S endpoint that it was unsubscribed, with a link that undoes it.
    if (httpConfirmed) {
      const t = this.findTopic(sub.topic_arn, ctx);
      const topicAttrs = t ? (JSON.parse(t.attributes) as Record<string, string>) : {};
      this.deliverer.sendUnsubscribeConfirmation(this.target(sub, topicAttrs), sub.topic_arn, token, topicAttrs.SignatureVersion ?? '1');
    }
  }

  ListSubscriptions(input: ListSubscriptionsInput, ctx: RequestContext): ListSubscriptionsResponse {
    const rows = this.s.subsAll.all(ctx.accountId, ctx.region) as SubRow[];
    const { page, next } = paginate(rows, input.NextToken);
    return { Subscriptions: page.map(subscriptionSummary), NextToken: next };
  }

  ListSubscriptionsByTopic(input: ListSubscriptionsByTopicInput, ctx: RequestContext): ListSubscriptionsByTopicResponse {
    const t = this.requireTopic(input.TopicArn, ctx);
    const rows = this.s.subsOfTopic.all(ctx.accountId, ctx.region, t.arn) as SubRow[];
    const { page, next } = paginate(rows, input.NextToken);
    return { Subscriptions: page.map(subscriptionSummary), NextToken: next };
  }

  GetSubscriptionAttributes(input: GetSubscriptionAttributesInput, ctx: RequestContext): GetSubscriptionAttributesResponse {
    const sub = this.requireSub(input.SubscriptionArn, ctx);
    const stored = JSON.parse(sub.attributes) as Record<string, string>;
    const attributes: Record<string, string> = {
      Owner: sub.owner,
      RawMessageDelivery: 'false',
      TopicArn: sub.topic_arn,
      Endpoint: sub.endpoint,
      Protocol: sub.protocol,
      PendingConfirmation: sub.confirmed ? 'false' : 'true',
      ConfirmationWasAuthenticated: sub.confirmed ? 'true' : 'false',
      SubscriptionArn: sub.arn,
      SubscriptionPrincipal: `arn:${partitionOf(ctx.region)}:iam::${sub.owner}:user/nimbus`,
      ...stored,
    };
    if (sub.protocol === 'http' || sub.protocol === 'https') {
      const t = this.findTopic(sub.topic_arn, ctx);
      const topicPolicy = t ? (JSON.parse(t.attributes) as Record<string, string>).DeliveryPolicy : undefined;
      attributes.EffectiveDeliveryPolicy = stored.DeliveryPolicy ?? topicPolicy ?? DEFAULT_EFFECTIVE_DELIVERY_POLICY;
    }
    return { Attributes: attributes };
  }

  SetSubscriptionAttributes(input: SetSubscriptionAttributesInput, ctx: RequestContext): void {
    const sub = this.requireSub(input.SubscriptionArn, ctx);
    const stored = JSON.parse(sub.attributes) as Record<string, string>;
    const value = input.AttributeValue ?? '';
    if (!SUBSCRIPTION_ATTRIBUTES.includes(input.AttributeName)) throw invalid('AttributeName');
    if (value === '' && (input.AttributeName === 'FilterPolicy' || input.AttributeName === 'RedrivePolicy' || input.AttributeName === 'DeliveryPolicy')) {
      delete stored[input.AttributeName];
      if (input.AttributeName === 'FilterPolicy') delete stored.FilterPolicyScope;
    } else {
      this.checkSubscriptionAttribute(input.AttributeName, value, sub.protocol, { ...stored, [input.AttributeName]: value }, '');
      stored[input.AttributeName] = value;
      if (input.AttributeName === 'FilterPolicy' && !stored.FilterPolicyScope) stored.FilterPolicyScope = 'MessageAttributes';
    }
    this.s.setSubAttributes.run(JSON.stringify(stored), ctx.accountId, ctx.region, sub.arn);
  }

  // ---- publishing ----

  Publish(input: PublishInput, ctx: RequestContext): PublishResponse {
    const given = [input.TopicArn, input.TargetArn, input.PhoneNumber].filter((v) => v !== undefined).length;
    if (given === 0) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    if (given > 1) throw invalid('TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber can be specified');
    if (input.PhoneNumber !== undefined) {
      // SMS is accepted and not sent anywhere.
      if (!/^\+?[0-9]{5,15}$/.test(input.PhoneNumber)) throw invalid(`PhoneNumber Reason: ${input.PhoneNumber} is not valid to publish to`);
      this.checkMessage(input, false);
      return { MessageId: crypto.randomUUID() };
    }
    const targetArn = (input.TopicArn ?? input.TargetArn)!;
    if (input.TargetArn !== undefined && /:endpoint\//.test(input.TargetArn)) {
      // Mobile push: accepted for an enabled endpoint and not sent to any device.
      const e = this.requireEndpoint(input.TargetArn, ctx);
      if (JSON.parse(e.attributes).Enabled === 'false') throw new EndpointDisabledException('Endpoint is disabled');
      this.checkMessage(input, false);
      return { MessageId: crypto.randomUUID() };
    }
    const t = this.requireTopic(targetArn, ctx);
    const result = this.publishOne(t, input, ctx);
    return result;
  }

  PublishBatch(input: PublishBatchInput, ctx: RequestContext): PublishBatchResponse {
    const t = this.requireTopic(input.TopicArn, ctx);
    const entries = input.PublishBatchRequestEntries;
    if (entries.length === 0) throw new EmptyBatchRequestException('The batch request doesn\'t contain any entries.');
    if (entries.length > 10) throw new TooManyEntriesInBatchRequestException('The batch request contains more entries than permissible.');
    const ids = new Set<string>();
    for (const e of entries) {
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(e.Id)) throw new InvalidBatchEntryIdException('A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
      if (ids.has(e.Id)) throw new BatchEntryIdsNotDistinctException('Two or more batch entries in the request have the same Id.');
      ids.add(e.Id);
    }
    const total = entries.reduce((n, e) => n + messageSize(e.Message, e.MessageAttributes), 0);
    if (total > MAX_MESSAGE_BYTES) throw new BatchRequestTooLongException('The length of all the messages put together is more than the limit.');
    const Successful: PublishBatchResultEntry[] = [];
    const Failed: BatchResultErrorEntry[] = [];
    for (const e of entries) {
      try {
        const r = this.publishOne(t, e, ctx);
        Successful.push({ Id: e.Id, MessageId: r.MessageId, ...(r.SequenceNumber ? { SequenceNumber: r.SequenceNumber } : {}) });
      } catch (err) {
        const code = err instanceof InvalidParameterException ? 'InvalidParameter' : (err as { code?: string }).code ?? 'InternalError';
        Failed.push({ Id: e.Id, Code: code, Message: (err as Error).message, SenderFault: true });
      }
    }
    return { Successful, Failed };
  }

  private publishOne(
    t: TopicRow,
    input: Pick<PublishInput, 'Message' | 'Subject' | 'MessageStructure' | 'MessageAttributes' | 'MessageDeduplicationId' | 'MessageGroupId'>,
    ctx: RequestContext,
  ): PublishResponse {
    const topicAttrs = JSON.parse(t.attributes) as Record<string, string>;
    const fifo = topicAttrs.FifoTopic === 'true';
    const perProtocol = this.checkMessage(input, fifo);
    let dedupId = input.MessageDeduplicationId;
    if (fifo) {
      if (!input.MessageGroupId) throw invalid('The MessageGroupId parameter is required for FIFO topics');
      if (!dedupId) {
        if (topicAttrs.ContentBasedDeduplication !== 'true') {
          throw invalid('The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
        }
        dedupId = crypto.createHash('sha256').update(input.Message).digest('hex');
      }
    } else {
      if (input.MessageDeduplicationId !== undefined) throw invalid('MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type');
    }
    const now = this.clock.now();
    let sequenceNumber: string | undefined;
    const messageId = crypto.randomUUID();
    if (fifo) {
      const dup = this.s.dedup.get(ctx.accountId, ctx.region, t.arn, dedupId, now) as { message_id: string; sequence_number: string } | undefined;
      // Within the 5-minute window a duplicate is accepted and answered as the original, not delivered.
      if (dup) return { MessageId: dup.message_id, SequenceNumber: dup.sequence_number };
      const seq = (this.s.nextSequence.get(ctx.accountId, ctx.region, t.name) as { sequence: number }).sequence;
      sequenceNumber = (10n ** 19n + BigInt(seq)).toString();
      if (Math.random() < 0.01) this.s.expireDedup.run(now);
      this.s.putDedup.run(ctx.accountId, ctx.region, t.arn, dedupId, messageId, sequenceNumber, now + DEDUP_WINDOW_MS);
    }
    const attributes = input.MessageAttributes ?? {};
    const msg: PublishedMessage = {
      messageId,
      topicArn: t.arn,
      subject: input.Subject,
      messageFor: (protocol) => (perProtocol ? perProtocol[protocol] ?? perProtocol.default : input.Message),
      timestamp: new Date(now).toISOString(),
      attributes,
      signatureVersion: topicAttrs.SignatureVersion ?? '1',
      groupId: fifo ? input.MessageGroupId : undefined,
      dedupId: fifo ? dedupId : undefined,
      sequenceNumber,
    };
    const subs = this.s.subsOfTopic.all(ctx.accountId, ctx.region, t.arn) as SubRow[];
    const targets: SubscriptionTarget[] = [];
    for (const sub of subs) {
      if (!sub.confirmed) continue;
      const attrs = JSON.parse(sub.attributes) as Record<string, string>;
      if (attrs.FilterPolicy && !this.passesFilter(attrs, msg, sub.protocol)) continue;
      targets.push(this.target(sub, topicAttrs, attrs));
    }
    this.deliverer.dispatch(msg, targets, fifo);
    return { MessageId: messageId, ...(sequenceNumber ? { SequenceNumber: sequenceNumber } : {}) };
  }

  private passesFilter(attrs: Record<string, string>, msg: PublishedMessage, protocol: string): boolean {
    let policy = this.policyCache.get(attrs.FilterPolicy);
    if (!policy) {
      try {
        policy = JSON.parse(attrs.FilterPolicy) as Pattern;
      } catch {
        return false;
      }
      if (this.policyCache.size > 1000) this.policyCache.clear();
      this.policyCache.set(attrs.FilterPolicy, policy);
    }
    if (attrs.FilterPolicyScope === 'MessageBody') return matchesMessageBody(policy, msg.messageFor(protocol));
    return matchesMessageAttributes(policy, msg.attributes);
  }

  /** Validates message, subject, structure and attributes; returns the per-protocol messages for MessageStructure=json. */
  private checkMessage(
    input: Pick<PublishInput, 'Message' | 'Subject' | 'MessageStructure' | 'MessageAttributes' | 'MessageGroupId'>,
    fifo: boolean,
  ): Record<string, string> | undefined {
    if (input.Message === undefined || input.Message === '') throw invalid('Empty message');
    if (input.Subject !== undefined && (input.Subject === '' || input.Subject.length > 100 || /[\u0000-\u001f]/.test(input.Subject))) throw invalid('Subject');
    if (messageSize(input.Message, input.MessageAttributes) > MAX_MESSAGE_BYTES) throw invalid('Message too long');
    for (const [name, a] of Object.entries(input.MessageAttributes ?? {})) checkMessageAttribute(name, a);
    if (!fifo && input.MessageGroupId !== undefined && input.MessageGroupId === '') throw invalid('MessageGroupId');
    if (input.MessageStructure === undefined) return undefined;
    if (input.MessageStructure !== 'json') throw invalid('MessageStructure');
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.Message);
    } catch {
      throw invalid('Message Structure - JSON message body failed to parse');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('Message Structure - JSON message body failed to parse');
    const map = parsed as Record<string, unknown>;
    if (typeof map.default !== 'string') throw invalid('Message Structure - No default entry in JSON message body');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(map)) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
    return out;
  }

  private target(sub: SubRow, topicAttrs: Record<string, string>, attrs = JSON.parse(sub.attributes) as Record<string, string>): SubscriptionTarget {
    return {
      arn: sub.arn,
      protocol: sub.protocol,
      endpoint: sub.endpoint,
      raw: attrs.RawMessageDelivery === 'true',
      deliveryPolicy: attrs.DeliveryPolicy,
      topicDeliveryPolicy: topicAttrs.DeliveryPolicy,
      redrivePolicy: attrs.RedrivePolicy,
      accountId: sub.account_id,
      region: sub.region,
    };
  }

  // ---- mobile push (stored; nothing is pushed to a device) ----

  CreatePlatformApplication(input: CreatePlatformApplicationInput, ctx: RequestContext): CreatePlatformApplicationResponse {
    if (!PLATFORMS.includes(input.Platform)) throw invalid(`Platform Reason: ${input.Platform} is not supported`);
    if (!/^[A-Za-z0-9_.-]{1,256}$/.test(input.Name)) throw invalid('Name Reason: must be at most 256 characters long and may contain only letters, numbers, hyphens, periods and underscores');
    if (input.Platform !== 'APNS' && input.Platform !== 'APNS_SANDBOX' && !input.Attributes.PlatformCredential) {
      throw invalid('Attributes Reason: PlatformCredential attribute is required');
    }
    const appArn = makeArn(ctx, 'sns', `app/${input.Platform}/${input.Name}`);
    this.s.putApp.run(ctx.accountId, ctx.region, appArn, input.Platform, JSON.stringify({ Enabled: 'true', ...input.Attributes }));
    return { PlatformApplicationArn: appArn };
  }

  GetPlatformApplicationAttributes(input: GetPlatformApplicationAttributesInput, ctx: RequestContext): GetPlatformApplicationAttributesResponse {
    const app = this.requireApp(input.PlatformApplicationArn, ctx);
    // Credentials are write-only, as on AWS.
    return { Attributes: omit(JSON.parse(app.attributes), ['PlatformCredential', 'PlatformPrincipal']) };
  }

  SetPlatformApplicationAttributes(input: SetPlatformApplicationAttributesInput, ctx: RequestContext): void {
    const app = this.requireApp(input.PlatformApplicationArn, ctx);
    this.s.putApp.run(ctx.accountId, ctx.region, app.arn, app.platform, JSON.stringify({ ...JSON.parse(app.attributes), ...input.Attributes }));
  }

  DeletePlatformApplication(input: DeletePlatformApplicationInput, ctx: RequestContext): void {
    this.db.transaction(() => {
      this.s.deleteAppEndpoints.run(ctx.accountId, ctx.region, input.PlatformApplicationArn);
      this.s.deleteApp.run(ctx.accountId, ctx.region, input.PlatformApplicationArn);
    })();
  }

  ListPlatformApplications(input: ListPlatformApplicationsInput, ctx: RequestContext): ListPlatformApplicationsResponse {
    const rows = this.s.apps.all(ctx.accountId, ctx.region) as { arn: string; attributes: string }[];
    const { page, next } = paginate(rows, input.NextToken);
    return {
      PlatformApplications: page.map((a) => ({ PlatformApplicationArn: a.arn, Attributes: omit(JSON.parse(a.attributes), ['PlatformCredential', 'PlatformPrincipal']) })),
      NextToken: next,
    };
  }

  CreatePlatformEndpoint(input: CreatePlatformEndpointInput, ctx: RequestContext): CreateEndpointResponse {
    const app = this.requireApp(input.PlatformApplicationArn, ctx);
    const attrs: Record<string, string> = { Enabled: 'true', ...(input.Attributes ?? {}), Token: input.Token };
    if (input.CustomUserData !== undefined) attrs.CustomUserData = input.CustomUserData;
    const existing = this.s.endpointByToken.get(ctx.accountId, ctx.region, app.arn, input.Token) as EndpointRow | undefined;
    if (existing) {
      // Idempotent for the same token and attributes, as AWS is.
      const stored = JSON.parse(existing.attributes) as Record<string, string>;
      if (Object.entries(attrs).some(([k, v]) => stored[k] !== v)) {
        throw invalid(`Token Reason: Endpoint ${existing.arn} already exists with the same Token, but different attributes.`);
      }
      return { EndpointArn: existing.arn };
    }
    const name = app.arn.split(':').pop()!.replace(/^app\//, '');
    const endpointArn = makeArn(ctx, 'sns', `endpoint/${name}/${crypto.randomUUID()}`);
    this.s.putEndpoint.run(ctx.accountId, ctx.region, endpointArn, app.arn, input.Token, JSON.stringify(attrs), this.clock.now());
    return { EndpointArn: endpointArn };
  }

  GetEndpointAttributes(input: GetEndpointAttributesInput, ctx: RequestContext): GetEndpointAttributesResponse {
    return { Attributes: JSON.parse(this.requireEndpoint(input.EndpointArn, ctx).attributes) };
  }

  SetEndpointAttributes(input: SetEndpointAttributesInput, ctx: RequestContext): void {
    const e = this.requireEndpoint(input.EndpointArn, ctx);
    const attrs = { ...JSON.parse(e.attributes), ...input.Attributes };
    this.s.putEndpoint.run(ctx.accountId, ctx.region, e.arn, e.app_arn, attrs.Token ?? e.token, JSON.stringify(attrs), e.created);
  }

  DeleteEndpoint(input: DeleteEndpointInput, ctx: RequestContext): void {
    // Idempotent, as on AWS.
    this.s.deleteEndpoint.run(ctx.accountId, ctx.region, input.EndpointArn);
  }

  ListEndpointsByPlatformApplication(input: ListEndpointsByPlatformApplicationInput, ctx: RequestContext): ListEndpointsByPlatformApplicationResponse {
    const app = this.requireApp(input.PlatformApplicationArn, ctx);
    const rows = this.s.endpointsOfApp.all(ctx.accountId, ctx.region, app.arn) as EndpointRow[];
    const { page, next } = paginate(rows, input.NextToken);
    return { Endpoints: page.map((e) => ({ EndpointArn: e.arn, Attributes: JSON.parse(e.attributes) })), NextToken: next };
  }

  private requireApp(appArn: string, ctx: RequestContext): { arn: string; platform: string; attributes: string } {
    const app = this.s.app.get(ctx.accountId, ctx.region, appArn) as { arn: string; platform: string; attributes: string } | undefined;
    if (!app) throw new NotFoundException('PlatformApplication does not exist');
    return app;
  }

  private requireEndpoint(endpointArn: string, ctx: RequestContext): EndpointRow {
    const e = this.s.endpoint.get(ctx.accountId, ctx.region, endpointArn) as EndpointRow | undefined;
    if (!e) throw new NotFoundException('Endpoint does not exist');
    return e;
  }

  // ---- SMS (stored, nothing is sent) ----

  CheckIfPhoneNumberIsOptedOut(input: CheckIfPhoneNumberIsOptedOutInput, ctx: RequestContext): CheckIfPhoneNumberIsOptedOutResponse {
    return { isOptedOut: this.smsState(ctx).optedOut.includes(input.phoneNumber) };
  }
  ListPhoneNumbersOptedOut(_input: ListPhoneNumbersOptedOutInput, ctx: RequestContext): ListPhoneNumbersOptedOutResponse {
    return { phoneNumbers: this.smsState(ctx).optedOut };
  }
  OptInPhoneNumber(input: OptInPhoneNumberInput, ctx: RequestContext): OptInPhoneNumberResponse {
    const st = this.smsState(ctx);
    this.s.putSms.run(ctx.accountId, ctx.region, JSON.stringify(st.attributes), JSON.stringify(st.optedOut.filter((p) => p !== input.phoneNumber)));
    return {};
  }
  GetSMSAttributes(input: GetSMSAttributesInput, ctx: RequestContext): GetSMSAttributesResponse {
    const attrs = this.smsState(ctx).attributes;
    if (!input.attributes?.length) return { attributes: attrs };
    return { attributes: Object.fromEntries(Object.entries(attrs).filter(([k]) => input.attributes!.includes(k))) };
  }
  SetSMSAttributes(input: SetSMSAttributesInput, ctx: RequestContext): SetSMSAttributesResponse {
    const st = this.smsState(ctx);
    this.s.putSms.run(ctx.accountId, ctx.region, JSON.stringify({ ...st.attributes, ...input.attributes }), JSON.stringify(st.optedOut));
    return {};
  }
  GetSMSSandboxAccountStatus(): GetSMSSandboxAccountStatusResult {
    return { IsInSandbox: false };
  }
  ListSMSSandboxPhoneNumbers(): ListSMSSandboxPhoneNumbersResult {
    return { PhoneNumbers: [] };
  }

  private smsState(ctx: RequestContext): { attributes: Record<string, string>; optedOut: string[] } {
    const row = this.s.sms.get(ctx.accountId, ctx.region) as { attributes: string; opted_out: string } | undefined;
    return row ? { attributes: JSON.parse(row.attributes), optedOut: JSON.parse(row.opted_out) } : { attributes: {}, optedOut: [] };
  }

  // ---- non-API endpoints: signing certificate, SubscribeURL, UnsubscribeURL ----

  async handleRaw(req: WireRequest, ctx: RequestContext): Promise<WireResponse> {
    const path = req.rawPath.replace(/^\/_nimbus\/sns\//, '');
    const q = new URLSearchParams(req.rawQuery);
    const xml = (body: string, status = 200): WireResponse => ({ status, headers: { 'content-type': 'text/xml' }, body });
    try {
      if (/^SimpleNotificationService-[0-9a-f]+\.pem$/.test(path) && path === this.signer.certFileName()) {
        return { status: 200, headers: { 'content-type': 'application/x-x509-ca-cert' }, body: this.signer.certificatePem() };
      }
      if (path === 'confirm') {
        const topicArn = q.get('TopicArn') ?? '';
        const scope = this.scopeOfArn(topicArn, ctx);
        const r = this.ConfirmSubscription({ TopicArn: topicArn, Token: q.get('Token') ?? '' }, scope);
        return xml(`<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${escapeXml(r.SubscriptionArn!)}</SubscriptionArn></ConfirmSubscriptionResult><ResponseMetadata><RequestId>${ctx.requestId}</RequestId></ResponseMetadata></ConfirmSubscriptionResponse>`);
      }
      if (path === 'unsubscribe') {
        const subArn = q.get('SubscriptionArn') ?? '';
        this.Unsubscribe({ SubscriptionArn: subArn }, this.scopeOfArn(subArn, ctx));
        return xml(`<UnsubscribeResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>${ctx.requestId}</RequestId></ResponseMetadata></UnsubscribeResponse>`);
      }
    } catch (e) {
      const err = e as { code?: string; status?: number; message?: string };
      const code = err.code === 'InvalidParameterException' ? 'InvalidParameter' : err.code === 'NotFoundException' ? 'NotFound' : err.code ?? 'InternalError';
      return xml(`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(err.message ?? '')}</Message></Error><RequestId>${ctx.requestId}</RequestId></ErrorResponse>`, err.status ?? 400);
    }
    return xml('<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Not Found</Message></Error></ErrorResponse>', 404);
  }

  /** Resources named by ARN in the unsigned SubscribeURL/UnsubscribeURL live in the ARN's own account and region. */
  private scopeOfArn(resourceArn: string, ctx: RequestContext): RequestContext {
    const m = /^arn:([^:]+):sns:([^:]+):(\d{12}):/.exec(resourceArn);
    return m ? { ...ctx, partition: m[1], region: m[2], accountId: m[3] } : ctx;
  }

  // ---- helpers ----

  private topicName(topicArn: string, ctx: RequestContext): string {
    const m = /^arn:[^:]+:sns:([^:]+):(\d{12}):([A-Za-z0-9_.-]+)$/.exec(topicArn);
    if (!m) throw invalid('TopicArn');
    if (m[1] !== ctx.region) throw invalid('TopicArn');
    if (m[2] !== ctx.accountId) throw new AuthorizationErrorException(`User: arn:aws:iam::${ctx.accountId}:root is not authorized to access this topic`);
    return m[3];
  }

  private findTopic(topicArn: string, ctx: RequestContext): TopicRow | undefined {
    const m = /^arn:[^:]+:sns:([^:]+):(\d{12}):([A-Za-z0-9_.-]+)$/.exec(topicArn);
    if (!m) return undefined;
    return this.s.topic.get(m[2], m[1], m[3]) as TopicRow | undefined;
  }

  private requireTopic(topicArn: string, ctx: RequestContext): TopicRow {
    const name = this.topicName(topicArn, ctx);
    const t = this.s.topic.get(ctx.accountId, ctx.region, name) as TopicRow | undefined;
    if (!t) throw topicNotFound();
    return t;
  }

  private requireSub(subArn: string, ctx: RequestContext): SubRow {
    const sub = this.s.sub.get(ctx.accountId, ctx.region, subArn) as SubRow | undefined;
    if (!sub) {
      if (!subArn.startsWith('arn:')) throw invalid('SubscriptionArn');
      throw subNotFound();
    }
    return sub;
  }

  private checkTopicAttribute(name: string, value: string, fifo: boolean, prefix: string): void {
    if (!TOPIC_ATTRIBUTES.includes(name) && !/(SuccessFeedbackRoleArn|FailureFeedbackRoleArn|SuccessFeedbackSampleRate)$/.test(name)) {
      throw invalid(prefix ? `${prefix}Unknown attribute ${name}` : 'AttributeName');
    }
    switch (name) {
      case 'FifoTopic':
        if (value !== 'true' && value !== 'false') throw invalid(`${prefix}FifoTopic`);
        break;
      case 'SignatureVersion':
        if (value !== '1' && value !== '2') throw invalid(`${prefix}SignatureVersion`);
        break;
      case 'ContentBasedDeduplication':
        if (value !== 'true' && value !== 'false') throw invalid(`${prefix}ContentBasedDeduplication`);
        if (!fifo && value === 'true') throw invalid(`${prefix}Content based deduplication can only be set for FIFO topics`);
        break;
      case 'TracingConfig':
        if (value !== 'Active' && value !== 'PassThrough') throw invalid(`${prefix}TracingConfig`);
        break;
      case 'Policy':
      case 'DeliveryPolicy':
      case 'ArchivePolicy':
        if (value !== '') checkJson(value, name, prefix);
        break;
      case 'DisplayName':
        if (value.length > 100) throw invalid(`${prefix}DisplayName`);
        break;
    }
  }

  private checkEndpoint(protocol: string, endpoint: string, fifo: boolean): void {
    switch (protocol) {
      case 'sqs': {
        const q = parseQueueArn(endpoint);
        if (!q) throw invalid('SQS endpoint ARN');
        // FIFO topics deliver to FIFO and (since 2023, best-effort ordering) standard queues:
        // https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html
        if (!fifo && q.name.endsWith('.fifo')) throw invalid('Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics');
        return;
      }
      case 'lambda':
        if (!/^arn:[^:]+:lambda:[^:]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/.test(endpoint)) throw invalid('Lambda endpoint ARN');
        break;
      case 'http':
      case 'https':
        if (!endpoint.toLowerCase().startsWith(`${protocol}://`)) throw invalid('Endpoint must match the specified protocol');
        break;
      case 'email':
      case 'email-json':
        if (!/^[^@\s]+@[^@\s]+$/.test(endpoint)) throw invalid('Email address');
        break;
      case 'sms':
        if (!/^\+?[0-9]{5,15}$/.test(endpoint.replace(/[-\s()]/g, ''))) throw invalid(`SMS endpoint: ${endpoint}`);
        break;
      case 'application':
        if (!/^arn:[^:]+:sns:[^:]+:\d{12}:endpoint\//.test(endpoint)) throw invalid('Endpoint ARN');
        break;
      case 'firehose':
        if (!/^arn:[^:]+:firehose:/.test(endpoint)) throw invalid('Endpoint ARN');
        break;
    }
    if (fifo) throw invalid(`Invalid protocol type: ${protocol}`);
  }

  private checkSubscriptionAttribute(name: string, value: string, protocol: string, all: Record<string, string>, prefix: string): void {
    if (!SUBSCRIPTION_ATTRIBUTES.includes(name)) throw invalid(prefix ? `${prefix}Unknown attribute ${name}` : 'AttributeName');
    switch (name) {
      case 'RawMessageDelivery':
        if (value !== 'true' && value !== 'false') throw invalid(`${prefix}RawMessageDelivery: Invalid value [${value}]. Must be true or false.`);
        if (value === 'true' && !RAW_PROTOCOLS.includes(protocol)) throw invalid(`${prefix}Delivery protocol [${protocol}] does not support raw message delivery.`);
        break;
      case 'FilterPolicyScope':
        if (value !== 'MessageAttributes' && value !== 'MessageBody') {
          throw invalid(`${prefix}FilterPolicyScope: Invalid value [${value}]. Please use either MessageBody or MessageAttributes`);
        }
        if (all.FilterPolicy) this.checkSubscriptionAttribute('FilterPolicy', all.FilterPolicy, protocol, all, prefix);
        break;
      case 'FilterPolicy': {
        let policy: unknown;
        try {
          policy = JSON.parse(value);
        } catch {
          throw invalid(`${prefix}FilterPolicy: failed to parse JSON.`);
        }
        try {
          checkFilterPolicy(policy, all.FilterPolicyScope === 'MessageBody' ? 'MessageBody' : 'MessageAttributes');
        } catch (e) {
          if (e instanceof FilterPolicyError) throw invalid(`${prefix}${e.message}`);
          throw e;
        }
        break;
      }
      case 'RedrivePolicy': {
        const p = checkJson(value, 'RedrivePolicy', prefix) as { deadLetterTargetArn?: unknown };
        if (typeof p?.deadLetterTargetArn !== 'string') throw invalid(`${prefix}RedrivePolicy: deadLetterTargetArn is missing`);
        if (!parseQueueArn(p.deadLetterTargetArn)) throw invalid(`${prefix}RedrivePolicy: Invalid deadLetterTargetArn`);
        break;
      }
      case 'DeliveryPolicy':
        checkJson(value, 'DeliveryPolicy', prefix);
        if (protocol !== 'http' && protocol !== 'https') throw invalid(`${prefix}DeliveryPolicy: only http and https subscriptions support delivery policies`);
        break;
      case 'ReplayPolicy':
        checkJson(value, 'ReplayPolicy', prefix);
        break;
    }
  }
}

// ---- module-level helpers ----

function defaultPolicy(t: TopicRow): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
        Resource: t.arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': t.account_id } },
      },
    ],
  });
}

function defaultSubAttribute(name: string): string | undefined {
  return name === 'RawMessageDelivery' ? 'false' : undefined;
}

function checkJson(value: string, name: string, prefix = ''): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw invalid(`${prefix}${name}: failed to parse JSON.`);
  }
}

function checkMessageAttribute(name: string, a: MessageAttributeValue): void {
  const reason = 'MessageAttributes Reason: ';
  const base = a.DataType.split('.')[0];
  if (!['String', 'Number', 'Binary'].includes(base)) {
    throw invalid(`${reason}The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
  }
  if (base === 'Binary') {
    if (a.BinaryValue === undefined || a.BinaryValue.length === 0) throw invalid(`${reason}The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${a.DataType}'.`);
    return;
  }
  if (a.StringValue === undefined || a.StringValue === '') throw invalid(`${reason}The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${a.DataType}'.`);
  if (base === 'Number' && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(a.StringValue.trim())) {
    throw invalid(`${reason}Could not cast message attribute '${name}' value to number.`);
  }
  if (a.DataType === 'String.Array') {
    let arr: unknown;
    try {
      arr = JSON.parse(a.StringValue);
    } catch {
      arr = undefined;
    }
    if (!Array.isArray(arr)) throw invalid(`${reason}The message attribute '${name}' with type 'String.Array' has an invalid value: must be a JSON array.`);
  }
}

function messageSize(message: string, attrs: Record<string, MessageAttributeValue> | undefined): number {
  let n = Buffer.byteLength(message ?? '');
  for (const [k, a] of Object.entries(attrs ?? {})) {
    n += Buffer.byteLength(k) + Buffer.byteLength(a.DataType) + (a.StringValue !== undefined ? Buffer.byteLength(a.StringValue) : 0) + (a.BinaryValue?.length ?? 0);
  }
  return n;
}

function subscriptionSummary(s: SubRow): Subscription {
  return {
    SubscriptionArn: s.confirmed ? s.arn : 'PendingConfirmation',
    Owner: s.owner,
    Protocol: s.protocol,
    Endpoint: s.endpoint,
    TopicArn: s.topic_arn,
  };
}

function paginate<T>(rows: T[], token: string | undefined): { page: T[]; next?: string } {
  const offset = token !== undefined ? Number(decodeToken(token)) || 0 : 0;
  const page = rows.slice(offset, offset + PAGE);
  return { page, next: rows.length > offset + PAGE ? encodeToken(String(offset + PAGE)) : undefined };
}

function tagsToMap(tags: Tag[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.Key] = t.Value;
  return out;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function omit(o: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

function encodeToken(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}
function decodeToken(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}
function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const mod: ServiceModule = {
  createProvider: (deps: ServiceDeps) => new SnsProvider(deps),
  // SNS, like the other query-protocol Coral services, reports constraint violations as ValidationError.
  validationError: (issues: ValidationIssue[]) => new ServiceError('ValidationError', coralMessage(issues), { status: 400 }),
  close: (provider: Provider) => (provider as SnsProvider).deliverer.close(),
  handleRaw: (provider: Provider, req: WireRequest, ctx: RequestContext) => (provider as SnsProvider).handleRaw(req, ctx),
};
export const { createProvider, validationError, close, handleRaw } = mod;
