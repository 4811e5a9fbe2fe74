// STS GetCallerIdentity: the cheapest call Nimbus serves (no state), so it measures the
// request pipeline itself: SigV4 scope, query parsing, XML serialization.
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { compareLoad } from '../harness/measure.js';
import { latencyRow, throughputRow, type Scenario } from '../harness/types.js';

export const stsScenario: Scenario = {
  name: 'sts.get-caller-identity',
  title: 'STS GetCallerIdentity, c1 latency and c16 throughput',
  persistence: 'off',
  async run(ctx) {
    const nimbus = () => ctx.nimbus.clients.sts.send(new GetCallerIdentityCommand({}));
    const ceiling = () => ctx.ceiling.clients.sts.send(new GetCallerIdentityCommand({}));
    await nimbus();
    const c1 = await compareLoad(nimbus, ceiling, { concurrency: 1, count: ctx.count(300, 30), maxMs: ctx.ms(1500), rounds: ctx.options.rounds });
    ctx.emit(latencyRow(this.name, 'p50 c1', c1, 1.2));
    const c16 = await compareLoad(nimbus, ceiling, { concurrency: 16, count: ctx.count(3000, 200), maxMs: ctx.ms(2000), rounds: ctx.options.rounds });
    ctx.emit(throughputRow(this.name, 'ops/s c16', c16, 0.8));
  },
};
