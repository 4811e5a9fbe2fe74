// The contract between the request pipeline (src/server/app.ts) and the wire codecs.
// A codec knows one AWS protocol and reads the service model; it knows no service.
import type { Readable } from 'node:stream';
import type { ServiceError } from '../core/errors.js';
import type { ServiceModel } from '../core/model.js';
import type { RequestContext } from '../core/context.js';

export type ProtocolName = 'json' | 'rest-json' | 'query' | 'rest-xml';

export interface WireRequest {
  method: string;
  /** path without the query string, still percent-encoded as sent */
  rawPath: string;
  /** query string without '?', as sent */
  rawQuery: string;
  /** lower-cased header names; repeated headers joined with ', ' */
  headers: Record<string, string>;
  /**
   * The whole body. For operations whose input has a streaming payload (S3 PutObject,
   * UploadPart) the pipeline leaves it empty and passes `stream` instead.
   */
  body: Buffer;
  stream?: Readable;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body?: Buffer | string | Readable;
}

export interface Codec {
  readonly name: ProtocolName;
  /**
   * The operation the request calls, or undefined when the model has none that matches
   * (the pipeline then answers the protocol's unknown-operation error).
   */
  resolveOperation(req: WireRequest, model: ServiceModel): string | undefined;
  /** True when the operation's input payload is a stream the pipeline must not buffer. */
  hasStreamingInput?(model: ServiceModel, operation: string): boolean;
  /** Builds the operation's input (AWS member names) from the request; throws ServiceError on malformed input. */
  parse(req: WireRequest, model: ServiceModel, operation: string): Record<string, unknown>;
  serialize(output: unknown, model: ServiceModel, operation: string, ctx: RequestContext): WireResponse;
  serializeError(err: ServiceError, model: ServiceModel, ctx: RequestContext): WireResponse;
  /**
   * The error this protocol's services answer when resolveOperation found nothing (Lambda:
   * 404 UnknownOperationException; S3: 405 MethodNotAllowed). Absent: the pipeline's default.
   */
  unknownOperationError?(req: WireRequest, model: ServiceModel): ServiceError;
}
