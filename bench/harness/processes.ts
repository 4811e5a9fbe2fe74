// Server processes under test: Nimbus (persistence off or on) and the ceiling, each a child
// process on a loopback port chosen here. Start-up time is spawn to the first successful health
// response; RSS is read from /proc (Linux), with `ps` as the fallback elsewhere.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nowMs } from './stats.js';
import { sleep } from './measure.js';

export type ServerKind = 'ceiling' | 'nimbus-memory' | 'nimbus-disk';

export interface ServerProcess {
  kind: ServerKind;
  endpoint: string;
  port: number;
  pid: number;
  /** spawn to first successful GET /_nimbus/health, in ms */
  startupMs: number;
  dataDir?: string;
  rssBytes(): number;
  output(): string;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
/** true when running from TypeScript sources through tsx rather than from dist/ */
const fromSources = fileURLToPath(import.meta.url).endsWith('.ts');

/** The script and node arguments that start a server kind, from dist/ or (under tsx) from sources. */
export function entryPoint(kind: ServerKind): { script: string; nodeArgs: string[] } {
  const ext = fromSources ? '.ts' : '.js';
  const script = kind === 'ceiling' ? path.join(here, '..', `ceiling${ext}`) : path.join(here, '..', '..', 'src', `main${ext}`);
  return { script, nodeArgs: fromSources ? ['--import', 'tsx'] : [] };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** One GET /_nimbus/health: true on a 200, false on any other status, error or timeout. */
export function healthOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/_nimbus/health', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux, or the process is gone
  }
  try {
    return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) * 1024;
  } catch {
    return NaN;
  }
}

export interface StartOptions {
  /** ms to wait for the health endpoint before giving up */
  timeoutMs?: number;
  logLevel?: string;
}

export async function startServer(kind: ServerKind, opts: StartOptions = {}): Promise<ServerProcess> {
  const port = await freePort();
  const { script, nodeArgs } = entryPoint(kind);
  if (!fs.existsSync(script)) throw new Error(`${script} does not exist (run npm run build)`);
  let dataDir: string | undefined;
  const args = [...nodeArgs, script, '--port', String(port), '--host', '127.0.0.1'];
  if (kind !== 'ceiling') args.push('--log-level', opts.logLevel ?? 'warn');
  if (kind === 'nimbus-disk') {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-bench-'));
    args.push('--data-dir', dataDir);
  }
  // The servers see no NIMBUS_* settings of the caller's shell: flags alone decide.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NIMBUS_')));
  const start = nowMs();
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  const deadline = start + (opts.timeoutMs ?? 20_000);
  let startupMs = NaN;
  while (nowMs() < deadline) {
    if (exited) break;
    if (await healthOnce(port)) {
      startupMs = nowMs() - start;
      break;
    }
    await sleep(5);
  }
  const stop = () => stopChild(child, dataDir);
  if (Number.isNaN(startupMs)) {
    await stop();
    throw new Error(`${kind} did not become healthy (${exited ?? 'timed out'}): ${output.trim().split('\n').slice(-5).join(' | ')}`);
  }
  return {
    kind,
    endpoint: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    startupMs,
    dataDir,
    rssBytes: () => rssOf(child.pid!),
    output: () => output,
    stop,
  };
}

async function stopChild(child: ChildProcess, dataDir?: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
}

/** Time to spawn `node -e 0` and see it exit: the floor under any Lambda cold start. */
export async function bareNodeSpawnMs(): Promise<number> {
  const t0 = nowMs();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  return nowMs() - t0;
}
