// Shared fixtures for the Lambda control-plane tests.
import AdmZip from 'adm-zip';

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
