// The rest-xml wire protocol (S3): operation from method + path + subresource query keys,
// members from the uri, querystring, headers and an XML document (or a raw, possibly
// streamed payload); responses the same way. Driven by the model; what S3 does beyond what
// botocore's model can say lives in the S3 quirks section below, each with its reason.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ServiceError } from '../core/errors.js';
import type { RequestContext } from '../core/context.js';
import type { ServiceModel, Shape, ShapeRef } from '../core/model.js';
import type { Codec, WireRequest, WireResponse } from './types.js';
import { element, escapeXmlText } from './xml.js';
import { toPathStyle } from './s3-addressing.js';
import {
  bodyMembers,
  ioShape,
  isStreamingPayload,
  parseBoundMembers,
  payloadMember,
  resolveRoute,
  scalarFromText,
  serializeBoundMembers,
  toDate,
  type RouteOptions,
} from './rest-common.js';

// ---------------------------------------------------------------------------------------
// Quirks

interface RestXmlQuirks {
  /** namespace of response documents when the model gives none */
  xmlns?: string;
  /**
   * Root element names of output documents. botocore's models drop Smithy's @xmlName on
   * output structures (ListObjectsV2Output is sent as <ListBucketResult>), so they are listed
   * here from the S3 API reference. Shapes not listed use their own name.
   */
  rootNames: Record<string, string>;
  /** outputs sent as a single text element rather than a structure */
  textRoots: Record<string, string>;
  route: RouteOptions;
  rewrite(req: WireRequest): WireRequest;
  unknownOperation(req: WireRequest): ServiceError;
  malformedXml(): ServiceError;
  badValue(detail: string): ServiceError;
  badUri?(detail: string): ServiceError;
  /** the error document; undefined -> the generic <ErrorResponse> */
  errorXml?(err: ServiceError, ctx: RequestContext): string;
  /** adjusts parsed input (S3's aws-chunked uploads) */
  afterParse?(input: Record<string, unknown>, req: WireRequest, payloadName: string | undefined): void;
  /** Content-Type of a blob payload response that names none */
  defaultBlobContentType: string;
  /** a status the model cannot express */
  statusFor?(operation: string, output: Record<string, unknown>): number | undefined;
}

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const S3_NO_CONTENT = new Set(['PutBucketTagging', 'PutBucketPolicy']);

