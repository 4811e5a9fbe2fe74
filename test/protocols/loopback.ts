// A socket-less transport for round-trip tests of the json and query codecs with the real SDK
// clients: each request goes through our codec (resolveOperation + parse), `answer` decides the
// provider's result (an output object or a ServiceError), and our serialize / serializeError
// produce the bytes the SDK then deserializes.
import { Readable } from 'node:stream';
import { ServiceError } from '../../src/core/errors.js';
import type { RequestContext } from '../../src/core/context.js';
import type { ServiceModel } from '../../src/core/model.js';
import type { Codec, WireRequest, WireResponse } from '../../src/protocols/types.js';

export function ctxFor(service: string, operation = '', over: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'c0ffee00-0000-4000-8000-000000000001',
    accountId: '123456789012',
    region: 'us-east-1',
    partition: 'aws',
    service,
    operation,
    host: 'localhost:4566',
    endpoint: 'http://localhost:4566',
    sourceIp: '127.0.0.1',
    headers: {},
    ...over,
  };
}

function toWire(request: any): WireRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(request.query ?? {})) for (const x of [v].flat()) query.append(k, String(x));
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  return { method: request.method, rawPath: request.path, rawQuery: query.toString(), headers, body };
}

function toSdkResponse(res: WireResponse) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  const body = Buffer.isBuffer(res.body) ? res.body : Buffer.from(String(res.body ?? ''));
  return { statusCode: res.status, headers, body: Readable.from([body]) };
}

export type Answer = (op: string, input: Record<string, unknown>) => unknown;

export interface LoopbackOptions {
  codec: Codec;
  /** what the codec answers when no operation matches the request */
  unknownOperation: () => ServiceError;
  ctx: (service: string) => RequestContext;
}

export function loopback(opts: LoopbackOptions, model: ServiceModel, service: string, answer: Answer) {
  const { codec } = opts;
  const seen: { op?: string; input?: Record<string, unknown>; wire?: WireRequest; response?: WireResponse } = {};
  const requestHandler = {
    async handle(request: any) {
      const wire = toWire(request);
      seen.wire = wire;
      const ctx = opts.ctx(service);
      let response: WireResponse;
      try {
        const op = codec.resolveOperation(wire, model);
        if (!op) throw opts.unknownOperation();
        seen.op = op;
        const input = codec.parse(wire, model, op);
        seen.input = input;
        const result = answer(op, input);
        if (result instanceof ServiceError) throw result;
        response = codec.serialize(result, model, op, ctx);
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        response = codec.serializeError(e, model, ctx);
      }
      seen.response = response;
      return { response: toSdkResponse(response) };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
  };
  return { requestHandler, seen };
}

export const clientConfig = {
  region: 'us-east-1',
  endpoint: 'http://localhost:4566',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  maxAttempts: 1,
};

/** An SDK output without its $metadata, for deepEqual against what the provider returned. */
export function withoutMetadata<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = output as any;
  return rest;
}

/** The SDK hands blobs back as Uint8Array; compare them as Buffers. */
export function buffersOf(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(buffersOf);
  if (value && typeof value === 'object' && !(value instanceof Date)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, buffersOf(v)]));
  return value;
}
