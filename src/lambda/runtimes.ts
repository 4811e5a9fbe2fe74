// How each runtime family starts: Nimbus's own Node.js and Python runtime clients (files next
// to this module, in src/lambda/runtimes/), or the function's own `bootstrap` for the
// provided/provided.al2/provided.al2023 (OS-only) runtimes. All of them then speak the Runtime API.
// Node.js and Python runtimes are kept ready as spares (started, not yet specialised) so that a
// cold start costs a message rather than an interpreter's start-up.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type RuntimeFamily = 'node' | 'python' | 'provided';

export function runtimeFamily(runtime: string): RuntimeFamily | undefined {
  if (/^nodejs/.test(runtime)) return 'node';
  if (/^python3/.test(runtime)) return 'python';
  if (/^provided/.test(runtime)) return 'provided';
  return undefined;
}

/** Nimbus's package root (src/ is shipped next to dist/, so this works from both). */
export const packageRoot: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src', 'lambda'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
})();

export const runtimeDir = path.join(packageRoot, 'src', 'lambda', 'runtimes');
export const nodeBootstrap = path.join(runtimeDir, 'node-bootstrap.mjs');
export const pythonBootstrap = path.join(runtimeDir, 'python-bootstrap.py');
export const nimbusNodeModules = fs.existsSync(path.join(packageRoot, 'node_modules')) ? path.join(packageRoot, 'node_modules') : undefined;

/**
 * AWS's Node.js runtime caps the V8 old space below the function's memory so that the process
 * fails with a heap error before the sandbox kills it; Nimbus does the same.
 */
export function nodeHeapMb(memorySize: number): number {
  return Math.max(16, Math.floor(memorySize * 0.9));
}

let pythonInfo: { version?: string; executable: string } | undefined;
/**
 * The local python3: its version, and its real executable (spawned directly, which skips
 * wrappers such as pyenv's shim script and saves a good part of a cold start).
 */
export function localPython(): { version?: string; executable: string } {
  if (!pythonInfo) {
    const r = spawnSync('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2]); print(sys.executable)'], { encoding: 'utf8', timeout: 10000 });
    const [version, executable] = r.status === 0 ? r.stdout.trim().split('\n') : [];
    pythonInfo = { version, executable: executable && fs.existsSync(executable) ? executable : 'python3' };
  }
  return pythonInfo;
}

/** Finds the local python3 in the background, so the first Python cold start does not wait for it. */
export function probePython(): void {
  if (pythonInfo) return;
  execFile('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2]); print(sys.executable)'], { encoding: 'utf8', timeout: 10000 }, (err, stdout) => {
    if (pythonInfo || err) return;
    const [version, executable] = stdout.trim().split('\n');
    pythonInfo = { version, executable: executable && fs.existsSync(executable) ? executable : 'python3' };
  }).unref();
}

export function localPythonVersion(): string | undefined {
  return localPython().version;
}

/** The line to log when the local interpreter is not the one the function's runtime names. */
export function versionMismatch(runtime: string): string | undefined {
  const fam = runtimeFamily(runtime);
  if (fam === 'node') {
    const want = /^nodejs(\d+)/.exec(runtime)?.[1];
    const have = process.versions.node.split('.')[0];
    if (want && want !== have) return `Nimbus: function runtime ${runtime} runs on the local Node.js ${process.versions.node}`;
  } else if (fam === 'python') {
    const want = /^python(\d+\.\d+)/.exec(runtime)?.[1];
    const have = localPythonVersion();
    if (!have) return `Nimbus: function runtime ${runtime} needs python3, which is not on this machine's PATH`;
    if (want && want !== have) return `Nimbus: function runtime ${runtime} runs on the local Python ${have}`;
  }
  return undefined;
}

/**
 * Unspecialised Node.js runtime processes, started ahead of need so that a cold start costs a
 * message, not a spawn. V8's heap limit is fixed at process start, so spares are kept per
 * memory size: the default size always, other sizes once a function of that size has run.
 */