const S3_QUIRKS: RestXmlQuirks = {
  // S3's documents carry this namespace; the model only puts it on request payload members.
  xmlns: S3_NS,
  rootNames: {
    ListBucketsOutput: 'ListAllMyBucketsResult',
    ListObjectsOutput: 'ListBucketResult',
    ListObjectsV2Output: 'ListBucketResult',
    ListObjectVersionsOutput: 'ListVersionsResult',
    ListMultipartUploadsOutput: 'ListMultipartUploadsResult',
    ListPartsOutput: 'ListPartsResult',
    CreateMultipartUploadOutput: 'InitiateMultipartUploadResult',
    CompleteMultipartUploadOutput: 'CompleteMultipartUploadResult',
    DeleteObjectsOutput: 'DeleteResult',
    GetObjectTaggingOutput: 'Tagging',
    GetBucketTaggingOutput: 'Tagging',
    GetBucketVersioningOutput: 'VersioningConfiguration',
    GetBucketAclOutput: 'AccessControlPolicy',
    GetObjectAclOutput: 'AccessControlPolicy',
    GetBucketCorsOutput: 'CORSConfiguration',
    GetBucketLifecycleConfigurationOutput: 'LifecycleConfiguration',
    GetBucketWebsiteOutput: 'WebsiteConfiguration',
    GetBucketLoggingOutput: 'BucketLoggingStatus',
    GetBucketRequestPaymentOutput: 'RequestPaymentConfiguration',
    GetBucketAccelerateConfigurationOutput: 'AccelerateConfiguration',
    GetObjectAttributesOutput: 'GetObjectAttributesResponse',
    ListBucketAnalyticsConfigurationsOutput: 'ListBucketAnalyticsConfigurationResult',
    ListBucketMetricsConfigurationsOutput: 'ListMetricsConfigurationsResult',
    ListBucketInventoryConfigurationsOutput: 'ListInventoryConfigurationsResult',
    ListBucketIntelligentTieringConfigurationsOutput: 'ListBucketIntelligentTieringConfigurationsOutput',
    ListDirectoryBucketsOutput: 'ListAllMyDirectoryBucketsResult',
  },
  // GetBucketLocation answers `<LocationConstraint xmlns="...">eu-west-1</LocationConstraint>`
  // (an empty element for us-east-1); the SDKs special-case it on their side.
  textRoots: { GetBucketLocation: 'LocationConstraint' },
  // ListDirectoryBuckets shares `GET /` with ListBuckets but serves S3 Express only.
  route: { preferred: new Set(['ListBuckets']) },
  rewrite: toPathStyle,
  unknownOperation(req) {
    const path = req.rawPath.split('/').filter(Boolean);
    const resourceType = path.length === 0 ? 'SERVICE' : path.length === 1 ? 'BUCKET' : 'OBJECT';
    return new ServiceError('MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      status: 405,
      fields: { Method: req.method.toUpperCase(), ResourceType: resourceType },
    });
  },
  malformedXml: () => new ServiceError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 }),
  badValue: (detail) => new ServiceError('InvalidArgument', detail, { status: 400 }),
  badUri: () => new ServiceError('InvalidURI', "Couldn't parse the specified URI.", { status: 400 }),
  errorXml(err, ctx) {
    // S3's own error document (no <ErrorResponse> wrapper), with the error's extra members
    // (Key, BucketName, Method...) between Message and RequestId, as S3 orders them.
    let inner = element('Code', escapeXmlText(s3ErrorCode(err.code))) + element('Message', escapeXmlText(err.message));
    for (const [k, v] of Object.entries(err.fields)) if (v !== undefined && v !== null) inner += element(k, escapeXmlText(v instanceof Date ? isoMillis(v) : String(v)));
    inner += element('RequestId', escapeXmlText(s3RequestId(ctx.requestId))) + element('HostId', escapeXmlText(s3HostId(ctx.requestId)));
    return `<?xml version="1.0" encoding="UTF-8"?>\n${element('Error', inner)}`;
  },
  afterParse: decodeAwsChunked,
  // S3 stores objects uploaded without a Content-Type as binary/octet-stream.
  defaultBlobContentType: 'binary/octet-stream',
  // A ranged GET answers 206 Partial Content (RFC 9110; the S3 GetObject reference), which
  // botocore's model has no member for: the provider says so by setting ContentRange.
  // PutBucketTagging and PutBucketPolicy answer 204 No Content on S3 (their API reference
  // samples), where the model gives no responseCode.
  statusFor: (operation, output) =>
    operation === 'GetObject' && typeof output.ContentRange === 'string' ? 206 : S3_NO_CONTENT.has(operation) ? 204 : undefined,
};

/** Nimbus's internal failure code in S3's vocabulary. */
function s3ErrorCode(code: string): string {
  return code === 'InternalFailure' ? 'InternalError' : code;
}

/** S3 request ids are 16 upper-case hex characters (the pipeline sends the same in x-amz-request-id). */
function s3RequestId(requestId: string): string {
  return requestId.replace(/-/g, '').slice(0, 16).toUpperCase();
}

function s3HostId(requestId: string): string {
  return Buffer.from(requestId).toString('base64');
}

const genericQuirks: RestXmlQuirks = {
  rootNames: {},
  textRoots: {},
  route: {},
  rewrite: (req) => req,
  unknownOperation: (req) => new ServiceError('UnknownOperationException', `No operation matches ${req.method} ${req.rawPath}`, { status: 404 }),
  malformedXml: () => new ServiceError('MalformedXML', 'The XML you provided was not well-formed.', { status: 400 }),
  badValue: (detail) => new ServiceError('InvalidParameterValue', detail, { status: 400 }),
  defaultBlobContentType: 'application/octet-stream',
};

function quirksOf(model: ServiceModel): RestXmlQuirks {
  return model.metadata.serviceId === 'S3' ? S3_QUIRKS : genericQuirks;
}

// ---------------------------------------------------------------------------------------
// aws-chunked uploads (S3)
//
// SigV4 streaming uploads (`x-amz-content-sha256: STREAMING-...`) and the SDKs' trailing
// checksums (`Content-Encoding: aws-chunked`, `x-amz-trailer: x-amz-checksum-crc32`) frame the
// object as `<hex size>[;chunk-signature=...]\r\n<bytes>\r\n ... 0...\r\n<trailers>\r\n\r\n`.
// S3 stores the decoded bytes, reports `x-amz-decoded-content-length` as the object's size
// and drops `aws-chunked` from the stored Content-Encoding ("Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks", S3 API reference).

