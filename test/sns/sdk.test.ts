// SNS over the wire with the real SDK v3 clients: topics, subscriptions, publishing to SQS (raw
// and enveloped), filter policies, MessageStructure json, FIFO, PublishBatch, HTTP endpoints with
// the confirmation flow and retries, signatures checked with the served certificate, DLQ.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  SNSClient,
  AddPermissionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  NotFoundException,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
  BatchEntryIdsNotDistinctException,
} from '@aws-sdk/client-sns';
import { SQSClient, CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { startNimbus, type TestNimbus } from '../helpers/server.js';
import type { SnsProvider } from '../../src/services/sns/index.js';
import { stringToSign } from '../../src/services/sns/signing.js';

let nimbus: TestNimbus;
let sns: SNSClient;
let sqs: SQSClient;
let provider: SnsProvider;
let n = 0;
const uniq = (p: string) => `${p}-${++n}`;

before(async () => {
  nimbus = await startNimbus();
  sns = new SNSClient(nimbus.clientConfig);
  sqs = new SQSClient(nimbus.clientConfig);
  provider = await nimbus.services.internal.provider<SnsProvider>('sns');
});
after(async () => {
  sns.destroy();
  sqs.destroy();
  await nimbus.close();
});

async function queue(name: string, attrs: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attrs }));
  const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: a.Attributes!.QueueArn! };
}

async function receiveAll(url: string, want: number): Promise<Message[]> {
  await provider.deliverer.idle();
  const out: Message[] = [];
  // At least one receive, so that "nothing arrived" is checked too.
  for (let i = 0; i < 5 && (i === 0 || out.length < want); i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 0 }));
    out.push(...(r.Messages ?? []));
  }
  return out;
}

async function verifySignature(env: Record<string, string>): Promise<boolean> {
  const res = await fetch(env.SigningCertURL);
  assert.equal(res.status, 200);
  const cert = new crypto.X509Certificate(await res.text());
  const alg = env.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  return crypto.verify(alg, Buffer.from(stringToSign(env)), cert.publicKey, Buffer.from(env.Signature, 'base64'));
}

test('topics: idempotent create, attributes and counts, list pagination, tags, permissions, delete cascades', async () => {
  const name = uniq('t');
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name, Attributes: { DisplayName: 'Hi' }, Tags: [{ Key: 'a', Value: '1' }] }));
  assert.equal(TopicArn, `arn:aws:sns:us-east-1:000000000000:${name}`);
  assert.equal((await sns.send(new CreateTopicCommand({ Name: name, Attributes: { DisplayName: 'Hi' } }))).TopicArn, TopicArn);
  await assert.rejects(sns.send(new CreateTopicCommand({ Name: name, Attributes: { DisplayName: 'Other' } })), (e: unknown) =>
    e instanceof InvalidParameterException && e.message === 'Invalid parameter: Attributes Reason: Topic already exists with different attributes');
  await assert.rejects(sns.send(new PublishCommand({ TopicArn } as never)), (e: unknown) =>
    (e as Error).name === 'ValidationError' && (e as Error).message === "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null");
  await assert.rejects(sns.send(new CreateTopicCommand({ Name: 'bad name!' })), (e: unknown) => e instanceof InvalidParameterException && e.message === 'Invalid parameter: Topic Name');
  await assert.rejects(sns.send(new CreateTopicCommand({ Name: name + 'x', Attributes: { SignatureVersion: '3' } })), InvalidParameterException);

  const q = await queue(uniq('q'));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'a@example.com' }));
  const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes!;
  assert.equal(attrs.DisplayName, 'Hi');
  assert.equal(attrs.SubscriptionsConfirmed, '1');
  assert.equal(attrs.SubscriptionsPending, '1');
  assert.equal(attrs.Owner, '000000000000');
  assert.equal(JSON.parse(attrs.Policy).Statement[0].Resource, TopicArn);

  await sns.send(new TagResourceCommand({ ResourceArn: TopicArn, Tags: [{ Key: 'b', Value: '2' }] }));
  assert.deepEqual((await sns.send(new ListTagsForResourceCommand({ ResourceArn: TopicArn }))).Tags, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
  await sns.send(new AddPermissionCommand({ TopicArn, Label: 'pub', AWSAccountId: ['111122223333'], ActionName: ['Publish'] }));
  const policy = JSON.parse((await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes!.Policy);
  assert.deepEqual(policy.Statement[1], { Sid: 'pub', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'SNS:Publish', Resource: TopicArn });

  for (let i = 0; i < 101; i++) await sns.send(new CreateTopicCommand({ Name: `${name}-many-${i}` }));
  const first = await sns.send(new ListTopicsCommand({}));
  assert.equal(first.Topics!.length, 100);
  assert.ok(first.NextToken);
  const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
  assert.ok(second.Topics!.length >= 2);
  assert.equal(new Set([...first.Topics!, ...second.Topics!].map((t) => t.TopicArn)).size, first.Topics!.length + second.Topics!.length);

  await sns.send(new DeleteTopicCommand({ TopicArn }));
  await sns.send(new DeleteTopicCommand({ TopicArn }));
  await assert.rejects(sns.send(new GetTopicAttributesCommand({ TopicArn })), (e: unknown) => e instanceof NotFoundException && e.message === 'Topic does not exist');
  await assert.rejects(sns.send(new ListSubscriptionsByTopicCommand({ TopicArn })), NotFoundException);
});

