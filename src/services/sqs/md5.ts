// The digests SQS returns with every message. SDKs verify them (v3 checks the body digest,
// Java v1 and others also check the attribute digests), so a wrong byte fails the caller.
//
// Attribute digest, as AWS documents it ("Calculating the MD5 message digest for message
// attributes", SQS developer guide): attributes sorted by name; for each one
//   4-byte big-endian length + UTF-8 name
//   4-byte big-endian length + UTF-8 data type (custom suffixes such as "Number.int" included)
//   1 transport byte: 1 for String and Number types, 2 for Binary
//   4-byte big-endian length + value bytes (UTF-8 string, or the raw binary)
// The system-attribute digest (AWSTraceHeader) uses the same encoding.
import { createHash } from 'node:crypto';

export interface AttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length, 0);
  return [len, bytes];
}

/** Undefined for no attributes: AWS omits the digest then. */
export function md5OfAttributes(attributes: Record<string, AttributeValue> | undefined): string | undefined {
  if (!attributes) return undefined;
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const a = attributes[name];
    parts.push(...lengthPrefixed(Buffer.from(name, 'utf8')));
    parts.push(...lengthPrefixed(Buffer.from(a.DataType, 'utf8')));
    if (a.DataType.startsWith('Binary')) {
      parts.push(Buffer.from([2]));
      parts.push(...lengthPrefixed(a.BinaryValue ?? Buffer.alloc(0)));
    } else {
      parts.push(Buffer.from([1]));
      parts.push(...lengthPrefixed(Buffer.from(a.StringValue ?? '', 'utf8')));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
