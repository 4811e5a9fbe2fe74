// S3 metadata in SQLite; object bytes live in the content-addressed BlobStore and rows refer to
// them by SHA-256. Bucket names are global per partition on AWS (unique across accounts), so the
// bucket name is the key of every S3 table; account_id and region are kept as columns for
// ownership (ListBuckets, BucketAlreadyOwnedByYou) and location (GetBucketLocation).
import type { Db } from '../../store/db.js';
import { migrate } from '../../store/db.js';

const MIGRATIONS = [
  `
  CREATE TABLE s3_buckets (
    name TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    versioning TEXT,              -- NULL: never configured; 'Enabled' | 'Suspended'
    mfa_delete TEXT,
    tags TEXT,                    -- JSON Tag[]; NULL when the bucket has no tag set
    cors TEXT,                    -- JSON CORSRule[]
    policy TEXT,
    notification TEXT,            -- JSON NotificationConfiguration, Ids filled in
    encryption TEXT,              -- JSON ServerSideEncryptionConfiguration
    object_lock INTEGER NOT NULL DEFAULT 0,
    ownership TEXT
  );
  CREATE INDEX s3_buckets_owner ON s3_buckets(account_id, region);

  CREATE TABLE s3_objects (
    bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
    key TEXT NOT NULL,
    version_id TEXT NOT NULL,     -- 'null' for the null version, as S3 names it
    seq INTEGER NOT NULL,         -- write order; the newest version of a key has the highest
    is_latest INTEGER NOT NULL,
    delete_marker INTEGER NOT NULL DEFAULT 0,
    account_id TEXT NOT NULL,     -- the writer
    region TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    etag TEXT NOT NULL DEFAULT '',
    last_modified INTEGER NOT NULL,
    chunks TEXT NOT NULL DEFAULT '[]',  -- JSON [sha256, size][]: one per part of a multipart object
    headers TEXT NOT NULL DEFAULT '{}', -- ContentType, CacheControl, ... as S3 member names
    metadata TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    storage_class TEXT NOT NULL DEFAULT 'STANDARD',
    checksum TEXT,                -- JSON {Algorithm, Value, Type}
    parts_count INTEGER,
    PRIMARY KEY (bucket, key, version_id)
  );
  CREATE INDEX s3_objects_latest ON s3_objects(bucket, is_latest, key);
  CREATE INDEX s3_objects_versions ON s3_objects(bucket, key, seq);

  CREATE TABLE s3_uploads (
    upload_id TEXT PRIMARY KEY,
    bucket TEXT NOT NULL REFERENCES s3_buckets(name) ON DELETE CASCADE,
    key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    initiated INTEGER NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    metadata TEXT NOT NULL DEFAULT '{}',
    tags TEXT NOT NULL DEFAULT '[]',
    storage_class TEXT NOT NULL DEFAULT 'STANDARD',
    checksum_algorithm TEXT,
    checksum_type TEXT
  );
  CREATE INDEX s3_uploads_key ON s3_uploads(bucket, key, initiated);

  CREATE TABLE s3_parts (
    upload_id TEXT NOT NULL REFERENCES s3_uploads(upload_id) ON DELETE CASCADE,
    part_number INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    checksum TEXT,                -- base64 digest with the upload's algorithm
    PRIMARY KEY (upload_id, part_number)
  );
  `,
  // Configurations Nimbus stores and returns but does not act on (public access block,
  // lifecycle, website), as a JSON object keyed by configuration name.
  `ALTER TABLE s3_buckets ADD COLUMN stored_configs TEXT NOT NULL DEFAULT '{}';`,
  // Until when a restored copy of an archived (GLACIER, DEEP_ARCHIVE) object is readable.
  `ALTER TABLE s3_objects ADD COLUMN restore_expiry INTEGER;`,
];

export interface BucketRow {
  name: string;
  account_id: string;
  region: string;
  created_at: number;
  versioning: string | null;
  mfa_delete: string | null;
  tags: string | null;
  cors: string | null;
  policy: string | null;
  notification: string | null;
  encryption: string | null;
  object_lock: number;
  ownership: string | null;
  stored_configs: string;
}