function isAwsChunked(req: WireRequest): boolean {
  const enc = req.headers['content-encoding'] ?? '';
  const sha = req.headers['x-amz-content-sha256'] ?? '';
  return /(^|,)\s*aws-chunked\s*(,|$)/i.test(enc) || sha.startsWith('STREAMING-');
}

function decodeAwsChunked(input: Record<string, unknown>, req: WireRequest, payloadName: string | undefined): void {
  if (!isAwsChunked(req)) return;
  if (typeof input.ContentEncoding === 'string') {
    const rest = input.ContentEncoding.split(',').map((s) => s.trim()).filter((s) => s && s.toLowerCase() !== 'aws-chunked');
    if (rest.length) input.ContentEncoding = rest.join(',');
    else delete input.ContentEncoding;
  }
  const decoded = req.headers['x-amz-decoded-content-length'];
  if (decoded !== undefined && /^\d+$/.test(decoded)) input.ContentLength = Number(decoded);
  if (!payloadName) return;
  const body = input[payloadName];
  if (Buffer.isBuffer(body)) input[payloadName] = decodeChunkedBuffer(body);
  else if (body && typeof (body as Readable).pipe === 'function') input[payloadName] = (body as Readable).pipe(new AwsChunkedDecoder());
}

function decodeChunkedBuffer(buf: Buffer): Buffer {
  const out: Buffer[] = [];
  const decoder = new AwsChunkedDecoder();
  decoder.on('data', (c: Buffer) => out.push(c));
  let failed: Error | undefined;
  decoder.on('error', (e) => (failed = e));
  decoder.end(buf);
  if (failed) throw new ServiceError('IncompleteBody', 'The request body is not valid aws-chunked encoding.', { status: 400 });
  return Buffer.concat(out);
}

/**
 * Decodes an aws-chunked body. The trailing headers (the SDKs' `x-amz-checksum-<algo>`) are
 * kept, lower-cased, on `trailers`, complete before the stream ends, for the provider to check.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private state: 'size' | 'data' | 'crlf' | 'done' = 'size';

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      this.drain();
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.state !== 'done') {
      cb(new ServiceError('IncompleteBody', 'The aws-chunked body ended before its final chunk.', { status: 400 }));
      return;
    }
    this.readTrailers(true);
    cb();
  }

  private readTrailers(final: boolean): void {
    for (;;) {
      const eol = this.pending.indexOf('\r\n');
      if (eol < 0 && !final) return;
      const line = (eol < 0 ? this.pending : this.pending.subarray(0, eol)).toString('latin1');
      this.pending = eol < 0 ? Buffer.alloc(0) : this.pending.subarray(eol + 2);
      const colon = line.indexOf(':');
      if (colon > 0) this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      if (eol < 0 || this.pending.length === 0) return;
    }
  }

  private drain(): void {
    for (;;) {
      if (this.state === 'done') {
        if (this.pending.length > 64 * 1024) throw new Error('aws-chunked trailers too long');
        this.readTrailers(false);
        return;
      }
      if (this.state === 'size') {
        const eol = this.pending.indexOf('\r\n');
        if (eol < 0) {
          if (this.pending.length > 4096) throw new Error('aws-chunked size line too long');
          return;
        }
        const line = this.pending.subarray(0, eol).toString('latin1');
        const size = parseInt(line.split(';')[0].trim(), 16);
        if (!Number.isFinite(size) || size < 0) throw new Error(`bad aws-chunked size line '${line}'`);
        this.pending = this.pending.subarray(eol + 2);
        if (size === 0) this.state = 'done';
        else {
          this.remaining = size;
          this.state = 'data';
        }
      } else if (this.state === 'data') {
        if (this.pending.length === 0) return;
        const take = Math.min(this.remaining, this.pending.length);
        this.push(this.pending.subarray(0, take));
        this.pending = this.pending.subarray(take);
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'crlf';
      } else {
        if (this.pending.length < 2) return;
        this.pending = this.pending.subarray(2);
        this.state = 'size';
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// XML documents -> members

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  // object keys may begin or end with spaces: text is kept exactly as sent
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (_name: string, _jpath: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

type XmlNode = Record<string, unknown> | string;

/** The document's root element (name, content), or throws MalformedXML. */
function parseDocument(body: Buffer, quirks: RestXmlQuirks): { name: string; node: XmlNode } {
  const text = body.toString('utf8');
  if (XMLValidator.validate(text) !== true) throw quirks.malformedXml();
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text) as Record<string, unknown>;
  } catch {
    throw quirks.malformedXml();
  }
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?') && k !== '#text');
  if (roots.length !== 1) throw quirks.malformedXml();
  const nodes = doc[roots[0]] as XmlNode[];
  if (!Array.isArray(nodes) || nodes.length !== 1) throw quirks.malformedXml();
  return { name: roots[0], node: nodes[0] };
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon >= 0 ? name.slice(colon + 1) : name;
}

