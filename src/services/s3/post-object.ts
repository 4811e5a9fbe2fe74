// Browser-based uploads: POST /{bucket} with a multipart/form-data body (the form fields, then
// the file), as `createPresignedPost` and HTML forms send them. The model has no operation for
// it, so the pipeline hands such requests to `handlePostObject` (src/services/s3/index.ts).
// Follows "Browser-Based Uploads Using POST" and "Creating a POST Policy" in the S3 API
// reference: fields after the file are ignored; every field must be allowed by the policy's
// conditions; content-length-range bounds the file. The signature itself is not verified
// (Nimbus verifies no signatures).
import { Readable } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import { ServiceError } from '../../core/errors.js';
import type { Tag } from '../../generated/s3.js';
import { invalidArgument, malformedXml } from './errors.js';

export interface PostForm {
  /** field names lower-cased, as S3 matches them */
  fields: Record<string, string>;
  file?: { filename: string; stream: Readable };
}

const MAX_PRE_DATA = 20 * 1024;

const malformedPost = () => new ServiceError('MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.', { status: 400 });

/** The boundary of a multipart/form-data Content-Type; S3's 412 when the body is not one. */
export function formBoundary(contentType: string | undefined): string {
  const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  if (!m) {
    throw new ServiceError('PreconditionFailed', 'Bucket POST must be of the enclosure-type multipart/form-data', {
      status: 412,
      fields: { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' },
    });
  }
  return m[1] ?? m[2];
}

/**
 * Reads the form fields, then returns the file as a stream that ends at the file part's
 * boundary (the rest of the body is read and dropped). Nothing but the fields is buffered.
 */
export async function readForm(source: Readable, boundary: string): Promise<PostForm> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let buf: Buffer = Buffer.alloc(0);
  const more = async (): Promise<boolean> => {
    const r = await it.next();
    if (r.done) return false;
    buf = buf.length ? Buffer.concat([buf, r.value]) : r.value;
    return true;
  };
  const need = async (limit: number) => {
    if (buf.length > limit) throw new ServiceError('MaxPostPreDataLengthExceeded', 'Your POST request fields preceeding the upload file was too large.', { status: 400, fields: { MaxPostPreDataLength: MAX_PRE_DATA } });
    if (!(await more())) throw malformedPost();
  };
  const dash = Buffer.from(`--${boundary}`);
  const separator = Buffer.from(`\r\n--${boundary}`);
  let i: number;
  while ((i = buf.indexOf(dash)) < 0) await need(MAX_PRE_DATA);
  buf = buf.subarray(i + dash.length);
  const fields: Record<string, string> = {};
  for (;;) {
    while (buf.length < 2) await need(MAX_PRE_DATA);
    if (buf[0] === 0x2d && buf[1] === 0x2d) return { fields };
    if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw malformedPost();
    buf = buf.subarray(2);
    let end: number;
    while ((end = buf.indexOf('\r\n\r\n')) < 0) await need(MAX_PRE_DATA);
    const headers = buf.subarray(0, end).toString('utf8');
    buf = buf.subarray(end + 4);
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw malformedPost();
    if (name.toLowerCase() === 'file') {
      return { fields, file: { filename: filename ?? '', stream: Readable.from(fileBytes()) } };
    }
    while ((end = buf.indexOf(separator)) < 0) await need(MAX_PRE_DATA);
    fields[name.toLowerCase()] = buf.subarray(0, end).toString('utf8');
    buf = buf.subarray(end + separator.length);
  }

  async function* fileBytes(): AsyncGenerator<Buffer> {
    for (;;) {
      const at = buf.indexOf(separator);
      if (at >= 0) {
        if (at > 0) yield buf.subarray(0, at);
        buf = Buffer.alloc(0);
        // S3 ignores fields after the file; the body is still read to its end.
        for (let r = await it.next(); !r.done; r = await it.next());
        return;
      }
      // Keep a tail that could be the start of the separator.
      const keep = separator.length - 1;
      if (buf.length > keep) {
        yield buf.subarray(0, buf.length - keep);
        buf = buf.subarray(buf.length - keep);
      }
      if (!(await more())) throw malformedPost();
    }
  }
}

const policyDenied = (detail: string) => new ServiceError('AccessDenied', `Invalid according to Policy: ${detail}`, { status: 403 });

/** Fields S3 does not require the policy to mention. */
function exempt(name: string): boolean {
  return name === 'policy' || name === 'x-amz-signature' || name === 'signature' || name === 'awsaccesskeyid' || name === 'file' || name.startsWith('x-ignore-');
}

/**
 * Checks the base64 POST policy against the fields (and the bucket) and returns the
 * content-length-range, if any. Without a policy S3 accepts the form only for public-write
 * buckets; Nimbus evaluates no ACLs and accepts it.
 */
export function checkPolicy(fields: Record<string, string>, bucket: string, now: number): { min: number; max: number } | undefined {
  const encoded = fields.policy;
  if (!encoded) return undefined;
  let policy: { expiration?: string; conditions?: unknown[] };
  try {
    policy = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    throw invalidArgument('Invalid Policy: Invalid JSON.', 'policy', encoded);
  }
  if (!policy.expiration) throw invalidArgument('Invalid Policy: Policy missing expiration.', 'policy', encoded);
  const expires = Date.parse(policy.expiration);
  if (!Number.isFinite(expires)) throw invalidArgument('Invalid Policy: Invalid \'expiration\' value: \'' + policy.expiration + '\'', 'policy', encoded);
  if (expires < now) throw policyDenied('Policy expired.');
  const values: Record<string, string> = { ...fields, bucket };
  const covered = new Set<string>(['bucket']);
  let range: { min: number; max: number } | undefined;
  for (const c of policy.conditions ?? []) {
    if (Array.isArray(c)) {
      const [op, rawName, value] = c as [string, unknown, unknown];
      const kind = String(op).toLowerCase();
      if (kind === 'content-length-range') {
        range = { min: Number(rawName), max: Number(value) };
        continue;
      }
      const name = String(rawName).replace(/^\$/, '').toLowerCase();
      covered.add(name);
      const actual = values[name] ?? '';
      const ok = kind === 'eq' ? actual === String(value) : kind === 'starts-with' ? actual.startsWith(String(value)) : false;
      if (!ok) throw policyDenied(`Policy Condition failed: ${JSON.stringify(c).replace(/,/g, ', ')}`);
    } else if (c && typeof c === 'object') {
      for (const [k, v] of Object.entries(c)) {
        const name = k.toLowerCase();
        covered.add(name);
        if ((values[name] ?? '') !== String(v)) throw policyDenied(`Policy Condition failed: ["eq", "$${k}", ${JSON.stringify(String(v))}]`);
      }
    }
  }
  const extra = Object.keys(fields).filter((f) => !exempt(f) && !covered.has(f));
  if (extra.length) throw policyDenied(`Extra input fields: ${extra.join(', ')}`);
  return range;
}

/** The `tagging` field: a <Tagging><TagSet><Tag>... document. */
export function parseTaggingField(xml: string | undefined): Tag[] | undefined {
  if (!xml) return undefined;
  let doc: any;
  try {
    doc = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'Tag' }).parse(xml);
  } catch {
    throw malformedXml();
  }
  const tags = doc?.Tagging?.TagSet?.Tag;
  if (!Array.isArray(tags)) throw malformedXml();
  return tags.map((t: { Key?: unknown; Value?: unknown }) => ({ Key: String(t.Key ?? ''), Value: String(t.Value ?? '') }));
}
