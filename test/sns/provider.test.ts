// SNS provider driven directly with a recording internal client: the Lambda event shape,
// retries of server-side failures on the injected clock, then the dead-letter queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/log.js';
import { ServiceError } from '../../src/core/errors.js';
import { SnsProvider } from '../../src/services/sns/index.js';
import { retryDelays, DEFAULT_HTTP_RETRY } from '../../src/services/sns/delivery.js';
import type { InternalClient } from '../../src/services/types.js';
import type { RequestContext } from '../../src/core/context.js';

const ctx = { accountId: '000000000000', region: 'us-east-1', partition: 'aws', requestId: 'r' } as RequestContext;

function setup(behaviour: (service: string, op: string, input: any) => unknown = () => ({})) {
  const calls: { service: string; op: string; input: any; scope: object }[] = [];
  const internal: InternalClient = {
    async call(service, op, input, scope) {
      calls.push({ service, op, input, scope });
      return behaviour(service, op, input) as any;
    },
    async provider() {
      throw new Error('unused');
    },
  };
  const clock = new ManualClock();
  const p = new SnsProvider({ db: openDatabase(), clock, log: createLogger('silent'), internal, endpoint: () => 'http://127.0.0.1:4566' });
  return { p, calls, clock };
}

test('Lambda subscription gets the Records[].Sns event', async () => {
  const { p, calls } = setup();
  const { TopicArn } = p.CreateTopic({ Name: 'fn-topic' }, ctx);
  const fn = 'arn:aws:lambda:us-east-1:000000000000:function:handler';
  const { SubscriptionArn } = p.Subscribe({ TopicArn: TopicArn!, Protocol: 'lambda', Endpoint: fn }, ctx);
  const { MessageId } = p.Publish({ TopicArn, Message: 'to-lambda', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } }, ctx);
  await p.deliverer.idle();
  assert.equal(calls.length, 1);
  assert.equal(calls[0].service, 'lambda');
  assert.equal(calls[0].op, 'Invoke');
  assert.equal(calls[0].input.InvocationType, 'Event');
  assert.equal(calls[0].input.FunctionName, fn);
  assert.deepEqual(calls[0].scope, { accountId: '000000000000', region: 'us-east-1' });
  const event = JSON.parse(calls[0].input.Payload.toString());
  const r = event.Records[0];
  assert.deepEqual(Object.keys(r), ['EventSource', 'EventVersion', 'EventSubscriptionArn', 'Sns']);
  assert.equal(r.EventSource, 'aws:sns');
  assert.equal(r.EventVersion, '1.0');
  assert.equal(r.EventSubscriptionArn, SubscriptionArn);
  assert.equal(r.Sns.Type, 'Notification');
  assert.equal(r.Sns.MessageId, MessageId);
  assert.equal(r.Sns.TopicArn, TopicArn);
  assert.equal(r.Sns.Subject, null);
  assert.equal(r.Sns.Message, 'to-lambda');
  assert.equal(r.Sns.SignatureVersion, '1');
  assert.ok(r.Sns.Signature);
  assert.match(r.Sns.SigningCertUrl, /^http:\/\/127\.0\.0\.1:4566\/_nimbus\/sns\/SimpleNotificationService-[0-9a-f]+\.pem$/);
  assert.match(r.Sns.UnsubscribeUrl, /Action=Unsubscribe&SubscriptionArn=/);
  assert.deepEqual(r.Sns.MessageAttributes, { k: { Type: 'String', Value: 'v' } });
});

