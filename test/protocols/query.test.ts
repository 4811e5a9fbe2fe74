// The query codec: SNS, STS and IAM requests built by their real SDK clients are parsed by our
// codec and our XML is read back by the same clients (through a request handler that never
// opens a socket). The SDK v3 no longer speaks query to SQS, so SQS query is checked against
// AWS's documented request and response examples (SQS API reference, "Examples" sections).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { SNSClient, PublishCommand, SubscribeCommand, ListTopicsCommand, CreateTopicCommand, GetTopicAttributesCommand, NotFoundException, SNSServiceException } from '@aws-sdk/client-sns';
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand, MalformedPolicyDocumentException } from '@aws-sdk/client-sts';
import { IAMClient, CreateRoleCommand, ListRolesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { queryCodec } from '../../src/protocols/query.js';
import { codecFor } from '../../src/protocols/index.js';
import { loadModel, schemasDir, type ServiceModel } from '../../src/core/model.js';
import { ServiceError } from '../../src/core/errors.js';
import type { WireRequest } from '../../src/protocols/types.js';
import { buffersOf, clientConfig, ctxFor as baseCtx, loopback as codecLoopback, withoutMetadata, type Answer } from './loopback.js';
import { bridgeDecode, bridgeEncode, PYTHON_DEC } from './bridge-json.js';
import { NotFoundException as NimbusNotFound } from '../../src/generated/sns.js';
import { MalformedPolicyDocumentException as NimbusMalformedPolicy } from '../../src/generated/sts.js';
import { NoSuchEntityException as NimbusNoSuchEntity } from '../../src/generated/iam.js';
import { QueueDoesNotExist as NimbusQueueDoesNotExist } from '../../src/generated/sqs.js';

const sns = loadModel('sns');
const sts = loadModel('sts');
const iam = loadModel('iam');
const sqs = loadModel('sqs');
const REQUEST_ID = '27daac76-34dd-47df-bd01-1f6e873584a0';

const ctxFor = (service: string) => baseCtx(service, '', { requestId: REQUEST_ID, host: 'sqs.us-east-1.localhost:4566' });
/** Requests go through our parse, `answer` plays the provider, our serializer answers the SDK. */
const loopback = (model: ServiceModel, service: string, answer: Answer) =>
  codecLoopback({ codec: queryCodec, unknownOperation: () => new ServiceError('InvalidAction', 'unknown action'), ctx: ctxFor }, model, service, answer);


async function rejection(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => assert.fail('expected an error'),
    (e) => e,
  );
}

// ---------------------------------------------------------------- SNS

function snsClient(answer: (op: string, input: Record<string, unknown>) => unknown) {
  const lb = loopback(sns, 'sns', answer);
  return { client: new SNSClient({ ...clientConfig, requestHandler: lb.requestHandler }), seen: lb.seen };
}

const topicArn = 'arn:aws:sns:us-east-1:123456789012:orders';

