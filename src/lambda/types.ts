// The contract between the Lambda control plane (src/services/lambda), which stores functions,
// and the execution engine (src/lambda), which runs them. The engine knows no wire protocol and
// no service: it is handed a snapshot of one function version and a payload.

/** One function version as the engine needs it; everything here is immutable for a published version. */
export interface FunctionSnapshot {
  accountId: string;
  region: string;
  functionName: string;
  /** unqualified ARN */
  functionArn: string;
  /** "$LATEST" or a published version number */
  version: string;
  runtime: string;
  handler: string;
  memorySize: number;
  /** seconds */
  timeout: number;
  environment: Record<string, string>;
  /** base64 SHA-256 of the zip, as AWS reports CodeSha256 */
  codeSha256: string;
  /** path of the zip in the blob store */
  codeZipPath: string;
  layers: { arn: string; codeSha256: string; zipPath: string }[];
  ephemeralStorageMb: number;
  architectures: string[];
  role: string;
  logGroup: string;
  logFormat: 'Text' | 'JSON';
  packageType: 'Zip' | 'Image';
  /** changes whenever code or configuration change: environments of an older revision are retired */
  revisionId: string;
  /** DeadLetterConfig.TargetArn (SQS queue or SNS topic) for events that async invocation gives up on */
  deadLetterTargetArn?: string;
}

export interface InvokeParams {
  fn: FunctionSnapshot;
  payload: Buffer;
  /** the ARN the caller invoked (qualified by alias or version when it was) */
  invokedFunctionArn: string;
  requestId: string;
  /** base64 JSON, as sent in X-Amz-Client-Context */
  clientContext?: string;
  cognitoIdentity?: string;
  traceId?: string;
  /** InvokeWithResponseStream: receives the response body's chunks as the runtime streams them */
  onChunk?(chunk: Buffer): void;
}

export interface InvokeOutcome {
  payload: Buffer;
  /** set when the handler failed: AWS reports "Unhandled" for errors thrown or raised by the runtime */
  functionError?: 'Unhandled' | 'Handled';
  /** every line the invocation logged (START ... REPORT), for LogType=Tail */
  log: string;
  durationMs: number;
  /** set on a cold start */
  initDurationMs?: number;
  /** errorType of a failed invocation (Lambda-Runtime-Function-Error-Type or the payload's), e.g. "TypeError", "Runtime.ExitError" */
  errorType?: string;
  /** the environment's log stream: AWS writes one stream per execution environment */
  logStreamName?: string;
  /** the invocation's log as CloudWatch Logs events (INIT_START/START ... REPORT); `log` is their text */
  logEvents?: LogEvent[];
}

export interface LogEvent {
  timestamp: number;
  message: string;
}

