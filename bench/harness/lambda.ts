// Lambda fixtures: the bench's handlers (zipped in memory), an execution role, and waits for a
// function to become Active / finish an update as AWS clients must (State, LastUpdateStatus).
import crypto from 'node:crypto';
import AdmZip from 'adm-zip';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  type CreateFunctionCommandInput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import type { Clients } from './clients.js';
import { sleep } from './measure.js';

export const RUNTIME = 'nodejs20.x';

export const TRIVIAL_HANDLER = `exports.handler = async () => ({ ok: true });\n`;

/** Reports its start time and the bodies of its SQS records to the bench's sink. */
export const REPORTING_HANDLER = `exports.handler = async (event) => {
  const t = performance.timeOrigin + performance.now();
  const bodies = (event.Records || []).map((r) => r.body);
  await fetch(process.env.BENCH_SINK_URL, { method: 'POST', body: JSON.stringify({ t, bodies }) });
  return {};
};
`;

export function zipOf(source: string, paddingBytes = 0): Buffer {
  const zip = new AdmZip();
  zip.addFile('index.js', Buffer.from(source));
  // Random bytes do not compress, so the archive is as large as asked.
  if (paddingBytes > 0) zip.addFile('padding.bin', crypto.randomBytes(paddingBytes));
  return zip.toBuffer();
}

export async function ensureRole(clients: Clients): Promise<string> {
  const RoleName = 'nimbus-bench';
  try {
    const out = await clients.iam.send(
      new CreateRoleCommand({
        RoleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    if (out.Role?.Arn) return out.Role.Arn;
  } catch {
    // EntityAlreadyExists, or IAM not implemented yet: Lambda may still accept the ARN.
  }
  return `arn:aws:iam::000000000000:role/${RoleName}`;
}

export async function waitForFunction(lambda: LambdaClient, FunctionName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
    if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') throw new Error(`function ${FunctionName} failed: ${c.StateReason ?? c.LastUpdateStatusReason}`);
    if ((c.State ?? 'Active') === 'Active' && (c.LastUpdateStatus ?? 'Successful') === 'Successful') return;
    if (Date.now() > deadline) throw new Error(`function ${FunctionName} not Active after ${timeoutMs} ms`);
    await sleep(25);
  }
}

export async function createFunction(
  clients: Clients,
  role: string,
  FunctionName: string,
  zip: Buffer,
  extra: Partial<CreateFunctionCommandInput> = {},
  wait = true,
): Promise<void> {
  await clients.lambda.send(
    new CreateFunctionCommand({
      FunctionName,
      Runtime: RUNTIME,
      Role: role,
      Handler: 'index.handler',
      Code: { ZipFile: zip },
      Timeout: 30,
      MemorySize: 128,
      ...extra,
    }),
  );
  if (wait) await waitForFunction(clients.lambda, FunctionName);
}
