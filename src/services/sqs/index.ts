// SQS: one provider served over the JSON 1.0 protocol and the query/XML protocol.
//   engine.ts    queues and messages in SQLite, indexed receive, long-poll waiters
//   provider.ts  the operations, AWS's validation and error wording
//   md5.ts       the digests SDKs verify
//   urls.ts      queue URLs (and queueUrlFromArn for internal callers)
//   moves.ts     message move tasks (DLQ redrive)
//
// For pollers inside Nimbus (the Lambda event source mapping): get the provider with
// `deps.internal.provider<SqsProvider>('sqs')` and call
// `provider.receiveForMapping(queueArn, { max, waitMs, visibilityTimeout?, signal })`: it
// long-polls (returning as soon as a message is deliverable, on abort or on shutdown), applies
// the queue's redrive policy, and returns messages with every attribute. Lower level:
// `provider.engine.waitForMessages(queue.id, deadline, signal)` resolves on a send, a
// visibility change, a message falling due, the deadline, abort or shutdown.
import { ServiceError } from '../../core/errors.js';
import type { ServiceDeps, ServiceModule, ValidationIssue } from '../types.js';
import { EmptyBatchRequest } from '../../generated/sqs.js';
import { SqsProvider, invalidParameterValue, missingParameter } from './provider.js';

export { SqsProvider } from './provider.js';
export { queueUrlFromArn } from './urls.js';

/**
 * SQS predates Coral validation: a missing member is MissingParameter ("The request must
 * contain the parameter X."), a malformed one InvalidParameterValue, in both protocols.
 */
export function validationError(issues: ValidationIssue[], operation: string): ServiceError {
  const required = issues.find((i) => i.kind === 'required');
  if (required) {
    const member = required.path[required.path.length - 1];
    // A query batch request without entries carries no Entries member at all.
    if (member === 'Entries' && required.path.length === 1 && operation.endsWith('Batch')) {
      return new EmptyBatchRequest(`There should be at least one ${operation}RequestEntry in the request.`);
    }
    return missingParameter(member);
  }
  const i = issues[0];
  const param = i.path.filter((p) => !/^\d+$/.test(p)).pop() ?? 'request';
  const shown = i.value === undefined ? '' : typeof i.value === 'object' ? JSON.stringify(i.value) : String(i.value);
  return invalidParameterValue(`Value ${shown} for parameter ${param} is invalid.`);
}

const mod: ServiceModule = {
  createProvider: (deps: ServiceDeps) => new SqsProvider(deps),
  validationError,
  // Shutting down wakes every long poll (it answers with what it has), so in-flight receives end at once.
  quiesce: (p) => (p as SqsProvider).close(),
  close: (p) => (p as SqsProvider).close(),
};
export const { createProvider, quiesce, close } = mod;
