// Lambda's errors in AWS's words. Lambda error bodies carry `Type` ("User" for caller faults)
// next to the message; the messages below are the ones AWS returns, so scripts that match
// on them keep working.
import { ServiceError } from '../../core/errors.js';
import type { ValidationIssue } from '../types.js';
import { coralMessage } from '../../server/validation.js';
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

/** Maps ajv findings to Lambda's ValidationException ("Value '0' at 'timeout' failed to satisfy ..."). */
export function validationError(issues: ValidationIssue[], _operation: string): ServiceError {
  return new ServiceError('ValidationException', coralMessage(issues), { status: 400 });
}
