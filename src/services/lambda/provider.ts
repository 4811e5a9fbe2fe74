// The Lambda control plane: stores and describes functions, versions, aliases, layers and their
// settings with AWS's validation and responses. Running functions is the execution engine's job
// (src/lambda); it reads functions through `provider.control` (see ControlPlane below) and its
// Invoke operations are attached with `attachExecution`.
import crypto from 'node:crypto';
import type { RequestContext } from '../../core/context.js';
import { partitionOf } from '../../core/context.js';
import type { ServiceDeps } from '../types.js';
import type { FunctionSnapshot } from '../../lambda/types.js';
import type * as L from '../../generated/lambda.js';
import { ProvisionedConcurrencyConfigNotFoundException } from '../../generated/lambda.js';
import { LambdaStore, LATEST, type FunctionRow, type PolicyDocument, type PolicyStatement, type StoredVersion } from './store.js';
import { base64OfHex, loadZip, storeZip, UNZIPPED_LIMIT, type StoredCode } from './code.js';
import { conflict, functionNotFound, invalidParameter, notFound, resourceNotFound, revisionMismatch, validationException } from './errors.js';
import { checkEnums, checkEnvironment, checkMemoryAndTimeout, checkRuntime, ENUMS, MAX_LAYERS } from './validation.js';

/** Where a request points: a function and, when given, a version or alias. */
export interface FunctionRef {
  accountId: string;
  region: string;
  partition: string;
  name: string;
  qualifier?: string;
}

export interface ResolvedFunction {
  /** the ARN the caller addressed, qualified when they qualified it */
  invokedFunctionArn: string;
  /** set when the qualifier named an alias */
  alias?: string;
  /**
   * The versions the call may run, with their weights (summing to 1). One entry, except for an
   * alias with RoutingConfig.AdditionalVersionWeights: the invoker picks between them
   * (`pickVersion`) and reports the chosen version as ExecutedVersion.
   */
  candidates: { snapshot: FunctionSnapshot; weight: number }[];
  /** ReservedConcurrentExecutions, null when the function has none (0 throttles every call) */
  reservedConcurrency: number | null;
}

export interface FunctionUrlTarget {
  accountId: string;
  region: string;
  functionName: string;
  functionArn: string;
  /** alias the URL belongs to, or undefined for the unqualified function */
  qualifier?: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: L.Cors;
  invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
}

/** What the execution engine plugs in: its operations and the hook that retires stale environments. */
export interface ExecutionHooks {
  Invoke?: (input: L.InvocationRequest, ctx: RequestContext) => Promise<L.InvocationResponse> | L.InvocationResponse;
  InvokeAsync?: (input: L.InvokeAsyncRequest, ctx: RequestContext) => Promise<L.InvokeAsyncResponse> | L.InvokeAsyncResponse;
  InvokeWithResponseStream?: (input: L.InvokeWithResponseStreamRequest, ctx: RequestContext) => Promise<L.InvokeWithResponseStreamResponse> | L.InvokeWithResponseStreamResponse;
  /**
   * Called after a function's code or configuration changed or it was deleted, with the
   * qualified ARN of the version whose environments are now stale
   * (`arn:aws:lambda:<region>:<account>:function:<name>:$LATEST`, or `:<n>` for deleted versions).
   */
  onFunctionChanged?: (qualifiedArn: string) => void;
  /** PutProvisionedConcurrencyConfig: pre-start `count` environments of the version. */
  provision?: (fn: FunctionSnapshot, count: number) => Promise<void>;
}

export interface LambdaProviderOptions {
  /**
   * Clock milliseconds a new function stays Pending and an update InProgress. The state settles
   * earlier as soon as any describe call (GetFunction, ListFunctions, Invoke...) observes it, so
   * `function-active-v2`/`function-updated-v2` waiters pass on their first poll, while a second
   * write sent right behind the first meets ResourceConflictException as on AWS.
   */
  transitionMs?: number;
  onFunctionChanged?: (qualifiedArn: string) => void;
}

const ACCOUNT_CONCURRENCY = 1000;
const MIN_UNRESERVED = 100;
const DEFAULT_PAGE = 50;

/** AWS's Lambda timestamp format: 2024-01-01T00:00:00.000+0000 */
export const lambdaTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

const ALIAS_RE = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;

export class LambdaProvider {
  readonly store: LambdaStore;
  readonly control: ControlPlane;
  private readonly transitionMs: number;
  private readonly changeHooks: ((arn: string) => void)[] = [];
  private urlHandler?: (req: import('../../protocols/types.js').WireRequest, ctx: RequestContext) => Promise<import('../../protocols/types.js').WireResponse>;

  Invoke?: ExecutionHooks['Invoke'];
  InvokeAsync?: ExecutionHooks['InvokeAsync'];
  InvokeWithResponseStream?: ExecutionHooks['InvokeWithResponseStream'];

  constructor(private readonly deps: ServiceDeps, opts: LambdaProviderOptions = {}) {
    this.store = new LambdaStore(deps.db);
    this.transitionMs = opts.transitionMs ?? 500;
    if (opts.onFunctionChanged) this.changeHooks.push(opts.onFunctionChanged);
    this.control = new ControlPlane(this);
  }

  /** Plugs in the execution engine (see src/services/lambda/invoke.ts). */
  attachExecution(hooks: ExecutionHooks & { handleUrl?: LambdaProvider['urlHandler'] }): void {
    if (hooks.Invoke) this.Invoke = hooks.Invoke;
    if (hooks.InvokeAsync) this.InvokeAsync = hooks.InvokeAsync;
    if (hooks.InvokeWithResponseStream) this.InvokeWithResponseStream = hooks.InvokeWithResponseStream;
    if (hooks.onFunctionChanged) this.changeHooks.push(hooks.onFunctionChanged);
    if (hooks.handleUrl) this.urlHandler = hooks.handleUrl;
    if (hooks.provision) this.provisionHook = hooks.provision;
  }

  private provisionHook?: ExecutionHooks['provision'];

  get functionUrlHandler() {
    return this.urlHandler;
  }

  private changed(arn: string): void {
    for (const h of this.changeHooks) {
      try {
        h(arn);
      } catch (e) {
        this.deps.log.warn?.(`lambda: onFunctionChanged hook failed: ${(e as Error).message}`);
      }
    }
  }

  // ---------------------------------------------------------------- naming

  /** Parses FunctionName as AWS accepts it: name, name:qualifier, partial ARN, full ARN. */
  ref(ctx: Pick<RequestContext, 'accountId' | 'region' | 'partition'>, functionName: string, qualifier?: string): FunctionRef {
    let accountId = ctx.accountId;
    let region = ctx.region;
    let rest = functionName;
    const full = /^arn:(aws[a-zA-Z-]*)?:lambda:([a-z0-9-]+):(\d{12}):function:(.+)$/.exec(functionName);
    const partial = /^(\d{12}):function:(.+)$/.exec(functionName);
    if (full) {
      region = full[2];
      accountId = full[3];
      rest = full[4];
      if (region !== ctx.region) throw invalidParameter(`Functions from '${region}' are not reachable in this region ('${ctx.region}')`);
    } else if (partial) {
      accountId = partial[1];
      rest = partial[2];
    }
    const [name, derived, ...extra] = rest.split(':');
    if (extra.length) throw invalidParameter('Invalid function name: ' + functionName);
    if (derived !== undefined && qualifier !== undefined && derived !== qualifier) {
      throw invalidParameter('The derived qualifier from the function name does not match the specified qualifier.');
    }
    const q = qualifier ?? derived;
    return { accountId, region, partition: partitionOf(region), name, qualifier: q === '' ? undefined : q };
  }

  arn(ref: Pick<FunctionRef, 'accountId' | 'region' | 'partition' | 'name'>, qualifier?: string): string {
    return `arn:${ref.partition}:lambda:${ref.region}:${ref.accountId}:function:${ref.name}${qualifier ? ':' + qualifier : ''}`;
  }

  private now(): number {
    return this.deps.clock.now();
  }

  // ---------------------------------------------------------------- state

  /** The function's row, or AWS's "Function not found" for the unqualified ARN. */
  private fnRow(ref: FunctionRef): FunctionRow {
    const row = this.store.getFunction(ref.accountId, ref.region, ref.name);
    if (!row) throw functionNotFound(this.arn(ref));
    return row;
  }

  /** A describe call observed the function: an in-flight create or update completes now. */
  private observe(row: FunctionRow): FunctionRow {
    if (row.busy_kind) {
      this.store.setBusy(row.account_id, row.region, row.name, null, 0);
      return { ...row, busy_kind: null, busy_until: 0 };
    }
    return row;
  }

  /** Writes to code or configuration wait for an in-flight create or update, as on AWS. */
  private assertIdle(row: FunctionRow, ref: FunctionRef): void {
    if (!row.busy_kind) return;
    if (this.now() >= row.busy_until) {
      this.observe(row);
      return;
    }
    if (row.busy_kind === 'create') throw conflict('The operation cannot be performed at this time. The function is currently in the following state: Pending');
    throw conflict(`The operation cannot be performed at this time. An update is in progress for resource: ${this.arn(ref)}`);
  }

  /** FunctionConfiguration as AWS shows it: in-flight states overlaid, ARN qualified as asked. */
  present(doc: StoredVersion, row: FunctionRow | undefined, opts: { qualifiedLatest?: boolean } = {}): L.FunctionConfiguration {
    const c: L.FunctionConfiguration = { ...doc.config };
    if (c.Version === LATEST && opts.qualifiedLatest) c.FunctionArn = `${c.FunctionArn}:${LATEST}`;
    if (c.Version === LATEST && row?.busy_kind === 'create') {
      c.State = 'Pending';
      c.StateReason = 'The function is being created.';
      c.StateReasonCode = 'Creating';
      c.LastUpdateStatus = 'InProgress';
      c.LastUpdateStatusReason = 'The function is being created.';
      c.LastUpdateStatusReasonCode = 'Creating' as L.FunctionConfiguration['LastUpdateStatusReasonCode'];
    } else if (c.Version === LATEST && row?.busy_kind === 'update') {
      // AWS words an update in progress with the creation reason too (see the update-function-code
      // example in the "Lambda function states" guide).
      c.LastUpdateStatus = 'InProgress';
      c.LastUpdateStatusReason = 'The function is being created.';
      c.LastUpdateStatusReasonCode = 'Creating' as L.FunctionConfiguration['LastUpdateStatusReasonCode'];
    }
    return c;
  }

