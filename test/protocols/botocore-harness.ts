// Drives real botocore (boto3 and the aws CLI v1) against Nimbus's rest codecs.
//
// `codecServer` is an HTTP server with nothing but a codec behind it: it builds the
// WireRequest as the pipeline does, lets our codec route and parse it, records what it saw
// (the operation, the parsed input with streamed bodies read out, the raw headers) and
// answers with our serializer from a scripted provider. `boto3Calls` runs a batch of boto3
// calls in one python process (python starts slowly; one process per test) and returns what
// botocore parsed, so the whole client stack runs: its handlers (checksums, encoding-type=url,
// Expect: 100-continue, virtual-host addressing), serializer and parser. `awsCli` runs the
// aws CLI itself.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile, spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { ServiceError } from '../../src/core/errors.js';
import { loadModel, type ServiceModel } from '../../src/core/model.js';
import { codecFor } from '../../src/protocols/index.js';
import type { WireRequest, WireResponse } from '../../src/protocols/types.js';
import { parseAuth } from '../../src/server/identify.js';
import { ctxFor, readAll } from './rest-harness.js';
import { bridgeDecode, bridgeEncode, PYTHON_DEC } from './bridge-json.js';

// These tests pin what current botocore does (request shapes, error fields, presigning
// defaults); an older botocore, such as Debian's 1.29, differs in ways that are not Nimbus's.
export const hasBotocore =
  spawnSync('python3', ['-c', 'import boto3, botocore, sys; v = tuple(int(p) for p in botocore.__version__.split(".")[:2]); sys.exit(0 if v >= (1, 40) else 1)'], { encoding: 'utf8' }).status === 0;
const cliVersion = spawnSync('aws', ['--version'], { encoding: 'utf8' });
export const hasAwsCli = cliVersion.status === 0;
/** aws CLI v2 reads blob arguments as base64 unless told otherwise; v1 has no such option. */
const cliBlobArgs = /aws-cli\/2/.test(`${cliVersion.stdout}${cliVersion.stderr}`) ? ['--cli-binary-format', 'raw-in-base64-out'] : [];

export interface Recorded {
  service: string;
  op?: string;
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string>;
  input?: Record<string, unknown>;
  /** the request body as the client sent it (before aws-chunked decoding) */
  rawBody?: Buffer;
}

export type Answer = (op: string, input: Record<string, unknown>, rec: Recorded) => unknown | Promise<unknown>;

const models: Record<string, ServiceModel> = {};
function modelOf(service: string): ServiceModel {
  return (models[service] ??= loadModel(service));
}

function isStream(v: unknown): v is Readable {
  return !!v && typeof (v as Readable).pipe === 'function';
}

