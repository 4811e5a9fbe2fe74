// Runs the same SQS behaviour over both wire protocols SQS serves:
//   json   the SDK v3 SQSClient (AWS JSON 1.0, what current SDKs and the aws CLI send)
//   query  raw form posts (Action=...&Attribute.1.Name=...), the XML answer read back by the
//          model's query rules (botocore's query serializer/parser rules, flattened lists and
//          maps), as aws-sdk v2, Java v1, PHP and curl users see it.
// Errors are normalized to { code, message, status } with the query error code, which is what
// SDKs expose in both protocols (JSON carries it in x-amzn-query-error).
import * as SQS from '@aws-sdk/client-sqs';
import { XMLParser } from 'fast-xml-parser';
import { loadModel } from '../../src/core/model.js';
import { startNimbus, type TestNimbus } from '../helpers/server.js';
import type { Clock } from '../../src/core/clock.js';

const model = loadModel('sqs') as unknown as { shapes: Record<string, any>; operations: Record<string, any> };

export type Protocol = 'json' | 'query';
export const PROTOCOLS: Protocol[] = ['json', 'query'];

export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly raw?: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface SqsCaller {
  protocol: Protocol;
  call(op: string, input: Record<string, unknown>): Promise<any>;
  /** resolves to the AwsError the call fails with (fails the test when the call succeeds) */
  error(op: string, input: Record<string, unknown>): Promise<AwsError>;
}

export interface Env {
  nimbus: TestNimbus;
  /** the injected clock, when the test asked for one */
  clock: any;
  sqs: SqsCaller;
  close(): Promise<void>;
}

export async function startEnv(protocol: Protocol, opts: { clock?: Clock; dataDir?: string } = {}): Promise<Env> {
  const nimbus = await startNimbus(opts);
  const sqs = protocol === 'json' ? jsonCaller(nimbus) : queryCaller(nimbus.endpoint);
  return { nimbus, sqs, clock: opts.clock, close: () => nimbus.close() };
}

function withError(c: Omit<SqsCaller, 'error'>): SqsCaller {
  return {
    ...c,
    async error(op, input) {
      try {
        await c.call(op, input);
      } catch (e) {
        if (e instanceof AwsError) return e;
        throw e;
      }
      throw new Error(`${op} succeeded, expected an error`);
    },
  };
}

export function jsonCaller(nimbus: TestNimbus): SqsCaller {
  const client = new SQS.SQSClient({ ...nimbus.clientConfig, maxAttempts: 1 });
  return withError({
    protocol: 'json',
    async call(op, input) {
      const Command = (SQS as unknown as Record<string, new (i: unknown) => any>)[`${op}Command`];
      try {
        const { $metadata: _, ...out } = await client.send(new Command(input));
        return out;
      } catch (e: any) {
        if (e?.$metadata?.httpStatusCode) throw new AwsError(e.Code ?? e.name, e.message, e.$metadata.httpStatusCode);
        throw e;
      }
    },
  });
}

// ---- query: botocore's serializer and parser rules over the model ----

function serialize(shapeName: string, value: unknown, prefix: string, out: URLSearchParams): void {
  const s = model.shapes[shapeName];
  switch (s.type) {
    case 'structure':
      for (const [m, ref] of Object.entries<any>(s.members)) {
        const v = (value as Record<string, unknown>)[m];
        if (v === undefined) continue;
        serialize(ref.shape, v, prefix ? `${prefix}.${ref.locationName ?? m}` : ref.locationName ?? m, out);
      }
      break;
    case 'list': {
      const list = value as unknown[];
      let base = prefix;
      if (s.flattened) {
        if (s.member.locationName) base = [...prefix.split('.').slice(0, -1), s.member.locationName].join('.');
      } else base = `${prefix}.${s.member.locationName ?? 'member'}`;
      list.forEach((item, i) => serialize(s.member.shape, item, `${base}.${i + 1}`, out));
      break;
    }
    case 'map': {
      const base = s.flattened ? prefix : `${prefix}.entry`;
      Object.entries(value as Record<string, unknown>).forEach(([k, v], i) => {
        out.append(`${base}.${i + 1}.${s.key.locationName ?? 'key'}`, k);
        serialize(s.value.shape, v, `${base}.${i + 1}.${s.value.locationName ?? 'value'}`, out);
      });
      break;
    }
    case 'blob':
      out.append(prefix, Buffer.from(value as Buffer).toString('base64'));
      break;
    default:
      out.append(prefix, String(value));
  }
}