  /** The stored version a qualifier names ($LATEST, a number, or an alias's primary version). */
  private versionDoc(ref: FunctionRef, qualifier: string | undefined): StoredVersion {
    let version = qualifier ?? LATEST;
    if (qualifier && qualifier !== LATEST && !/^\d+$/.test(qualifier)) {
      const alias = this.store.getAlias<L.AliasConfiguration>(ref.accountId, ref.region, ref.name, qualifier);
      if (!alias) throw functionNotFound(this.arn(ref, qualifier));
      version = alias.FunctionVersion!;
    }
    const doc = this.store.getVersion(ref.accountId, ref.region, ref.name, version);
    if (!doc) throw functionNotFound(this.arn(ref, qualifier));
    return doc;
  }

  private checkQualifierExists(ref: FunctionRef, qualifier: string | undefined): void {
    if (qualifier === undefined || qualifier === LATEST) return;
    this.versionDoc(ref, qualifier);
  }

  /** ref() for a function that must exist, with its qualifier (a version or alias) if one is named. */
  private existingRef(ctx: RequestContext, functionName: string, qualifier: string | undefined): FunctionRef {
    const ref = this.ref(ctx, functionName, qualifier);
    this.fnRow(ref);
    this.checkQualifierExists(ref, ref.qualifier);
    return ref;
  }

  // ---------------------------------------------------------------- code and layers

  private async codeFrom(src: L.FunctionCode | L.UpdateFunctionCodeRequest, ref: FunctionRef, op: string): Promise<StoredCode | undefined> {
    const zip = await loadZip(src, this.deps.internal, ref);
    if (!zip) return undefined;
    return storeZip(this.deps.blobs, zip, op, src.ZipFile !== undefined);
  }

  private resolveLayers(arns: string[] | undefined): StoredVersion['layers'] {
    if (!arns) return [];
    if (arns.length > MAX_LAYERS) throw invalidParameter(`Cannot reference more than ${MAX_LAYERS} layers.`);
    const seen = new Set<string>();
    return arns.map((arn) => {
      const m = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$/.exec(arn);
      const lv = m && this.store.getLayerVersion<LayerDoc>(m[2], m[1], m[3], Number(m[4]));
      if (!m || !lv) throw invalidParameter(`Layer version ${arn} does not exist.`);
      if (seen.has(m[3] + '@' + m[2])) throw invalidParameter(`Two different versions of the same layer are not allowed to be referenced in the same function. ${arn.replace(/:\d+$/, '')} uses multiple versions.`);
      seen.add(m[3] + '@' + m[2]);
      return { arn, codeSha256Hex: lv.doc.codeSha256Hex, size: lv.doc.size, unzippedSize: lv.doc.unzippedSize };
    });
  }

  private checkUnzippedTotal(codeUnzipped: number | undefined, layers: StoredVersion['layers']): void {
    const total = (codeUnzipped ?? 0) + layers.reduce((s, l) => s + l.unzippedSize, 0);
    if (layers.length && total > UNZIPPED_LIMIT) {
      throw invalidParameter(`Function code combined with layers exceeds the maximum allowed size of ${UNZIPPED_LIMIT} bytes. The actual size is ${total} bytes.`);
    }
  }

  // ---------------------------------------------------------------- functions

