// What a scenario is given and what it reports. Goals are ratios to the ceiling measured in
// the same run; a missed goal is reported, never turned into a failing exit status.
import type { Clients } from './clients.js';
import type { ServerProcess } from './processes.js';
import type { Comparison } from './measure.js';
import type { Sink } from './sink.js';
import { summarize, type Stats } from './stats.js';

export interface Goal {
  /** 'max': the ratio must not exceed limit; 'min': it must reach limit */
  kind: 'max' | 'min';
  limit: number;
  text: string;
}

export interface Row {
  scenario: string;
  metric: string;
  /** unit of p50/p99/ceilingP50 (ms unless stated) */
  unit?: 'ms' | 'MB' | 'msg/s' | 'count';
  p50?: number;
  p99?: number;
  opsPerSec?: number;
  ceilingP50?: number;
  ceilingOpsPerSec?: number;
  ratio?: number;
  goal?: Goal;
  /** undefined when the row has no goal (informational) */
  ok?: boolean;
  note?: string;
  skipped?: string;
}

export interface Target {
  name: 'nimbus' | 'ceiling';
  endpoint: string;
  clients: Clients;
  server: ServerProcess;
}

export interface BenchOptions {
  only: string[];
  /** multiplies call counts and time budgets (0.2 for a smoke run) */
  scale: number;
  rounds: number;
  esmMessages: number;
  functions: number;
  deepQueue: number;
  multipartBytes: number;
  /** self-test of the harness: the ceiling stands in for Nimbus */
  targetCeiling: boolean;
  jsonPath: string;
}

export interface ScenarioContext {
  nimbus: Target;
  ceiling: Target;
  options: BenchOptions;
  /** count scaled by --scale, at least `min` */
  count(n: number, min?: number): number;
  /** time budget in ms scaled by --scale */
  ms(n: number): number;
  emit(row: Row): void;
  log(msg: string): void;
  sink(): Promise<Sink>;
  /** a resource name unique to this run */
  unique(prefix: string): string;
}

export interface Scenario {
  name: string;
  title: string;
  /** which Nimbus the scenario drives; 'none' when it starts its own processes */
  persistence: 'on' | 'off' | 'none';
  /** not in the default run; `--only NAME` runs it */
  optional?: boolean;
  run(ctx: ScenarioContext): Promise<void>;
}

export class SkipScenario extends Error {}

/** A row for a Nimbus-vs-ceiling load comparison, judged on `ratio`. */
function comparisonRow(scenario: string, metric: string, cmp: Comparison, ratio: number, goal: Goal | undefined, ok: boolean | undefined, note?: string): Row {
  return {
    scenario,
    metric,
    p50: cmp.nimbus.p50,
    p99: cmp.nimbus.p99,
    opsPerSec: cmp.nimbus.opsPerSec,
    ceilingP50: cmp.ceiling.p50,
    ceilingOpsPerSec: cmp.ceiling.opsPerSec,
    ratio,
    goal,
    ok,
    note,
  };
}

export function latencyRow(scenario: string, metric: string, cmp: Comparison, limit?: number, note?: string): Row {
  const ratio = cmp.nimbus.p50 / cmp.ceiling.p50;
  const goal: Goal | undefined = limit === undefined ? undefined : { kind: 'max', limit, text: `p50 <= ${limit}x` };
  return comparisonRow(scenario, metric, cmp, ratio, goal, limit === undefined ? undefined : ratio <= limit, note);
}

export function throughputRow(scenario: string, metric: string, cmp: Comparison, minFraction?: number, note?: string): Row {
  const ratio = cmp.nimbus.opsPerSec / cmp.ceiling.opsPerSec;
  const goal: Goal | undefined = minFraction === undefined ? undefined : { kind: 'min', limit: minFraction, text: `ops >= ${Math.round(minFraction * 100)}%` };
  return comparisonRow(scenario, metric, cmp, ratio, goal, minFraction === undefined ? undefined : ratio >= minFraction, note);
}

/**
 * A row for end-to-end samples (send to delivery, and the like) against the ceiling's p50 of a
 * single call, goal `p50 <= limit x`; `note` gets the number of samples.
 */
export function p50AgainstCeilingRow(scenario: string, metric: string, samples: number[], ceiling: Stats, limit: number, note: (n: number) => string): Row {
  const s = summarize(samples, 0);
  const goal = goalMax(limit, `p50 <= ${limit}x`);
  return {
    scenario,
    metric,
    p50: s.p50,
    p99: s.p99,
    ceilingP50: ceiling.p50,
    ratio: s.p50 / ceiling.p50,
    goal,
    ok: judge(s.p50 / ceiling.p50, goal),
    note: note(s.n),
  };
}

export function goalMax(limit: number, text = `<= ${limit}x`): Goal {
  return { kind: 'max', limit, text };
}
export function goalMin(limit: number, text = `>= ${limit}x`): Goal {
  return { kind: 'min', limit, text };
}
export function judge(ratio: number, goal?: Goal): boolean | undefined {
  if (!goal || !Number.isFinite(ratio)) return goal ? false : undefined;
  return goal.kind === 'max' ? ratio <= goal.limit : ratio >= goal.limit;
}

/** "NotImplemented (501): ..." for an SDK error, the message otherwise. */
export function describeError(err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  const name = e?.name && e.name !== 'Error' ? e.name : '';
  const msg = (e?.message ?? String(err)).split('\n')[0].slice(0, 160);
  return [name, status ? `(${status})` : '', name || status ? ': ' : '', msg].join('').trim();
}
