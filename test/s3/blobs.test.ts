// BlobStore.putStream: small bodies are taken in memory, long ones spill to a temp file; both
// must end as the same content-addressed file, with no temp file left behind on any outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore } from '../../src/store/blobs.js';

function store(): { blobs: BlobStore; dir: string; done(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-blobs-test-'));
  const blobs = new BlobStore(dir);
  return { blobs, dir, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

const digest = (alg: string, data: Buffer) => crypto.createHash(alg).update(data).digest('hex');
const tmpFiles = (blobs: BlobStore) => fs.readdirSync(path.join(blobs.dir, 'tmp'));

/** `data` as a stream of `pieces` chunks, produced asynchronously like a socket. */
function chunked(data: Buffer, pieces: number): Readable {
  const size = Math.ceil(data.length / pieces);
  let at = 0;
  return new Readable({
    read() {
      setImmediate(() => {
        if (at >= data.length) return void this.push(null);
        this.push(data.subarray(at, at + size));
        at += size;
      });
    },
  });
}

for (const [label, bytes, pieces] of [
  ['a small body (in memory)', 4096, 3],
  ['an empty body', 0, 1],
  ['a long body (spilled to a temp file)', 3 * 1024 * 1024 + 17, 40],
] as const) {
  test(`putStream stores ${label} content-addressed, with its SHA-256 and MD5`, async () => {
    const { blobs, done } = store();
    try {
      const data = crypto.randomBytes(bytes);
      const seen: Buffer[] = [];
      const blob = await blobs.putStream(chunked(data, pieces), { observe: (c) => seen.push(Buffer.from(c)) });
      assert.equal(blob.size, bytes);
      assert.equal(blob.sha256, digest('sha256', data));
      assert.equal(blob.md5, digest('md5', data));
      assert.equal(blob.path, blobs.pathOf(blob.sha256));
      assert.ok(fs.readFileSync(blob.path).equals(data));
      assert.ok(Buffer.concat(seen).equals(data), 'observe saw every byte, in order');
      // the same content again: the same file, and no temp file left
      const again = await blobs.putStream(chunked(data, 2));
      assert.deepEqual(again, blob);
      assert.deepEqual(tmpFiles(blobs), []);
    } finally {
      done();
    }
  });
}

test('putStream and putBuffer agree on the address of the same content', async () => {
  const { blobs, done } = store();
  try {
    const data = Buffer.from('same bytes either way');
    const a = blobs.putBuffer(data);
    const b = await blobs.putStream(chunked(data, 2));
    assert.deepEqual(b, a);
  } finally {
    done();
  }
});

for (const [label, bytes, limit] of [
  ['in memory', 10_000, 5_000],
  ['after spilling', 2 * 1024 * 1024, 1024 * 1024],
] as const) {
  test(`putStream rejects a body over its limit ${label}, with the caller's error, and leaves nothing`, async () => {
    const { blobs, done } = store();
    try {
      const tooLarge = new Error('EntityTooLarge');
      const source = chunked(crypto.randomBytes(bytes), 64);
      await assert.rejects(blobs.putStream(source, { limit, tooLarge: () => tooLarge }), (e) => e === tooLarge);
      assert.ok(source.destroyed, 'the source is torn down, as stream.pipeline did');
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(tmpFiles(blobs), []);
      assert.deepEqual(fs.readdirSync(blobs.dir).filter((d) => d !== 'tmp'), []);
    } finally {
      done();
    }
  });
}

test('putStream rejects when the source fails or closes before its end, leaving no temp file', async () => {
  const { blobs, done } = store();
  try {
    for (const big of [false, true]) {
      const failing = new Readable({ read() {} });
      const p1 = blobs.putStream(failing);
      failing.push(Buffer.alloc(big ? 512 * 1024 : 100, 1));
      setImmediate(() => failing.destroy(new Error('connection reset')));
      await assert.rejects(p1, /connection reset/);

      const closing = new Readable({ read() {} });
      const p2 = blobs.putStream(closing);
      closing.push(Buffer.alloc(big ? 512 * 1024 : 100, 2));
      setImmediate(() => closing.destroy());
      await assert.rejects(p2, (e: NodeJS.ErrnoException) => e.code === 'ERR_STREAM_PREMATURE_CLOSE');
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(tmpFiles(blobs), []);
  } finally {
    done();
  }
});

test('putStream takes a body of known size that is already buffered without waiting for its end', async () => {
  const { blobs, done } = store();
  try {
    const data = crypto.randomBytes(5000);
    // pushed whole but never ended, like a request body whose parser has not signalled completion
    const buffered = new Readable({ read() {} });
    buffered.push(data.subarray(0, 1000));
    buffered.push(data.subarray(1000));
    const seen: Buffer[] = [];
    const blob = await blobs.putStream(buffered, { size: data.length, observe: (c) => seen.push(c) });
    assert.equal(blob.sha256, digest('sha256', data));
    assert.ok(fs.readFileSync(blob.path).equals(data));
    assert.ok(Buffer.concat(seen).equals(data));
    // over the limit: the caller's error, as on the streaming path
    const over = new Readable({ read() {} });
    over.push(data);
    const tooLarge = new Error('EntityTooLarge');
    await assert.rejects(blobs.putStream(over, { size: data.length, limit: 100, tooLarge: () => tooLarge }), (e) => e === tooLarge);
    // only part of it has arrived: the stream is read to its end as usual
    const partial = new Readable({ read() {} });
    partial.push(data.subarray(0, 1000));
    const p = blobs.putStream(partial, { size: data.length });
    setImmediate(() => {
      partial.push(data.subarray(1000));
      partial.push(null);
    });
    assert.equal((await p).sha256, blob.sha256);
  } finally {
    done();
  }
});
