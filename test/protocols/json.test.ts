// The json codec against the real SDK: requests built by @aws-sdk/client-sqs and
// @aws-sdk/client-cloudwatch-logs are parsed by our codec, and our responses are read back by
// the same clients (through a request handler that never opens a socket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  SQSClient,
  SendMessageCommand,
  SendMessageBatchCommand,
  ReceiveMessageCommand,
  GetQueueAttributesCommand,
  QueueDoesNotExist,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import {
  CloudWatchLogsClient,
  PutLogEventsCommand,
  FilterLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { jsonCodec } from '../../src/protocols/json.js';
import { codecFor } from '../../src/protocols/index.js';
import { loadModel, schemasDir, type ServiceModel } from '../../src/core/model.js';
import { ServiceError } from '../../src/core/errors.js';
import type { WireRequest } from '../../src/protocols/types.js';
import { buffersOf, clientConfig, ctxFor as baseCtx, loopback as codecLoopback, withoutMetadata, type Answer } from './loopback.js';
import { hasBotocore } from './botocore-harness.js';
import { QueueDoesNotExist as NimbusQueueDoesNotExist } from '../../src/generated/sqs.js';
import { ResourceNotFoundException as NimbusResourceNotFound } from '../../src/generated/logs.js';

const sqsModel = loadModel('sqs');
const logsModel = loadModel('logs');

const ctxFor = (service: string) => baseCtx(service);
const loopback = (model: ServiceModel, service: string, answer: Answer) =>
  codecLoopback({ codec: jsonCodec, unknownOperation: () => new ServiceError('UnknownOperationException', ''), ctx: ctxFor }, model, service, answer);

function sqsClient(answer: (op: string, input: Record<string, unknown>) => unknown) {
  const lb = loopback(sqsModel, 'sqs', answer);
  // md5: false — the MD5 digests are the SQS provider's business, not the codec's.
  return { client: new SQSClient({ ...clientConfig, requestHandler: lb.requestHandler, md5: false }), seen: lb.seen };
}

function logsClient(answer: (op: string, input: Record<string, unknown>) => unknown) {
  const lb = loopback(logsModel, 'logs', answer);
  return { client: new CloudWatchLogsClient({ ...clientConfig, requestHandler: lb.requestHandler }), seen: lb.seen };
}


const queueUrl = 'http://localhost:4566/123456789012/orders';

test('SQS SendMessage: attributes (string, number, binary, system) survive the SDK request', async () => {
  const input = {
    QueueUrl: queueUrl,
    MessageBody: 'line one\r\nline two <&> "quoted" é 🚀',
    DelaySeconds: 5,
    MessageAttributes: {
      Name: { DataType: 'String', StringValue: 'Ada' },
      Count: { DataType: 'Number', StringValue: '42' },
      Blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 253, 254, 255]) },
    },
    MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } },
    MessageGroupId: 'g1',
    MessageDeduplicationId: 'd1',
  };
  const output = { MessageId: '5fea7756-0ea4-451a-a703-a558b933e274', MD5OfMessageBody: 'fafb00f5732ab283681e124bf8747ed1', MD5OfMessageAttributes: '3ae8f24a165a8cedc005670c81a27295', SequenceNumber: '18849496460467696128' };
  const { client, seen } = sqsClient(() => output);
  const got = await client.send(new SendMessageCommand(input));
  assert.equal(seen.op, 'SendMessage');
  assert.equal(seen.wire!.headers['x-amz-target'], 'AmazonSQS.SendMessage');
  assert.deepEqual(seen.input, input);
  assert.ok(Buffer.isBuffer((seen.input as any).MessageAttributes.Blob.BinaryValue), 'blobs reach the provider as Buffers');
  assert.deepEqual(withoutMetadata(got), output);
  assert.equal(seen.response!.headers['content-type'], 'application/x-amz-json-1.0');
  assert.equal(got.$metadata.requestId, 'c0ffee00-0000-4000-8000-000000000001');
});

