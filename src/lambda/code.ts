// Unpacked function code and layers. Each zip is unpacked once (per CodeSha256 and layer set)
// into a directory tree arranged so that Node's module resolution, for CommonJS and ES modules
// alike, finds what it finds on AWS, in AWS's order:
//
//   <root>/node_modules            -> Nimbus's own node_modules: the runtime's bundled @aws-sdk v3
//   <root>/<layers>/opt/            the function's layers, extracted in order (AWS's /opt)
//   <root>/<layers>/node_modules    -> opt/nodejs/node_modules (layer packages)
//   <root>/<layers>/<code>/         the task root (AWS's /var/task)
//
// A handler's `import "x"` walks up from the task root: its own node_modules, then the layers',
// then the SDK - the same precedence as AWS's NODE_PATH (/opt/nodejs/node_modules before
// /var/runtime/node_modules). NODE_PATH is set too, for code that reads it.
import AdmZip from 'adm-zip';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FunctionSnapshot } from './types.js';

export interface PreparedCode {
  taskRoot: string;
  /** the environment's /opt */
  optDir: string;
}

export class CodeCache {
  private readonly prepared = new Map<string, PreparedCode>();

  constructor(
    readonly root: string,
    nimbusNodeModules: string | undefined,
  ) {
    fs.mkdirSync(root, { recursive: true });
    const link = path.join(root, 'node_modules');
    if (nimbusNodeModules && !fs.existsSync(link)) {
      try {
        fs.symlinkSync(nimbusNodeModules, link, 'dir');
      } catch {
        // another engine sharing the root made it first
      }
    }
  }

  prepare(fn: FunctionSnapshot): PreparedCode {
    const layersKey = fn.layers.length ? hash(fn.layers.map((l) => l.codeSha256).join('\n')) : 'no-layers';
    const codeKey = fn.packageType === 'Image' ? 'image' : hash(fn.codeSha256 + '\n' + fn.codeZipPath);
    const key = `${layersKey}/${codeKey}`;
    const hit = this.prepared.get(key);
    if (hit && fs.existsSync(hit.taskRoot)) return hit;

    const layerDir = path.join(this.root, layersKey);
    const optDir = path.join(layerDir, 'opt');
    if (!fs.existsSync(optDir)) {
      const tmp = `${optDir}.${process.pid}.${crypto.randomUUID()}`;
      fs.mkdirSync(tmp, { recursive: true });
      // Later layers overwrite earlier ones' files, as AWS merges them into /opt in order.
      for (const layer of fn.layers) unzip(layer.zipPath, tmp);
      renameOrDiscard(tmp, optDir);
    }
    const layerModules = path.join(layerDir, 'node_modules');
    if (!fs.existsSync(layerModules) && fs.existsSync(path.join(optDir, 'nodejs', 'node_modules'))) {
      try {
        fs.symlinkSync(path.join(optDir, 'nodejs', 'node_modules'), layerModules, 'dir');
      } catch {
        // made concurrently
      }
    }
    const taskRoot = path.join(layerDir, codeKey);
    if (!fs.existsSync(taskRoot)) {
      const tmp = `${taskRoot}.${process.pid}.${crypto.randomUUID()}`;
      fs.mkdirSync(tmp, { recursive: true });
      if (fn.codeZipPath) unzip(fn.codeZipPath, tmp);
      renameOrDiscard(tmp, taskRoot);
    }
    const out = { taskRoot, optDir };
    this.prepared.set(key, out);
    return out;
  }
}

function hash(s: string): string {
  return crypto.createHash('sha256').update(s).digest('hex').slice(0, 24);
}

function unzip(zipPath: string, dir: string): void {
  // keepOriginalPermission: a custom runtime's bootstrap must stay executable.
  new AdmZip(zipPath).extractAllTo(dir, true, true);
}

function renameOrDiscard(tmp: string, final: string): void {
  try {
    fs.renameSync(tmp, final);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