/** Starts a codec-only server. S3 and Lambda are told apart by the SigV4 scope, as in the pipeline. */
export async function codecServer(answer: Answer): Promise<{ endpoint: string; port: number; seen: Recorded[]; close(): Promise<void> }> {
  const seen: Recorded[] = [];
  const server = http.createServer(async (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const wire: WireRequest = { method: req.method ?? 'GET', rawPath: q < 0 ? url : url.slice(0, q), rawQuery: q < 0 ? '' : url.slice(q + 1), headers, body: Buffer.alloc(0) };
    const service = parseAuth(headers, wire.rawQuery).signingName === 'lambda' ? 'lambda' : 's3';
    const model = modelOf(service);
    const codec = codecFor(service === 'lambda' ? 'rest-json' : 'rest-xml');
    const rec: Recorded = { service, method: wire.method, rawPath: wire.rawPath, rawQuery: wire.rawQuery, headers };
    seen.push(rec);
    const ctx = ctxFor(service);
    let response: WireResponse;
    try {
      const op = codec.resolveOperation(wire, model);
      rec.op = ctx.operation = op ?? '';
      const raw = await readAll(req);
      rec.rawBody = raw;
      if (op && codec.hasStreamingInput?.(model, op)) wire.stream = Readable.from([raw]);
      else wire.body = raw;
      if (!op) throw codec.unknownOperationError!(wire, model);
      const input = codec.parse(wire, model, op);
      for (const [k, v] of Object.entries(input)) if (isStream(v)) input[k] = await readAll(v);
      rec.input = input;
      response = codec.serialize(await answer(op, input, rec), model, op, ctx);
    } catch (e) {
      if (!(e instanceof ServiceError)) {
        res.writeHead(599).end(String((e as Error).stack));
        return;
      }
      response = codec.serializeError(e, model, ctx);
    }
    // AWS's request id headers: S3 sends x-amz-request-id (16 hex) and x-amz-id-2, Lambda x-amzn-RequestId
    const ids: Record<string, string> =
      service === 's3'
        ? { 'x-amz-request-id': ctx.requestId.replace(/-/g, '').slice(0, 16).toUpperCase(), 'x-amz-id-2': Buffer.from(ctx.requestId).toString('base64') }
        : { 'x-amzn-RequestId': ctx.requestId };
    const out: Record<string, string | string[]> = { ...ids, ...response.headers };
    if (response.body === undefined || req.method === 'HEAD') {
      res.writeHead(response.status, out).end();
      return;
    }
    const body = isStream(response.body) ? await readAll(response.body) : Buffer.from(response.body as Buffer | string);
    // as the pipeline's send(): the output's own Content-Length header (GetObject) is kept
    if (!Object.keys(out).some((h) => h.toLowerCase() === 'content-length')) out['content-length'] = String(body.length);
    res.writeHead(response.status, out).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------------------------------
// boto3

/**
 * One boto3 call. `op` is the botocore operation name (PutObject) for client calls, or one of
 * the S3 transfer/presign helpers. Values: {"__b64"} bytes, {"__date"} datetimes both ways.
 */
export interface Boto3Call {
  service: 's3' | 'lambda';
  op: string;
  params?: Record<string, unknown>;
  /** botocore.config.Config keyword arguments */
  config?: Record<string, unknown>;
  /** where the client points (default: the batch's endpoint) */
  endpoint?: string;
  /** upload_file/download_file: TransferConfig keyword arguments */
  transfer?: Record<string, unknown>;
}

export interface Boto3Result {
  /** what botocore parsed (ResponseMetadata included); streaming bodies read to bytes */
  ok?: any;
  /** e.response of a ClientError */
  error?: any;
  /** any other exception, as text */
  exception?: string;
  /** headers and URL of the last request botocore sent for this call */
  sent?: { url: string; headers: Record<string, string> };
}

const BOTO3_BRIDGE = `
import sys, json, base64, datetime, socket
# Like curl and systemd-resolved, resolve *.localhost to the loopback address (virtual-hosted S3,
# function URLs); glibc alone does not.
_getaddrinfo = socket.getaddrinfo
def _loopback_getaddrinfo(host, *args, **kwargs):
    if isinstance(host, str) and host.endswith('.localhost'):
        host = '127.0.0.1'
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = _loopback_getaddrinfo

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore import xform_name

${PYTHON_DEC}
def enc(v):
    if hasattr(v, 'read') and not isinstance(v, (bytes, bytearray)): v = v.read()
    if isinstance(v, (bytes, bytearray)): return {'__b64': base64.b64encode(v).decode()}
    if isinstance(v, datetime.datetime):
        return {'__date': v.astimezone(datetime.timezone.utc).isoformat(timespec='milliseconds').replace('+00:00', 'Z')}
    if isinstance(v, dict): return {k: enc(x) for k, x in v.items()}
    if isinstance(v, list): return [enc(x) for x in v]
    if hasattr(v, '__iter__') and not isinstance(v, (str, bytes)): return [enc(x) for x in v]
    return v

def text(v):
    return v.decode('latin-1') if isinstance(v, (bytes, bytearray)) else str(v)

spec = json.load(sys.stdin)
out = []
for c in spec['calls']:
    client = boto3.client(c['service'], endpoint_url=c.get('endpoint') or spec['endpoint'], region_name='us-east-1',
                          aws_access_key_id='test', aws_secret_access_key='test', config=Config(**c.get('config', {})))
    sent = {}
    def capture(request, **kwargs):
        sent['url'] = request.url
        sent['headers'] = {k.lower(): text(v) for k, v in request.headers.items()}
    client.meta.events.register('before-send', capture)
    params = dec(c.get('params') or {})
    try:
        op = c['op']
        if op == 'upload_file':
            client.upload_file(params['Filename'], params['Bucket'], params['Key'], ExtraArgs=params.get('ExtraArgs'), Config=TransferConfig(**c.get('transfer', {})))
            result = {}
        elif op == 'download_file':
            client.download_file(params['Bucket'], params['Key'], params['Filename'], Config=TransferConfig(**c.get('transfer', {})))
            result = {}
        elif op == 'generate_presigned_url':
            result = {'url': client.generate_presigned_url(params['ClientMethod'], Params=params.get('Params'), ExpiresIn=params.get('ExpiresIn', 3600), HttpMethod=params.get('HttpMethod'))}
        elif op == 'generate_presigned_post':
            result = client.generate_presigned_post(params['Bucket'], params['Key'], Fields=params.get('Fields'), Conditions=params.get('Conditions'))
        else:
            method = getattr(client, xform_name(op))
            result = method(**params)
            if op == 'InvokeWithResponseStream':
                result['EventStream'] = [dict(e) for e in result['EventStream']]
        out.append({'ok': enc(result), 'sent': sent})
    except ClientError as e:
        out.append({'error': enc(e.response), 'sent': sent})
    except Exception as e:
        out.append({'exception': type(e).__name__ + ': ' + str(e), 'sent': sent})
json.dump(out, sys.stdout)
`;

function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { env: opts.env, cwd: opts.cwd, timeout: opts.timeout ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ code: err ? (typeof code === 'number' ? code : 1) : 0, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Runs the calls in order in one python process; the server must be serving meanwhile. */
export async function boto3Calls(endpoint: string, calls: Boto3Call[]): Promise<Boto3Result[]> {
  const r = await run('python3', ['-c', BOTO3_BRIDGE], { input: JSON.stringify({ endpoint, calls }, bridgeEncode), env: cliEnv() });
  if (r.code !== 0) throw new Error(`boto3 bridge failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout, bridgeDecode);
}

/** Environment for the aws CLI and boto3: test credentials, no user configuration. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_MAX_ATTEMPTS: '1',
    ...extra,
  };
  delete env.AWS_PROFILE;
  delete env.AWS_ENDPOINT_URL;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

/** Runs `aws <args> --endpoint-url <endpoint>`; stdout parsed as JSON when it is JSON. */
export async function awsCli(endpoint: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string; json?: any }> {
  const r = await run('aws', [...args, ...cliBlobArgs, '--endpoint-url', endpoint], { env: cliEnv(opts.env), cwd: opts.cwd });
  let json: any;
  try {
    json = r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  } catch {
    json = undefined;
  }
  return { ...r, json };
}