type XmlNode = Record<string, unknown[]>;

function read(shapeName: string, node: unknown): unknown {
  const s = model.shapes[shapeName];
  switch (s.type) {
    case 'structure': {
      const out: Record<string, unknown> = {};
      for (const [m, ref] of Object.entries<any>(s.members)) {
        const ms = model.shapes[ref.shape];
        const name = ms.type === 'list' && ms.flattened ? ms.member.locationName ?? ref.locationName ?? m : ref.locationName ?? m;
        const items = (node as XmlNode)[name];
        if (!items) continue;
        if ((ms.type === 'list' || ms.type === 'map') && ms.flattened) out[m] = read(ref.shape, items);
        else out[m] = read(ref.shape, items[0]);
      }
      return out;
    }
    case 'list': {
      const items = s.flattened ? (node as unknown[]) : ((node as XmlNode)[s.member.locationName ?? 'member'] ?? []);
      return items.map((i) => read(s.member.shape, i));
    }
    case 'map': {
      const entries = s.flattened ? (node as XmlNode[]) : (((node as XmlNode).entry ?? []) as XmlNode[]);
      const out: Record<string, unknown> = {};
      for (const e of entries) out[String(read(s.key.shape, e[s.key.locationName ?? 'key'][0]))] = read(s.value.shape, e[s.value.locationName ?? 'value'][0]);
      return out;
    }
    case 'integer':
    case 'long':
      return Number(text(node));
    case 'boolean':
      return text(node) === 'true';
    case 'blob':
      return Buffer.from(text(node), 'base64');
    default:
      return text(node);
  }
}

function text(node: unknown): string {
  if (node === undefined || node === null) return '';
  if (typeof node === 'object') return String((node as Record<string, unknown>)['#text'] ?? '');
  return String(node);
}

export const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: () => true, trimValues: false });

/** The query protocol as a raw HTTP client sends it; `post` sends prepared form parameters. */
export function queryCaller(endpoint: string, path = '/'): SqsCaller & { post(params: URLSearchParams): Promise<{ status: number; text: string }> } {
  const post = async (params: URLSearchParams) => {
    const r = await fetch(endpoint + path, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: params.toString(),
    });
    return { status: r.status, text: await r.text() };
  };
  const c = withError({
    protocol: 'query' as const,
    async call(op: string, input: Record<string, unknown>) {
      const params = new URLSearchParams({ Action: op, Version: '2012-11-05' });
      const o = model.operations[op];
      if (o.input) serialize(o.input.shape, input, '', params);
      const { status, text: body } = await post(params);
      const doc = xmlParser.parse(body) as Record<string, XmlNode[]>;
      if (status >= 300) {
        const err = (doc.ErrorResponse?.[0]?.Error?.[0] ?? {}) as XmlNode;
        throw new AwsError(text(err.Code?.[0]), text(err.Message?.[0]), status, body);
      }
      const resp = doc[`${op}Response`]?.[0];
      if (!resp) throw new Error(`no ${op}Response in ${body}`);
      if (!o.output) return {};
      const result = (resp[o.output.resultWrapper ?? `${op}Result`]?.[0] ?? {}) as XmlNode;
      return read(o.output.shape, typeof result === 'object' ? result : {});
    },
  });
  return Object.assign(c, { post });
}

/** Runs `fn` once per protocol, each with a fresh server. */
export function bothProtocols(
  name: string,
  fn: (sqs: SqsCaller, env: Env) => Promise<void>,
  opts: { clock?: () => Clock } = {},
): [string, () => Promise<void>][] {
  return PROTOCOLS.map((p) => [
    `${name} [${p}]`,
    async () => {
      const env = await startEnv(p, { clock: opts.clock?.() });
      try {
        await fn(env.sqs, env);
      } finally {
        await env.close();
      }
    },
  ]);
}
