// What rest-json and rest-xml share: routing a request to an operation by the model's
// `http.method` + `http.requestUri`, and the HTTP bindings of members (uri labels,
// querystring, headers, header prefix maps, status code, payload). Knows no service; the
// few places where a service departs from the generic rules take a hook from the codec.
import zlib from 'node:zlib';
import { ServiceError } from '../core/errors.js';
import type { Operation, ServiceModel, Shape, ShapeRef } from '../core/model.js';
import type { WireRequest } from './types.js';

// ---------------------------------------------------------------------------------------
// Routing

interface Route {
  operation: string;
  method: string;
  pattern: RegExp;
  labels: { name: string; greedy: boolean }[];
  /** required query literals from the requestUri: `?uploads` -> ['uploads', undefined] */
  queryLiterals: [string, string | undefined][];
  literalSegments: number;
  greedyLabels: number;
  deprecated: boolean;
  /** querystring/header members the input requires: they tell apart ops sharing a route (PutObject/UploadPart/CopyObject) */
  requiredBindings: { location: 'querystring' | 'header'; name: string }[];
}

interface RouteTable {
  /** routes by upper-case HTTP method, in model order */
  byMethod: Map<string, Route[]>;
  byOperation: Map<string, Route>;
}
const routeTables = new WeakMap<ServiceModel, RouteTable>();

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileRoute(model: ServiceModel, opName: string, op: Operation): Route {
  const [pathPart, queryPart = ''] = op.http.requestUri.split('?', 2);
  const labels: Route['labels'] = [];
  let literalSegments = 0;
  let greedyLabels = 0;
  let regex = '';
  for (const segment of pathPart.split('/').slice(1)) {
    regex += '/';
    const label = /^\{([^}]+?)(\+)?\}$/.exec(segment);
    if (label) {
      labels.push({ name: label[1], greedy: !!label[2] });
      if (label[2]) greedyLabels++;
      regex += label[2] ? '(.+)' : '([^/]+)';
    } else if (segment !== '') {
      literalSegments++;
      // a literal segment may still embed a label ("{Name}.json" is not used by AWS models we load)
      regex += escapeRegExp(segment);
    }
  }
  // Clients differ on a trailing slash after a non-greedy template ("/bucket/" vs "/bucket").
  const pattern = pathPart === '/' ? /^\/$/ : new RegExp(`^${regex.replace(/\/$/, '')}/?$`);
  const queryLiterals: Route['queryLiterals'] = [];
  for (const pair of queryPart.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    queryLiterals.push(eq < 0 ? [pair, undefined] : [pair.slice(0, eq), pair.slice(eq + 1)]);
  }
  const requiredBindings: Route['requiredBindings'] = [];
  const input = op.input ? model.shapes[op.input.shape] : undefined;
  for (const name of input?.required ?? []) {
    const ref = input?.members?.[name];
    if (ref?.location === 'querystring' || ref?.location === 'header') {
      requiredBindings.push({ location: ref.location, name: (ref.locationName ?? name).toLowerCase() });
    }
  }
  return {
    operation: opName,
    method: op.http.method.toUpperCase(),
    pattern,
    labels,
    queryLiterals,
    literalSegments,
    greedyLabels,
    deprecated: op.deprecated === true,
    requiredBindings,
  };
}

// Indexed by method and by operation: every request looks its route up, and S3 has ~100 operations.
function routeTable(model: ServiceModel): RouteTable {
  let table = routeTables.get(model);
  if (!table) {
    table = { byMethod: new Map(), byOperation: new Map() };
    for (const [name, op] of Object.entries(model.operations)) {
      const route = compileRoute(model, name, op);
      const same = table.byMethod.get(route.method);
      if (same) same.push(route);
      else table.byMethod.set(route.method, [route]);
      table.byOperation.set(name, route);
    }
    routeTables.set(model, table);
  }
  return table;
}

export interface RouteOptions {
  /** operations a service prefers when routes tie exactly (S3: ListBuckets over ListDirectoryBuckets) */
  preferred?: ReadonlySet<string>;
}

