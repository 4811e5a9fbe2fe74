// The Lambda service module: the control plane provider (provider.ts), the execution engine's
// Invoke operations plugged into it, event source mappings (esm.ts), and the non-API endpoints:
// code downloads (GetFunction's Code.Location), function URLs, developer routes.
import fs from 'node:fs';
import type { ServiceModule, ServiceDeps, Provider } from '../types.js';
import type { WireRequest, WireResponse } from '../../protocols/types.js';
import type { RequestContext } from '../../core/context.js';
import { LambdaProvider, type LambdaProviderOptions } from './provider.js';
import { validationError } from './errors.js';
import { EventSourceMappings, handleMappingDeveloperRoute } from './esm.js';
import { createInvoker, type Invoker, type InvokeControl } from './invoke.js';
import type { UrlTarget } from './urls.js';
import { InvalidRuntimeException } from '../../generated/lambda.js';

export { LambdaProvider, ControlPlane } from './provider.js';
export type { ResolvedFunction, FunctionUrlTarget, ExecutionHooks } from './provider.js';

type LambdaModuleProvider = LambdaProvider & { mappings?: EventSourceMappings; invoker?: Invoker };

/** The control plane seen through the invoker's InvokeControl contract (see the header of invoke.ts). */
export function invokeControlOf(provider: LambdaProvider): InvokeControl {
  const control = provider.control;
  // Resolution reads the function, its version, settings and alias: the answer stays valid until
  // the Lambda tables are written again (the store's generation), so warm invokes skip it.
  const resolved = new Map<string, { generation: number; target: ReturnType<typeof resolveNow> }>();
  const resolveNow = (scope: { accountId: string; region: string }, functionName: string, qualifier: string | undefined) => {
    const r = control.resolveFunction(scope.accountId, scope.region, functionName, qualifier);
    const first = r.candidates[0].snapshot;
    if (r.candidates.some((c) => c.snapshot.packageType === 'Image')) {
      // Departure: Nimbus stores container-image functions but runs no container engine.
      throw new InvalidRuntimeException(
        'Nimbus cannot run this function: PackageType Image needs a container engine, which Nimbus does not run. Deploy it as a .zip package (PackageType Zip) to invoke it locally.',
        { Type: 'User' },
      );
    }
    const q = r.alias ?? (r.invokedFunctionArn.split(':').length > 7 ? r.invokedFunctionArn.split(':')[7] : undefined);
    const eventInvokeConfig = control.eventInvokeConfig(first.accountId, first.region, first.functionName, q);
    return {
      functionName: first.functionName,
      functionArn: first.functionArn,
      qualifier: q,
      versions: r.candidates.map((c, i) => (i === 0 ? { fn: c.snapshot } : { fn: c.snapshot, weight: c.weight })),
      ...(r.reservedConcurrency !== null ? { reservedConcurrency: r.reservedConcurrency } : {}),
      recursiveLoop: control.recursiveLoop(first.accountId, first.region, first.functionName),
      ...(eventInvokeConfig ? { eventInvokeConfig } : {}),
    };
  };
  return {
    resolve(scope, functionName, qualifier) {
      const key = `${scope.accountId}\n${scope.region}\n${functionName}\n${qualifier ?? ''}`;
      const hit = resolved.get(key);
      if (hit && hit.generation === provider.store.generation) return hit.target;
      const target = resolveNow(scope, functionName, qualifier);
      if (resolved.size >= 1024) resolved.clear();
      resolved.set(key, { generation: provider.store.generation, target });
      return target;
    },
    urlTarget(urlId): UrlTarget | undefined {
      const t = control.functionUrl(urlId);
      return t && { accountId: t.accountId, region: t.region, functionName: t.functionName, qualifier: t.qualifier, AuthType: t.authType, ...(t.cors ? { Cors: t.cors } : {}), InvokeMode: t.invokeMode };
    },
  };
}

