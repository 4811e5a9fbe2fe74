// SQS -> Lambda event source mappings. The handler reports its start time and its records'
// bodies to the bench's sink, so latency is measured from SendMessage to the handler running.
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { CEILING_MESSAGE_BODY } from '../ceiling.js';
import { awaitLater, interleavedSamples, runRound, sleep, withTimeout } from '../harness/measure.js';
import { createFunction, ensureRole, REPORTING_HANDLER, zipOf } from '../harness/lambda.js';
import { epochMs } from '../harness/sink.js';
import { goalMin, judge, p50AgainstCeilingRow, SkipScenario, type Scenario, type ScenarioContext } from '../harness/types.js';
import { createDeliveryQueue } from './sns.js';

async function waitForMapping(lambda: LambdaClient, UUID: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await lambda.send(new GetEventSourceMappingCommand({ UUID }));
    if (m.State === 'Enabled') return;
    if (Date.now() > deadline) throw new Error(`event source mapping ${UUID} is ${m.State} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

async function mappedQueue(ctx: ScenarioContext, prefix: string): Promise<{ queueUrl: string }> {
  const sink = await ctx.sink();
  const role = await ensureRole(ctx.nimbus.clients);
  const FunctionName = ctx.unique(prefix);
  await createFunction(ctx.nimbus.clients, role, FunctionName, zipOf(REPORTING_HANDLER), { Environment: { Variables: { BENCH_SINK_URL: sink.url } } });
  // A direct invoke first: if Lambda cannot run the handler yet, the scenario is skipped at
  // once instead of waiting for a mapping that can never deliver.
  const probe = ctx.unique('probe');
  const out = await ctx.nimbus.clients.lambda.send(
    new InvokeCommand({ FunctionName, Payload: new TextEncoder().encode(JSON.stringify({ Records: [{ body: probe }] })) }),
  );
  if (out.FunctionError) throw new SkipScenario(`the reporting handler failed: ${Buffer.from(out.Payload ?? []).toString('utf8').slice(0, 160)}`);
  // A RequestResponse invoke returns after the handler's report, so the sink has it already.
  await sink.waitFor(probe, 5_000);
  const queue = await createDeliveryQueue(ctx.nimbus.clients.sqs, ctx.unique(prefix));
  const mapping = await ctx.nimbus.clients.lambda.send(
    new CreateEventSourceMappingCommand({ FunctionName, EventSourceArn: queue.arn, BatchSize: 10, MaximumBatchingWindowInSeconds: 0 }),
  );
  await waitForMapping(ctx.nimbus.clients.lambda, mapping.UUID!);
  return { queueUrl: queue.url };
}

export const esmLatency: Scenario = {
  name: 'esm.latency',
  title: 'SQS -> Lambda mapping: SendMessage to handler start',
  persistence: 'on',
  async run(ctx) {
    const sink = await ctx.sink();
    const { queueUrl } = await mappedQueue(ctx, 'esmlat');
    const sqs = ctx.nimbus.clients.sqs;
    const ceilingUrl = `${ctx.ceiling.endpoint}/000000000000/ceiling`;
    const sendAndWait = async (body: string, timeoutMs: number) => {
      const t0 = epochMs();
      const started = awaitLater(sink.waitFor(body, timeoutMs));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      return (await withTimeout(started, timeoutMs + 1000, 'esm')) - t0;
    };
    // The first message through the mapping is not counted: pollers may still be starting.
    const first = await sendAndWait(ctx.unique('esm-first'), 30_000);
    const { samples, baseline: ceiling } = await interleavedSamples(
      ctx.count(40, 5),
      ctx.ms(20_000),
      (i) => sendAndWait(`${ctx.unique('esm')}-${i}`, 10_000),
      () => ctx.ceiling.clients.sqs.send(new SendMessageCommand({ QueueUrl: ceilingUrl, MessageBody: CEILING_MESSAGE_BODY })),
    );
    ctx.emit(p50AgainstCeilingRow(this.name, 'SendMessage to handler start p50', samples, ceiling, 5, (n) => `${n} samples (first, not counted: ${first.toFixed(0)} ms); ceiling: SendMessage p50 c1`));
  },
};

export const esmDrain: Scenario = {
  name: 'esm.drain',
  title: 'SQS -> Lambda mapping drains a burst of messages as fast as they are produced',
  persistence: 'on',
  async run(ctx) {
    const sink = await ctx.sink();
    const { queueUrl } = await mappedQueue(ctx, 'esmdrain');
    const total = Math.ceil(ctx.count(ctx.options.esmMessages, 100) / 10) * 10;
    const prefix = ctx.unique('drain');
    const handled = new Set<string>();
    let lastHandled = 0;
    let allHandled: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allHandled = resolve));
    sink.onReport((r) => {
      for (const b of r.bodies) if (b.startsWith(prefix)) handled.add(b);
      lastHandled = Math.max(lastHandled, r.t);
      if (handled.size >= total) allHandled();
    });
    try {
      const firstSend = epochMs();
      const produce = await runRound(
        (i) =>
          ctx.nimbus.clients.sqs.send(
            new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: 10 }, (_, j) => ({ Id: String(j), MessageBody: `${prefix}-${i * 10 + j}` })) }),
          ),
        8,
        total / 10,
        ctx.ms(60_000),
      );
      const sent = produce.samples.length * 10;
      const lastSend = epochMs();
      await withTimeout(done, ctx.ms(45_000), `draining ${total} messages`).catch(() => undefined);
      if (handled.size === 0) throw new SkipScenario(`the mapping delivered none of ${sent} messages`);
      const produceRate = (sent * 1000) / (lastSend - firstSend);
      const drainRate = (handled.size * 1000) / (Math.max(lastHandled, lastSend) - firstSend);
      const goal = goalMin(0.9, 'drain >= 90%');
      const ratio = drainRate / produceRate;
      ctx.emit({
        scenario: this.name,
        metric: `${sent} messages: drain msg/s vs produce msg/s`,
        opsPerSec: drainRate,
        ceilingOpsPerSec: produceRate,
        ratio,
        goal,
        ok: handled.size >= sent && judge(ratio, goal),
        note: `${handled.size}/${sent} handled${handled.size < sent ? ' (gave up waiting)' : ''}; ceiling column: produce msg/s (SendMessageBatch c8)`,
      });
    } finally {
      sink.onReport(undefined);
    }
  },
};