test('SQS delivery: envelope with a verifiable signature, raw delivery with attributes, filter policy', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniq('fan') }));
  const env = await queue(uniq('env'));
  const raw = await queue(uniq('raw'));
  const filt = await queue(uniq('filt'));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: env.arn }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: raw.arn, Attributes: { RawMessageDelivery: 'true' } }));
  const f = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: filt.arn, Attributes: { FilterPolicy: '{"colour":["red"],"n":[{"numeric":[">",5]}]}' } }));
  const sub = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: f.SubscriptionArn }))).Attributes!;
  assert.equal(sub.FilterPolicyScope, 'MessageAttributes');
  assert.equal(sub.PendingConfirmation, 'false');

  await sns.send(new PublishCommand({ TopicArn, Message: 'blue-msg', MessageAttributes: { colour: { DataType: 'String', StringValue: 'blue' }, n: { DataType: 'Number', StringValue: '9' } } }));
  const red = await sns.send(new PublishCommand({
    TopicArn, Message: 'red-msg', Subject: 'hi',
    MessageAttributes: { colour: { DataType: 'String', StringValue: 'red' }, n: { DataType: 'Number', StringValue: '9' }, bin: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) } },
  }));
  await sns.send(new PublishCommand({ TopicArn, Message: 'red-small', MessageAttributes: { colour: { DataType: 'String', StringValue: 'red' }, n: { DataType: 'Number', StringValue: '2' } } }));

  const enveloped = (await receiveAll(env.url, 3)).map((m) => JSON.parse(m.Body!));
  assert.deepEqual(enveloped.map((e) => e.Message).sort(), ['blue-msg', 'red-msg', 'red-small']);
  const e = enveloped.find((x) => x.Message === 'red-msg');
  assert.deepEqual(Object.keys(e), ['Type', 'MessageId', 'TopicArn', 'Subject', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL', 'UnsubscribeURL', 'MessageAttributes']);
  assert.equal(e.Type, 'Notification');
  assert.equal(e.MessageId, red.MessageId);
  assert.equal(e.Subject, 'hi');
  assert.match(e.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(e.MessageAttributes.bin, { Type: 'Binary', Value: 'AQID' });
  assert.deepEqual(e.MessageAttributes.n, { Type: 'Number', Value: '9' });
  assert.equal(await verifySignature(e), true);
  assert.equal(await verifySignature({ ...e, Message: 'tampered' }), false);
  assert.equal('Subject' in enveloped.find((x) => x.Message === 'blue-msg'), false);

  const raws = await receiveAll(raw.url, 3);
  assert.deepEqual(raws.map((m) => m.Body).sort(), ['blue-msg', 'red-msg', 'red-small']);
  const rawRed = raws.find((m) => m.Body === 'red-msg')!;
  assert.deepEqual(rawRed.MessageAttributes!.colour, { DataType: 'String', StringValue: 'red' });
  assert.deepEqual(Buffer.from(rawRed.MessageAttributes!.bin.BinaryValue!), Buffer.from([1, 2, 3]));

  const filtered = await receiveAll(filt.url, 1);
  assert.deepEqual(filtered.map((m) => JSON.parse(m.Body!).Message), ['red-msg']);

  // UnsubscribeURL works when fetched
  const unsub = await fetch(e.UnsubscribeURL);
  assert.equal(unsub.status, 200);
  await sns.send(new PublishCommand({ TopicArn, Message: 'after-unsub' }));
  assert.deepEqual(await receiveAll(env.url, 0), []);
});

test('SignatureVersion 2, body-scope filter policy, MessageStructure json', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniq('v2'), Attributes: { SignatureVersion: '2' } }));
  const q = await queue(uniq('body'));
  const s = await sns.send(new SubscribeCommand({
    TopicArn, Protocol: 'sqs', Endpoint: q.arn,
    Attributes: { FilterPolicyScope: 'MessageBody', FilterPolicy: JSON.stringify({ order: { status: ['paid'] } }) },
  }));
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { status: 'open' } }) }));
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { status: 'paid' } }) }));
  const got = (await receiveAll(q.url, 1)).map((m) => JSON.parse(m.Body!));
  assert.equal(got.length, 1);
  assert.deepEqual(JSON.parse(got[0].Message), { order: { status: 'paid' } });
  assert.equal(got[0].SignatureVersion, '2');
  assert.equal(await verifySignature(got[0]), true);

  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: s.SubscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: '' }));
  await sns.send(new PublishCommand({ TopicArn, MessageStructure: 'json', Message: JSON.stringify({ default: 'for-everyone', sqs: 'for-sqs', email: 'for-email' }) }));
  assert.deepEqual((await receiveAll(q.url, 1)).map((m) => JSON.parse(m.Body!).Message), ['for-sqs']);
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, MessageStructure: 'json', Message: '{"sqs":"x"}' })), (e: unknown) =>
    e instanceof InvalidParameterException && e.message === 'Invalid parameter: Message Structure - No default entry in JSON message body');
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(262_145) })), (e: unknown) =>
    e instanceof InvalidParameterException && e.message === 'Invalid parameter: Message too long');
  await assert.rejects(sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: s.SubscriptionArn, AttributeName: 'FilterPolicy', AttributeValue: '{"a":{"b":["x"]}}' })), (e: unknown) =>
    e instanceof InvalidParameterException);
  await assert.rejects(sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn + 'x', Attributes: { FilterPolicy: '{"a":[],"b":["x"]}' } })), (e: unknown) =>
    e instanceof InvalidParameterException && e.message === 'Invalid parameter: Attributes Reason: FilterPolicy: Empty arrays are not allowed');
});