test('SQS SendMessageBatch: entries in, Successful and Failed out', async () => {
  const input = {
    QueueUrl: queueUrl,
    Entries: [
      { Id: 'a', MessageBody: 'first', MessageAttributes: { K: { DataType: 'Binary', BinaryValue: Buffer.from('bin') } } },
      { Id: 'b', MessageBody: 'second', DelaySeconds: 0 },
    ],
  };
  const output = {
    Successful: [{ Id: 'a', MessageId: 'm-1', MD5OfMessageBody: '8b04d5e3775d298e78455efc5ca404d5' }],
    Failed: [{ Id: 'b', SenderFault: true, Code: 'InvalidParameterValue', Message: 'nope' }],
  };
  const { client, seen } = sqsClient(() => output);
  const got = await client.send(new SendMessageBatchCommand(input));
  assert.deepEqual(seen.input, input);
  assert.deepEqual(withoutMetadata(got), output);
});

test('SQS ReceiveMessage: request lists and messages with attribute maps and binary attributes', async () => {
  const input = {
    QueueUrl: queueUrl,
    AttributeNames: ['All' as const],
    MessageSystemAttributeNames: ['SenderId' as const, 'ApproximateReceiveCount' as const],
    MessageAttributeNames: ['All'],
    MaxNumberOfMessages: 10,
    VisibilityTimeout: 30,
    WaitTimeSeconds: 20,
    ReceiveRequestAttemptId: 'attempt-1',
  };
  const output = {
    Messages: [
      {
        MessageId: 'm-1',
        ReceiptHandle: 'AQEB+handle/with=chars',
        MD5OfBody: '5d41402abc4b2a76b9719d911017c592',
        Body: 'hello',
        Attributes: { SenderId: 'AIDAEXAMPLE', ApproximateReceiveCount: '1', SentTimestamp: '1700000000000' },
        MD5OfMessageAttributes: 'aa',
        MessageAttributes: {
          Bin: { DataType: 'Binary', BinaryValue: Buffer.from([255, 0, 128]) },
          Str: { DataType: 'String', StringValue: 'v' },
        },
      },
      { MessageId: 'm-2', ReceiptHandle: 'h2', MD5OfBody: 'x', Body: '' },
    ],
  };
  const { client, seen } = sqsClient(() => output);
  const got = await client.send(new ReceiveMessageCommand(input));
  assert.deepEqual(seen.input, input);
  assert.deepEqual(buffersOf(withoutMetadata(got)), output);
});

test('SQS GetQueueAttributes: attribute map out', async () => {
  const input = { QueueUrl: queueUrl, AttributeNames: ['All' as const] };
  const output = { Attributes: { VisibilityTimeout: '30', QueueArn: 'arn:aws:sqs:us-east-1:123456789012:orders', RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq","maxReceiveCount":3}' } };
  const { client, seen } = sqsClient(() => output);
  const got = await client.send(new GetQueueAttributesCommand(input));
  assert.deepEqual(seen.input, input);
  assert.deepEqual(withoutMetadata(got), output);
});

test('SQS errors: QueueDoesNotExist reaches the SDK as AWS sends it (query-compatible JSON)', async () => {
  const { client, seen } = sqsClient(() => new NimbusQueueDoesNotExist('The specified queue does not exist.'));
  const err: any = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl })).then(
    () => assert.fail('expected an error'),
    (e) => e,
  );
  assert.ok(err instanceof QueueDoesNotExist, `got ${err?.name}`);
  assert.equal(err.name, 'QueueDoesNotExist');
  assert.equal(err.message, 'The specified queue does not exist.');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.$fault, 'client');
  assert.equal((err as any).Code, 'AWS.SimpleQueueService.NonExistentQueue');
  assert.equal((err as any).Type, 'Sender');
  assert.equal((err as any).Error.Code, 'AWS.SimpleQueueService.NonExistentQueue');
  // The bytes on the wire, as real SQS sends them.
  assert.equal(seen.response!.headers['x-amzn-query-error'], 'AWS.SimpleQueueService.NonExistentQueue;Sender');
  assert.deepEqual(JSON.parse(String(seen.response!.body)), { __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
});

