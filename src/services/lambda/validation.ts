// Checks Lambda makes beyond the model's constraints (which ajv has already applied), in AWS's words.
import type { Environment } from '../../generated/lambda.js';
import { invalidParameter, validationException } from './errors.js';

/** Runtimes Lambda accepts for new functions and updates. */
export const SUPPORTED_RUNTIMES = [
  'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x',
  'python3.8', 'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14',
  'java8.al2', 'java11', 'java17', 'java21', 'java25',
  'dotnet6', 'dotnet8', 'dotnet10',
  'ruby3.2', 'ruby3.3', 'ruby3.4', 'ruby4.0',
  'provided', 'provided.al2', 'provided.al2023',
  'nodejs16.x', 'nodejs14.x', 'java8', 'go1.x', 'python3.7', 'dotnetcore3.1', 'ruby2.7',
];

/** Runtimes past the date AWS blocks creating and updating functions with them, and what AWS suggests instead. */
const BLOCKED_RUNTIMES: Record<string, string> = {
  nodejs: 'nodejs20.x', 'nodejs4.3': 'nodejs20.x', 'nodejs4.3-edge': 'nodejs20.x', 'nodejs6.10': 'nodejs20.x', 'nodejs8.10': 'nodejs20.x',
  'nodejs10.x': 'nodejs20.x', 'nodejs12.x': 'nodejs20.x', 'python2.7': 'python3.12', 'python3.6': 'python3.12',
  'dotnetcore1.0': 'dotnet8', 'dotnetcore2.0': 'dotnet8', 'dotnetcore2.1': 'dotnet8', 'ruby2.5': 'ruby3.3',
};

const ENUM_FOR_MESSAGE = [...SUPPORTED_RUNTIMES, ...Object.keys(BLOCKED_RUNTIMES)];

export function checkRuntime(runtime: string): void {
  const suggestion = BLOCKED_RUNTIMES[runtime];
  if (suggestion) {
    throw invalidParameter(`The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime (${suggestion}) while creating or updating functions.`);
  }
  if (!SUPPORTED_RUNTIMES.includes(runtime)) {
    throw invalidParameter(`Value ${runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${ENUM_FOR_MESSAGE.join(', ')}] or be a valid ARN`);
  }
}

export function checkMemoryAndTimeout(memory: number | undefined, timeout: number | undefined): void {
  // The model allows up to 32768 MB; Lambda itself caps function memory at 10240 MB.
  if (memory !== undefined && memory > 10240) throw invalidParameter("'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to 10240");
  if (timeout !== undefined && timeout > 900) {
    throw validationException([{ member: 'timeout', value: timeout, constraint: 'Member must have value less than or equal to 900' }]);
  }
}

/** Keys the Lambda runtime sets itself: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime */
const RESERVED_ENV = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];

export function checkEnvironment(env: Environment | undefined): void {
  const vars = env?.Variables;
  if (!vars) return;
  // Names need two characters at least: the model's pattern is [a-zA-Z]([a-zA-Z0-9_])+.
  for (const k of Object.keys(vars)) {
    if (!/^[a-zA-Z]([a-zA-Z0-9_])+$/.test(k)) {
      throw validationException([{ member: 'environment.variables', value: undefined, sensitive: true, constraint: `Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]` }]);
    }
  }
  const reserved = Object.keys(vars).filter((k) => RESERVED_ENV.includes(k));
  if (reserved.length) {
    throw invalidParameter(`Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`);
  }
  // AWS measures the variables as a JSON object and allows 4 KB in total.
  const measured = JSON.stringify(vars);
  if (Buffer.byteLength(measured) > 4096) {
    throw invalidParameter(`Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`);
  }
}

export const MAX_LAYERS = 5;

/**
 * Enum members the model declares (the generated JSON Schemas carry no enums): AWS rejects other
 * values with a ValidationException listing every violation at once.
 */
export function checkEnums(checks: [member: string, value: unknown, allowed: readonly string[]][]): void {
  const issues: { member: string; value: unknown; constraint: string }[] = [];
  for (const [member, value, allowed] of checks) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.every((v) => allowed.includes(String(v)))) continue;
    issues.push({
      member,
      value: Array.isArray(value) ? `[${value.join(', ')}]` : value,
      constraint: Array.isArray(value) ? `Member must satisfy constraint: [Member must satisfy enum value set: [${allowed.join(', ')}]]` : `Member must satisfy enum value set: [${allowed.join(', ')}]`,
    });
  }
  if (issues.length) throw validationException(issues);
}

export const ENUMS = {
  packageType: ['Zip', 'Image'],
  architecture: ['x86_64', 'arm64'],
  tracingMode: ['Active', 'PassThrough'],
  logFormat: ['JSON', 'Text'],
  logLevel: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'],
  systemLogLevel: ['DEBUG', 'INFO', 'WARN'],
  snapStartApplyOn: ['PublishedVersions', 'None'],
  authType: ['NONE', 'AWS_IAM'],
  invokeMode: ['BUFFERED', 'RESPONSE_STREAM'],
  updateRuntimeOn: ['Auto', 'Manual', 'FunctionUpdate'],
} as const;