export interface ObjectRow {
  bucket: string;
  key: string;
  version_id: string;
  seq: number;
  is_latest: number;
  delete_marker: number;
  account_id: string;
  region: string;
  size: number;
  etag: string;
  last_modified: number;
  chunks: string;
  headers: string;
  metadata: string;
  tags: string;
  storage_class: string;
  checksum: string | null;
  parts_count: number | null;
  restore_expiry?: number | null;
}

export interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  account_id: string;
  region: string;
  initiated: number;
  headers: string;
  metadata: string;
  tags: string;
  storage_class: string;
  checksum_algorithm: string | null;
  checksum_type: string | null;
}

export interface PartRow {
  upload_id: string;
  part_number: number;
  sha256: string;
  size: number;
  etag: string;
  last_modified: number;
  checksum: string | null;
}

export type NewObject = Omit<ObjectRow, 'seq' | 'is_latest' | 'restore_expiry'>;

export class S3Store {
  private seq: number;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly putVersionTx: (row: NewObject, replaceNull: boolean) => ObjectRow;
  private readonly buckets = new Map<string, BucketRow>();
  constructor(readonly db: Db) {
    migrate(db, 's3', MIGRATIONS);
    this.stmts = prepare(db);
    // Built once: better-sqlite3 builds a wrapper per transaction() call, a visible share of a PutObject.
    this.putVersionTx = db.transaction((row: NewObject, replaceNull: boolean) => this.putVersionOnce(row, replaceNull));
    this.seq = (db.prepare('SELECT COALESCE(MAX(seq), 0) AS m FROM s3_objects').get() as { m: number }).m;
  }

  /**
   * Bucket rows are read by every object request and written rarely, only through this class:
   * they are kept, read-only, until the next write to that bucket. A row read inside a
   * transaction is not kept, since that transaction may yet roll back.
   */
  bucket(name: string): BucketRow | undefined {
    const cached = this.buckets.get(name);
    if (cached) return cached;
    const row = this.stmts.bucket.get(name) as BucketRow | undefined;
    if (row && !this.db.inTransaction) {
      if (this.buckets.size >= 10_000) this.buckets.clear();
      this.buckets.set(name, Object.freeze(row));
    }
    return row;
  }
  bucketsOf(accountId: string): BucketRow[] {
    return this.stmts.bucketsOf.all(accountId) as BucketRow[];
  }
  insertBucket(name: string, accountId: string, region: string, createdAt: number, objectLock: boolean, ownership: string | null): void {
    this.buckets.delete(name);
    this.stmts.insertBucket.run(name, accountId, region, createdAt, objectLock ? 1 : 0, ownership);
  }
  deleteBucket(name: string): void {
    this.buckets.delete(name);
    this.stmts.deleteBucket.run(name);
  }
  hasObjects(bucket: string): boolean {
    return !!this.stmts.anyObject.get(bucket);
  }
  /** A configuration kept as given (see the migration); undefined when none was set. */
  storedConfig<T>(name: string, key: string): T | undefined {
    const row = this.bucket(name);
    return row ? (JSON.parse(row.stored_configs) as Record<string, T>)[key] : undefined;
  }
  setStoredConfig(name: string, key: string, value: unknown): void {
    this.buckets.delete(name);
    this.db.transaction(() => {
      const row = this.bucket(name);
      if (!row) return;
      const configs = JSON.parse(row.stored_configs) as Record<string, unknown>;
      if (value === undefined) delete configs[key];
      else configs[key] = value;
      this.db.prepare('UPDATE s3_buckets SET stored_configs = ? WHERE name = ?').run(JSON.stringify(configs), name);
    })();
  }
  /** Sets one configuration column of a bucket (the column name is ours, never the caller's). */
  setBucketField(name: string, field: 'versioning' | 'mfa_delete' | 'tags' | 'cors' | 'policy' | 'notification' | 'encryption' | 'ownership', value: string | null): void {
    this.buckets.delete(name);
    this.db.prepare(`UPDATE s3_buckets SET ${field} = ? WHERE name = ?`).run(value, name);
  }