/**
 * The most specific operation whose route matches: more required query literals, then more
 * literal path segments, then fewer greedy labels. Among operations sharing one route, the
 * one whose required querystring/header members are all present and most numerous wins
 * (PUT /{Bucket}/{Key+} with x-amz-copy-source and ?partNumber&uploadId is UploadPartCopy).
 * The AWS SDK for JavaScript adds `x-id=<Operation>` to some S3 requests; botocore's models
 * do not list it, so it only breaks ties here and is never required.
 */
export function resolveRoute(req: WireRequest, model: ServiceModel, opts: RouteOptions = {}): string | undefined {
  const method = req.method.toUpperCase();
  const query = parseQuery(req.rawQuery);
  const candidates: { route: Route; score: number[] }[] = [];
  for (const route of routeTable(model).byMethod.get(method) ?? []) {
    if (!route.pattern.test(req.rawPath)) continue;
    let literalsMatch = true;
    for (const [key, value] of route.queryLiterals) {
      const present = query.get(key);
      if (!present || (value !== undefined && !present.includes(value))) literalsMatch = false;
    }
    if (!literalsMatch) continue;
    let bindingsPresent = 0;
    let bindingsMissing = 0;
    for (const b of route.requiredBindings) {
      const present = b.location === 'header' ? req.headers[b.name] !== undefined : hasQueryKeyIgnoringCase(query, b.name);
      if (present) bindingsPresent++;
      else bindingsMissing++;
    }
    candidates.push({
      route,
      score: [
        route.queryLiterals.length,
        route.literalSegments,
        -route.greedyLabels,
        bindingsMissing === 0 ? 1 : 0,
        query.get('x-id')?.includes(route.operation) ? 1 : 0,
        bindingsPresent,
        route.deprecated ? 0 : 1,
        opts.preferred?.has(route.operation) ? 1 : 0,
      ],
    });
  }
  candidates.sort((a, b) => {
    for (let i = 0; i < a.score.length; i++) if (a.score[i] !== b.score[i]) return b.score[i] - a.score[i];
    return 0;
  });
  return candidates[0]?.route.operation;
}

function hasQueryKeyIgnoringCase(query: Map<string, string[]>, lowerName: string): boolean {
  for (const key of query.keys()) if (key.toLowerCase() === lowerName) return true;
  return false;
}

/** Values of the request's uri labels, percent-decoded (greedy labels keep their '/'). */
export function uriLabels(req: WireRequest, model: ServiceModel, operation: string, malformed: (detail: string) => ServiceError): Record<string, string> {
  const route = routeTable(model).byOperation.get(operation);
  const out: Record<string, string> = {};
  if (!route) return out;
  const m = route.pattern.exec(req.rawPath);
  if (!m) return out;
  route.labels.forEach((label, i) => {
    try {
      out[label.name] = decodeURIComponent(m[i + 1]);
    } catch {
      throw malformed(`could not percent-decode the path segment ${m[i + 1]}`);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------
// Query strings

function decodeQueryComponent(s: string): string {
  // Form-style '+' means space: the AWS SDKs always escape a literal '+' as %2B.
  const plusAsSpace = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plusAsSpace);
  } catch {
    return plusAsSpace;
  }
}

/** Query parameters in order; repeated keys keep every value; `?uploads` has the value ''. */
export function parseQuery(rawQuery: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryComponent(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryComponent(pair.slice(eq + 1));
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Scalars as text (headers, querystring, XML)

export type TimestampFormat = 'iso8601' | 'rfc822' | 'unixTimestamp';

export function formatTimestamp(value: unknown, format: TimestampFormat): string {
  const d = toDate(value);
  if (!d) return String(value);
  switch (format) {
    case 'rfc822':
      return d.toUTCString();
    case 'unixTimestamp':
      return String(d.getTime() / 1000);
    default:
      return d.toISOString();
  }
}

export function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value * 1000);
  if (typeof value === 'string') {
    const d = /^\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export function timestampFormatOf(ref: ShapeRef, shape: Shape, fallback: TimestampFormat): TimestampFormat {
  return (ref.timestampFormat as TimestampFormat | undefined) ?? shape.timestampFormat ?? fallback;
}

/**
 * Converts one textual value (a header, a query parameter, an XML text node) to the member's
 * type. Throws `bad(detail)` for a value the type cannot hold, so the client gets a 4xx.
 */
export function scalarFromText(text: string, ref: ShapeRef, shape: Shape, tsDefault: TimestampFormat, bad: (detail: string) => ServiceError): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      const t = text.trim();
      if (!/^[-+]?\d+$/.test(t)) throw bad(`'${text}' is not an integer`);
      return Number(t);
    }
    case 'float':
    case 'double': {
      const t = text.trim();
      const n = Number(t);
      if (t === '' || (Number.isNaN(n) && t !== 'NaN')) throw bad(`'${text}' is not a number`);
      return n;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t !== 'true' && t !== 'false') throw bad(`'${text}' is not a boolean`);
      return t === 'true';
    }
    case 'timestamp': {
      const format = timestampFormatOf(ref, shape, tsDefault);
      const t = text.trim();
      const d = format === 'unixTimestamp' || /^\d+(\.\d+)?$/.test(t) ? new Date(Number(t) * 1000) : new Date(t);
      if (Number.isNaN(d.getTime())) throw bad(`'${text}' is not a timestamp`);
      return d;
    }
    case 'blob':
      return Buffer.from(text, 'base64');
    default:
      return text;
  }
}

