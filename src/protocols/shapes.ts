// Reading the botocore model the way botocore and the AWS SDKs do: a member's serialization
// traits (locationName, flattened, timestampFormat...) are those of its reference, falling back
// to the target shape's own. Shared by the json and query codecs (and free for the others).
import type { ServiceModel, Shape, ShapeRef } from '../core/model.js';
import type { TimestampFormat } from './timestamps.js';

export interface Member {
  ref: ShapeRef;
  shape: Shape;
  shapeName: string;
}

export function member(model: ServiceModel, ref: ShapeRef): Member {
  const shape = model.shapes[ref.shape];
  if (!shape) throw new Error(`model ${model.metadata.serviceId} has no shape ${ref.shape}`);
  return { ref, shape, shapeName: ref.shape };
}

/** The serialized name: the reference's locationName, else the shape's, else the fallback. */
export function locationName(m: Member, fallback: string): string {
  return m.ref.locationName ?? m.shape.locationName ?? fallback;
}

export function isFlattened(m: Member): boolean {
  return Boolean(m.ref.flattened ?? m.shape.flattened);
}

export function timestampFormat(m: Member, protocolDefault: TimestampFormat): TimestampFormat {
  return m.ref.timestampFormat ?? m.shape.timestampFormat ?? protocolDefault;
}

/** The modeled error shape for a ServiceError code: by shape name, else by the query `error.code`. */
export function findErrorShape(model: ServiceModel, code: string): { name: string; shape: Shape } | undefined {
  const direct = model.shapes[code];
  if (direct?.exception) return { name: code, shape: direct };
  for (const [name, shape] of Object.entries(model.shapes)) {
    if (shape.exception && shape.error?.code === code) return { name, shape };
  }
  return undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !Buffer.isBuffer(value) && !(value instanceof Uint8Array);
}

export function toBuffer(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** Strict base64 (standard alphabet, padding optional): Node's own decoder silently skips junk. */
export function decodeBase64(text: string): Buffer | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/**
 * Sets a client-chosen key (map keys: attribute and tag names) as an own property; a plain
 * assignment of "__proto__" would replace the object's prototype instead of adding an entry.
 */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
