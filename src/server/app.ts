// THE request pipeline, top to bottom. Every API request to Nimbus passes these steps in order:
//
//   1. request id          one per request, sent back in x-amzn-RequestId / x-amz-request-id
//   2. developer routes    /_nimbus/health (and /_localstack/health for existing health checks)
//   3. raw routes          non-API endpoints a service serves itself (function URLs, SNS cert...)
//   4. identify service    X-Amz-Target, SigV4 scope, path, Host, then Action for unsigned forms
//   5. account and region  from the SigV4 credential scope (a 12-digit access key is the account)
//   6. resolve operation   by the service model, in the caller's protocol
//   7. read the body       bounded per service/operation; streaming payloads (S3) are not buffered
//   8. parse               the protocol codec builds the input with AWS's member names
//   9. validate            ajv against the operation's JSON Schema -> the service's validation error
//  10. provider            plain objects in and out; throws ServiceError subclasses
//  11. serialize           the codec renders the output, or the error, in the caller's protocol
import { isUtf8 } from 'node:buffer';
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import express from 'express';
import type { Config } from '../core/config.js';
import { partitionOf, type RequestContext } from '../core/context.js';
import { InternalError, ServiceError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { loadModel, type ServiceModel } from '../core/model.js';
import { toPathStyle } from '../protocols/s3-addressing.js';
import type { Codec, ProtocolName, WireRequest, WireResponse } from '../protocols/types.js';
import { DEFAULT_BODY_LIMIT, services } from '../services/registry.js';
import { identify, parseAuth, type AuthInfo } from './identify.js';
import type { ServiceHost } from './services.js';
import type { ServiceDefinition } from '../services/types.js';

export interface AppOptions {
  host: ServiceHost;
  config: Config;
  log: Logger;
  version: string;
}

// express is the HTTP layer the project chose; the pipeline is one terminal handler in it, so
// every request meets the same steps in the same order.
export function createApp(opts: AppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  app.use((req, res) => {
    handle(opts, req, res).catch((e) => {
      opts.log.error('unhandled error in the request pipeline', e);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  });
  return app;
}

// Each codec is imported on the first request in its protocol, not at start-up: rest-xml (S3)
// brings in an XML parser whose import alone costs more than the rest of start-up.
const codecImports: Record<ProtocolName, () => Promise<Codec>> = {
  json: async () => (await import('../protocols/json.js')).jsonCodec,
  query: async () => (await import('../protocols/query.js')).queryCodec,
  'rest-json': async () => (await import('../protocols/rest-json.js')).restJsonCodec,
  'rest-xml': async () => (await import('../protocols/rest-xml.js')).restXmlCodec,
};
const codecs = new Map<ProtocolName, Codec>();
async function importCodec(protocol: ProtocolName): Promise<Codec> {
  const codec = await codecImports[protocol]();
  codecs.set(protocol, codec);
  return codec;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('client aborted the request')));
  });
}

function wireRequest(req: IncomingMessage): WireRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string> = {};
  const given = req.headers;
  for (const k in given) {
    const v = given[k];
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return {
    method: req.method ?? 'GET',
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    headers,
    body: Buffer.alloc(0),
  };
}

function context(opts: AppOptions, req: IncomingMessage, wire: WireRequest, requestId: string, auth: AuthInfo, service: string): RequestContext {
  // AWS test set-ups use an account id as the access key; any other key is the default account.
  const accountId = auth.accessKeyId && /^\d{12}$/.test(auth.accessKeyId) ? auth.accessKeyId : opts.config.accountId;
  const region = auth.region && auth.region !== 'auto' ? auth.region : opts.config.region;
  const host = wire.headers['host'] ?? `${opts.config.host}:${opts.config.port}`;
  const proto = wire.headers['x-forwarded-proto'] ?? 'http';
  return {
    requestId,
    accountId,
    region,
    partition: partitionOf(region),
    service,
    operation: '',
    host,
    endpoint: `${proto}://${host}`,
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    accessKeyId: auth.accessKeyId,
    headers: req.headers,
  };
}