  async CreateFunction(input: L.CreateFunctionRequest, ctx: RequestContext): Promise<L.FunctionConfiguration> {
    const ref = this.ref(ctx, input.FunctionName);
    if (ref.qualifier) throw invalidParameter('Unsupported function name: cannot create a function with a qualifier.');
    checkConfigEnums(input);
    const packageType = input.PackageType ?? 'Zip';
    if (packageType === 'Zip') {
      if (input.Code?.ImageUri) throw invalidParameter("Please don't provide ImageUri when creating a function with packageType Zip.");
      if (!input.Runtime || !input.Handler) throw invalidParameter('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
      checkRuntime(input.Runtime);
    } else if (!input.Code?.ImageUri) {
      throw invalidParameter('Please provide a source for function code.');
    }
    checkMemoryAndTimeout(input.MemorySize, input.Timeout);
    checkEnvironment(input.Environment);
    if (input.Architectures && input.Architectures.length !== 1) throw invalidParameter('Only one architecture is supported. Provide one architecture in the Architectures list.');
    if (this.store.getFunction(ref.accountId, ref.region, ref.name)) throw conflict(`Function already exist: ${ref.name}`);
    const layers = this.resolveLayers(input.Layers);
    let code: StoredCode | undefined;
    if (packageType === 'Zip') {
      code = await this.codeFrom(input.Code ?? {}, ref, 'CreateFunction');
      if (!code) throw invalidParameter('Please provide a source for function code.');
      this.checkUnzippedTotal(code.unzippedSize, layers);
    }
    const now = this.now();
    const config: L.FunctionConfiguration = {
      FunctionName: ref.name,
      FunctionArn: this.arn(ref),
      ...(packageType === 'Zip' ? { Runtime: input.Runtime, Handler: input.Handler } : {}),
      Role: input.Role,
      CodeSize: code?.size ?? 0,
      Description: input.Description ?? '',
      Timeout: input.Timeout ?? 3,
      MemorySize: input.MemorySize ?? 128,
      LastModified: lambdaTime(now),
      CodeSha256: code?.codeSha256 ?? sha256Base64Text(input.Code?.ImageUri ?? ''),
      Version: LATEST,
      ...(input.VpcConfig ? { VpcConfig: { SubnetIds: input.VpcConfig.SubnetIds ?? [], SecurityGroupIds: input.VpcConfig.SecurityGroupIds ?? [], VpcId: '', Ipv6AllowedForDualStack: input.VpcConfig.Ipv6AllowedForDualStack ?? false } } : {}),
      ...(input.DeadLetterConfig?.TargetArn ? { DeadLetterConfig: { TargetArn: input.DeadLetterConfig.TargetArn } } : {}),
      ...(input.Environment ? { Environment: { Variables: input.Environment.Variables ?? {} } } : {}),
      ...(input.KMSKeyArn ? { KMSKeyArn: input.KMSKeyArn } : {}),
      TracingConfig: { Mode: input.TracingConfig?.Mode ?? 'PassThrough' },
      RevisionId: crypto.randomUUID(),
      ...(layers.length ? { Layers: layers.map((l) => ({ Arn: l.arn, CodeSize: l.size })) } : {}),
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: packageType,
      ...(input.ImageConfig ? { ImageConfigResponse: { ImageConfig: input.ImageConfig } } : {}),
      Architectures: input.Architectures ?? ['x86_64'],
      EphemeralStorage: { Size: input.EphemeralStorage?.Size ?? 512 },
      SnapStart: { ApplyOn: input.SnapStart?.ApplyOn ?? 'None', OptimizationStatus: 'Off' },
      ...(packageType === 'Zip' ? { RuntimeVersionConfig: { RuntimeVersionArn: runtimeVersionArn(ref.region, input.Runtime!) } } : {}),
      LoggingConfig: loggingConfig(input.LoggingConfig, undefined, ref.name),
      ...(input.FileSystemConfigs?.length ? { FileSystemConfigs: input.FileSystemConfigs } : {}),
    };
    const doc: StoredVersion = { config, codeSha256Hex: code?.sha256Hex, unzippedSize: code?.unzippedSize, layers, ...(input.Code?.ImageUri ? { imageUri: input.Code.ImageUri } : {}) };
    this.store.tx(() => {
      this.store.insertFunction(ref.accountId, ref.region, ref.name, input.Tags ?? {}, now + this.transitionMs, now);
      this.store.putVersion(ref.accountId, ref.region, ref.name, LATEST, doc);
    });
    const row = this.store.getFunction(ref.accountId, ref.region, ref.name)!;
    if (input.Publish) {
      // AWS publishes version 1 once the function is created; the response describes that version.
      this.observe(row);
      return this.publish(ref, {}, undefined);
    }
    return this.present(doc, row);
  }

  GetFunction(input: L.GetFunctionRequest, ctx: RequestContext): L.GetFunctionResponse {
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    const row = this.observe(this.fnRow(ref));
    const doc = this.versionDoc(ref, ref.qualifier);
    const configuration = this.present(doc, row, { qualifiedLatest: ref.qualifier === LATEST });
    if (ref.qualifier && ref.qualifier !== LATEST && !/^\d+$/.test(ref.qualifier)) configuration.FunctionArn = this.arn(ref, ref.qualifier);
    const out: L.GetFunctionResponse = {
      Configuration: configuration,
      Code: doc.imageUri
        ? { RepositoryType: 'ECR', ImageUri: doc.imageUri, ResolvedImageUri: doc.imageUri }
        : { RepositoryType: 'S3', Location: this.codeLocation(ctx, doc.codeSha256Hex!) },
    };
    const tags = JSON.parse(row.tags) as Record<string, string>;
    if (Object.keys(tags).length) out.Tags = tags;
    if (row.reserved_concurrency !== null) out.Concurrency = { ReservedConcurrentExecutions: row.reserved_concurrency };
    return out;
  }

  codeLocation(ctx: Pick<RequestContext, 'endpoint'>, sha256Hex: string): string {
    const base = ctx.endpoint || this.deps.endpoint();
    return `${base.replace(/\/$/, '')}/_nimbus/lambda/code/${sha256Hex}.zip`;
  }

  GetFunctionConfiguration(input: L.GetFunctionConfigurationRequest, ctx: RequestContext): L.FunctionConfiguration {
    return this.GetFunction(input, ctx).Configuration!;
  }

  ListFunctions(input: L.ListFunctionsRequest, ctx: RequestContext): L.ListFunctionsResponse {
    checkEnums([['functionVersion', input.FunctionVersion, ['ALL']]]);
    const limit = input.MaxItems ?? DEFAULT_PAGE;
    const cursor = decodeMarker(input.Marker);
    const rows = new Map<string, FunctionRow>();
    const rowOf = (name: string) => {
      let r = rows.get(name);
      if (!r) {
        r = this.store.getFunction(ctx.accountId, ctx.region, name);
        if (r) r = this.observe(r);
        rows.set(name, r!);
      }
      return r;
    };
    if (input.FunctionVersion === 'ALL') {
      const page = this.store.pageAll(ctx.accountId, ctx.region, cursor?.name ?? '', cursor?.seq ?? -1, limit + 1);
      const more = page.length > limit;
      const items = page.slice(0, limit);
      const last = items[items.length - 1];
      return {
        Functions: items.map((x) => listed(this.present(x.doc, rowOf(x.name), { qualifiedLatest: true }))),
        ...(more && last ? { NextMarker: encodeMarker({ name: last.name, seq: last.seq }) } : {}),
      };
    }
    // A page read again with nothing written since is the page already built.
    const cacheKey = `${ctx.accountId}\n${ctx.region}\n${cursor?.name ?? ''}\n${limit}`;
    const cached = this.listPages.get(cacheKey);
    if (cached && cached.generation === this.store.generation) return { Functions: cached.functions.slice(), ...(cached.nextMarker ? { NextMarker: cached.nextMarker } : {}) };
    const page = this.store.pageLatestWithBusy(ctx.accountId, ctx.region, cursor?.name ?? '', limit + 1);
    const more = page.length > limit;
    const items = page.slice(0, limit);
    // Listing observes each function: an in-flight create or update completes now (see observe),
    // so every listed configuration is presented settled.
    for (const x of items) if (x.busyKind) this.store.setBusy(ctx.accountId, ctx.region, x.name, null, 0);
    const functions = items.map((x) => listed(this.present(x.doc, undefined)));
    const nextMarker = more ? encodeMarker({ name: items[items.length - 1].doc.config.FunctionName!, seq: 0 }) : undefined;
    // Bounded: a few dozen pages of ordinary size (a page of MaxItems 10,000 is not kept).
    if (functions.length <= 100) {
      if (this.listPages.size >= 32) this.listPages.clear();
      this.listPages.set(cacheKey, { generation: this.store.generation, functions, nextMarker });
    }
    return { Functions: functions.slice(), ...(nextMarker ? { NextMarker: nextMarker } : {}) };
  }

  private readonly listPages = new Map<string, { generation: number; functions: L.FunctionConfiguration[]; nextMarker?: string }>();

  async UpdateFunctionCode(input: L.UpdateFunctionCodeRequest, ctx: RequestContext): Promise<L.FunctionConfiguration> {
    const ref = this.ref(ctx, input.FunctionName);
    const row = this.fnRow(ref);
    const latest = this.versionDoc(ref, LATEST);
    if (input.RevisionId && input.RevisionId !== latest.config.RevisionId) throw revisionMismatch();
    const isImage = latest.config.PackageType === 'Image';
    if (isImage && input.ImageUri === undefined) throw invalidParameter('Please provide ImageUri when updating a function with packageType Image.');
    if (!isImage && input.ImageUri !== undefined) throw invalidParameter('Please don\'t provide ImageUri when updating a function with packageType Zip.');
    if (!isImage && input.ZipFile === undefined && input.S3Bucket === undefined && input.S3Key === undefined) throw invalidParameter('Please provide a source for function code.');
    checkEnums([['architectures', input.Architectures, ENUMS.architecture]]);
    if (!input.DryRun) this.assertIdle(row, ref);
    const code = isImage ? undefined : await this.codeFrom(input, ref, 'UpdateFunctionCode');
    if (code) this.checkUnzippedTotal(code.unzippedSize, latest.layers);
    const config: L.FunctionConfiguration = {
      ...latest.config,
      CodeSize: code?.size ?? latest.config.CodeSize,
      CodeSha256: code?.codeSha256 ?? sha256Base64Text(input.ImageUri ?? ''),
      LastModified: lambdaTime(this.now()),
      RevisionId: input.DryRun ? latest.config.RevisionId : crypto.randomUUID(),
      ...(input.Architectures ? { Architectures: input.Architectures } : {}),
    };
    const doc: StoredVersion = { ...latest, config, codeSha256Hex: code?.sha256Hex ?? latest.codeSha256Hex, unzippedSize: code?.unzippedSize ?? latest.unzippedSize, ...(input.ImageUri ? { imageUri: input.ImageUri } : {}) };
    if (input.DryRun) return this.present(doc, row);
    return this.commitUpdate(ref, doc, input.Publish);
  }

  private commitUpdate(ref: FunctionRef, doc: StoredVersion, publish: boolean | undefined): L.FunctionConfiguration {
    this.store.tx(() => {
      this.store.putVersion(ref.accountId, ref.region, ref.name, LATEST, doc);
      this.store.setBusy(ref.accountId, ref.region, ref.name, 'update', this.now() + this.transitionMs);
    });
    this.changed(this.arn(ref, LATEST));
    if (publish) {
      this.store.setBusy(ref.accountId, ref.region, ref.name, null, 0);
      return this.publish(ref, {}, undefined);
    }
    return this.present(doc, this.store.getFunction(ref.accountId, ref.region, ref.name));
  }

  UpdateFunctionConfiguration(input: L.UpdateFunctionConfigurationRequest, ctx: RequestContext): L.FunctionConfiguration {
    const ref = this.ref(ctx, input.FunctionName);
    const row = this.fnRow(ref);
    const latest = this.versionDoc(ref, LATEST);
    if (input.RevisionId && input.RevisionId !== latest.config.RevisionId) throw revisionMismatch();
    checkConfigEnums(input);
    if (input.Runtime !== undefined) checkRuntime(input.Runtime);
    checkMemoryAndTimeout(input.MemorySize, input.Timeout);
    checkEnvironment(input.Environment);
    this.assertIdle(row, ref);
    const layers = input.Layers !== undefined ? this.resolveLayers(input.Layers) : latest.layers;
    this.checkUnzippedTotal(latest.unzippedSize, layers);
    const c: L.FunctionConfiguration = { ...latest.config };
    if (input.Role !== undefined) c.Role = input.Role;
    if (input.Handler !== undefined) c.Handler = input.Handler;
    if (input.Description !== undefined) c.Description = input.Description;
    if (input.Timeout !== undefined) c.Timeout = input.Timeout;
    if (input.MemorySize !== undefined) c.MemorySize = input.MemorySize;
    if (input.Runtime !== undefined) {
      c.Runtime = input.Runtime;
      c.RuntimeVersionConfig = { RuntimeVersionArn: runtimeVersionArn(ref.region, input.Runtime) };
    }
    if (input.Environment !== undefined) c.Environment = { Variables: input.Environment.Variables ?? {} };
    if (input.VpcConfig !== undefined) {
      c.VpcConfig = { SubnetIds: input.VpcConfig.SubnetIds ?? [], SecurityGroupIds: input.VpcConfig.SecurityGroupIds ?? [], VpcId: '', Ipv6AllowedForDualStack: input.VpcConfig.Ipv6AllowedForDualStack ?? false };
    }
    if (input.DeadLetterConfig !== undefined) {
      if (input.DeadLetterConfig.TargetArn) c.DeadLetterConfig = { TargetArn: input.DeadLetterConfig.TargetArn };
      else delete c.DeadLetterConfig;
    }
    if (input.KMSKeyArn !== undefined) {
      if (input.KMSKeyArn) c.KMSKeyArn = input.KMSKeyArn;
      else delete c.KMSKeyArn;
    }
    if (input.TracingConfig?.Mode) c.TracingConfig = { Mode: input.TracingConfig.Mode };
    if (input.Layers !== undefined) {
      if (layers.length) c.Layers = layers.map((l) => ({ Arn: l.arn, CodeSize: l.size }));
      else delete c.Layers;
    }
    if (input.FileSystemConfigs !== undefined) c.FileSystemConfigs = input.FileSystemConfigs;
    if (input.ImageConfig !== undefined) c.ImageConfigResponse = { ImageConfig: input.ImageConfig };
    if (input.EphemeralStorage?.Size !== undefined) c.EphemeralStorage = { Size: input.EphemeralStorage.Size };
    if (input.SnapStart?.ApplyOn) c.SnapStart = { ApplyOn: input.SnapStart.ApplyOn, OptimizationStatus: 'Off' };
    if (input.LoggingConfig !== undefined) c.LoggingConfig = loggingConfig(input.LoggingConfig, c.LoggingConfig, ref.name);
    c.LastModified = lambdaTime(this.now());
    c.RevisionId = crypto.randomUUID();
    return this.commitUpdate(ref, { ...latest, config: c, layers }, false);
  }

  DeleteFunction(input: L.DeleteFunctionRequest, ctx: RequestContext): L.DeleteFunctionResponse {
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    this.fnRow(ref);
    if (ref.qualifier !== undefined) {
      if (ref.qualifier === LATEST) throw invalidParameter('$LATEST version cannot be deleted without deleting the function.');
      if (!/^\d+$/.test(ref.qualifier)) throw invalidParameter('Deletion of aliases is not currently supported.');
      if (!this.store.getVersion(ref.accountId, ref.region, ref.name, ref.qualifier)) throw functionNotFound(this.arn(ref, ref.qualifier));
      const using = this.store.listAliases<L.AliasConfiguration>(ref.accountId, ref.region, ref.name).filter(
        (a) => a.FunctionVersion === ref.qualifier || Object.keys(a.RoutingConfig?.AdditionalVersionWeights ?? {}).includes(ref.qualifier!),
      );
      if (using.length) throw conflict(`Unable to delete version because the following aliases reference it: [${using.map((a) => a.Name).join(', ')}]`);
      this.store.tx(() => this.store.deleteVersion(ref.accountId, ref.region, ref.name, ref.qualifier!));
      this.changed(this.arn(ref, ref.qualifier));
      return { StatusCode: 204 };
    }
    const versions = this.store.listVersions(ref.accountId, ref.region, ref.name);
    this.store.tx(() => this.store.deleteFunction(ref.accountId, ref.region, ref.name));
    for (const v of versions) this.changed(this.arn(ref, v.config.Version));
    return { StatusCode: 204 };
  }

  // ---------------------------------------------------------------- versions

  PublishVersion(input: L.PublishVersionRequest, ctx: RequestContext): L.FunctionConfiguration {
    const ref = this.ref(ctx, input.FunctionName);
    if (ref.qualifier) throw invalidParameter('Version and alias qualifiers are not supported for this operation.');
    const row = this.fnRow(ref);
    this.assertIdle(row, ref);
    return this.publish(ref, input, input.Description);
  }

  private publish(ref: FunctionRef, checks: { CodeSha256?: string; RevisionId?: string }, description: string | undefined): L.FunctionConfiguration {
    const latest = this.versionDoc(ref, LATEST);
    if (checks.RevisionId && checks.RevisionId !== latest.config.RevisionId) throw revisionMismatch();
    if (checks.CodeSha256 && checks.CodeSha256 !== latest.config.CodeSha256) {
      throw invalidParameter(`CodeSHA256 (${checks.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest.config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`);
    }
    const hash = configHash(latest);
    const previous = this.store.lastPublished(ref.accountId, ref.region, ref.name);
    // AWS publishes nothing new when code and configuration are those of the latest version.
    if (previous && previous.configHash === hash) return this.present(previous, undefined);
    return this.store.tx(() => {
      const n = String(this.store.takeVersionNumber(ref.accountId, ref.region, ref.name));
      const config: L.FunctionConfiguration = {
        ...latest.config,
        FunctionArn: this.arn(ref, n),
        Version: n,
        Description: description ?? latest.config.Description,
        RevisionId: crypto.randomUUID(),
        State: 'Active',
        LastUpdateStatus: 'Successful',
      };
      const doc: StoredVersion = { ...latest, config, configHash: hash };
      this.store.putVersion(ref.accountId, ref.region, ref.name, n, doc);
      return this.present(doc, undefined);
    });
  }

  ListVersionsByFunction(input: L.ListVersionsByFunctionRequest, ctx: RequestContext): L.ListVersionsByFunctionResponse {
    const ref = this.ref(ctx, input.FunctionName);
    const row = this.observe(this.fnRow(ref));
    const all = this.store.listVersions(ref.accountId, ref.region, ref.name).map((d) => this.present(d, row, { qualifiedLatest: true }));
    const { items, next } = paginate(all, input.Marker, input.MaxItems ?? DEFAULT_PAGE);
    return { Versions: items, ...(next ? { NextMarker: next } : {}) };
  }

  // ---------------------------------------------------------------- aliases

  private checkRouting(ref: FunctionRef, primary: string, routing: L.AliasRoutingConfiguration | undefined): void {
    const weights = routing?.AdditionalVersionWeights;
    if (!weights) return;
    const entries = Object.entries(weights);
    if (entries.length > 1) throw invalidParameter('Number of items in AdditionalVersionWeights cannot be greater than 1');
    for (const [version, weight] of entries) {
      if (!/^[0-9]+$/.test(version)) {
        throw validationException([{ member: 'routingConfig.additionalVersionWeights', value: undefined, constraint: 'Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]' }]);
      }
      if (typeof weight !== 'number' || weight < 0 || weight > 1) {
        throw validationException([{ member: 'routingConfig.additionalVersionWeights', value: undefined, constraint: `Map value must satisfy constraint: [Member must have value ${Number(weight) < 0 ? 'greater than or equal to 0.0' : 'less than or equal to 1.0'}]` }]);
      }
      if (primary === LATEST) throw invalidParameter('$LATEST is not supported for an alias pointing to more than 1 version');
      if (version === primary) throw invalidParameter(`Invalid function version ${version}. Function version ${version} is already included in routing configuration.`);
      if (!this.store.getVersion(ref.accountId, ref.region, ref.name, version)) throw functionNotFound(this.arn(ref, version));
    }
  }

  CreateAlias(input: L.CreateAliasRequest, ctx: RequestContext): L.AliasConfiguration {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    if (!ALIAS_RE.test(input.Name)) throw validationException([{ member: 'name', value: input.Name, constraint: 'Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)' }]);
    if (!this.store.getVersion(ref.accountId, ref.region, ref.name, input.FunctionVersion)) throw functionNotFound(this.arn(ref, input.FunctionVersion));
    this.checkRouting(ref, input.FunctionVersion, input.RoutingConfig);
    const aliasArn = this.arn(ref, input.Name);
    if (this.store.getAlias(ref.accountId, ref.region, ref.name, input.Name)) throw conflict(`Alias already exists: ${aliasArn}`);
    const alias: L.AliasConfiguration = {
      AliasArn: aliasArn,
      Name: input.Name,
      FunctionVersion: input.FunctionVersion,
      Description: input.Description ?? '',
      ...(input.RoutingConfig?.AdditionalVersionWeights ? { RoutingConfig: { AdditionalVersionWeights: input.RoutingConfig.AdditionalVersionWeights } } : {}),
      RevisionId: crypto.randomUUID(),
    };
    this.store.putAlias(ref.accountId, ref.region, ref.name, input.Name, alias);
    return alias;
  }

  private aliasOf(ref: FunctionRef, name: string): L.AliasConfiguration {
    this.fnRow(ref);
    const alias = this.store.getAlias<L.AliasConfiguration>(ref.accountId, ref.region, ref.name, name);
    if (!alias) throw notFound(`Alias not found: ${this.arn(ref, name)}`);
    return alias;
  }

  GetAlias(input: L.GetAliasRequest, ctx: RequestContext): L.AliasConfiguration {
    return this.aliasOf(this.ref(ctx, input.FunctionName), input.Name);
  }

  UpdateAlias(input: L.UpdateAliasRequest, ctx: RequestContext): L.AliasConfiguration {
    const ref = this.ref(ctx, input.FunctionName);
    const alias = this.aliasOf(ref, input.Name);
    if (input.RevisionId && input.RevisionId !== alias.RevisionId) throw revisionMismatch();
    const version = input.FunctionVersion ?? alias.FunctionVersion!;
    if (!this.store.getVersion(ref.accountId, ref.region, ref.name, version)) throw functionNotFound(this.arn(ref, version));
    const routing = input.RoutingConfig !== undefined ? input.RoutingConfig : alias.RoutingConfig;
    this.checkRouting(ref, version, routing);
    const next: L.AliasConfiguration = {
      ...alias,
      FunctionVersion: version,
      Description: input.Description ?? alias.Description,
      RevisionId: crypto.randomUUID(),
    };
    if (routing?.AdditionalVersionWeights && Object.keys(routing.AdditionalVersionWeights).length) next.RoutingConfig = { AdditionalVersionWeights: routing.AdditionalVersionWeights };
    else delete next.RoutingConfig;
    this.store.putAlias(ref.accountId, ref.region, ref.name, input.Name, next);
    return next;
  }

  DeleteAlias(input: L.DeleteAliasRequest, ctx: RequestContext): void {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    // DeleteAlias is idempotent on AWS: a missing alias is no error.
    this.store.tx(() => this.store.deleteAlias(ref.accountId, ref.region, ref.name, input.Name));
  }

  ListAliases(input: L.ListAliasesRequest, ctx: RequestContext): L.ListAliasesResponse {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    let all = this.store.listAliases<L.AliasConfiguration>(ref.accountId, ref.region, ref.name);
    if (input.FunctionVersion) all = all.filter((a) => a.FunctionVersion === input.FunctionVersion || Object.keys(a.RoutingConfig?.AdditionalVersionWeights ?? {}).includes(input.FunctionVersion!));
    const { items, next } = paginate(all, input.Marker, input.MaxItems ?? DEFAULT_PAGE);
    return { Aliases: items, ...(next ? { NextMarker: next } : {}) };
  }

  // ---------------------------------------------------------------- layers

  private layerRef(ctx: RequestContext, layerName: string): { accountId: string; region: string; name: string; arn: string } {
    const m = /^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+)$/.exec(layerName);
    const accountId = m ? m[2] : ctx.accountId;
    const region = m ? m[1] : ctx.region;
    const name = m ? m[3] : layerName;
    return { accountId, region, name, arn: `arn:${partitionOf(region)}:lambda:${region}:${accountId}:layer:${name}` };
  }

