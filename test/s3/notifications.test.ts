// Bucket notifications through the provider: configuration validation, record format, routing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { body, harness, rejectsWith, text, type Call } from './harness.js';

const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:events';
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:topic';
const FN = 'arn:aws:lambda:us-east-1:000000000000:function:handler';

const records = (calls: Call[], op: string) =>
  calls
    .filter((c) => c.operation === op)
    .map((c) => JSON.parse(op === 'SendMessage' ? c.input.MessageBody : op === 'Publish' ? c.input.Message : c.input.Payload.toString()))
    .filter((m) => m.Records)
    .map((m) => m.Records[0]);

test('configuration: validation as S3 does it, Ids and normalised filter names', async () => {
  const h = harness({ existing: (c) => !JSON.stringify(c.input).includes('missing') });
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'nbk' }, ctx());
    assert.deepEqual(s3.GetBucketNotificationConfiguration({ Bucket: 'nbk' }), {});
    const q = (events: string[], rules?: [string, string][], arn = QUEUE) => ({ QueueArn: arn, Events: events as never, ...(rules ? { Filter: { Key: { FilterRules: rules.map(([Name, Value]) => ({ Name: Name as never, Value })) } } } : {}) });

    const overlap = await rejectsWith(() => s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*']), q(['s3:ObjectCreated:Put'])] } }, ctx()), 'InvalidArgument', 400);
    assert.match(overlap.message, /Configurations overlap/);
    // Different prefixes do not overlap; neither do different event types.
    await s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*'], [['prefix', 'a/']]), q(['s3:ObjectCreated:*'], [['prefix', 'b/']]), q(['s3:ObjectRemoved:*'])] } }, ctx());
    await rejectsWith(() => s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*'], [['prefix', 'a/']]), q(['s3:ObjectCreated:*'], [['prefix', 'a/b']])] } }, ctx()), 'InvalidArgument');
    await rejectsWith(() => s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectMade'])] } }, ctx()), 'InvalidArgument');
    await rejectsWith(() => s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*'], [['middle', 'x']])] } }, ctx()), 'InvalidArgument');
    await rejectsWith(() => s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*'], [['prefix', 'x'], ['Prefix', 'y']])] } }, ctx()), 'InvalidArgument');

    const missing = await rejectsWith(
      () => s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*'], undefined, 'arn:aws:sqs:us-east-1:000000000000:missing')], LambdaFunctionConfigurations: [{ LambdaFunctionArn: FN, Events: ['s3:ObjectRemoved:*'] as never }] } }, ctx()),
      'InvalidArgument',
    );
    assert.equal(missing.message, 'Unable to validate the following destination configurations');
    assert.equal(missing.fields.ArgumentName1, 'arn:aws:sqs:us-east-1:000000000000:missing');
    assert.equal(missing.fields.ArgumentValue1, 'The destination queue does not exist');
    assert.equal(missing.fields.ArgumentName2, undefined);
    // FIFO queues and destinations in another region are refused.
    for (const arn of ['arn:aws:sqs:us-east-1:000000000000:events.fifo', 'arn:aws:sqs:eu-west-1:000000000000:events']) {
      const e = await rejectsWith(() => s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*'], undefined, arn)] } }, ctx()), 'InvalidArgument');
      assert.equal(e.fields.ArgumentName1, arn);
    }
    // SkipDestinationValidation saves without checking.
    await s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', SkipDestinationValidation: true, NotificationConfiguration: { QueueConfigurations: [q(['s3:ObjectCreated:*'], undefined, 'arn:aws:sqs:us-east-1:000000000000:missing')] } }, ctx());

    assert.ok(h.calls.some((c) => c.operation === 'GetFunction' && c.input.FunctionName === FN));
    await s3.settled();
    h.calls.length = 0;
    await s3.PutBucketNotificationConfiguration(
      { Bucket: 'nbk', NotificationConfiguration: { QueueConfigurations: [{ Id: 'mine', ...q(['s3:ObjectCreated:*'], [['prefix', 'in/'], ['suffix', '.txt']]) }], TopicConfigurations: [{ TopicArn: TOPIC, Events: ['s3:ObjectRemoved:*'] as never }], EventBridgeConfiguration: {} } },
      ctx(),
    );
    const saved = s3.GetBucketNotificationConfiguration({ Bucket: 'nbk' });
    assert.equal(saved.QueueConfigurations![0].Id, 'mine');
    assert.deepEqual(saved.QueueConfigurations![0].Filter!.Key!.FilterRules, [{ Name: 'Prefix', Value: 'in/' }, { Name: 'Suffix', Value: '.txt' }]);
    assert.ok(saved.TopicConfigurations![0].Id!.length > 10);
    assert.deepEqual(saved.EventBridgeConfiguration, {});
    // Validation went through the targets' own read operations.
    assert.ok(h.calls.some((c) => c.operation === 'GetQueueAttributes' && c.input.QueueUrl === 'http://127.0.0.1:4566/000000000000/events'));
    assert.ok(h.calls.some((c) => c.operation === 'GetTopicAttributes' && c.input.TopicArn === TOPIC));

    // The test event goes to queues and topics once the configuration is saved.
    await s3.settled();
    const tests = h.calls.filter((c) => c.operation === 'SendMessage' || c.operation === 'Publish').map((c) => JSON.parse(c.input.MessageBody ?? c.input.Message));
    assert.equal(tests.length, 2);
    assert.deepEqual(Object.keys(tests[0]), ['Service', 'Event', 'Time', 'Bucket', 'RequestId', 'HostId']);
    assert.equal(tests[0].Event, 's3:TestEvent');
    assert.equal(tests[0].Service, 'Amazon S3');
    assert.equal(tests[0].Bucket, 'nbk');

    // An empty configuration removes it.
    await s3.PutBucketNotificationConfiguration({ Bucket: 'nbk', NotificationConfiguration: {} }, ctx());
    assert.deepEqual(s3.GetBucketNotificationConfiguration({ Bucket: 'nbk' }), {});
  } finally {
    h.close();
  }
});

test('records: fields, key encoding, filters, each target type, deletes, copies, multipart, tagging', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'evb' }, ctx());
    await s3.PutBucketNotificationConfiguration(
      {
        Bucket: 'evb',
        NotificationConfiguration: {
          QueueConfigurations: [{ Id: 'to-queue', QueueArn: QUEUE, Events: ['s3:ObjectCreated:Put'] as never, Filter: { Key: { FilterRules: [{ Name: 'prefix' as never, Value: 'in/' }] } } }],
          LambdaFunctionConfigurations: [{ Id: 'to-fn', LambdaFunctionArn: FN, Events: ['s3:ObjectRemoved:*', 's3:ObjectTagging:*'] as never }],
          TopicConfigurations: [{ Id: 'to-topic', TopicArn: TOPIC, Events: ['s3:ObjectCreated:Copy', 's3:ObjectCreated:CompleteMultipartUpload'] as never, Filter: { Key: { FilterRules: [{ Name: 'suffix' as never, Value: '.bin' }] } } }],
        },
      },
      ctx(),
    );
    await s3.settled();
    h.calls.length = 0;

    const put = await s3.PutObject({ Bucket: 'evb', Key: 'in/red flower+ü=1.txt', Body: body('data\n') as never }, ctx({ requestId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', sourceIp: '10.1.2.3' }));
    // Nothing is delivered before the operation has returned.
    assert.equal(h.calls.length, 0);
    await s3.PutObject({ Bucket: 'evb', Key: 'out/skip.txt', Body: body('x') as never }, ctx());
    await s3.settled();
    const sqs = records(h.calls, 'SendMessage');
    assert.equal(sqs.length, 1);
    const r = sqs[0];
    assert.deepEqual(Object.keys(r), ['eventVersion', 'eventSource', 'awsRegion', 'eventTime', 'eventName', 'userIdentity', 'requestParameters', 'responseElements', 's3']);
    assert.equal(r.eventVersion, '2.1');
    assert.equal(r.eventSource, 'aws:s3');
    assert.equal(r.awsRegion, 'us-east-1');
    assert.equal(r.eventTime, '2026-01-01T12:00:00.000Z');
    assert.equal(r.eventName, 'ObjectCreated:Put');
    assert.equal(r.userIdentity.principalId, 'AWS:test');
    assert.deepEqual(r.requestParameters, { sourceIPAddress: '10.1.2.3' });
    assert.equal(r.responseElements['x-amz-request-id'], 'AAAAAAAABBBBCCCC');
    assert.equal(r.responseElements['x-amz-id-2'], Buffer.from('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee').toString('base64'));
    assert.equal(r.s3.s3SchemaVersion, '1.0');
    assert.equal(r.s3.configurationId, 'to-queue');
    assert.equal(r.s3.bucket.name, 'evb');
    assert.equal(r.s3.bucket.arn, 'arn:aws:s3:::evb');
    assert.ok(r.s3.bucket.ownerIdentity.principalId);
    assert.equal(r.s3.object.key, 'in/red+flower%2B%C3%BC%3D1.txt');
    assert.equal(r.s3.object.size, 5);
    assert.equal(r.s3.object.eTag, put.ETag!.replace(/"/g, ''));
    assert.equal(r.s3.object.versionId, undefined);
    assert.match(r.s3.object.sequencer, /^[0-9A-F]{18}$/);
    const call = h.calls.find((c) => c.operation === 'SendMessage')!;
    assert.equal(call.input.QueueUrl, 'http://127.0.0.1:4566/000000000000/events');
    assert.deepEqual(call.where, { accountId: '000000000000', region: 'us-east-1' });

    // Sequencers increase for a key.
    h.calls.length = 0;
    await s3.PutObject({ Bucket: 'evb', Key: 'in/k', Body: body('1') as never }, ctx());
    await s3.PutObject({ Bucket: 'evb', Key: 'in/k', Body: body('2') as never }, ctx());
    await s3.settled();
    const [first, second] = records(h.calls, 'SendMessage');
    assert.ok(second.s3.object.sequencer > first.s3.object.sequencer);

    // Deletes and tagging go to the function, asynchronously invoked.
    h.calls.length = 0;
    s3.PutObjectTagging({ Bucket: 'evb', Key: 'in/k', Tagging: { TagSet: [{ Key: 'a', Value: 'b' }] } }, ctx());
    s3.DeleteObject({ Bucket: 'evb', Key: 'in/k' }, ctx());
    s3.DeleteObject({ Bucket: 'evb', Key: 'never-there' }, ctx());
    await s3.settled();
    const invokes = h.calls.filter((c) => c.operation === 'Invoke');
    assert.ok(invokes.every((c) => c.input.InvocationType === 'Event' && c.input.FunctionName === FN && Buffer.isBuffer(c.input.Payload)));
    const fnRecords = records(h.calls, 'Invoke');
    assert.deepEqual(fnRecords.map((x) => [x.eventName, x.eventVersion]), [['ObjectTagging:Put', '2.3'], ['ObjectRemoved:Delete', '2.1']]);
    assert.equal(fnRecords[1].s3.object.size, undefined);
    assert.equal(fnRecords[1].s3.object.eTag, undefined);

    // Copies and completed multipart uploads with the .bin suffix go to the topic.
    h.calls.length = 0;
    await s3.PutObject({ Bucket: 'evb', Key: 'src.txt', Body: body('copy me') as never }, ctx());
    await s3.CopyObject({ Bucket: 'evb', Key: 'copied.bin', CopySource: 'evb/src.txt' }, ctx());
    await s3.CopyObject({ Bucket: 'evb', Key: 'copied.txt', CopySource: 'evb/src.txt' }, ctx());
    const up = s3.CreateMultipartUpload({ Bucket: 'evb', Key: 'multi.bin' }, ctx());
    const p = await s3.UploadPart({ Bucket: 'evb', Key: 'multi.bin', UploadId: up.UploadId!, PartNumber: 1, Body: body('only part') as never }, ctx());
    s3.CompleteMultipartUpload({ Bucket: 'evb', Key: 'multi.bin', UploadId: up.UploadId!, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p.ETag }] } }, ctx());
    await s3.settled();
    const published = h.calls.filter((c) => c.operation === 'Publish');
    assert.ok(published.every((c) => c.input.Subject === 'Amazon S3 Notification' && c.input.TopicArn === TOPIC));
    const sns = records(h.calls, 'Publish');
    assert.deepEqual(sns.map((x) => [x.eventName, x.s3.object.key]), [['ObjectCreated:Copy', 'copied.bin'], ['ObjectCreated:CompleteMultipartUpload', 'multi.bin']]);
    assert.match(sns[1].s3.object.eTag, /^[0-9a-f]{32}-1$/);
  } finally {
    h.close();
  }
});

test('versioned buckets: versionId in records, delete markers; failed deliveries are logged, never fail the operation', async () => {
  const h = harness({ existing: (c) => c.operation !== 'SendMessage' });
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'vev' }, ctx());
    s3.PutBucketVersioning({ Bucket: 'vev', VersioningConfiguration: { Status: 'Enabled' } });
    await s3.PutBucketNotificationConfiguration({ Bucket: 'vev', NotificationConfiguration: { LambdaFunctionConfigurations: [{ LambdaFunctionArn: FN, Events: ['s3:ObjectCreated:*', 's3:ObjectRemoved:*'] as never }] } }, ctx());
    const put = await s3.PutObject({ Bucket: 'vev', Key: 'k', Body: body('v') as never }, ctx());
    const del = s3.DeleteObject({ Bucket: 'vev', Key: 'k' }, ctx());
    await s3.settled();
    const recs = records(h.calls, 'Invoke');
    assert.deepEqual(recs.map((r) => [r.eventName, r.s3.object.versionId]), [['ObjectCreated:Put', put.VersionId], ['ObjectRemoved:DeleteMarkerCreated', del.VersionId]]);

    s3.CreateBucket({ Bucket: 'failing' }, ctx());
    await s3.PutBucketNotificationConfiguration({ Bucket: 'failing', NotificationConfiguration: { QueueConfigurations: [{ QueueArn: QUEUE, Events: ['s3:ObjectCreated:*'] as never }] } }, ctx());
    const ok = await s3.PutObject({ Bucket: 'failing', Key: 'k', Body: body('v') as never }, ctx());
    assert.ok(ok.ETag);
    await s3.settled();
    assert.ok(h.warnings.some((w) => w.includes('delivery of ObjectCreated:Put for s3://failing/k') && w.includes(QUEUE)), h.warnings.join('\n'));
  } finally {
    h.close();
  }
});