test('SQS errors: an error the model does not declare keeps its code as the SDK error name', async () => {
  const { client, seen } = sqsClient(() => new ServiceError('InvalidParameterValue', 'Value x for parameter y is invalid.'));
  const err: any = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl })).catch((e) => e);
  assert.ok(err instanceof SQSServiceException);
  assert.equal(err.name, 'InvalidParameterValue');
  assert.equal(err.message, 'Value x for parameter y is invalid.');
  assert.equal(seen.response!.headers['x-amzn-query-error'], 'InvalidParameterValue;Sender');
});

test('SQS errors: server faults say Receiver and keep their status', async () => {
  const { client, seen } = sqsClient(() => new ServiceError('InternalFailure', 'boom', { status: 500 }));
  const err: any = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl })).catch((e) => e);
  assert.equal(err.$metadata.httpStatusCode, 500);
  assert.equal(err.$fault, 'server');
  assert.equal(seen.response!.headers['x-amzn-query-error'], 'InternalFailure;Receiver');
});

test('Logs PutLogEvents and FilterLogEvents round trip (JSON 1.1)', async () => {
  const put = {
    logGroupName: '/aws/lambda/fn',
    logStreamName: '2024/01/01/[$LATEST]abc',
    logEvents: [
      { timestamp: 1700000000000, message: 'START RequestId: 1' },
      { timestamp: 1700000000001, message: 'tab\there\nnewline' },
    ],
    sequenceToken: '49039859',
  };
  const putOut = { nextSequenceToken: '49039860', rejectedLogEventsInfo: { tooNewLogEventStartIndex: 1, tooOldLogEventEndIndex: 0, expiredLogEventEndIndex: 0 } };
  {
    const { client, seen } = logsClient(() => putOut);
    const got = await client.send(new PutLogEventsCommand(put));
    assert.equal(seen.wire!.headers['x-amz-target'], 'Logs_20140328.PutLogEvents');
    assert.deepEqual(seen.input, put);
    assert.deepEqual(withoutMetadata(got), putOut);
    assert.equal(seen.response!.headers['content-type'], 'application/x-amz-json-1.1');
  }
  const filter = { logGroupName: '/aws/lambda/fn', logStreamNames: ['s1', 's2'], startTime: 1, endTime: 2, filterPattern: 'ERROR', limit: 50, interleaved: true, nextToken: 't' };
  const filterOut = {
    events: [{ logStreamName: 's1', timestamp: 1700000000000, message: 'ERROR x', ingestionTime: 1700000000005, eventId: '3729' }],
    searchedLogStreams: [{ logStreamName: 's1', searchedCompletely: true }],
    nextToken: 'next',
  };
  const { client, seen } = logsClient(() => filterOut);
  const got = await client.send(new FilterLogEventsCommand(filter));
  assert.deepEqual(seen.input, filter);
  assert.deepEqual(withoutMetadata(got), filterOut);
});

test('Logs errors: ResourceNotFoundException with the bare shape name in __type', async () => {
  const { client, seen } = logsClient(() => new NimbusResourceNotFound('The specified log group does not exist.'));
  const err: any = await client.send(new FilterLogEventsCommand({ logGroupName: 'missing' })).catch((e) => e);
  assert.ok(err instanceof ResourceNotFoundException, `got ${err?.name}`);
  assert.equal(err.message, 'The specified log group does not exist.');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.deepEqual(JSON.parse(String(seen.response!.body)), { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  assert.equal(seen.response!.headers['x-amzn-query-error'], undefined);
});

function rawRequest(target: string | undefined, body: string): WireRequest {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
  if (target) headers['x-amz-target'] = target;
  return { method: 'POST', rawPath: '/', rawQuery: '', headers, body: Buffer.from(body) };
}

function thrown(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ServiceError, `expected a ServiceError, got ${e}`);
    return e;
  }
  assert.fail('expected an error');
}

