// Function URLs: http://<url-id>.lambda-url.<region>.localhost:<port>/... and
// http://localhost:4566/_aws/lambda-url/<url-id>/... invoke the function with the payload
// format 2.0 event, and turn its answer into the HTTP response, CORS from the URL's config.
// https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
import crypto from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import type { WireRequest, WireResponse } from '../../protocols/types.js';
import { ServiceError } from '../../core/errors.js';
import type { Invoker, InvokeControl } from './invoke.js';

export interface UrlTarget {
  accountId: string;
  region: string;
  functionName: string;
  /** alias name or undefined ($LATEST) */
  qualifier?: string;
  AuthType: 'NONE' | 'AWS_IAM' | string;
  Cors?: {
    AllowCredentials?: boolean;
    AllowHeaders?: string[];
    AllowMethods?: string[];
    AllowOrigins?: string[];
    ExposeHeaders?: string[];
    MaxAge?: number;
  };
  InvokeMode?: 'BUFFERED' | 'RESPONSE_STREAM' | string;
}

const TEXT_TYPES = /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|[a-z.+-]*\+(json|xml))|multipart\/form-data)/i;

/** The URL id and the path after it, from the Host or the /_aws/lambda-url/ prefix. */
export function urlIdOf(req: WireRequest, host: string): { urlId: string; path: string } | undefined {
  const m = /^\/_aws\/lambda-url\/([^/]+)(\/.*)?$/.exec(req.rawPath);
  if (m) return { urlId: m[1], path: m[2] || '/' };
  const h = /^([a-z0-9]+)\.lambda-url\./i.exec(host);
  if (h) return { urlId: h[1].toLowerCase(), path: req.rawPath || '/' };
  return undefined;
}

export async function handleFunctionUrl(invoker: Invoker, control: InvokeControl, req: WireRequest, ctx: RequestContext): Promise<WireResponse> {
  const host = req.headers.host ?? ctx.host ?? '';
  const where = urlIdOf(req, host);
  const target = where && (await control.urlTarget?.(where.urlId));
  if (!where || !target) return plain(404, { Message: null });
  const origin = req.headers.origin;
  const cors = target.Cors;
  // CORS preflight is answered by the URL itself, without running the function.
  if (req.method === 'OPTIONS' && cors && origin && req.headers['access-control-request-method']) {
    return { status: 200, headers: corsHeaders(cors, origin, true), body: '' };
  }
  if (target.AuthType === 'AWS_IAM' && !/^AWS4-HMAC-SHA256 Credential=/.test(req.headers.authorization ?? '') && !/X-Amz-Signature=/.test(req.rawQuery)) {
    // An AWS_IAM URL answers unsigned requests 403, as AWS does.
    return withCors(plain(403, { Message: 'Forbidden' }), cors, origin);
  }
  const event = buildEvent(req, where, target, ctx);
  let result;
  try {
    result = await invoker.invokeSync({ accountId: target.accountId, region: target.region }, target.functionName, target.qualifier, Buffer.from(JSON.stringify(event)), { requestId: event.requestContext.requestId });
  } catch (e) {
    if (e instanceof ServiceError && e.code === 'TooManyRequestsException') return withCors(plain(429, { Message: 'Rate Exceeded.' }), cors, origin);
    if (e instanceof ServiceError && e.code === 'ResourceNotFoundException') return plain(404, { Message: null });
    throw e;
  }
  const { outcome } = result;
  if (outcome.functionError) return withCors(plain(502, { Message: 'Internal Server Error' }), cors, origin);
  if (target.InvokeMode === 'RESPONSE_STREAM') return withCors(fromStream(outcome.payload), cors, origin);
  return withCors(toHttp(outcome.payload), cors, origin);
}