  private layerOut(ctx: RequestContext, d: LayerDoc): L.GetLayerVersionResponse {
    return {
      Content: { Location: this.codeLocation(ctx, d.codeSha256Hex), CodeSha256: base64OfHex(d.codeSha256Hex), CodeSize: d.size },
      LayerArn: d.layerArn,
      LayerVersionArn: `${d.layerArn}:${d.version}`,
      Description: d.description,
      CreatedDate: d.createdDate,
      Version: d.version,
      ...(d.compatibleRuntimes?.length ? { CompatibleRuntimes: d.compatibleRuntimes } : {}),
      ...(d.licenseInfo !== undefined ? { LicenseInfo: d.licenseInfo } : {}),
      ...(d.compatibleArchitectures?.length ? { CompatibleArchitectures: d.compatibleArchitectures } : {}),
    };
  }

  async PublishLayerVersion(input: L.PublishLayerVersionRequest, ctx: RequestContext): Promise<L.PublishLayerVersionResponse> {
    const lr = this.layerRef(ctx, input.LayerName);
    checkEnums([['compatibleArchitectures', input.CompatibleArchitectures, ENUMS.architecture]]);
    for (const rt of input.CompatibleRuntimes ?? []) checkRuntime(rt);
    if ((input.CompatibleRuntimes?.length ?? 0) > 15) throw invalidParameter('Compatible runtimes cannot exceed 15.');
    const zip = await loadZip(input.Content ?? {}, this.deps.internal, ctx);
    if (!zip) throw invalidParameter('Please provide a source for layer content.');
    const code = storeZip(this.deps.blobs, zip, 'PublishLayerVersion', input.Content?.ZipFile !== undefined);
    const doc = this.store.tx(() => {
      const version = this.store.nextLayerVersion(lr.accountId, lr.region, lr.name);
      const d: LayerDoc = {
        layerArn: lr.arn,
        version,
        description: input.Description ?? '',
        createdDate: lambdaTime(this.now()),
        compatibleRuntimes: input.CompatibleRuntimes,
        compatibleArchitectures: input.CompatibleArchitectures,
        licenseInfo: input.LicenseInfo,
        codeSha256Hex: code.sha256Hex,
        size: code.size,
        unzippedSize: code.unzippedSize,
      };
      this.store.putLayerVersion(lr.accountId, lr.region, lr.name, version, d);
      return d;
    });
    return this.layerOut(ctx, doc);
  }

  private layerVersion(ctx: RequestContext, layerName: string, version: number): { lr: ReturnType<LambdaProvider['layerRef']>; doc: LayerDoc; policy?: PolicyDocument } {
    const lr = this.layerRef(ctx, layerName);
    const lv = this.store.getLayerVersion<LayerDoc>(lr.accountId, lr.region, lr.name, version);
    if (!lv) throw resourceNotFound();
    return { lr, doc: lv.doc, policy: lv.policy };
  }

  GetLayerVersion(input: L.GetLayerVersionRequest, ctx: RequestContext): L.GetLayerVersionResponse {
    return this.layerOut(ctx, this.layerVersion(ctx, input.LayerName, input.VersionNumber).doc);
  }