export function scalarToText(value: unknown, ref: ShapeRef, shape: Shape, tsDefault: TimestampFormat): string {
  switch (shape.type) {
    case 'timestamp':
      return formatTimestamp(value, timestampFormatOf(ref, shape, tsDefault));
    case 'blob':
      return Buffer.isBuffer(value) || value instanceof Uint8Array ? Buffer.from(value).toString('base64') : Buffer.from(String(value)).toString('base64');
    case 'float':
    case 'double':
      if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
      return String(value);
    default:
      if (value instanceof Date) return value.toISOString();
      return String(value);
  }
}

// ---------------------------------------------------------------------------------------
// Members bound to the URI, querystring and headers

export interface BindingHooks {
  /** error for a value that cannot be converted to its member's type */
  bad(detail: string): ServiceError;
  /** error for a path that cannot be percent-decoded (default: bad) */
  badUri?(detail: string): ServiceError;
}

/** True when the member is carried outside the body. */
export function isBound(ref: ShapeRef): boolean {
  return ref.location === 'uri' || ref.location === 'querystring' || ref.location === 'header' || ref.location === 'headers' || ref.location === 'statusCode';
}

/**
 * Reads the input members bound to the uri, querystring and headers. The body (payload or
 * document members) is the codec's own business.
 */
export function parseBoundMembers(req: WireRequest, model: ServiceModel, operation: string, input: Shape, hooks: BindingHooks): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const labels = uriLabels(req, model, operation, hooks.badUri ?? hooks.bad);
  const query = parseQuery(req.rawQuery);
  const claimedQueryKeys = new Set<string>();
  let queryMapMember: [string, ShapeRef] | undefined;
  for (const [name, ref] of Object.entries(input.members ?? {})) {
    const shape = model.shapes[ref.shape];
    const wireName = ref.locationName ?? name;
    switch (ref.location) {
      case 'uri':
        if (labels[wireName] !== undefined) out[name] = scalarFromText(labels[wireName], ref, shape, 'iso8601', hooks.bad);
        break;
      case 'querystring': {
        if (shape.type === 'map') {
          queryMapMember = [name, ref];
          break;
        }
        claimedQueryKeys.add(wireName);
        const values = query.get(wireName);
        if (!values) break;
        if (shape.type === 'list') {
          const memberRef = shape.member!;
          out[name] = values.map((v) => scalarFromText(v, memberRef, model.shapes[memberRef.shape], 'iso8601', hooks.bad));
        } else {
          out[name] = scalarFromText(values[0], ref, shape, 'iso8601', hooks.bad);
        }
        break;
      }
      case 'header': {
        const raw = req.headers[wireName.toLowerCase()];
        if (raw === undefined) break;
        out[name] = headerValue(raw, ref, shape, model, hooks);
        break;
      }
      case 'headers': {
        const prefix = wireName.toLowerCase();
        const map: Record<string, string> = {};
        let any = false;
        for (const [h, v] of Object.entries(req.headers)) {
          if (h.startsWith(prefix) && h.length > prefix.length) {
            map[h.slice(prefix.length)] = decodeRfc2047(v);
            any = true;
          }
        }
        if (any) out[name] = map;
        break;
      }
    }
  }
  // A querystring-bound map takes every parameter no other member claims (API Gateway-style
  // pass-through maps); its values are lists when the map's value shape is a list.
  if (queryMapMember) {
    const [name, ref] = queryMapMember;
    const valueShape = model.shapes[model.shapes[ref.shape].value!.shape];
    const map: Record<string, unknown> = {};
    for (const [k, vs] of query) if (!claimedQueryKeys.has(k)) map[k] = valueShape.type === 'list' ? vs : vs[0];
    if (Object.keys(map).length) out[name] = map;
  }
  return out;
}

