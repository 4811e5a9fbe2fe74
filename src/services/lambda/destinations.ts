// Where asynchronous invocations report: OnSuccess/OnFailure destinations (SQS, SNS, Lambda)
// with AWS's invocation record, and the dead-letter queue (SQS or SNS) with the original event
// and AWS's RequestID/ErrorCode/ErrorMessage attributes.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
import type { ServiceDeps } from '../types.js';

export interface Scope {
  accountId: string;
  region: string;
}

export type DestinationCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

/** AWS's destination record ("version 1.0"). */
export function destinationRecord(o: {
  now: number;
  requestId: string;
  functionArn: string;
  condition: DestinationCondition;
  attempts: number;
  requestPayload: Buffer;
  statusCode: number;
  executedVersion?: string;
  functionError?: string;
  responsePayload?: Buffer;
}): object {
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date(o.now).toISOString(),
    requestContext: { requestId: o.requestId, functionArn: o.functionArn, condition: o.condition, approximateInvokeCount: o.attempts },
    requestPayload: parseOrString(o.requestPayload),
    responseContext: {
      statusCode: o.statusCode,
      executedVersion: o.executedVersion,
      ...(o.functionError ? { functionError: o.functionError } : {}),
    },
  };
  if (o.responsePayload !== undefined) record.responsePayload = parseOrString(o.responsePayload);
  return record;
}

function parseOrString(b: Buffer): unknown {
  const s = b.toString('utf8');
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

interface ParsedArn {
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

function parseArn(arn: string): ParsedArn | undefined {
  const m = /^arn:[^:]+:([^:]+):([^:]*):(\d{12}):(.+)$/.exec(arn);
  return m ? { service: m[1], region: m[2], accountId: m[3], resource: m[4] } : undefined;
}

function queueUrlOf(deps: ServiceDeps, a: ParsedArn): string {
  return `${deps.endpoint().replace(/\/+$/, '')}/${a.accountId}/${a.resource}`;
}

/** Sends an invocation record to a destination ARN. */
export async function sendToDestination(deps: ServiceDeps, arn: string, record: object): Promise<void> {
  const a = parseArn(arn);
  if (!a) throw new Error(`not an ARN: ${arn}`);
  const scope = { accountId: a.accountId, region: a.region };
  const body = JSON.stringify(record);
  if (a.service === 'sqs') {
    await deps.internal.call('sqs', 'SendMessage', { QueueUrl: queueUrlOf(deps, a), MessageBody: body }, scope);
  } else if (a.service === 'sns') {
    await deps.internal.call('sns', 'Publish', { TopicArn: arn, Message: body }, scope);
  } else if (a.service === 'lambda') {
    await deps.internal.call('lambda', 'Invoke', { FunctionName: arn, InvocationType: 'Event', Payload: Buffer.from(body) }, scope);
  } else {
    throw new Error(`Nimbus does not deliver to ${a.service} destinations`);
  }
}

/** Sends a failed event to the function's dead-letter queue or topic, as AWS does: the event itself plus error attributes. */
export async function sendToDeadLetter(deps: ServiceDeps, arn: string, o: { requestId: string; payload: Buffer; errorCode: number; errorMessage: string }): Promise<void> {
  const a = parseArn(arn);
  if (!a) throw new Error(`not an ARN: ${arn}`);
  const scope = { accountId: a.accountId, region: a.region };
  const attrs = {
    RequestID: { DataType: 'String', StringValue: o.requestId },
    ErrorCode: { DataType: 'Number', StringValue: String(o.errorCode) },
    ErrorMessage: { DataType: 'String', StringValue: o.errorMessage.slice(0, 1024) || 'unknown' },
  };
  const body = o.payload.toString('utf8') || '{}';
  if (a.service === 'sqs') {
    await deps.internal.call('sqs', 'SendMessage', { QueueUrl: queueUrlOf(deps, a), MessageBody: body, MessageAttributes: attrs }, scope);
  } else if (a.service === 'sns') {
    await deps.internal.call('sns', 'Publish', { TopicArn: arn, Message: body, MessageAttributes: attrs }, scope);
  } else {
    throw new Error(`dead-letter target must be SQS or SNS: ${arn}`);
  }
}