test('operation resolution: prefix and operation must both match the model', () => {
  assert.equal(jsonCodec.resolveOperation(rawRequest('AmazonSQS.ListQueues', '{}'), sqsModel), 'ListQueues');
  assert.equal(jsonCodec.resolveOperation(rawRequest('AmazonSQS.Nope', '{}'), sqsModel), undefined);
  assert.equal(jsonCodec.resolveOperation(rawRequest('Logs_20140328.ListQueues', '{}'), sqsModel), undefined);
  assert.equal(jsonCodec.resolveOperation(rawRequest('AmazonSQS.toString', '{}'), sqsModel), undefined);
  assert.equal(jsonCodec.resolveOperation(rawRequest(undefined, '{}'), sqsModel), undefined);
});

test('malformed bodies are SerializationException (400), never a crash', () => {
  for (const body of ['{"QueueName": ', 'not json', '[1,2]', '"text"', 'null']) {
    const err = thrown(() => jsonCodec.parse(rawRequest('AmazonSQS.CreateQueue', body), sqsModel, 'CreateQueue'));
    assert.equal(err.code, 'SerializationException', body);
    assert.equal(err.status, 400);
  }
  const wrongShape = thrown(() => jsonCodec.parse(rawRequest('AmazonSQS.CreateQueue', '{"QueueName":"q","Attributes":["x"]}'), sqsModel, 'CreateQueue'));
  assert.equal(wrongShape.code, 'SerializationException');
  const badBlob = thrown(() =>
    jsonCodec.parse(rawRequest('AmazonSQS.SendMessage', '{"QueueUrl":"u","MessageBody":"b","MessageAttributes":{"a":{"DataType":"Binary","BinaryValue":"%%%"}}}'), sqsModel, 'SendMessage'),
  );
  assert.equal(badBlob.code, 'SerializationException');
  // The rendered error is an AWS JSON error document.
  const res = jsonCodec.serializeError(badBlob, sqsModel, ctxFor('sqs'));
  assert.equal(res.status, 400);
  assert.equal(JSON.parse(String(res.body)).__type, 'com.amazonaws.sqs#SerializationException');
});

test('an empty body is {}, unknown members are dropped, nulls are absent', () => {
  assert.deepEqual(jsonCodec.parse(rawRequest('AmazonSQS.ListQueues', ''), sqsModel, 'ListQueues'), {});
  assert.deepEqual(
    jsonCodec.parse(rawRequest('AmazonSQS.ListQueues', '{"QueueNamePrefix":"a","FutureMember":1,"MaxResults":null}'), sqsModel, 'ListQueues'),
    { QueueNamePrefix: 'a' },
  );
});

// A model with the member kinds SQS and Logs do not use (timestamps, doubles, formats).
const syntheticModel: ServiceModel = {
  metadata: { apiVersion: '2020-01-01', protocol: 'json', jsonVersion: '1.1', targetPrefix: 'Synthetic', endpointPrefix: 'synthetic', serviceId: 'Synthetic' },
  operations: { Echo: { name: 'Echo', http: { method: 'POST', requestUri: '/' }, input: { shape: 'Doc' }, output: { shape: 'Doc' } } },
  shapes: {
    Doc: {
      type: 'structure',
      members: {
        When: { shape: 'Time' },
        WhenIso: { shape: 'Time', timestampFormat: 'iso8601' },
        Ratio: { shape: 'Double' },
        Nested: { shape: 'Doc' },
        Times: { shape: 'TimeList' },
      },
    },
    Time: { type: 'timestamp' },
    Double: { type: 'double' },
    TimeList: { type: 'list', member: { shape: 'Time' } },
  },
};

test('timestamps: epoch seconds (fractional) in and out, Dates at the provider, formats honoured', () => {
  const req = rawRequest('Synthetic.Echo', '{"When":1700000000.123,"WhenIso":"2024-02-03T04:05:06Z","Nested":{"When":1700000000},"Times":[0,"1700000001"]}');
  const input = jsonCodec.parse(req, syntheticModel, 'Echo');
  assert.deepEqual(input, {
    When: new Date(1700000000123),
    WhenIso: new Date('2024-02-03T04:05:06Z'),
    Nested: { When: new Date(1700000000000) },
    Times: [new Date(0), new Date(1700000001000)],
  });
  const res = jsonCodec.serialize({ ...input, Ratio: 0.5, Unknown: 'dropped' }, syntheticModel, 'Echo', ctxFor('synthetic'));
  assert.deepEqual(JSON.parse(String(res.body)), {
    When: 1700000000.123,
    WhenIso: '2024-02-03T04:05:06Z',
    Ratio: 0.5,
    Nested: { When: 1700000000 },
    Times: [0, 1700000001],
  });
  const bad = thrown(() => jsonCodec.parse(rawRequest('Synthetic.Echo', '{"When":"yesterday"}'), syntheticModel, 'Echo'));
  assert.equal(bad.code, 'SerializationException');
});

