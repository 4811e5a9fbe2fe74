// A socket-less transport for round-trip tests of the rest codecs with the real SDK clients:
// the SDK's HttpRequest is turned into the WireRequest the pipeline would build (streaming
// payloads left unbuffered, as the pipeline does), our codec resolves and parses it, `answer`
// plays the provider, and our serialize/serializeError produce what the SDK deserializes.
import { Readable } from 'node:stream';
import { ServiceError } from '../../src/core/errors.js';
import type { ServiceModel } from '../../src/core/model.js';
import type { Codec, WireRequest, WireResponse } from '../../src/protocols/types.js';
import { ctxFor } from './loopback.js';

export { ctxFor };

/** The SDK's own query escaping (RFC 3986: also !'()*), as the Node HTTP handler sends it. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export async function readAll(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

function isStream(body: unknown): body is Readable {
  return !!body && typeof (body as Readable).pipe === 'function';
}

export async function toWire(request: any, streaming: (wire: WireRequest) => boolean): Promise<WireRequest> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = String(v);
  headers.host ??= request.port ? `${request.hostname}:${request.port}` : request.hostname;
  const pairs: string[] = [];
  for (const [k, v] of Object.entries(request.query ?? {})) {
    if (v === null || v === undefined) pairs.push(escapeUri(k));
    else for (const x of [v].flat()) pairs.push(`${escapeUri(k)}=${escapeUri(String(x))}`);
  }
  const wire: WireRequest = { method: request.method, rawPath: request.path, rawQuery: pairs.join('&'), headers, body: Buffer.alloc(0) };
  if (streaming(wire) && request.body !== undefined) {
    wire.stream = isStream(request.body) ? request.body : Readable.from([await readAll(request.body)]);
  } else {
    wire.body = await readAll(request.body);
  }
  return wire;
}

function toSdkResponse(res: WireResponse) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  const body = isStream(res.body) ? res.body : Readable.from(res.body === undefined ? [] : [Buffer.from(res.body as Buffer | string)]);
  return { statusCode: res.status, headers, body };
}

export interface Seen {
  op?: string;
  input?: Record<string, unknown>;
  wire?: WireRequest;
  response?: WireResponse;
  /** the response body as the SDK received it (streams excepted) */
  responseText?: string;
}

/**
 * A request handler for an SDK client. `answer(op, input)` returns the provider's output or
 * throws a ServiceError; a request no route matches gets the codec's unknown-operation error.
 */
export function loopback(codec: Codec, model: ServiceModel, service: string, answer: (op: string, input: Record<string, unknown>) => unknown | Promise<unknown>) {
  const seen: Seen = {};
  const requestHandler = {
    async handle(request: any) {
      let op: string | undefined;
      const wire = await toWire(request, (w) => {
        op = codec.resolveOperation(w, model);
        return !!op && !!codec.hasStreamingInput?.(model, op);
      });
      seen.wire = wire;
      seen.op = op;
      const ctx = ctxFor(service, op ?? '');
      let response: WireResponse;
      try {
        if (!op) throw codec.unknownOperationError?.(wire, model) ?? new ServiceError('UnknownOperation', 'no route');
        const input = codec.parse(wire, model, op);
        seen.input = input;
        response = codec.serialize(await answer(op, input), model, op, ctx);
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        response = codec.serializeError(e, model, ctx);
      }
      seen.response = response;
      if (!isStream(response.body)) seen.responseText = response.body === undefined ? '' : Buffer.from(response.body as Buffer | string).toString('utf8');
      if (request.method === 'HEAD') response = { ...response, body: undefined };
      return { response: toSdkResponse(response) };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
  return { requestHandler, seen };
}

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