test('server-side failures are retried on the clock, then go to the DLQ; client errors go straight there', async () => {
  let failures = 10;
  const { p, calls, clock } = setup((service, _op, input) => {
    if (service === 'lambda' && failures-- > 0) throw new ServiceError('ServiceException', 'boom', { status: 500 });
    if (service === 'sqs' && String(input.QueueUrl).endsWith('/missing')) throw new ServiceError('QueueDoesNotExist', 'The specified queue does not exist.', { status: 400 });
    return {};
  });
  const { TopicArn } = p.CreateTopic({ Name: 'retry' }, ctx);
  const redrive = JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' });
  p.Subscribe({ TopicArn: TopicArn!, Protocol: 'lambda', Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:f', Attributes: { RedrivePolicy: redrive } }, ctx);
  p.Publish({ TopicArn, Message: 'm' }, ctx);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(calls.filter((c) => c.service === 'lambda').length, 1);
  await clock.advance(1000);
  assert.equal(calls.filter((c) => c.service === 'lambda').length, 2);
  await clock.advance(2000);
  await clock.advance(4000);
  await p.deliverer.idle();
  assert.equal(calls.filter((c) => c.service === 'lambda').length, 4, 'first attempt and three retries');
  const dl = calls.filter((c) => c.service === 'sqs');
  assert.equal(dl.length, 1);
  assert.equal(dl[0].input.QueueUrl, 'http://127.0.0.1:4566/000000000000/dlq');
  assert.equal(JSON.parse(dl[0].input.MessageBody).Message, 'm');
  assert.equal(dl[0].input.MessageAttributes.ErrorCode.StringValue, 'ServiceException');

  calls.length = 0;
  const t2 = p.CreateTopic({ Name: 'client-error' }, ctx).TopicArn!;
  p.Subscribe({ TopicArn: t2, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:missing', Attributes: { RedrivePolicy: redrive, RawMessageDelivery: 'true' } }, ctx);
  p.Publish({ TopicArn: t2, Message: 'raw-lost' }, ctx);
  await p.deliverer.idle();
  assert.deepEqual(calls.map((c) => c.input.QueueUrl), ['http://127.0.0.1:4566/000000000000/missing', 'http://127.0.0.1:4566/000000000000/dlq']);
  assert.equal(calls[1].input.MessageBody, 'raw-lost');
});

test('delivery policy back-off schedule', () => {
  assert.deepEqual(retryDelays(DEFAULT_HTTP_RETRY), [20, 20, 20]);
  assert.deepEqual(retryDelays({ ...DEFAULT_HTTP_RETRY, numRetries: 6, numNoDelayRetries: 1, numMinDelayRetries: 1, numMaxDelayRetries: 1, minDelayTarget: 1, maxDelayTarget: 10 }), [0, 1, 1, 6, 10, 10]);
});

test('publish validation: attributes, FIFO rules, subject, topic not found, subscribe checks', () => {
  const { p } = setup();
  const { TopicArn } = p.CreateTopic({ Name: 'v' }, ctx);
  const err = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return `${(e as ServiceError).code}: ${(e as Error).message}`;
    }
    return 'no error';
  };
  assert.equal(err(() => p.Publish({ TopicArn, Message: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } }, ctx)),
    "InvalidParameterException: Invalid parameter: MessageAttributes Reason: Could not cast message attribute 'n' value to number.");
  assert.equal(err(() => p.Publish({ TopicArn, Message: 'x', MessageAttributes: { s: { DataType: 'String' } } }, ctx)),
    "InvalidParameterException: Invalid parameter: MessageAttributes Reason: The message attribute 's' must contain non-empty message attribute value for message attribute type 'String'.");
  assert.equal(err(() => p.Publish({ TopicArn, Message: '' }, ctx)), 'InvalidParameterException: Invalid parameter: Empty message');
  assert.equal(err(() => p.Publish({ TopicArn, Message: 'x', Subject: 'a\nb' }, ctx)), 'InvalidParameterException: Invalid parameter: Subject');
  assert.equal(err(() => p.Publish({ TopicArn: TopicArn + 'zz', Message: 'x' }, ctx)), 'NotFoundException: Topic does not exist');
  assert.equal(err(() => p.Publish({ Message: 'x' }, ctx)), 'InvalidParameterException: Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter');
  assert.equal(err(() => p.Subscribe({ TopicArn: TopicArn!, Protocol: 'carrier-pigeon', Endpoint: 'x' }, ctx)),
    'InvalidParameterException: Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon');
  assert.equal(err(() => p.Subscribe({ TopicArn: TopicArn!, Protocol: 'lambda', Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:f', Attributes: { RawMessageDelivery: 'true' } }, ctx)),
    'InvalidParameterException: Invalid parameter: Attributes Reason: Delivery protocol [lambda] does not support raw message delivery.');
  const fifo = p.CreateTopic({ Name: 'f.fifo', Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'true' } }, ctx).TopicArn;
  assert.equal(err(() => p.Publish({ TopicArn: fifo, Message: 'x' }, ctx)), 'InvalidParameterException: Invalid parameter: The MessageGroupId parameter is required for FIFO topics');
  const a = p.Publish({ TopicArn: fifo, Message: 'same', MessageGroupId: 'g' }, ctx);
  const b = p.Publish({ TopicArn: fifo, Message: 'same', MessageGroupId: 'g' }, ctx);
  assert.equal(a.MessageId, b.MessageId, 'content-based deduplication');
  assert.equal(p.GetTopicAttributes({ TopicArn: fifo! }, ctx).Attributes!.ContentBasedDeduplication, 'true');
  assert.equal(err(() => p.CreateTopic({ Name: 'g.fifo' }, ctx)).startsWith('InvalidParameterException: Invalid parameter: Fifo Topic names must end with .fifo'), true);
});

test('mobile push: platform applications and endpoints are stored; publish to an endpoint is accepted', () => {
  const { p } = setup();
  const app = p.CreatePlatformApplication({ Name: 'app', Platform: 'GCM', Attributes: { PlatformCredential: 'secret' } }, ctx).PlatformApplicationArn!;
  assert.equal(app, 'arn:aws:sns:us-east-1:000000000000:app/GCM/app');
  assert.deepEqual(p.GetPlatformApplicationAttributes({ PlatformApplicationArn: app }, ctx).Attributes, { Enabled: 'true' });
  const e1 = p.CreatePlatformEndpoint({ PlatformApplicationArn: app, Token: 'tok', CustomUserData: 'u' }, ctx).EndpointArn!;
  assert.match(e1, /^arn:aws:sns:us-east-1:000000000000:endpoint\/GCM\/app\/[0-9a-f-]{36}$/);
  assert.equal(p.CreatePlatformEndpoint({ PlatformApplicationArn: app, Token: 'tok', CustomUserData: 'u' }, ctx).EndpointArn, e1);
  assert.throws(() => p.CreatePlatformEndpoint({ PlatformApplicationArn: app, Token: 'tok', CustomUserData: 'other' }, ctx), /already exists with the same Token/);
  assert.deepEqual(p.GetEndpointAttributes({ EndpointArn: e1 }, ctx).Attributes, { Enabled: 'true', Token: 'tok', CustomUserData: 'u' });
  assert.ok(p.Publish({ TargetArn: e1, Message: 'push' }, ctx).MessageId);
  p.SetEndpointAttributes({ EndpointArn: e1, Attributes: { Enabled: 'false' } }, ctx);
  assert.throws(() => p.Publish({ TargetArn: e1, Message: 'push' }, ctx), (e: unknown) => (e as ServiceError).code === 'EndpointDisabledException');
  assert.equal(p.ListEndpointsByPlatformApplication({ PlatformApplicationArn: app }, ctx).Endpoints!.length, 1);
  p.DeletePlatformApplication({ PlatformApplicationArn: app }, ctx);
  assert.throws(() => p.GetEndpointAttributes({ EndpointArn: e1 }, ctx), (e: unknown) => (e as ServiceError).code === 'NotFoundException');
  assert.deepEqual(p.ListPlatformApplications({}, ctx).PlatformApplications, []);
  // SMS: stored settings, nothing sent
  p.SetSMSAttributes({ attributes: { DefaultSMSType: 'Transactional' } }, ctx);
  assert.deepEqual(p.GetSMSAttributes({}, ctx).attributes, { DefaultSMSType: 'Transactional' });
  assert.ok(p.Publish({ PhoneNumber: '+15555550100', Message: 'hi' }, ctx).MessageId);
});

test('the signing certificate survives a restart with a data directory', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-sns-'));
  try {
    const make = () => {
      const db = openDatabase(dir);
      const internal = { call: async () => ({}), provider: async () => ({}) } as unknown as InternalClient;
      return { db, p: new SnsProvider({ db, clock: new ManualClock(), log: createLogger('silent'), internal, endpoint: () => 'http://x' }) };
    };
    const first = make();
    const name = first.p.signer.certFileName();
    const pem = first.p.signer.certificatePem();
    first.p.CreateTopic({ Name: 'kept' }, ctx);
    first.db.close();
    const second = make();
    assert.equal(second.p.signer.certFileName(), name);
    assert.equal(second.p.signer.certificatePem(), pem);
    assert.equal(second.p.ListTopics({}, ctx).Topics![0].TopicArn, 'arn:aws:sns:us-east-1:000000000000:kept');
    second.db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
