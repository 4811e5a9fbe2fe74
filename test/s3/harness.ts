// Builds the S3 provider directly (no HTTP) with an in-memory database, a temporary blob
// store, a manual clock and a recording internal client standing in for SQS/SNS/Lambda.
import { Readable } from 'node:stream';
import { ManualClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';
import { partitionOf, type RequestContext } from '../../src/core/context.js';
import { ServiceError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/log.js';
import { openDatabase } from '../../src/store/db.js';
import { BlobStore } from '../../src/store/blobs.js';
import { S3Provider } from '../../src/services/s3/provider.js';

export interface Call {
  service: string;
  operation: string;
  input: any;
  where: { accountId: string; region: string };
}

export function harness(opts: { existing?: (call: Call) => boolean } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
  const blobs = new BlobStore();
  const db = openDatabase();
  const calls: Call[] = [];
  const warnings: string[] = [];
  const log = createLogger('warn', (l) => warnings.push(l));
  const internal = {
    async call(service: string, operation: string, input: object, where: { accountId: string; region: string }) {
      const call = { service, operation, input, where };
      calls.push(call);
      if (opts.existing && !opts.existing(call)) throw new ServiceError('ResourceNotFound', 'not found', { status: 404 });
      return {};
    },
    async provider() {
      throw new Error('not used');
    },
  };
  const s3 = new S3Provider({ config: loadConfig([], {}), db, blobs, clock, log, internal: internal as never, endpoint: () => 'http://127.0.0.1:4566' });
  const ctx = (over: Partial<RequestContext> = {}): RequestContext => {
    const region = over.region ?? 'us-east-1';
    return {
      requestId: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      accountId: '000000000000',
      region,
      partition: partitionOf(region),
      service: 's3',
      operation: '',
      host: '127.0.0.1:4566',
      endpoint: 'http://127.0.0.1:4566',
      sourceIp: '127.0.0.1',
      accessKeyId: 'test',
      headers: {},
      ...over,
    };
  };
  return {
    s3,
    clock,
    blobs,
    calls,
    warnings,
    ctx,
    close() {
      db.close();
      blobs.close();
    },
  };
}

export function body(data: string | Buffer): Readable {
  return Readable.from([typeof data === 'string' ? Buffer.from(data) : data]);
}

export async function text(r: unknown): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

export async function rejectsWith(p: unknown, code: string, status?: number): Promise<ServiceError> {
  try {
    await (typeof p === 'function' ? (p as () => unknown)() : p);
  } catch (e) {
    if (!(e instanceof ServiceError)) throw e;
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`);
    if (status !== undefined && e.status !== status) throw new Error(`expected status ${status}, got ${e.status}`);
    return e;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}
