// Content-addressed files for large payloads (S3 objects, Lambda code and layers), stored next
// to the database and referenced from rows by their SHA-256. Without a data directory they go
// to a private temporary folder that is removed on shutdown: the same code path either way.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** Bodies up to this size are received in memory rather than streamed through a temp file. */
const IN_MEMORY_BYTES = 256 * 1024;

export interface StoredBlob {
  /** hex SHA-256 of the content */
  sha256: string;
  size: number;
  md5: string;
  path: string;
}

/** All of a stream's remaining `size` bytes when they are buffered already and nobody else reads it. */
function takeBuffered(source: Readable, size: number): Buffer | undefined {
  if (source.readableObjectMode || source.readableFlowing !== null || source.readableLength !== size) return undefined;
  const data = source.read() as Buffer | null;
  return data && data.length === size ? data : undefined;
}

export class BlobStore {
  readonly dir: string;
  private readonly temporary: boolean;
  private readonly shards = new Set<string>();

  constructor(dataDir?: string) {
    this.temporary = !dataDir;
    this.dir = dataDir ? path.join(dataDir, 'blobs') : fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-blobs-'));
    fs.mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
  }

  pathOf(sha256: string): string {
    // joined by hand: path.join normalises, which showed in PutObject profiles (dir is already normal)
    return this.dir + path.sep + sha256.slice(0, 2) + path.sep + sha256;
  }

  has(sha256: string): boolean {
    return fs.existsSync(this.pathOf(sha256));
  }

  putBuffer(data: Buffer): StoredBlob {
    const sha256 = crypto.hash('sha256', data, 'hex');
    const md5 = crypto.hash('md5', data, 'hex');
    const p = this.pathOf(sha256);
    if (!fs.existsSync(p)) {
      this.ensureShardDir(sha256);
      const tmp = this.tempPath();
      fs.writeFileSync(tmp, data);
      fs.renameSync(tmp, p);
    }
    return { sha256, size: data.length, md5, path: p };
  }

