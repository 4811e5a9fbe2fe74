// S3 object writes over rest-xml, path-style on loopback. The SDK sends PutObject bodies
// aws-chunked with a trailing CRC32 checksum by default, so these rows include that decoding.
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { awaitLater, compareLoad, interleavedSamples, sleep, withTimeout } from '../harness/measure.js';
import { epochMs } from '../harness/sink.js';
import { nowMs } from '../harness/stats.js';
import { latencyRow, p50AgainstCeilingRow, throughputRow, type Scenario, type ScenarioContext } from '../harness/types.js';
import { createDeliveryQueue, receiveMarker } from './sns.js';

const BODY_4K = Buffer.alloc(4096, 'n');
const MB = 1024 * 1024;

async function createBucket(ctx: ScenarioContext, prefix: string): Promise<string> {
  const Bucket = ctx.unique(prefix).toLowerCase();
  await ctx.nimbus.clients.s3.send(new CreateBucketCommand({ Bucket }));
  return Bucket;
}

export const s3Put: Scenario = {
  name: 's3.put',
  title: 'S3 PutObject 4 KB, c1 latency and c16 throughput',
  persistence: 'on',
  async run(ctx) {
    const Bucket = await createBucket(ctx, 'put');
    const nimbus = (i: number) => ctx.nimbus.clients.s3.send(new PutObjectCommand({ Bucket, Key: `k/${i % 1000}`, Body: BODY_4K }));
    const ceiling = (i: number) => ctx.ceiling.clients.s3.send(new PutObjectCommand({ Bucket: 'ceiling', Key: `k/${i % 1000}`, Body: BODY_4K }));
    await nimbus(0);
    const c1 = await compareLoad(nimbus, ceiling, { concurrency: 1, count: ctx.count(300, 30), maxMs: ctx.ms(1500), rounds: ctx.options.rounds });
    ctx.emit(latencyRow(this.name, 'PutObject 4KB p50 c1', c1, 1.5));
    const c16 = await compareLoad(nimbus, ceiling, { concurrency: 16, count: ctx.count(2000, 200), maxMs: ctx.ms(2000), rounds: ctx.options.rounds });
    ctx.emit(throughputRow(this.name, 'PutObject 4KB ops/s c16', c16));
  },
};

export const s3PutToNotification: Scenario = {
  name: 's3.put-to-notification',
  title: 'S3 PutObject until a long-polling SQS receiver has the event notification',
  persistence: 'on',
  async run(ctx) {
    const Bucket = await createBucket(ctx, 'notify');
    const sqs = ctx.nimbus.clients.sqs;
    const queue = await createDeliveryQueue(sqs, ctx.unique('s3events'));
    await ctx.nimbus.clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket,
        NotificationConfiguration: { QueueConfigurations: [{ QueueArn: queue.arn, Events: ['s3:ObjectCreated:*'] }] },
      }),
    );
    // S3 first sends an s3:TestEvent to a newly configured queue; receiveMarker skips it.
    const { samples, baseline: ceiling } = await interleavedSamples(
      ctx.count(40, 5),
      ctx.ms(20_000),
      async (i) => {
        const Key = `${ctx.unique('obj')}-${i}`;
        const received = awaitLater(receiveMarker(sqs, queue.url, Key, 10_000));
        const t0 = epochMs();
        await ctx.nimbus.clients.s3.send(new PutObjectCommand({ Bucket, Key, Body: BODY_4K }));
        return (await withTimeout(received, 11_000, 'put-to-notification')) - t0;
      },
      () => ctx.ceiling.clients.s3.send(new PutObjectCommand({ Bucket: 'ceiling', Key: 'k', Body: BODY_4K })),
    );
    ctx.emit(p50AgainstCeilingRow(this.name, 'PutObject to notification received p50', samples, ceiling, 4, (n) => `${n} samples; ceiling: PutObject p50 c1`));
  },
};

/** A stream of `bytes` bytes produced on demand, so the bench holds no more than one chunk. */
function generated(bytes: number): Readable {
  const chunk = Buffer.alloc(MB, 'm');
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

export const s3Multipart: Scenario = {
  name: 's3.multipart-1gb',
  title: 'S3 multipart upload of 1 GB (lib-storage Upload): throughput and Nimbus RSS growth',
  persistence: 'on',
  optional: true,
  async run(ctx) {
    const Bucket = await createBucket(ctx, 'mpu');
    const bytes = ctx.options.multipartBytes;
    const upload = async (target: 'nimbus' | 'ceiling') => {
      const t0 = nowMs();
      await new Upload({
        client: ctx[target].clients.s3,
        params: { Bucket: target === 'nimbus' ? Bucket : 'ceiling', Key: 'big', Body: generated(bytes) },
        partSize: 16 * MB,
        queueSize: 4,
      }).done();
      return nowMs() - t0;
    };
    const ceilingMs = await upload('ceiling');
    const idleRss = ctx.nimbus.server.rssBytes();
    let peakRss = idleRss;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, ctx.nimbus.server.rssBytes());
        await sleep(100);
      }
    })();
    let nimbusMs: number;
    try {
      nimbusMs = await withTimeout(upload('nimbus'), 600_000, 'multipart upload');
    } finally {
      sampling = false;
      await sampler;
    }
    const mbps = (ms: number) => bytes / MB / (ms / 1000);
    ctx.emit({
      scenario: this.name,
      metric: `upload ${(bytes / MB).toFixed(0)} MB, MB/s`,
      opsPerSec: mbps(nimbusMs),
      ceilingOpsPerSec: mbps(ceilingMs),
      ratio: mbps(nimbusMs) / mbps(ceilingMs),
      note: 'ops/s columns are MB/s',
    });
    const growth = (peakRss - idleRss) / MB;
    ctx.emit({
      scenario: this.name,
      metric: 'Nimbus RSS growth during upload',
      unit: 'MB',
      p50: growth,
      goal: { kind: 'max', limit: 256, text: 'flat: <= 256 MB' },
      ok: growth <= 256,
      note: `idle ${(idleRss / MB).toFixed(0)} MB, peak ${(peakRss / MB).toFixed(0)} MB`,
    });
  },
};
