// What a service module gives the pipeline, and what the pipeline gives a service.
// A service knows no protocol: its provider takes and returns plain objects with AWS's
// member names and throws ServiceError subclasses (generated in src/generated/<svc>.ts).
import type { Config } from '../core/config.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { RequestContext } from '../core/context.js';
import type { ServiceError } from '../core/errors.js';
import type { Db } from '../store/db.js';
import type { BlobStore } from '../store/blobs.js';
import type { ProtocolName, WireRequest, WireResponse } from '../protocols/types.js';

export type Provider = object;

/** A constraint violation found by ajv, in AWS terms. */
export interface ValidationIssue {
  /** member path as AWS names it, e.g. "functionName" or "entries.1.member.id" for Coral-style services */
  path: string[];
  /** the offending value (undefined when a required member is missing) */
  value: unknown;
  kind: 'required' | 'minLength' | 'maxLength' | 'pattern' | 'minimum' | 'maximum' | 'minItems' | 'maxItems' | 'minProperties' | 'maxProperties' | 'type' | 'other';
  /** the constraint's value: the limit, the pattern... */
  limit?: unknown;
}

/**
 * Calls another service's operation in-process, through that service's provider and input
 * validation (so S3 -> SQS delivery meets SQS's own checks). `ctx` names the account and
 * region that own the target resource.
 */
export interface InternalClient {
  call<T = any>(service: string, operation: string, input: object, ctx: { accountId: string; region: string }): Promise<T>;
  /** The running provider of a service (created on first use), for engines that need more than operations. */
  provider<T = Provider>(service: string): Promise<T>;
}

export interface ServiceDeps {
  config: Config;
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  log: Logger;
  internal: InternalClient;
  /** http://host:port on which this Nimbus serves, as handlers and callbacks should reach it */
  endpoint(): string;
}

export interface ServiceModule {
  /** Creates the provider. Called once, on first use of the service (or at start-up when `background` is set). */
  createProvider(deps: ServiceDeps): Provider | Promise<Provider>;
  /** Maps ajv's findings to the service's own validation error. Default: Coral-style ValidationException. */
  validationError?(issues: ValidationIssue[], operation: string): ServiceError;
  /**
   * First step of a shutdown, while in-flight requests finish: ends waits that would hold them
   * (SQS long polls) and stops background pollers. Close follows.
   */
  quiesce?(provider: Provider): Promise<void> | void;
  /** Stops timers, pollers and child processes on shutdown. */
  close?(provider: Provider): Promise<void> | void;
  /**
   * Serves the service's non-API HTTP endpoints (function URLs, code downloads, the SNS signing
   * certificate, developer endpoints): requests matched by the definition's `raw` patterns.
   */
  handleRaw?(provider: Provider, req: WireRequest, ctx: RequestContext): Promise<WireResponse>;
  /**
   * Answers requests the service serves outside its model's operations (S3's CORS preflight
   * and browser form uploads), before the body is read (`req.stream` is the unread body).
   * Undefined lets the request continue to its operation.
   */
  intercept?(provider: Provider, req: WireRequest, ctx: RequestContext): Promise<WireResponse | undefined>;
  /** Adjusts an operation's successful response (S3 adds CORS headers to cross-origin requests). */
  decorateResponse?(provider: Provider, input: Record<string, unknown>, req: WireRequest, response: WireResponse): void;
}

export interface ServiceDefinition {
  /** folder name under schemas/ */
  name: string;
  /** SigV4 credential-scope service names that address this service */
  signingNames: string[];
  /** protocols the service is served over; the first is the model's own */
  protocols: ProtocolName[];
  /** request body limit in bytes for an operation (bodies streamed to a provider are not counted) */
  bodyLimit?(operation: string): number;
  /** the service's own error for a body over that limit (default: a generic 413) */
  bodyTooLarge?(limit: number, operation: string): ServiceError;
  /** non-API endpoints routed to the module's handleRaw before API dispatch */
  raw?: { pathPrefixes?: string[]; hosts?: RegExp[] };
  /** providers with work of their own (pollers, queued invocations) start with Nimbus, not on first request */
  background?: boolean;
  load(): Promise<ServiceModule>;
}
