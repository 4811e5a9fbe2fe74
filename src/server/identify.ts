// Which service a request is for, decided from what AWS clients send before the body:
// X-Amz-Target, the SigV4 credential scope, the path, the Host header; and, for unsigned
// form posts (curl, old SDKs), the Action parameter.
import fs from 'node:fs';
import path from 'node:path';
import { schemasDir } from '../core/model.js';
import type { ProtocolName, WireRequest } from '../protocols/types.js';
import { services, serviceByName } from '../services/registry.js';
import type { ServiceDefinition } from '../services/types.js';

interface ServiceIndexEntry {
  protocol: string;
  targetPrefix?: string;
  signingName: string;
  pathPrefixes?: string[];
  actions?: string[];
}

const index: Record<string, ServiceIndexEntry> = JSON.parse(fs.readFileSync(path.join(schemasDir, 'services.json'), 'utf8'));

const byTargetPrefix = new Map<string, string>();
const byPathPrefix = new Map<string, string>();
for (const [name, e] of Object.entries(index)) {
  if (e.targetPrefix) byTargetPrefix.set(e.targetPrefix, name);
  for (const p of e.pathPrefixes ?? []) byPathPrefix.set(p, name);
}
const bySigningName = new Map<string, ServiceDefinition>();
for (const s of services) for (const n of s.signingNames) bySigningName.set(n, s);

// Query actions that several services share (AddPermission, TagResource...) are resolved in
// this order when nothing else names the service; SQS-shaped requests are caught earlier by
// their queue URL.
const actionOrder = ['sns', 'sqs', 'sts', 'iam'];

export interface Identified {
  service: ServiceDefinition;
  protocol: ProtocolName;
  /** Set when the request names a service Nimbus does not serve. */
  unknown?: undefined;
}

export type Identification = Identified | { unknown: string; protocol: ProtocolName } | { needsBody: true };

export interface AuthInfo {
  accessKeyId?: string;
  region?: string;
  signingName?: string;
}

const credentialRe = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/;

export function parseAuth(headers: Record<string, string>, rawQuery: string): AuthInfo {
  const auth = headers['authorization'];
  let m = auth ? credentialRe.exec(auth) : null;
  if (!m && rawQuery.includes('X-Amz-Credential')) {
    const cred = new URLSearchParams(rawQuery).get('X-Amz-Credential');
    if (cred) m = credentialRe.exec('Credential=' + cred);
  }
  if (m) return { accessKeyId: m[1], region: m[3], signingName: m[4] };
  // SigV2 (old S3 clients, presigned v2 URLs): "AWS AKID:signature"
  if (auth?.startsWith('AWS ')) return { accessKeyId: auth.slice(4).split(':')[0], signingName: 's3' };
  return {};
}

function jsonish(req: WireRequest): boolean {
  return !!req.headers['x-amz-target'] || (req.headers['content-type'] ?? '').startsWith('application/x-amz-json');
}

function isForm(req: WireRequest): boolean {
  return (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function fromHost(host: string): string | undefined {
  const h = host.split(':')[0].toLowerCase();
  const labels = h.split('.');
  if (labels.includes('s3') || labels.some((l) => l.startsWith('s3-'))) return 's3';
  for (const name of ['sqs', 'sns', 'sts', 'iam', 'logs', 'lambda']) if (labels[0] === name || labels[1] === name) return name;
  return undefined;
}

/** Decides from headers, path and query string alone; asks for the body only for unsigned form posts. */
export function identify(req: WireRequest, auth: AuthInfo, body?: Buffer): Identification {
  const target = req.headers['x-amz-target'];
  if (target) {
    const name = byTargetPrefix.get(target.split('.')[0]);
    if (name) return { service: serviceByName(name)!, protocol: 'json' };
    return { unknown: target.split('.')[0], protocol: 'json' };
  }
  if (auth.signingName && auth.signingName !== 'execute-api') {
    const svc = bySigningName.get(auth.signingName);
    if (!svc) return { unknown: auth.signingName, protocol: jsonish(req) ? 'json' : 'query' };
    return { service: svc, protocol: protocolFor(svc, req) };
  }
  const first = '/' + req.rawPath.split('/')[1];
  const byPath = byPathPrefix.get(first);
  if (byPath) return { service: serviceByName(byPath)!, protocol: 'rest-json' };
  const hostName = fromHost(req.headers['host'] ?? '');
  if (hostName) {
    const svc = serviceByName(hostName)!;
    return { service: svc, protocol: protocolFor(svc, req) };
  }
  const action = actionOf(req, body);
  if (action === undefined && req.method === 'POST' && isForm(req) && body === undefined) return { needsBody: true };
  if (action) {
    // An SQS query request is posted to its queue URL or names it.
    if (/^\/\d{12}\/[^/]+\/?$/.test(req.rawPath) || /(^|&)QueueUrl=/.test(req.rawQuery) || (body && /(^|&)QueueUrl=/.test(body.toString('latin1')))) {
      return { service: serviceByName('sqs')!, protocol: 'query' };
    }
    for (const name of actionOrder) if (index[name]?.actions?.includes(action)) return { service: serviceByName(name)!, protocol: 'query' };
    return { unknown: `action ${action}`, protocol: 'query' };
  }
  if (/^\/\d{12}\/[^/]+\/?$/.test(req.rawPath) && req.method === 'POST' && jsonish(req)) return { service: serviceByName('sqs')!, protocol: 'json' };
  // Everything else is S3, as on LocalStack: path-style bucket URLs have no other marker.
  return { service: serviceByName('s3')!, protocol: 'rest-xml' };
}

function protocolFor(svc: ServiceDefinition, req: WireRequest): ProtocolName {
  if (svc.protocols.length === 1) return svc.protocols[0];
  // SQS speaks JSON (current SDKs) and query (older SDKs, curl): the content type tells them apart.
  return jsonish(req) ? 'json' : 'query';
}

function actionOf(req: WireRequest, body?: Buffer): string | undefined {
  const q = new URLSearchParams(req.rawQuery).get('Action');
  if (q) return q;
  if (body && isForm(req)) return new URLSearchParams(body.toString('latin1')).get('Action') ?? undefined;
  return undefined;
}
