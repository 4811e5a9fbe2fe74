// What every provider knows about the request it serves, without knowing the protocol.
export interface RequestContext {
  requestId: string;
  accountId: string;
  region: string;
  /** aws, aws-cn or aws-us-gov, from the region */
  partition: string;
  service: string;
  operation: string;
  /** The Host header as the client sent it (queue URLs and function URLs are built from it). */
  host: string;
  /** scheme://host[:port] the client used to reach Nimbus */
  endpoint: string;
  sourceIp: string;
  /** Access key id from the SigV4 signature, when the request was signed. */
  accessKeyId?: string;
  /** Headers of the HTTP request, lower-cased, for the few operations that read them directly. */
  headers: Record<string, string | string[] | undefined>;
}

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

export function arn(ctx: Pick<RequestContext, 'partition' | 'region' | 'accountId'>, service: string, resource: string, opts: { region?: string; account?: string } = {}): string {
  return `arn:${ctx.partition}:${service}:${opts.region ?? ctx.region}:${opts.account ?? ctx.accountId}:${resource}`;
}
