// Shared fixtures for the Lambda control-plane tests.
import AdmZip from 'adm-zip';
import { CreateFunctionCommand, GetFunctionCommand, type CreateFunctionCommandInput, type LambdaClient } from '@aws-sdk/client-lambda';

export const ROLE = 'arn:aws:iam::000000000000:role/lambda-role';

export function zipOf(files: Record<string, string>): Buffer {
  const z = new AdmZip();
  for (const [name, content] of Object.entries(files)) z.addFile(name, Buffer.from(content));
  return z.toBuffer();
}

export const NODE_ZIP = () => zipOf({ 'index.mjs': 'export const handler = async () => "ok";' });

let n = 0;
export const uniqueName = (prefix = 'fn') => `${prefix}-${process.pid}-${++n}`;

/** A zip whose entry escapes the extraction root ("../evil.js"): adm-zip refuses to write one, so the name is patched in. */
export function zipSlip(): Buffer {
  const z = zipOf({ 'zz/evil.js': 'x' });
  return Buffer.from(z.toString('latin1').split('zz/evil.js').join('../evil.js'), 'latin1');
}

/** CreateFunction input for a Node.js function running `zip` (NODE_ZIP by default). */
export function nodeFunctionInput(name: string, extra: Record<string, unknown> = {}, zip: Buffer = NODE_ZIP()): CreateFunctionCommandInput {
  return { FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip }, ...extra };
}

/** Creates a Node.js function named after `prefix`, reads it back, and returns its name. */
export async function createNodeFunction(lambda: LambdaClient, prefix: string, extra: Record<string, unknown> = {}): Promise<string> {
  const name = uniqueName(prefix);
  await lambda.send(new CreateFunctionCommand(nodeFunctionInput(name, extra)));
  await lambda.send(new GetFunctionCommand({ FunctionName: name }));
  return name;
}
