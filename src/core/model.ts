// Loads the trimmed AWS models that scripts/gen.ts writes to schemas/. Loaded on first use of a
// service, so start-up reads none of them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ShapeRef {
  shape: string;
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
  queryName?: string;
  flattened?: boolean;
  xmlAttribute?: boolean;
  xmlNamespace?: { prefix?: string; uri: string };
  streaming?: boolean;
  jsonvalue?: boolean;
  idempotencyToken?: boolean;
  timestampFormat?: 'iso8601' | 'rfc822' | 'unixTimestamp';
  hostLabel?: boolean;
  contextParam?: unknown;
  eventpayload?: boolean;
  resultWrapper?: string;
  [k: string]: unknown;
}

export interface Shape {
  type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'float' | 'double' | 'boolean' | 'blob' | 'timestamp';
  members?: Record<string, ShapeRef>;
  required?: string[];
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  payload?: string;
  flattened?: boolean;
  locationName?: string;
  xmlNamespace?: { prefix?: string; uri: string };
  timestampFormat?: 'iso8601' | 'rfc822' | 'unixTimestamp';
  streaming?: boolean;
  requiresLength?: boolean;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  exception?: boolean;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  eventstream?: boolean;
  event?: boolean;
  union?: boolean;
  [k: string]: unknown;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: ShapeRef;
  output?: ShapeRef;
  errors?: ShapeRef[];
  [k: string]: unknown;
}

export interface ServiceModel {
  metadata: {
    apiVersion: string;
    protocol: string;
    protocols?: string[];
    jsonVersion?: string;
    targetPrefix?: string;
    endpointPrefix: string;
    signingName?: string;
    serviceId: string;
    xmlNamespace?: string;
    awsQueryCompatible?: Record<string, unknown>;
    [k: string]: unknown;
  };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
  paginators?: Record<string, unknown>;
  waiters?: Record<string, unknown>;
}

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'schemas', 'sts', 'model.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('schemas/ not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

export const projectRoot = findRoot();
export const schemasDir = path.join(projectRoot, 'schemas');

const cache = new Map<string, ServiceModel>();
export function loadModel(service: string): ServiceModel {
  let m = cache.get(service);
  if (!m) {
    m = JSON.parse(fs.readFileSync(path.join(schemasDir, service, 'model.json'), 'utf8')) as ServiceModel;
    cache.set(service, m);
  }
  return m;
}

export function loadInputSchema(service: string, operation: string): object {
  return JSON.parse(fs.readFileSync(path.join(schemasDir, service, 'inputs', `${operation}.json`), 'utf8'));
}
