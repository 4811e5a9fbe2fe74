// The rest-json wire protocol (Lambda): operation from method + path, members from the uri,
// querystring, headers and a JSON body (or a raw payload), responses the same way, errors as
// a JSON body named by the `X-Amzn-ErrorType` header. Driven by the model; knows no service
// except through the quirks table below.
import { ServiceError } from '../core/errors.js';
import type { RequestContext } from '../core/context.js';
import type { ServiceModel, Shape, ShapeRef } from '../core/model.js';
import type { Codec, WireRequest, WireResponse } from './types.js';
import {
  bodyMembers,
  encodeEventStream,
  ioShape,
  isBound,
  isStreamingPayload,
  parseBoundMembers,
  payloadMember,
  resolveRoute,
  serializeBoundMembers,
  toDate,
} from './rest-common.js';

// ---------------------------------------------------------------------------------------
// Quirks: where a rest-json service answers in its own words.

interface RestJsonQuirks {
  /** error for a body that is not JSON */
  malformedBody(detail: string): ServiceError;
  /** error for a uri/querystring/header value its member's type cannot hold */
  badParameter(detail: string): ServiceError;
  /** the service's own codes for Nimbus's generic ones (InternalFailure) */
  errorCodes: Record<string, string>;
}

const genericQuirks: RestJsonQuirks = {
  malformedBody: (detail) => new ServiceError('SerializationException', detail, { status: 400 }),
  badParameter: (detail) => new ServiceError('ValidationException', detail, { status: 400 }),
  errorCodes: {},
};

const QUIRKS: Record<string, RestJsonQuirks> = {
  // Lambda rejects a body it cannot parse with InvalidRequestContentException (400), in the
  // words of its JSON parser: "Could not parse request body into json: ..." (Lambda API
  // reference, Errors of every operation with a body; the same code for a bad Invoke payload).
  Lambda: {
    malformedBody: (detail) =>
      new ServiceError('InvalidRequestContentException', `Could not parse request body into json: Could not parse payload into json: ${detail}`, {
        status: 400,
        fields: { Type: 'User' },
      }),
    badParameter: (detail) => new ServiceError('InvalidParameterValueException', detail, { status: 400, fields: { Type: 'User' } }),
    // Lambda's 500 is ServiceException (Type "Service"), per its model.
    errorCodes: { InternalFailure: 'ServiceException' },
  },
};

function quirksOf(model: ServiceModel): RestJsonQuirks {
  return QUIRKS[model.metadata.serviceId] ?? genericQuirks;
}

// ---------------------------------------------------------------------------------------
// JSON body <-> members

function jsonName(name: string, ref: ShapeRef): string {
  return (ref.jsonName as string | undefined) ?? ref.locationName ?? name;
}

function fromJson(value: unknown, ref: ShapeRef, model: ServiceModel, bad: (d: string) => ServiceError): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) return value; // ajv reports the type
      const out: Record<string, unknown> = {};
      const obj = value as Record<string, unknown>;
      for (const [name, mref] of Object.entries(shape.members ?? {})) {
        const v = fromJson(obj[jsonName(name, mref)], mref, model, bad);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(value)) return value;
      return value.map((v) => (v === null ? null : fromJson(v, shape.member!, model, bad)));
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = v === null ? null : fromJson(v, shape.value!, model, bad);
      return out;
    }
    case 'blob':
      if (typeof value !== 'string') return value;
      return Buffer.from(value, 'base64');
    case 'timestamp': {
      if (typeof value !== 'number' && typeof value !== 'string') return value;
      const d = toDate(value);
      if (!d) throw bad(`'${value}' is not a timestamp`);
      return d;
    }
    default:
      return value;
  }
}

/** A structure's body members with their JSON names, worked out once per shape (large Lambda listings walk the same shapes thousands of times). */
const bodyMembersOf = new WeakMap<Shape, { name: string; ref: ShapeRef; json: string }[]>();
function structureBodyMembers(shape: Shape): { name: string; ref: ShapeRef; json: string }[] {
  let members = bodyMembersOf.get(shape);
  if (!members) {
    members = Object.entries(shape.members ?? {})
      .filter(([, mref]) => !isBound(mref))
      .map(([name, mref]) => ({ name, ref: mref, json: jsonName(name, mref) }));
    bodyMembersOf.set(shape, members);
  }
  return members;
}

function toJson(value: unknown, ref: ShapeRef, model: ServiceModel): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      const obj = value as Record<string, unknown>;
      for (const m of structureBodyMembers(shape)) {
        const v = toJson(obj[m.name], m.ref, model);
        if (v !== undefined) out[m.json] = v;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => toJson(v, shape.member!, model) ?? null) : value;
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toJson(v, shape.value!, model) ?? null;
      return out;
    }
    case 'blob':
      return Buffer.isBuffer(value) || value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;
    case 'timestamp': {
      // rest-json's default timestamp format is epoch seconds (Lambda's own dates are string shapes)
      const d = toDate(value);
      if (!d) return value;
      const format = shape.timestampFormat ?? (ref.timestampFormat as string | undefined);
      if (format === 'iso8601') return d.toISOString();
      if (format === 'rfc822') return d.toUTCString();
      return d.getTime() / 1000;
    }
    case 'string':
      return value instanceof Date ? value.toISOString() : value;
    default:
      return value;
  }
}

// ---------------------------------------------------------------------------------------
// The codec