  GetLayerVersionByArn(input: L.GetLayerVersionByArnRequest, ctx: RequestContext): L.GetLayerVersionResponse {
    const m = /^(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+):([0-9]+)$/.exec(input.Arn);
    if (!m) throw invalidParameter(`Invalid Layer Version Arn: ${input.Arn}`);
    return this.layerOut(ctx, this.layerVersion(ctx, m[1], Number(m[2])).doc);
  }

  ListLayerVersions(input: L.ListLayerVersionsRequest, ctx: RequestContext): L.ListLayerVersionsResponse {
    const lr = this.layerRef(ctx, input.LayerName);
    const all = this.store
      .listLayerVersions<LayerDoc>(lr.accountId, lr.region, lr.name)
      .filter((d) => matchesLayerFilter(d, input.CompatibleRuntime, input.CompatibleArchitecture))
      .map((d) => layerListItem(d));
    const { items, next } = paginate(all, input.Marker, input.MaxItems ?? DEFAULT_PAGE);
    return { LayerVersions: items, ...(next ? { NextMarker: next } : {}) };
  }

  ListLayers(input: L.ListLayersRequest, ctx: RequestContext): L.ListLayersResponse {
    const limit = input.MaxItems ?? DEFAULT_PAGE;
    const after = decodeMarker(input.Marker)?.name ?? '';
    const out: L.LayersListItem[] = [];
    let cursor = after;
    let more = false;
    for (;;) {
      const names = this.store.listLayerNames(ctx.accountId, ctx.region, cursor, 100);
      if (!names.length) break;
      for (const name of names) {
        cursor = name;
        const latest = this.store.listLayerVersions<LayerDoc>(ctx.accountId, ctx.region, name).find((d) => matchesLayerFilter(d, input.CompatibleRuntime, input.CompatibleArchitecture));
        if (!latest) continue;
        if (out.length === limit) {
          more = true;
          break;
        }
        out.push({ LayerName: name, LayerArn: latest.layerArn, LatestMatchingVersion: layerListItem(latest) });
      }
      if (more) break;
    }
    return { Layers: out, ...(more ? { NextMarker: encodeMarker({ name: out[out.length - 1].LayerName!, seq: 0 }) } : {}) };
  }

  DeleteLayerVersion(input: L.DeleteLayerVersionRequest, ctx: RequestContext): void {
    const lr = this.layerRef(ctx, input.LayerName);
    // Idempotent on AWS; functions that use the version keep their copy of it.
    this.store.deleteLayerVersion(lr.accountId, lr.region, lr.name, input.VersionNumber);
  }

