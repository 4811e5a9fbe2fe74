// Lambda control plane and invoke over rest-json. Warm invokes reuse an environment; cold
// starts are compared with the bare cost of spawning `node -e 0` on the same machine, which no
// process-based runtime can beat.
import { DeleteFunctionCommand, GetFunctionCommand, InvokeCommand, ListFunctionsCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { compareLoad, runRound } from '../harness/measure.js';
import { bareNodeSpawnMs } from '../harness/processes.js';
import { createFunction, ensureRole, TRIVIAL_HANDLER, waitForFunction, zipOf } from '../harness/lambda.js';
import { median, nowMs, summarize } from '../harness/stats.js';
import { latencyRow, throughputRow, type Scenario, type ScenarioContext } from '../harness/types.js';

const PAYLOAD = new TextEncoder().encode('{"hello":"world"}');

function checkInvoke(out: { FunctionError?: string; StatusCode?: number; Payload?: Uint8Array }): void {
  if (out.FunctionError) throw new Error(`handler failed (${out.FunctionError}): ${Buffer.from(out.Payload ?? []).toString('utf8').slice(0, 200)}`);
}

async function trivialFunction(ctx: ScenarioContext, prefix: string): Promise<string> {
  const role = await ensureRole(ctx.nimbus.clients);
  const name = ctx.unique(prefix);
  await createFunction(ctx.nimbus.clients, role, name, zipOf(TRIVIAL_HANDLER));
  return name;
}

export const lambdaInvoke: Scenario = {
  name: 'lambda.invoke',
  title: 'Lambda warm RequestResponse invoke of a trivial node handler, c1 latency and c8 throughput',
  persistence: 'on',
  async run(ctx) {
    const FunctionName = await trivialFunction(ctx, 'warm');
    const nimbus = async () => checkInvoke(await ctx.nimbus.clients.lambda.send(new InvokeCommand({ FunctionName, Payload: PAYLOAD })));
    const ceiling = () => ctx.ceiling.clients.lambda.send(new InvokeCommand({ FunctionName: 'ceiling', Payload: PAYLOAD }));
    await nimbus();
    const c1 = await compareLoad(nimbus, ceiling, { concurrency: 1, count: ctx.count(200, 20), maxMs: ctx.ms(2000), rounds: ctx.options.rounds });
    ctx.emit(latencyRow(this.name, 'Invoke p50 c1 (warm)', c1, 2));
    // Eight concurrent invokes need eight environments: let them start outside the measurement.
    await runRound(nimbus, 8, 32, 30_000);
    const c8 = await compareLoad(nimbus, ceiling, { concurrency: 8, count: ctx.count(1000, 80), maxMs: ctx.ms(2000), rounds: ctx.options.rounds });
    ctx.emit(throughputRow(this.name, 'Invoke ops/s c8 (warm)', c8, 0.5));
  },
};

export const lambdaInvokeAsync: Scenario = {
  name: 'lambda.invoke-async',
  title: 'Lambda Event (asynchronous) invoke: time to accept (202)',
  persistence: 'on',
  async run(ctx) {
    const FunctionName = await trivialFunction(ctx, 'async');
    const nimbus = () => ctx.nimbus.clients.lambda.send(new InvokeCommand({ FunctionName, InvocationType: 'Event', Payload: PAYLOAD }));
    const ceiling = () => ctx.ceiling.clients.lambda.send(new InvokeCommand({ FunctionName: 'ceiling', InvocationType: 'Event', Payload: PAYLOAD }));
    await nimbus();
    const c1 = await compareLoad(nimbus, ceiling, { concurrency: 1, count: ctx.count(200, 20), maxMs: ctx.ms(1500), rounds: ctx.options.rounds });
    ctx.emit(latencyRow(this.name, 'Invoke Event accept p50 c1', c1));
  },
};

export const lambdaColdStart: Scenario = {
  name: 'lambda.cold-start',
  title: 'Lambda cold start: first invoke after CreateFunction and after UpdateFunctionCode, vs a bare `node -e 0` spawn',
  persistence: 'on',
  async run(ctx) {
    const role = await ensureRole(ctx.nimbus.clients);
    const lambda = ctx.nimbus.clients.lambda;
    const n = ctx.count(4, 2);
    const afterCreate: number[] = [];
    const afterUpdate: number[] = [];
    const spawns: number[] = [];
    for (let i = 0; i < n; i++) {
      spawns.push(await bareNodeSpawnMs());
      const FunctionName = ctx.unique('cold');
      await createFunction(ctx.nimbus.clients, role, FunctionName, zipOf(TRIVIAL_HANDLER));
      let t0 = nowMs();
      checkInvoke(await lambda.send(new InvokeCommand({ FunctionName, Payload: PAYLOAD })));
      afterCreate.push(nowMs() - t0);
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName, ZipFile: zipOf(`${TRIVIAL_HANDLER}// revision ${i}\n`) }));
      await waitForFunction(lambda, FunctionName);
      t0 = nowMs();
      checkInvoke(await lambda.send(new InvokeCommand({ FunctionName, Payload: PAYLOAD })));
      afterUpdate.push(nowMs() - t0);
      spawns.push(await bareNodeSpawnMs());
    }
    const spawn = median(spawns);
    for (const [metric, samples] of [
      ['first Invoke after CreateFunction', afterCreate],
      ['first Invoke after UpdateFunctionCode', afterUpdate],
    ] as const) {
      const s = summarize(samples, 0);
      ctx.emit({
        scenario: this.name,
        metric,
        p50: s.p50,
        p99: s.p99,
        ceilingP50: spawn,
        ratio: s.p50 / spawn,
        note: `${s.n} samples; ceiling column: node -e 0 spawn p50`,
      });
    }
  },
};

