// The IAM service module: roles and policies as stored resources (see provider.ts).
import { ServiceError } from '../../core/errors.js';
import type { ServiceModule, ValidationIssue } from '../types.js';
import { IamProvider } from './provider.js';
import { coralMessage } from '../../server/validation.js';

export { IamProvider } from './provider.js';

/** IAM reports model-constraint failures as ValidationError (not ValidationException), in Coral's words. */
export function validationError(issues: ValidationIssue[], _operation: string): ServiceError {
  return new ServiceError('ValidationError', coralMessage(issues), { status: 400 });
}

const mod: ServiceModule = {
  createProvider: (deps) => new IamProvider(deps),
  validationError,
};

export const createProvider = mod.createProvider;