test('SNS Publish: message attributes (string and binary) from the SDK', async () => {
  const input = {
    TopicArn: topicArn,
    Message: '{"default":"hi & bye","sqs":"<b>x</b>"}',
    Subject: 'Hello world',
    MessageStructure: 'json',
    MessageAttributes: {
      store: { DataType: 'String', StringValue: 'example_corp' },
      price: { DataType: 'Number', StringValue: '12.5' },
      raw: { DataType: 'Binary', BinaryValue: Buffer.from([0, 200, 255, 10]) },
    },
  };
  const { client, seen } = snsClient(() => ({ MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e' }));
  const got = await client.send(new PublishCommand(input));
  assert.equal(seen.op, 'Publish');
  assert.deepEqual(seen.input, input);
  assert.deepEqual(withoutMetadata(got), { MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e' });
  assert.equal(seen.response!.headers['content-type'], 'text/xml');
  assert.equal(
    seen.response!.body,
    `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>95df01b4-ee98-5cb9-9903-4c221d41eb5e</MessageId></PublishResult><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></PublishResponse>`,
  );
});

test('SNS Subscribe: attribute map and boolean from the SDK', async () => {
  const input = {
    TopicArn: topicArn,
    Protocol: 'sqs',
    Endpoint: 'arn:aws:sqs:us-east-1:123456789012:q',
    Attributes: { RawMessageDelivery: 'true', FilterPolicy: '{"store":["example_corp"]}', FilterPolicyScope: 'MessageAttributes' },
    ReturnSubscriptionArn: true,
  };
  const out = { SubscriptionArn: `${topicArn}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55` };
  const { client, seen } = snsClient(() => out);
  const got = await client.send(new SubscribeCommand(input));
  assert.deepEqual(seen.input, input);
  assert.deepEqual(withoutMetadata(got), out);
});

test('SNS ListTopics: member lists and NextToken back to the SDK', async () => {
  const out = { Topics: [{ TopicArn: topicArn }, { TopicArn: `${topicArn}-2` }], NextToken: 'token/with+chars=' };
  const { client, seen } = snsClient(() => out);
  const got = await client.send(new ListTopicsCommand({ NextToken: 'prev' }));
  assert.deepEqual(seen.input, { NextToken: 'prev' });
  assert.deepEqual(withoutMetadata(got), out);
  assert.match(String(seen.response!.body), /<Topics><member><TopicArn>arn:aws:sns:us-east-1:123456789012:orders<\/TopicArn><\/member><member>/);
  // An empty list is still an (empty) element, which the SDK reads as [].
  const empty = snsClient(() => ({ Topics: [] }));
  const none = await empty.client.send(new ListTopicsCommand({}));
  assert.deepEqual(none.Topics, []);
});

test('SNS CreateTopic: attributes map and Tags list of structures from the SDK', async () => {
  const input = {
    Name: 'orders.fifo',
    Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false', Policy: '{"Version":"2012-10-17"}' },
    Tags: [
      { Key: 'team', Value: 'payments' },
      { Key: 'env', Value: '' },
    ],
  };
  const { client, seen } = snsClient(() => ({ TopicArn: topicArn + '.fifo' }));
  const got = await client.send(new CreateTopicCommand(input));
  assert.deepEqual(seen.input, input);
  assert.equal(got.TopicArn, topicArn + '.fifo');
  assert.match(seen.wire!.body.toString(), /Attributes\.entry\.1\.key=FifoTopic&Attributes\.entry\.1\.value=true/);
  assert.match(seen.wire!.body.toString(), /Tags\.member\.1\.Key=team/);
});

test('SNS GetTopicAttributes: characters XML must escape come back intact (incl. CR and control chars)', async () => {
  const tricky = 'a<b>&c"d\'e\r\nf\rg\th\u0001i]]>j é 🚀';
  const out = { Attributes: { Policy: tricky, DisplayName: '  padded  ', Empty: '' } };
  const { client, seen } = snsClient(() => out);
  const got = await client.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
  assert.deepEqual(withoutMetadata(got), out);
  const xml = String(seen.response!.body);
  assert.ok(xml.includes('a&lt;b&gt;&amp;c"d\'e&#xD;\nf&#xD;g\th&#x1;i]]&gt;j é 🚀'), xml);
  assert.ok(!/[\u0001\r]/.test(xml), 'no raw CR or control characters in the document');
});

test('SNS errors: NotFoundException goes out as <Code>NotFound</Code> with 404, and the SDK names it', async () => {
  const { client, seen } = snsClient(() => new NimbusNotFound('Topic does not exist'));
  const err = await rejection(client.send(new GetTopicAttributesCommand({ TopicArn: topicArn })));
  assert.ok(err instanceof NotFoundException, `got ${err?.name}`);
  assert.equal(err.name, 'NotFoundException');
  assert.equal(err.message, 'Topic does not exist');
  assert.equal(err.$metadata.httpStatusCode, 404);
  assert.equal((err as any).Error.Code, 'NotFound');
  assert.equal(
    seen.response!.body,
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>${REQUEST_ID}</RequestId></ErrorResponse>`,
  );
  assert.equal(seen.response!.status, 404);
});

test('SNS errors: unmodeled codes and server faults', async () => {
  const { client, seen } = snsClient(() => new ServiceError('InternalFailure', 'boom', { status: 500, senderFault: false }));
  const err = await rejection(client.send(new ListTopicsCommand({})));
  assert.ok(err instanceof SNSServiceException);
  assert.equal(err.name, 'InternalFailure');
  assert.equal(err.$metadata.httpStatusCode, 500);
  assert.match(String(seen.response!.body), /<Type>Receiver<\/Type><Code>InternalFailure<\/Code>/);
});

// ---------------------------------------------------------------- STS

function stsClient(answer: (op: string, input: Record<string, unknown>) => unknown) {
  const lb = loopback(sts, 'sts', answer);
  return { client: new STSClient({ ...clientConfig, requestHandler: lb.requestHandler }), seen: lb.seen };
}

test('STS GetCallerIdentity', async () => {
  const out = { UserId: 'AIDAEXAMPLE', Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ada' };
  const { client, seen } = stsClient(() => out);
  const got = await client.send(new GetCallerIdentityCommand({}));
  assert.equal(seen.op, 'GetCallerIdentity');
  assert.deepEqual(seen.input, {});
  assert.deepEqual(withoutMetadata(got), out);
});

test('STS AssumeRole: lists of structures in, Credentials.Expiration as a Date out', async () => {
  const input = {
    RoleArn: 'arn:aws:iam::123456789012:role/demo',
    RoleSessionName: 'session',
    DurationSeconds: 3600,
    PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    Tags: [{ Key: 'k', Value: 'v' }],
    TransitiveTagKeys: ['k'],
    ExternalId: 'ext',
  };
  const out = {
    Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2026-11-28T12:00:00Z') },
    AssumedRoleUser: { AssumedRoleId: 'AROAEXAMPLE:session', Arn: 'arn:aws:sts::123456789012:assumed-role/demo/session' },
    PackedPolicySize: 6,
  };
  const { client, seen } = stsClient(() => out);
  const got = await client.send(new AssumeRoleCommand(input));
  assert.deepEqual(seen.input, input);
  assert.deepEqual(withoutMetadata(got), out);
  assert.match(String(seen.response!.body), /<Expiration>2026-11-28T12:00:00Z<\/Expiration>/);
  // milliseconds survive when there are some
  const ms = stsClient(() => ({ ...out, Credentials: { ...out.Credentials, Expiration: new Date('2026-11-28T12:00:00.250Z') } }));
  const got2 = await ms.client.send(new AssumeRoleCommand(input));
  assert.equal(got2.Credentials!.Expiration!.toISOString(), '2026-11-28T12:00:00.250Z');
});

test('STS errors: modeled code (MalformedPolicyDocument) maps to the SDK class', async () => {
  const { client, seen } = stsClient(() => new NimbusMalformedPolicy('bad policy'));
  const err = await rejection(client.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/demo', RoleSessionName: 's' })));
  assert.ok(err instanceof MalformedPolicyDocumentException, `got ${err?.name}`);
  assert.equal(err.message, 'bad policy');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.match(String(seen.response!.body), /<Code>MalformedPolicyDocument<\/Code>/);
  assert.doesNotMatch(String(seen.response!.body), /<Detail/, 'only SQS adds <Detail/>');
});

// ---------------------------------------------------------------- IAM

function iamClient(answer: (op: string, input: Record<string, unknown>) => unknown) {
  const lb = loopback(iam, 'iam', answer);
  return { client: new IAMClient({ ...clientConfig, requestHandler: lb.requestHandler }), seen: lb.seen };
}

const role = {
  Path: '/service-role/',
  RoleName: 'lambda-exec',
  RoleId: 'AROAEXAMPLEID',
  Arn: 'arn:aws:iam::123456789012:role/service-role/lambda-exec',
  CreateDate: new Date('2024-05-09T15:45:35Z'),
  AssumeRolePolicyDocument: '%7B%22Version%22%3A%222012-10-17%22%7D',
  Description: 'exec role',
  MaxSessionDuration: 3600,
  Tags: [{ Key: 'team', Value: 'x' }],
  RoleLastUsed: { LastUsedDate: new Date('2024-06-01T00:00:00.123Z'), Region: 'us-east-1' },
};

test('IAM CreateRole: input with Tags, Role with dates out', async () => {
  const input = { Path: '/service-role/', RoleName: 'lambda-exec', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}', Description: 'exec role', MaxSessionDuration: 3600, Tags: [{ Key: 'team', Value: 'x' }] };
  const { client, seen } = iamClient(() => ({ Role: role }));
  const got = await client.send(new CreateRoleCommand(input));
  assert.deepEqual(seen.input, input);
  assert.deepEqual(withoutMetadata(got), { Role: role });
});

test('IAM ListRoles: pagination fields both ways', async () => {
  const out = { Roles: [role, { ...role, RoleName: 'other', Tags: undefined, RoleLastUsed: undefined }], IsTruncated: true, Marker: 'next-page' };
  const { client, seen } = iamClient(() => out);
  const got = await client.send(new ListRolesCommand({ PathPrefix: '/', Marker: 'm1', MaxItems: 2 }));
  assert.deepEqual(seen.input, { PathPrefix: '/', Marker: 'm1', MaxItems: 2 });
  const { Tags: _t, RoleLastUsed: _r, ...other } = out.Roles[1];
  assert.deepEqual(withoutMetadata(got), { ...out, Roles: [role, other] });
  const last = iamClient(() => ({ Roles: [], IsTruncated: false }));
  const got2 = await last.client.send(new ListRolesCommand({}));
  assert.deepEqual(withoutMetadata(got2), { Roles: [], IsTruncated: false });
});

test('IAM errors: NoSuchEntity 404', async () => {
  const { client } = iamClient(() => new NimbusNoSuchEntity('The role with name x cannot be found.'));
  const err = await rejection(client.send(new ListRolesCommand({})));
  assert.ok(err instanceof NoSuchEntityException, `got ${err?.name}`);
  assert.equal(err.message, 'The role with name x cannot be found.');
  assert.equal(err.$metadata.httpStatusCode, 404);
});

// ---------------------------------------------------------------- SQS over query

function form(params: Record<string, string>, method = 'POST', rawPath = '/'): WireRequest {
  const encoded = new URLSearchParams(params).toString();
  return method === 'GET'
    ? { method, rawPath, rawQuery: encoded, headers: { host: 'localhost:4566' }, body: Buffer.alloc(0) }
    : { method, rawPath, rawQuery: '', headers: { host: 'localhost:4566', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: Buffer.from(encoded) };
}

/** AWS's examples are indented; ours are compact. */
function compact(xml: string): string {
  return xml.replace(/>\s+</g, '><').trim();
}

const queueUrl = 'https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue';

test('SQS query SendMessage (AWS example): message and system attributes', () => {
  const req = form({
    Action: 'SendMessage',
    QueueUrl: queueUrl,
    MessageBody: 'This is a test message',
    'MessageAttribute.1.Name': 'my_attribute_name_1',
    'MessageAttribute.1.Value.StringValue': 'my_attribute_value_1',
    'MessageAttribute.1.Value.DataType': 'String',
    'MessageAttribute.2.Name': 'bin',
    'MessageAttribute.2.Value.BinaryValue': Buffer.from([1, 2, 3, 250]).toString('base64'),
    'MessageAttribute.2.Value.DataType': 'Binary',
    'MessageSystemAttribute.1.Name': 'AWSTraceHeader',
    'MessageSystemAttribute.1.Value.StringValue': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    'MessageSystemAttribute.1.Value.DataType': 'String',
    DelaySeconds: '45',
    Expires: '2020-05-05T22:52:43PST',
    Version: '2012-11-05',
  });
  assert.equal(queryCodec.resolveOperation(req, sqs), 'SendMessage');
  assert.deepEqual(queryCodec.parse(req, sqs, 'SendMessage'), {
    QueueUrl: queueUrl,
    MessageBody: 'This is a test message',
    DelaySeconds: 45,
    MessageAttributes: {
      my_attribute_name_1: { StringValue: 'my_attribute_value_1', DataType: 'String' },
      bin: { BinaryValue: Buffer.from([1, 2, 3, 250]), DataType: 'Binary' },
    },
    MessageSystemAttributes: {
      AWSTraceHeader: { StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1', DataType: 'String' },
    },
  });
  const res = queryCodec.serialize(
    { MD5OfMessageBody: 'fafb00f5732ab283681e124bf8747ed1', MD5OfMessageAttributes: '3ae8f24a165a8cedc005670c81a27295', MD5OfMessageSystemAttributes: '5ae4d5d7636402d80f4eb6d213245a88', MessageId: '5fea7756-0ea4-451a-a703-a558b933e274' },
    sqs,
    'SendMessage',
    ctxFor('sqs'),
  );
  assert.equal(
    res.body,
    compact(`<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
      <SendMessageResult>
        <MD5OfMessageBody>fafb00f5732ab283681e124bf8747ed1</MD5OfMessageBody>
        <MD5OfMessageAttributes>3ae8f24a165a8cedc005670c81a27295</MD5OfMessageAttributes>
        <MD5OfMessageSystemAttributes>5ae4d5d7636402d80f4eb6d213245a88</MD5OfMessageSystemAttributes>
        <MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>
      </SendMessageResult>
      <ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata>
    </SendMessageResponse>`),
  );
});

test('SQS query SendMessageBatch (AWS example): flattened entries in and out', () => {
  const req = form({
    Action: 'SendMessageBatch',
    QueueUrl: queueUrl,
    'SendMessageBatchRequestEntry.1.Id': 'test_msg_001',
    'SendMessageBatchRequestEntry.1.MessageBody': 'test message body 1',
    'SendMessageBatchRequestEntry.2.Id': 'test_msg_002',
    'SendMessageBatchRequestEntry.2.MessageBody': 'test message body 2',
    'SendMessageBatchRequestEntry.2.DelaySeconds': '60',
    'SendMessageBatchRequestEntry.2.MessageAttribute.1.Name': 'test_attribute_name_1',
    'SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue': 'test_attribute_value_1',
    'SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType': 'String',
    Version: '2012-11-05',
  });
  assert.deepEqual(queryCodec.parse(req, sqs, 'SendMessageBatch'), {
    QueueUrl: queueUrl,
    Entries: [
      { Id: 'test_msg_001', MessageBody: 'test message body 1' },
      { Id: 'test_msg_002', MessageBody: 'test message body 2', DelaySeconds: 60, MessageAttributes: { test_attribute_name_1: { StringValue: 'test_attribute_value_1', DataType: 'String' } } },
    ],
  });
  const res = queryCodec.serialize(
    {
      Successful: [
        { Id: 'test_msg_001', MessageId: '0a5231c7-8bff-4955-be2e-8dc7c50a25fa', MD5OfMessageBody: '0e024d309850c78cba5eabbeff7cae71' },
        { Id: 'test_msg_002', MessageId: '15ee1ed3-87e7-40c1-bdaa-2e49968ea7e9', MD5OfMessageBody: '7fb8146a82f95e0af155278f406862c2', MD5OfMessageAttributes: '295c5fa15a51aae6884d1d7c1d99ca50' },
      ],
      Failed: [],
    },
    sqs,
    'SendMessageBatch',
    ctxFor('sqs'),
  );
  assert.equal(
    res.body,
    compact(`<SendMessageBatchResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
      <SendMessageBatchResult>
        <SendMessageBatchResultEntry>
          <Id>test_msg_001</Id>
          <MessageId>0a5231c7-8bff-4955-be2e-8dc7c50a25fa</MessageId>
          <MD5OfMessageBody>0e024d309850c78cba5eabbeff7cae71</MD5OfMessageBody>
        </SendMessageBatchResultEntry>
        <SendMessageBatchResultEntry>
          <Id>test_msg_002</Id>
          <MessageId>15ee1ed3-87e7-40c1-bdaa-2e49968ea7e9</MessageId>
          <MD5OfMessageBody>7fb8146a82f95e0af155278f406862c2</MD5OfMessageBody>
          <MD5OfMessageAttributes>295c5fa15a51aae6884d1d7c1d99ca50</MD5OfMessageAttributes>
        </SendMessageBatchResultEntry>
      </SendMessageBatchResult>
      <ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata>
    </SendMessageBatchResponse>`),
  );
});

test('SQS query ReceiveMessage (AWS example): AttributeName.N in, <Message> with <Attribute> out', () => {
  const req = form({
    Action: 'ReceiveMessage',
    QueueUrl: queueUrl,
    'AttributeName.1': 'All',
    'MessageAttributeName.1': 'All',
    MaxNumberOfMessages: '5',
    VisibilityTimeout: '15',
    WaitTimeSeconds: '10',
    Version: '2012-11-05',
  });
  assert.deepEqual(queryCodec.parse(req, sqs, 'ReceiveMessage'), {
    QueueUrl: queueUrl,
    AttributeNames: ['All'],
    MessageAttributeNames: ['All'],
    MaxNumberOfMessages: 5,
    VisibilityTimeout: 15,
    WaitTimeSeconds: 10,
  });
  const res = queryCodec.serialize(
    {
      Messages: [
        {
          MessageId: '5fea7756-0ea4-451a-a703-a558b933e274',
          ReceiptHandle: 'MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw=',
          MD5OfBody: 'fafb00f5732ab283681e124bf8747ed1',
          Body: 'This is a test message',
          Attributes: { SenderId: '195004372649', SentTimestamp: '1238099229000' },
          MD5OfMessageAttributes: 'x',
          MessageAttributes: { bin: { BinaryValue: Buffer.from('hi'), DataType: 'Binary' } },
        },
      ],
    },
    sqs,
    'ReceiveMessage',
    ctxFor('sqs'),
  );
  assert.equal(
    res.body,
    compact(`<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
      <ReceiveMessageResult>
        <Message>
          <MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>
          <ReceiptHandle>MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw=</ReceiptHandle>
          <MD5OfBody>fafb00f5732ab283681e124bf8747ed1</MD5OfBody>
          <Body>This is a test message</Body>
          <Attribute><Name>SenderId</Name><Value>195004372649</Value></Attribute>
          <Attribute><Name>SentTimestamp</Name><Value>1238099229000</Value></Attribute>
          <MD5OfMessageAttributes>x</MD5OfMessageAttributes>
          <MessageAttribute><Name>bin</Name><Value><BinaryValue>aGk=</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute>
        </Message>
      </ReceiveMessageResult>
      <ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata>
    </ReceiveMessageResponse>`),
  );
  // No messages: an empty result element, as SQS answers.
  const empty = queryCodec.serialize({ Messages: [] }, sqs, 'ReceiveMessage', ctxFor('sqs'));
  assert.match(String(empty.body), /<ReceiveMessageResult\/>/);
});

test('SQS query CreateQueue / TagQueue: Attribute.N and both Tag.N and Tags.N spellings', () => {
  const create = form({
    Action: 'CreateQueue',
    QueueName: 'MyQueue',
    'Attribute.1.Name': 'DelaySeconds',
    'Attribute.1.Value': '45',
    'Attribute.2.Name': 'VisibilityTimeout',
    'Attribute.2.Value': '60',
    'Tag.1.Key': 'QueueType',
    'Tag.1.Value': 'Production',
  });
  assert.deepEqual(queryCodec.parse(create, sqs, 'CreateQueue'), {
    QueueName: 'MyQueue',
    Attributes: { DelaySeconds: '45', VisibilityTimeout: '60' },
    tags: { QueueType: 'Production' },
  });
  for (const prefix of ['Tag', 'Tags']) {
    const tag = form({ Action: 'TagQueue', QueueUrl: queueUrl, [`${prefix}.1.Key`]: 'QueueType', [`${prefix}.1.Value`]: 'Production', [`${prefix}.2.Key`]: 'Owner', [`${prefix}.2.Value`]: 'Me' });
    assert.deepEqual(queryCodec.parse(tag, sqs, 'TagQueue'), { QueueUrl: queueUrl, Tags: { QueueType: 'Production', Owner: 'Me' } }, prefix);
  }
});

test('SQS query GetQueueAttributes over GET on the queue URL (legacy clients): QueueUrl from the path; Attribute out', () => {
  const req = form({ Action: 'GetQueueAttributes', 'AttributeName.1': 'VisibilityTimeout', 'AttributeName.2': 'DelaySeconds', Version: '2012-11-05' }, 'GET', '/123456789012/MyQueue');
  assert.equal(queryCodec.resolveOperation(req, sqs), 'GetQueueAttributes');
  assert.deepEqual(queryCodec.parse(req, sqs, 'GetQueueAttributes'), {
    QueueUrl: 'http://localhost:4566/123456789012/MyQueue',
    AttributeNames: ['VisibilityTimeout', 'DelaySeconds'],
  });
  const res = queryCodec.serialize({ Attributes: { VisibilityTimeout: '30', DelaySeconds: '0' } }, sqs, 'GetQueueAttributes', ctxFor('sqs'));
  assert.match(String(res.body), /<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout<\/Name><Value>30<\/Value><\/Attribute><Attribute><Name>DelaySeconds<\/Name><Value>0<\/Value><\/Attribute><\/GetQueueAttributesResult>/);
  // A QueueUrl parameter wins over the path.
  const explicit = form({ Action: 'GetQueueAttributes', QueueUrl: queueUrl }, 'POST', '/123456789012/Other');
  assert.equal(queryCodec.parse(explicit, sqs, 'GetQueueAttributes').QueueUrl, queueUrl);
});

test('SQS query ListQueues: flattened <QueueUrl> elements; DeleteQueue: metadata only', () => {
  const res = queryCodec.serialize({ QueueUrls: ['u1', 'u2'] }, sqs, 'ListQueues', ctxFor('sqs'));
  assert.match(String(res.body), /<ListQueuesResult><QueueUrl>u1<\/QueueUrl><QueueUrl>u2<\/QueueUrl><\/ListQueuesResult>/);
  const del = queryCodec.serialize(undefined, sqs, 'DeleteQueue', ctxFor('sqs'));
  assert.equal(del.body, `<DeleteQueueResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></DeleteQueueResponse>`);
});

test('SQS query errors: the query code, <Detail/>, and RequestId beside <Error> (AWS example shape)', () => {
  const res = queryCodec.serializeError(new NimbusQueueDoesNotExist('The specified queue does not exist for this wsdl version.'), sqs, ctxFor('sqs'));
  assert.equal(res.status, 400);
  assert.equal(res.headers['content-type'], 'text/xml');
  assert.equal(
    res.body,
    compact(`<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
      <Error>
        <Type>Sender</Type>
        <Code>AWS.SimpleQueueService.NonExistentQueue</Code>
        <Message>The specified queue does not exist for this wsdl version.</Message>
        <Detail/>
      </Error>
      <RequestId>${REQUEST_ID}</RequestId>
    </ErrorResponse>`),
  );
  // QueueNameExists has its own query code too.
  const exists = queryCodec.serializeError(new ServiceError('QueueNameExists', 'x'), sqs, ctxFor('sqs'));
  assert.match(String(exists.body), /<Code>QueueAlreadyExists<\/Code>/);
});

// ---------------------------------------------------------------- protocol edges

test('Action: unknown, missing, and inherited property names resolve to no operation', () => {
  assert.equal(queryCodec.resolveOperation(form({ Action: 'Frobnicate' }), sns), undefined);
  assert.equal(queryCodec.resolveOperation(form({ Version: '2010-03-31' }), sns), undefined);
  assert.equal(queryCodec.resolveOperation(form({ Action: 'constructor' }), sns), undefined);
  assert.equal(queryCodec.resolveOperation(form({ Action: 'Publish' }, 'GET'), sns), 'Publish');
});

test('GET with a query string (SNS SubscribeURL) parses like a form body', () => {
  const req = form({ Action: 'ConfirmSubscription', TopicArn: topicArn, Token: 'abc+/=', AuthenticateOnUnsubscribe: 'true' }, 'GET');
  assert.equal(queryCodec.resolveOperation(req, sns), 'ConfirmSubscription');
  assert.deepEqual(queryCodec.parse(req, sns, 'ConfirmSubscription'), { TopicArn: topicArn, Token: 'abc+/=', AuthenticateOnUnsubscribe: 'true' });
});

test('scalars: booleans, numbers, empty lists; junk left for validation; bad blobs are InvalidParameterValue', () => {
  const sub = form({ Action: 'Subscribe', TopicArn: topicArn, Protocol: 'sqs', ReturnSubscriptionArn: 'TRUE' });
  assert.equal(queryCodec.parse(sub, sns, 'Subscribe').ReturnSubscriptionArn, true);
  const notBool = form({ Action: 'Subscribe', TopicArn: topicArn, Protocol: 'sqs', ReturnSubscriptionArn: 'yes' });
  assert.equal(queryCodec.parse(notBool, sns, 'Subscribe').ReturnSubscriptionArn, 'yes');
  const notInt = form({ Action: 'ListRoles', MaxItems: 'ten' });
  assert.equal(queryCodec.parse(notInt, iam, 'ListRoles').MaxItems, 'ten');
  const emptyList = form({ Action: 'AssumeRole', RoleArn: 'r', RoleSessionName: 's', PolicyArns: '' });
  assert.deepEqual(queryCodec.parse(emptyList, sts, 'AssumeRole').PolicyArns, []);
  const badBlob = form({ Action: 'Publish', Message: 'm', 'MessageAttributes.entry.1.Name': 'b', 'MessageAttributes.entry.1.Value.DataType': 'Binary', 'MessageAttributes.entry.1.Value.BinaryValue': '***' });
  assert.throws(
    () => queryCodec.parse(badBlob, sns, 'Publish'),
    (e: unknown) => e instanceof ServiceError && e.code === 'InvalidParameterValue' && e.status === 400,
  );
});

// ---------------------------------------------------------------- botocore (the aws CLI's engine)

// botocore's own query serializer and parser, run on the same models: the aws CLI v1 and boto3
// are clients too, and botocore reads the SQS query hints (flattened names) the JS SDK no longer
// uses. Skipped where python3 with botocore is not installed.
const BOTOCORE_BRIDGE = `
import sys, json, base64, datetime
from urllib.parse import urlencode
from botocore.model import ServiceModel
from botocore import serialize, parsers

${PYTHON_DEC}
def enc(v):
    if isinstance(v, (bytes, bytearray)): return {'__b64': base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime):
        return {'__date': v.astimezone(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')}
    if isinstance(v, dict): return {k: enc(x) for k, x in v.items()}
    if isinstance(v, list): return [enc(x) for x in v]
    return v

out = []
for c in json.load(sys.stdin):
    model = json.load(open(c['model']))
    model['metadata']['protocol'] = 'query'
    op = ServiceModel(model, service_name=c['service']).operation_model(c['op'])
    if c['kind'] == 'serialize':
        req = serialize.create_serializer('query', include_validation=False).serialize_to_request(dec(c['params']), op)
        out.append(urlencode(req['body'], doseq=True))
    else:
        parsed = parsers.create_parser('query').parse({'body': c['xml'].encode(), 'headers': {}, 'status_code': c['status']}, op.output_shape)
        out.append(enc(parsed))
json.dump(out, sys.stdout)
`;

const hasBotocore = spawnSync('python3', ['-c', 'import botocore'], { encoding: 'utf8' }).status === 0;

type BridgeCase = { service: string; op: string; kind: 'serialize'; params: unknown } | { service: string; op: string; kind: 'parse'; xml: string; status: number };

function botocore(cases: BridgeCase[]): any[] {
  const input = cases.map((c) => ({ ...c, model: path.join(schemasDir, c.service, 'model.json') }));
  const run = spawnSync('python3', ['-c', BOTOCORE_BRIDGE], { input: JSON.stringify(input, bridgeEncode), encoding: 'utf8', timeout: 20000 });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout, bridgeDecode);
}

test('botocore: its query requests parse to the same input, and it reads our XML back', { skip: !hasBotocore && 'python3 with botocore is not installed' }, () => {
  const inputs: { service: string; model: ServiceModel; op: string; params: Record<string, unknown> }[] = [
    {
      service: 'sqs',
      model: sqs,
      op: 'SendMessageBatch',
      params: {
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'x\r\ny', MessageAttributes: { s: { DataType: 'String', StringValue: 'v' }, b: { DataType: 'Binary', BinaryValue: Buffer.from([0, 255]) }, l: { DataType: 'String', StringListValues: ['p', 'q'] } } },
          { Id: 'b', MessageBody: 'z', DelaySeconds: 3, MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1' } } },
        ],
      },
    },
    { service: 'sqs', model: sqs, op: 'ReceiveMessage', params: { QueueUrl: queueUrl, AttributeNames: ['All'], MessageAttributeNames: ['a.*', 'b'], MaxNumberOfMessages: 10 } },
    { service: 'sqs', model: sqs, op: 'CreateQueue', params: { QueueName: 'q', Attributes: { FifoQueue: 'true' }, tags: { team: 'x' } } },
    { service: 'sqs', model: sqs, op: 'TagQueue', params: { QueueUrl: queueUrl, Tags: { a: '1', b: '2' } } },
    { service: 'sqs', model: sqs, op: 'UntagQueue', params: { QueueUrl: queueUrl, TagKeys: ['a', 'b'] } },
    { service: 'sqs', model: sqs, op: 'AddPermission', params: { QueueUrl: queueUrl, Label: 'l', AWSAccountIds: ['111122223333'], Actions: ['SendMessage'] } },
    { service: 'sns', model: sns, op: 'Publish', params: { TopicArn: topicArn, Message: 'm', MessageAttributes: { b: { DataType: 'Binary', BinaryValue: Buffer.from('hi') } } } },
    { service: 'sns', model: sns, op: 'SetSubscriptionAttributes', params: { SubscriptionArn: `${topicArn}:1`, AttributeName: 'RawMessageDelivery', AttributeValue: 'true' } },
    { service: 'iam', model: iam, op: 'CreateRole', params: { RoleName: 'r', AssumeRolePolicyDocument: '{}', Tags: [{ Key: 'k', Value: 'v' }] } },
    { service: 'sts', model: sts, op: 'AssumeRole', params: { RoleArn: 'arn:aws:iam::123456789012:role/r', RoleSessionName: 's', PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/x' }] } },
  ];
  const bodies = botocore(inputs.map(({ service, op, params }) => ({ service, op, kind: 'serialize' as const, params })));
  inputs.forEach(({ model, op, params }, i) => {
    const req: WireRequest = { method: 'POST', rawPath: '/', rawQuery: '', headers: { host: 'localhost:4566' }, body: Buffer.from(bodies[i]) };
    assert.equal(queryCodec.resolveOperation(req, model), op);
    assert.deepEqual(queryCodec.parse(req, model, op), params, `${op}: ${bodies[i]}`);
  });

  const outputs: { service: string; model: ServiceModel; op: string; output: Record<string, unknown> }[] = [
    {
      service: 'sqs',
      model: sqs,
      op: 'ReceiveMessage',
      output: {
        Messages: [
          { MessageId: 'm1', ReceiptHandle: 'r+/=', MD5OfBody: 'x', Body: 'a\r\nb <&>', Attributes: { SenderId: 'AIDA', SentTimestamp: '1' }, MessageAttributes: { b: { BinaryValue: Buffer.from([1, 2]), DataType: 'Binary' }, l: { StringListValues: ['p', 'q'], DataType: 'String' } } },
          { MessageId: 'm2', ReceiptHandle: 'r2', MD5OfBody: 'y', Body: 'c' },
        ],
      },
    },
    { service: 'sqs', model: sqs, op: 'SendMessageBatch', output: { Successful: [{ Id: 'a', MessageId: 'm', MD5OfMessageBody: 'x' }], Failed: [{ Id: 'b', SenderFault: true, Code: 'c', Message: 'm' }] } },
    { service: 'sqs', model: sqs, op: 'GetQueueAttributes', output: { Attributes: { A: '1', B: '' } } },
    { service: 'sqs', model: sqs, op: 'ListQueues', output: { QueueUrls: ['u1', 'u2'], NextToken: 't' } },
    { service: 'sqs', model: sqs, op: 'ListQueueTags', output: { Tags: { a: '1' } } },
    { service: 'sns', model: sns, op: 'ListTopics', output: { Topics: [{ TopicArn: topicArn }], NextToken: 'n' } },
    { service: 'sns', model: sns, op: 'GetSubscriptionAttributes', output: { Attributes: { RawMessageDelivery: 'true', FilterPolicy: '{"a":["<b>"]}' } } },
    { service: 'iam', model: iam, op: 'ListRoles', output: { Roles: [{ ...role, Tags: [{ Key: 'k', Value: 'v' }] }], IsTruncated: false } },
    { service: 'sts', model: sts, op: 'GetSessionToken', output: { Credentials: { AccessKeyId: 'ASIA', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date('2026-01-01T00:00:00Z') } } },
  ];
  const parsed = botocore(outputs.map(({ service, model, op, output }) => ({ service, op, kind: 'parse' as const, xml: String(queryCodec.serialize(output, model, op, ctxFor(service)).body), status: 200 })));
  outputs.forEach(({ op, output }, i) => {
    const { ResponseMetadata, ...rest } = parsed[i];
    assert.equal(ResponseMetadata.RequestId, REQUEST_ID);
    assert.deepEqual(rest, output, op);
  });

  const errors = botocore([
    { service: 'sqs', op: 'GetQueueUrl', kind: 'parse', xml: String(queryCodec.serializeError(new NimbusQueueDoesNotExist('gone'), sqs, ctxFor('sqs')).body), status: 400 },
    { service: 'sns', op: 'Publish', kind: 'parse', xml: String(queryCodec.serializeError(new NimbusNotFound('Topic does not exist'), sns, ctxFor('sns')).body), status: 404 },
  ]);
  assert.deepEqual(errors[0].Error, { Type: 'Sender', Code: 'AWS.SimpleQueueService.NonExistentQueue', Message: 'gone', Detail: null });
  assert.equal(errors[0].ResponseMetadata.RequestId, REQUEST_ID);
  assert.deepEqual(errors[1].Error, { Type: 'Sender', Code: 'NotFound', Message: 'Topic does not exist' });
});

test('map keys named __proto__ stay entries', () => {
  const req = form({ Action: 'CreateQueue', QueueName: 'q', 'Attribute.1.Name': '__proto__', 'Attribute.1.Value': 'x' });
  const attributes = queryCodec.parse(req, sqs, 'CreateQueue').Attributes as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  assert.deepEqual(Object.keys(attributes), ['__proto__']);
});

test('codecFor picks the query codec', () => {
  assert.equal(codecFor('query'), queryCodec);
});

// Member kinds SNS, STS and IAM inputs do not have.
const syntheticQuery: ServiceModel = {
  metadata: { apiVersion: '2020-01-01', protocol: 'query', endpointPrefix: 'synthetic', serviceId: 'Synthetic', xmlNamespace: 'https://synthetic.example/doc/' },
  operations: { Echo: { name: 'Echo', http: { method: 'POST', requestUri: '/' }, input: { shape: 'Doc' }, output: { shape: 'Doc', resultWrapper: 'EchoResult' } } },
  shapes: {
    Doc: { type: 'structure', members: { When: { shape: 'Time' }, Ratio: { shape: 'Double' }, Inner: { shape: 'Inner' } } },
    Inner: { type: 'structure', members: { Name: { shape: 'Str' } } },
    Time: { type: 'timestamp' },
    Double: { type: 'double' },
    Str: { type: 'string' },
  },
};

test('timestamps and doubles in query parameters; a bare structure parameter is no structure', () => {
  const req = form({ Action: 'Echo', When: '2024-02-03T04:05:06.5Z', Ratio: '0.25', Inner: '' });
  assert.deepEqual(queryCodec.parse(req, syntheticQuery, 'Echo'), { When: new Date('2024-02-03T04:05:06.500Z'), Ratio: 0.25 });
  assert.throws(
    () => queryCodec.parse(form({ Action: 'Echo', When: 'last tuesday' }), syntheticQuery, 'Echo'),
    (e: unknown) => e instanceof ServiceError && e.code === 'InvalidParameterValue' && /When/.test(e.message),
  );
  const res = queryCodec.serialize({ When: new Date('2024-02-03T04:05:06Z'), Ratio: NaN, Inner: { Name: 'n' } }, syntheticQuery, 'Echo', ctxFor('synthetic'));
  assert.match(String(res.body), /<EchoResult><When>2024-02-03T04:05:06Z<\/When><Ratio>NaN<\/Ratio><Inner><Name>n<\/Name><\/Inner><\/EchoResult>/);
});