  AddLayerVersionPermission(input: L.AddLayerVersionPermissionRequest, ctx: RequestContext): L.AddLayerVersionPermissionResponse {
    const { lr, doc, policy } = this.layerVersion(ctx, input.LayerName, input.VersionNumber);
    const current = policy ?? emptyPolicy();
    const revision = policy ? layerPolicyRevision(policy) : undefined;
    if (input.RevisionId && input.RevisionId !== revision) throw revisionMismatch('GetLayerPolicy');
    if (current.Statement.some((s) => s.Sid === input.StatementId)) {
      throw conflict(`The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
    }
    if (input.Action !== 'lambda:GetLayerVersion') throw invalidParameter(`Action ${input.Action} is not supported. Supported actions: [lambda:GetLayerVersion]`);
    const statement: PolicyStatement = {
      Sid: input.StatementId,
      Effect: 'Allow',
      Principal: input.Principal === '*' ? '*' : { AWS: /^\d{12}$/.test(input.Principal) ? `arn:aws:iam::${input.Principal}:root` : input.Principal },
      Action: 'lambda:GetLayerVersion',
      Resource: `${doc.layerArn}:${doc.version}`,
      ...(input.OrganizationId ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': input.OrganizationId } } } : {}),
    };
    const next: PolicyDocument = { ...current, Statement: [...current.Statement, statement] };
    this.store.setLayerPolicy(lr.accountId, lr.region, lr.name, input.VersionNumber, next);
    return { Statement: JSON.stringify(statement), RevisionId: layerPolicyRevision(next) };
  }

  GetLayerVersionPolicy(input: L.GetLayerVersionPolicyRequest, ctx: RequestContext): L.GetLayerVersionPolicyResponse {
    const { policy } = this.layerVersion(ctx, input.LayerName, input.VersionNumber);
    if (!policy) throw resourceNotFound();
    return { Policy: JSON.stringify(policy), RevisionId: layerPolicyRevision(policy) };
  }

  RemoveLayerVersionPermission(input: L.RemoveLayerVersionPermissionRequest, ctx: RequestContext): void {
    const { lr, policy } = this.layerVersion(ctx, input.LayerName, input.VersionNumber);
    if (policy && input.RevisionId && input.RevisionId !== layerPolicyRevision(policy)) throw revisionMismatch('GetLayerPolicy');
    if (!policy || !policy.Statement.some((s) => s.Sid === input.StatementId)) throw notFound(`Statement ${input.StatementId} is not found in resource policy.`);
    this.store.setLayerPolicy(lr.accountId, lr.region, lr.name, input.VersionNumber, { ...policy, Statement: policy.Statement.filter((s) => s.Sid !== input.StatementId) });
  }

  // ---------------------------------------------------------------- resource policy

  AddPermission(input: L.AddPermissionRequest, ctx: RequestContext): L.AddPermissionResponse {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    const key = ref.qualifier ?? '';
    const existing = this.store.getPolicy(ref.accountId, ref.region, ref.name, key);
    if (input.RevisionId && input.RevisionId !== (existing?.revisionId ?? this.versionDoc(ref, ref.qualifier).config.RevisionId)) throw revisionMismatch('GetPolicy');
    const policy = existing?.doc ?? emptyPolicy();
    if (policy.Statement.some((s) => s.Sid === input.StatementId)) {
      throw conflict(`The statement id (${input.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
    }
    const condition: Record<string, Record<string, string>> = {};
    const add = (op: string, key2: string, value: string) => ((condition[op] ??= {})[key2] = value);
    if (input.SourceAccount) add('StringEquals', 'AWS:SourceAccount', input.SourceAccount);
    if (input.EventSourceToken) add('StringEquals', 'lambda:EventSourceToken', input.EventSourceToken);
    if (input.PrincipalOrgID) add('StringEquals', 'aws:PrincipalOrgID', input.PrincipalOrgID);
    if (input.FunctionUrlAuthType) add('StringEquals', 'lambda:FunctionUrlAuthType', input.FunctionUrlAuthType);
    if (input.InvokedViaFunctionUrl) add('Bool', 'lambda:InvokedViaFunctionUrl', 'true');
    if (input.SourceArn) add('ArnLike', 'AWS:SourceArn', input.SourceArn);
    const statement: PolicyStatement = {
      Sid: input.StatementId,
      Effect: 'Allow',
      Principal: principalOf(input.Principal),
      Action: input.Action,
      Resource: this.arn(ref, ref.qualifier),
      ...(Object.keys(condition).length ? { Condition: condition } : {}),
    };
    this.store.putPolicy(ref.accountId, ref.region, ref.name, key, { ...policy, Statement: [...policy.Statement, statement] }, crypto.randomUUID());
    return { Statement: JSON.stringify(statement) };
  }

  RemovePermission(input: L.RemovePermissionRequest, ctx: RequestContext): void {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    const key = ref.qualifier ?? '';
    const existing = this.store.getPolicy(ref.accountId, ref.region, ref.name, key);
    if (existing && input.RevisionId && input.RevisionId !== existing.revisionId) throw revisionMismatch('GetPolicy');
    if (!existing || !existing.doc.Statement.some((s) => s.Sid === input.StatementId)) throw notFound(`Statement ${input.StatementId} is not found in resource policy.`);
    this.store.putPolicy(ref.accountId, ref.region, ref.name, key, { ...existing.doc, Statement: existing.doc.Statement.filter((s) => s.Sid !== input.StatementId) }, crypto.randomUUID());
  }

  GetPolicy(input: L.GetPolicyRequest, ctx: RequestContext): L.GetPolicyResponse {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    const existing = this.store.getPolicy(ref.accountId, ref.region, ref.name, ref.qualifier ?? '');
    if (!existing) throw resourceNotFound();
    return { Policy: JSON.stringify(existing.doc), RevisionId: existing.revisionId };
  }

  // ---------------------------------------------------------------- tags

  private taggable(ctx: RequestContext, resource: string): FunctionRef {
    if (!/^arn:[^:]+:lambda:/.test(resource)) throw invalidParameter(`Invalid ARN: ${resource}`);
    const ref = this.ref(ctx, resource);
    if (ref.qualifier) throw invalidParameter('Tags on function aliases and versions are not supported. Please specify a function ARN.');
    this.fnRow(ref);
    return ref;
  }

  TagResource(input: L.TagResourceRequest, ctx: RequestContext): void {
    const ref = this.taggable(ctx, input.Resource);
    const tags = { ...JSON.parse(this.fnRow(ref).tags), ...input.Tags };
    if (Object.keys(tags).length > 50) throw invalidParameter('Number of tags exceeds resource tag limit.');
    this.store.setTags(ref.accountId, ref.region, ref.name, tags);
  }

  UntagResource(input: L.UntagResourceRequest, ctx: RequestContext): void {
    const ref = this.taggable(ctx, input.Resource);
    const tags = JSON.parse(this.fnRow(ref).tags) as Record<string, string>;
    for (const k of input.TagKeys ?? []) delete tags[k];
    this.store.setTags(ref.accountId, ref.region, ref.name, tags);
  }

  ListTags(input: L.ListTagsRequest, ctx: RequestContext): L.ListTagsResponse {
    const ref = this.taggable(ctx, input.Resource);
    return { Tags: JSON.parse(this.fnRow(ref).tags) };
  }

  // ---------------------------------------------------------------- concurrency

  PutFunctionConcurrency(input: L.PutFunctionConcurrencyRequest, ctx: RequestContext): L.Concurrency {
    const ref = this.ref(ctx, input.FunctionName);
    if (ref.qualifier) throw invalidParameter('Concurrency is configured for the function, not for a version or alias.');
    this.fnRow(ref);
    const others = this.store.reservedElsewhere(ref.accountId, ref.region, ref.name);
    if (ACCOUNT_CONCURRENCY - others - input.ReservedConcurrentExecutions < MIN_UNRESERVED) {
      throw invalidParameter(`Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED}].`);
    }
    this.store.setReservedConcurrency(ref.accountId, ref.region, ref.name, input.ReservedConcurrentExecutions);
    return { ReservedConcurrentExecutions: input.ReservedConcurrentExecutions };
  }

  GetFunctionConcurrency(input: L.GetFunctionConcurrencyRequest, ctx: RequestContext): L.GetFunctionConcurrencyResponse {
    const row = this.fnRow(this.ref(ctx, input.FunctionName));
    return row.reserved_concurrency === null ? {} : { ReservedConcurrentExecutions: row.reserved_concurrency };
  }

  DeleteFunctionConcurrency(input: L.DeleteFunctionConcurrencyRequest, ctx: RequestContext): void {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    this.store.setReservedConcurrency(ref.accountId, ref.region, ref.name, null);
  }

  GetAccountSettings(_input: L.GetAccountSettingsRequest, ctx: RequestContext): L.GetAccountSettingsResponse {
    const reserved = this.store.reservedElsewhere(ctx.accountId, ctx.region, '');
    return {
      AccountLimit: {
        TotalCodeSize: 80530636800,
        CodeSizeUnzipped: UNZIPPED_LIMIT,
        CodeSizeZipped: 52428800,
        ConcurrentExecutions: ACCOUNT_CONCURRENCY,
        UnreservedConcurrentExecutions: ACCOUNT_CONCURRENCY - reserved,
      },
      AccountUsage: { TotalCodeSize: this.store.totalCodeSize(ctx.accountId, ctx.region), FunctionCount: this.store.countFunctions(ctx.accountId, ctx.region) },
    };
  }

  private publishedQualifier(ref: FunctionRef, qualifier: string | undefined): string {
    if (!qualifier || qualifier === LATEST) throw invalidParameter('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    this.checkQualifierExists(ref, qualifier);
    return qualifier;
  }

  PutProvisionedConcurrencyConfig(input: L.PutProvisionedConcurrencyConfigRequest, ctx: RequestContext): L.PutProvisionedConcurrencyConfigResponse {
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    const row = this.fnRow(ref);
    const q = this.publishedQualifier(ref, ref.qualifier);
    const n = input.ProvisionedConcurrentExecutions;
    if (row.reserved_concurrency !== null && n > row.reserved_concurrency) {
      throw invalidParameter(`Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function`);
    }
    const lastModified = lambdaTime(this.now());
    // Nothing is pre-warmed: the config is READY at once; the Put answers IN_PROGRESS as AWS does.
    this.store.putSetting(ref.accountId, ref.region, ref.name, 'provisioned', q, { requested: n, lastModified });
    if (this.provisionHook) {
      const snapshot = this.control.pickVersion(this.control.resolveFunction(ref.accountId, ref.region, ref.name, q), () => 0);
      this.provisionHook(snapshot, n).catch((e) => this.deps.log.warn(`lambda: provisioning ${this.arn(ref, q)} failed: ${(e as Error).message}`));
    }
    return { RequestedProvisionedConcurrentExecutions: n, AvailableProvisionedConcurrentExecutions: 0, AllocatedProvisionedConcurrentExecutions: 0, Status: 'IN_PROGRESS', LastModified: lastModified };
  }

  GetProvisionedConcurrencyConfig(input: L.GetProvisionedConcurrencyConfigRequest, ctx: RequestContext): L.GetProvisionedConcurrencyConfigResponse {
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    this.fnRow(ref);
    const s = this.store.getSetting<{ requested: number; lastModified: string }>(ref.accountId, ref.region, ref.name, 'provisioned', ref.qualifier ?? '');
    if (!s) throw new ProvisionedConcurrencyConfigNotFoundException('No Provisioned Concurrency Config found for this function', { Type: 'User' });
    return provisionedOut(s);
  }

  ListProvisionedConcurrencyConfigs(input: L.ListProvisionedConcurrencyConfigsRequest, ctx: RequestContext): L.ListProvisionedConcurrencyConfigsResponse {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    const all = this.store
      .listSettings<{ requested: number; lastModified: string }>(ref.accountId, ref.region, ref.name, 'provisioned')
      .map((s) => ({ FunctionArn: this.arn(ref, s.qualifier), ...provisionedOut(s.doc) }));
    const { items, next } = paginate(all, input.Marker, input.MaxItems ?? DEFAULT_PAGE);
    return { ProvisionedConcurrencyConfigs: items, ...(next ? { NextMarker: next } : {}) };
  }

  DeleteProvisionedConcurrencyConfig(input: L.DeleteProvisionedConcurrencyConfigRequest, ctx: RequestContext): void {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    this.store.deleteSetting(ref.accountId, ref.region, ref.name, 'provisioned', ref.qualifier ?? '');
  }

  // ---------------------------------------------------------------- asynchronous invocation config

  private eventConfigArn(ref: FunctionRef): string {
    return this.arn(ref, ref.qualifier ?? LATEST);
  }

  private noEventConfig(ref: FunctionRef) {
    return notFound(`The function ${this.eventConfigArn(ref)} doesn't have an EventInvokeConfig`);
  }

  private storedEventConfig(ref: FunctionRef): StoredEventConfig {
    const s = this.store.getSetting<StoredEventConfig>(ref.accountId, ref.region, ref.name, 'event-invoke', ref.qualifier ?? LATEST);
    if (!s) throw this.noEventConfig(ref);
    return s;
  }

  private saveEventConfig(ref: FunctionRef, s: StoredEventConfig): L.FunctionEventInvokeConfig {
    this.store.putSetting(ref.accountId, ref.region, ref.name, 'event-invoke', ref.qualifier ?? LATEST, s);
    return this.eventConfigOut(ref, s);
  }

  private checkDestinations(dc: L.DestinationConfig | undefined): void {
    for (const [which, d] of [['OnSuccess', dc?.OnSuccess], ['OnFailure', dc?.OnFailure]] as const) {
      const arn = d?.Destination;
      if (!arn) continue;
      const ok = /^arn:[^:]+:(sqs|sns|lambda|events):[^:]*:\d{12}:.+$/.test(arn) || (which === 'OnFailure' && /^arn:[^:]+:s3:::.+$/.test(arn));
      if (!ok) throw invalidParameter(`The provided destination config DestinationConfig(onSuccess=${dc?.OnSuccess?.Destination ?? 'null'}, onFailure=${dc?.OnFailure?.Destination ?? 'null'}) is invalid.`);
    }
  }

  private eventConfigOut(ref: FunctionRef, s: StoredEventConfig): L.FunctionEventInvokeConfig {
    return {
      LastModified: new Date(s.lastModified),
      FunctionArn: this.eventConfigArn(ref),
      ...(s.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: s.MaximumRetryAttempts } : {}),
      ...(s.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: s.MaximumEventAgeInSeconds } : {}),
      DestinationConfig: { OnSuccess: { ...(s.DestinationConfig?.OnSuccess ?? {}) }, OnFailure: { ...(s.DestinationConfig?.OnFailure ?? {}) } },
    };
  }

  PutFunctionEventInvokeConfig(input: L.PutFunctionEventInvokeConfigRequest, ctx: RequestContext): L.FunctionEventInvokeConfig {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    this.checkDestinations(input.DestinationConfig);
    const s: StoredEventConfig = { lastModified: this.now(), MaximumRetryAttempts: input.MaximumRetryAttempts, MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds, DestinationConfig: input.DestinationConfig };
    return this.saveEventConfig(ref, s);
  }

  UpdateFunctionEventInvokeConfig(input: L.UpdateFunctionEventInvokeConfigRequest, ctx: RequestContext): L.FunctionEventInvokeConfig {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    const current = this.storedEventConfig(ref);
    const dc = input.DestinationConfig
      ? { OnSuccess: input.DestinationConfig.OnSuccess ?? current.DestinationConfig?.OnSuccess, OnFailure: input.DestinationConfig.OnFailure ?? current.DestinationConfig?.OnFailure }
      : current.DestinationConfig;
    this.checkDestinations(dc);
    const s: StoredEventConfig = {
      lastModified: this.now(),
      MaximumRetryAttempts: input.MaximumRetryAttempts ?? current.MaximumRetryAttempts,
      MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds ?? current.MaximumEventAgeInSeconds,
      DestinationConfig: dc,
    };
    return this.saveEventConfig(ref, s);
  }

  GetFunctionEventInvokeConfig(input: L.GetFunctionEventInvokeConfigRequest, ctx: RequestContext): L.FunctionEventInvokeConfig {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    return this.eventConfigOut(ref, this.storedEventConfig(ref));
  }

  ListFunctionEventInvokeConfigs(input: L.ListFunctionEventInvokeConfigsRequest, ctx: RequestContext): L.ListFunctionEventInvokeConfigsResponse {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    const all = this.store.listSettings<StoredEventConfig>(ref.accountId, ref.region, ref.name, 'event-invoke').map((s) => this.eventConfigOut({ ...ref, qualifier: s.qualifier }, s.doc));
    const { items, next } = paginate(all, input.Marker, input.MaxItems ?? DEFAULT_PAGE);
    return { FunctionEventInvokeConfigs: items, ...(next ? { NextMarker: next } : {}) };
  }

  DeleteFunctionEventInvokeConfig(input: L.DeleteFunctionEventInvokeConfigRequest, ctx: RequestContext): void {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    if (!this.store.deleteSetting(ref.accountId, ref.region, ref.name, 'event-invoke', ref.qualifier ?? LATEST)) {
      throw this.noEventConfig(ref);
    }
  }

  // ---------------------------------------------------------------- function URLs

  private urlQualifier(ref: FunctionRef): string {
    const q = ref.qualifier;
    if (q !== undefined && q !== LATEST && /^\d+$/.test(q)) throw invalidParameter(`Function URLs cannot be created for a published version (qualifier ${q}); use an alias.`);
    this.checkQualifierExists(ref, q);
    return q && q !== LATEST ? q : '';
  }

  private functionUrl(urlId: string, region: string, ctx: RequestContext): string {
    const port = portOf(ctx.endpoint) ?? portOf(this.deps.endpoint()) ?? String(this.deps.config.port);
    return `http://${urlId}.lambda-url.${region}.localhost:${port}/`;
  }

  CreateFunctionUrlConfig(input: L.CreateFunctionUrlConfigRequest, ctx: RequestContext): L.CreateFunctionUrlConfigResponse {
    checkEnums([['authType', input.AuthType, ENUMS.authType], ['invokeMode', input.InvokeMode, ENUMS.invokeMode]]);
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    this.fnRow(ref);
    const q = this.urlQualifier(ref);
    const functionArn = this.arn(ref, q || undefined);
    if (this.store.getUrl(ref.accountId, ref.region, ref.name, q)) {
      throw conflict(`Failed to create function url config for [functionArn = ${functionArn}]. Error message:  FunctionUrlConfig exists for this Lambda function`);
    }
    const urlId = crypto.randomBytes(16).toString('hex').replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]).slice(0, 32);
    const now = new Date(this.now()).toISOString();
    const doc: StoredUrl = { urlId, FunctionArn: functionArn, AuthType: input.AuthType as StoredUrl['AuthType'], ...(input.Cors ? { Cors: input.Cors } : {}), InvokeMode: (input.InvokeMode ?? 'BUFFERED') as StoredUrl['InvokeMode'], CreationTime: now, LastModifiedTime: now };
    this.store.putUrl(ref.accountId, ref.region, ref.name, q, urlId, doc);
    const out = this.urlOut(doc, ref.region, ctx);
    return { FunctionUrl: out.FunctionUrl, FunctionArn: out.FunctionArn, AuthType: out.AuthType, ...(out.Cors ? { Cors: out.Cors } : {}), CreationTime: out.CreationTime, InvokeMode: out.InvokeMode };
  }

