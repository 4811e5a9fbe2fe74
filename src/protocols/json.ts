// AWS JSON 1.0 / 1.1 (SQS, CloudWatch Logs): POST / with `X-Amz-Target: <targetPrefix>.<Operation>`
// and a JSON document; responses are JSON documents, errors `{"__type", "message", ...fields}`.
// Driven by the model only: blobs travel as base64, timestamps as epoch seconds. Member names are
// the model's member names: awsJson ignores locationName (Smithy: no jsonName for awsJson1_x; the
// SDKs run it with jsonName off), which matters for SQS, whose model also carries its query names.
import { ServiceError } from '../core/errors.js';
import type { ServiceModel } from '../core/model.js';
import type { RequestContext } from '../core/context.js';
import type { Codec, WireRequest, WireResponse } from './types.js';
import { decodeBase64, findErrorShape, isPlainObject, member, setKey, timestampFormat, toBuffer, type Member } from './shapes.js';
import { formatTimestamp, parseTimestamp } from './timestamps.js';

/** The body's media type: `application/x-amz-json-<jsonVersion>` (1.0 when the model says nothing). */
export function jsonContentType(model: ServiceModel): string {
  return `application/x-amz-json-${model.metadata.jsonVersion ?? '1.0'}`;
}

/**
 * Services that moved from query to JSON (metadata.awsQueryCompatible: SQS) answer errors the way
 * real SQS does, which the SDKs rely on:
 * - `__type` is the Smithy shape id, `com.amazonaws.sqs#QueueDoesNotExist` (the SDKs keep the part
 *   after '#'). The Smithy namespace is not in the botocore model; for these services it is
 *   `com.amazonaws.<endpointPrefix>` (com.amazonaws.sqs).
 * - header `x-amzn-query-error: <query code>;<Sender|Receiver>`, the code the service had under
 *   query (the model's `error.code`, e.g. AWS.SimpleQueueService.NonExistentQueue). The JS SDK
 *   v3 resolves the error class from it (through the shape's awsQueryError trait), so
 *   `err.name === 'QueueDoesNotExist'` and sets `err.Code`/`err.Type`/`err.Error` from it;
 *   botocore reports the query code as `Error.Code`.
 * Other JSON services (Logs) send the bare shape name in `__type`, as AWS does.
 */
function isQueryCompatible(model: ServiceModel): boolean {
  return model.metadata.awsQueryCompatible !== undefined;
}

export function serializationException(message: string): ServiceError {
  return new ServiceError('SerializationException', message, { status: 400 });
}

function readJsonValue(model: ServiceModel, m: Member, value: unknown, path: string): unknown {
  if (value === null || value === undefined) return undefined;
  switch (m.shape.type) {
    case 'structure': {
      if (!isPlainObject(value)) throw serializationException(`Expected a structure for ${path}.`);
      const out: Record<string, unknown> = {};
      // Members the model does not know are dropped: AWS ignores them too (clients newer than
      // the model send them), and the provider only sees modeled members.
      for (const [name, ref] of Object.entries(m.shape.members ?? {})) {
        if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
        const v = readJsonValue(model, member(model, ref), value[name], `${path}.${name}`);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) throw serializationException(`Expected a list for ${path}.`);
      const item = member(model, m.shape.member!);
      return value.map((v, i) => readJsonValue(model, item, v, `${path}.${i + 1}`)).filter((v) => v !== undefined);
    }
    case 'map': {
      if (!isPlainObject(value)) throw serializationException(`Expected a map for ${path}.`);
      const item = member(model, m.shape.value!);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const parsed = readJsonValue(model, item, v, `${path}.${k}`);
        if (parsed !== undefined) setKey(out, k, parsed);
      }
      return out;
    }
    case 'blob': {
      const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
      if (!bytes) throw serializationException(`Value for ${path} is not valid base64-encoded binary data.`);
      return bytes;
    }
    case 'timestamp': {
      const date = parseTimestamp(value);
      if (!date) throw serializationException(`Value for ${path} is not a valid timestamp.`);
      return date;
    }
    default:
      // Strings, numbers and booleans pass as sent: a wrong type is reported by input validation
      // with the service's own error, as AWS does.
      return value;
  }
}