export const lambdaCreate1mb: Scenario = {
  name: 'lambda.create-1mb',
  title: 'Lambda CreateFunction with a 1 MB zip (inline), c1',
  persistence: 'on',
  async run(ctx) {
    const role = await ensureRole(ctx.nimbus.clients);
    const zip = zipOf(TRIVIAL_HANDLER, 1024 * 1024);
    const created: string[] = [];
    const create = async (target: 'nimbus' | 'ceiling') => {
      const name = ctx.unique('big');
      if (target === 'nimbus') created.push(name);
      // Measures the call alone, as a client sees it; the function may still be Pending.
      await createFunction(ctx[target].clients, role, name, zip, {}, false);
    };
    try {
      const c1 = await compareLoad(
        () => create('nimbus'),
        () => create('ceiling'),
        { concurrency: 1, count: ctx.count(8, 3), maxMs: ctx.ms(4000), rounds: ctx.options.rounds, warmup: 1 },
      );
      ctx.emit(latencyRow(this.name, 'CreateFunction 1MB p50 c1', c1, 10, `zip ${(zip.length / 1024 / 1024).toFixed(2)} MB`));
    } finally {
      for (const FunctionName of created) await ctx.nimbus.clients.lambda.send(new DeleteFunctionCommand({ FunctionName })).catch(() => undefined);
    }
  },
};

export const lambdaManyFunctions: Scenario = {
  name: 'lambda.many-functions',
  title: 'Lambda GetFunction and ListFunctions with 1,000 functions stored',
  persistence: 'on',
  async run(ctx) {
    const role = await ensureRole(ctx.nimbus.clients);
    const zip = zipOf(TRIVIAL_HANDLER);
    const prefix = ctx.unique('many');
    const want = ctx.count(ctx.options.functions, 50);
    let created = 0;
    const t0 = nowMs();
    await runRound(
      async (i) => {
        await createFunction(ctx.nimbus.clients, role, `${prefix}-${i}`, zip, {}, false);
        created++;
      },
      8,
      want,
      ctx.ms(60_000),
    );
    ctx.log(`created ${created} functions in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
    const FunctionName = `${prefix}-${Math.floor(created / 2)}`;
    const opts = { concurrency: 1, count: ctx.count(200, 20), maxMs: ctx.ms(1500), rounds: ctx.options.rounds };
    const get = await compareLoad(
      () => ctx.nimbus.clients.lambda.send(new GetFunctionCommand({ FunctionName })),
      () => ctx.ceiling.clients.lambda.send(new GetFunctionCommand({ FunctionName: 'bench-fn' })),
      opts,
    );
    ctx.emit(latencyRow(this.name, `GetFunction p50 c1 (${created} stored)`, get, 1.5));
    const list = await compareLoad(
      () => ctx.nimbus.clients.lambda.send(new ListFunctionsCommand({})),
      () => ctx.ceiling.clients.lambda.send(new ListFunctionsCommand({})),
      opts,
    );
    ctx.emit(latencyRow(this.name, `ListFunctions p50 c1 (${created} stored)`, list, 1.5, 'first page (50, as AWS)'));
  },
};