test('operations without output answer {}', () => {
  const res = jsonCodec.serialize(undefined, sqsModel, 'DeleteQueue', ctxFor('sqs'));
  assert.equal(res.status, 200);
  assert.equal(res.body, '{}');
});

test('codecFor picks the json codec', () => {
  assert.equal(codecFor('json'), jsonCodec);
});

test('map keys named __proto__ stay entries', () => {
  const input = jsonCodec.parse(rawRequest('AmazonSQS.CreateQueue', '{"QueueName":"q","Attributes":{"__proto__":"x"}}'), sqsModel, 'CreateQueue');
  const attributes = input.Attributes as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  assert.deepEqual(Object.keys(attributes), ['__proto__']);
  const res = jsonCodec.serialize({ Attributes: attributes }, sqsModel, 'GetQueueAttributes', ctxFor('sqs'));
  assert.equal(res.body, '{"Attributes":{"__proto__":"x"}}');
});

// botocore (the aws CLI's engine) reads our JSON errors: for SQS it takes the code from
// x-amzn-query-error, so the CLI prints "An error occurred (AWS.SimpleQueueService.NonExistentQueue)".
const BOTOCORE_JSON_ERROR = `
import sys, json
from botocore.model import ServiceModel
from botocore import parsers
out = []
for c in json.load(sys.stdin):
    op = ServiceModel(json.load(open(c['model'])), service_name=c['service']).operation_model(c['op'])
    parsed = parsers.create_parser('json').parse({'body': c['body'].encode(), 'headers': c['headers'], 'status_code': c['status']}, op.output_shape)
    out.append(parsed['Error'])
json.dump(out, sys.stdout)
`;


test('botocore reads our JSON errors (SQS query-compatible, Logs plain)', { skip: !hasBotocore && 'python3 with botocore 1.40 or later is not installed' }, () => {
  const cases = [
    { service: 'sqs', op: 'GetQueueUrl', response: jsonCodec.serializeError(new NimbusQueueDoesNotExist('gone'), sqsModel, ctxFor('sqs')) },
    { service: 'logs', op: 'DescribeLogStreams', response: jsonCodec.serializeError(new NimbusResourceNotFound('no group'), logsModel, ctxFor('logs')) },
  ].map(({ service, op, response }) => ({ service, op, model: path.join(schemasDir, service, 'model.json'), body: String(response.body), headers: response.headers, status: response.status }));
  const run = spawnSync('python3', ['-c', BOTOCORE_JSON_ERROR], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 20000 });
  assert.equal(run.status, 0, run.stderr);
  const [sqsError, logsError] = JSON.parse(run.stdout);
  assert.deepEqual(sqsError, { Message: 'gone', Code: 'AWS.SimpleQueueService.NonExistentQueue', QueryErrorCode: 'QueueDoesNotExist', Type: 'Sender' });
  assert.deepEqual(logsError, { Message: 'no group', Code: 'ResourceNotFoundException' });
});

test('timestamps sent as ISO 8601 (zone-less means UTC) or RFC 822 strings are accepted too', () => {
  const input = jsonCodec.parse(rawRequest('Synthetic.Echo', '{"When":"2024-01-01T00:00:00","Nested":{"When":"Tue, 29 Apr 2014 18:30:38 GMT"}}'), syntheticModel, 'Echo');
  assert.deepEqual(input, { When: new Date('2024-01-01T00:00:00Z'), Nested: { When: new Date('2014-04-29T18:30:38Z') } });
});