function writeJsonValue(model: ServiceModel, m: Member, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (m.shape.type) {
    case 'structure': {
      if (!isPlainObject(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(m.shape.members ?? {})) {
        const v = writeJsonValue(model, member(model, ref), value[name]);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) return undefined;
      const item = member(model, m.shape.member!);
      return value.map((v) => writeJsonValue(model, item, v)).filter((v) => v !== undefined);
    }
    case 'map': {
      if (!isPlainObject(value)) return undefined;
      const item = member(model, m.shape.value!);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const written = writeJsonValue(model, item, v);
        if (written !== undefined) setKey(out, k, written);
      }
      return out;
    }
    case 'blob':
      return toBuffer(value)?.toString('base64');
    case 'timestamp': {
      const date = parseTimestamp(value);
      return date ? formatTimestamp(date, timestampFormat(m, 'unixTimestamp')) : undefined;
    }
    case 'float':
    case 'double':
      // JSON has no NaN/Infinity; AWS sends them as strings.
      if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
      return value;
    default:
      return value;
  }
}

function jsonResponse(status: number, model: ServiceModel, ctx: RequestContext, body: unknown, extraHeaders: Record<string, string> = {}): WireResponse {
  return {
    status,
    headers: { 'content-type': jsonContentType(model), 'x-amzn-requestid': ctx.requestId, ...extraHeaders },
    body: JSON.stringify(body),
  };
}

export const jsonCodec: Codec = {
  name: 'json',

  resolveOperation(req: WireRequest, model: ServiceModel): string | undefined {
    const target = req.headers['x-amz-target'];
    if (!target) return undefined;
    const dot = target.lastIndexOf('.');
    if (dot < 0) return undefined;
    const prefix = target.slice(0, dot);
    const operation = target.slice(dot + 1);
    if (prefix !== model.metadata.targetPrefix) return undefined;
    return Object.prototype.hasOwnProperty.call(model.operations, operation) ? operation : undefined;
  },

  parse(req: WireRequest, model: ServiceModel, operation: string): Record<string, unknown> {
    const text = req.body.toString('utf8');
    let document: unknown = {};
    // An empty body stands for `{}` (the SDKs send `{}`, some clients send nothing).
    if (text.trim() !== '') {
      try {
        document = JSON.parse(text);
      } catch {
        throw serializationException('Start of structure or map found where not expected.');
      }
    }
    if (!isPlainObject(document)) throw serializationException('Start of structure or map found where not expected.');
    const inputRef = model.operations[operation]?.input;
    if (!inputRef) return {};
    return readJsonValue(model, member(model, inputRef), document, inputRef.shape) as Record<string, unknown>;
  },

  serialize(output: unknown, model: ServiceModel, operation: string, ctx: RequestContext): WireResponse {
    const outputRef = model.operations[operation]?.output;
    const body = outputRef ? (writeJsonValue(model, member(model, outputRef), output ?? {}) ?? {}) : {};
    return jsonResponse(200, model, ctx, body);
  },

  serializeError(err: ServiceError, model: ServiceModel, ctx: RequestContext): WireResponse {
    const modeled = findErrorShape(model, err.code);
    const shapeName = modeled?.name ?? err.code;
    const queryCompatible = isQueryCompatible(model);
    const body: Record<string, unknown> = {
      __type: queryCompatible ? `com.amazonaws.${model.metadata.endpointPrefix}#${shapeName}` : shapeName,
    };
    const members = modeled?.shape.members ?? {};
    // The message goes under the error shape's own spelling (most say `message`, a few `Message`).
    const messageKey = 'Message' in members && !('message' in members) ? 'Message' : 'message';
    if (err.message !== '') body[messageKey] = err.message;
    for (const [name, value] of Object.entries(err.fields)) {
      const ref = members[name];
      const written = ref ? writeJsonValue(model, member(model, ref), value) : value instanceof Date || Buffer.isBuffer(value) ? undefined : value;
      if (written !== undefined) body[name] = written;
    }
    const headers: Record<string, string> = { ...err.headers };
    if (queryCompatible) {
      const queryCode = modeled?.shape.error?.code ?? err.code;
      headers['x-amzn-query-error'] = `${queryCode};${err.senderFault ? 'Sender' : 'Receiver'}`;
    }
    return jsonResponse(err.status, model, ctx, body, headers);
  },
};
