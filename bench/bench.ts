// `npm run bench [-- --only NAME] [-- --scale F]`: drives named scenarios against Nimbus with
// the real SDK v3 clients and prints each figure next to the ceiling's (a trivial Node server
// answering the same calls with canned responses, measured in the same run). Goals are ratios
// to the ceiling because absolute timings on shared build machines swing 2-5x between runs.
// A missed goal is printed, never a failing exit status. See docs/bench.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClients } from './harness/clients.js';
import { startServer, type ServerKind, type ServerProcess } from './harness/processes.js';
import { formatTable, status, summaryLine } from './harness/report.js';
import { startSink, type Sink } from './harness/sink.js';
import { nowMs } from './harness/stats.js';
import { describeError, SkipScenario, type BenchOptions, type Row, type Scenario, type ScenarioContext, type Target } from './harness/types.js';
import { scenarios, selectScenarios } from './scenarios/index.js';

const USAGE = `usage: npm run bench -- [options]
  --only NAME[,NAME]   run these scenarios (a name, or a prefix such as "sqs"); repeatable
  --list               list scenarios and exit
  --scale F            multiply call counts and time budgets (default 1; 0.2 for a smoke run)
  --rounds N           alternating rounds per comparison (default 3)
  --esm-messages N     messages pushed through a mapping by esm.drain (default 10000)
  --functions N        functions stored for lambda.many-functions (default 1000)
  --deep-queue N       messages queued for sqs.receive-depth (default 100000)
  --multipart-bytes N  size of the s3.multipart-1gb upload (default 1 GiB)
  --json PATH          results file (default bench/results/latest.json)
  --self-test          run every scenario against a second ceiling instead of Nimbus
`;

function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export function parseArgs(argv: string[]): BenchOptions & { list: boolean } {
  const opts: BenchOptions & { list: boolean } = {
    only: [],
    scale: 1,
    rounds: 3,
    esmMessages: 10_000,
    functions: 1000,
    deepQueue: 100_000,
    multipartBytes: 1024 * 1024 * 1024,
    targetCeiling: false,
    jsonPath: path.join(projectRoot(), 'bench', 'results', 'latest.json'),
    list: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = () => {
      const n = Number(value());
      if (!(n > 0)) throw new Error(`${flag} needs a positive number`);
      return n;
    };
    switch (flag) {
      case '--only':
        opts.only.push(...value().split(',').filter(Boolean));
        break;
      case '--scale':
        opts.scale = positive();
        break;
      case '--rounds':
        opts.rounds = Math.round(positive());
        break;
      case '--esm-messages':
        opts.esmMessages = Math.round(positive());
        break;
      case '--functions':
        opts.functions = Math.round(positive());
        break;
      case '--deep-queue':
        opts.deepQueue = Math.round(positive());
        break;
      case '--multipart-bytes':
        opts.multipartBytes = Math.round(positive());
        break;
      case '--json':
        opts.jsonPath = path.resolve(value());
        break;
      case '--self-test':
        opts.targetCeiling = true;
        break;
      case '--list':
        opts.list = true;
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return opts;
}

function target(name: Target['name'], server: ServerProcess): Target {
  return { name, endpoint: server.endpoint, server, clients: createClients(server.endpoint) };
}

export async function runBench(opts: BenchOptions, log: (msg: string) => void = (m) => process.stderr.write(m + '\n')): Promise<Row[]> {
  const selected = selectScenarios(scenarios, opts.only);
  if (selected.length === 0) throw new Error(`no scenario matches ${opts.only.join(', ')} (try --list)`);
  const rows: Row[] = [];
  const targets = new Map<string, Target>();
  let sink: Sink | undefined;
  let seq = 0;
  const runId = Date.now().toString(36).slice(-5);
  const getTarget = async (kind: ServerKind): Promise<Target> => {
    let t = targets.get(kind);
    if (!t) {
      const server = await startServer(opts.targetCeiling && kind !== 'ceiling' ? 'ceiling' : kind);
      t = target(kind === 'ceiling' ? 'ceiling' : 'nimbus', server);
      targets.set(kind, t);
    }
    return t;
  };
  try {
    const ceiling = await getTarget('ceiling');
    for (const scenario of selected) {
      const t0 = nowMs();
      log(`> ${scenario.name}: ${scenario.title}`);
      const emitted: Row[] = [];
      try {
        const nimbus = scenario.persistence === 'none' ? ceiling : await getTarget(scenario.persistence === 'on' ? 'nimbus-disk' : 'nimbus-memory');
        const ctx: ScenarioContext = {
          nimbus,
          ceiling,
          options: opts,
          count: (n, min = 1) => Math.max(min, Math.round(n * opts.scale)),
          ms: (n) => Math.max(200, Math.round(n * opts.scale)),
          emit: (row) => {
            emitted.push(row);
            rows.push(row);
            log(`  ${row.metric}: ${status(row)}${row.ratio !== undefined ? ` (ratio ${row.ratio.toFixed(2)})` : ''}`);
          },
          log: (m) => log(`  ${m}`),
          sink: async () => (sink ??= await startSink()),
          unique: (prefix) => `bench-${prefix}-${runId}-${++seq}`,
        };
        await scenario.run(ctx);
      } catch (err) {
        const reason = err instanceof SkipScenario ? err.message : describeError(err);
        rows.push({ scenario: scenario.name, metric: '', skipped: reason });
        log(`  skipped: ${reason}`);
      }
      log(`  (${((nowMs() - t0) / 1000).toFixed(1)} s)`);
    }
    for (const [kind, t] of targets) {
      if (kind === 'ceiling') continue;
      rows.push({
        scenario: 'rss',
        metric: `${kind} RSS after the run`,
        unit: 'MB',
        p50: t.server.rssBytes() / 1024 / 1024,
        ceilingP50: ceiling.server.rssBytes() / 1024 / 1024,
        note: 'informational: includes every store and cache the scenarios filled',
      });
    }
  } finally {
    for (const t of targets.values()) {
      t.clients.destroy();
      await t.server.stop();
    }
    await sink?.close();
  }
  return rows;
}

async function main(): Promise<void> {
  // A stray rejection in one scenario must not end the whole run.
  process.on('unhandledRejection', (err) => process.stderr.write(`bench: unhandled rejection: ${describeError(err)}\n`));
  const opts = parseArgs(process.argv.slice(2));
  if (opts.list) {
    for (const s of scenarios) process.stdout.write(`${s.name.padEnd(24)} ${s.optional ? '(optional) ' : ''}${s.title}\n`);
    return;
  }
  const started = new Date();
  const t0 = nowMs();
  const rows = await runBench(opts);
  const elapsed = (nowMs() - t0) / 1000;
  const env = `node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`;
  process.stdout.write(`\nNimbus benchmark (${env}; ${elapsed.toFixed(0)} s${opts.targetCeiling ? '; SELF-TEST: ceiling vs ceiling' : ''})\n\n`);
  process.stdout.write(formatTable(rows) + '\n\n' + summaryLine(rows) + ' (a miss never fails the run)\n');
  fs.mkdirSync(path.dirname(opts.jsonPath), { recursive: true });
  fs.writeFileSync(
    opts.jsonPath,
    JSON.stringify(
      { started: started.toISOString(), seconds: elapsed, node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), options: opts, rows: rows.map((r) => ({ ...r, status: status(r) })) },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(`results: ${path.relative(process.cwd(), opts.jsonPath)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
