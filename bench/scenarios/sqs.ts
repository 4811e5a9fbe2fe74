// SQS over the JSON protocol (what SDK v3 speaks), persistence on unless the name says memory:
// every acknowledged SendMessage is a durable SQLite commit, as a user running with a data
// directory would get.
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { CEILING_MESSAGE_BODY } from '../ceiling.js';
import { compareLoad, runRound } from '../harness/measure.js';
import { nowMs, summarize } from '../harness/stats.js';
import { goalMax, goalMin, judge, latencyRow, throughputRow, type Scenario, type ScenarioContext } from '../harness/types.js';

export async function createQueue(sqs: SQSClient, QueueName: string, Attributes: Record<string, string> = {}): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName, Attributes }));
  if (!out.QueueUrl) throw new Error('CreateQueue returned no QueueUrl');
  return out.QueueUrl;
}

const CEILING_QUEUE = (ctx: ScenarioContext) => `${ctx.ceiling.endpoint}/000000000000/ceiling`;

const batchEntries = (body: (i: number) => string, base = 0) => Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: body(base + i) }));

function sendScenario(name: string, persistence: 'on' | 'off'): Scenario {
  return {
    name,
    title: `SQS SendMessage (persistence ${persistence}), c1 latency and c16 throughput`,
    persistence,
    async run(ctx) {
      const QueueUrl = await createQueue(ctx.nimbus.clients.sqs, ctx.unique('send'));
      const ceilingUrl = CEILING_QUEUE(ctx);
      const nimbus = () => ctx.nimbus.clients.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: CEILING_MESSAGE_BODY }));
      const ceiling = () => ctx.ceiling.clients.sqs.send(new SendMessageCommand({ QueueUrl: ceilingUrl, MessageBody: CEILING_MESSAGE_BODY }));
      await nimbus();
      const c1 = await compareLoad(nimbus, ceiling, { concurrency: 1, count: ctx.count(300, 30), maxMs: ctx.ms(1500), rounds: ctx.options.rounds });
      ctx.emit(latencyRow(name, 'SendMessage p50 c1', c1, persistence === 'on' ? 1.3 : undefined));
      const c16 = await compareLoad(nimbus, ceiling, { concurrency: 16, count: ctx.count(3000, 200), maxMs: ctx.ms(2000), rounds: ctx.options.rounds });
      ctx.emit(throughputRow(name, 'SendMessage ops/s c16', c16, persistence === 'on' ? 0.7 : undefined));
    },
  };
}

export const sqsSend = sendScenario('sqs.send', 'on');
export const sqsSendMemory = sendScenario('sqs.send-memory', 'off');

export const sqsBatchEndToEnd: Scenario = {
  name: 'sqs.batch-e2e',
  title: 'SQS end to end in batches: SendMessageBatch 10 -> ReceiveMessage 10 -> DeleteMessageBatch, c16',
  persistence: 'on',
  async run(ctx) {
    const QueueUrl = await createQueue(ctx.nimbus.clients.sqs, ctx.unique('e2e'));
    const ceilingUrl = CEILING_QUEUE(ctx);
    let cycles = 0;
    let deleted = 0;
    const cycle = async (sqs: SQSClient, url: string, counting: boolean) => {
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: batchEntries(() => CEILING_MESSAGE_BODY) }));
      const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0 }));
      const msgs = got.Messages ?? [];
      if (msgs.length > 0) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
      if (counting) {
        cycles++;
        deleted += msgs.length;
      }
    };
    await cycle(ctx.nimbus.clients.sqs, QueueUrl, false);
    const cmp = await compareLoad(
      () => cycle(ctx.nimbus.clients.sqs, QueueUrl, true),
      () => cycle(ctx.ceiling.clients.sqs, ceilingUrl, false),
      { concurrency: 16, count: ctx.count(600, 50), maxMs: ctx.ms(2500), rounds: ctx.options.rounds },
    );
    // The ceiling's message rate is its call rate x 10 messages / 3 calls per cycle.
    const ceilingMsgPerSec = cmp.ceiling.opsPerSec * 10;
    const nimbusMsgPerSec = cmp.nimbus.opsPerSec * (cycles > 0 ? deleted / cycles : 0);
    const goal = goalMin(0.6, 'msg/s >= 60%');
    const ratio = nimbusMsgPerSec / ceilingMsgPerSec;
    ctx.emit({
      scenario: this.name,
      metric: 'msg/s c16 (3-call cycle)',
      p50: cmp.nimbus.p50,
      p99: cmp.nimbus.p99,
      opsPerSec: nimbusMsgPerSec,
      ceilingP50: cmp.ceiling.p50,
      ceilingOpsPerSec: ceilingMsgPerSec,
      ratio,
      goal,
      ok: judge(ratio, goal),
      note: 'p50/p99 per cycle; ops/s = messages deleted per second',
    });
  },
};