  private urlOut(doc: StoredUrl, region: string, ctx: RequestContext): L.FunctionUrlConfig {
    return {
      FunctionUrl: this.functionUrl(doc.urlId, region, ctx),
      FunctionArn: doc.FunctionArn,
      AuthType: doc.AuthType,
      ...(doc.Cors ? { Cors: doc.Cors } : {}),
      CreationTime: doc.CreationTime,
      LastModifiedTime: doc.LastModifiedTime,
      InvokeMode: doc.InvokeMode,
    };
  }

  private urlDoc(ref: FunctionRef): { q: string; doc: StoredUrl } {
    this.fnRow(ref);
    const q = this.urlQualifier(ref);
    const found = this.store.getUrl<StoredUrl>(ref.accountId, ref.region, ref.name, q);
    if (!found) throw resourceNotFound();
    return { q, doc: found.doc };
  }

  GetFunctionUrlConfig(input: L.GetFunctionUrlConfigRequest, ctx: RequestContext): L.GetFunctionUrlConfigResponse {
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    return this.urlOut(this.urlDoc(ref).doc, ref.region, ctx);
  }

  UpdateFunctionUrlConfig(input: L.UpdateFunctionUrlConfigRequest, ctx: RequestContext): L.UpdateFunctionUrlConfigResponse {
    checkEnums([['authType', input.AuthType, ENUMS.authType], ['invokeMode', input.InvokeMode, ENUMS.invokeMode]]);
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    const { q, doc } = this.urlDoc(ref);
    const next: StoredUrl = {
      ...doc,
      ...(input.AuthType ? { AuthType: input.AuthType as StoredUrl['AuthType'] } : {}),
      ...(input.Cors !== undefined ? { Cors: input.Cors } : {}),
      ...(input.InvokeMode ? { InvokeMode: input.InvokeMode as StoredUrl['InvokeMode'] } : {}),
      LastModifiedTime: new Date(this.now()).toISOString(),
    };
    this.store.putUrl(ref.accountId, ref.region, ref.name, q, doc.urlId, next);
    return this.urlOut(next, ref.region, ctx);
  }

  DeleteFunctionUrlConfig(input: L.DeleteFunctionUrlConfigRequest, ctx: RequestContext): void {
    const ref = this.ref(ctx, input.FunctionName, input.Qualifier);
    const { q } = this.urlDoc(ref);
    this.store.deleteUrl(ref.accountId, ref.region, ref.name, q);
  }

  ListFunctionUrlConfigs(input: L.ListFunctionUrlConfigsRequest, ctx: RequestContext): L.ListFunctionUrlConfigsResponse {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    const all = this.store.listUrls<StoredUrl>(ref.accountId, ref.region, ref.name).map((d) => this.urlOut(d, ref.region, ctx));
    const { items, next } = paginate(all, input.Marker, input.MaxItems ?? DEFAULT_PAGE);
    return { FunctionUrlConfigs: items, ...(next ? { NextMarker: next } : {}) };
  }

  // ---------------------------------------------------------------- recursion and runtime management

  GetFunctionRecursionConfig(input: L.GetFunctionRecursionConfigRequest, ctx: RequestContext): L.GetFunctionRecursionConfigResponse {
    const row = this.fnRow(this.ref(ctx, input.FunctionName));
    return { RecursiveLoop: row.recursive_loop as L.GetFunctionRecursionConfigResponse['RecursiveLoop'] };
  }

  PutFunctionRecursionConfig(input: L.PutFunctionRecursionConfigRequest, ctx: RequestContext): L.PutFunctionRecursionConfigResponse {
    const ref = this.ref(ctx, input.FunctionName);
    this.fnRow(ref);
    if (input.RecursiveLoop !== 'Allow' && input.RecursiveLoop !== 'Terminate') {
      throw validationException([{ member: 'recursiveLoop', value: input.RecursiveLoop, constraint: 'Member must satisfy enum value set: [Terminate, Allow]' }]);
    }
    this.store.setRecursion(ref.accountId, ref.region, ref.name, input.RecursiveLoop);
    return { RecursiveLoop: input.RecursiveLoop };
  }

  GetRuntimeManagementConfig(input: L.GetRuntimeManagementConfigRequest, ctx: RequestContext): L.GetRuntimeManagementConfigResponse {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    const s = this.store.getSetting<{ UpdateRuntimeOn: string; RuntimeVersionArn?: string }>(ref.accountId, ref.region, ref.name, 'runtime-management', ref.qualifier ?? LATEST);
    return {
      UpdateRuntimeOn: (s?.UpdateRuntimeOn ?? 'Auto') as L.GetRuntimeManagementConfigResponse['UpdateRuntimeOn'],
      ...(s?.RuntimeVersionArn ? { RuntimeVersionArn: s.RuntimeVersionArn } : {}),
      FunctionArn: this.arn(ref, ref.qualifier ?? LATEST),
    };
  }

  PutRuntimeManagementConfig(input: L.PutRuntimeManagementConfigRequest, ctx: RequestContext): L.PutRuntimeManagementConfigResponse {
    const ref = this.existingRef(ctx, input.FunctionName, input.Qualifier);
    checkEnums([['updateRuntimeOn', input.UpdateRuntimeOn, ENUMS.updateRuntimeOn]]);
    if (input.UpdateRuntimeOn === 'Manual' && !input.RuntimeVersionArn) throw invalidParameter('RuntimeVersionArn must be provided when UpdateRuntimeOn is Manual.');
    if (input.UpdateRuntimeOn !== 'Manual' && input.RuntimeVersionArn) throw invalidParameter(`RuntimeVersionArn can only be provided when UpdateRuntimeOn is Manual.`);
    this.store.putSetting(ref.accountId, ref.region, ref.name, 'runtime-management', ref.qualifier ?? LATEST, { UpdateRuntimeOn: input.UpdateRuntimeOn, RuntimeVersionArn: input.RuntimeVersionArn });
    return { UpdateRuntimeOn: input.UpdateRuntimeOn, FunctionArn: this.arn(ref, ref.qualifier ?? LATEST), ...(input.RuntimeVersionArn ? { RuntimeVersionArn: input.RuntimeVersionArn } : {}) };
  }

  // ---------------------------------------------------------------- for the control plane API

  deps_blobs() {
    return this.deps.blobs;
  }

  /** @internal */ internals() {
    return {
      fnRow: (ref: FunctionRef) => this.fnRow(ref),
      observe: (row: FunctionRow) => this.observe(row),
      versionDoc: (ref: FunctionRef, q: string | undefined) => this.versionDoc(ref, q),
    };
  }
}

/**
 * What the execution engine reads: functions resolved the way Invoke addresses them, turned into
 * immutable snapshots, plus the settings that shape an invocation. Errors are AWS's own
 * (ResourceNotFoundException "Function not found: arn:..."), ready to be thrown to the caller.
 */
export class ControlPlane {
  constructor(private readonly p: LambdaProvider) {}

  /** Resolves a name, partial or full ARN, with an optional qualifier (version or alias). */
  resolveFunction(accountId: string, region: string, functionName: string, qualifier?: string): ResolvedFunction {
    const ref = this.p.ref({ accountId, region, partition: partitionOf(region) }, functionName, qualifier);
    const { fnRow, observe, versionDoc } = this.p.internals();
    const row = observe(fnRow(ref));
    const q = ref.qualifier;
    const invokedFunctionArn = this.p.arn(ref, q);
    const isAlias = q !== undefined && q !== LATEST && !/^\d+$/.test(q);
    if (!isAlias) {
      return { invokedFunctionArn, candidates: [{ snapshot: this.snapshotOf(ref, versionDoc(ref, q)), weight: 1 }], reservedConcurrency: row.reserved_concurrency };
    }
    const alias = this.p.store.getAlias<L.AliasConfiguration>(ref.accountId, ref.region, ref.name, q!);
    if (!alias) throw functionNotFound(invokedFunctionArn);
    const extra = Object.entries(alias.RoutingConfig?.AdditionalVersionWeights ?? {});
    const extraWeight = extra.reduce((s, [, w]) => s + w, 0);
    const candidates = [{ snapshot: this.snapshotOf(ref, versionDoc(ref, alias.FunctionVersion)), weight: 1 - extraWeight }];
    for (const [v, w] of extra) candidates.push({ snapshot: this.snapshotOf(ref, versionDoc(ref, v)), weight: w });
    return { invokedFunctionArn, alias: q, candidates, reservedConcurrency: row.reserved_concurrency };
  }

  /** Picks one candidate by weight (AWS routes each invocation independently). */
  pickVersion(resolved: ResolvedFunction, random: () => number = Math.random): FunctionSnapshot {
    let r = random();
    for (const c of resolved.candidates) {
      if (r < c.weight) return c.snapshot;
      r -= c.weight;
    }
    return resolved.candidates[0].snapshot;
  }

  /** The snapshot of one version ($LATEST or a number). */
  snapshot(accountId: string, region: string, functionName: string, version: string = LATEST): FunctionSnapshot {
    const resolved = this.resolveFunction(accountId, region, functionName, version);
    return resolved.candidates[0].snapshot;
  }