function children(node: XmlNode, name: string): XmlNode[] {
  if (typeof node !== 'object' || node === null) return [];
  const v = node[localName(name)];
  return Array.isArray(v) ? (v as XmlNode[]) : [];
}

function textOf(node: XmlNode): string {
  if (typeof node === 'string') return node;
  const t = node['#text'];
  return typeof t === 'string' ? t : Array.isArray(t) ? t.join('') : '';
}

function isFlattened(ref: ShapeRef, shape: Shape): boolean {
  return Boolean(ref.flattened ?? shape.flattened);
}

function fromXml(node: XmlNode, ref: ShapeRef, model: ServiceModel, bad: (d: string) => ServiceError): unknown {
  const shape = model.shapes[ref.shape];
  switch (shape.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [name, mref] of Object.entries(shape.members ?? {})) {
        const v = memberFromXml(node, name, mref, model, bad);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list': {
      const itemName = shape.member!.locationName ?? 'member';
      return children(node, itemName).map((n) => fromXml(n, shape.member!, model, bad));
    }
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const entry of children(node, 'entry')) mapEntry(entry, shape, model, bad, out);
      return out;
    }
    default:
      return scalarFromText(textOf(node), ref, shape, 'iso8601', bad);
  }
}

function mapEntry(entry: XmlNode, shape: Shape, model: ServiceModel, bad: (d: string) => ServiceError, out: Record<string, unknown>): void {
  const k = children(entry, shape.key!.locationName ?? 'key')[0];
  const v = children(entry, shape.value!.locationName ?? 'value')[0];
  if (k !== undefined) out[textOf(k)] = v === undefined ? undefined : fromXml(v, shape.value!, model, bad);
}

function memberFromXml(parent: XmlNode, name: string, ref: ShapeRef, model: ServiceModel, bad: (d: string) => ServiceError): unknown {
  const shape = model.shapes[ref.shape];
  const wireName = ref.locationName ?? name;
  if (ref.xmlAttribute) {
    if (typeof parent !== 'object') return undefined;
    const v = parent[`@_${localName(wireName)}`];
    return typeof v === 'string' ? scalarFromText(v, ref, shape, 'iso8601', bad) : undefined;
  }
  if (shape.type === 'list' && isFlattened(ref, shape)) {
    const items = children(parent, shape.member!.locationName ?? wireName);
    return items.length ? items.map((n) => fromXml(n, shape.member!, model, bad)) : undefined;
  }
  if (shape.type === 'map' && isFlattened(ref, shape)) {
    const entries = children(parent, wireName);
    if (!entries.length) return undefined;
    const out: Record<string, unknown> = {};
    for (const e of entries) mapEntry(e, shape, model, bad, out);
    return out;
  }
  const node = children(parent, wireName)[0];
  return node === undefined ? undefined : fromXml(node, ref, model, bad);
}

// ---------------------------------------------------------------------------------------
// members -> XML documents

/** S3 writes body timestamps as ISO 8601 with milliseconds: 2026-01-01T00:00:00.000Z. */
function isoMillis(d: Date): string {
  return d.toISOString();
}

function scalarXml(value: unknown, ref: ShapeRef, shape: Shape): string | undefined {
  if (value === undefined || value === null) return undefined;
  switch (shape.type) {
    case 'timestamp': {
      const d = toDate(value);
      if (!d) return String(value);
      const format = (ref.timestampFormat as string | undefined) ?? shape.timestampFormat;
      if (format === 'rfc822') return d.toUTCString();
      if (format === 'unixTimestamp') return String(d.getTime() / 1000);
      return isoMillis(d);
    }
    case 'blob':
      return Buffer.isBuffer(value) || value instanceof Uint8Array ? Buffer.from(value).toString('base64') : String(value);
    case 'float':
    case 'double':
      if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
      return String(value);
    default:
      return value instanceof Date ? isoMillis(value) : String(value);
  }
}

