// The S3 provider: buckets, objects (streamed to content-addressed files), versions, multipart
// uploads, tagging, CORS, policy and notifications. It takes and returns the model's members;
// the rest-xml codec owns the wire. Where Nimbus departs from S3 the comment says so.
import crypto from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { RequestContext } from '../../core/context.js';
import { ServiceError } from '../../core/errors.js';
import type { ServiceDeps } from '../types.js';
import type * as S3 from '../../generated/s3.js';
import { AccessDenied } from '../../generated/s3.js';
import { S3Store, type BucketRow, type NewObject, type ObjectRow, type UploadRow } from './store.js';
import * as E from './errors.js';
import { CHECKSUM_ALGORITHMS, DIGEST_BYTES, createHasher, crc32Combine, isChecksumAlgorithm, type ChecksumAlgorithm, type Hasher } from './checksums.js';
import { checkConditions, isValidBucketName, parseRange, parseTaggingHeader, readChunks, urlEncodeKey, validateTags, type Chunk } from './objects.js';
import { checkPolicy, parseTaggingField, type PostForm } from './post-object.js';
import { deliverEvent, deliverTestEvent, normalizeConfiguration, validateDestinations, type Delivery, type ObjectEvent } from './notifications.js';

const GiB = 1024 * 1024 * 1024;
const MAX_OBJECT_SIZE = 5 * GiB;
const MIN_PART_SIZE = 5 * 1024 * 1024;
/** Storage classes whose objects must be restored before they can be read. */
const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE']);
const DAY = 24 * 60 * 60 * 1000;
const STORAGE_CLASSES = new Set(['STANDARD', 'REDUCED_REDUNDANCY', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER', 'DEEP_ARCHIVE', 'OUTPOSTS', 'GLACIER_IR', 'SNOW', 'EXPRESS_ONEZONE']);
/** Content headers stored with an object and returned on GET/HEAD, by member name. */
const CONTENT_MEMBERS = ['ContentType', 'ContentEncoding', 'ContentDisposition', 'ContentLanguage', 'CacheControl', 'Expires', 'WebsiteRedirectLocation', 'ServerSideEncryption', 'SSEKMSKeyId', 'BucketKeyEnabled'] as const;
type ContentHeaders = Partial<Record<(typeof CONTENT_MEMBERS)[number], string | boolean>>;

interface StoredChecksum {
  Algorithm: ChecksumAlgorithm;
  Value: string;
  Type: 'FULL_OBJECT' | 'COMPOSITE';
}

type Out = Record<string, unknown>;

/** S3's request id forms, as the pipeline sends them in x-amz-request-id and x-amz-id-2. */
export function s3RequestIds(requestId: string): { requestId: string; hostId: string } {
  return { requestId: requestId.replace(/-/g, '').slice(0, 16).toUpperCase(), hostId: Buffer.from(requestId).toString('base64') };
}

/** A stable 64-hex canonical user id per account (S3 owners are canonical ids, not account ids). */
export function canonicalId(accountId: string): string {
  let id = canonicalIds.get(accountId);
  if (id === undefined) {
    id = crypto.createHash('sha256').update(`nimbus-canonical:${accountId}`).digest('hex');
    if (canonicalIds.size >= 1000) canonicalIds.clear();
    canonicalIds.set(accountId, id);
  }
  return id;
}
const canonicalIds = new Map<string, string>();

function newVersionId(): string {
  // S3 version ids are 32 URL-safe characters.
  return crypto.randomBytes(24).toString('base64').replace(/\+/g, '.').replace(/\//g, '_');
}
const VERSION_ID = /^(null|[A-Za-z0-9._]{32})$/;

function quote(etag: string): string {
  return `"${etag}"`;
}

function toReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  if (body === undefined || body === null) return Readable.from([]);
  if (typeof body === 'string') return Readable.from([Buffer.from(body)]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  if (typeof (body as AsyncIterable<Buffer>)[Symbol.asyncIterator] === 'function') return Readable.from(body as AsyncIterable<Buffer>);
  throw new E.InvalidRequest('The request body could not be read.');
}

const CHECKSUM_MEMBERS = Object.fromEntries(CHECKSUM_ALGORITHMS.map((a) => [a, `Checksum${a}`])) as Record<ChecksumAlgorithm, string>;

function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export class S3Provider implements S3.S3Api {
  readonly store: S3Store;
  private lastSequencer = 0;
  private readonly delivery: Delivery;
  private readonly parsedNotifications = new Map<string, S3.NotificationConfiguration>();
  /** deliveries in flight, so tests (and shutdown) can wait for them */
  readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: ServiceDeps) {
    this.store = new S3Store(deps.db);
    this.delivery = { internal: deps.internal, log: deps.log, endpoint: () => deps.endpoint() };
  }

  /** Resolves when every notification queued so far has been delivered (or has failed). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  // ---------------------------------------------------------------- helpers

  private now(): number {
    return this.deps.clock.now();
  }
  /** S3 keeps Last-Modified at second precision (listings show .000Z). */
  private nowSeconds(): number {
    return Math.floor(this.now() / 1000) * 1000;
  }

  /** The bucket, checking x-amz-expected-bucket-owner when the caller sent it (403 on a mismatch, as S3). */
  private bucket(name: string, expectedOwner?: string): BucketRow {
    const b = this.store.bucket(name);
    if (!b) throw E.noSuchBucket(name);
    if (expectedOwner !== undefined && expectedOwner !== b.account_id) throw new AccessDenied('Access Denied');
    return b;
  }

  private owner(accountId: string): S3.Owner {
    // S3 stopped returning DisplayName in owner and grantee elements in 2025: the canonical id only.
    return { ID: canonicalId(accountId) };
  }

  /** Increasing per key (and here globally): hex of a clock-based counter, fixed width so it compares as a string. */
  private sequencer(): string {
    this.lastSequencer = Math.max(this.lastSequencer + 1, this.now() * 1024);
    return this.lastSequencer.toString(16).toUpperCase().padStart(18, '0');
  }

  private versionIdFor(b: BucketRow): { versionId: string; replaceNull: boolean } {
    if (b.versioning === 'Enabled') return { versionId: newVersionId(), replaceNull: false };
    return { versionId: 'null', replaceNull: true };
  }

  /** The version id S3 reports for a version: absent for buckets that never had versioning. */
  private reportedVersion(b: BucketRow, versionId: string): string | undefined {
    return b.versioning || versionId !== 'null' ? versionId : undefined;
  }

  private findObject(b: BucketRow, key: string, versionId: string | undefined, method: string): ObjectRow {
    if (versionId !== undefined) {
      if (!VERSION_ID.test(versionId)) throw E.invalidVersionId(versionId);
      const row = this.store.version(b.name, key, versionId);
      if (!row) throw E.noSuchVersion(key, versionId);
      if (row.delete_marker) {
        throw E.methodNotAllowed({ 'x-amz-delete-marker': 'true', 'x-amz-version-id': row.version_id, 'Last-Modified': httpDate(row.last_modified), Allow: 'DELETE' }, method);
      }
      return row;
    }
    const row = this.store.latest(b.name, key);
    if (!row) throw E.noSuchKey(key);
    if (row.delete_marker) throw E.noSuchKey(key, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': row.version_id });
    return row;
  }

  private emit(b: BucketRow, ctx: RequestContext, eventName: string, obj: { key: string; size?: number; etag?: string; versionId?: string; restore?: { expiry: number; storageClass: string } }): void {
    if (!b.notification) return;
    const config = this.notificationOf(b.notification);
    if (!config.QueueConfigurations && !config.TopicConfigurations && !config.LambdaFunctionConfigurations) return;
    const ids = s3RequestIds(ctx.requestId);
    const event: ObjectEvent = {
      eventName,
      bucket: b.name,
      bucketRegion: b.region,
      partition: ctx.partition,
      ownerPrincipalId: canonicalId(b.account_id).slice(0, 14).toUpperCase(),
      principalId: `AWS:${ctx.accessKeyId ?? ctx.accountId}`,
      sourceIp: ctx.sourceIp,
      requestId: ids.requestId,
      hostId: ids.hostId,
      time: this.now(),
      key: obj.key,
      size: obj.size,
      eTag: obj.etag,
      versionId: obj.versionId !== undefined ? this.reportedVersion(b, obj.versionId) : undefined,
      sequencer: this.sequencer(),
      restore: obj.restore,
    };
    // After the response, as on S3 (an event never holds up the request that caused it): the
    // provider returns first and the pipeline writes the response in the same run of promise
    // jobs; a tick queued from here runs once those are done, before the event loop turns (a
    // setImmediate would also wait behind whatever I/O is pending, ~0.1 ms per event).
    const p = new Promise<void>((resolve) => process.nextTick(resolve)).then(() => Promise.all(deliverEvent(config, event, this.delivery)));
    this.track(p);
  }

  /** A bucket's stored configuration, parsed once per distinct text (every object write reads it). */
  private notificationOf(text: string): S3.NotificationConfiguration {
    let config = this.parsedNotifications.get(text);
    if (!config) {
      config = JSON.parse(text) as S3.NotificationConfiguration;
      if (this.parsedNotifications.size >= 100) this.parsedNotifications.clear();
      this.parsedNotifications.set(text, config);
    }
    return config;
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((e) => this.deps.log.warn('s3: notification delivery failed', e)).finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /**
   * Streams a request body to a blob, verifying Content-MD5 and flexible checksums. Returns the
   * blob and the checksum S3 stores with the object (the one the client sent or asked for).
   */
  private async receive(
    body: unknown,
    input: { ContentMD5?: string; ContentLength?: number; ChecksumAlgorithm?: string } & Record<string, unknown>,
    ctx: RequestContext,
    defaultAlgorithm?: string | null,
    sizeRange?: { min: number; max: number },
  ): Promise<{ sha256: string; size: number; md5: string; checksum?: StoredChecksum }> {
    if (input.ContentLength !== undefined && input.ContentLength > MAX_OBJECT_SIZE) {
      if (body instanceof Readable) body.resume();
      throw E.entityTooLarge(input.ContentLength, MAX_OBJECT_SIZE);
    }
    let expectedMd5: Buffer | undefined;
    if (input.ContentMD5 !== undefined) {
      expectedMd5 = Buffer.from(input.ContentMD5, 'base64');
      if (expectedMd5.length !== 16 || expectedMd5.toString('base64') !== input.ContentMD5) {
        if (body instanceof Readable) body.resume();
        throw E.invalidDigest(input.ContentMD5);
      }
    }
    // Which algorithm: a value the client sent, the algorithm it named (x-amz-sdk-checksum-algorithm),
    // a trailer it announced (aws-chunked uploads), or the multipart upload's algorithm.
    const trailer = String(ctx.headers['x-amz-trailer'] ?? '').toLowerCase();
    let algorithm: ChecksumAlgorithm | undefined;
    let expected: string | undefined;
    for (const a of CHECKSUM_ALGORITHMS) {
      const v = input[CHECKSUM_MEMBERS[a]];
      if (typeof v === 'string') {
        algorithm = a;
        expected = v;
        break;
      }
    }
    if (!algorithm && trailer.startsWith('x-amz-checksum-')) {
      const a = trailer.slice('x-amz-checksum-'.length).toUpperCase();
      if (isChecksumAlgorithm(a)) algorithm = a;
    }
    if (!algorithm && isChecksumAlgorithm(input.ChecksumAlgorithm)) algorithm = input.ChecksumAlgorithm.toUpperCase() as ChecksumAlgorithm;
    if (!algorithm && isChecksumAlgorithm(defaultAlgorithm ?? undefined)) algorithm = defaultAlgorithm as ChecksumAlgorithm;
    if (expected !== undefined && algorithm && Buffer.from(expected, 'base64').length !== DIGEST_BYTES[algorithm]) {
      if (body instanceof Readable) body.resume();
      throw E.invalidChecksumHeader(algorithm);
    }
    const hasher: Hasher | undefined = algorithm ? createHasher(algorithm) : undefined;
    const source = toReadable(body);
    let blob;
    try {
      const max = Math.min(MAX_OBJECT_SIZE, sizeRange?.max ?? Infinity);
      blob = await this.deps.blobs.putStream(source, {
        limit: max,
        tooLarge: () => E.entityTooLarge(max + 1, max),
        observe: hasher ? (c) => hasher.update(c) : undefined,
        // A request body framed by Content-Length is exactly that long; a decoded aws-chunked
        // body is not the request itself (and its trailing checksum comes after the bytes).
        size: source instanceof IncomingMessage && input.ContentLength !== undefined ? input.ContentLength : undefined,
      });
    } catch (e) {
      if (e instanceof ServiceError) throw e;
      throw E.incompleteBody();
    }
    if (input.ContentLength !== undefined && blob.size !== input.ContentLength) throw E.incompleteBody();
    if (sizeRange && blob.size < sizeRange.min) throw E.entityTooSmallForPolicy(blob.size, sizeRange.min);
    if (expectedMd5) {
      const got = Buffer.from(blob.md5, 'hex');
      if (!got.equals(expectedMd5)) throw E.badDigest(input.ContentMD5!, got.toString('base64'));
    }
    let checksum: StoredChecksum | undefined;
    if (algorithm && hasher) {
      const value = hasher.digest();
      // A trailing checksum arrives after the body: the codec leaves it on the stream's trailers.
      const trailers = (source as Readable & { trailers?: Record<string, string> }).trailers;
      if (expected === undefined && trailer && trailers?.[trailer]) expected = trailers[trailer];
      if (expected !== undefined && expected !== value) throw E.badChecksum(algorithm);
      checksum = { Algorithm: algorithm, Value: value, Type: 'FULL_OBJECT' };
    }
    return { ...blob, checksum };
  }

  private checksumMembers(c: StoredChecksum | undefined): Out {
    return c ? { [`Checksum${c.Algorithm}`]: c.Value, ChecksumType: c.Type } : {};
  }

  private contentHeaders(input: object): ContentHeaders {
    const h: ContentHeaders = {};
    for (const m of CONTENT_MEMBERS) {
      const v = (input as Record<string, unknown>)[m];
      if (v !== undefined && v !== null && v !== '') h[m] = v instanceof Date ? httpDate(v.getTime()) : (v as string | boolean);
    }
    // Every object is encrypted at rest on S3 since 2023 and reports it.
    h.ServerSideEncryption ??= 'AES256';
    return h;
  }

  private storageClass(sc: string | undefined): string {
    if (sc === undefined || sc === '') return 'STANDARD';
    if (!STORAGE_CLASSES.has(sc)) throw E.invalidStorageClass();
    return sc;
  }

  /** User metadata is limited to 2 KB: names and values, in UTF-8 bytes. */
  private metadata(m: Record<string, string> | undefined): string {
    const entries = Object.entries(m ?? {});
    const size = entries.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v ?? ''), 0);
    if (size > 2048) throw E.metadataTooLarge(size);
    return JSON.stringify(m ?? {});
  }

  /** Archived objects are readable only while a restored copy exists. */
  private checkReadable(row: ObjectRow): void {
    if (ARCHIVED.has(row.storage_class) && !((row.restore_expiry ?? 0) > this.now())) {
      throw E.invalidObjectState("The operation is not valid for the object's storage class", row.storage_class);
    }
  }

  private checkKey(key: string): void {
    const bytes = Buffer.byteLength(key);
    if (bytes > 1024) throw E.keyTooLong(bytes);
  }

  /** Conditional writes (If-None-Match: * and If-Match on PutObject / CompleteMultipartUpload). */
  private checkWriteConditions(b: BucketRow, key: string, input: { IfMatch?: string; IfNoneMatch?: string }): void {
    if (input.IfMatch === undefined && input.IfNoneMatch === undefined) return;
    const cur = this.store.latest(b.name, key);
    const exists = cur && !cur.delete_marker;
    if (input.IfNoneMatch !== undefined && exists) throw E.preconditionFailed('If-None-Match');
    if (input.IfMatch !== undefined) {
      if (!exists) throw E.noSuchKey(key);
      checkConditions({ IfMatch: input.IfMatch }, cur.etag, cur.last_modified);
    }
  }

  // ---------------------------------------------------------------- buckets

  CreateBucket(input: S3.CreateBucketRequest, ctx: RequestContext): S3.CreateBucketOutput {
    const name = input.Bucket;
    if (!isValidBucketName(name)) throw E.invalidBucketName(name);
    const constraint = input.CreateBucketConfiguration?.LocationConstraint as string | undefined;
    // us-east-1 takes no constraint (and rejects its own name); every other region requires its own.
    let region: string;
    if (!constraint) {
      if (ctx.region !== 'us-east-1') throw new ServiceError('IllegalLocationConstraintException', 'The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.', { status: 400 });
      region = 'us-east-1';
    } else {
      if (constraint === 'us-east-1') throw new ServiceError('InvalidLocationConstraint', 'The specified location-constraint is not valid', { status: 400, fields: { LocationConstraint: constraint } });
      region = constraint === 'EU' ? 'eu-west-1' : constraint;
      if (ctx.region !== region && ctx.region !== 'us-east-1') {
        throw new ServiceError('IllegalLocationConstraintException', `The ${constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`, { status: 400 });
      }
    }
    const existing = this.store.bucket(name);
    if (existing) {
      if (existing.account_id !== ctx.accountId) throw new E.BucketAlreadyExists('The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.', { BucketName: name });
      // S3's legacy behaviour: re-creating your own bucket in us-east-1 succeeds.
      if (existing.region === 'us-east-1' && region === 'us-east-1') return { Location: `/${name}` };
      throw new E.BucketAlreadyOwnedByYou('Your previous request to create the named bucket succeeded and you already own it.', { BucketName: name });
    }
    this.store.insertBucket(name, ctx.accountId, region, this.nowSeconds(), !!input.ObjectLockEnabledForBucket, input.ObjectOwnership ?? 'BucketOwnerEnforced');
    if (input.ObjectLockEnabledForBucket) this.store.setBucketField(name, 'versioning', 'Enabled');
    const tags = input.CreateBucketConfiguration?.Tags;
    if (tags?.length) this.store.setBucketField(name, 'tags', JSON.stringify(validateTags(tags, 50)));
    return { Location: `/${name}`, BucketArn: `arn:${ctx.partition}:s3:::${name}` } as S3.CreateBucketOutput;
  }

  HeadBucket(input: S3.HeadBucketRequest): S3.HeadBucketOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    return { BucketRegion: b.region, AccessPointAlias: false, BucketArn: `arn:aws:s3:::${b.name}` } as S3.HeadBucketOutput;
  }

  DeleteBucket(input: S3.DeleteBucketRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (this.store.hasObjects(b.name)) throw E.bucketNotEmpty(b.name, !!b.versioning);
    this.store.deleteBucket(b.name);
  }

  ListBuckets(input: S3.ListBucketsRequest, ctx: RequestContext): S3.ListBucketsOutput {
    let rows = this.store.bucketsOf(ctx.accountId);
    if (input.Prefix) rows = rows.filter((r) => r.name.startsWith(input.Prefix!));
    if (input.BucketRegion) rows = rows.filter((r) => r.region === input.BucketRegion);
    if (input.ContinuationToken) {
      const after = Buffer.from(input.ContinuationToken, 'base64url').toString();
      rows = rows.filter((r) => r.name > after);
    }
    const max = input.MaxBuckets ?? 10000;
    const page = rows.slice(0, max);
    const out: S3.ListBucketsOutput = {
      Buckets: page.map((r) => ({ Name: r.name, CreationDate: new Date(r.created_at), BucketRegion: r.region }) as S3.Bucket),
      Owner: this.owner(ctx.accountId),
    };
    if (input.Prefix) out.Prefix = input.Prefix;
    if (rows.length > max) out.ContinuationToken = Buffer.from(page[page.length - 1].name).toString('base64url');
    return out;
  }

  GetBucketLocation(input: S3.GetBucketLocationRequest): S3.GetBucketLocationOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    // us-east-1 buckets report an empty LocationConstraint.
    return b.region === 'us-east-1' ? {} : { LocationConstraint: b.region as S3.GetBucketLocationOutput['LocationConstraint'] };
  }

  PutBucketTagging(input: S3.PutBucketTaggingRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    this.store.setBucketField(b.name, 'tags', JSON.stringify(validateTags(input.Tagging?.TagSet ?? [], 50)));
  }
  GetBucketTagging(input: S3.GetBucketTaggingRequest): S3.GetBucketTaggingOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const tags = b.tags ? (JSON.parse(b.tags) as S3.Tag[]) : [];
    if (!tags.length) throw E.noSuchTagSet(b.name);
    return { TagSet: tags };
  }
  DeleteBucketTagging(input: S3.DeleteBucketTaggingRequest): void {
    this.store.setBucketField(this.bucket(input.Bucket, input.ExpectedBucketOwner).name, 'tags', null);
  }

  PutBucketVersioning(input: S3.PutBucketVersioningRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const status = input.VersioningConfiguration?.Status;
    if (status !== 'Enabled' && status !== 'Suspended') throw E.malformedXml();
    if (status === 'Suspended' && b.object_lock) throw new ServiceError('InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.', { status: 409 });
    this.store.setBucketField(b.name, 'versioning', status);
    if (input.VersioningConfiguration?.MFADelete) this.store.setBucketField(b.name, 'mfa_delete', input.VersioningConfiguration.MFADelete);
  }
  GetBucketVersioning(input: S3.GetBucketVersioningRequest): S3.GetBucketVersioningOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const out: S3.GetBucketVersioningOutput = {};
    if (b.versioning) out.Status = b.versioning as S3.GetBucketVersioningOutput['Status'];
    if (b.mfa_delete) out.MFADelete = b.mfa_delete as S3.GetBucketVersioningOutput['MFADelete'];
    return out;
  }

  PutBucketCors(input: S3.PutBucketCorsRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const rules = input.CORSConfiguration?.CORSRules ?? [];
    if (!rules.length) throw E.malformedXml();
    if (rules.length > 100) throw new E.InvalidRequest('The number of CORS rules should not exceed allowed limit of 100 rules.');
    for (const r of rules) {
      for (const m of r.AllowedMethods ?? []) {
        if (!['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].includes(m)) throw new E.InvalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
      }
      for (const o of r.AllowedOrigins ?? []) if ((o.match(/\*/g) ?? []).length > 1) throw new E.InvalidRequest(`AllowedOrigin "${o}" can not have more than one wildcard.`);
    }
    this.store.setBucketField(b.name, 'cors', JSON.stringify(rules));
  }
  GetBucketCors(input: S3.GetBucketCorsRequest): S3.GetBucketCorsOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (!b.cors) throw E.noSuchCors(b.name);
    return { CORSRules: JSON.parse(b.cors) };
  }
  DeleteBucketCors(input: S3.DeleteBucketCorsRequest): void {
    this.store.setBucketField(this.bucket(input.Bucket, input.ExpectedBucketOwner).name, 'cors', null);
  }

  PutBucketPolicy(input: S3.PutBucketPolicyRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const text = typeof input.Policy === 'string' ? input.Policy : String(input.Policy ?? '');
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw E.malformedPolicy('Policies must be valid JSON and the first byte must be \'{\'');
    }
    if (!text.trimStart().startsWith('{') || typeof doc !== 'object' || doc === null) throw E.malformedPolicy('Policies must be valid JSON and the first byte must be \'{\'');
    if (!('Statement' in doc)) throw E.malformedPolicy('Missing required field Statement');
    // Stored and returned as written; Nimbus does not evaluate bucket policies.
    this.store.setBucketField(b.name, 'policy', text);
  }
  GetBucketPolicy(input: S3.GetBucketPolicyRequest): S3.GetBucketPolicyOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (!b.policy) throw E.noSuchPolicy(b.name);
    return { Policy: b.policy };
  }
  DeleteBucketPolicy(input: S3.DeleteBucketPolicyRequest): void {
    this.store.setBucketField(this.bucket(input.Bucket, input.ExpectedBucketOwner).name, 'policy', null);
  }
  GetBucketPolicyStatus(input: S3.GetBucketPolicyStatusRequest): S3.GetBucketPolicyStatusOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (!b.policy) throw E.noSuchPolicy(b.name);
    return { PolicyStatus: { IsPublic: false } };
  }

  PutBucketEncryption(input: S3.PutBucketEncryptionRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (!input.ServerSideEncryptionConfiguration?.Rules?.length) throw E.malformedXml();
    this.store.setBucketField(b.name, 'encryption', JSON.stringify(input.ServerSideEncryptionConfiguration));
  }
  GetBucketEncryption(input: S3.GetBucketEncryptionRequest): S3.GetBucketEncryptionOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    // Since January 2023 every bucket has SSE-S3 as its default encryption.
    if (b.encryption) return { ServerSideEncryptionConfiguration: JSON.parse(b.encryption) };
    return { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] } };
  }
  DeleteBucketEncryption(input: S3.DeleteBucketEncryptionRequest): void {
    this.store.setBucketField(this.bucket(input.Bucket, input.ExpectedBucketOwner).name, 'encryption', null);
  }

  GetBucketAcl(input: S3.GetBucketAclRequest): S3.GetBucketAclOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const owner = this.owner(b.account_id);
    return { Owner: owner, Grants: [{ Grantee: { ID: owner.ID, Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }] };
  }
  PutBucketAcl(input: S3.PutBucketAclRequest): void {
    // Accepted and not enforced: Nimbus does not evaluate ACLs (new buckets disable them on S3 too).
    this.bucket(input.Bucket, input.ExpectedBucketOwner);
  }
  GetBucketOwnershipControls(input: S3.GetBucketOwnershipControlsRequest): S3.GetBucketOwnershipControlsOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    return { OwnershipControls: { Rules: [{ ObjectOwnership: (b.ownership ?? 'BucketOwnerEnforced') as never }] } };
  }
  PutBucketOwnershipControls(input: S3.PutBucketOwnershipControlsRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const rule = input.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
    if (!rule) throw E.malformedXml();
    this.store.setBucketField(b.name, 'ownership', rule);
  }

  // Stored and returned; Nimbus does not block public access, expire objects or serve websites.
  PutPublicAccessBlock(input: S3.PutPublicAccessBlockRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (!input.PublicAccessBlockConfiguration) throw E.malformedXml();
    this.store.setStoredConfig(b.name, 'PublicAccessBlock', input.PublicAccessBlockConfiguration);
  }
  GetPublicAccessBlock(input: S3.GetPublicAccessBlockRequest): S3.GetPublicAccessBlockOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const c = this.store.storedConfig<S3.PublicAccessBlockConfiguration>(b.name, 'PublicAccessBlock');
    if (!c) throw E.noSuchStoredConfig('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', b.name);
    return { PublicAccessBlockConfiguration: c };
  }
  DeletePublicAccessBlock(input: S3.DeletePublicAccessBlockRequest): void {
    this.store.setStoredConfig(this.bucket(input.Bucket, input.ExpectedBucketOwner).name, 'PublicAccessBlock', undefined);
  }
  PutBucketLifecycleConfiguration(input: S3.PutBucketLifecycleConfigurationRequest): S3.PutBucketLifecycleConfigurationOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (!input.LifecycleConfiguration?.Rules?.length) throw E.malformedXml();
    this.store.setStoredConfig(b.name, 'Lifecycle', input.LifecycleConfiguration.Rules);
    return { TransitionDefaultMinimumObjectSize: input.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K' };
  }
  GetBucketLifecycleConfiguration(input: S3.GetBucketLifecycleConfigurationRequest): S3.GetBucketLifecycleConfigurationOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const rules = this.store.storedConfig<S3.LifecycleRule[]>(b.name, 'Lifecycle');
    if (!rules) throw E.noSuchStoredConfig('NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', b.name);
    return { Rules: rules, TransitionDefaultMinimumObjectSize: 'all_storage_classes_128K' };
  }
  DeleteBucketLifecycle(input: S3.DeleteBucketLifecycleRequest): void {
    this.store.setStoredConfig(this.bucket(input.Bucket, input.ExpectedBucketOwner).name, 'Lifecycle', undefined);
  }
  PutBucketWebsite(input: S3.PutBucketWebsiteRequest): void {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    if (!input.WebsiteConfiguration) throw E.malformedXml();
    this.store.setStoredConfig(b.name, 'Website', input.WebsiteConfiguration);
  }
  GetBucketWebsite(input: S3.GetBucketWebsiteRequest): S3.GetBucketWebsiteOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const c = this.store.storedConfig<S3.GetBucketWebsiteOutput>(b.name, 'Website');
    if (!c) throw E.noSuchStoredConfig('NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration', b.name);
    return c;
  }
  DeleteBucketWebsite(input: S3.DeleteBucketWebsiteRequest): void {
    this.store.setStoredConfig(this.bucket(input.Bucket, input.ExpectedBucketOwner).name, 'Website', undefined);
  }

  async PutBucketNotificationConfiguration(input: S3.PutBucketNotificationConfigurationRequest, ctx: RequestContext): Promise<void> {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const config = normalizeConfiguration(input.NotificationConfiguration ?? {});
    if (!input.SkipDestinationValidation) await validateDestinations(config, b.region, this.delivery);
    this.store.setBucketField(b.name, 'notification', Object.keys(config).length ? JSON.stringify(config) : null);
    const ids = s3RequestIds(ctx.requestId);
    const time = this.now();
    this.track(new Promise<void>((resolve) => setImmediate(resolve)).then(() => Promise.all(deliverTestEvent(config, { bucket: b.name, time, ...ids }, this.delivery))));
  }
  GetBucketNotificationConfiguration(input: S3.GetBucketNotificationConfigurationRequest): S3.NotificationConfiguration {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    return b.notification ? JSON.parse(b.notification) : {};
  }

  // ---------------------------------------------------------------- objects

  private objectOutput(b: BucketRow, row: ObjectRow): Out {
    const headers = JSON.parse(row.headers) as ContentHeaders;
    const out: Out = {
      LastModified: new Date(row.last_modified),
      ETag: quote(row.etag),
      ContentType: 'binary/octet-stream',
      ...headers,
      Metadata: JSON.parse(row.metadata),
      AcceptRanges: 'bytes',
    };
    const version = this.reportedVersion(b, row.version_id);
    if (version) out.VersionId = version;
    if (row.storage_class !== 'STANDARD') out.StorageClass = row.storage_class;
    if (row.restore_expiry) out.Restore = `ongoing-request="false", expiry-date="${httpDate(row.restore_expiry)}"`;
    const tags = JSON.parse(row.tags) as S3.Tag[];
    if (tags.length) out.TagCount = tags.length;
    return out;
  }

  private readObject(input: S3.GetObjectRequest | S3.HeadObjectRequest, method: 'GET' | 'HEAD'): { b: BucketRow; row: ObjectRow; out: Out; start: number; end: number; chunks: Chunk[] } {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const row = this.findObject(b, input.Key, input.VersionId, method);
    const out = this.objectOutput(b, row);
    checkConditions(input, row.etag, row.last_modified, { notModifiedHeaders: { ETag: quote(row.etag), 'Last-Modified': httpDate(row.last_modified) } });
    const chunks = JSON.parse(row.chunks) as Chunk[];
    let start = 0;
    let end = row.size - 1;
    if (input.PartNumber !== undefined) {
      if (input.Range) throw new E.InvalidRequest('Cannot specify both Range header and partNumber query parameter');
      const count = row.parts_count ?? 1;
      if (input.PartNumber < 1 || input.PartNumber > 10000) throw E.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', input.PartNumber);
      if (input.PartNumber > count) {
        throw new ServiceError('InvalidPartNumber', 'The requested partnumber is not satisfiable', { status: 416, fields: { PartNumberRequested: input.PartNumber, ActualPartCount: count } });
      }
      if (row.parts_count) {
        for (let i = 0; i < input.PartNumber - 1; i++) start += chunks[i][1];
        end = start + chunks[input.PartNumber - 1][1] - 1;
        out.PartsCount = row.parts_count;
      }
      out.ContentRange = `bytes ${start}-${Math.max(end, start)}/${row.size}`;
      if (row.size === 0) out.ContentRange = undefined;
    } else {
      const range = parseRange(input.Range, row.size);
      if (range) {
        start = range.start;
        end = range.end;
        out.ContentRange = `bytes ${start}-${end}/${row.size}`;
      }
    }
    out.ContentLength = Math.max(0, end - start + 1);
    if (out.ContentRange !== undefined) out.StatusCode = 206;
    // The stored checksum describes the whole object: S3 returns it only for whole-object reads.
    if (input.ChecksumMode === 'ENABLED' && row.checksum && out.ContentRange === undefined) Object.assign(out, this.checksumMembers(JSON.parse(row.checksum)));
    const overrides: [keyof S3.GetObjectRequest, string][] = [
      ['ResponseCacheControl', 'CacheControl'],
      ['ResponseContentDisposition', 'ContentDisposition'],
      ['ResponseContentEncoding', 'ContentEncoding'],
      ['ResponseContentLanguage', 'ContentLanguage'],
      ['ResponseContentType', 'ContentType'],
      ['ResponseExpires', 'Expires'],
    ];
    for (const [from, to] of overrides) {
      const v = (input as S3.GetObjectRequest)[from];
      if (v !== undefined) out[to] = v instanceof Date ? httpDate(v.getTime()) : v;
    }
    return { b, row, out, start, end, chunks };
  }

  GetObject(input: S3.GetObjectRequest): S3.GetObjectOutput {
    const { row, out, start, end, chunks } = this.readObject(input, 'GET');
    this.checkReadable(row);
    out.Body = readChunks(this.deps.blobs, chunks, start, end);
    return out as S3.GetObjectOutput;
  }

  HeadObject(input: S3.HeadObjectRequest): S3.HeadObjectOutput {
    return this.readObject(input, 'HEAD').out as S3.HeadObjectOutput;
  }

  GetObjectAttributes(input: S3.GetObjectAttributesRequest): S3.GetObjectAttributesOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const row = this.findObject(b, input.Key, input.VersionId, 'GET');
    const wanted = new Set(input.ObjectAttributes ?? []);
    const out: S3.GetObjectAttributesOutput = { LastModified: new Date(row.last_modified) };
    const version = this.reportedVersion(b, row.version_id);
    if (version) out.VersionId = version;
    // This API reports the ETag without quotes.
    if (wanted.has('ETag')) out.ETag = row.etag;
    if (wanted.has('ObjectSize')) out.ObjectSize = row.size;
    if (wanted.has('StorageClass')) out.StorageClass = row.storage_class as S3.GetObjectAttributesOutput['StorageClass'];
    if (wanted.has('Checksum') && row.checksum) out.Checksum = this.checksumMembers(JSON.parse(row.checksum)) as S3.Checksum;
    if (wanted.has('ObjectParts') && row.parts_count) {
      const chunks = JSON.parse(row.chunks) as Chunk[];
      const marker = input.PartNumberMarker ?? 0;
      const max = Math.min(input.MaxParts ?? 1000, 1000);
      const parts = chunks.map((c, i) => ({ PartNumber: i + 1, Size: c[1] })).filter((p) => p.PartNumber > marker);
      const page = parts.slice(0, max);
      out.ObjectParts = { TotalPartsCount: row.parts_count, PartNumberMarker: marker, MaxParts: max, IsTruncated: parts.length > max, Parts: page };
      if (parts.length > max) out.ObjectParts.NextPartNumberMarker = page[page.length - 1].PartNumber;
    }
    return out;
  }

  PutObject(input: S3.PutObjectRequest, ctx: RequestContext): Promise<S3.PutObjectOutput> {
    return this.putObject(input, ctx, 'ObjectCreated:Put');
  }

  private async putObject(
    input: S3.PutObjectRequest,
    ctx: RequestContext,
    eventName: string,
    post?: { tags?: S3.Tag[]; sizeRange?: { min: number; max: number } },
  ): Promise<S3.PutObjectOutput & { VersionId?: string }> {
    let b: BucketRow;
    try {
      b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
      this.checkKey(input.Key);
      this.checkWriteConditions(b, input.Key, input);
    } catch (e) {
      if (input.Body instanceof Readable) input.Body.resume();
      throw e;
    }
    let storageClass: string;
    let tags: S3.Tag[];
    let metadata: string;
    try {
      storageClass = this.storageClass(input.StorageClass);
      tags = post?.tags ? validateTags(post.tags, 10) : parseTaggingHeader(input.Tagging);
      metadata = this.metadata(input.Metadata);
    } catch (e) {
      if (input.Body instanceof Readable) input.Body.resume();
      throw e;
    }
    const blob = await this.receive(input.Body, input as never, ctx, undefined, post?.sizeRange);
    const { versionId, replaceNull } = this.versionIdFor(b);
    const row = this.store.putVersion(
      {
        bucket: b.name,
        key: input.Key,
        version_id: versionId,
        delete_marker: 0,
        account_id: ctx.accountId,
        region: ctx.region,
        size: blob.size,
        etag: blob.md5,
        last_modified: this.nowSeconds(),
        chunks: JSON.stringify([[blob.sha256, blob.size]]),
        headers: JSON.stringify(this.contentHeaders(input)),
        metadata,
        tags: JSON.stringify(tags),
        storage_class: storageClass,
        checksum: blob.checksum ? JSON.stringify(blob.checksum) : null,
        parts_count: null,
      },
      replaceNull,
    );
    this.emit(b, ctx, eventName, { key: row.key, size: row.size, etag: row.etag, versionId: row.version_id });
    const out: Out = { ETag: quote(row.etag), ServerSideEncryption: 'AES256', ...this.checksumMembers(blob.checksum) };
    if (b.versioning === 'Enabled') out.VersionId = row.version_id;
    return out as S3.PutObjectOutput;
  }

  /**
   * A browser-based (form) upload, read by handlePostObject in index.ts. Answers as S3 does:
   * a 303 to success_action_redirect, or success_action_status 200/201 (with a PostResponse
   * document) or 204 (the default); emits ObjectCreated:Post.
   */
  async PostObject(bucket: string, form: PostForm, ctx: RequestContext): Promise<{ status: number; headers: Record<string, string>; body?: string }> {
    const drain = () => form.file?.stream.resume();
    let input: S3.PutObjectRequest;
    let sizeRange: { min: number; max: number } | undefined;
    let tags: S3.Tag[] | undefined;
    try {
      this.bucket(bucket);
      const f = form.fields;
      if (f.key === undefined) throw E.invalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", 'key', '');
      if (!form.file) throw E.invalidArgument('POST requires exactly one file upload per request.', 'file', 0);
      sizeRange = checkPolicy(f, bucket, this.now());
      tags = parseTaggingField(f.tagging);
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(f)) if (k.startsWith('x-amz-meta-')) metadata[k.slice('x-amz-meta-'.length)] = v;
      input = {
        Bucket: bucket,
        Key: f.key.replace(/\$\{filename\}/g, form.file.filename),
        Body: form.file.stream as never,
        ContentType: f['content-type'],
        CacheControl: f['cache-control'],
        ContentDisposition: f['content-disposition'],
        ContentEncoding: f['content-encoding'],
        Expires: f.expires,
        StorageClass: f['x-amz-storage-class'],
        WebsiteRedirectLocation: f['x-amz-website-redirect-location'],
        Metadata: metadata,
      };
      for (const a of CHECKSUM_ALGORITHMS) {
        const v = f[`x-amz-checksum-${a.toLowerCase()}`];
        if (v !== undefined) (input as unknown as Record<string, string>)[`Checksum${a}`] = v;
      }
    } catch (e) {
      drain();
      throw e;
    }
    const out = await this.putObject(input, ctx, 'ObjectCreated:Post', { tags, sizeRange });
    const location = `${ctx.endpoint}/${bucket}/${input.Key.split('/').map(encodeURIComponent).join('/')}`;
    const headers: Record<string, string> = { ETag: out.ETag!, Location: location, 'x-amz-server-side-encryption': 'AES256' };
    if (out.VersionId) headers['x-amz-version-id'] = out.VersionId;
    const f = form.fields;
    const redirect = f.success_action_redirect ?? f.redirect;
    if (redirect) {
      try {
        const url = new URL(redirect);
        url.searchParams.set('bucket', bucket);
        url.searchParams.set('key', input.Key);
        url.searchParams.set('etag', out.ETag!);
        return { status: 303, headers: { ...headers, Location: url.toString() } };
      } catch {
        // S3 ignores a redirect that is not a URL and answers with the status instead.
      }
    }
    const status = f.success_action_status === '200' ? 200 : f.success_action_status === '201' ? 201 : 204;
    if (status !== 201) return { status, headers };
    const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return {
      status,
      headers: { ...headers, 'Content-Type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>${esc(location)}</Location><Bucket>${esc(bucket)}</Bucket><Key>${esc(input.Key)}</Key><ETag>${esc(out.ETag!)}</ETag></PostResponse>`,
    };
  }

  DeleteObject(input: S3.DeleteObjectRequest, ctx: RequestContext): S3.DeleteObjectOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    return this.deleteOne(b, input.Key, input.VersionId, ctx) as S3.DeleteObjectOutput;
  }

  private deleteOne(b: BucketRow, key: string, versionId: string | undefined, ctx: RequestContext): { DeleteMarker?: boolean; VersionId?: string } {
    if (versionId !== undefined) {
      if (!VERSION_ID.test(versionId)) throw E.invalidVersionId(versionId);
      const row = this.store.version(b.name, key, versionId);
      if (!row) return { VersionId: versionId };
      this.store.deleteVersion(b.name, key, versionId);
      this.emit(b, ctx, 'ObjectRemoved:Delete', { key, versionId });
      return row.delete_marker ? { DeleteMarker: true, VersionId: versionId } : { VersionId: versionId };
    }
    if (!b.versioning) {
      const row = this.store.latest(b.name, key);
      if (row) {
        this.store.deleteVersion(b.name, key, 'null');
        this.emit(b, ctx, 'ObjectRemoved:Delete', { key });
      }
      return {};
    }
    // Versioned (or suspended) bucket: a delete marker becomes the current version.
    const marker = b.versioning === 'Enabled' ? newVersionId() : 'null';
    this.store.putVersion(
      {
        bucket: b.name,
        key,
        version_id: marker,
        delete_marker: 1,
        account_id: ctx.accountId,
        region: ctx.region,
        size: 0,
        etag: '',
        last_modified: this.nowSeconds(),
        chunks: '[]',
        headers: '{}',
        metadata: '{}',
        tags: '[]',
        storage_class: 'STANDARD',
        checksum: null,
        parts_count: null,
      },
      marker === 'null',
    );
    this.emit(b, ctx, 'ObjectRemoved:DeleteMarkerCreated', { key, versionId: marker });
    return { DeleteMarker: true, VersionId: marker };
  }

  DeleteObjects(input: S3.DeleteObjectsRequest, ctx: RequestContext): S3.DeleteObjectsOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const objects = input.Delete?.Objects ?? [];
    if (!objects.length || objects.length > 1000) throw E.malformedXml();
    const deleted: S3.DeletedObject[] = [];
    const errors: S3.Error_[] = [];
    for (const o of objects) {
      try {
        const r = this.deleteOne(b, o.Key, o.VersionId, ctx);
        const d: S3.DeletedObject = { Key: o.Key };
        if (o.VersionId !== undefined) d.VersionId = o.VersionId;
        if (r.DeleteMarker) {
          d.DeleteMarker = true;
          d.DeleteMarkerVersionId = r.VersionId;
        }
        deleted.push(d);
      } catch (e) {
        if (!(e instanceof ServiceError)) throw e;
        errors.push({ Key: o.Key, VersionId: o.VersionId, Code: e.code, Message: e.message });
      }
    }
    const out: S3.DeleteObjectsOutput = {};
    if (!input.Delete.Quiet && deleted.length) out.Deleted = deleted;
    if (errors.length) out.Errors = errors;
    return out;
  }

  /** "bucket/key?versionId=..." (URL-encoded, optionally with a leading slash). */
  private copySource(copySource: string): { b: BucketRow; row: ObjectRow; chunks: Chunk[] } {
    let src = copySource.startsWith('/') ? copySource.slice(1) : copySource;
    let versionId: string | undefined;
    const q = src.indexOf('?');
    if (q >= 0) {
      versionId = new URLSearchParams(src.slice(q + 1)).get('versionId') ?? undefined;
      src = src.slice(0, q);
    }
    const slash = src.indexOf('/');
    if (slash <= 0 || slash === src.length - 1) throw E.invalidArgument('Copy Source must mention the source bucket and key: sourcebucket/sourcekey', 'x-amz-copy-source', copySource);
    let bucket: string;
    let key: string;
    try {
      bucket = decodeURIComponent(src.slice(0, slash));
      key = decodeURIComponent(src.slice(slash + 1));
    } catch {
      throw E.invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', copySource);
    }
    const b = this.bucket(bucket);
    const row = this.findObject(b, key, versionId, 'GET');
    this.checkReadable(row);
    return { b, row, chunks: JSON.parse(row.chunks) as Chunk[] };
  }

  private copyConditions(input: { CopySourceIfMatch?: string; CopySourceIfNoneMatch?: string; CopySourceIfModifiedSince?: Date; CopySourceIfUnmodifiedSince?: Date }, row: ObjectRow): void {
    checkConditions(
      { IfMatch: input.CopySourceIfMatch, IfNoneMatch: input.CopySourceIfNoneMatch, IfModifiedSince: input.CopySourceIfModifiedSince, IfUnmodifiedSince: input.CopySourceIfUnmodifiedSince },
      row.etag,
      row.last_modified,
      { copy: true },
    );
  }

  async CopyObject(input: S3.CopyObjectRequest, ctx: RequestContext): Promise<S3.CopyObjectOutput> {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    this.checkKey(input.Key);
    const src = this.copySource(input.CopySource);
    this.copyConditions(input, src.row);
    const directive = input.MetadataDirective ?? 'COPY';
    if (directive !== 'COPY' && directive !== 'REPLACE') throw E.invalidArgument('Unknown metadata directive.', 'MetadataDirective', directive);
    const tagging = input.TaggingDirective ?? 'COPY';
    if (tagging !== 'COPY' && tagging !== 'REPLACE') throw E.invalidArgument('Unknown tagging directive.', 'TaggingDirective', tagging);
    if (src.row.size > MAX_OBJECT_SIZE) throw new E.InvalidRequest(`The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_OBJECT_SIZE}`);
    const sameObject = src.b.name === b.name && src.row.key === input.Key;
    if (sameObject && directive === 'COPY' && !input.StorageClass && !input.WebsiteRedirectLocation && !input.ServerSideEncryption && !input.ChecksumAlgorithm) {
      throw new E.InvalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    const storageClass = input.StorageClass ? this.storageClass(input.StorageClass) : src.row.storage_class;
    const srcChecksum = src.row.checksum ? (JSON.parse(src.row.checksum) as StoredChecksum) : undefined;
    const wanted = isChecksumAlgorithm(input.ChecksumAlgorithm) ? (input.ChecksumAlgorithm.toUpperCase() as ChecksumAlgorithm) : srcChecksum?.Algorithm;
    // A copy is a new single-part object: multipart sources are joined, and a checksum is
    // recomputed unless the source's full-object checksum can be carried over.
    let chunks: Chunk[] = src.chunks;
    let etag = src.row.etag;
    let checksum = srcChecksum?.Type === 'FULL_OBJECT' && srcChecksum.Algorithm === wanted ? srcChecksum : undefined;
    if (chunks.length > 1 || (wanted && !checksum)) {
      const hasher = wanted ? createHasher(wanted) : undefined;
      const blob = await this.deps.blobs.putStream(readChunks(this.deps.blobs, src.chunks), { observe: hasher ? (c) => hasher.update(c) : undefined });
      chunks = [[blob.sha256, blob.size]];
      etag = blob.md5;
      if (hasher && wanted) checksum = { Algorithm: wanted, Value: hasher.digest(), Type: 'FULL_OBJECT' };
    }
    const { versionId, replaceNull } = this.versionIdFor(b);
    const row = this.store.putVersion(
      {
        bucket: b.name,
        key: input.Key,
        version_id: versionId,
        delete_marker: 0,
        account_id: ctx.accountId,
        region: ctx.region,
        size: src.row.size,
        etag,
        last_modified: this.nowSeconds(),
        chunks: JSON.stringify(chunks),
        headers: directive === 'REPLACE' ? JSON.stringify(this.contentHeaders(input)) : src.row.headers,
        metadata: directive === 'REPLACE' ? this.metadata(input.Metadata) : src.row.metadata,
        tags: tagging === 'REPLACE' ? JSON.stringify(parseTaggingHeader(input.Tagging)) : src.row.tags,
        storage_class: storageClass,
        checksum: checksum ? JSON.stringify(checksum) : null,
        parts_count: null,
      },
      replaceNull,
    );
    this.emit(b, ctx, 'ObjectCreated:Copy', { key: row.key, size: row.size, etag: row.etag, versionId: row.version_id });
    const out: Out = {
      CopyObjectResult: { ETag: quote(etag), LastModified: new Date(row.last_modified), ...(checksum ? { [`Checksum${checksum.Algorithm}`]: checksum.Value, ChecksumType: checksum.Type } : {}) },
      ServerSideEncryption: 'AES256',
    };
    const srcVersion = this.reportedVersion(src.b, src.row.version_id);
    if (srcVersion) out.CopySourceVersionId = srcVersion;
    if (b.versioning === 'Enabled') out.VersionId = row.version_id;
    return out as S3.CopyObjectOutput;
  }

  /**
   * Restores an archived object. S3 takes minutes to hours; Nimbus completes at once (both
   * ObjectRestore:Post and ObjectRestore:Completed fire) so tests need not wait. The copy is
   * kept for Days, until midnight UTC after that, as on S3.
   */
  RestoreObject(input: S3.RestoreObjectRequest, ctx: RequestContext): S3.RestoreObjectOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const row = this.findObject(b, input.Key, input.VersionId, 'POST');
    if (!ARCHIVED.has(row.storage_class)) throw E.invalidObjectState("Restore is not allowed for the object's current storage class", row.storage_class);
    const days = input.RestoreRequest?.Days;
    if (days === undefined || days < 1) throw E.malformedXml();
    const expiry = Math.ceil((this.now() + days * DAY) / DAY) * DAY;
    const already = (row.restore_expiry ?? 0) > this.now();
    this.store.setRestoreExpiry(b.name, row.key, row.version_id, expiry);
    if (already) return { StatusCode: 200 };
    const obj = { key: row.key, size: row.size, etag: row.etag, versionId: row.version_id };
    this.emit(b, ctx, 'ObjectRestore:Post', obj);
    this.emit(b, ctx, 'ObjectRestore:Completed', { ...obj, restore: { expiry, storageClass: row.storage_class } });
    return { StatusCode: 202 };
  }

  // ---------------------------------------------------------------- tagging

  private taggedObject(input: { Bucket: string; Key: string; VersionId?: string; ExpectedBucketOwner?: string }): { b: BucketRow; row: ObjectRow } {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    return { b, row: this.findObject(b, input.Key, input.VersionId, 'GET') };
  }

  PutObjectTagging(input: S3.PutObjectTaggingRequest, ctx: RequestContext): S3.PutObjectTaggingOutput {
    const { b, row } = this.taggedObject(input);
    const tags = validateTags(input.Tagging?.TagSet ?? [], 10);
    this.store.setTags(b.name, row.key, row.version_id, JSON.stringify(tags));
    this.emit(b, ctx, 'ObjectTagging:Put', { key: row.key, etag: row.etag, versionId: row.version_id });
    const version = this.reportedVersion(b, row.version_id);
    return version ? { VersionId: version } : {};
  }
  GetObjectTagging(input: S3.GetObjectTaggingRequest): S3.GetObjectTaggingOutput {
    const { b, row } = this.taggedObject(input);
    const out: S3.GetObjectTaggingOutput = { TagSet: JSON.parse(row.tags) };
    const version = this.reportedVersion(b, row.version_id);
    if (version) out.VersionId = version;
    return out;
  }
  DeleteObjectTagging(input: S3.DeleteObjectTaggingRequest, ctx: RequestContext): S3.DeleteObjectTaggingOutput {
    const { b, row } = this.taggedObject(input);
    this.store.setTags(b.name, row.key, row.version_id, '[]');
    this.emit(b, ctx, 'ObjectTagging:Delete', { key: row.key, etag: row.etag, versionId: row.version_id });
    const version = this.reportedVersion(b, row.version_id);
    return version ? { VersionId: version } : {};
  }

  GetObjectAcl(input: S3.GetObjectAclRequest): S3.GetObjectAclOutput {
    const { b } = this.taggedObject(input);
    const owner = this.owner(b.account_id);
    return { Owner: owner, Grants: [{ Grantee: { ID: owner.ID, Type: 'CanonicalUser' }, Permission: 'FULL_CONTROL' }] };
  }
  PutObjectAcl(input: S3.PutObjectAclRequest, ctx: RequestContext): S3.PutObjectAclOutput {
    // Accepted and not enforced, like bucket ACLs; the event still fires.
    const { b, row } = this.taggedObject(input);
    this.emit(b, ctx, 'ObjectAcl:Put', { key: row.key, etag: row.etag, versionId: row.version_id });
    return {};
  }

  // ---------------------------------------------------------------- listings

  private maxKeys(n: number | undefined): number {
    if (n === undefined) return 1000;
    if (n < 0) throw E.invalidArgument('Argument maxKeys must be an integer between 0 and 2147483647', 'maxKeys', n);
    return Math.min(n, 1000);
  }

  /**
   * Walks rows in key order below `prefix`, rolling keys that contain the delimiter into common
   * prefixes; both count towards maxKeys, as on S3. `skip` drops rows at or before the marker.
   */
  private walk<T extends { key: string }>(rows: Iterable<T>, opts: { prefix: string; delimiter?: string; maxKeys: number; marker?: string; skip?: (row: T) => boolean }) {
    const contents: T[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last: string | undefined;
    let lastPrefix: string | undefined;
    let lastRow: T | undefined;
    const iterator = rows[Symbol.iterator]();
    // Always finish the iterator: an open SQLite statement keeps the connection busy.
    try {
      if (opts.maxKeys === 0) return { contents, prefixes, truncated, last, lastRow };
      for (let next = iterator.next(); !next.done; next = iterator.next()) {
        const row = next.value;
      if (!row.key.startsWith(opts.prefix)) {
        if (cmp(row.key, opts.prefix) > 0) break;
        continue;
      }
      if (opts.skip?.(row)) continue;
      if (opts.delimiter) {
        const i = row.key.indexOf(opts.delimiter, opts.prefix.length);
        if (i >= 0) {
          const cp = row.key.slice(0, i + opts.delimiter.length);
          if (cp === lastPrefix || (opts.marker !== undefined && cmp(cp, opts.marker) <= 0)) continue;
          if (contents.length + prefixes.length >= opts.maxKeys) {
            truncated = true;
            break;
          }
          prefixes.push(cp);
          lastPrefix = cp;
          last = cp;
          continue;
        }
      }
      if (contents.length + prefixes.length >= opts.maxKeys) {
        truncated = true;
        break;
      }
      contents.push(row);
      last = row.key;
      lastRow = row;
      }
    } finally {
      iterator.return?.();
    }
    return { contents, prefixes, truncated, last, lastRow };
  }

  private listEntry(row: ObjectRow, owner?: S3.Owner): S3.Object_ {
    const e: S3.Object_ = { Key: row.key, LastModified: new Date(row.last_modified), ETag: quote(row.etag), Size: row.size, StorageClass: row.storage_class as S3.Object_['StorageClass'] };
    if (row.checksum) {
      const c = JSON.parse(row.checksum) as StoredChecksum;
      e.ChecksumAlgorithm = [c.Algorithm];
      e.ChecksumType = c.Type;
    }
    if (owner) e.Owner = owner;
    return e;
  }

  private encoder(encodingType: string | undefined): (s: string | undefined) => string | undefined {
    if (encodingType !== undefined && encodingType !== 'url') throw E.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
    return (s) => (s === undefined ? undefined : encodingType === 'url' ? urlEncodeKey(s) : s);
  }

  ListObjectsV2(input: S3.ListObjectsV2Request): S3.ListObjectsV2Output {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const enc = this.encoder(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const maxKeys = this.maxKeys(input.MaxKeys);
    let marker: string | undefined;
    if (input.ContinuationToken !== undefined) {
      const decoded = Buffer.from(input.ContinuationToken, 'base64url').toString();
      if (!decoded.startsWith('1:')) throw E.invalidArgument('The continuation token provided is incorrect', 'continuation-token', input.ContinuationToken);
      marker = decoded.slice(2);
    } else if (input.StartAfter) marker = input.StartAfter;
    const from = scanStart(marker, prefix);
    const r = this.walk(this.store.iterateLatest(b.name, from), { prefix, delimiter: input.Delimiter || undefined, maxKeys, marker, skip: (row) => marker !== undefined && cmp(row.key, marker) <= 0 });
    const owner = input.FetchOwner ? this.owner(b.account_id) : undefined;
    const out: Out = {
      Name: b.name,
      Prefix: enc(prefix),
      MaxKeys: input.MaxKeys ?? 1000,
      KeyCount: r.contents.length + r.prefixes.length,
      IsTruncated: r.truncated,
    };
    if (r.contents.length) out.Contents = r.contents.map((row) => ({ ...this.listEntry(row, owner), Key: enc(row.key) }));
    if (r.prefixes.length) out.CommonPrefixes = r.prefixes.map((p) => ({ Prefix: enc(p) }));
    if (input.Delimiter) out.Delimiter = enc(input.Delimiter);
    if (input.EncodingType) out.EncodingType = input.EncodingType;
    if (input.ContinuationToken !== undefined) out.ContinuationToken = input.ContinuationToken;
    if (input.StartAfter) out.StartAfter = enc(input.StartAfter);
    if (r.truncated && r.last !== undefined) out.NextContinuationToken = Buffer.from('1:' + r.last).toString('base64url');
    return out as S3.ListObjectsV2Output;
  }

  ListObjects(input: S3.ListObjectsRequest): S3.ListObjectsOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const enc = this.encoder(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const maxKeys = this.maxKeys(input.MaxKeys);
    const marker = input.Marker || undefined;
    const from = scanStart(marker, prefix);
    const r = this.walk(this.store.iterateLatest(b.name, from), { prefix, delimiter: input.Delimiter || undefined, maxKeys, marker, skip: (row) => marker !== undefined && cmp(row.key, marker) <= 0 });
    const owner = this.owner(b.account_id);
    const out: Out = {
      Name: b.name,
      Prefix: enc(prefix),
      Marker: enc(input.Marker ?? ''),
      MaxKeys: input.MaxKeys ?? 1000,
      IsTruncated: r.truncated,
    };
    if (r.contents.length) out.Contents = r.contents.map((row) => ({ ...this.listEntry(row, owner), Key: enc(row.key) }));
    if (r.prefixes.length) out.CommonPrefixes = r.prefixes.map((p) => ({ Prefix: enc(p) }));
    if (input.Delimiter) out.Delimiter = enc(input.Delimiter);
    if (input.EncodingType) out.EncodingType = input.EncodingType;
    // S3 sends NextMarker only when a delimiter was given; clients otherwise use the last key.
    if (r.truncated && input.Delimiter && r.last !== undefined) out.NextMarker = enc(r.last);
    return out as S3.ListObjectsOutput;
  }

  ListObjectVersions(input: S3.ListObjectVersionsRequest): S3.ListObjectVersionsOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const enc = this.encoder(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const maxKeys = this.maxKeys(input.MaxKeys);
    const keyMarker = input.KeyMarker || undefined;
    const versionMarker = input.VersionIdMarker || undefined;
    if (versionMarker && !keyMarker) throw E.invalidArgument('A version-id marker cannot be specified without a key marker.', 'version-id-marker', versionMarker);
    const from = scanStart(keyMarker, prefix);
    const skip = skipThroughMarkers(keyMarker, versionMarker, (row: ObjectRow) => row.version_id);
    const r = this.walk(this.store.iterateVersions(b.name, from), { prefix, delimiter: input.Delimiter || undefined, maxKeys, marker: versionMarker ? undefined : keyMarker, skip });
    const owner = this.owner(b.account_id);
    const versions: S3.ObjectVersion[] = [];
    const markers: S3.DeleteMarkerEntry[] = [];
    for (const row of r.contents) {
      const common = { Key: enc(row.key), VersionId: row.version_id, IsLatest: !!row.is_latest, LastModified: new Date(row.last_modified), Owner: owner };
      if (row.delete_marker) markers.push(common);
      else {
        const v: S3.ObjectVersion = { ...common, ETag: quote(row.etag), Size: row.size, StorageClass: row.storage_class as S3.ObjectVersion['StorageClass'] };
        if (row.checksum) {
          const c = JSON.parse(row.checksum) as StoredChecksum;
          v.ChecksumAlgorithm = [c.Algorithm];
          v.ChecksumType = c.Type;
        }
        versions.push(v);
      }
    }
    const out: Out = { Name: b.name, Prefix: enc(prefix), KeyMarker: enc(input.KeyMarker ?? ''), VersionIdMarker: input.VersionIdMarker ?? '', MaxKeys: input.MaxKeys ?? 1000, IsTruncated: r.truncated };
    if (versions.length) out.Versions = versions;
    if (markers.length) out.DeleteMarkers = markers;
    if (r.prefixes.length) out.CommonPrefixes = r.prefixes.map((p) => ({ Prefix: enc(p) }));
    if (input.Delimiter) out.Delimiter = enc(input.Delimiter);
    if (input.EncodingType) out.EncodingType = input.EncodingType;
    if (r.truncated && r.last !== undefined) {
      out.NextKeyMarker = enc(r.last);
      if (r.lastRow && r.lastRow.key === r.last) out.NextVersionIdMarker = r.lastRow.version_id;
    }
    return out as S3.ListObjectVersionsOutput;
  }

  // ---------------------------------------------------------------- multipart uploads

  private uploadOf(bucket: string, key: string, uploadId: string): UploadRow {
    const u = this.store.upload(uploadId);
    if (!u || u.bucket !== bucket || u.key !== key) throw E.noSuchUpload(uploadId);
    return u;
  }

  CreateMultipartUpload(input: S3.CreateMultipartUploadRequest, ctx: RequestContext): S3.CreateMultipartUploadOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    this.checkKey(input.Key);
    const storageClass = this.storageClass(input.StorageClass);
    const tags = parseTaggingHeader(input.Tagging);
    const algorithm = isChecksumAlgorithm(input.ChecksumAlgorithm) ? (input.ChecksumAlgorithm.toUpperCase() as ChecksumAlgorithm) : undefined;
    // CRC64NVME only supports full-object checksums; the other algorithms default to composite.
    const type = input.ChecksumType ?? (algorithm ? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE') : undefined);
    if (type === 'FULL_OBJECT' && algorithm && (algorithm === 'SHA1' || algorithm === 'SHA256')) {
      throw new E.InvalidRequest(`The FULL_OBJECT checksum type cannot be used with the ${algorithm.toLowerCase()} checksum algorithm.`);
    }
    if (type === 'COMPOSITE' && algorithm === 'CRC64NVME') throw new E.InvalidRequest('The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
    const uploadId = crypto.randomBytes(48).toString('base64url');
    this.store.insertUpload({
      upload_id: uploadId,
      bucket: b.name,
      key: input.Key,
      account_id: ctx.accountId,
      region: ctx.region,
      initiated: this.nowSeconds(),
      headers: JSON.stringify(this.contentHeaders(input)),
      metadata: this.metadata(input.Metadata),
      tags: JSON.stringify(tags),
      storage_class: storageClass,
      checksum_algorithm: algorithm ?? null,
      checksum_type: type ?? null,
    });
    const out: Out = { Bucket: b.name, Key: input.Key, UploadId: uploadId, ServerSideEncryption: 'AES256' };
    if (algorithm) {
      out.ChecksumAlgorithm = algorithm;
      out.ChecksumType = type;
    }
    return out as S3.CreateMultipartUploadOutput;
  }

  private checkPartNumber(n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 10000) throw E.invalidArgument('Part number must be an integer between 1 and 10000, inclusive', 'partNumber', n);
  }

  async UploadPart(input: S3.UploadPartRequest, ctx: RequestContext): Promise<S3.UploadPartOutput> {
    let u: UploadRow;
    try {
      this.bucket(input.Bucket, input.ExpectedBucketOwner);
      u = this.uploadOf(input.Bucket, input.Key, input.UploadId);
      this.checkPartNumber(input.PartNumber);
    } catch (e) {
      if (input.Body instanceof Readable) input.Body.resume();
      throw e;
    }
    const blob = await this.receive(input.Body, input as never, ctx, u.checksum_algorithm);
    if (u.checksum_algorithm && blob.checksum && blob.checksum.Algorithm !== u.checksum_algorithm) {
      throw new E.InvalidRequest(`Checksum Type mismatch occurred, expected checksum Type: ${u.checksum_algorithm.toLowerCase()}, actual checksum Type: ${blob.checksum.Algorithm.toLowerCase()}`);
    }
    // The upload may have been completed or aborted while the part streamed in.
    if (!this.store.upload(u.upload_id)) throw E.noSuchUpload(u.upload_id);
    this.store.putPart({ upload_id: u.upload_id, part_number: input.PartNumber, sha256: blob.sha256, size: blob.size, etag: blob.md5, last_modified: this.nowSeconds(), checksum: blob.checksum?.Value ?? null });
    const out: Out = { ETag: quote(blob.md5), ServerSideEncryption: 'AES256' };
    if (blob.checksum) out[`Checksum${blob.checksum.Algorithm}`] = blob.checksum.Value;
    return out as S3.UploadPartOutput;
  }

  async UploadPartCopy(input: S3.UploadPartCopyRequest): Promise<S3.UploadPartCopyOutput> {
    this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const u = this.uploadOf(input.Bucket, input.Key, input.UploadId);
    this.checkPartNumber(input.PartNumber);
    const src = this.copySource(input.CopySource);
    this.copyConditions(input, src.row);
    let start = 0;
    let end = src.row.size - 1;
    if (input.CopySourceRange !== undefined) {
      const m = /^bytes=(\d+)-(\d+)$/.exec(input.CopySourceRange);
      if (!m) throw E.invalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', 'x-amz-copy-source-range', input.CopySourceRange);
      start = Number(m[1]);
      end = Number(m[2]);
      if (end < start || end >= src.row.size) throw E.invalidArgument(`Range specified is not valid for source object of size: ${src.row.size}`, 'x-amz-copy-source-range', input.CopySourceRange);
    }
    if (end - start + 1 > MAX_OBJECT_SIZE) throw E.entityTooLarge(end - start + 1, MAX_OBJECT_SIZE);
    const hasher = isChecksumAlgorithm(u.checksum_algorithm ?? undefined) ? createHasher(u.checksum_algorithm as ChecksumAlgorithm) : undefined;
    const blob = await this.deps.blobs.putStream(readChunks(this.deps.blobs, src.chunks, start, end), { observe: hasher ? (c) => hasher.update(c) : undefined });
    const checksum = hasher?.digest();
    const lastModified = this.nowSeconds();
    this.store.putPart({ upload_id: u.upload_id, part_number: input.PartNumber, sha256: blob.sha256, size: blob.size, etag: blob.md5, last_modified: lastModified, checksum: checksum ?? null });
    const out: Out = { CopyPartResult: { ETag: quote(blob.md5), LastModified: new Date(lastModified), ...(checksum ? { [`Checksum${u.checksum_algorithm}`]: checksum } : {}) }, ServerSideEncryption: 'AES256' };
    const srcVersion = this.reportedVersion(src.b, src.row.version_id);
    if (srcVersion) out.CopySourceVersionId = srcVersion;
    return out as S3.UploadPartCopyOutput;
  }

  CompleteMultipartUpload(input: S3.CompleteMultipartUploadRequest, ctx: RequestContext): S3.CompleteMultipartUploadOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const u = this.uploadOf(b.name, input.Key, input.UploadId);
    const requested = input.MultipartUpload?.Parts ?? [];
    if (!requested.length) throw E.malformedXml();
    this.checkWriteConditions(b, input.Key, input);
    let previous = 0;
    for (const p of requested) {
      if ((p.PartNumber ?? 0) <= previous) throw E.invalidPartOrder(u.upload_id);
      previous = p.PartNumber ?? 0;
    }
    const parts = requested.map((p) => {
      const n = p.PartNumber ?? 0;
      const stored = this.store.part(u.upload_id, n);
      if (!stored || stored.etag !== (p.ETag ?? '').replace(/"/g, '')) throw E.invalidPart(u.upload_id, n, p.ETag ?? '');
      return stored;
    });
    parts.forEach((p, i) => {
      if (i < parts.length - 1 && p.size < MIN_PART_SIZE) throw E.entityTooSmall(p.size, p.part_number, quote(p.etag));
    });
    // The multipart ETag: MD5 of the concatenated binary part MD5s, then "-<part count>".
    const md5 = crypto.createHash('md5');
    for (const p of parts) md5.update(Buffer.from(p.etag, 'hex'));
    const etag = `${md5.digest('hex')}-${parts.length}`;
    const size = parts.reduce((n, p) => n + p.size, 0);
    let checksum: StoredChecksum | undefined;
    const algorithm = u.checksum_algorithm as ChecksumAlgorithm | null;
    if (algorithm && parts.every((p) => p.checksum)) {
      if (u.checksum_type === 'FULL_OBJECT' && (algorithm === 'CRC32' || algorithm === 'CRC32C')) {
        let crc = 0;
        for (const p of parts) crc = crc32Combine(algorithm, crc, Buffer.from(p.checksum!, 'base64').readUInt32BE(0), p.size);
        const buf = Buffer.alloc(4);
        buf.writeUInt32BE(crc >>> 0);
        checksum = { Algorithm: algorithm, Value: buf.toString('base64'), Type: 'FULL_OBJECT' };
      } else if (u.checksum_type !== 'FULL_OBJECT') {
        const h = createHasher(algorithm);
        for (const p of parts) h.update(Buffer.from(p.checksum!, 'base64'));
        checksum = { Algorithm: algorithm, Value: `${h.digest()}-${parts.length}`, Type: 'COMPOSITE' };
      }
      // Full-object CRC64NVME would need a CRC-64 combine; Nimbus reports no checksum for it.
    }
    const { versionId, replaceNull } = this.versionIdFor(b);
    const row: NewObject = {
      bucket: b.name,
      key: input.Key,
      version_id: versionId,
      delete_marker: 0,
      account_id: ctx.accountId,
      region: ctx.region,
      size,
      etag,
      last_modified: this.nowSeconds(),
      chunks: JSON.stringify(parts.map((p) => [p.sha256, p.size])),
      headers: u.headers,
      metadata: u.metadata,
      tags: u.tags,
      storage_class: u.storage_class,
      checksum: checksum ? JSON.stringify(checksum) : null,
      parts_count: parts.length,
    };
    this.store.completeUpload(u.upload_id, row, replaceNull);
    this.emit(b, ctx, 'ObjectCreated:CompleteMultipartUpload', { key: row.key, size, etag, versionId });
    const out: Out = {
      Location: `${ctx.endpoint}/${b.name}/${input.Key.split('/').map(encodeURIComponent).join('/')}`,
      Bucket: b.name,
      Key: input.Key,
      ETag: quote(etag),
      ServerSideEncryption: 'AES256',
      ...this.checksumMembers(checksum),
    };
    if (b.versioning === 'Enabled') out.VersionId = versionId;
    return out as S3.CompleteMultipartUploadOutput;
  }

  AbortMultipartUpload(input: S3.AbortMultipartUploadRequest): S3.AbortMultipartUploadOutput {
    this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const u = this.uploadOf(input.Bucket, input.Key, input.UploadId);
    this.store.deleteUpload(u.upload_id);
    return {};
  }

  ListParts(input: S3.ListPartsRequest): S3.ListPartsOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const u = this.uploadOf(b.name, input.Key, input.UploadId);
    const max = Math.min(input.MaxParts ?? 1000, 1000);
    const marker = Number(input.PartNumberMarker ?? 0) || 0;
    const all = this.store.parts(u.upload_id, marker);
    const page = all.slice(0, max);
    const owner = this.owner(u.account_id);
    const out: Out = {
      Bucket: b.name,
      Key: u.key,
      UploadId: u.upload_id,
      PartNumberMarker: marker,
      MaxParts: max,
      IsTruncated: all.length > max,
      Initiator: { ID: owner.ID },
      Owner: owner,
      StorageClass: u.storage_class,
      Parts: page.map((p) => ({
        PartNumber: p.part_number,
        LastModified: new Date(p.last_modified),
        ETag: quote(p.etag),
        Size: p.size,
        ...(p.checksum && u.checksum_algorithm ? { [`Checksum${u.checksum_algorithm}`]: p.checksum } : {}),
      })),
    };
    if (all.length > max) out.NextPartNumberMarker = page[page.length - 1].part_number;
    if (u.checksum_algorithm) {
      out.ChecksumAlgorithm = u.checksum_algorithm;
      out.ChecksumType = u.checksum_type;
    }
    return out as S3.ListPartsOutput;
  }

  ListMultipartUploads(input: S3.ListMultipartUploadsRequest): S3.ListMultipartUploadsOutput {
    const b = this.bucket(input.Bucket, input.ExpectedBucketOwner);
    const enc = this.encoder(input.EncodingType);
    const prefix = input.Prefix ?? '';
    const max = this.maxKeys(input.MaxUploads);
    const keyMarker = input.KeyMarker || undefined;
    const uploadMarker = input.UploadIdMarker || undefined;
    const rows = [...this.store.iterateUploads(b.name, scanStart(keyMarker, prefix))];
    const skip = skipThroughMarkers(keyMarker, uploadMarker, (u: UploadRow) => u.upload_id);
    const r = this.walk(rows, { prefix, delimiter: input.Delimiter || undefined, maxKeys: max, marker: uploadMarker ? undefined : keyMarker, skip });
    const out: Out = {
      Bucket: b.name,
      KeyMarker: enc(input.KeyMarker ?? ''),
      UploadIdMarker: input.UploadIdMarker ?? '',
      Prefix: enc(prefix),
      MaxUploads: input.MaxUploads ?? 1000,
      IsTruncated: r.truncated,
    };
    if (r.contents.length) {
      out.Uploads = r.contents.map((u) => {
        const owner = this.owner(u.account_id);
        return {
          UploadId: u.upload_id,
          Key: enc(u.key),
          Initiated: new Date(u.initiated),
          StorageClass: u.storage_class,
          Owner: owner,
          Initiator: { ID: owner.ID },
          ...(u.checksum_algorithm ? { ChecksumAlgorithm: u.checksum_algorithm, ChecksumType: u.checksum_type } : {}),
        };
      });
    }
    if (r.prefixes.length) out.CommonPrefixes = r.prefixes.map((p) => ({ Prefix: enc(p) }));
    if (input.Delimiter) out.Delimiter = enc(input.Delimiter);
    if (input.EncodingType) out.EncodingType = input.EncodingType;
    if (r.truncated && r.last !== undefined) {
      out.NextKeyMarker = enc(r.last);
      if (r.lastRow && r.lastRow.key === r.last) out.NextUploadIdMarker = r.lastRow.upload_id;
    }
    return out as S3.ListMultipartUploadsOutput;
  }

  // ---------------------------------------------------------------- CORS (served by the pipeline)

  /**
   * Answers a CORS preflight (OPTIONS) for a bucket by its CORS rules, as S3 does: the first rule
   * whose origin, method and every requested header match. Throws S3's 403 AccessForbidden otherwise.
   */
  corsPreflight(bucket: string, origin: string | undefined, method: string | undefined, requestHeaders?: string | string[]): { status: number; headers: Record<string, string> } {
    if (!origin) throw new ServiceError('BadRequest', 'Insufficient information. Origin request header needed.', { status: 400 });
    if (!method) throw new ServiceError('BadRequest', 'Invalid Access-Control-Request-Method: null', { status: 400 });
    const b = this.store.bucket(bucket);
    if (!b) throw E.accessForbidden('CORSResponse: Bucket not found', method);
    if (!b.cors) throw E.accessForbidden('CORSResponse: CORS is not enabled for this bucket.', method);
    const asked = (Array.isArray(requestHeaders) ? requestHeaders.join(',') : requestHeaders ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const rule = (JSON.parse(b.cors) as S3.CORSRule[]).find(
      (r) =>
        r.AllowedOrigins.some((o) => wildcardMatch(o, origin)) &&
        r.AllowedMethods.includes(method.toUpperCase()) &&
        asked.every((h) => (r.AllowedHeaders ?? []).some((a) => wildcardMatch(a.toLowerCase(), h))),
    );
    if (!rule) {
      throw E.accessForbidden(
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        method,
      );
    }
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': rule.AllowedOrigins.includes('*') ? '*' : origin,
      'Access-Control-Allow-Methods': rule.AllowedMethods.join(', '),
      Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    };
    if (!rule.AllowedOrigins.includes('*')) headers['Access-Control-Allow-Credentials'] = 'true';
    if (asked.length) headers['Access-Control-Allow-Headers'] = asked.join(', ');
    if (rule.ExposeHeaders?.length) headers['Access-Control-Expose-Headers'] = rule.ExposeHeaders.join(', ');
    if (rule.MaxAgeSeconds !== undefined) headers['Access-Control-Max-Age'] = String(rule.MaxAgeSeconds);
    return { status: 200, headers };
  }

  /** CORS headers for an actual (non-preflight) request with an Origin header; empty when no rule matches. */
  corsHeaders(bucket: string, origin: string | undefined, method: string): Record<string, string> {
    if (!origin) return {};
    try {
      const r = this.corsPreflight(bucket, origin, method);
      delete r.headers['Access-Control-Allow-Headers'];
      delete r.headers['Access-Control-Max-Age'];
      return r.headers;
    } catch {
      return {};
    }
  }
}

/** S3 orders keys by their UTF-8 bytes (as SQLite compares TEXT); JS compares UTF-16 code units. */
function cmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Where a listing starts scanning: the marker when it sorts after the prefix, else the prefix. */
function scanStart(marker: string | undefined, prefix: string): string {
  return marker !== undefined && cmp(marker, prefix) > 0 ? marker : prefix;
}

/**
 * The skip predicate of the listings paged by a key marker and an id marker (ListObjectVersions:
 * version-id-marker; ListMultipartUploads: upload-id-marker). S3 resumes after the key marker;
 * with an id marker too, it resumes within that key after the entry with that id (entries come
 * in the store's order). Stateful: use one predicate per walk.
 */
function skipThroughMarkers<R extends { key: string }>(keyMarker: string | undefined, idMarker: string | undefined, idOf: (row: R) => string): (row: R) => boolean {
  let passedIdMarker = !idMarker;
  return (row) => {
    if (keyMarker === undefined) return false;
    if (cmp(row.key, keyMarker) < 0) return true;
    if (row.key !== keyMarker) return false;
    if (!idMarker) return true;
    if (passedIdMarker) return false;
    if (idOf(row) === idMarker) passedIdMarker = true;
    return true;
  };
}

function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}