  private snapshotOf(ref: FunctionRef, doc: StoredVersion): FunctionSnapshot {
    const c = doc.config;
    const blobs = this.p.deps_blobs();
    return {
      accountId: ref.accountId,
      region: ref.region,
      functionName: ref.name,
      functionArn: this.p.arn(ref),
      version: c.Version!,
      runtime: c.Runtime ?? '',
      handler: c.Handler ?? '',
      memorySize: c.MemorySize ?? 128,
      timeout: c.Timeout ?? 3,
      environment: c.Environment?.Variables ?? {},
      codeSha256: c.CodeSha256 ?? '',
      codeZipPath: doc.codeSha256Hex ? blobs.pathOf(doc.codeSha256Hex) : '',
      layers: doc.layers.map((l) => ({ arn: l.arn, codeSha256: base64OfHex(l.codeSha256Hex), zipPath: blobs.pathOf(l.codeSha256Hex) })),
      ephemeralStorageMb: c.EphemeralStorage?.Size ?? 512,
      architectures: c.Architectures ?? ['x86_64'],
      role: c.Role ?? '',
      logGroup: c.LoggingConfig?.LogGroup ?? `/aws/lambda/${ref.name}`,
      logFormat: c.LoggingConfig?.LogFormat === 'JSON' ? 'JSON' : 'Text',
      packageType: c.PackageType === 'Image' ? 'Image' : 'Zip',
      revisionId: c.RevisionId ?? '',
      ...(c.DeadLetterConfig?.TargetArn ? { deadLetterTargetArn: c.DeadLetterConfig.TargetArn } : {}),
    };
  }

  /** The event invoke config (retries, maximum age, destinations) for the version or alias invoked, if any. */
  eventInvokeConfig(accountId: string, region: string, functionName: string, qualifier?: string): { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number; DestinationConfig?: L.DestinationConfig } | undefined {
    const ref = this.p.ref({ accountId, region, partition: partitionOf(region) }, functionName, qualifier);
    const s = this.p.store.getSetting<StoredEventConfig>(ref.accountId, ref.region, ref.name, 'event-invoke', ref.qualifier ?? LATEST);
    return s && { MaximumRetryAttempts: s.MaximumRetryAttempts, MaximumEventAgeInSeconds: s.MaximumEventAgeInSeconds, DestinationConfig: s.DestinationConfig };
  }

  /** The function behind a function URL id (the first label of `<id>.lambda-url.<region>.localhost`). */
  functionUrl(urlId: string): FunctionUrlTarget | undefined {
    const found = this.p.store.getUrlById<StoredUrl>(urlId);
    if (!found) return undefined;
    return {
      accountId: found.accountId,
      region: found.region,
      functionName: found.name,
      functionArn: found.doc.FunctionArn,
      qualifier: found.qualifier || undefined,
      authType: found.doc.AuthType,
      cors: found.doc.Cors,
      invokeMode: found.doc.InvokeMode,
    };
  }

  /** The resource-based policy of the function (or of the qualifier), if any. */
  policy(accountId: string, region: string, functionName: string, qualifier?: string): PolicyDocument | undefined {
    return this.p.store.getPolicy(accountId, region, functionName, qualifier && qualifier !== LATEST ? qualifier : '')?.doc;
  }

  recursiveLoop(accountId: string, region: string, functionName: string): 'Allow' | 'Terminate' {
    return (this.p.store.getFunction(accountId, region, functionName)?.recursive_loop as 'Allow' | 'Terminate') ?? 'Terminate';
  }

  /** Account-level concurrency: the limit and what is left after reservations. */
  accountConcurrency(accountId: string, region: string): { limit: number; unreserved: number } {
    return { limit: ACCOUNT_CONCURRENCY, unreserved: ACCOUNT_CONCURRENCY - this.p.store.reservedElsewhere(accountId, region, '') };
  }
}

// ---------------------------------------------------------------- helpers

/**
 * ListFunctions returns a subset of FunctionConfiguration: "To get the additional fields (State,
 * StateReasonCode, StateReason, LastUpdateStatus, LastUpdateStatusReason,
 * LastUpdateStatusReasonCode, RuntimeVersionConfig) for a function or version, use GetFunction."
 * (Lambda API reference, ListFunctions).
 */
function listed(c: L.FunctionConfiguration): L.FunctionConfiguration {
  const { State, StateReason, StateReasonCode, LastUpdateStatus, LastUpdateStatusReason, LastUpdateStatusReasonCode, RuntimeVersionConfig, ...rest } = c;
  void [State, StateReason, StateReasonCode, LastUpdateStatus, LastUpdateStatusReason, LastUpdateStatusReasonCode, RuntimeVersionConfig];
  return rest;
}

function checkConfigEnums(input: Pick<L.CreateFunctionRequest, 'TracingConfig' | 'LoggingConfig' | 'SnapStart' | 'Architectures'> & { PackageType?: string }): void {
  checkEnums([
    ['packageType', input.PackageType, ENUMS.packageType],
    ['architectures', input.Architectures, ENUMS.architecture],
    ['tracingConfig.mode', input.TracingConfig?.Mode, ENUMS.tracingMode],
    ['loggingConfig.logFormat', input.LoggingConfig?.LogFormat, ENUMS.logFormat],
    ['loggingConfig.applicationLogLevel', input.LoggingConfig?.ApplicationLogLevel, ENUMS.logLevel],
    ['loggingConfig.systemLogLevel', input.LoggingConfig?.SystemLogLevel, ENUMS.systemLogLevel],
    ['snapStart.applyOn', input.SnapStart?.ApplyOn, ENUMS.snapStartApplyOn],
  ]);
}

interface LayerDoc {
  layerArn: string;
  version: number;
  description: string;
  createdDate: string;
  compatibleRuntimes?: string[];
  compatibleArchitectures?: string[];
  licenseInfo?: string;
  codeSha256Hex: string;
  size: number;
  unzippedSize: number;
}

interface StoredEventConfig {
  lastModified: number;
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: L.DestinationConfig;
}

interface StoredUrl {
  urlId: string;
  FunctionArn: string;
  AuthType: 'NONE' | 'AWS_IAM';
  Cors?: L.Cors;
  InvokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  CreationTime: string;
  LastModifiedTime: string;
}


const emptyPolicy = (): PolicyDocument => ({ Version: '2012-10-17', Id: 'default', Statement: [] });

function principalOf(principal: string): unknown {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal.startsWith('arn:')) return { AWS: principal };
  return { Service: principal };
}

function layerPolicyRevision(policy: PolicyDocument): string {
  return crypto.createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
}

function provisionedOut(s: { requested: number; lastModified: string }) {
  return {
    RequestedProvisionedConcurrentExecutions: s.requested,
    AvailableProvisionedConcurrentExecutions: s.requested,
    AllocatedProvisionedConcurrentExecutions: s.requested,
    Status: 'READY' as const,
    LastModified: s.lastModified,
  };
}

function layerListItem(d: LayerDoc): L.LayerVersionsListItem {
  return {
    LayerVersionArn: `${d.layerArn}:${d.version}`,
    Version: d.version,
    Description: d.description,
    CreatedDate: d.createdDate,
    ...(d.compatibleRuntimes?.length ? { CompatibleRuntimes: d.compatibleRuntimes } : {}),
    ...(d.licenseInfo !== undefined ? { LicenseInfo: d.licenseInfo } : {}),
    ...(d.compatibleArchitectures?.length ? { CompatibleArchitectures: d.compatibleArchitectures } : {}),
  };
}

function matchesLayerFilter(d: LayerDoc, runtime?: string, arch?: string): boolean {
  if (runtime && !(d.compatibleRuntimes ?? []).includes(runtime)) return false;
  if (arch && !(d.compatibleArchitectures ?? []).includes(arch)) return false;
  return true;
}

function loggingConfig(input: L.LoggingConfig | undefined, current: L.LoggingConfig | undefined, name: string): L.LoggingConfig {
  const format = input?.LogFormat ?? current?.LogFormat ?? 'Text';
  const out: L.LoggingConfig = { LogFormat: format, LogGroup: input?.LogGroup ?? current?.LogGroup ?? `/aws/lambda/${name}` };
  if (format === 'JSON') {
    out.ApplicationLogLevel = input?.ApplicationLogLevel ?? current?.ApplicationLogLevel ?? 'INFO';
    out.SystemLogLevel = input?.SystemLogLevel ?? current?.SystemLogLevel ?? 'INFO';
  } else if (input?.ApplicationLogLevel || input?.SystemLogLevel) {
    throw invalidParameter('ApplicationLogLevel and SystemLogLevel can only be set when LogFormat is JSON.');
  }
  return out;
}

function runtimeVersionArn(region: string, runtime: string): string {
  const digest = crypto.createHash('sha256').update(runtime).digest('hex');
  return `arn:aws:lambda:${region}::runtime:${digest}`;
}

function sha256Base64Text(s: string): string {
  return crypto.createHash('sha256').update(s).digest('base64');
}

/** What makes two versions the same for PublishVersion: code and configuration, not identity or timestamps. */
function configHash(doc: StoredVersion): string {
  const { FunctionArn, Version, LastModified, RevisionId, State, StateReason, StateReasonCode, LastUpdateStatus, LastUpdateStatusReason, LastUpdateStatusReasonCode, ...rest } = doc.config;
  void [FunctionArn, Version, LastModified, RevisionId, State, StateReason, StateReasonCode, LastUpdateStatus, LastUpdateStatusReason, LastUpdateStatusReasonCode];
  return crypto.createHash('sha256').update(JSON.stringify([rest, doc.layers, doc.imageUri ?? null])).digest('hex');
}

function portOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.port || (u.protocol === 'https:' ? '443' : '80');
  } catch {
    return undefined;
  }
}

function encodeMarker(m: { name: string; seq: number }): string {
  return Buffer.from(JSON.stringify(m)).toString('base64url');
}

function decodeMarker(marker: string | undefined): { name: string; seq: number } | undefined {
  if (!marker) return undefined;
  try {
    const m = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
    if (typeof m?.name === 'string' && typeof m?.seq === 'number') return m;
  } catch {
    /* fall through */
  }
  throw invalidParameter('Invalid marker: ' + marker);
}

/** Offset pagination for the small per-function lists (versions, aliases, settings). */
function paginate<T>(all: T[], marker: string | undefined, limit: number): { items: T[]; next?: string } {
  const start = marker ? decodeMarker(marker)!.seq : 0;
  const items = all.slice(start, start + limit);
  return { items, next: start + limit < all.length ? encodeMarker({ name: '', seq: start + limit }) : undefined };
}
