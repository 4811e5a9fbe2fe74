// Lambda's errors in AWS's words. Lambda error bodies carry `Type` ("User" for caller faults)
// next to the message; the messages below are the ones AWS returns, so scripts that match
// on them keep working.
import { ServiceError } from '../../core/errors.js';
import type { ValidationIssue } from '../types.js';
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
} from '../../generated/lambda.js';

const user = { Type: 'User' };

export const notFound = (message: string) => new ResourceNotFoundException(message, user);
export const functionNotFound = (arn: string) => notFound(`Function not found: ${arn}`);
/** AWS's answer for most missing sub-resources (policies, URL configs, layer versions). */
export const resourceNotFound = () => notFound('The resource you requested does not exist.');
export const invalidParameter = (message: string) => new InvalidParameterValueException(message, user);
export const conflict = (message: string) => new ResourceConflictException(message, user);
export const revisionMismatch = (what = 'GetFunction/GetAlias') =>
  new PreconditionFailedException(`The Revision Id provided does not match the latest Revision Id. Call the ${what} API to retrieve the latest Revision Id`, user);

/** Coral's model-constraint error, as Lambda words it: member names start lower-case. */
export function validationException(issues: { member: string; value: unknown; constraint: string; sensitive?: boolean }[]): ServiceError {
  // Sensitive members (environment variables) are reported without their value: "Value at '...'".
  const parts = issues.map((i) => `Value ${i.sensitive ? '' : renderValue(i.value) + ' '}at '${i.member}' failed to satisfy constraint: ${i.constraint}`);
  const n = issues.length;
  return new ServiceError('ValidationException', `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`, { status: 400 });
}

function renderValue(v: unknown): string {
  if (v === undefined) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v) || (v && typeof v === 'object')) return `'${JSON.stringify(v)}'`;
  return `'${String(v)}'`;
}

const lowerFirst = (s: string) => (s ? s[0].toLowerCase() + s.slice(1) : s);

/** ajv pattern as the model states it: the generator wraps model patterns in ^(?:...)$ for ajv. */
function modelPattern(p: unknown): string {
  const s = String(p);
  const m = /^\^\(\?:([\s\S]*)\)\$$/.exec(s);
  return m ? m[1] : s;
}

export function constraintText(issue: ValidationIssue): string {
  switch (issue.kind) {
    case 'required':
      return 'Member must not be null';
    case 'minLength':
      return `Member must have length greater than or equal to ${issue.limit}`;
    case 'maxLength':
      return `Member must have length less than or equal to ${issue.limit}`;
    case 'pattern':
      return `Member must satisfy regular expression pattern: ${modelPattern(issue.limit)}`;
    case 'minimum':
      return `Member must have value greater than or equal to ${issue.limit}`;
    case 'maximum':
      return `Member must have value less than or equal to ${issue.limit}`;
    case 'minItems':
      return `Member must have length greater than or equal to ${issue.limit}`;
    case 'maxItems':
      return `Member must have length less than or equal to ${issue.limit}`;
    default:
      return issue.limit !== undefined && Array.isArray(issue.limit)
        ? `Member must satisfy enum value set: [${(issue.limit as unknown[]).join(', ')}]`
        : 'Member must satisfy the model constraints';
  }
}

/** Maps ajv findings to Lambda's ValidationException ("Value '0' at 'timeout' failed to satisfy ..."). */
export function validationError(issues: ValidationIssue[], _operation: string): ServiceError {
  return validationException(
    issues.map((i) => ({
      member: i.path.map((seg, k) => (k === 0 || !/^\d+$/.test(seg) ? lowerFirst(seg) : seg)).join('.'),
      value: i.value,
      constraint: constraintText(i),
    })),
  );
}
