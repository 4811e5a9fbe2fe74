// Deployment packages: zip validation with AWS's limits and messages, CodeSha256 as AWS computes
// it (base64 of the zip's SHA-256), and storage by content in the blob store (a zip shared by
// many functions and versions is stored once).
import crypto from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import AdmZip from 'adm-zip';
import type { BlobStore } from '../../store/blobs.js';
import type { InternalClient } from '../types.js';
import { ServiceError } from '../../core/errors.js';
import { RequestTooLargeException } from '../../generated/lambda.js';
import { invalidParameter } from './errors.js';

/** https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
export const ZIPPED_DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024;
export const UNZIPPED_LIMIT = 262144000;
/** the direct-upload limit as AWS states it for the base64-encoded request body */
const REQUEST_LIMIT_BYTES = 69905067;

export interface StoredCode {
  /** hex SHA-256, the blob store key */
  sha256Hex: string;
  /** base64 SHA-256, as AWS reports CodeSha256 */
  codeSha256: string;
  size: number;
  unzippedSize: number;
}

export const base64OfHex = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

/**
 * Checks a zip the way Lambda does before accepting it: it must open, stay within the unzipped
 * limit (read from the central directory, nothing is inflated) and hold no entry that would land
 * outside the task root. AWS answers a bad archive with the same message whatever is wrong
 * with it; Nimbus does the same for entries escaping the root (zip-slip), which AWS never unpacks.
 */
export function inspectZip(zip: Buffer): { unzippedSize: number } {
  let entries: AdmZip.IZipEntry[];
  try {
    entries = new AdmZip(zip).getEntries();
  } catch {
    throw unzipFailed();
  }
  let unzippedSize = 0;
  for (const e of entries) {
    const name = e.entryName.replace(/\\/g, '/');
    if (name.startsWith('/') || /^[a-zA-Z]:/.test(name) || path.posix.normalize(name).split('/').includes('..')) throw unzipFailed();
    unzippedSize += e.header.size;
  }
  if (unzippedSize > UNZIPPED_LIMIT) throw invalidParameter(`Unzipped size must be smaller than ${UNZIPPED_LIMIT} bytes`);
  return { unzippedSize };
}

const unzipFailed = () => invalidParameter('Could not unzip uploaded file. Please check your file, then try to upload again.');

/** `direct`: the zip came in the request (50 MB limit); packages read from S3 only meet the unzipped limit. */
export function storeZip(blobs: BlobStore, zip: Buffer, operation: string, direct: boolean): StoredCode {
  if (direct && zip.length > ZIPPED_DIRECT_UPLOAD_LIMIT) {
    throw new RequestTooLargeException(`Request must be smaller than ${REQUEST_LIMIT_BYTES} bytes for the ${operation} operation`, { Type: 'User' });
  }
  const { unzippedSize } = inspectZip(zip);
  const blob = blobs.putBuffer(zip);
  return { sha256Hex: blob.sha256, codeSha256: base64OfHex(blob.sha256), size: blob.size, unzippedSize };
}

export interface CodeSource {
  ZipFile?: Buffer | Uint8Array | string;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
}

/**
 * Reads the package from the request: inline, or from Nimbus's own S3 (as AWS reads it from the
 * caller's bucket in the same region). S3 failures are reported as Lambda reports them.
 */
export async function loadZip(src: CodeSource, internal: InternalClient, where: { accountId: string; region: string }): Promise<Buffer | undefined> {
  if (src.ZipFile !== undefined) return toBuffer(src.ZipFile);
  if (src.S3Bucket === undefined && src.S3Key === undefined) return undefined;
  if (!src.S3Bucket || !src.S3Key) throw invalidParameter('Please provide a source for function code.');
  let out: { Body?: unknown };
  try {
    out = await internal.call('s3', 'GetObject', { Bucket: src.S3Bucket, Key: src.S3Key, ...(src.S3ObjectVersion ? { VersionId: src.S3ObjectVersion } : {}) }, where);
  } catch (e) {
    if (e instanceof ServiceError && e.status < 500 && e.status !== 501) {
      throw invalidParameter(`Error occurred while GetObject. S3 Error Code: ${e.code}. S3 Error Message: ${e.message}`);
    }
    if (e instanceof ServiceError && e.status === 501) throw invalidParameter('Error occurred while GetObject. S3 Error Code: NotImplemented. S3 Error Message: Nimbus S3 is not available.');
    throw e;
  }
  return readBody(out.Body);
}

function toBuffer(v: Buffer | Uint8Array | string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'base64');
  return Buffer.from(v);
}

async function readBody(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body) || typeof body === 'string' || body instanceof Uint8Array) return toBuffer(body as Buffer);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of body as Readable) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    total += b.length;
    if (total > ZIPPED_DIRECT_UPLOAD_LIMIT * 6) throw invalidParameter(`Unzipped size must be smaller than ${UNZIPPED_LIMIT} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export const sha256Base64 = (data: Buffer) => crypto.createHash('sha256').update(data).digest('base64');
