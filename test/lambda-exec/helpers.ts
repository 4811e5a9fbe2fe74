// Builds function snapshots from in-test source files, as the control plane would hand them over.
import AdmZip from 'adm-zip';
import crypto from 'node:crypto';
import { BlobStore } from '../../src/store/blobs.js';
import type { FunctionSnapshot } from '../../src/lambda/types.js';

export function zipOf(files: Record<string, string | { content: string; mode: number }>): Buffer {
  const zip = new AdmZip();
  for (const [name, v] of Object.entries(files)) {
    if (typeof v === 'string') zip.addFile(name, Buffer.from(v));
    else zip.addFile(name, Buffer.from(v.content), '', v.mode);
  }
  return zip.toBuffer();
}

export function snapshot(blobs: BlobStore, files: Record<string, string | { content: string; mode: number }>, over: Partial<FunctionSnapshot> = {}): FunctionSnapshot {
  const zip = zipOf(files);
  const stored = blobs.putBuffer(zip);
  const name = over.functionName ?? 'fn-' + crypto.randomBytes(4).toString('hex');
  return {
    accountId: '000000000000',
    region: 'us-east-1',
    functionName: name,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    version: '$LATEST',
    runtime: 'nodejs20.x',
    handler: 'index.handler',
    memorySize: 128,
    timeout: 3,
    environment: {},
    codeSha256: crypto.createHash('sha256').update(zip).digest('base64'),
    codeZipPath: stored.path,
    layers: [],
    ephemeralStorageMb: 512,
    architectures: ['x86_64'],
    role: 'arn:aws:iam::000000000000:role/r',
    logGroup: `/aws/lambda/${name}`,
    logFormat: 'Text',
    packageType: 'Zip',
    revisionId: crypto.randomUUID(),
    ...over,
  };
}

export function layerOf(blobs: BlobStore, files: Record<string, string>, name = 'layer'): FunctionSnapshot['layers'][number] {
  const zip = zipOf(files);
  const stored = blobs.putBuffer(zip);
  return { arn: `arn:aws:lambda:us-east-1:000000000000:layer:${name}:1`, codeSha256: crypto.createHash('sha256').update(zip).digest('base64'), zipPath: stored.path };
}

/** Whether a process with this id still exists (signal 0 probes without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