function headerValue(raw: string, ref: ShapeRef, shape: Shape, model: ServiceModel, hooks: BindingHooks): unknown {
  if (shape.type === 'list') {
    const memberRef = shape.member!;
    const memberShape = model.shapes[memberRef.shape];
    // RFC 822 dates contain a comma of their own; pair the halves back up.
    const parts = raw.split(',').map((s) => s.trim());
    const items: string[] = [];
    if (memberShape.type === 'timestamp' && timestampFormatOf(memberRef, memberShape, 'rfc822') === 'rfc822') {
      for (let i = 0; i < parts.length; i += 2) items.push(`${parts[i]}, ${parts[i + 1] ?? ''}`.trim());
    } else {
      items.push(...parts.filter((p) => p !== ''));
    }
    return items.map((v) => scalarFromText(v, memberRef, memberShape, 'rfc822', hooks.bad));
  }
  if (ref.jsonvalue || shape.jsonvalue) {
    try {
      return JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
    } catch {
      throw hooks.bad(`header ${ref.locationName} is not base64-encoded JSON`);
    }
  }
  return scalarFromText(raw, ref, shape, 'rfc822', hooks.bad);
}

/** `=?UTF-8?B?...?=` (RFC 2047), as S3 sends and accepts non-ASCII user metadata. */
function decodeRfc2047(v: string): string {
  const m = /^=\?utf-8\?([bq])\?(.*)\?=$/i.exec(v);
  if (!m) return v;
  if (m[1].toLowerCase() === 'b') return Buffer.from(m[2], 'base64').toString('utf8');
  return Buffer.from(m[2].replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}

function encodeHeaderText(v: string): string {
  // Node refuses header values outside latin-1 and clients mangle anything but printable ASCII.
  return /^[\x20-\x7e\t]*$/.test(v) ? v : `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

/**
 * Output members bound to headers and the status code. Returns the status the output asks
 * for (Lambda Invoke's StatusCode), if any.
 */
export function serializeBoundMembers(output: Record<string, unknown>, shape: Shape, model: ServiceModel, headers: Record<string, string | string[]>): number | undefined {
  let status: number | undefined;
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const value = output[name];
    if (value === undefined || value === null) continue;
    const target = model.shapes[ref.shape];
    const wireName = ref.locationName ?? name;
    switch (ref.location) {
      case 'statusCode':
        if (typeof value === 'number') status = value;
        break;
      case 'header':
        headers[wireName] = headerText(value, ref, target, model);
        break;
      case 'headers':
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (v !== undefined && v !== null) headers[`${wireName}${k}`] = encodeHeaderText(String(v));
        }
        break;
    }
  }
  return status;
}

function headerText(value: unknown, ref: ShapeRef, shape: Shape, model: ServiceModel): string {
  if (shape.type === 'list' && Array.isArray(value)) {
    const memberRef = shape.member!;
    const memberShape = model.shapes[memberRef.shape];
    return value.map((v) => scalarToText(v, memberRef, memberShape, 'rfc822')).join(', ');
  }
  if (ref.jsonvalue || shape.jsonvalue) return Buffer.from(JSON.stringify(value)).toString('base64');
  return encodeHeaderText(scalarToText(value, ref, shape, 'rfc822'));
}

/** The input/output structure of an operation, or an empty one. */
export function ioShape(model: ServiceModel, ref: ShapeRef | undefined): Shape {
  return ref ? model.shapes[ref.shape] : { type: 'structure', members: {} };
}

/** The payload member (name, ref, target shape), if the structure names one. */
export function payloadMember(shape: Shape, model: ServiceModel): { name: string; ref: ShapeRef; shape: Shape } | undefined {
  if (!shape.payload) return undefined;
  const ref = shape.members?.[shape.payload];
  if (!ref) return undefined;
  return { name: shape.payload, ref, shape: model.shapes[ref.shape] };
}

export function isStreamingPayload(model: ServiceModel, operation: string): boolean {
  const op = model.operations[operation];
  if (!op?.input) return false;
  const payload = payloadMember(model.shapes[op.input.shape], model);
  return !!payload && payload.shape.type === 'blob' && (payload.shape.streaming === true || payload.ref.streaming === true);
}

/** The members that go in the document body when there is no payload member. */
export function bodyMembers(shape: Shape): [string, ShapeRef][] {
  return Object.entries(shape.members ?? {}).filter(([, ref]) => !isBound(ref));
}

// ---------------------------------------------------------------------------------------
// Event streams (application/vnd.amazon.eventstream): Lambda InvokeWithResponseStream

/**
 * Frames events as the AWS event stream binary format: per message a prelude (total length,
 * headers length, CRC32 of both), headers (`:message-type`, `:event-type`, `:content-type`,
 * all strings), the payload and a CRC32 of the whole message. An event member that is an
 * `eventpayload` blob is sent as raw bytes; any other event is sent as the document the
 * codec renders (`renderEvent`). `events` is the payload member's value: a list of
 * single-member objects such as `{ PayloadChunk: { Payload } }`.
 */
export function encodeEventStream(
  events: Iterable<Record<string, unknown>>,
  streamShape: Shape,
  model: ServiceModel,
  renderEvent: (value: Record<string, unknown>, ref: ShapeRef) => { body: Buffer; contentType: string },
): Buffer {
  const messages: Buffer[] = [];
  for (const event of events) {
    for (const [eventType, value] of Object.entries(event)) {
      const ref = streamShape.members?.[eventType];
      if (!ref || value === undefined || value === null) continue;
      const eventShape = model.shapes[ref.shape];
      const payloadMember = Object.entries(eventShape.members ?? {}).find(([, r]) => r.eventpayload);
      let body: Buffer;
      let contentType: string;
      if (payloadMember && model.shapes[payloadMember[1].shape].type === 'blob') {
        const raw = (value as Record<string, unknown>)[payloadMember[0]];
        body = Buffer.isBuffer(raw) ? raw : raw instanceof Uint8Array ? Buffer.from(raw) : Buffer.from(raw === undefined ? '' : String(raw));
        contentType = 'application/octet-stream';
      } else {
        ({ body, contentType } = renderEvent(value as Record<string, unknown>, ref));
      }
      messages.push(eventMessage({ ':event-type': eventType, ':content-type': contentType, ':message-type': 'event' }, body));
    }
  }
  return Buffer.concat(messages);
}

function eventMessage(headers: Record<string, string>, payload: Buffer): Buffer {
  const headerParts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    const h = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    h.writeUInt8(n.length, 0);
    n.copy(h, 1);
    h.writeUInt8(7, 1 + n.length); // 7 = string
    h.writeUInt16BE(v.length, 2 + n.length);
    v.copy(h, 4 + n.length);
    headerParts.push(h);
  }
  const headerBytes = Buffer.concat(headerParts);
  const total = 12 + headerBytes.length + payload.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(zlib.crc32(prelude.subarray(0, 8)), 8);
  const withoutCrc = Buffer.concat([prelude, headerBytes, payload]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(withoutCrc), 0);
  return Buffer.concat([withoutCrc, crc]);
}