test('FIFO: group ordering, deduplication window, sequence numbers, SQS subscribers only', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniq('orders') + '.fifo', Attributes: { FifoTopic: 'true' } }));
  const q = await queue(uniq('orders') + '.fifo', { FifoQueue: 'true' });
  const std = await queue(uniq('std'));
  // FIFO topics also deliver to standard queues (best-effort order), but to no other protocol.
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: std.arn, Attributes: { RawMessageDelivery: 'true' } }));
  await assert.rejects(sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:f' })), InvalidParameterException);
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true' } }));
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageGroupId: 'g' })), (e: unknown) =>
    e instanceof InvalidParameterException && /ContentBasedDeduplication/.test(e.message));
  await assert.rejects(sns.send(new PublishCommand({ TopicArn, Message: 'x', MessageDeduplicationId: 'd' })), InvalidParameterException);
  const results: { MessageId?: string; SequenceNumber?: string }[] = [];
  for (let i = 0; i < 5; i++) results.push(await sns.send(new PublishCommand({ TopicArn, Message: `m${i}`, MessageGroupId: 'g', MessageDeduplicationId: `d${i}` })));
  const dup = await sns.send(new PublishCommand({ TopicArn, Message: 'm0-again', MessageGroupId: 'g', MessageDeduplicationId: 'd0' }));
  assert.equal(dup.MessageId, results[0].MessageId);
  assert.equal(dup.SequenceNumber, results[0].SequenceNumber);
  assert.ok(results.every((r, i) => i === 0 || BigInt(r.SequenceNumber!) > BigInt(results[i - 1].SequenceNumber!)));
  assert.match(results[0].SequenceNumber!, /^\d{20}$/);
  const got: string[] = [];
  await provider.deliverer.idle();
  for (let i = 0; i < 5 && got.length < 5; i++) {
    const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    for (const m of r.Messages ?? []) got.push(m.Body!);
    if (r.Messages?.length) break;
  }
  assert.deepEqual(got, ['m0', 'm1', 'm2', 'm3', 'm4']);
  assert.deepEqual((await receiveAll(std.url, 5)).map((m) => m.Body).sort(), ['m0', 'm1', 'm2', 'm3', 'm4']);
});

