// The printed table and the JSON results file.
import type { Row } from './types.js';

function num(v: number | undefined, unit: Row['unit'] = 'ms'): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (unit === 'count') return String(Math.round(v));
  const s = v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit === 'ms' ? s : `${s}${unit === 'MB' ? 'MB' : ''}`;
}

function rate(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

export function status(row: Row): string {
  if (row.skipped) return 'skip';
  if (row.ok === undefined) return 'info';
  return row.ok ? 'ok' : 'MISS';
}

export function formatTable(rows: Row[]): string {
  const header = ['scenario', 'metric', 'p50', 'p99', 'ops/s', 'ceil p50', 'ceil ops/s', 'ratio', 'goal', ''];
  const lines: string[][] = [header];
  const notes: string[] = [];
  for (const r of rows) {
    if (r.skipped) {
      lines.push([r.scenario, `skipped: ${r.skipped}`.slice(0, 90), '', '', '', '', '', '', '', 'skip']);
      continue;
    }
    lines.push([
      r.scenario,
      r.metric,
      num(r.p50, r.unit),
      num(r.p99, r.unit),
      rate(r.opsPerSec),
      num(r.ceilingP50, r.unit),
      rate(r.ceilingOpsPerSec),
      r.ratio === undefined || Number.isNaN(r.ratio) ? '-' : r.ratio.toFixed(2),
      r.goal?.text ?? '',
      status(r),
    ]);
    if (r.note) notes.push(`  ${r.scenario} / ${r.metric}: ${r.note}`);
  }
  const widths = header.map((_, i) => Math.max(...lines.filter((l) => !l[1].startsWith('skipped: ')).map((l) => l[i].length)));
  const fmt = (l: string[]) => {
    if (l[1].startsWith('skipped: ')) return `${l[0].padEnd(widths[0])}  ${l[1]}`;
    return l.map((c, i) => (i >= 2 && i <= 7 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  };
  const out = [fmt(lines[0]), widths.map((w) => '-'.repeat(w)).join('  ').trimEnd(), ...lines.slice(1).map(fmt)];
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n');
}

export function summaryLine(rows: Row[]): string {
  const counts = { ok: 0, MISS: 0, info: 0, skip: 0 } as Record<string, number>;
  for (const r of rows) counts[status(r)]++;
  return `${counts.ok} ok, ${counts.MISS} missed, ${counts.info} informational, ${counts.skip} skipped`;
}
