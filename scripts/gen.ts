// Generates everything under schemas/ and src/generated/ from the official AWS models in
// ../shared/aws-models (or $NIMBUS_MODELS_DIR). Run with `npm run gen`; CI runs it again
// and fails when the committed output differs.
//
// Output per service:
//   schemas/<svc>/model.json          trimmed botocore model (documentation and examples stripped)
//   schemas/<svc>/inputs/<Op>.json    JSON Schema of the operation's input, for ajv
//   src/generated/<svc>.ts            shape types, the provider interface, error classes
// Deviations from the upstream models live in schemas/overlays/<svc>.json (deep-merged last)
// and are explained in schemas/overlays/README.md.
import fs from 'node:fs';
import path from 'node:path';

type Json = any;

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const modelsDir = process.env.NIMBUS_MODELS_DIR ?? path.resolve(root, '../shared/aws-models');

// service key -> folder in aws-models and the generated interface's name
const SERVICES: Record<string, { dir: string; api: string }> = {
  sts: { dir: 'sts/2011-06-15', api: 'StsApi' },
  iam: { dir: 'iam/2010-05-08', api: 'IamApi' },
  sqs: { dir: 'sqs/2012-11-05', api: 'SqsApi' },
  sns: { dir: 'sns/2010-03-31', api: 'SnsApi' },
  s3: { dir: 's3/2006-03-01', api: 'S3Api' },
  lambda: { dir: 'lambda/2015-03-31', api: 'LambdaApi' },
  logs: { dir: 'logs/2014-03-28', api: 'LogsApi' },
};

const DROP_KEYS = new Set(['documentation', 'documentationUrl', 'examples', 'deprecatedMessage']);

function strip(v: Json): Json {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) if (!DROP_KEYS.has(k)) out[k] = strip(x);
    return out;
  }
  return v;
}

