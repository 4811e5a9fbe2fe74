// S3 addresses a bucket two ways: path-style (`http://localhost:4566/bucket/key`, Nimbus's
// default and what every SDK uses against an IP endpoint) and virtual-hosted-style
// (`http://bucket.s3.localhost:4566/key`, what the SDKs use by default against a named
// host, AWS's recommended form). The model's routes are path-style (`/{Bucket}/{Key+}`), so a
// virtual-hosted request is rewritten to path-style before routing. The Host header is kept,
// so the request context still reports the host the client used.
// See "Virtual hosting of buckets" and "Methods for accessing a bucket" in the S3 user guide.
import type { WireRequest } from './types.js';

export interface S3HostAddressing {
  /** The host names S3 (s3.<...>, <bucket>.s3.<...>, <bucket>.localhost) */
  isS3Host: boolean;
  /** The bucket named by the host (virtual-hosted-style), if any */
  bucket?: string;
}

// Endpoint prefixes of the other services Nimbus serves, and Lambda function URLs: a host
// `sqs.us-east-1.localhost` or `<id>.lambda-url.us-east-1.localhost` is not a bucket.
const OTHER_SERVICE_LABELS = new Set(['sqs', 'sns', 'sts', 'iam', 'lambda', 'logs', 'lambda-url', 'queue']);
const REGION_LABEL = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
// The S3 endpoint label: s3, the legacy s3-<region> and s3-external-1, the dualstack and
// accelerate forms. Website endpoints (s3-website-...) serve web pages, not the API.
const S3_LABEL = /^s3(-(?!website)[a-z0-9-]+)?$/;

/**
 * Reads the Host header: whether it addresses S3 and which bucket it names, if any.
 * `bucket.s3.amazonaws.com`, `bucket.s3.us-east-1.amazonaws.com`, `bucket.s3.localhost:4566`,
 * `bucket.s3.us-east-1.localhost`, `bucket.s3-us-west-2.amazonaws.com` and
 * `bucket.localhost:4566` name a bucket; `s3.localhost:4566` and `s3.amazonaws.com` name S3.
 * Bucket names may contain dots, so everything before the S3 label is the bucket.
 */
export function s3HostAddressing(host: string | undefined, opts: { knownS3?: boolean } = {}): S3HostAddressing {
  if (!host) return { isS3Host: false };
  const name = stripPort(host).toLowerCase();
  if (/^[\d.]+$/.test(name) || name.startsWith('[')) return { isS3Host: false };
  const labels = name.split('.');
  const s3Index = labels.findIndex((l) => S3_LABEL.test(l));
  if (s3Index >= 0) {
    // "s3" must be followed by a region, a DNS suffix or nothing: "s3.amazonaws.com", "s3.localhost"
    const bucket = labels.slice(0, s3Index).join('.');
    return bucket ? { isS3Host: true, bucket } : { isS3Host: true };
  }
  // `<bucket>.localhost` (LocalStack's convention, which the SDKs produce for an endpoint of
  // http://localhost:4566 with virtual-hosted addressing).
  if (labels.length >= 2 && labels[labels.length - 1] === 'localhost') {
    const before = labels.slice(0, -1);
    // For a request already known to be S3 (signed for s3), `logs.localhost` or
    // `my.sqs.data.localhost` is a bucket named like a service; only a function URL or a
    // `<service>.<region>.localhost` endpoint host is not.
    const serviceEndpoint = before.length === 2 && OTHER_SERVICE_LABELS.has(before[0]) && REGION_LABEL.test(before[1]);
    const notABucket = opts.knownS3
      ? before.includes('lambda-url') || serviceEndpoint || (before.length === 1 && REGION_LABEL.test(before[0]))
      : before.some((l) => OTHER_SERVICE_LABELS.has(l) || REGION_LABEL.test(l));
    if (notABucket) return { isS3Host: false };
    return { isS3Host: true, bucket: before.join('.') };
  }
  return { isS3Host: false };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon >= 0 && /^\d+$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
}

// Enumerable on purpose: the pipeline copies the rewritten request onto its own with
// Object.assign, and the marker must travel with it so the codec does not rewrite twice.
const PATH_STYLE = Symbol.for('nimbus.s3.pathStyle');

/**
 * The request, known to be for S3, in path-style: a virtual-hosted request's bucket moves from the host into the
 * path (`Host: b.s3.localhost`, `/k` -> `/b/k`; `/` -> `/b`). Idempotent: a request this
 * function produced (or a copy of it made with Object.assign/spread) comes back unchanged,
 * so both the pipeline and the rest-xml codec may call it.
 */
export function toPathStyle(req: WireRequest): WireRequest {
  if ((req as unknown as Record<symbol, unknown>)[PATH_STYLE]) return req;
  const { bucket } = s3HostAddressing(req.headers.host, { knownS3: true });
  const rawPath = !bucket ? req.rawPath : req.rawPath === '/' || req.rawPath === '' ? `/${encodeURIComponent(bucket)}` : `/${encodeURIComponent(bucket)}${req.rawPath}`;
  return Object.assign({ ...req, rawPath }, { [PATH_STYLE]: true });
}