function buildEvent(req: WireRequest, where: { urlId: string; path: string }, target: UrlTarget, ctx: RequestContext) {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (k === 'cookie') cookies.push(...v.split(/;\s*/).filter(Boolean));
    else headers[k] = v;
  }
  // Headers AWS's front end adds before the function sees the request.
  const sourceIpHeader = (ctx.sourceIp || '127.0.0.1').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] ??= sourceIpHeader;
  headers['x-forwarded-proto'] ??= 'http';
  headers['x-forwarded-port'] ??= /:(\d+)$/.exec(req.headers.host ?? '')?.[1] ?? '80';
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${crypto.randomBytes(12).toString('hex')}`;
  const query: Record<string, string> = {};
  if (req.rawQuery) {
    for (const part of req.rawQuery.split('&')) {
      if (!part) continue;
      const [k, v = ''] = part.split('=');
      const key = safeDecode(k);
      const value = safeDecode(v);
      // Repeated parameters are joined with commas, as in payload format 2.0.
      query[key] = key in query ? `${query[key]},${value}` : value;
    }
  }
  const contentType = req.headers['content-type'] ?? '';
  const hasBody = req.body.length > 0;
  const isText = !contentType || TEXT_TYPES.test(contentType);
  const now = Date.now();
  const sourceIp = (ctx.sourceIp || '127.0.0.1').replace(/^::ffff:/, '');
  const requestContext: Record<string, unknown> = {
    accountId: target.AuthType === 'AWS_IAM' ? target.accountId : 'anonymous',
    apiId: where.urlId,
    domainName: `${where.urlId}.lambda-url.${target.region}.on.aws`,
    domainPrefix: where.urlId,
    http: { method: req.method, path: safeDecode(where.path), protocol: 'HTTP/1.1', sourceIp, userAgent: req.headers['user-agent'] ?? '' },
    requestId: crypto.randomUUID(),
    routeKey: '$default',
    stage: '$default',
    time: clfTime(now),
    timeEpoch: now,
  };
  if (target.AuthType === 'AWS_IAM') {
    const key = /Credential=([^/]+)/.exec(req.headers.authorization ?? '')?.[1];
    requestContext.authorizer = { iam: { accessKey: key, accountId: target.accountId, callerId: key, cognitoIdentity: null, principalOrgId: null, userArn: `arn:aws:iam::${target.accountId}:root`, userId: key } };
  }
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: where.path,
    rawQueryString: req.rawQuery,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(req.rawQuery ? { queryStringParameters: query } : {}),
    requestContext: requestContext as { requestId: string } & Record<string, unknown>,
    ...(hasBody ? { body: isText ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    isBase64Encoded: hasBody ? !isText : false,
  };
}

/**
 * The function's answer as HTTP: an object with statusCode is taken apart (headers, cookies,
 * body, isBase64Encoded); anything else is a 200 application/json whose body is the value
 * (a string as is, other values as JSON).
 */
function toHttp(payload: Buffer): WireResponse {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: payload };
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && 'statusCode' in value) {
    const v = value as { statusCode: unknown; headers?: Record<string, unknown>; body?: unknown; cookies?: string[]; isBase64Encoded?: boolean };
    const status = Number(v.statusCode);
    if (!Number.isInteger(status) || status < 100 || status > 599) return plain(502, { Message: 'Internal Server Error' });
    const headers: Record<string, string | string[]> = {};
    for (const [k, h] of Object.entries(v.headers ?? {})) headers[k.toLowerCase()] = String(h);
    if (Array.isArray(v.cookies) && v.cookies.length) headers['set-cookie'] = v.cookies.map(String);
    let body: Buffer = Buffer.alloc(0);
    if (v.body !== undefined && v.body !== null) {
      const s = typeof v.body === 'string' ? v.body : JSON.stringify(v.body);
      body = v.isBase64Encoded ? Buffer.from(s, 'base64') : Buffer.from(s, 'utf8');
    }
    headers['content-type'] ??= 'application/json';
    return { status, headers, body };
  }
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}

/**
 * A RESPONSE_STREAM URL's body: awslambda.HttpResponseStream.from() writes a JSON prelude
 * (statusCode, headers, cookies) and eight NUL bytes before the body; without one the body is
 * sent as it is, with status 200.
 */
function fromStream(payload: Buffer): WireResponse {
  const sep = payload.indexOf(Buffer.alloc(8));
  if (sep > 0 && payload[0] === 0x7b) {
    try {
      const prelude = JSON.parse(payload.subarray(0, sep).toString('utf8')) as { statusCode?: number; headers?: Record<string, unknown>; cookies?: string[] };
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(prelude.headers ?? {})) headers[k.toLowerCase()] = String(v);
      if (prelude.cookies?.length) headers['set-cookie'] = prelude.cookies.map(String);
      headers['content-type'] ??= 'application/octet-stream';
      return { status: prelude.statusCode ?? 200, headers, body: payload.subarray(sep + 8) };
    } catch {
      // not a prelude: the body as written
    }
  }
  return { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: payload };
}

function corsHeaders(cors: NonNullable<UrlTarget['Cors']>, origin: string, preflight: boolean): Record<string, string> {
  const allowed = cors.AllowOrigins ?? [];
  const match = allowed.includes('*') ? (cors.AllowCredentials ? origin : '*') : allowed.find((o) => o.toLowerCase() === origin.toLowerCase());
  if (!match) return {};
  const h: Record<string, string> = { 'access-control-allow-origin': match, vary: 'Origin' };
  if (cors.AllowCredentials) h['access-control-allow-credentials'] = 'true';
  if (preflight) {
    if (cors.AllowMethods?.length) h['access-control-allow-methods'] = cors.AllowMethods.join(',');
    if (cors.AllowHeaders?.length) h['access-control-allow-headers'] = cors.AllowHeaders.join(',');
    if (cors.MaxAge !== undefined) h['access-control-max-age'] = String(cors.MaxAge);
  } else if (cors.ExposeHeaders?.length) {
    h['access-control-expose-headers'] = cors.ExposeHeaders.join(',');
  }
  return h;
}

function withCors(res: WireResponse, cors: UrlTarget['Cors'], origin: string | undefined): WireResponse {
  if (!cors || !origin) return res;
  return { ...res, headers: { ...res.headers, ...corsHeaders(cors, origin, false) } };
}

function plain(status: number, body: unknown): WireResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** "12/Mar/2020:19:03:58 +0000", the request time format of payload 2.0. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
