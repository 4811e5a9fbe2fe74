// Builds a running Nimbus from a Config: store -> services -> HTTP server. Used by main.ts and
// by tests (which start it on port 0 with an injected clock).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { SystemClock, type Clock } from '../core/clock.js';
import { createLogger, type Logger } from '../core/log.js';
import { projectRoot } from '../core/model.js';
import { BlobStore } from '../store/blobs.js';
import { openDatabase, type Db } from '../store/db.js';
import { createApp } from './app.js';
import { ServiceHost } from './services.js';

export const version: string = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')).version;

export interface Nimbus {
  server: http.Server;
  port: number;
  /** http://127.0.0.1:<port> (or the configured host) */
  endpoint: string;
  db: Db;
  blobs: BlobStore;
  services: ServiceHost;
  log: Logger;
  close(): Promise<void>;
}

export async function startNimbus(config: Config, opts: { clock?: Clock; log?: Logger } = {}): Promise<Nimbus> {
  const log = opts.log ?? createLogger(config.logLevel);
  const db = openDatabase(config.dataDir, { fsync: config.fsync });
  const blobs = new BlobStore(config.dataDir);
  let endpoint = '';
  const services = new ServiceHost({ config, db, blobs, clock: opts.clock ?? new SystemClock(), log, endpoint: () => endpoint });
  const app = createApp({ host: services, config, log, version });
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 120_000 }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  endpoint = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  // Services with work of their own (queued async invocations, event source mappings) resume
  // right after the server is up, not before it: a request that needs one loads it at once anyway.
  const background = new Promise<void>((resolve) => setImmediate(resolve)).then(() => services.startBackground()).catch((e) => log.error('a service failed to resume its background work', e));

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // stop accepting, let in-flight requests finish, then stop services and close the store
      const stopped = new Promise<void>((r) => server.close(() => r()));
      await background;
      await services.quiesce();
      // keep-alive connections become idle as their last response goes out: close them as they do
      const idle = setInterval(() => server.closeIdleConnections(), 25);
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 10_000);
      await stopped;
      clearInterval(idle);
      clearTimeout(force);
      await services.close();
      db.close();
      blobs.close();
    })());
  return { server, port, endpoint, db, blobs, services, log, close };
}
