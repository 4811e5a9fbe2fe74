// The Runtime API's server side on an environment's local (Unix) socket, for Nimbus's own Node.js
// runtime client only (node-bootstrap.mjs: plain HTTP/1.1 requests with Content-Length, never
// chunked). Runtimes that speak HTTP over TCP (Python, custom runtimes, response streaming) reach
// node's HTTP server instead; both feed the same handlers, so the Runtime API behaves the same.
//
// Why a hand-rolled side: on a warm invoke each write that wakes the other process is the
// dominant cost, and node's server writes each answer on its own. Here the answers of requests
// pipelined on one connection leave in request order, and an answer that is ready while the
// runtime's next request (its pipelined GET /next) is still pending waits to leave together with
// that one: the runtime's 202 for an invocation response rides along with its next event instead
// of waking it up between invocations. A runtime only pipelines what it does not wait for.
import http from 'node:http';
import { EventEmitter } from 'node:events';
import type net from 'node:net';

/** What the Runtime API handlers use of a request: node's IncomingMessage, or a local-socket one. */
export interface RuntimeRequest {
  readonly url?: string;
  readonly method?: string;
  readonly headers: http.IncomingHttpHeaders;
  resume(): unknown;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'error', fn: () => void): unknown;
}

/** What they use of a response: node's ServerResponse, or a local-socket one. */
export interface RuntimeResponse {
  writeHead(status: number, headers: Record<string, string | number>): unknown;
  end(body?: Buffer | string): unknown;
  destroy(): unknown;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly socket?: { setTimeout(ms: number): unknown } | null;
}

/** node's rule for header values (ERR_INVALID_CHAR): the same inputs fail the same way. */
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const MAX_HEAD_BYTES = 64 * 1024;

class LocalRequest extends EventEmitter {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: http.IncomingHttpHeaders,
  ) {
    super();
  }
  resume(): this {
    return this;
  }
}

class LocalResponse {
  headersSent = false;
  destroyed = false;
  /** the bytes of the answer once ended */
  out?: Buffer;
  private head = '';
  readonly socket = { setTimeout: () => undefined };

  constructor(private readonly conn: LocalConnection) {}

  writeHead(status: number, headers: Record<string, string | number>): this {
    if (this.headersSent) throw new Error('Cannot write headers after they are sent to the client');
    let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'unknown'}\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      const value = String(v);
      if (INVALID_HEADER_VALUE.test(value)) throw new TypeError(`Invalid character in header content ["${k}"]`);
      head += `${k}: ${value}\r\n`;
    }
    this.head = head + 'connection: keep-alive\r\n\r\n';
    this.headersSent = true;
    return this;
  }

  end(body?: Buffer | string): this {
    if (this.destroyed || this.out) return this;
    if (!this.headersSent) this.writeHead(200, { 'content-length': body ? Buffer.byteLength(body) : 0 });
    const head = Buffer.from(this.head, 'latin1');
    this.out = body && body.length ? Buffer.concat([head, typeof body === 'string' ? Buffer.from(body) : body]) : head;
    this.conn.flush();
    return this;
  }

  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.conn.socket.destroy();
    }
    return this;
  }
}

class LocalConnection {
  private buffered: Buffer = Buffer.alloc(0);
  /** the request whose body is arriving, and how many body bytes are still to come */
  private body?: { req: LocalRequest; remaining: number };
  private readonly answers: LocalResponse[] = [];
  /** answers made while one chunk is read wait for the requests pipelined behind them in it */
  private parsing = false;

  constructor(
    readonly socket: net.Socket,
    private readonly onRequest: (req: RuntimeRequest, res: RuntimeResponse) => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const a of this.answers) a.destroyed = true;
      this.answers.length = 0;
      if (this.body) this.body.req.emit('error');
      this.body = undefined;
    });
  }

  /** Writes the answers that are ready, in order; one ready ahead of a pending one waits for it. */
  flush(): void {
    if (this.parsing) return;
    let n = 0;
    while (n < this.answers.length && this.answers[n].out) n++;
    if (n === 0 || (n < this.answers.length && !this.answers[n].destroyed)) return;
    const ready = this.answers.splice(0, n).map((a) => a.out!);
    if (!this.socket.destroyed) this.socket.write(ready.length === 1 ? ready[0] : Buffer.concat(ready));
  }

  private onData(chunk: Buffer): void {
    this.parsing = true;
    try {
      this.parse(chunk);
    } catch {
      // a handler failed on what the runtime sent: the connection goes, Nimbus stays up
      this.socket.destroy();
    } finally {
      this.parsing = false;
    }
    this.flush();
  }

  private parse(chunk: Buffer): void {
    let data = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    this.buffered = Buffer.alloc(0);
    while (data.length && !this.socket.destroyed) {
      if (this.body) {
        const take = Math.min(this.body.remaining, data.length);
        const { req } = this.body;
        this.body.remaining -= take;
        if (this.body.remaining === 0) this.body = undefined;
        if (take) req.emit('data', data.subarray(0, take));
        data = data.subarray(take);
        if (!this.body) req.emit('end');
        continue;
      }
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) {
        if (data.length > MAX_HEAD_BYTES) return void this.socket.destroy();
        this.buffered = Buffer.from(data);
        return;
      }
      const lines = data.subarray(0, end).toString('latin1').split('\r\n');
      data = data.subarray(end + 4);
      const [method, url] = lines[0].split(' ');
      const headers: http.IncomingHttpHeaders = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (!method || !url || headers['transfer-encoding'] || !Number.isSafeInteger(length) || length < 0) return void this.socket.destroy();
      const req = new LocalRequest(method, url, headers);
      const res = new LocalResponse(this);
      this.answers.push(res);
      this.body = { req, remaining: length };
      this.onRequest(req, res);
      if (length === 0) {
        this.body = undefined;
        req.emit('end');
      }
    }
  }
}

/** Serves the Runtime API on one accepted local connection. */
export function serveLocalRuntimeApi(socket: net.Socket, onRequest: (req: RuntimeRequest, res: RuntimeResponse) => void): void {
  new LocalConnection(socket, onRequest);
}