async function fill(ctx: ScenarioContext, QueueUrl: string, total: number, maxMs: number): Promise<number> {
  let sent = 0;
  await runRound(
    async () => {
      const out = await ctx.nimbus.clients.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: batchEntries(() => CEILING_MESSAGE_BODY) }));
      sent += out.Successful?.length ?? 0;
    },
    16,
    Math.ceil(total / 10),
    maxMs,
  );
  return sent;
}

export const sqsReceiveDepth: Scenario = {
  name: 'sqs.receive-depth',
  title: 'SQS ReceiveMessage 10 with 10 vs 100,000 messages queued (should be flat)',
  persistence: 'on',
  async run(ctx) {
    const sqs = ctx.nimbus.clients.sqs;
    const small = await createQueue(sqs, ctx.unique('shallow'));
    const deep = await createQueue(sqs, ctx.unique('deep'));
    await fill(ctx, small, 10, 10_000);
    const t0 = nowMs();
    const depth = await fill(ctx, deep, ctx.count(ctx.options.deepQueue, 1000), ctx.ms(25_000));
    ctx.log(`queued ${depth} messages in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
    const n = ctx.count(300, 30);
    // The shallow queue keeps its 10 messages visible (VisibilityTimeout 0); on the deep one
    // every receive hides 10 more at the head, so a receive that scans past invisible messages
    // slows down as the run goes on.
    const receive = (QueueUrl: string, VisibilityTimeout: number) => () =>
      sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout, WaitTimeSeconds: 0 }));
    await runRound(receive(small, 0), 1, 10, 5000);
    const shallowRound = await runRound(receive(small, 0), 1, n, ctx.ms(3000));
    const deepRound = await runRound(receive(deep, 120), 1, n, ctx.ms(3000));
    const shallow = summarize(shallowRound.samples, shallowRound.wallMs);
    const deepStats = summarize(deepRound.samples, deepRound.wallMs);
    const goal = goalMax(1.5, 'flat: <= 1.5x');
    const ratio = deepStats.p50 / shallow.p50;
    ctx.emit({
      scenario: this.name,
      metric: `ReceiveMessage p50 c1, ${depth} vs 10 queued`,
      p50: deepStats.p50,
      p99: deepStats.p99,
      opsPerSec: deepStats.opsPerSec,
      ceilingP50: shallow.p50,
      ceilingOpsPerSec: shallow.opsPerSec,
      ratio,
      goal,
      ok: judge(ratio, goal),
      note: 'ceiling columns: the same call on a queue of 10',
    });
  },
};

export const sqsNoDuplicates: Scenario = {
  name: 'sqs.receivers-no-dup',
  title: 'SQS: 16 concurrent receivers drain a queue; every message exactly once',
  persistence: 'on',
  async run(ctx) {
    const sqs = ctx.nimbus.clients.sqs;
    const QueueUrl = await createQueue(sqs, ctx.unique('nodup'));
    const total = ctx.count(2000, 200);
    for (let base = 0; base < total; base += 100) {
      await Promise.all(
        Array.from({ length: 10 }, (_, b) =>
          base + b * 10 < total ? sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: batchEntries((i) => `m-${i}`, base + b * 10) })) : undefined,
        ),
      );
    }
    const seen = new Map<string, number>();
    let received = 0;
    const deadline = nowMs() + ctx.ms(30_000);
    const t0 = nowMs();
    const receiver = async () => {
      let empties = 0;
      while (seen.size < total && empties < 5 && nowMs() < deadline) {
        const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 120, WaitTimeSeconds: 0 }));
        const msgs = out.Messages ?? [];
        if (msgs.length === 0) {
          empties++;
          continue;
        }
        empties = 0;
        for (const m of msgs) {
          received++;
          seen.set(m.Body!, (seen.get(m.Body!) ?? 0) + 1);
        }
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: msgs.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    };
    await Promise.all(Array.from({ length: 16 }, receiver));
    const wall = nowMs() - t0;
    const duplicates = received - seen.size;
    ctx.emit({
      scenario: this.name,
      metric: 'duplicate deliveries, 16 receivers',
      unit: 'count',
      p50: duplicates,
      opsPerSec: (received * 1000) / wall,
      goal: { kind: 'max', limit: 0, text: '0 dup, 0 lost' },
      ok: duplicates === 0 && seen.size === total,
      note: `${seen.size}/${total} distinct messages received; ops/s = msg/s`,
    });
  },
};
