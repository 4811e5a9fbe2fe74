// Every service Nimbus serves. Service code is imported on first use, so start-up loads none.
import { ServiceError } from '../core/errors.js';
import type { ServiceDefinition } from './types.js';

const MB = 1024 * 1024;

export const services: ServiceDefinition[] = [
  { name: 'sts', signingNames: ['sts'], protocols: ['query'], load: () => import('./sts/index.js') },
  { name: 'iam', signingNames: ['iam'], protocols: ['query'], load: () => import('./iam/index.js') },
  { name: 'sqs', signingNames: ['sqs'], protocols: ['json', 'query'], load: () => import('./sqs/index.js') },
  { name: 'sns', signingNames: ['sns'], protocols: ['query'], raw: { pathPrefixes: ['/_nimbus/sns/'] }, load: () => import('./sns/index.js') },
  {
    name: 'lambda',
    signingNames: ['lambda'],
    protocols: ['rest-json'],
    background: true,
    raw: { pathPrefixes: ['/_aws/lambda-url/', '/_nimbus/lambda/'], hosts: [/\.lambda-url\./] },
    // Invoke payloads: 6 MB as on AWS; inline zips (base64 in JSON) up to the 50 MB direct-upload limit.
    bodyLimit: (op) => (op === 'Invoke' || op === 'InvokeAsync' || op === 'InvokeWithResponseStream' ? 6 * MB : 70 * MB),
    // Lambda's own wording, with the IAM action name of Invoke, as AWS answers an oversized payload.
    bodyTooLarge: (limit, op) =>
      new ServiceError('RequestTooLargeException', `Request must be smaller than ${limit} bytes for the ${op === 'Invoke' ? 'InvokeFunction' : op} operation`, { status: 413, fields: { Type: 'User' } }),
    load: () => import('./lambda/index.js'),
  },
  { name: 'logs', signingNames: ['logs'], protocols: ['json'], load: () => import('./logs/index.js') },
  // S3 object bodies are streamed to disk and not held by the pipeline; other S3 bodies are XML documents.
  { name: 's3', signingNames: ['s3'], protocols: ['rest-xml'], load: () => import('./s3/index.js') },
];

export const DEFAULT_BODY_LIMIT = 16 * MB;

export function serviceByName(name: string): ServiceDefinition | undefined {
  return services.find((s) => s.name === name);
}
