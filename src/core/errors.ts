// The one error type providers throw. Protocol codecs render it in the caller's wire format
// (JSON __type, query <ErrorResponse>, S3 <Error>), so a provider never knows how it is sent.
export interface ServiceErrorOptions {
  status?: number;
  senderFault?: boolean;
  /** Extra members of the error shape (e.g. Lambda's Type/Reason, S3's BucketName). */
  fields?: Record<string, unknown>;
  /** Extra response headers (e.g. Retry-After). */
  headers?: Record<string, string>;
}

export class ServiceError extends Error {
  readonly code: string;
  readonly status: number;
  readonly senderFault: boolean;
  readonly fields: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: string, message = '', opts: ServiceErrorOptions = {}) {
    super(message);
    this.code = code;
    this.status = opts.status ?? 400;
    this.senderFault = opts.senderFault ?? this.status < 500;
    this.fields = opts.fields ?? {};
    this.headers = opts.headers ?? {};
  }
}

/** An operation that the model has and Nimbus does not implement yet. */
export class NotImplementedError extends ServiceError {
  constructor(service: string, operation: string) {
    super('NotImplemented', `Nimbus does not implement ${service}:${operation} yet.`, { status: 501, senderFault: false });
  }
}

/** Unexpected failures inside Nimbus: rendered as the service's InternalFailure, never a bare 500 page. */
export class InternalError extends ServiceError {
  constructor(message = 'We encountered an internal error. Please try again.') {
    super('InternalFailure', message, { status: 500, senderFault: false });
  }
}