async function handle(opts: AppOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  let requestId: string = crypto.randomUUID();
  const wire = wireRequest(req);
  let service = '-';
  let operation = '-';
  const finish = (r: WireResponse) => {
    send(req, res, requestId, service, r);
    opts.log.info(`${service} ${operation} ${r.status} ${(performance.now() - started).toFixed(1)}ms`);
  };

  if (wire.rawPath === '/_nimbus/health' || wire.rawPath === '/_localstack/health') {
    service = 'nimbus';
    operation = 'health';
    finish(health(opts));
    return;
  }

  const auth = parseAuth(wire.headers, wire.rawQuery);

  for (const def of services) {
    if (!def.raw) continue;
    const host = wire.headers['host'] ?? '';
    if (!def.raw.pathPrefixes?.some((p) => wire.rawPath.startsWith(p)) && !def.raw.hosts?.some((h) => h.test(host))) continue;
    service = def.name;
    operation = 'raw';
    const ctx = context(opts, req, wire, requestId, auth, def.name);
    const limit = def.bodyLimit?.('Invoke') ?? DEFAULT_BODY_LIMIT;
    try {
      wire.body = await readBody(req, limit);
      const loaded = await opts.host.load(def.name);
      if (!loaded.module.handleRaw) throw new ServiceError('NotFound', 'Not found', { status: 404 });
      finish(await loaded.module.handleRaw(loaded.provider, wire, ctx));
    } catch (e) {
      // a function URL payload over Lambda's 6 MB is the client's 413, not an internal failure
      const err = e instanceof BodyTooLarge ? tooLarge(def, limit, 'Invoke') : asServiceError(e, opts.log);
      finish({ status: err.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Message: err.message, Type: err.code }) });
    }
    return;
  }

  let found = identify(wire, auth);
  if ('needsBody' in found) {
    try {
      wire.body = await readBody(req, DEFAULT_BODY_LIMIT);
    } catch (e) {
      finish(unroutedError('query', e instanceof BodyTooLarge ? tooLarge(undefined, DEFAULT_BODY_LIMIT, '') : new ServiceError('MalformedQueryString', 'The request body could not be read.')));
      return;
    }
    found = identify(wire, auth, wire.body);
  }
  if ('needsBody' in found || found.unknown !== undefined) {
    // an unsigned form post without an Action (identify never asks for the body twice)
    if ('needsBody' in found) found = { unknown: 'a request without an Action', protocol: 'query' };
    finish(unroutedError(found.protocol, new ServiceError(found.protocol === 'json' ? 'UnknownOperationException' : 'InvalidAction', `Nimbus does not serve ${found.unknown}.`)));
    return;
  }

  const def = found.service;
  service = def.name;
  // S3's request ids are 16 upper-case hex digits, the same in x-amz-request-id and error documents.
  if (service === 's3') requestId = requestId.replace(/-/g, '').slice(0, 16).toUpperCase();
  const codec = codecs.get(found.protocol) ?? (await importCodec(found.protocol));
  const ctx = context(opts, req, wire, requestId, auth, def.name);
  let model: ServiceModel | undefined;
  try {
    model = loadModel(def.name);
    if (def.name === 's3') Object.assign(wire, toPathStyle(wire));
    const loaded = await opts.host.load(def.name);
    if (loaded.module.intercept) {
      const answered = await loaded.module.intercept(loaded.provider, { ...wire, stream: req }, ctx);
      if (answered) {
        finish(answered);
        return;
      }
    }
    const bodyFirst = found.protocol === 'json' || found.protocol === 'query';
    let op: string | undefined;
    if (!bodyFirst) op = codec.resolveOperation(wire, model);
    if (op && codec.hasStreamingInput?.(model, op)) wire.stream = req;
    else if (wire.body.length === 0) {
      const limit = (op && def.bodyLimit?.(op)) || DEFAULT_BODY_LIMIT;
      try {
        wire.body = await readBody(req, limit);
      } catch (e) {
        throw e instanceof BodyTooLarge ? tooLarge(def, limit, op ?? '') : new ServiceError('IncompleteBody', 'The request body ended before its declared length.');
      }
      if (bodyFirst) assertUtf8(wire.body, found.protocol);
    }
    if (bodyFirst) op = codec.resolveOperation(wire, model);
    if (!op) throw codec.unknownOperationError?.(wire, model) ?? unknownOperation(found.protocol, wire);
    operation = ctx.operation = op;
    if (opts.log.enabled('debug') && wire.body.length) opts.log.debug(`${service} ${op} request body: ${wire.body.subarray(0, 4096).toString('utf8')}`);
    const input = codec.parse(wire, model, op);
    const output = await opts.host.invoke(loaded, op, input, ctx);
    const response = codec.serialize(output, model, op, ctx);
    loaded.module.decorateResponse?.(loaded.provider, input, wire, response);
    finish(response);
  } catch (e) {
    const err = asServiceError(e, opts.log);
    if (wire.stream && !wire.stream.readableEnded) wire.stream.resume();
    finish(model ? codec.serializeError(err, model, ctx) : unroutedError(found.protocol, err));
  }
}

