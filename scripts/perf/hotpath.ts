// Hot-path measurement: Nimbus against a trivial keep-alive Node server (scripts/perf/trivial.mjs)
// in the same run, driven by the real SDK v3 clients over keep-alive connections, as the speed
// goals are stated: start-up (spawn -> first healthy response) and idle RSS, STS
// GetCallerIdentity (persistence off) and SQS SendMessage (persistence on: a data dir, WAL,
// synchronous=FULL), p50 at concurrency 1 and throughput at concurrency 16. Rounds alternate
// between the two servers so a noisy neighbour slows both alike.
//
//   node --import tsx scripts/perf/hotpath.ts [--calls 1500] [--rounds 2] [--only startup,sts,sqs,sqs-memory]
//        [--spawns 5] [--from dist|src] [--profile DIR] [--log-level info]
//
// "start-up CPU" is the CPU time (all threads) a server used until its first healthy answer:
// unlike wall time it does not move with the load other processes put on the machine.
//
// --from dist (default) compiles the tree with tsc into a temporary directory and runs
// `node <tmp>/dist/src/main.js`, as users and the bench do; --from src runs src/main.ts through
// tsx. --profile writes a --cpu-prof profile of each Nimbus child into DIR.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { freePort, healthOnce } from '../../bench/harness/processes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MESSAGE_BODY = 'nimbus-perf-message-0123456789abcdef';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}
const calls = Number(arg('calls', '1500'));
const rounds = Number(arg('rounds', '2'));
const only = new Set(arg('only', 'startup,sts,sqs').split(','));
const from = arg('from', 'dist');
const profileDir = arg('profile', '');

const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function buildDist(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-perf-'));
  for (const name of ['schemas', 'node_modules', 'package.json']) fs.symlinkSync(path.join(root, name), path.join(dir, name));
  try {
    execFileSync(path.join(root, 'node_modules', '.bin', 'tsc'), ['-p', path.join(root, 'tsconfig.json'), '--outDir', path.join(dir, 'dist')], { stdio: 'pipe' });
  } catch {
    // type errors elsewhere in the shared tree still emit JavaScript
  }
  return dir;
}

function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (all threads) a process has used, in ms: start-up cost independent of machine load. */
function cpuMs(pid: number): number {
  let ns = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended
    }
  }
  return ns / 1e6;
}

interface Server {
  endpoint: string;
  startupMs: number;
  startupCpuMs: number;
  pid: number;
  stop(): Promise<void>;
}

type Kind = 'trivial' | 'nimbus-memory' | 'nimbus-disk';

let distDir = '';
async function start(kind: Kind): Promise<Server> {
  const port = await freePort();
  let args: string[];
  let dataDir: string | undefined;
  if (kind === 'trivial') args = [path.join(root, 'scripts', 'perf', 'trivial.mjs'), '--port', String(port)];
  else {
    const main = from === 'src' ? ['--import', 'tsx', path.join(root, 'src', 'main.ts')] : [path.join(distDir, 'dist', 'src', 'main.js')];
    args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...main, '--port', String(port), '--host', '127.0.0.1', '--log-level', arg('log-level', 'info')];
    if (kind === 'nimbus-disk') {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-perf-data-'));
      args.push('--data-dir', dataDir);
    }
  }
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NIMBUS_')));
  const t0 = now();
  // The request log goes to a pipe that is drained, as under a process manager or a terminal.
  const child: ChildProcess = spawn(process.execPath, args, { env: { ...env, PERF_MESSAGE_BODY: MESSAGE_BODY }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output = (output + c).slice(-4000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c).slice(-4000)));
  let startupMs = NaN;
  let startupCpuMs = NaN;
  while (now() - t0 < 20_000 && child.exitCode === null) {
    if (await healthOnce(port)) {
      startupMs = now() - t0;
      startupCpuMs = cpuMs(child.pid!);
      break;
    }
    await sleep(5);
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  if (Number.isNaN(startupMs)) {
    await stop();
    throw new Error(`${kind} did not become healthy: ${output}`);
  }
  return { endpoint: `http://127.0.0.1:${port}`, startupMs, startupCpuMs, pid: child.pid!, stop };
}

