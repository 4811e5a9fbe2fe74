// The checksums S3 verifies and returns: Content-MD5 and the SDKs' "flexible checksums"
// (x-amz-checksum-crc32 / crc32c / sha1 / sha256 / crc64nvme), all base64 of the big-endian digest.
// CRC64NVME is what S3 has computed for every new object since 2025 when the client sends none;
// Nimbus computes it only when a client asks for it, because its cost on large uploads is real.
import crypto from 'node:crypto';
import zlib from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(s: string | undefined): s is ChecksumAlgorithm {
  return !!s && (CHECKSUM_ALGORITHMS as readonly string[]).includes(s.toUpperCase());
}

/** Raw digest length, for validating a value a client sent. */
export const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32, CRC64NVME: 8 };

export interface Hasher {
  update(chunk: Buffer): void;
  /** base64 of the digest */
  digest(): string;
}

function crcTable32(poly: number): Uint32Array {
  const t = new Uint32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c >>> 0;
  }
  // slicing-by-8 tables
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let s = 1; s < 8; s++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[s * 256 + n] = c >>> 0;
    }
  }
  return t;
}

const CRC32C_POLY = 0x82f63b78;
const CRC32_POLY = 0xedb88320;
let crc32cTable: Uint32Array | undefined;

export function crc32c(data: Buffer, prev = 0): number {
  const t = (crc32cTable ??= crcTable32(CRC32C_POLY));
  let c = ~prev >>> 0;
  let i = 0;
  const n = data.length;
  for (; i + 8 <= n; i += 8) {
    c ^= data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    c =
      t[1792 + (c & 0xff)] ^
      t[1536 + ((c >>> 8) & 0xff)] ^
      t[1280 + ((c >>> 16) & 0xff)] ^
      t[1024 + (c >>> 24)] ^
      t[768 + data[i + 4]] ^
      t[512 + data[i + 5]] ^
      t[256 + data[i + 6]] ^
      t[data[i + 7]];
  }
  for (; i < n; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// CRC-64/NVME (reflected, poly 0x9a6c9329ac4bc9b5), computed on two 32-bit halves to stay off BigInt.
let crc64Table: { hi: Uint32Array; lo: Uint32Array } | undefined;
function crc64Tables() {
  if (crc64Table) return crc64Table;
  const polyHi = 0x9a6c9329;
  const polyLo = 0xac4bc9b5;
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let h = 0;
    let l = n;
    for (let k = 0; k < 8; k++) {
      const bit = l & 1;
      l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
      h = h >>> 1;
      if (bit) {
        h = (h ^ polyHi) >>> 0;
        l = (l ^ polyLo) >>> 0;
      }
    }
    hi[n] = h;
    lo[n] = l;
  }
  return (crc64Table = { hi, lo });
}

class Crc64Nvme implements Hasher {
  private h = 0xffffffff;
  private l = 0xffffffff;
  update(chunk: Buffer): void {
    const { hi, lo } = crc64Tables();
    let h = this.h;
    let l = this.l;
    for (let i = 0; i < chunk.length; i++) {
      const idx = (l ^ chunk[i]) & 0xff;
      l = (((l >>> 8) | ((h & 0xff) << 24)) ^ lo[idx]) >>> 0;
      h = ((h >>> 8) ^ hi[idx]) >>> 0;
    }
    this.h = h;
    this.l = l;
  }
  digest(): string {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(~this.h >>> 0, 0);
    b.writeUInt32BE(~this.l >>> 0, 4);
    return b.toString('base64');
  }
}

class Crc32Hasher implements Hasher {
  private value = 0;
  constructor(private readonly castagnoli: boolean) {}
  update(chunk: Buffer): void {
    this.value = this.castagnoli ? crc32c(chunk, this.value) : zlib.crc32(chunk, this.value);
  }
  digest(): string {
    return crcToBase64(this.value);
  }
}

export function crcToBase64(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value >>> 0);
  return b.toString('base64');
}

export function createHasher(alg: ChecksumAlgorithm): Hasher {
  switch (alg) {
    case 'CRC32':
      return new Crc32Hasher(false);
    case 'CRC32C':
      return new Crc32Hasher(true);
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
    case 'SHA256': {
      const h = crypto.createHash(alg === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (c) => h.update(c), digest: () => h.digest('base64') };
    }
  }
}

export function checksumOf(alg: ChecksumAlgorithm, data: Buffer): string {
  const h = createHasher(alg);
  h.update(data);
  return h.digest();
}

// GF(2) matrix method for combining two CRC-32 values (as zlib's crc32_combine does), which
// S3's FULL_OBJECT multipart checksums need: the CRC of the whole object from the parts' CRCs.
function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i];
  return sum >>> 0;
}
function gf2Square(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(mat, mat[n]);
}
export function crc32Combine(alg: 'CRC32' | 'CRC32C', crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = alg === 'CRC32' ? CRC32_POLY : CRC32C_POLY;
  for (let n = 1, row = 1; n < 32; n++, row = (row << 1) >>> 0) odd[n] = row;
  gf2Square(even, odd);
  gf2Square(odd, even);
  let remaining = len2;
  for (;;) {
    gf2Square(even, odd);
    if (remaining % 2) crc1 = gf2Times(even, crc1);
    remaining = Math.floor(remaining / 2);
    if (!remaining) break;
    gf2Square(odd, even);
    if (remaining % 2) crc1 = gf2Times(odd, crc1);
    remaining = Math.floor(remaining / 2);
    if (!remaining) break;
  }
  return (crc1 ^ crc2) >>> 0;
}
