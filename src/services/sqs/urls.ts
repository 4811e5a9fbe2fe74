// Queue URLs. AWS's form is https://sqs.<region>.amazonaws.com/<account>/<name>; Nimbus builds
// http://<Host of the request>/<account>/<name>, so the URL works from wherever the client
// reached Nimbus (the SDK v3 sends queue operations to the QueueUrl's own host). Any URL is
// resolved by its last two path segments, so URLs in the other common local forms
// (sqs.<region>.localhost.localstack.cloud:4566/<account>/<name>, <region>.queue.localhost...,
// or the real amazonaws.com host) name the same queue.

export interface QueueAddress {
  /** undefined when the caller passed a bare queue name */
  accountId?: string;
  name: string;
  /** region named by the host (sqs.<region>.… or <region>.queue.…), when it names one */
  region?: string;
}

const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';
const HOST_REGION = [new RegExp(`^sqs\\.(${REGION})\\.`), new RegExp(`^(${REGION})\\.queue\\.`)];

export function regionOfHost(host: string): string | undefined {
  for (const re of HOST_REGION) {
    const m = re.exec(host.toLowerCase());
    if (m) return m[1];
  }
  return undefined;
}

/** Undefined when the value cannot name a queue. */
export function parseQueueUrl(url: string): QueueAddress | undefined {
  const value = url.trim();
  if (!value) return undefined;
  if (!value.includes('/')) return { name: value };
  let host = '';
  let path = value;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)([^?#]*)/i.exec(value);
  if (scheme) {
    host = scheme[1];
    path = scheme[2];
  }
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length < 2) return undefined;
  const [accountId, name] = segments.slice(-2);
  let decodedName: string;
  try {
    decodedName = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return { accountId, name: decodedName, region: host ? regionOfHost(host.replace(/:\d+$/, '')) : undefined };
}

export function queueUrl(endpoint: string, accountId: string, name: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${accountId}/${name}`;
}

export interface QueueArn {
  partition: string;
  region: string;
  accountId: string;
  name: string;
}

export function parseQueueArn(arn: string): QueueArn | undefined {
  const m = /^arn:([\w-]+):sqs:([a-z0-9-]+):(\d{12}):([\w-]{1,80}(?:\.fifo)?)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], region: m[2], accountId: m[3], name: m[4] };
}

/**
 * For internal callers (SNS, S3 notifications, Lambda destinations) that know a queue by ARN:
 * the URL under which this Nimbus serves it. Pass the ARN's region as the call's region.
 */
export function queueUrlFromArn(arn: string, endpoint: string): string {
  const parsed = parseQueueArn(arn);
  if (!parsed) throw new Error(`not an SQS queue ARN: ${arn}`);
  return queueUrl(endpoint, parsed.accountId, parsed.name);
}