function namespaceAttrs(ns: ShapeRef['xmlNamespace'] | undefined): Record<string, string> {
  if (!ns) return {};
  return { [ns.prefix ? `xmlns:${ns.prefix}` : 'xmlns']: ns.uri };
}

/** The children of a structure element, and the attributes its xmlAttribute members put on it. */
function structureXml(value: Record<string, unknown>, shape: Shape, model: ServiceModel): { inner: string; attrs: Record<string, string> } {
  let inner = '';
  const attrs: Record<string, string> = {};
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    if (ref.location) continue; // bound to headers/uri/status, not the document
    const v = value[name];
    if (v === undefined || v === null) continue;
    if (ref.xmlAttribute) {
      const text = scalarXml(v, ref, model.shapes[ref.shape]);
      if (text !== undefined) attrs[ref.locationName ?? name] = text;
      continue;
    }
    inner += memberXml(name, ref, v, model);
  }
  return { inner, attrs };
}

function memberXml(name: string, ref: ShapeRef, value: unknown, model: ServiceModel): string {
  const shape = model.shapes[ref.shape];
  const wireName = ref.locationName ?? name;
  const ns = namespaceAttrs(ref.xmlNamespace ?? shape.xmlNamespace);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object') return '';
      const { inner, attrs } = structureXml(value as Record<string, unknown>, shape, model);
      return element(wireName, inner, { ...ns, ...attrs });
    }
    case 'list': {
      if (!Array.isArray(value)) return '';
      const itemRef = shape.member!;
      if (isFlattened(ref, shape)) {
        const itemName = itemRef.locationName ?? wireName;
        return value.map((v) => (v === undefined || v === null ? '' : memberXml(itemName, { ...itemRef, locationName: itemName }, v, model))).join('');
      }
      const itemName = itemRef.locationName ?? 'member';
      return element(wireName, value.map((v) => (v === undefined || v === null ? '' : memberXml(itemName, { ...itemRef, locationName: itemName }, v, model))).join(''), ns);
    }
    case 'map': {
      if (typeof value !== 'object') return '';
      const keyName = shape.key!.locationName ?? 'key';
      const valueName = shape.value!.locationName ?? 'value';
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => memberXml(keyName, { ...shape.key!, locationName: keyName }, k, model) + memberXml(valueName, { ...shape.value!, locationName: valueName }, v, model));
      if (isFlattened(ref, shape)) return entries.map((e) => element(wireName, e)).join('');
      return element(wireName, entries.map((e) => element('entry', e)).join(''), ns);
    }
    default: {
      const text = scalarXml(value, ref, shape);
      return text === undefined ? '' : element(wireName, escapeXmlText(text), ns);
    }
  }
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

function document(rootName: string, value: Record<string, unknown>, shape: Shape, model: ServiceModel, ns: Record<string, string>): string {
  const { inner, attrs } = structureXml(value, shape, model);
  return XML_DECLARATION + element(rootName, inner, { ...ns, ...attrs });
}

// ---------------------------------------------------------------------------------------
// The codec

