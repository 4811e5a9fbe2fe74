// Every scenario, in run order. Later issues add theirs here.
import type { Scenario } from '../harness/types.js';
import { startupScenario } from './startup.js';
import { stsScenario } from './sts.js';
import { sqsBatchEndToEnd, sqsNoDuplicates, sqsReceiveDepth, sqsSend, sqsSendMemory } from './sqs.js';
import { snsPublishFanout, snsPublishToReceive } from './sns.js';
import { s3Multipart, s3Put, s3PutToNotification } from './s3.js';
import { lambdaColdStart, lambdaCreate1mb, lambdaInvoke, lambdaInvokeAsync, lambdaManyFunctions } from './lambda.js';
import { esmDrain, esmLatency } from './esm.js';

export const scenarios: Scenario[] = [
  startupScenario,
  stsScenario,
  sqsSendMemory,
  sqsSend,
  sqsBatchEndToEnd,
  sqsReceiveDepth,
  sqsNoDuplicates,
  snsPublishFanout,
  snsPublishToReceive,
  s3Put,
  s3PutToNotification,
  s3Multipart,
  lambdaInvoke,
  lambdaInvokeAsync,
  lambdaColdStart,
  lambdaCreate1mb,
  lambdaManyFunctions,
  esmLatency,
  esmDrain,
];

/** `--only` names: a scenario's full name, or a prefix up to a dot (`sqs` runs every sqs.* scenario). */
export function selectScenarios(all: Scenario[], only: string[]): Scenario[] {
  if (only.length === 0) return all.filter((s) => !s.optional);
  return all.filter((s) => only.some((o) => s.name === o || s.name.startsWith(o.endsWith('.') ? o : `${o}.`)));
}