test('PublishBatch: per-entry results and AWS batch errors', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniq('batch') }));
  const q = await queue(uniq('bq'));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true' } }));
  const r = await sns.send(new PublishBatchCommand({
    TopicArn,
    PublishBatchRequestEntries: [
      { Id: 'a', Message: 'one' },
      { Id: 'b', Message: 'two', MessageAttributes: { bad: { DataType: 'Weird', StringValue: 'x' } } },
      { Id: 'c', Message: 'three' },
    ],
  }));
  assert.deepEqual(r.Successful!.map((s) => s.Id), ['a', 'c']);
  assert.equal(r.Failed!.length, 1);
  assert.equal(r.Failed![0].Id, 'b');
  assert.equal(r.Failed![0].Code, 'InvalidParameter');
  assert.equal(r.Failed![0].SenderFault, true);
  assert.deepEqual((await receiveAll(q.url, 2)).map((m) => m.Body).sort(), ['one', 'three']);
  await assert.rejects(sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [{ Id: 'a', Message: '1' }, { Id: 'a', Message: '2' }] })), BatchEntryIdsNotDistinctException);
});

test('HTTP endpoint: confirmation POST, SubscribeURL, notifications with x-amz-sns headers, retries', async () => {
  const received: { headers: http.IncomingHttpHeaders; body: any }[] = [];
  let failNext = 0;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(data) });
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end();
      } else res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniq('web') }));
    const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: url, ReturnSubscriptionArn: true,
      Attributes: { DeliveryPolicy: JSON.stringify({ healthyRetryPolicy: { numRetries: 3, numNoDelayRetries: 3, minDelayTarget: 1, maxDelayTarget: 1 }, requestPolicy: { headerContentType: 'application/json' } }) } }));
    const pending = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'http', Endpoint: url + '?other' }));
    assert.equal(pending.SubscriptionArn, 'pending confirmation');
    await provider.deliverer.idle();
    const confirmations = received.filter((r) => r.headers['x-amz-sns-message-type'] === 'SubscriptionConfirmation');
    assert.equal(confirmations.length, 2);
    const c = confirmations.find((x) => x.body.SubscribeURL && received.indexOf(x) >= 0 && x.headers['x-amz-sns-topic-arn'] === TopicArn)!;
    assert.equal(c.body.Type, 'SubscriptionConfirmation');
    assert.equal(c.headers['content-type'], 'text/plain; charset=UTF-8');
    assert.equal(c.headers['user-agent'], 'Amazon Simple Notification Service Agent');
    assert.equal(c.body.TopicArn, TopicArn);
    assert.ok(c.body.Token.length > 20);
    assert.equal(await verifySignature(c.body), true);
    assert.equal((await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }))).Attributes!.PendingConfirmation, 'true');

    // Before confirmation: nothing is delivered.
    received.length = 0;
    await sns.send(new PublishCommand({ TopicArn, Message: 'not yet' }));
    await provider.deliverer.idle();
    assert.equal(received.length, 0);

    // Confirm both: one by visiting SubscribeURL, the other through ConfirmSubscription.
    for (const conf of confirmations) {
      const res = await fetch(conf.body.SubscribeURL);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<SubscriptionArn>arn:aws:sns:/);
    }
    const subs = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions!;
    assert.ok(subs.every((s) => s.SubscriptionArn !== 'PendingConfirmation'));
    const other = subs.find((s) => s.Endpoint!.endsWith('?other'))!;
    received.length = 0;
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: other.SubscriptionArn }));
    await provider.deliverer.idle();
    // The endpoint is told, and the SubscribeURL of that message restores the subscription.
    const bye = received.find((r) => r.headers['x-amz-sns-message-type'] === 'UnsubscribeConfirmation')!;
    assert.equal(bye.headers['x-amz-sns-subscription-arn'], other.SubscriptionArn);
    assert.equal(bye.body.Type, 'UnsubscribeConfirmation');
    assert.equal(await verifySignature(bye.body), true);
    assert.equal((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions!.length, 1);
    assert.equal((await fetch(bye.body.SubscribeURL)).status, 200);
    assert.equal((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions!.length, 2);
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: other.SubscriptionArn }));
    await provider.deliverer.idle();
    received.length = 0;

    failNext = 2;
    const pub = await sns.send(new PublishCommand({ TopicArn, Message: 'hello http', Subject: 'S' }));
    await provider.deliverer.idle();
    assert.equal(received.length, 3, 'two failures then a success');
    const last = received[2];
    assert.equal(last.headers['x-amz-sns-message-type'], 'Notification');
    assert.equal(last.headers['x-amz-sns-message-id'], pub.MessageId);
    assert.equal(last.headers['x-amz-sns-topic-arn'], TopicArn);
    assert.equal(last.headers['x-amz-sns-subscription-arn'], sub.SubscriptionArn);
    assert.equal(last.headers['content-type'], 'application/json', 'the delivery policy sets the content type');
    assert.equal(last.body.Message, 'hello http');
    assert.equal(await verifySignature(last.body), true);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('a deleted target queue sends the message to the subscription DLQ with AWS attributes', async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniq('dlq') }));
  const target = await queue(uniq('gone'));
  const dlq = await queue(uniq('dead'));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: target.arn, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn }) } }));
  await sqs.send(new DeleteQueueCommand({ QueueUrl: target.url }));
  const r = await sns.send(new PublishCommand({ TopicArn, Message: 'lost' }));
  const got = await receiveAll(dlq.url, 1);
  assert.equal(got.length, 1);
  const body = JSON.parse(got[0].Body!);
  assert.equal(body.MessageId, r.MessageId);
  assert.equal(body.Message, 'lost');
  assert.equal(got[0].MessageAttributes!.ErrorCode.StringValue, 'QueueDoesNotExist');
  assert.ok(got[0].MessageAttributes!.ErrorMessage.StringValue);
  assert.ok(got[0].MessageAttributes!.RequestID.StringValue);
});

test('aws CLI: publish with message attributes to a raw SQS subscription with a numeric filter', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { cliEnv } = await import('../helpers/server.js');
  const run = async (...args: string[]) =>
    JSON.parse((await promisify(execFile)('aws', ['--endpoint-url', nimbus.endpoint, '--region', 'us-east-1', '--output', 'json', ...args], { env: cliEnv() })).stdout || '{}');
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniq('cli') }));
  const q = await queue(uniq('cliq'));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true', FilterPolicy: '{"n":[{"numeric":["<",10]}]}' } }));
  // One CLI process (each costs over a second of Python start-up); the filtered-out message goes through the SDK.
  const out = await run('sns', 'publish', '--topic-arn', TopicArn!, '--message', 'from-cli', '--message-attributes', '{"n":{"DataType":"Number","StringValue":"3"}}');
  await sns.send(new PublishCommand({ TopicArn, Message: 'filtered-out', MessageAttributes: { n: { DataType: 'Number', StringValue: '30' } } }));
  assert.match(out.MessageId, /^[0-9a-f-]{36}$/);
  const got = await receiveAll(q.url, 1);
  assert.deepEqual(got.map((m) => [m.Body, m.MessageAttributes!.n.StringValue]), [['from-cli', '3']]);
});
