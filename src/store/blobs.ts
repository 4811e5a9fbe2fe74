// Content-addressed files for large payloads (S3 objects, Lambda code and layers), stored next
// to the database and referenced from rows by their SHA-256. Without a data directory they go
// to a private temporary folder that is removed on shutdown: the same code path either way.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

export interface StoredBlob {
  /** hex SHA-256 of the content */
  sha256: string;
  size: number;
  md5: string;
  path: string;
}

export class BlobStore {
  readonly dir: string;
  private readonly temporary: boolean;

  constructor(dataDir?: string) {
    this.temporary = !dataDir;
    this.dir = dataDir ? path.join(dataDir, 'blobs') : fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-blobs-'));
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
  }

  pathOf(sha256: string): string {
    return path.join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  putBuffer(data: Buffer): StoredBlob {
    const sha256 = crypto.createHash('sha256').update(data).digest('hex');
    const md5 = crypto.createHash('md5').update(data).digest('hex');
    const p = this.pathOf(sha256);
    if (!fs.existsSync(p)) {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      const tmp = path.join(this.dir, 'tmp', crypto.randomUUID());
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, p);
    }
    return { sha256, size: data.length, md5, path: p };
  }

  /**
   * Streams to disk while hashing; `limit` bytes at most (throws `tooLarge()` past it).
   * `observe` sees every chunk (e.g. for checksums the caller verifies).
   */
  async putStream(source: Readable, opts: { limit?: number; tooLarge?: () => Error; observe?: (chunk: Buffer) => void } = {}): Promise<StoredBlob> {
    const tmp = path.join(this.dir, 'tmp', crypto.randomUUID());
    const sha = crypto.createHash('sha256');
    const md5 = crypto.createHash('md5');
    let size = 0;
    const limit = opts.limit ?? Infinity;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > limit) return cb(opts.tooLarge?.() ?? new Error('too large'));
        sha.update(chunk);
        md5.update(chunk);
        opts.observe?.(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, fs.createWriteStream(tmp));
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    const sha256 = sha.digest('hex');
    const p = this.pathOf(sha256);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (fs.existsSync(p)) fs.rmSync(tmp, { force: true });
    else fs.renameSync(tmp, p);
    return { sha256, size, md5: md5.digest('hex'), path: p };
  }

  read(sha256: string): Buffer {
    return fs.readFileSync(this.pathOf(sha256));
  }

  /** Removes a blob no row refers to any more (the caller knows). */
  remove(sha256: string): void {
    fs.rmSync(this.pathOf(sha256), { force: true });
  }

  close(): void {
    if (this.temporary) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
