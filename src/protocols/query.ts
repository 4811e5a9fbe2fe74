// AWS query (SNS, STS, IAM, and SQS's legacy protocol): `Action`, `Version` and the input as
// form parameters (POST body, or the query string of a GET: SNS SubscribeURLs, curl), answered
// with XML `<OpResponse><OpResult>...</OpResult><ResponseMetadata/></OpResponse>`.
// Parameter names follow the model's serialization as botocore writes them: structures `A.B`,
// lists `A.member.N` (or `A.N` when flattened, named after the list member's locationName), maps
// `A.entry.N.key/value` (or `A.N.key/value` when flattened), each name from locationName when set.
import { ServiceError } from '../core/errors.js';
import type { ServiceModel } from '../core/model.js';
import type { RequestContext } from '../core/context.js';
import type { Codec, WireRequest, WireResponse } from './types.js';
import { decodeBase64, findErrorShape, isFlattened, isPlainObject, locationName, member, setKey, type Member } from './shapes.js';
import { parseTimestamp } from './timestamps.js';
import { element, escapeXmlText, memberXml, structureXml, textElement } from './xml.js';

/**
 * Where one service departs from the generic protocol. Keyed by metadata.serviceId.
 * - SQS: error documents carry an empty `<Detail/>` in `<Error>` (seen in real SQS responses,
 *   e.g. aws/aws-sdk-js-v3#4597, where the SDK surfaces `Error.Detail: ""`).
 * - SQS: legacy clients (boto2, old SDKs) POST to the queue URL itself and leave QueueUrl out of
 *   the parameters; SQS takes the queue from the path (documented for the query API: "the queue
 *   URL is the endpoint of the request").
 */
const QUIRKS: Record<string, { errorDetail?: boolean; queueUrlFromPath?: boolean }> = {
  SQS: { errorDetail: true, queueUrlFromPath: true },
};

interface ParamNode {
  value?: string;
  children: Map<string, ParamNode>;
}

function paramTree(params: URLSearchParams): ParamNode {
  const root: ParamNode = { children: new Map() };
  for (const [key, value] of params) {
    let node = root;
    for (const part of key.split('.')) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, (next = { children: new Map() }));
      node = next;
    }
    node.value = value;
  }
  return root;
}

const parsedParams = new WeakMap<WireRequest, URLSearchParams>();

/**
 * The request's parameters: the query string, then the form body (which wins on a repeat).
 * Read once per request (resolveOperation and parse both need them), after the body is read.
 */
export function queryParams(req: WireRequest): URLSearchParams {
  let params = parsedParams.get(req);
  if (params) return params;
  params = new URLSearchParams(req.rawQuery);
  if (req.body.length > 0) {
    for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.set(k, v);
  }
  parsedParams.set(req, params);
  return params;
}

function invalidParameter(wireName: string, value: string): ServiceError {
  return new ServiceError('InvalidParameterValue', `Value (${value}) for parameter ${wireName} is invalid.`, { status: 400 });
}

/** Numbered children (`.1`, `.2`, ...) in numeric order. */
function numbered(node: ParamNode | undefined): [string, ParamNode][] {
  if (!node) return [];
  return [...node.children.entries()].filter(([k]) => /^\d+$/.test(k)).sort((a, b) => Number(a[0]) - Number(b[0]));
}

/**
 * Reads list items or map entries. The model says whether they hang directly off the member
 * (flattened) or under a wrapper (`member`, `entry`); both spellings are accepted, because the
 * clients disagree (the JS SDK v3 and botocore name flattened SQS lists differently) and AWS
 * accepts both.
 */
function items(node: ParamNode, flattened: boolean, wrapper: string): [string, ParamNode][] {
  const direct = numbered(node);
  const wrapped = numbered(node.children.get(wrapper));
  if (flattened) return direct.length > 0 ? direct : wrapped;
  return wrapped.length > 0 ? wrapped : direct;
}

function readQueryValue(model: ServiceModel, m: Member, node: ParamNode | undefined, wireName: string): unknown {
  if (!node) return undefined;
  switch (m.shape.type) {
    case 'structure':
      // `Name=` alone says nothing about a structure's members.
      return node.children.size === 0 ? undefined : readStructure(model, m, node, wireName);
    case 'list': {
      const itemMember = member(model, m.shape.member!);
      const wrapper = m.shape.member!.locationName ?? 'member';
      const found = items(node, isFlattened(m), wrapper);
      // `Name=` with no items is how the SDKs send an empty list.
      if (found.length === 0) return node.value !== undefined && node.children.size === 0 ? [] : undefined;
      return found.map(([i, n]) => readQueryValue(model, itemMember, n, `${wireName}.${i}`)).filter((v) => v !== undefined);
    }
    case 'map': {
      const keyName = m.shape.key!.locationName ?? 'key';
      const valueName = m.shape.value!.locationName ?? 'value';
      const valueMember = member(model, m.shape.value!);
      const found = items(node, isFlattened(m), 'entry');
      if (found.length === 0) return node.value !== undefined && node.children.size === 0 ? {} : undefined;
      const out: Record<string, unknown> = {};
      for (const [i, entry] of found) {
        const key = entry.children.get(keyName)?.value;
        if (key === undefined) continue;
        const value = readQueryValue(model, valueMember, entry.children.get(valueName), `${wireName}.${i}.${valueName}`);
        if (value !== undefined) setKey(out, key, value);
      }
      return out;
    }
    default: {
      const text = node.value;
      if (text === undefined) return undefined;
      return readScalar(m, text, wireName);
    }
  }
}

