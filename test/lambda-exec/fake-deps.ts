// ServiceDeps for the invoker without a server: in-memory SQLite, a chosen clock, and an
// internal client that records the calls Lambda makes to SQS/SNS/Lambda/Logs.
import { openDatabase } from '../../src/store/db.js';
import { BlobStore } from '../../src/store/blobs.js';
import { createLogger } from '../../src/core/log.js';
import { loadConfig } from '../../src/core/config.js';
import type { Clock } from '../../src/core/clock.js';
import type { ServiceDeps } from '../../src/services/types.js';
import type { Db } from '../../src/store/db.js';

export interface Recorded {
  service: string;
  operation: string;
  input: any;
  ctx: { accountId: string; region: string };
}

export function fakeDeps(clock: Clock, db: Db = openDatabase()): { deps: ServiceDeps; calls: Recorded[]; logs: { group: string; stream: string; events: { timestamp: number; message: string }[] }[]; blobs: BlobStore; waitForCall(pred: (c: Recorded) => boolean): Promise<Recorded> } {
  const calls: Recorded[] = [];
  const logs: { group: string; stream: string; events: { timestamp: number; message: string }[] }[] = [];
  const waiters: { pred: (c: Recorded) => boolean; resolve: (c: Recorded) => void }[] = [];
  const blobs = new BlobStore();
  const deps: ServiceDeps = {
    config: { ...loadConfig([], {}), lambdaIdleSeconds: 60 },
    db,
    blobs,
    clock,
    log: createLogger('silent'),
    endpoint: () => 'http://127.0.0.1:4566',
    internal: {
      async call(service, operation, input, ctx) {
        const c = { service, operation, input, ctx };
        calls.push(c);
        for (const w of [...waiters]) if (w.pred(c)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(c);
        }
        return {} as never;
      },
      async provider(service: string) {
        if (service !== 'logs') throw new Error('no provider ' + service);
        return { appendEvents: (_a: string, _r: string, group: string, stream: string, events: { timestamp: number; message: string }[]) => logs.push({ group, stream, events }) } as never;
      },
    },
  };
  return {
    deps,
    calls,
    logs,
    blobs,
    waitForCall(pred) {
      const hit = calls.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}