  /**
   * Streams to disk while hashing; `limit` bytes at most (throws `tooLarge()` past it).
   * `observe` sees every chunk (e.g. for checksums the caller verifies).
   *
   * A body that ends within IN_MEMORY_BYTES is held in memory and hashed in one pass: stored
   * content is usually there already (content addressing), and then no file is touched at all;
   * otherwise it is written with one temp file and a rename. A longer body spills to a temp file
   * as soon as it passes that size and streams from there, with backpressure to the source.
   */
  async putStream(
    source: Readable,
    opts: {
      limit?: number;
      tooLarge?: () => Error;
      observe?: (chunk: Buffer) => void;
      /**
       * The exact number of bytes the source yields, when its framing fixes it (an HTTP request
       * body with a Content-Length). A small body that has already arrived whole is then taken
       * from the stream's buffer at once instead of waiting for its 'data' and 'end' events.
       */
      size?: number;
    } = {},
  ): Promise<StoredBlob> {
    const limit = opts.limit ?? Infinity;
    const whole = opts.size !== undefined && opts.size > 0 && opts.size <= IN_MEMORY_BYTES ? takeBuffered(source, opts.size) : undefined;
    if (whole) {
      if (whole.length > limit) {
        const e = opts.tooLarge?.() ?? new Error('too large');
        source.on('error', () => {});
        source.destroy(e);
        throw e;
      }
      opts.observe?.(whole);
      return this.putHeld(whole);
    }
    let size = 0;
    let held: Buffer[] | undefined = [];
    let spill: { tmp: string; file: fs.WriteStream; sha: crypto.Hash; md5: crypto.Hash } | undefined;
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        detach();
        source.on('error', () => {});
        // as stream.pipeline does: a failed write tears the source down too
        if (!source.destroyed) source.destroy(e as Error);
        if (spill) {
          const { file, tmp } = spill;
          file.on('error', () => {});
          const removeTmp = () => fs.rm(tmp, { force: true }, () => {});
          if (file.closed) removeTmp();
          else {
            file.once('close', removeTmp);
            file.destroy();
          }
        }
        reject(e);
      };
      const startSpill = () => {
        const tmp = this.tempPath();
        const file = fs.createWriteStream(tmp);
        file.on('error', fail);
        file.on('drain', () => source.resume());
        spill = { tmp, file, sha: crypto.createHash('sha256'), md5: crypto.createHash('md5') };
        for (const c of held!) write(c);
        held = undefined;
      };
      const write = (chunk: Buffer) => {
        const s = spill!;
        s.sha.update(chunk);
        s.md5.update(chunk);
        if (!s.file.write(chunk)) source.pause();
      };
      const onData = (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > limit) return fail(opts.tooLarge?.() ?? new Error('too large'));
        try {
          opts.observe?.(chunk);
        } catch (e) {
          return fail(e);
        }
        if (held) {
          held.push(chunk);
          if (size > IN_MEMORY_BYTES) startSpill();
        } else write(chunk);
      };
      const onEnd = () => {
        if (settled) return;
        detach();
        if (!spill) {
          settled = true;
          resolve();
          return;
        }
        spill.file.end();
        spill.file.once('close', () => {
          if (settled) return;
          settled = true;
          resolve();
        });
      };
      const onClose = () => {
        if (!source.readableEnded) fail(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      };
      const detach = () => {
        source.off('data', onData);
        source.off('end', onEnd);
        source.off('error', fail);
        source.off('close', onClose);
      };
      if (source.errored || (source.destroyed && !source.readableEnded)) return fail(source.errored ?? Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      if (source.readableEnded) return onEnd();
      source.on('data', onData);
      source.once('end', onEnd);
      source.once('error', fail);
      source.once('close', onClose);
      // as pipe() does: a source someone paused flows again
      if (!source.readableFlowing) source.resume();
    });
    if (held) return this.putHeld(held.length === 1 ? held[0] : Buffer.concat(held, size));
    const { tmp, sha, md5 } = spill!;
    const sha256 = sha.digest('hex');
    const p = this.pathOf(sha256);
    await this.settle(tmp, sha256, p);
    return { sha256, size, md5: md5.digest('hex'), path: p };
  }

  /** A body received whole: stored unless the same content already is, off the event loop. */
  private async putHeld(data: Buffer): Promise<StoredBlob> {
    const sha256 = crypto.hash('sha256', data, 'hex');
    const md5 = crypto.hash('md5', data, 'hex');
    const p = this.pathOf(sha256);
    if (!fs.existsSync(p)) {
      const tmp = this.tempPath();
      try {
        await fs.promises.writeFile(tmp, data);
        await this.settle(tmp, sha256, p);
      } catch (e) {
        await fs.promises.rm(tmp, { force: true });
        throw e;
      }
    }
    return { sha256, size: data.length, md5, path: p };
  }

  /** Moves a complete temp file to its content address (or drops it when that content is stored). */
  private async settle(tmp: string, sha256: string, p: string): Promise<void> {
    this.ensureShardDir(sha256);
    if (fs.existsSync(p)) {
      await fs.promises.rm(tmp, { force: true });
      return;
    }
    try {
      await fs.promises.rename(tmp, p);
    } catch (e) {
      // the shard folder went away behind our back (someone cleaned the data dir): make it again
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || !fs.existsSync(tmp)) throw e;
      this.shards.delete(sha256.slice(0, 2));
      this.ensureShardDir(sha256);
      await fs.promises.rename(tmp, p);
    }
  }

  private tempPath(): string {
    return path.join(this.dir, 'tmp', crypto.randomUUID());
  }

  /** The 256 shard folders are created once each, not checked on every write. */
  private ensureShardDir(sha256: string): void {
    const shard = sha256.slice(0, 2);
    if (this.shards.has(shard)) return;
    fs.mkdirSync(path.join(this.dir, shard), { recursive: true });
    this.shards.add(shard);
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
