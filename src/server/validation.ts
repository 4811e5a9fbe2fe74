// Input validation against the generated JSON Schemas (schemas/<svc>/inputs/<Op>.json), compiled
// on first use of each operation. ajv's findings become ValidationIssues; each service turns
// them into its own error (Coral-style ValidationException by default, as Lambda and Logs send).
import { createRequire } from 'node:module';
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from 'ajv';
import { loadInputSchema } from '../core/model.js';
import { ServiceError } from '../core/errors.js';
import type { ValidationIssue } from '../services/types.js';

// ajv is loaded and set up on the first validation rather than at start-up (its import and
// set-up are a large part of Nimbus's start-up time). The generated schemas are trusted, so
// neither the draft-07 meta-schema nor schema validation is needed.
let ajv: AjvInstance | undefined;
function compiler(): AjvInstance {
  if (!ajv) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false, meta: false, unicodeRegExp: true });
  }
  return ajv;
}
const compiled = new Map<string, ValidateFunction>();

export function validateInput(service: string, operation: string, input: unknown): ValidationIssue[] {
  const key = `${service}.${operation}`;
  let fn = compiled.get(key);
  if (!fn) {
    fn = compiler().compile(loadInputSchema(service, operation));
    compiled.set(key, fn);
  }
  if (fn(input)) return [];
  return (fn.errors ?? []).map((e) => toIssue(e, input));
}

function toIssue(e: ErrorObject, input: unknown): ValidationIssue {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let value: unknown = input;
  for (const p of path) value = value == null ? undefined : (value as Record<string, unknown>)[p];
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(p.missingProperty)], value: undefined, kind: 'required' };
    case 'minLength':
    case 'maxLength':
    case 'minItems':
    case 'maxItems':
    case 'minProperties':
    case 'maxProperties':
      return { path, value, kind: e.keyword, limit: p.limit };
    case 'minimum':
    case 'maximum':
      return { path, value, kind: e.keyword, limit: p.limit };
    case 'pattern':
      return { path, value, kind: 'pattern', limit: p.pattern };
    case 'type':
      return { path, value, kind: 'type', limit: p.type };
    default:
      return { path, value, kind: 'other', limit: e.message };
  }
}

/** AWS's Coral wording: lowerCamel member paths, list items as `member`, 1-based item numbers. */
export function coralPath(path: string[]): string {
  return path
    .map((seg) => (/^\d+$/.test(seg) ? `${Number(seg) + 1}.member` : seg.charAt(0).toLowerCase() + seg.slice(1)))
    .join('.');
}

export function coralConstraint(i: ValidationIssue): string {
  const pattern = typeof i.limit === 'string' ? i.limit.replace(/^\^\(\?:/, '').replace(/\)\$$/, '') : i.limit;
  switch (i.kind) {
    case 'required':
      return 'Member must not be null';
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return `Member must have length greater than or equal to ${i.limit}`;
    case 'maxLength':
    case 'maxItems':
    case 'maxProperties':
      return `Member must have length less than or equal to ${i.limit}`;
    case 'minimum':
      return `Member must have value greater than or equal to ${i.limit}`;
    case 'maximum':
      return `Member must have value less than or equal to ${i.limit}`;
    case 'pattern':
      return `Member must satisfy regular expression pattern: ${pattern}`;
    case 'type':
      return `Member must be of type ${i.limit}`;
    default:
      return String(i.limit ?? 'Member is invalid');
  }
}

function coralValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (Buffer.isBuffer(v)) return 'java.nio.HeapByteBuffer';
  if (typeof v === 'object') return JSON.stringify(v);
  return `'${String(v)}'`;
}

export function coralMessage(issues: ValidationIssue[]): string {
  const parts = issues.map((i) => `Value ${i.kind === 'required' ? 'null' : coralValue(i.value)} at '${coralPath(i.path)}' failed to satisfy constraint: ${coralConstraint(i)}`);
  const n = issues.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}

export function defaultValidationError(issues: ValidationIssue[]): ServiceError {
  return new ServiceError('ValidationException', coralMessage(issues), { status: 400 });
}