  version(bucket: string, key: string, versionId: string): ObjectRow | undefined {
    return this.stmts.version.get(bucket, key, versionId) as ObjectRow | undefined;
  }
  latest(bucket: string, key: string): ObjectRow | undefined {
    return this.stmts.latest.get(bucket, key) as ObjectRow | undefined;
  }

  /** Writes a new current version; `replaceNull` first removes an existing null version (unversioned or suspended buckets). */
  putVersion(row: NewObject, replaceNull: boolean): ObjectRow {
    // A bucket that never had versioning holds null versions only: rewriting the key's one
    // version is a single statement, atomic without a transaction around it.
    if (replaceNull && !this.db.inTransaction && this.bucket(row.bucket)?.versioning === null) {
      const seq = ++this.seq;
      this.stmts.upsertNullVersion.run(this.objectValues(row, seq));
      return { ...row, seq, is_latest: 1 };
    }
    return this.putVersionTx(row, replaceNull);
  }
  private objectValues(row: NewObject, seq: number): unknown[] {
    return [
      row.bucket, row.key, row.version_id, seq, row.delete_marker, row.account_id, row.region, row.size, row.etag,
      row.last_modified, row.chunks, row.headers, row.metadata, row.tags, row.storage_class, row.checksum, row.parts_count,
    ];
  }
  private putVersionOnce(row: NewObject, replaceNull: boolean): ObjectRow {
    const seq = ++this.seq;
    const values = this.objectValues(row, seq);
    if (replaceNull) {
      // The null version is rewritten in place (one statement instead of a delete and an insert);
      // any other current version stops being current.
      this.stmts.clearOtherLatest.run(row.bucket, row.key, 'null');
      this.stmts.upsertNullVersion.run(values);
    } else {
      this.stmts.clearLatest.run(row.bucket, row.key);
      this.stmts.insertObject.run(values);
    }
    return { ...row, seq, is_latest: 1 };
  }

  /** Removes one version; the newest remaining one becomes current. */
  deleteVersion(bucket: string, key: string, versionId: string): void {
    this.db.transaction(() => {
      this.stmts.deleteVersion.run(bucket, key, versionId);
      if (this.stmts.latest.get(bucket, key)) return;
      const next = this.stmts.newestVersion.get(bucket, key) as { version_id: string } | undefined;
      if (next) this.stmts.setLatest.run(bucket, key, next.version_id);
    })();
  }

  setRestoreExpiry(bucket: string, key: string, versionId: string, expiry: number): void {
    this.db.prepare('UPDATE s3_objects SET restore_expiry = ? WHERE bucket = ? AND key = ? AND version_id = ?').run(expiry, bucket, key, versionId);
  }

  setTags(bucket: string, key: string, versionId: string, tags: string): void {
    this.stmts.setTags.run(tags, bucket, key, versionId);
  }

  /** Current, non-deleted objects with key >= from, in S3 order (UTF-8 binary, as SQLite compares TEXT). */
  iterateLatest(bucket: string, from: string): IterableIterator<ObjectRow> {
    return this.stmts.listLatest.iterate(bucket, from) as IterableIterator<ObjectRow>;
  }
  /** Every version and delete marker with key >= from: by key, newest first. */
  iterateVersions(bucket: string, from: string): IterableIterator<ObjectRow> {
    return this.stmts.listVersions.iterate(bucket, from) as IterableIterator<ObjectRow>;
  }

  upload(uploadId: string): UploadRow | undefined {
    return this.stmts.upload.get(uploadId) as UploadRow | undefined;
  }
  insertUpload(row: UploadRow): void {
    this.stmts.insertUpload.run(row);
  }
  deleteUpload(uploadId: string): void {
    this.stmts.deleteUpload.run(uploadId);
  }
  iterateUploads(bucket: string, from: string): IterableIterator<UploadRow> {
    return this.stmts.listUploads.iterate(bucket, from) as IterableIterator<UploadRow>;
  }
  part(uploadId: string, partNumber: number): PartRow | undefined {
    return this.stmts.part.get(uploadId, partNumber) as PartRow | undefined;
  }
  parts(uploadId: string, after = 0): PartRow[] {
    return this.stmts.parts.all(uploadId, after) as PartRow[];
  }
  putPart(row: PartRow): void {
    this.stmts.putPart.run(row);
  }