function deepMerge(base: Json, patch: Json): Json {
  if (patch === null) return undefined;
  if (!base || typeof base !== 'object' || Array.isArray(base) || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('//')) continue; // reviewer notes inside overlay files
    const merged = deepMerge(base[k], v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

function readJson(p: string): Json {
  return JSON.parse(fs.readFileSync(p, 'utf8'));
}

function writeIfChanged(p: string, text: string) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  if (fs.existsSync(p) && fs.readFileSync(p, 'utf8') === text) return;
  fs.writeFileSync(p, text);
}

// SQS moved from query to JSON in 2023 and the current model lost what the query protocol
// needs: result wrappers, XML names, flattening and the legacy error codes that query
// responses (and the x-amzn-query-error header) carry. We keep the JSON model as the truth
// for operations and members, and copy those serialization hints from the last query model.
function mergeSqsQueryHints(model: Json, queryModel: Json): Json {
  model.metadata.xmlNamespace = queryModel.metadata.xmlNamespace;
  for (const [name, op] of Object.entries<Json>(model.operations)) {
    const qop = queryModel.operations[name];
    if (op.output) op.output.resultWrapper = qop?.output?.resultWrapper ?? `${name}Result`;
  }
  for (const [name, shape] of Object.entries<Json>(model.shapes)) {
    const q = queryModel.shapes[name];
    if (!q) continue;
    if (q.error && !shape.error) shape.error = q.error;
    for (const k of ['flattened', 'locationName']) if (q[k] !== undefined && shape[k] === undefined) shape[k] = q[k];
    for (const part of ['key', 'value', 'member']) {
      if (q[part] && shape[part]) for (const k of ['locationName']) if (q[part][k] !== undefined) shape[part][k] = q[part][k];
    }
    if (shape.members && q.members) {
      for (const [m, qm] of Object.entries<Json>(q.members)) {
        const sm = shape.members[m];
        if (!sm) continue;
        for (const k of ['locationName', 'flattened']) if (qm[k] !== undefined && sm[k] === undefined) sm[k] = qm[k];
      }
    }
  }
  return model;
}

// AWS patterns are Java regular expressions matched against the whole value. ajv uses
// JavaScript's RegExp with the `u` flag, which rejects identity escapes such as `\_`.
const skippedPatterns: string[] = [];
function jsPattern(p: string, where: string): string | undefined {
  const candidates = [p, p.replace(/\\([^\\dDwWsSbBnrtfv0uxcpPkq^$.*+?()[\]{}|/-])/g, '$1')];
  for (const c of candidates) {
    const anchored = `^(?:${c})$`;
    try {
      new RegExp(anchored, 'u');
      return anchored;
    } catch {
      /* try the next rewrite */
    }
  }
  skippedPatterns.push(`${where}: ${p}`);
  return undefined;
}

function inputSchema(model: Json, svc: string, op: string, shapeName: string | undefined): Json {
  const defs: Json = {};
  const visit = (name: string): Json => {
    const ref = { $ref: `#/$defs/${name}` };
    if (defs[name]) return ref;
    const s = model.shapes[name];
    defs[name] = {};
    const d: Json = {};
    switch (s.type) {
      case 'structure': {
        d.type = 'object';
        d.properties = {};
        for (const [m, ms] of Object.entries<Json>(s.members ?? {})) d.properties[m] = visit(ms.shape);
        if (s.required?.length) d.required = s.required;
        break;
      }
      case 'list':
        d.type = 'array';
        d.items = visit(s.member.shape);
        if (s.min !== undefined) d.minItems = s.min;
        if (s.max !== undefined) d.maxItems = s.max;
        break;
      case 'map':
        d.type = 'object';
        d.additionalProperties = visit(s.value.shape);
        if (s.min !== undefined) d.minProperties = s.min;
        if (s.max !== undefined) d.maxProperties = s.max;
        break;
      case 'string':
        d.type = 'string';
        if (s.min !== undefined) d.minLength = s.min;
        if (s.max !== undefined) d.maxLength = s.max;
        if (s.pattern) {
          const p = jsPattern(s.pattern, `${svc}.${name}`);
          if (p) d.pattern = p;
        }
        // enums are documented, not enforced: AWS services accept values added after a model
        // was cut, and each provider checks the values it acts on with the service's own error.
        break;
      case 'integer':
      case 'long':
        d.type = 'integer';
        if (s.min !== undefined) d.minimum = s.min;
        if (s.max !== undefined) d.maximum = s.max;
        break;
      case 'float':
      case 'double':
        d.type = 'number';
        if (s.min !== undefined) d.minimum = s.min;
        if (s.max !== undefined) d.maximum = s.max;
        break;
      case 'boolean':
        d.type = 'boolean';
        break;
      case 'blob':
        // parsed blobs are Buffers (or a stream for S3 payloads); only size is checked, by the codec
        break;
      case 'timestamp':
        break;
      default:
        throw new Error(`unknown shape type ${s.type} (${svc}.${name})`);
    }
    defs[name] = d;
    return ref;
  };
  if (!shapeName) return { $id: `${svc}.${op}`, type: 'object' };
  const top = visit(shapeName);
  return { $id: `${svc}.${op}`, ...top, $defs: defs };
}

const TS_RESERVED = new Set(['Error', 'Object', 'String', 'Number', 'Boolean', 'Date', 'Buffer', 'Function', 'Symbol', 'Array', 'Map', 'Set', 'Promise', 'Record', 'Blob', 'Event', 'Long', 'Integer', 'Float', 'Double', 'Timestamp']);
const tsName = (n: string) => (TS_RESERVED.has(n) ? `${n}_` : n);

function tsType(model: Json, name: string): string {
  const s = model.shapes[name];
  switch (s.type) {
    case 'structure':
      return tsName(name);
    case 'list': {
      const item = tsType(model, s.member.shape);
      return item.includes('|') ? `(${item})[]` : `${item}[]`;
    }
    case 'map':
      return `Record<string, ${tsType(model, s.value.shape)}>`;
    case 'string':
      return s.enum ? s.enum.map((e: string) => JSON.stringify(e)).join(' | ') + ' | (string & {})' : 'string';
    case 'integer':
    case 'long':
    case 'float':
    case 'double':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'blob':
      return s.streaming ? 'StreamingBlob' : 'Buffer';
    case 'timestamp':
      return 'Date';
  }
  throw new Error(`unknown shape type ${s.type}`);
}

function generateTs(model: Json, svc: string, api: string): string {
  const lines: string[] = [
    `// Generated by scripts/gen.ts from the ${model.metadata.serviceFullName} model. Do not edit.`,
    `/* eslint-disable */`,
    `import type { Readable } from 'node:stream';`,
    `import { ServiceError } from '../core/errors.js';`,
    `import type { RequestContext } from '../core/context.js';`,
    ``,
    `export type StreamingBlob = Readable | Buffer;`,
    ``,
  ];
  const shapeNames = Object.keys(model.shapes).sort();
  for (const name of shapeNames) {
    const s = model.shapes[name];
    if (s.type !== 'structure' || s.exception) continue;
    const required = new Set<string>(s.required ?? []);
    lines.push(`export interface ${tsName(name)} {`);
    for (const [m, ms] of Object.entries<Json>(s.members ?? {})) {
      const key = /^[A-Za-z_$][\w$]*$/.test(m) ? m : JSON.stringify(m);
      lines.push(`  ${key}${required.has(m) ? '' : '?'}: ${tsType(model, ms.shape)};`);
    }
    lines.push(`}`);
  }
  lines.push('');
  for (const name of shapeNames) {
    const s = model.shapes[name];
    if (!s.exception) continue;
    const status = s.error?.httpStatusCode ?? 400;
    const sender = s.error?.senderFault ?? status < 500;
    lines.push(`export class ${tsName(name)} extends ServiceError {`);
    lines.push(`  constructor(message?: string, fields?: Record<string, unknown>) {`);
    lines.push(`    super(${JSON.stringify(name)}, message, { status: ${status}, senderFault: ${sender}, fields });`);
    lines.push(`  }`);
    lines.push(`}`);
  }
  lines.push('');
  const ops = Object.keys(model.operations).sort();
  lines.push(`/** Every operation of the model. A provider implements the ones Nimbus supports; the others answer NotImplemented. */`);
  lines.push(`export interface ${api} {`);
  for (const op of ops) {
    const o = model.operations[op];
    const input = o.input ? tsName(o.input.shape) : 'Record<string, never>';
    const output = o.output ? tsName(o.output.shape) : 'void';
    lines.push(`  ${op}?(input: ${input}, ctx: RequestContext): Promise<${output}> | ${output};`);
  }
  lines.push(`}`);
  lines.push('');
  lines.push(`export const ${svc}Operations = ${JSON.stringify(ops)} as const;`);
  lines.push('');
  return lines.join('\n');
}

function main() {
  const overlaysDir = path.join(root, 'schemas/overlays');
  // A small index read at start-up to route requests without loading any full model.
  const index: Json = {};
  for (const [svc, { dir, api }] of Object.entries(SERVICES)) {
    let model = strip(readJson(path.join(modelsDir, dir, 'service-2.json')));
    if (svc === 'sqs') model = mergeSqsQueryHints(model, strip(readJson(path.join(modelsDir, 'sqs-query/2012-11-05/service-2.json'))));
    const overlay = path.join(overlaysDir, `${svc}.json`);
    if (fs.existsSync(overlay)) model = deepMerge(model, readJson(overlay));
    for (const extra of ['paginators-1.json', 'waiters-2.json']) {
      const p = path.join(modelsDir, dir, extra);
      if (fs.existsSync(p)) model[extra.startsWith('pag') ? 'paginators' : 'waiters'] = strip(readJson(p))[extra.startsWith('pag') ? 'pagination' : 'waiters'];
    }
    const outDir = path.join(root, 'schemas', svc);
    writeIfChanged(path.join(outDir, 'model.json'), JSON.stringify(model, null, 1) + '\n');
    const inputsDir = path.join(outDir, 'inputs');
    const wanted = new Set<string>();
    for (const [op, o] of Object.entries<Json>(model.operations)) {
      wanted.add(`${op}.json`);
      writeIfChanged(path.join(inputsDir, `${op}.json`), JSON.stringify(inputSchema(model, svc, op, o.input?.shape), null, 1) + '\n');
    }
    if (fs.existsSync(inputsDir)) for (const f of fs.readdirSync(inputsDir)) if (!wanted.has(f)) fs.rmSync(path.join(inputsDir, f));
    writeIfChanged(path.join(root, 'src/generated', `${svc}.ts`), generateTs(model, svc, api));
    const md = model.metadata;
    index[svc] = {
      protocol: md.protocol,
      targetPrefix: md.targetPrefix,
      signingName: md.signingName ?? md.endpointPrefix,
      endpointPrefix: md.endpointPrefix,
      // first path segments of REST operations (e.g. Lambda's API dates)
      pathPrefixes: md.protocol.startsWith('rest-json')
        ? [...new Set(Object.values<Json>(model.operations).map((o) => '/' + o.http.requestUri.split('/')[1]))].sort()
        : undefined,
      actions: md.protocol === 'query' || svc === 'sqs' ? Object.keys(model.operations).sort() : undefined,
    };
  }
  writeIfChanged(path.join(root, 'schemas/services.json'), JSON.stringify(index, null, 1) + '\n');
  writeIfChanged(
    path.join(root, 'schemas/skipped-patterns.txt'),
    '# Model patterns that JavaScript regular expressions cannot express; not enforced by ajv.\n' + skippedPatterns.sort().join('\n') + '\n',
  );
}

main();
