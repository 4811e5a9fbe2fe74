// A loopback HTTP endpoint the bench's Lambda handlers report to: each invocation POSTs the
// epoch time at which the handler started and the bodies of the records it was given. Times
// are epoch milliseconds with sub-millisecond precision (performance.timeOrigin + now()) on
// both sides; the processes share one machine clock.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface SinkReport {
  t: number;
  bodies: string[];
}

export interface Sink {
  url: string;
  /** resolves with the handler start time of the first invocation that carries `body` */
  waitFor(body: string, timeoutMs: number): Promise<number>;
  /** sees every report */
  onReport(fn: ((r: SinkReport) => void) | undefined): void;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const waiting = new Map<string, (t: number) => void>();
  const seen = new Map<string, number>();
  let listener: ((r: SinkReport) => void) | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(204).end();
      let report: SinkReport;
      try {
        report = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return;
      }
      listener?.(report);
      for (const b of report.bodies ?? []) {
        const w = waiting.get(b);
        if (w) {
          waiting.delete(b);
          w(report.t);
        } else if (!listener && seen.size < 10_000) {
          seen.set(b, report.t);
        }
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    waitFor(body, timeoutMs) {
      const early = seen.get(body);
      if (early !== undefined) {
        seen.delete(body);
        return Promise.resolve(early);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(body);
          reject(new Error(`handler never saw message ${body} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(body, (t) => {
          clearTimeout(timer);
          resolve(t);
        });
      });
    },
    onReport(fn) {
      listener = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