  /** Completes an upload: the object version is written and the upload removed in one transaction. */
  completeUpload(uploadId: string, row: NewObject, replaceNull: boolean): ObjectRow {
    return this.db.transaction(() => {
      const written = this.putVersion(row, replaceNull);
      this.stmts.deleteUpload.run(uploadId);
      return written;
    })();
  }
}

function prepare(db: Db) {
  return {
    bucket: db.prepare('SELECT * FROM s3_buckets WHERE name = ?'),
    bucketsOf: db.prepare('SELECT * FROM s3_buckets WHERE account_id = ? ORDER BY name'),
    insertBucket: db.prepare('INSERT INTO s3_buckets (name, account_id, region, created_at, object_lock, ownership) VALUES (?, ?, ?, ?, ?, ?)'),
    deleteBucket: db.prepare('DELETE FROM s3_buckets WHERE name = ?'),
    anyObject: db.prepare('SELECT 1 FROM s3_objects WHERE bucket = ? LIMIT 1'),
    version: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?'),
    latest: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key = ? AND is_latest = 1'),
    clearLatest: db.prepare('UPDATE s3_objects SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1'),
    deleteVersion: db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ? AND version_id = ?'),
    newestVersion: db.prepare('SELECT version_id FROM s3_objects WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1'),
    setLatest: db.prepare('UPDATE s3_objects SET is_latest = 1 WHERE bucket = ? AND key = ? AND version_id = ?'),
    insertObject: db.prepare(
      `INSERT INTO s3_objects (bucket, key, version_id, seq, is_latest, delete_marker, account_id, region, size, etag, last_modified, chunks, headers, metadata, tags, storage_class, checksum, parts_count)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    clearOtherLatest: db.prepare('UPDATE s3_objects SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1 AND version_id <> ?'),
    upsertNullVersion: db.prepare(
      `INSERT INTO s3_objects (bucket, key, version_id, seq, is_latest, delete_marker, account_id, region, size, etag, last_modified, chunks, headers, metadata, tags, storage_class, checksum, parts_count)
       VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (bucket, key, version_id) DO UPDATE SET seq = excluded.seq, is_latest = 1, delete_marker = excluded.delete_marker,
         account_id = excluded.account_id, region = excluded.region, size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified,
         chunks = excluded.chunks, headers = excluded.headers, metadata = excluded.metadata, tags = excluded.tags, storage_class = excluded.storage_class,
         checksum = excluded.checksum, parts_count = excluded.parts_count, restore_expiry = NULL`,
    ),
    setTags: db.prepare('UPDATE s3_objects SET tags = ? WHERE bucket = ? AND key = ? AND version_id = ?'),
    listLatest: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key >= ? ORDER BY key'),
    listVersions: db.prepare('SELECT * FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key, seq DESC'),
    upload: db.prepare('SELECT * FROM s3_uploads WHERE upload_id = ?'),
    insertUpload: db.prepare(
      `INSERT INTO s3_uploads (upload_id, bucket, key, account_id, region, initiated, headers, metadata, tags, storage_class, checksum_algorithm, checksum_type)
       VALUES (@upload_id, @bucket, @key, @account_id, @region, @initiated, @headers, @metadata, @tags, @storage_class, @checksum_algorithm, @checksum_type)`,
    ),
    deleteUpload: db.prepare('DELETE FROM s3_uploads WHERE upload_id = ?'),
    listUploads: db.prepare('SELECT * FROM s3_uploads WHERE bucket = ? AND key >= ? ORDER BY key, initiated, upload_id'),
    part: db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number = ?'),
    parts: db.prepare('SELECT * FROM s3_parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number'),
    putPart: db.prepare(
      `INSERT INTO s3_parts (upload_id, part_number, sha256, size, etag, last_modified, checksum) VALUES (@upload_id, @part_number, @sha256, @size, @etag, @last_modified, @checksum)
       ON CONFLICT(upload_id, part_number) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, etag = excluded.etag, last_modified = excluded.last_modified, checksum = excluded.checksum`,
    ),
  };
}