export class NodeSparePool {
  private readonly spares = new Map<number, ChildProcess[]>();
  private readonly wanted = new Map<number, number>();
  private closed = false;

  constructor(
    private readonly perSize: number,
    private readonly onSpawn: (p: ChildProcess) => void,
  ) {
    if (perSize > 0) this.want(128);
  }

  /** Ensures spares exist for a memory size (spawned in the background). */
  want(memorySize: number): void {
    if (this.perSize <= 0 || this.closed) return;
    if (!this.wanted.has(memorySize)) {
      if (this.wanted.size >= 4) return;
      this.wanted.set(memorySize, this.perSize);
    }
    this.refill(memorySize);
  }

  claim(memorySize: number): ChildProcess | undefined {
    const list = this.spares.get(memorySize);
    let p: ChildProcess | undefined;
    while (list?.length && !p) {
      const c = list.shift()!;
      if (c.exitCode === null && c.signalCode === null && c.connected) p = c;
    }
    // Refill after the claimant's cold start has had the CPU.
    setTimeout(() => this.want(memorySize), 50).unref();
    return p;
  }

  private refill(memorySize: number): void {
    const list = this.spares.get(memorySize) ?? [];
    this.spares.set(memorySize, list);
    while (list.length < (this.wanted.get(memorySize) ?? 0)) {
      const p = spawnNode(memorySize, { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: ':UTC' });
      this.onSpawn(p);
      list.push(p);
      p.once('exit', () => {
        const i = list.indexOf(p);
        if (i >= 0) list.splice(i, 1);
      });
    }
  }

  close(): void {
    this.closed = true;
    for (const list of this.spares.values()) for (const p of list) killTree(p);
    this.spares.clear();
  }
}

const nodeReady = new WeakMap<ChildProcess, Promise<void>>();

export function spawnNode(memorySize: number, env: NodeJS.ProcessEnv, cwd?: string): ChildProcess {
  const p = spawn(process.execPath, [`--max-old-space-size=${nodeHeapMb(memorySize)}`, nodeBootstrap], {
    env,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  nodeReady.set(
    p,
    new Promise<void>((resolve) => {
      p.once('message', () => resolve());
      p.once('exit', () => resolve());
    }),
  );
  return p;
}

/** Hands a Node.js runtime its function once it listens for it (a message sent earlier would be lost). */
export function specialiseNode(p: ChildProcess, spec: object): void {
  const ready = nodeReady.get(p) ?? Promise.resolve();
  void ready.then(() => {
    if (p.connected) p.send(spec);
  });
}

/** SIGKILL to the runtime and everything it started (it leads its own process group). */
export function killTree(p: ChildProcess): void {
  if (p.pid === undefined) return;
  try {
    process.kill(-p.pid, 'SIGKILL');
  } catch {
    try {
      p.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Python runtime processes started ahead of need (after the first Python function ran), so a
 * cold start skips the interpreter's start-up; they receive their function on stdin.
 */
export class PythonSparePool {
  private spare?: ChildProcess;
  private wanted = false;
  private closed = false;

  constructor(
    private readonly enabled: boolean,
    private readonly onSpawn: (p: ChildProcess) => void,
  ) {}

  claim(): ChildProcess | undefined {
    this.wanted = this.enabled;
    const p = this.spare;
    this.spare = undefined;
    setTimeout(() => this.refill(), 50).unref();
    return p && p.exitCode === null && p.signalCode === null ? p : undefined;
  }

  private refill(): void {
    if (this.closed || !this.wanted || this.spare) return;
    const p = spawn(localPython().executable, ['-u', pythonBootstrap], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TZ: ':UTC', NIMBUS_SPARE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.onSpawn(p);
    p.stdin?.on('error', () => {});
    this.spare = p;
    p.once('exit', () => {
      if (this.spare === p) this.spare = undefined;
    });
  }

  close(): void {
    this.closed = true;
    if (this.spare) killTree(this.spare);
    this.spare = undefined;
  }
}