function readScalar(m: Member, text: string, wireName: string): unknown {
  switch (m.shape.type) {
    case 'integer':
    case 'long':
      // Not a number: passed on as the string, for input validation to report with the service's error.
      return /^[+-]?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
    case 'float':
    case 'double': {
      const t = text.trim();
      if (t === 'NaN') return NaN;
      if (t === 'Infinity') return Infinity;
      if (t === '-Infinity') return -Infinity;
      return t !== '' && Number.isFinite(Number(t)) ? Number(t) : text;
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      return t === 'true' ? true : t === 'false' ? false : text;
    }
    case 'timestamp': {
      const date = parseTimestamp(text);
      if (!date) throw invalidParameter(wireName, text);
      return date;
    }
    case 'blob': {
      const bytes = decodeBase64(text);
      if (!bytes) throw invalidParameter(wireName, text);
      return bytes;
    }
    default:
      return text;
  }
}

/**
 * The parameter name of each member, most specific first: for a flattened list botocore uses the
 * list member's locationName (SQS `AttributeName.1`), else the member's or shape's locationName,
 * then the plain member name. The plain name is also accepted where no other member claims it:
 * the JS SDK v3 ignores shape-level locationNames, and SQS documents both `Tag.N` and `Tags.N`
 * for TagQueue (model: member `Tags`, shape locationName `Tag`).
 */
function readStructure(model: ServiceModel, m: Member, node: ParamNode, wireName: string): Record<string, unknown> {
  const members = Object.entries(m.shape.members ?? {}).map(([name, ref]) => {
    const mm = member(model, ref);
    const names: string[] = [];
    if (mm.shape.type === 'list' && isFlattened(mm) && mm.shape.member!.locationName) names.push(mm.shape.member!.locationName);
    names.push(locationName(mm, name), name);
    return { name, m: mm, names: [...new Set(names)] };
  });
  const primary = new Set(members.map((x) => x.names[0]));
  const out: Record<string, unknown> = {};
  for (const { name, m: mm, names } of members) {
    for (const [i, candidate] of names.entries()) {
      if (i > 0 && primary.has(candidate)) continue;
      const child = node.children.get(candidate);
      if (!child) continue;
      const value = readQueryValue(model, mm, child, wireName ? `${wireName}.${candidate}` : candidate);
      if (value !== undefined) {
        out[name] = value;
        break;
      }
    }
  }
  return out;
}

function xmlResponse(status: number, ctx: RequestContext, body: string, extraHeaders: Record<string, string> = {}): WireResponse {
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': ctx.requestId, ...extraHeaders }, body };
}

export const queryCodec: Codec = {
  name: 'query',

  resolveOperation(req: WireRequest, model: ServiceModel): string | undefined {
    const action = queryParams(req).get('Action');
    if (!action) return undefined;
    return Object.prototype.hasOwnProperty.call(model.operations, action) ? action : undefined;
  },

  parse(req: WireRequest, model: ServiceModel, operation: string): Record<string, unknown> {
    const inputRef = model.operations[operation]?.input;
    if (!inputRef) return {};
    const input = readStructure(model, member(model, inputRef), paramTree(queryParams(req)), '');
    const quirks = QUIRKS[model.metadata.serviceId] ?? {};
    if (quirks.queueUrlFromPath && input.QueueUrl === undefined && model.shapes[inputRef.shape]?.members?.QueueUrl) {
      const path = req.rawPath.split('?')[0];
      if (path !== '/' && path !== '' && req.headers.host) {
        const scheme = req.headers['x-forwarded-proto']?.split(',')[0].trim() || 'http';
        input.QueueUrl = `${scheme}://${req.headers.host}${path}`;
      }
    }
    return input;
  },

  serialize(output: unknown, model: ServiceModel, operation: string, ctx: RequestContext): WireResponse {
    const op = model.operations[operation];
    let inner = '';
    if (op?.output) {
      const m = member(model, op.output);
      const { inner: result } = structureXml(model, m, isPlainObject(output) ? output : {});
      inner += element(op.output.resultWrapper ?? `${operation}Result`, result);
    }
    inner += element('ResponseMetadata', textElement('RequestId', ctx.requestId));
    return xmlResponse(200, ctx, element(`${operation}Response`, inner, { xmlns: model.metadata.xmlNamespace }));
  },

  serializeError(err: ServiceError, model: ServiceModel, ctx: RequestContext): WireResponse {
    const modeled = findErrorShape(model, err.code);
    // The wire code is the model's query code when it has one (SQS: AWS.SimpleQueueService.NonExistentQueue,
    // SNS: NotFound for NotFoundException), else the shape name.
    const code = modeled?.shape.error?.code ?? err.code;
    let inner = textElement('Type', err.senderFault ? 'Sender' : 'Receiver') + textElement('Code', code);
    if (err.message !== '') inner += textElement('Message', err.message);
    const members = modeled?.shape.members ?? {};
    for (const [name, value] of Object.entries(err.fields)) {
      if (value === undefined || value === null || name === 'message' || name === 'Message') continue;
      const ref = members[name];
      if (ref) inner += memberXml(model, member(model, ref), name, value);
      else if (typeof value !== 'object') inner += element(name, escapeXmlText(String(value)));
    }
    if (QUIRKS[model.metadata.serviceId]?.errorDetail) inner += '<Detail/>';
    const body = element('ErrorResponse', element('Error', inner) + textElement('RequestId', ctx.requestId), { xmlns: model.metadata.xmlNamespace });
    return xmlResponse(err.status, ctx, body, err.headers);
  },
};
