// XML writing shared by the XML-speaking codecs (query here; rest-xml may reuse it: it is written
// for both). Two parts: escaping, and the model-driven rendering of a value as elements, with the
// list/map/flattening rules that botocore's XML parser and the JS SDK's XmlShapeDeserializer read.
import type { ServiceModel, ShapeRef } from '../core/model.js';
import { formatTimestamp, parseTimestamp, type TimestampFormat } from './timestamps.js';
import { isFlattened, isPlainObject, locationName, member, timestampFormat, toBuffer, type Member } from './shapes.js';

/**
 * Escapes character data. Beyond & < >, two things matter to round trips:
 * - a raw CR would be turned into LF by every conforming XML parser (and by the SDK's), so it is
 *   written as &#xD; (SQS message bodies with CRLF come back byte for byte, as on AWS);
 * - other C0 control characters cannot appear raw in XML 1.0; they are written as character
 *   references, which the JS SDK and lenient parsers decode (strict XML 1.0 parsers reject them
 *   either way; SQS refuses such characters on input, so they only come from other services).
 */
export function escapeXmlText(text: string): string {
  return text.replace(/[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      default:
        return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

/** Escapes an attribute value (also quotes, and tabs/newlines that attribute normalisation would eat). */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text).replace(/["\n\t]/g, (c) => (c === '"' ? '&quot;' : `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`));
}

/** `<name attrs>inner</name>`, or `<name attrs/>` when inner is empty. Inner is already XML. */
export function element(name: string, inner: string, attributes: Record<string, string | undefined> = {}): string {
  let attrs = '';
  for (const [k, v] of Object.entries(attributes)) if (v !== undefined) attrs += ` ${k}="${escapeXmlAttribute(v)}"`;
  return inner === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${inner}</${name}>`;
}

export function textElement(name: string, text: string): string {
  return element(name, escapeXmlText(text));
}

export interface XmlWriteOptions {
  /** Timestamp format when neither member nor shape declares one (iso8601 for query and rest-xml). */
  defaultTimestampFormat?: TimestampFormat;
}

/** Renders a scalar the way the XML protocols do; undefined when the value cannot be one. */
export function scalarText(m: Member, value: unknown, opts: XmlWriteOptions = {}): string | undefined {
  switch (m.shape.type) {
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : typeof value === 'string' ? value : undefined;
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      if (typeof value === 'number') {
        if (Number.isNaN(value)) return 'NaN';
        if (value === Infinity) return 'Infinity';
        if (value === -Infinity) return '-Infinity';
        return String(value);
      }
      return typeof value === 'string' || typeof value === 'bigint' ? String(value) : undefined;
    case 'timestamp': {
      const date = parseTimestamp(value);
      return date ? String(formatTimestamp(date, timestampFormat(m, opts.defaultTimestampFormat ?? 'iso8601'))) : undefined;
    }
    case 'blob': {
      const bytes = toBuffer(value);
      return bytes ? bytes.toString('base64') : undefined;
    }
    default:
      return value === undefined || value === null ? undefined : String(value);
  }
}

/**
 * The members of a structure as XML elements (without the structure's own element). Members are
 * written in model order; members the model does not know are not written (AWS's serializers
 * cannot write them either). Members marked xmlAttribute are returned separately, for the caller
 * to put on the enclosing element.
 */
export function structureXml(model: ServiceModel, structure: Member, value: Record<string, unknown>, opts: XmlWriteOptions = {}): { inner: string; attributes: Record<string, string> } {
  let inner = '';
  const attributes: Record<string, string> = {};
  for (const [name, ref] of Object.entries(structure.shape.members ?? {})) {
    const v = value[name];
    if (v === undefined || v === null) continue;
    const m = member(model, ref);
    if (ref.xmlAttribute) {
      const text = scalarText(m, v, opts);
      if (text !== undefined) attributes[ref.locationName ?? name] = text;
      continue;
    }
    inner += memberXml(model, m, name, v, opts);
  }
  return { inner, attributes };
}

/** A member as one element or, for flattened lists and maps, as its repeated elements. */
export function memberXml(model: ServiceModel, m: Member, memberName: string, value: unknown, opts: XmlWriteOptions = {}): string {
  const name = locationName(m, memberName);
  const ns = namespaceAttributes(m.ref.xmlNamespace ?? m.shape.xmlNamespace);
  switch (m.shape.type) {
    case 'structure': {
      if (!isPlainObject(value)) return '';
      const { inner, attributes } = structureXml(model, m, value, opts);
      return element(name, inner, { ...ns, ...attributes });
    }
    case 'list': {
      if (!Array.isArray(value)) return '';
      const item = member(model, m.shape.member!);
      if (isFlattened(m)) {
        // botocore names flattened list items after the list member's locationName when it has one
        // (SQS: <Message>, <SendMessageBatchResultEntry>), else after the list member itself.
        const itemName = m.shape.member!.locationName ?? name;
        return value.map((v) => (v === null || v === undefined ? '' : memberXml(model, item, itemName, v, opts))).join('');
      }
      const itemName = m.shape.member!.locationName ?? 'member';
      const inner = value.map((v) => (v === null || v === undefined ? '' : memberXml(model, item, itemName, v, opts))).join('');
      return element(name, inner, ns);
    }
    case 'map': {
      if (!isPlainObject(value)) return '';
      const keyMember = member(model, m.shape.key!);
      const valueMember = member(model, m.shape.value!);
      const keyName = m.shape.key!.locationName ?? 'key';
      const valueName = m.shape.value!.locationName ?? 'value';
      const entries = Object.entries(value)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => memberXml(model, keyMember, keyName, k, opts) + memberXml(model, valueMember, valueName, v, opts));
      if (isFlattened(m)) return entries.map((e) => element(name, e)).join('');
      return element(name, entries.map((e) => element('entry', e)).join(''), ns);
    }
    default: {
      const text = scalarText(m, value, opts);
      return text === undefined ? '' : element(name, escapeXmlText(text), ns);
    }
  }
}

function namespaceAttributes(ns: ShapeRef['xmlNamespace']): Record<string, string> {
  if (!ns) return {};
  return { [ns.prefix ? `xmlns:${ns.prefix}` : 'xmlns']: ns.uri };
}