function clientsFor(endpoint: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
    requestHandler: { httpAgent: agent },
  };
  const sts = new STSClient(common);
  const sqs = new SQSClient(common);
  return { sts, sqs, destroy: () => (sts.destroy(), sqs.destroy(), agent.destroy()) };
}

async function round(op: () => Promise<unknown>, concurrency: number, count: number): Promise<{ samples: number[]; wallMs: number }> {
  const samples: number[] = [];
  let issued = 0;
  const t0 = now();
  const worker = async () => {
    while (issued++ < count) {
      const s = now();
      await op();
      samples.push(now() - s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { samples, wallMs: now() - t0 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

interface Row {
  metric: string;
  trivial: number;
  nimbus: number;
  goal: string;
  ok: boolean;
}
const rows: Row[] = [];
function report(metric: string, trivial: number, nimbus: number, goal: { max?: number; min?: number }) {
  const ratio = nimbus / trivial;
  const ok = goal.max !== undefined ? ratio <= goal.max : ratio >= goal.min!;
  rows.push({ metric, trivial, nimbus, goal: goal.max !== undefined ? `<= ${goal.max}x` : `>= ${goal.min}x`, ok });
  process.stderr.write(`  ${metric}: trivial ${trivial.toFixed(2)}  nimbus ${nimbus.toFixed(2)}  ratio ${ratio.toFixed(2)}\n`);
}

/** c1 p50 and c16 throughput of one operation, alternating rounds between the two servers. */
async function compare(name: string, nimbus: Target, trivial: Target, goals: { p50: number; tput: number }) {
  for (const t of [trivial, nimbus]) await round(t.op, 4, 200); // connections, JIT, lazy service load
  const c1 = { nimbus: [] as number[], trivial: [] as number[] };
  const c16 = { nimbus: { n: 0, ms: 0, cpu: 0 }, trivial: { n: 0, ms: 0, cpu: 0 } };
  for (let r = 0; r < rounds; r++) {
    for (const who of r % 2 ? (['nimbus', 'trivial'] as const) : (['trivial', 'nimbus'] as const)) {
      const res = await round((who === 'nimbus' ? nimbus : trivial).op, 1, Math.ceil(calls / 3));
      c1[who].push(...res.samples);
    }
    for (const who of r % 2 ? (['nimbus', 'trivial'] as const) : (['trivial', 'nimbus'] as const)) {
      const t = who === 'nimbus' ? nimbus : trivial;
      const cpu0 = cpuMs(t.pid);
      const res = await round(t.op, 16, calls);
      c16[who].cpu += cpuMs(t.pid) - cpu0;
      c16[who].n += res.samples.length;
      c16[who].ms += res.wallMs;
    }
  }
  report(`${name} p50 c1 (ms)`, median(c1.trivial), median(c1.nimbus), { max: goals.p50 });
  report(`${name} ops/s c16`, (c16.trivial.n / c16.trivial.ms) * 1000, (c16.nimbus.n / c16.nimbus.ms) * 1000, { min: goals.tput });
  // Not a goal: the server's own CPU per call, which does not move with the machine's load.
  info(`${name} server CPU per call c16 (us)`, (c16.trivial.cpu / c16.trivial.n) * 1000, (c16.nimbus.cpu / c16.nimbus.n) * 1000);
}

interface Target {
  op: () => Promise<unknown>;
  pid: number;
}

function info(metric: string, trivial: number, nimbus: number) {
  rows.push({ metric, trivial, nimbus, goal: '(info)', ok: true });
  process.stderr.write(`  ${metric}: trivial ${trivial.toFixed(2)}  nimbus ${nimbus.toFixed(2)}\n`);
}

async function main() {
  if (from === 'dist') {
    process.stderr.write('compiling the tree into a temporary directory...\n');
    distDir = buildDist();
  }
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  try {
    if (only.has('startup')) {
      const st = { trivial: [] as number[], memory: [] as number[], disk: [] as number[] };
      const mem = { trivial: [] as number[], memory: [] as number[], disk: [] as number[] };
      const cpu = { trivial: [] as number[], memory: [] as number[], disk: [] as number[] };
      for (let r = 0; r < Number(arg('spawns', '5')); r++) {
        const kinds: Array<[keyof typeof st, Kind]> = [['trivial', 'trivial'], ['memory', 'nimbus-memory'], ['disk', 'nimbus-disk']];
        for (const [key, kind] of r % 2 ? kinds.reverse() : kinds) {
          const s = await start(kind);
          await sleep(500);
          st[key].push(s.startupMs);
          cpu[key].push(s.startupCpuMs);
          mem[key].push(rss(s.pid));
          await s.stop();
        }
      }
      report('start-up, persistence off (ms)', median(st.trivial), median(st.memory), { max: 1.5 });
      report('start-up, persistence on (ms)', median(st.trivial), median(st.disk), { max: 1.5 });
      report('start-up CPU, persistence off (ms)', median(cpu.trivial), median(cpu.memory), { max: 1.5 });
      report('start-up CPU, persistence on (ms)', median(cpu.trivial), median(cpu.disk), { max: 1.5 });
      report('idle RSS, persistence off (MB)', median(mem.trivial), median(mem.memory), { max: 1.5 });
      report('idle RSS, persistence on (MB)', median(mem.trivial), median(mem.disk), { max: 1.5 });
    }
    if (only.has('sts') || only.has('sqs') || only.has('sqs-memory')) {
      const trivial = await start('trivial');
      const tc = clientsFor(trivial.endpoint);
      try {
        if (only.has('sts')) {
          const nimbus = await start('nimbus-memory');
          const nc = clientsFor(nimbus.endpoint);
          try {
            await compare(
              'STS GetCallerIdentity',
              { op: () => nc.sts.send(new GetCallerIdentityCommand({})), pid: nimbus.pid },
              { op: () => tc.sts.send(new GetCallerIdentityCommand({})), pid: trivial.pid },
              { p50: 1.2, tput: 0.8 },
            );
          } finally {
            nc.destroy();
            await nimbus.stop();
          }
        }
        for (const persistence of ['on', 'off'] as const) {
          // sqs: the goal's case (persistence on); sqs-memory: the same without fsync, to split the cost
          if (!only.has(persistence === 'on' ? 'sqs' : 'sqs-memory')) continue;
          const nimbus = await start(persistence === 'on' ? 'nimbus-disk' : 'nimbus-memory');
          const nc = clientsFor(nimbus.endpoint);
          try {
            const { QueueUrl } = await nc.sqs.send(new CreateQueueCommand({ QueueName: 'perf' }));
            const { QueueUrl: tUrl } = await tc.sqs.send(new CreateQueueCommand({ QueueName: 'perf' }));
            await compare(
              `SQS SendMessage (persistence ${persistence})`,
              { op: () => nc.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: MESSAGE_BODY })), pid: nimbus.pid },
              { op: () => tc.sqs.send(new SendMessageCommand({ QueueUrl: tUrl, MessageBody: MESSAGE_BODY })), pid: trivial.pid },
              persistence === 'on' ? { p50: 1.3, tput: 0.7 } : { p50: 1.3, tput: 0.8 },
            );
          } finally {
            nc.destroy();
            await nimbus.stop();
          }
        }
      } finally {
        tc.destroy();
        await trivial.stop();
      }
    }
  } finally {
    if (distDir) fs.rmSync(distDir, { recursive: true, force: true });
  }
  const w = Math.max(...rows.map((r) => r.metric.length));
  console.log(`\n${'metric'.padEnd(w)}  ${'trivial'.padStart(9)}  ${'nimbus'.padStart(9)}  ${'ratio'.padStart(6)}  goal`);
  for (const r of rows) {
    console.log(`${r.metric.padEnd(w)}  ${r.trivial.toFixed(2).padStart(9)}  ${r.nimbus.toFixed(2).padStart(9)}  ${(r.nimbus / r.trivial).toFixed(2).padStart(6)}  ${r.goal}${r.goal === '(info)' ? '' : r.ok ? ' ok' : ' MISSED'}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
