// Real SDK v3 clients for one target, over a keep-alive agent with enough sockets for the
// highest concurrency the bench uses. Retries are off: a throttled or failed call must show up
// as an error, not as a slow sample.
import http from 'node:http';
import { STSClient } from '@aws-sdk/client-sts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { IAMClient } from '@aws-sdk/client-iam';

export interface Clients {
  sts: STSClient;
  sqs: SQSClient;
  sns: SNSClient;
  lambda: LambdaClient;
  s3: S3Client;
  iam: IAMClient;
  destroy(): void;
}

export function createClients(endpoint: string): Clients {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
    // Long polls (20 s) and 1 GB uploads are the longest calls the bench makes.
    requestHandler: { httpAgent: agent, requestTimeout: 120_000 },
  };
  const made: { destroy(): void }[] = [];
  const lazy = <T extends { destroy(): void }>(make: () => T): (() => T) => {
    let c: T | undefined;
    return () => {
      if (!c) {
        c = make();
        made.push(c);
      }
      return c;
    };
  };
  const sts = lazy(() => new STSClient(common));
  const sqs = lazy(() => new SQSClient(common));
  const sns = lazy(() => new SNSClient(common));
  const lambda = lazy(() => new LambdaClient(common));
  const s3 = lazy(() => new S3Client({ ...common, forcePathStyle: true }));
  const iam = lazy(() => new IAMClient(common));
  return {
    get sts() {
      return sts();
    },
    get sqs() {
      return sqs();
    },
    get sns() {
      return sns();
    },
    get lambda() {
      return lambda();
    },
    get s3() {
      return s3();
    },
    get iam() {
      return iam();
    },
    destroy() {
      for (const c of made) c.destroy();
      agent.destroy();
    },
  };
}
