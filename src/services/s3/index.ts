// S3 for serverless apps: buckets, objects, versions, multipart uploads and event notifications.
// The provider is in provider.ts; this module adds the hooks the pipeline calls for CORS.
import { ServiceError } from '../../core/errors.js';
import { Readable } from 'node:stream';
import type { RequestContext } from '../../core/context.js';
import type { WireRequest, WireResponse } from '../../protocols/types.js';
import type { ServiceModule } from '../types.js';
import { formBoundary, readForm } from './post-object.js';
import { S3Provider } from './provider.js';

export { S3Provider } from './provider.js';

/** The provider the running Nimbus created (one per process), for the pipeline's CORS hooks. */
let active: S3Provider | undefined;

export const createProvider: ServiceModule['createProvider'] = (deps) => {
  active = new S3Provider(deps);
  return active;
};

/**
 * For the pipeline: answers an OPTIONS preflight against a bucket by its CORS configuration.
 * Returns the status and headers to send (no body), or throws a ServiceError (403 AccessForbidden,
 * 400 BadRequest) to render as S3 XML. `headers` is Access-Control-Request-Headers as sent.
 */
export function corsPreflight(bucket: string, origin: string | undefined, method: string | undefined, headers?: string | string[], provider: S3Provider | undefined = active): { status: number; headers: Record<string, string> } {
  if (!provider) throw new ServiceError('AccessForbidden', 'CORSResponse: Bucket not found', { status: 403 });
  return provider.corsPreflight(bucket, origin, method, headers);
}

/**
 * For the pipeline: a browser-based upload, `POST /{bucket}` (path-style, after
 * toPathStyle) with `Content-Type: multipart/form-data`, which no model operation describes.
 * Pass the body unbuffered as `req.stream`. Returns the response to send, or throws a
 * ServiceError to render as S3 XML (the rest-xml codec's serializeError).
 */
export async function handlePostObject(req: WireRequest, ctx: RequestContext, provider: S3Provider | undefined = active): Promise<WireResponse> {
  if (!provider) throw new ServiceError('ServiceUnavailable', 'S3 is not started.', { status: 503 });
  const segments = req.rawPath.split('/').filter(Boolean);
  if (segments.length !== 1) throw new ServiceError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { status: 405, fields: { Method: 'POST', ResourceType: 'OBJECT' } });
  const bucket = decodeURIComponent(segments[0]);
  const source = req.stream ?? Readable.from([req.body]);
  let form;
  try {
    form = await readForm(source, formBoundary(req.headers['content-type']));
  } catch (e) {
    source.resume();
    throw e;
  }
  return provider.PostObject(bucket, form, ctx);
}

/** For the pipeline: CORS headers to add to an actual request's response (empty when none apply). */
export function corsResponseHeaders(bucket: string, origin: string | undefined, method: string, provider: S3Provider | undefined = active): Record<string, string> {
  return provider ? provider.corsHeaders(bucket, origin, method) : {};
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
  if (active === provider) active = undefined;
}
