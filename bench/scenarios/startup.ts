// Start-up (spawn to first successful health response) and idle RSS, Nimbus with persistence
// off and on against the ceiling, alternating spawns so both meet the same machine load.
import { startServer, type ServerKind } from '../harness/processes.js';
import { sleep } from '../harness/measure.js';
import { median } from '../harness/stats.js';
import { goalMax, judge, type Scenario, type ScenarioContext } from '../harness/types.js';

const MB = 1024 * 1024;
/** how long a server idles after it answers before its RSS counts as idle */
const IDLE_MS = 500;

export const startupScenario: Scenario = {
  name: 'startup',
  title: 'start-up time and idle RSS (persistence off and on) vs a bare Node HTTP server',
  persistence: 'none',
  async run(ctx: ScenarioContext) {
    const spawns = ctx.count(3, 2);
    // In the harness self-test a second ceiling ("self") stands in for Nimbus.
    const subjects: Array<{ key: string; kind: ServerKind }> = [
      { key: 'ceiling', kind: 'ceiling' },
      ...(ctx.options.targetCeiling
        ? [{ key: 'self', kind: 'ceiling' as const }]
        : [
            { key: 'nimbus-memory', kind: 'nimbus-memory' as const },
            { key: 'nimbus-disk', kind: 'nimbus-disk' as const },
          ]),
    ];
    const startup = new Map<string, number[]>(subjects.map((s) => [s.key, []]));
    const rss = new Map<string, number[]>(subjects.map((s) => [s.key, []]));
    for (let round = 0; round < spawns; round++) {
      for (const { key, kind } of round % 2 === 0 ? subjects : [...subjects].reverse()) {
        const server = await startServer(kind);
        try {
          await sleep(IDLE_MS);
          startup.get(key)!.push(server.startupMs);
          rss.get(key)!.push(server.rssBytes());
        } finally {
          await server.stop();
        }
      }
    }
    const ceilingStart = median(startup.get('ceiling')!);
    const ceilingRss = median(rss.get('ceiling')!) / MB;
    for (const key of startup.keys()) {
      if (key === 'ceiling') continue;
      const mode = key === 'nimbus-disk' ? 'persistence on' : key === 'nimbus-memory' ? 'persistence off' : key;
      const s = median(startup.get(key)!);
      const sGoal = goalMax(1.5, '<= 1.5x');
      ctx.emit({
        scenario: 'startup',
        metric: `spawn to healthy, ${mode}`,
        p50: s,
        p99: Math.max(...startup.get(key)!),
        ceilingP50: ceilingStart,
        ratio: s / ceilingStart,
        goal: sGoal,
        ok: judge(s / ceilingStart, sGoal),
        note: `median of ${startup.get(key)!.length} spawns`,
      });
      const r = median(rss.get(key)!) / MB;
      const rGoal = goalMax(1.5, '<= 1.5x');
      ctx.emit({
        scenario: 'startup',
        metric: `idle RSS, ${mode}`,
        unit: 'MB',
        p50: r,
        ceilingP50: ceilingRss,
        ratio: r / ceilingRss,
        goal: rGoal,
        ok: judge(r / ceilingRss, rGoal),
        note: `${IDLE_MS} ms after the first health response`,
      });
    }
  },
};
