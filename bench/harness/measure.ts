// Closed-loop load: `concurrency` workers each issue the next call as soon as the previous one
// answers, until the round's call budget or time budget runs out. Nimbus and the ceiling are
// measured in alternating rounds of the same run, so a noisy neighbour slows both alike.
import { nowMs, summarize, type Stats } from './stats.js';

export type Op = (i: number) => Promise<unknown>;

export interface LoadOptions {
  concurrency: number;
  /** calls per round, at most */
  count: number;
  /** milliseconds per round, at most */
  maxMs: number;
  /** rounds per target; rounds alternate ceiling, Nimbus, Nimbus, ceiling, ... */
  rounds?: number;
  /** calls per target before the first round, not measured (connections, JIT, lazy service load) */
  warmup?: number;
}

export interface RoundResult {
  samples: number[];
  wallMs: number;
}

export async function runRound(op: Op, concurrency: number, count: number, maxMs: number, offset = 0): Promise<RoundResult> {
  const samples: number[] = [];
  let issued = 0;
  const start = nowMs();
  const deadline = start + maxMs;
  const worker = async (): Promise<void> => {
    while (issued < count && nowMs() < deadline) {
      const i = offset + issued++;
      const t0 = nowMs();
      await op(i);
      samples.push(nowMs() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { samples, wallMs: nowMs() - start };
}

export interface Comparison {
  nimbus: Stats;
  ceiling: Stats;
}

/**
 * Measures the same workload against Nimbus and the ceiling. An error from Nimbus ends the
 * measurement (the scenario reports itself skipped with that error); so does one from the
 * ceiling, which would be a harness defect.
 */
export async function compareLoad(nimbusOp: Op, ceilingOp: Op, opts: LoadOptions): Promise<Comparison> {
  const rounds = opts.rounds ?? 3;
  const warmup = opts.warmup ?? Math.min(20, opts.count);
  await runRound(ceilingOp, Math.min(opts.concurrency, warmup), warmup, opts.maxMs);
  await runRound(nimbusOp, Math.min(opts.concurrency, warmup), warmup, opts.maxMs);
  const acc = { nimbus: { samples: [] as number[], wallMs: 0 }, ceiling: { samples: [] as number[], wallMs: 0 } };
  let offset = warmup;
  for (let r = 0; r < rounds; r++) {
    const order: Array<'nimbus' | 'ceiling'> = r % 2 === 0 ? ['ceiling', 'nimbus'] : ['nimbus', 'ceiling'];
    for (const target of order) {
      const res = await runRound(target === 'nimbus' ? nimbusOp : ceilingOp, opts.concurrency, opts.count, opts.maxMs, offset);
      acc[target].samples.push(...res.samples);
      acc[target].wallMs += res.wallMs;
    }
    offset += opts.count;
  }
  return {
    nimbus: summarize(acc.nimbus.samples, acc.nimbus.wallMs),
    ceiling: summarize(acc.ceiling.samples, acc.ceiling.wallMs),
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Marks a promise that is awaited only later as handled, so that if it rejects while the caller
 * is still awaiting something else the process does not die of an unhandled rejection.
 */
export function awaitLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One-off end-to-end samples (publish until received, send until the handler runs) with the
 * ceiling's baseline call measured between them (`perSample` calls after each sample), so both
 * sides of the ratio see the same moments of machine load.
 */
export async function interleavedSamples(
  n: number,
  maxMs: number,
  sample: (i: number) => Promise<number>,
  baseline: Op,
  perSample = 5,
): Promise<{ samples: number[]; baseline: Stats }> {
  await runRound(baseline, 1, 20, maxMs);
  const samples: number[] = [];
  const base: number[] = [];
  let wallMs = 0;
  const deadline = nowMs() + maxMs;
  for (let i = 0; i < n && nowMs() < deadline; i++) {
    samples.push(await sample(i));
    const r = await runRound(baseline, 1, perSample, maxMs, i * perSample);
    base.push(...r.samples);
    wallMs += r.wallMs;
  }
  return { samples, baseline: summarize(base, wallMs) };
}
