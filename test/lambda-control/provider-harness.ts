// The Lambda provider on its own (no HTTP, no server) on a ManualClock, for unit tests.
import { ManualClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { openDatabase } from '../../src/store/db.js';
import { BlobStore } from '../../src/store/blobs.js';
import type { ServiceDeps } from '../../src/services/types.js';
import { LambdaProvider, type LambdaProviderOptions } from '../../src/services/lambda/provider.js';

export function standaloneProvider(opts: LambdaProviderOptions) {
  const clock = new ManualClock();
  const blobs = new BlobStore();
  const deps: ServiceDeps = {
    config: loadConfig([], {}),
    db: openDatabase(),
    blobs,
    clock,
    log: createLogger('silent'),
    internal: { call: async () => ({}) as any, provider: async () => ({}) as any },
    endpoint: () => 'http://127.0.0.1:4566',
  };
  const provider = new LambdaProvider(deps, opts);
  const ctx = { accountId: '000000000000', region: 'us-east-1', partition: 'aws', endpoint: 'http://127.0.0.1:4566', requestId: 'r', service: 'lambda', operation: 'x', host: '', sourceIp: '', headers: {} };
  return { clock, provider, ctx, close: () => blobs.close() };
}
