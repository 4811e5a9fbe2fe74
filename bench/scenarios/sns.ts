// SNS publish with SQS fan-out. Delivery happens after Publish answers (as on AWS), so the
// publish latency rows measure acceptance and the publish-to-receivable row measures delivery.
import { CreateTopicCommand, PublishCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CEILING_MESSAGE_BODY } from '../ceiling.js';
import { awaitLater, compareLoad, interleavedSamples, withTimeout } from '../harness/measure.js';
import { epochMs } from '../harness/sink.js';
import { latencyRow, p50AgainstCeilingRow, throughputRow, type Scenario, type ScenarioContext } from '../harness/types.js';
import { createQueue } from './sqs.js';

const CEILING_TOPIC = 'arn:aws:sns:us-east-1:000000000000:ceiling';

/** A queue whose policy lets SNS (and S3) send to it, as AWS requires. */
export async function createDeliveryQueue(sqs: SQSClient, name: string): Promise<{ url: string; arn: string }> {
  const url = await createQueue(sqs, name, {
    Policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: ['sns.amazonaws.com', 's3.amazonaws.com'] }, Action: 'sqs:SendMessage', Resource: '*' }],
    }),
  });
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = attrs.Attributes?.QueueArn;
  if (!arn) throw new Error('GetQueueAttributes returned no QueueArn');
  return { url, arn };
}

async function topicWithQueues(ctx: ScenarioContext, sns: SNSClient, queues: number): Promise<{ topicArn: string; queueUrls: string[] }> {
  const topic = await sns.send(new CreateTopicCommand({ Name: ctx.unique('topic') }));
  const topicArn = topic.TopicArn!;
  const queueUrls: string[] = [];
  for (let i = 0; i < queues; i++) {
    const q = await createDeliveryQueue(ctx.nimbus.clients.sqs, ctx.unique(`fanout${i}`));
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { RawMessageDelivery: 'true' } }));
    queueUrls.push(q.url);
  }
  return { topicArn, queueUrls };
}

/**
 * Waits, long polling, for a message whose body contains `marker` (deleting whatever it
 * receives) and returns the epoch time it was received.
 */
export async function receiveMarker(sqs: SQSClient, QueueUrl: string, marker: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, VisibilityTimeout: 60 }));
    const at = epochMs();
    let found = false;
    for (const m of out.Messages ?? []) {
      if (m.Body?.includes(marker)) found = true;
      await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    if (found) return at;
  }
  throw new Error(`message ${marker} not received within ${timeoutMs} ms`);
}

export const snsPublishFanout: Scenario = {
  name: 'sns.publish-fanout',
  title: 'SNS Publish to a topic with 3 SQS subscriptions, c1 latency and c16 throughput',
  persistence: 'on',
  async run(ctx) {
    const { topicArn } = await topicWithQueues(ctx, ctx.nimbus.clients.sns, 3);
    const nimbus = () => ctx.nimbus.clients.sns.send(new PublishCommand({ TopicArn: topicArn, Message: CEILING_MESSAGE_BODY }));
    const ceiling = () => ctx.ceiling.clients.sns.send(new PublishCommand({ TopicArn: CEILING_TOPIC, Message: CEILING_MESSAGE_BODY }));
    await nimbus();
    const c1 = await compareLoad(nimbus, ceiling, { concurrency: 1, count: ctx.count(300, 30), maxMs: ctx.ms(1500), rounds: ctx.options.rounds });
    ctx.emit(latencyRow(this.name, 'Publish p50 c1', c1, 1.5));
    const c16 = await compareLoad(nimbus, ceiling, { concurrency: 16, count: ctx.count(2000, 200), maxMs: ctx.ms(2000), rounds: ctx.options.rounds });
    ctx.emit(throughputRow(this.name, 'Publish ops/s c16', c16, 0.5));
  },
};

export const snsPublishToReceive: Scenario = {
  name: 'sns.publish-to-receive',
  title: 'SNS Publish until a long-polling SQS receiver has the message',
  persistence: 'on',
  async run(ctx) {
    const sns = ctx.nimbus.clients.sns;
    const sqs = ctx.nimbus.clients.sqs;
    const { topicArn, queueUrls } = await topicWithQueues(ctx, sns, 1);
    const QueueUrl = queueUrls[0];
    const { samples, baseline: ceiling } = await interleavedSamples(
      ctx.count(40, 5),
      ctx.ms(20_000),
      async (i) => {
        const marker = `${ctx.unique('p2r')}-${i}`;
        const received = awaitLater(receiveMarker(sqs, QueueUrl, marker, 10_000));
        const t0 = epochMs();
        await sns.send(new PublishCommand({ TopicArn: topicArn, Message: marker }));
        return (await withTimeout(received, 11_000, 'publish-to-receive')) - t0;
      },
      () => ctx.ceiling.clients.sns.send(new PublishCommand({ TopicArn: CEILING_TOPIC, Message: CEILING_MESSAGE_BODY })),
    );
    ctx.emit(p50AgainstCeilingRow(this.name, 'publish to received p50', samples, ceiling, 4, (n) => `${n} samples; ceiling: Publish p50 c1`));
  },
};