export function createLambdaProvider(deps: ServiceDeps, opts: LambdaProviderOptions & { withInvoker?: boolean } = {}): LambdaModuleProvider {
  const provider: LambdaModuleProvider = new LambdaProvider(deps, opts);
  if (opts.withInvoker !== false) {
    const invoker = createInvoker({ deps, control: invokeControlOf(provider) });
    provider.invoker = invoker;
    provider.attachExecution({
      Invoke: (input, ctx) => invoker.Invoke(input, ctx),
      InvokeAsync: (input, ctx) => invoker.InvokeAsync(input, ctx),
      InvokeWithResponseStream: (input, ctx) => invoker.InvokeWithResponseStream(input, ctx),
      handleUrl: (req, ctx) => invoker.handleUrl(req, ctx),
      provision: (fn, count) => invoker.provision(fn, count),
      // Updates change the revisionId, which retires environments by itself; versions that are
      // deleted (or the whole function) are retired explicitly.
      onFunctionChanged: (qualifiedArn) => {
        const parts = qualifiedArn.split(':');
        const version = parts.pop()!;
        if (version !== '$LATEST' || deps.db.prepare('SELECT 1 FROM lambda_functions WHERE account_id = ? AND region = ? AND name = ?').get(parts[4], parts[3], parts[6]) === undefined) {
          invoker.retire(parts.join(':'), version);
        }
      },
    });
  }
  const mappings = new EventSourceMappings(deps, {
    resolve: async (ctx, functionName) => {
      const resolved = provider.control.resolveFunction(ctx.accountId, ctx.region, functionName);
      return { functionArn: resolved.invokedFunctionArn, timeout: resolved.candidates[0].snapshot.timeout };
    },
  });
  provider.mappings = mappings;
  const ops = provider as unknown as Record<string, unknown>;
  ops.CreateEventSourceMapping = mappings.CreateEventSourceMapping.bind(mappings);
  ops.GetEventSourceMapping = mappings.GetEventSourceMapping.bind(mappings);
  ops.UpdateEventSourceMapping = mappings.UpdateEventSourceMapping.bind(mappings);
  ops.DeleteEventSourceMapping = mappings.DeleteEventSourceMapping.bind(mappings);
  ops.ListEventSourceMappings = mappings.ListEventSourceMappings.bind(mappings);
  mappings.start();
  return provider;
}

/** Serves GET /_nimbus/lambda/code/<sha256>.zip: the download URL GetFunction and GetLayerVersion hand out. */
export function serveCode(provider: LambdaProvider, req: WireRequest): WireResponse | undefined {
  const m = /^\/_nimbus\/lambda\/code\/([0-9a-f]{64})\.zip$/.exec(req.rawPath);
  if (!m) return undefined;
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, headers: { 'content-type': 'text/plain' }, body: 'Method Not Allowed' };
  const file = provider.deps_blobs().pathOf(m[1]);
  if (!fs.existsSync(file)) return { status: 404, headers: { 'content-type': 'application/xml' }, body: '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>' };
  const size = fs.statSync(file).size;
  return {
    status: 200,
    headers: { 'content-type': 'application/zip', 'content-length': String(size) },
    body: req.method === 'HEAD' ? Buffer.alloc(0) : fs.createReadStream(file),
  };
}

async function handleRaw(p: Provider, req: WireRequest, ctx: RequestContext): Promise<WireResponse> {
  const provider = p as LambdaModuleProvider;
  const code = serveCode(provider, req);
  if (code) return code;
  if (provider.mappings && req.rawPath.startsWith('/_nimbus/lambda/event-source-mappings/')) {
    const out = await handleMappingDeveloperRoute(provider.mappings, req.rawPath, new URLSearchParams(req.rawQuery));
    if (out) return { status: out.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out.body) };
  }
  const urls = provider.functionUrlHandler;
  if (urls && !req.rawPath.startsWith('/_nimbus/')) return urls(req, ctx);
  return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Message: 'Not Found' }) };
}

const mod: ServiceModule = {
  createProvider: (deps) => createLambdaProvider(deps),
  validationError,
  handleRaw,
  // Mapping pollers stop first, so no new batch starts while in-flight requests finish.
  quiesce: async (p) => {
    await (p as LambdaModuleProvider).mappings?.close();
  },
  close: async (p) => {
    await (p as LambdaModuleProvider).mappings?.close();
    await (p as LambdaModuleProvider).invoker?.close();
  },
};

export const createProvider = mod.createProvider;
export { validationError, handleRaw };
export const close = mod.close;
export const quiesce = mod.quiesce;
