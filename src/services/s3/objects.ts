// Object-level helpers with no state: reading stored bytes back as a stream, Range and
// conditional-request evaluation as S3 does them, key encoding for listings, tag sets.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import type { BlobStore } from '../../store/blobs.js';
import type { Tag } from '../../generated/s3.js';
import { invalidRange, invalidTag, notModified, preconditionFailed } from './errors.js';

/** [sha256, size] of each stored part of an object, in order. */
export type Chunk = [string, number];

/** Bytes [start, end] (inclusive) of an object stored as consecutive blobs, streamed from disk. */
export function readChunks(blobs: BlobStore, chunks: Chunk[], start = 0, end?: number): Readable {
  const total = chunks.reduce((n, c) => n + c[1], 0);
  const last = Math.min(end ?? total - 1, total - 1);
  if (total === 0 || last < start) return Readable.from([]);
  async function* gen() {
    let offset = 0;
    for (const [sha, size] of chunks) {
      const from = Math.max(start, offset);
      const to = Math.min(last, offset + size - 1);
      if (size > 0 && from <= to) {
        for await (const piece of fs.createReadStream(blobs.pathOf(sha), { start: from - offset, end: to - offset, highWaterMark: 256 * 1024 })) yield piece as Buffer;
      }
      offset += size;
      if (offset > last) break;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

/**
 * A Range header as S3 reads it: one "bytes=" range; anything S3 does not understand (several
 * ranges, other units, garbage) is ignored and the whole object is returned, as on AWS.
 * Unsatisfiable ranges answer 416 InvalidRange.
 */
export function parseRange(range: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!range) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw invalidRange(range, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw invalidRange(range, size);
  return { start, end };
}

function etagMatches(header: string, etag: string): boolean {
  return header
    .split(',')
    .map((s) => s.trim().replace(/^W\//, '').replace(/^"|"$/g, ''))
    .some((s) => s === '*' || s === etag);
}

/** HTTP dates have second precision: compare at seconds. */
const seconds = (ms: number) => Math.floor(ms / 1000);

export interface Conditions {
  IfMatch?: string;
  IfNoneMatch?: string;
  IfModifiedSince?: Date;
  IfUnmodifiedSince?: Date;
}

/**
 * RFC 7232 section 6 order, which S3 follows: If-Match, else If-Unmodified-Since (412); then
 * If-None-Match, else If-Modified-Since (304 for GET/HEAD). For copy sources every failure is a 412.
 */
export function checkConditions(c: Conditions, etag: string, lastModified: number, opts: { copy?: boolean; notModifiedHeaders?: Record<string, string> } = {}): void {
  const name = (h: string) => (opts.copy ? `x-amz-copy-source-${h}` : h);
  if (c.IfMatch !== undefined) {
    if (!etagMatches(c.IfMatch, etag)) throw preconditionFailed(name('If-Match'));
  } else if (c.IfUnmodifiedSince && seconds(lastModified) > seconds(c.IfUnmodifiedSince.getTime())) {
    throw preconditionFailed(name('If-Unmodified-Since'));
  }
  let notModifiedBy: string | undefined;
  if (c.IfNoneMatch !== undefined) {
    if (etagMatches(c.IfNoneMatch, etag)) notModifiedBy = 'If-None-Match';
  } else if (c.IfModifiedSince && seconds(lastModified) <= seconds(c.IfModifiedSince.getTime())) {
    notModifiedBy = 'If-Modified-Since';
  }
  if (notModifiedBy) {
    if (opts.copy) throw preconditionFailed(name(notModifiedBy));
    throw notModified(opts.notModifiedHeaders ?? {});
  }
}

/**
 * Keys in listings with encoding-type=url, and in event records: form-encoded (space as "+"),
 * with "/" left as is, which is how S3 encodes them.
 */
export function urlEncodeKey(key: string): string {
  let out = '';
  for (const b of Buffer.from(key, 'utf8')) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x2a || b === 0x2f) out += String.fromCharCode(b);
    else if (b === 0x20) out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** Tag-set limits as S3 enforces them (object: 10 tags, bucket: 50). */
export function validateTags(tags: Tag[], max: number): Tag[] {
  if (tags.length > max) throw invalidTag(max === 10 ? 'Object tags cannot be greater than 10' : 'Bucket tag count cannot be greater than 50');
  const keys = new Set<string>();
  for (const t of tags) {
    const key = t.Key ?? '';
    if (keys.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    keys.add(key);
    if (key.length === 0 || key.length > 128) throw invalidTag('The TagKey you have provided is invalid');
    if ((t.Value ?? '').length > 256) throw invalidTag('The TagValue you have provided is invalid');
    if (key.startsWith('aws:')) throw invalidTag('Your TagKey cannot be prefixed with aws:');
  }
  return tags.map((t) => ({ Key: t.Key, Value: t.Value ?? '' }));
}

/** The x-amz-tagging header: a URL query string. */
export function parseTaggingHeader(header: string | undefined): Tag[] {
  if (!header) return [];
  const tags: Tag[] = [];
  const seen = new Set<string>();
  for (const part of header.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw invalidTag('The header \'x-amz-tagging\' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.');
      }
    };
    const key = decode(i < 0 ? part : part.slice(0, i));
    if (seen.has(key)) throw invalidTag('The header \'x-amz-tagging\' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.');
    seen.add(key);
    tags.push({ Key: key, Value: i < 0 ? '' : decode(part.slice(i + 1)) });
  }
  return validateTags(tags, 10);
}

/** Bucket naming rules for general purpose buckets (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return false;
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) return false;
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return false;
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name)) return false;
  return true;
}