function errorShapeFor(model: ServiceModel, code: string): Shape | undefined {
  const direct = model.shapes[code];
  if (direct?.exception) return direct;
  for (const s of Object.values(model.shapes)) if (s.exception && s.error?.code === code) return s;
  return undefined;
}

export const restJsonCodec: Codec = {
  name: 'rest-json',

  resolveOperation(req: WireRequest, model: ServiceModel): string | undefined {
    return resolveRoute(req, model);
  },

  hasStreamingInput(model: ServiceModel, operation: string): boolean {
    return isStreamingPayload(model, operation);
  },

  unknownOperationError(req: WireRequest): ServiceError {
    // AWS's rest-json front ends answer a path no operation matches with 404 and the
    // UnknownOperationException error type; the wording of the message is Nimbus's own.
    return new ServiceError('UnknownOperationException', `No operation matches ${req.method} ${req.rawPath}`, {
      status: 404,
      fields: { Type: 'User' },
    });
  },

  parse(req: WireRequest, model: ServiceModel, operation: string): Record<string, unknown> {
    const op = model.operations[operation];
    const input = ioShape(model, op?.input);
    const quirks = quirksOf(model);
    const bad = (detail: string) => quirks.malformedBody(detail);
    const out = parseBoundMembers(req, model, operation, input, { bad: quirks.badParameter });
    const payload = payloadMember(input, model);
    if (payload) {
      if (payload.shape.type === 'blob') {
        if (req.stream && isStreamingPayload(model, operation)) out[payload.name] = req.stream;
        else if (req.body.length > 0) out[payload.name] = req.body;
      } else if (payload.shape.type === 'string') {
        if (req.body.length > 0) out[payload.name] = req.body.toString('utf8');
      } else if (req.body.length > 0) {
        const v = fromJson(parseJsonBody(req.body, bad), payload.ref, model, bad);
        if (v !== undefined) out[payload.name] = v;
      }
      return out;
    }
    const members = bodyMembers(input);
    if (members.length === 0 || req.body.length === 0) return out;
    const doc = parseJsonBody(req.body, bad);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('the request body is not a JSON object');
    const body = fromJson(doc, { shape: op!.input!.shape }, model, bad) as Record<string, unknown>;
    for (const [name] of members) if (body[name] !== undefined) out[name] = body[name];
    return out;
  },

  serialize(output: unknown, model: ServiceModel, operation: string): WireResponse {
    const op = model.operations[operation];
    const shape = ioShape(model, op?.output);
    const values = (output ?? {}) as Record<string, unknown>;
    const headers: Record<string, string | string[]> = {};
    const statusFromMember = serializeBoundMembers(values, shape, model, headers);
    const status = statusFromMember ?? op?.http.responseCode ?? 200;
    const payload = payloadMember(shape, model);
    if (payload) {
      const v = values[payload.name];
      if (v === undefined || v === null) return { status, headers };
      if (payload.shape.type === 'blob' || payload.shape.type === 'string') {
        // Lambda sends Invoke's raw payload as application/json whatever the function returned.
        headers['Content-Type'] ??= 'application/json';
        return { status, headers, body: typeof v === 'string' || Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v) : (v as WireResponse['body']) };
      }
      if (payload.shape.eventstream) {
        // Nimbus sends the whole event stream at once (the provider hands over the events).
        headers['Content-Type'] ??= 'application/vnd.amazon.eventstream';
        const events = Array.isArray(v) ? (v as Record<string, unknown>[]) : [v as Record<string, unknown>];
        const body = encodeEventStream(events, payload.shape, model, (value, ref) => ({
          body: Buffer.from(JSON.stringify(toJson(value, ref, model) ?? {})),
          contentType: 'application/json',
        }));
        return { status, headers, body };
      }
      headers['Content-Type'] = 'application/json';
      return { status, headers, body: JSON.stringify(toJson(v, payload.ref, model) ?? {}) };
    }
    if (bodyMembers(shape).length === 0 || status === 204) return { status, headers };
    headers['Content-Type'] = 'application/json';
    return { status, headers, body: JSON.stringify(toJson(values, { shape: op!.output!.shape }, model)) };
  },

  serializeError(err: ServiceError, model: ServiceModel, _ctx: RequestContext): WireResponse {
    // Lambda's errors: `X-Amzn-ErrorType: <Code>` names the error (the SDKs read it first),
    // the body carries `Type` (User/Service) and the message under the member name the
    // error shape declares (`Message` for ResourceNotFoundException, `message` for most).
    const code = quirksOf(model).errorCodes[err.code] ?? err.code;
    const shape = errorShapeFor(model, code);
    const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json', 'X-Amzn-ErrorType': code, ...err.headers };
    const body: Record<string, unknown> = { Type: err.senderFault ? 'User' : 'Service' };
    const messageKey = shape?.members?.Message && !shape.members.message ? 'Message' : 'message';
    body[messageKey] = err.message;
    for (const [k, v] of Object.entries(err.fields)) {
      const ref = shape?.members?.[k];
      if (ref?.location === 'header') {
        if (v !== undefined && v !== null) headers[ref.locationName ?? k] = String(v);
        continue;
      }
      if (v === undefined) continue;
      body[k] = ref ? toJson(v, ref, model) : v;
    }
    return { status: err.status, headers, body: JSON.stringify(body) };
  },
};

function parseJsonBody(body: Buffer, bad: (d: string) => ServiceError): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw bad((e as Error).message);
  }
}