test('archived objects: unreadable until restored; RestoreObject fires Post and Completed with glacierEventData', async () => {
  const h = harness();
  const { s3, ctx } = h;
  try {
    s3.CreateBucket({ Bucket: 'cold' }, ctx());
    await s3.PutBucketNotificationConfiguration({ Bucket: 'cold', NotificationConfiguration: { QueueConfigurations: [{ QueueArn: QUEUE, Events: ['s3:ObjectRestore:*'] as never }] } }, ctx());
    await s3.PutObject({ Bucket: 'cold', Key: 'archive.tar', Body: body('frozen') as never, StorageClass: 'GLACIER' }, ctx());
    await s3.PutObject({ Bucket: 'cold', Key: 'hot.txt', Body: body('warm') as never }, ctx());
    const denied = await rejectsWith(() => s3.GetObject({ Bucket: 'cold', Key: 'archive.tar' }), 'InvalidObjectState', 403);
    assert.equal(denied.fields.StorageClass, 'GLACIER');
    await rejectsWith(() => s3.CopyObject({ Bucket: 'cold', Key: 'copy', CopySource: 'cold/archive.tar' }, ctx()), 'InvalidObjectState');
    assert.equal(s3.HeadObject({ Bucket: 'cold', Key: 'archive.tar' }).StorageClass, 'GLACIER');
    await rejectsWith(() => s3.RestoreObject({ Bucket: 'cold', Key: 'hot.txt', RestoreRequest: { Days: 1 } }, ctx()), 'InvalidObjectState');
    await rejectsWith(() => s3.RestoreObject({ Bucket: 'cold', Key: 'archive.tar', RestoreRequest: {} }, ctx()), 'MalformedXML');

    await s3.settled();
    h.calls.length = 0;
    assert.deepEqual(s3.RestoreObject({ Bucket: 'cold', Key: 'archive.tar', RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: 'Expedited' } } }, ctx()), { StatusCode: 202 });
    assert.equal(await text(s3.GetObject({ Bucket: 'cold', Key: 'archive.tar' }).Body), 'frozen');
    // 12:00 on Jan 1 plus two days, rounded up to midnight UTC
    assert.equal(s3.HeadObject({ Bucket: 'cold', Key: 'archive.tar' }).Restore, 'ongoing-request="false", expiry-date="Sun, 04 Jan 2026 00:00:00 GMT"');
    await s3.settled();
    const recs = records(h.calls, 'SendMessage');
    assert.deepEqual(recs.map((r) => r.eventName), ['ObjectRestore:Post', 'ObjectRestore:Completed']);
    assert.equal(recs[0].glacierEventData, undefined);
    assert.deepEqual(recs[1].glacierEventData, { restoreEventData: { lifecycleRestorationExpiryTime: '2026-01-04T00:00:00.000Z', lifecycleRestoreStorageClass: 'GLACIER' } });
    assert.deepEqual(s3.RestoreObject({ Bucket: 'cold', Key: 'archive.tar', RestoreRequest: { Days: 2 } }, ctx()), { StatusCode: 200 });

    await h.clock.advance(4 * 24 * 3600 * 1000);
    await rejectsWith(() => s3.GetObject({ Bucket: 'cold', Key: 'archive.tar' }), 'InvalidObjectState');
  } finally {
    h.close();
  }
});
