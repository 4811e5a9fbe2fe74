// The IAM service module: roles and policies as stored resources (see provider.ts).
import { ServiceError } from '../../core/errors.js';
import type { ServiceModule, ValidationIssue } from '../types.js';
import { IamProvider } from './provider.js';
import { constraintText } from '../lambda/errors.js';

export { IamProvider } from './provider.js';

/** IAM reports model-constraint failures as ValidationError (not ValidationException), member names lower-camel. */
export function validationError(issues: ValidationIssue[], _operation: string): ServiceError {
  const parts = issues.map((i) => {
    const member = i.path.map((s, k) => (k === 0 || !/^\d+$/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s)).join('.');
    const value = i.value === undefined ? 'null' : `'${typeof i.value === 'string' ? i.value : JSON.stringify(i.value)}'`;
    return `Value ${value} at '${member}' failed to satisfy constraint: ${constraintText(i)}`;
  });
  const n = parts.length;
  return new ServiceError('ValidationError', `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`, { status: 400 });
}

const mod: ServiceModule = {
  createProvider: (deps) => new IamProvider(deps),
  validationError,
};

export const createProvider = mod.createProvider;
