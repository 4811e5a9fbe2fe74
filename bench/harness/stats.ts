// Latency and throughput summaries. Percentiles use the nearest-rank method on the pooled
// samples of every round, so p99 of a few hundred samples is a real observed latency.

export interface Stats {
  /** completed operations */
  n: number;
  /** milliseconds */
  p50: number;
  p99: number;
  /** operations per second over the wall time of the rounds (not the sum of latencies) */
  opsPerSec: number;
}

export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sortedMs.length);
  return sortedMs[Math.min(sortedMs.length - 1, Math.max(0, rank - 1))];
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export function summarize(samplesMs: number[], wallMs: number): Stats {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    opsPerSec: wallMs > 0 ? (sorted.length * 1000) / wallMs : NaN,
  };
}

/** Monotonic milliseconds with sub-millisecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
