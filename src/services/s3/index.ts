// S3 for serverless apps: buckets, objects, versions, multipart uploads and event notifications.
// The provider is in provider.ts; this module adds the hooks the pipeline calls for CORS and form uploads.
import { ServiceError } from '../../core/errors.js';
import { Readable } from 'node:stream';
import type { RequestContext } from '../../core/context.js';
import type { WireRequest, WireResponse } from '../../protocols/types.js';
import type { ServiceModule } from '../types.js';
import { formBoundary, readForm } from './post-object.js';
import { S3Provider } from './provider.js';

export { S3Provider } from './provider.js';

export const createProvider: ServiceModule['createProvider'] = (deps) => new S3Provider(deps);

/**
 * Requests S3 answers outside its model's operations: a browser's CORS preflight (OPTIONS,
 * answered from the bucket's CORS rules) and a browser-based form upload (`POST /{bucket}` with
 * multipart/form-data, read from the unbuffered `req.stream`).
 */
export async function intercept(provider: object, req: WireRequest, ctx: RequestContext): Promise<WireResponse | undefined> {
  const s3 = provider as S3Provider;
  if (req.method === 'OPTIONS') {
    const segments = req.rawPath.split('/').filter(Boolean);
    const h = req.headers;
    const r = s3.corsPreflight(decodeURIComponent(segments[0] ?? ''), h['origin'], h['access-control-request-method'], h['access-control-request-headers']);
    return { status: r.status, headers: r.headers };
  }
  if (req.method !== 'POST' || !(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) return undefined;
  return handlePostObject(req, ctx, s3);
}

/** A browser-based upload: `POST /{bucket}` (path-style) with a multipart/form-data body. */
export async function handlePostObject(req: WireRequest, ctx: RequestContext, s3: S3Provider): Promise<WireResponse> {
  const segments = req.rawPath.split('/').filter(Boolean);
  if (segments.length !== 1) throw new ServiceError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { status: 405, fields: { Method: 'POST', ResourceType: 'OBJECT' } });
  const source = req.stream ?? Readable.from([req.body]);
  let form;
  try {
    form = await readForm(source, formBoundary(req.headers['content-type']));
  } catch (e) {
    source.resume();
    throw e;
  }
  return s3.PostObject(decodeURIComponent(segments[0]), form, ctx);
}

/** S3 adds the matching CORS rule's headers to the response of an actual cross-origin request. */
export function decorateResponse(provider: object, input: Record<string, unknown>, req: WireRequest, response: WireResponse): void {
  const origin = req.headers['origin'];
  if (!origin || typeof input.Bucket !== 'string') return;
  Object.assign(response.headers, (provider as S3Provider).corsHeaders(input.Bucket, origin, req.method));
}

/**
 * S3 has no Coral-style ValidationException: a document missing a required element is
 * MalformedXML, anything else an InvalidArgument / InvalidRequest.
 */
export const validationError: NonNullable<ServiceModule['validationError']> = (issues) => {
  const first = issues[0];
  if (first?.kind === 'required' && first.path.length > 1) return new ServiceError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema', { status: 400 });
  if (first?.kind === 'required') return new ServiceError('InvalidRequest', `Missing required parameter: ${first.path.join('.')}`, { status: 400 });
  const name = first?.path.join('.') ?? '';
  return new ServiceError('InvalidArgument', `Invalid argument: ${name}`, { status: 400, fields: { ArgumentName: name, ArgumentValue: first?.value === undefined ? undefined : String(first.value) } });
};

/** Lets notifications already queued reach their targets, for at most two seconds. */
export async function close(provider: object): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([(provider as S3Provider).settled(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
  clearTimeout(timer);
}