export const restXmlCodec: Codec = {
  name: 'rest-xml',

  resolveOperation(req: WireRequest, model: ServiceModel): string | undefined {
    const quirks = quirksOf(model);
    return resolveRoute(quirks.rewrite(req), model, quirks.route);
  },

  hasStreamingInput(model: ServiceModel, operation: string): boolean {
    return isStreamingPayload(model, operation);
  },

  unknownOperationError(req: WireRequest, model: ServiceModel): ServiceError {
    const quirks = quirksOf(model);
    return quirks.unknownOperation(quirks.rewrite(req));
  },

  parse(rawReq: WireRequest, model: ServiceModel, operation: string): Record<string, unknown> {
    const quirks = quirksOf(model);
    const req = quirks.rewrite(rawReq);
    const op = model.operations[operation];
    const input = ioShape(model, op?.input);
    const out = parseBoundMembers(req, model, operation, input, { bad: quirks.badValue, badUri: quirks.badUri });
    const payload = payloadMember(input, model);
    if (payload) {
      if (payload.shape.type === 'blob') {
        if (req.stream && isStreamingPayload(model, operation)) out[payload.name] = req.stream;
        else if (req.body.length > 0 || isStreamingPayload(model, operation)) out[payload.name] = req.body;
      } else if (payload.shape.type === 'string') {
        if (req.body.length > 0) out[payload.name] = req.body.toString('utf8');
      } else if (req.body.length > 0) {
        const { node } = parseDocument(req.body, quirks);
        out[payload.name] = fromXml(node, payload.ref, model, quirks.badValue);
      }
    } else if (bodyMembers(input).length > 0 && req.body.length > 0) {
      const { node } = parseDocument(req.body, quirks);
      const doc = fromXml(node, op!.input!, model, quirks.badValue) as Record<string, unknown>;
      for (const [name] of bodyMembers(input)) if (doc[name] !== undefined) out[name] = doc[name];
    }
    quirks.afterParse?.(out, req, payload?.shape.type === 'blob' ? payload.name : undefined);
    return out;
  },

  serialize(output: unknown, model: ServiceModel, operation: string): WireResponse {
    const quirks = quirksOf(model);
    const op = model.operations[operation];
    const shape = ioShape(model, op?.output);
    const values = (output ?? {}) as Record<string, unknown>;
    const headers: Record<string, string | string[]> = {};
    const status = serializeBoundMembers(values, shape, model, headers) ?? quirks.statusFor?.(operation, values) ?? op?.http.responseCode ?? 200;
    const docNs: Record<string, string> = quirks.xmlns ? { xmlns: quirks.xmlns } : {};
    const textRoot = quirks.textRoots[operation];
    if (textRoot) {
      const member = Object.entries(shape.members ?? {}).find(([, r]) => !r.location);
      const text = member ? scalarXml(values[member[0]], member[1], model.shapes[member[1].shape]) : undefined;
      headers['Content-Type'] = 'application/xml';
      return { status, headers, body: XML_DECLARATION + element(textRoot, text === undefined ? '' : escapeXmlText(text), docNs) };
    }
    const payload = payloadMember(shape, model);
    if (payload) {
      const v = values[payload.name];
      if (v === undefined || v === null) return { status, headers };
      if (payload.shape.type === 'blob' || payload.shape.type === 'string') {
        if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = quirks.defaultBlobContentType;
        return { status, headers, body: typeof v === 'string' || Buffer.isBuffer(v) ? v : v instanceof Uint8Array ? Buffer.from(v) : (v as WireResponse['body']) };
      }
      const rootName = payload.ref.locationName ?? payload.shape.locationName ?? payload.ref.shape;
      const ns = payload.ref.xmlNamespace ?? payload.shape.xmlNamespace ? namespaceAttrs(payload.ref.xmlNamespace ?? payload.shape.xmlNamespace) : docNs;
      headers['Content-Type'] = 'application/xml';
      return { status, headers, body: document(rootName, v as Record<string, unknown>, payload.shape, model, ns) };
    }
    if (bodyMembers(shape).length === 0 || status === 204 || !op?.output) return { status, headers };
    const shapeName = op.output.shape;
    const rootName = quirks.rootNames[shapeName] ?? op.output.locationName ?? shape.locationName ?? shapeName;
    headers['Content-Type'] = 'application/xml';
    return { status, headers, body: document(rootName, values, shape, model, docNs) };
  },

  serializeError(err: ServiceError, model: ServiceModel, ctx: RequestContext): WireResponse {
    const quirks = quirksOf(model);
    const headers: Record<string, string | string[]> = { ...err.headers };
    const method = ctx.operation ? model.operations[ctx.operation]?.http.method : undefined;
    // HEAD responses have no body: the SDKs name the error after the status (404 -> NotFound).
    if (method === 'HEAD') return { status: err.status, headers };
    headers['Content-Type'] = 'application/xml';
    if (quirks.errorXml) return { status: err.status, headers, body: quirks.errorXml(err, ctx) };
    let fields = '';
    for (const [k, v] of Object.entries(err.fields)) if (v !== undefined && v !== null) fields += element(k, escapeXmlText(String(v)));
    const inner =
      element('Error', element('Type', err.senderFault ? 'Sender' : 'Receiver') + element('Code', escapeXmlText(err.code)) + element('Message', escapeXmlText(err.message)) + fields) +
      element('RequestId', escapeXmlText(ctx.requestId));
    return { status: err.status, headers, body: XML_DECLARATION + element('ErrorResponse', inner) };
  },
};