function asServiceError(e: unknown, log: Logger): ServiceError {
  if (e instanceof ServiceError) return e;
  log.error('internal error', e);
  return new InternalError();
}

function tooLarge(def: ServiceDefinition | undefined, limit: number, operation: string): ServiceError {
  return def?.bodyTooLarge?.(limit, operation) ?? new ServiceError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes.`, { status: 413 });
}

function unknownOperation(protocol: ProtocolName, wire: WireRequest): ServiceError {
  if (protocol === 'query') {
    const action = new URLSearchParams(wire.rawQuery).get('Action') ?? new URLSearchParams(wire.body.toString('latin1')).get('Action');
    return action
      ? new ServiceError('InvalidAction', `The action ${action} is not valid for this endpoint.`)
      : new ServiceError('MissingAction', 'The request must contain the parameter Action.');
  }
  if (protocol === 'json') return new ServiceError('UnknownOperationException', '');
  return new ServiceError('UnknownOperationException', `No operation matches ${wire.method} ${wire.rawPath}`, { status: 404 });
}

function assertUtf8(body: Buffer, protocol: ProtocolName): void {
  // checked in place: decoding it here only to throw the text away cost a copy of every body
  if (!isUtf8(body)) {
    throw protocol === 'json'
      ? new ServiceError('SerializationException', 'The request body is not valid UTF-8.')
      : new ServiceError('MalformedQueryString', 'The request body is not valid UTF-8.');
  }
}

/** Errors for requests that never reached a service model (unknown service, unreadable body). */
function unroutedError(protocol: ProtocolName, err: ServiceError): WireResponse {
  if (protocol === 'json' || protocol === 'rest-json') {
    return {
      status: err.status,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': err.code },
      body: JSON.stringify({ __type: err.code, message: err.message }),
    };
  }
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return {
    status: err.status,
    headers: { 'content-type': 'text/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse><Error><Type>${err.senderFault ? 'Sender' : 'Receiver'}</Type><Code>${esc(err.code)}</Code><Message>${esc(err.message)}</Message></Error><RequestId>-</RequestId></ErrorResponse>`,
  };
}

function health(opts: AppOptions): WireResponse {
  const loaded = new Set(opts.host.loadedNames());
  const status: Record<string, string> = {};
  // "running" once a service has served (LocalStack's vocabulary, so existing health checks work)
  for (const s of services) status[s.name] = loaded.has(s.name) ? 'running' : 'available';
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ services: status, edition: 'nimbus', version: opts.version }),
  };
}

function send(req: IncomingMessage, res: ServerResponse, requestId: string, service: string, r: WireResponse): void {
  if (res.headersSent) return;
  const headers: Record<string, string | string[]> = { ...r.headers };
  const lower = new Set<string>();
  for (const k in headers) lower.add(k.toLowerCase());
  // S3 sends only x-amz-request-id (and x-amz-id-2); the other services send both id headers.
  if (service !== 's3' && !lower.has('x-amzn-requestid')) headers['x-amzn-RequestId'] = requestId;
  if (!lower.has('x-amz-request-id')) headers['x-amz-request-id'] = requestId;
  if (service === 's3' && !lower.has('x-amz-id-2')) headers['x-amz-id-2'] = Buffer.from(requestId).toString('base64');
  const noBody = req.method === 'HEAD' || r.status === 204 || r.status === 304;
  const body = r.body;
  if (body === undefined || noBody) {
    if (!lower.has('content-length') && !noBody) headers['content-length'] = '0';
    res.writeHead(r.status, headers);
    if (body instanceof Readable) body.destroy();
    res.end();
    return;
  }
  if (body instanceof Readable) {
    res.writeHead(r.status, headers);
    body.on('error', () => res.destroy());
    body.pipe(res);
    return;
  }
  // A string body leaves with the header block in one write (node joins them); a Buffer is a second one.
  if (!lower.has('content-length')) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.writeHead(r.status, headers);
  res.end(body);
}

export type { Codec };
