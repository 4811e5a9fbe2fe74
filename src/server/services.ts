// Creates each service's provider on first use and gives services their way to call each
// other (the InternalClient): through the target provider and its input validation, as the
// HTTP pipeline would, but without HTTP.
import crypto from 'node:crypto';
import { ServiceError, NotImplementedError } from '../core/errors.js';
import { partitionOf, type RequestContext } from '../core/context.js';
import { loadModel } from '../core/model.js';
import { serviceByName, services } from '../services/registry.js';
import type { InternalClient, Provider, ServiceDefinition, ServiceDeps, ServiceModule } from '../services/types.js';
import { defaultValidationError, validateInput } from './validation.js';

export interface LoadedService {
  def: ServiceDefinition;
  module: ServiceModule;
  provider: Provider;
}

export class ServiceHost {
  private loaded = new Map<string, Promise<LoadedService>>();
  readonly internal: InternalClient;

  constructor(private readonly base: Omit<ServiceDeps, 'internal'>) {
    this.internal = {
      call: (service, operation, input, where) => this.callInternal(service, operation, input, where),
      provider: async <T,>(service: string) => (await this.load(service)).provider as T,
    };
  }

  load(name: string): Promise<LoadedService> {
    let p = this.loaded.get(name);
    if (!p) {
      const def = serviceByName(name);
      if (!def) return Promise.reject(new Error(`no service ${name}`));
      p = (async () => {
        const module = await def.load();
        const provider = await module.createProvider({ ...this.base, internal: this.internal });
        return { def, module, provider };
      })();
      this.loaded.set(name, p);
      p.catch(() => this.loaded.delete(name));
    }
    return p;
  }

  /** Services with background work (queued invocations, pollers) resume with Nimbus. */
  async startBackground(): Promise<void> {
    for (const s of services) if (s.background) await this.load(s.name);
  }

  loadedNames(): string[] {
    return [...this.loaded.keys()];
  }

  /** Validates the input and calls the provider; the caller renders what it throws. */
  async invoke(loaded: LoadedService, operation: string, input: Record<string, unknown>, ctx: RequestContext): Promise<unknown> {
    const issues = validateInput(loaded.def.name, operation, input);
    if (issues.length) throw loaded.module.validationError?.(issues, operation) ?? defaultValidationError(issues);
    const fn = (loaded.provider as Record<string, unknown>)[operation];
    if (typeof fn !== 'function') throw new NotImplementedError(loaded.def.name, operation);
    return await (fn as (i: unknown, c: RequestContext) => unknown).call(loaded.provider, input, ctx);
  }

  private async callInternal(service: string, operation: string, input: object, where: { accountId: string; region: string }): Promise<any> {
    const loaded = await this.load(service);
    if (!loadModel(service).operations[operation]) throw new ServiceError('InvalidAction', `No operation ${operation} in ${service}`);
    const endpoint = this.base.endpoint();
    const ctx: RequestContext = {
      requestId: crypto.randomUUID(),
      accountId: where.accountId,
      region: where.region,
      partition: partitionOf(where.region),
      service,
      operation,
      host: new URL(endpoint).host,
      endpoint,
      sourceIp: '127.0.0.1',
      headers: {},
    };
    return this.invoke(loaded, operation, input as Record<string, unknown>, ctx);
  }

  async quiesce(): Promise<void> {
    for (const p of this.loaded.values()) {
      try {
        const l = await p;
        await l.module.quiesce?.(l.provider);
      } catch {
        /* a service that failed to load has nothing to quiesce */
      }
    }
  }

  async close(): Promise<void> {
    for (const p of this.loaded.values()) {
      try {
        const l = await p;
        await l.module.close?.(l.provider);
      } catch {
        /* a service that failed to load has nothing to close */
      }
    }
  }
}
