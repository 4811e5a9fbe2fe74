// The ceiling: a trivial keep-alive Node HTTP server that answers every benchmark workload with
// a fixed, valid response of the same wire protocol as AWS (query XML, JSON 1.0, rest-json,
// rest-xml). It shows what any Node server can reach with the same SDK client on the same
// machine; the bench prints Nimbus's figures as ratios to it. It does no work per request
// beyond reading the body and picking a canned answer, and imports nothing but node:http and
// node:crypto so that its start-up and RSS are those of a bare Node server.
//
// Canned bodies are built for the bench's own fixed inputs: SDK v3 SQS verifies
// MD5OfMessageBody against what it sent, so the ceiling's SendMessage answers carry the MD5 of
// CEILING_MESSAGE_BODY, the body the workloads send.
import crypto from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

export const CEILING_MESSAGE_BODY = 'nimbus-bench-message-0123456789abcdef';
export const CEILING_ACCOUNT = '000000000000';
const md5 = (s: string) => crypto.createHash('md5').update(s).digest('hex');
const BODY_MD5 = md5(CEILING_MESSAGE_BODY);
const REQUEST_ID = 'c0ffee00-0000-4000-8000-000000000000';
const MESSAGE_ID = '5fea7756-0ea4-451a-a703-a558b933e274';

const XMLNS: Record<string, string> = {
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sqs: 'http://queue.amazonaws.com/doc/2012-11-05/',
};

function queryResponse(service: string, action: string, result: string): string {
  return (
    `<${action}Response xmlns="${XMLNS[service] ?? XMLNS.sts}"><${action}Result>${result}</${action}Result>` +
    `<ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></${action}Response>`
  );
}

const QUERY_RESULTS: Record<string, string> = {
  GetCallerIdentity: `<Arn>arn:aws:iam::${CEILING_ACCOUNT}:root</Arn><UserId>${CEILING_ACCOUNT}</UserId><Account>${CEILING_ACCOUNT}</Account>`,
  Publish: `<MessageId>${MESSAGE_ID}</MessageId>`,
  CreateTopic: `<TopicArn>arn:aws:sns:us-east-1:${CEILING_ACCOUNT}:ceiling</TopicArn>`,
  Subscribe: `<SubscriptionArn>arn:aws:sns:us-east-1:${CEILING_ACCOUNT}:ceiling:${MESSAGE_ID}</SubscriptionArn>`,
  CreateRole:
    `<Role><Path>/</Path><RoleName>ceiling</RoleName><RoleId>AROACEILING000000000</RoleId>` +
    `<Arn>arn:aws:iam::${CEILING_ACCOUNT}:role/ceiling</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></Role>`,
};

const functionConfiguration = (name: string) => ({
  FunctionName: name,
  FunctionArn: `arn:aws:lambda:us-east-1:${CEILING_ACCOUNT}:function:${name}`,
  Runtime: 'nodejs20.x',
  Role: `arn:aws:iam::${CEILING_ACCOUNT}:role/nimbus-bench`,
  Handler: 'index.handler',
  CodeSize: 1048576,
  Description: '',
  Timeout: 3,
  MemorySize: 128,
  LastModified: '2026-01-01T00:00:00.000+0000',
  CodeSha256: 'mA9HQIbUvXbVaB3Yy5n7eeKE0o0/5kMZ6Ej2rjWHFbw=',
  Version: '$LATEST',
  TracingConfig: { Mode: 'PassThrough' },
  RevisionId: '7a2ba0bb-0000-4000-8000-000000000000',
  State: 'Active',
  LastUpdateStatus: 'Successful',
  PackageType: 'Zip',
  Architectures: ['x86_64'],
  EphemeralStorage: { Size: 512 },
  SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
  LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` },
});

const sqsMessages = Array.from({ length: 10 }, (_, i) => ({
  MessageId: `${MESSAGE_ID.slice(0, -2)}${String(i).padStart(2, '0')}`,
  ReceiptHandle: `AQEB${'x'.repeat(160)}${i}`,
  MD5OfBody: BODY_MD5,
  Body: CEILING_MESSAGE_BODY,
}));
const ids = Array.from({ length: 10 }, (_, i) => String(i));

const SQS_JSON: Record<string, string> = {
  SendMessage: JSON.stringify({ MessageId: MESSAGE_ID, MD5OfMessageBody: BODY_MD5 }),
  SendMessageBatch: JSON.stringify({
    Successful: ids.map((Id, i) => ({ Id, MessageId: sqsMessages[i].MessageId, MD5OfMessageBody: BODY_MD5 })),
    Failed: [],
  }),
  ReceiveMessage: JSON.stringify({ Messages: sqsMessages }),
  DeleteMessageBatch: JSON.stringify({ Successful: ids.map((Id) => ({ Id })), Failed: [] }),
  GetQueueAttributes: JSON.stringify({ Attributes: { QueueArn: `arn:aws:sqs:us-east-1:${CEILING_ACCOUNT}:ceiling` } }),
};

const LIST_FUNCTIONS = JSON.stringify({
  Functions: Array.from({ length: 50 }, (_, i) => functionConfiguration(`bench-fn-${i}`)),
  NextMarker: 'bench-fn-49',
});
const GET_FUNCTION = JSON.stringify({
  Configuration: functionConfiguration('bench-fn'),
  Code: { RepositoryType: 'S3', Location: 'http://127.0.0.1/_nimbus/lambda/code/bench-fn' },
  Tags: {},
});
const CREATE_FUNCTION = JSON.stringify(functionConfiguration('bench-fn'));
const INVOKE_PAYLOAD = JSON.stringify({ ok: true });

const S3_ETAG = `"${md5('ceiling')}"`;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const xml = (status: number, body: string, extra: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': 'text/xml', ...extra },
  body,
});
const json = (status: number, body: string, contentType = 'application/json', extra: Record<string, string> = {}): Answer => ({
  status,
  headers: { 'content-type': contentType, ...extra },
  body,
});

function signingService(authorization: string | undefined): string {
  const m = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(authorization ?? '');
  return m ? m[1] : '';
}

export function answer(method: string, url: string, headers: http.IncomingHttpHeaders, body: string): Answer {
  const [pathname, query = ''] = url.split('?', 2);
  if (pathname === '/_nimbus/health') return json(200, '{"status":"ok","server":"ceiling"}');
  const service = signingService(headers.authorization);
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const op = target.slice(target.indexOf('.') + 1);
    if (op === 'CreateQueue' || op === 'GetQueueUrl') {
      return json(200, JSON.stringify({ QueueUrl: `http://${headers.host}/${CEILING_ACCOUNT}/ceiling` }), 'application/x-amz-json-1.0');
    }
    return json(200, SQS_JSON[op] ?? '{}', 'application/x-amz-json-1.0');
  }
  if (service === 'lambda') {
    if (pathname.endsWith('/invocations')) {
      if (headers['x-amz-invocation-type'] === 'Event') return json(202, '');
      return json(200, INVOKE_PAYLOAD, 'application/json', { 'x-amz-executed-version': '$LATEST' });
    }
    if (method === 'POST' && /^\/2015-03-31\/functions\/?$/.test(pathname)) return json(201, CREATE_FUNCTION);
    if (method === 'GET' && /^\/2015-03-31\/functions\/?$/.test(pathname)) return json(200, LIST_FUNCTIONS);
    if (method === 'GET' && /^\/2015-03-31\/functions\/[^/]+$/.test(pathname)) return json(200, GET_FUNCTION);
    return json(200, '{}');
  }
  if (service === 's3') {
    if (method === 'PUT') return xml(200, '', { etag: S3_ETAG });
    if (method === 'POST' && query.startsWith('uploads')) {
      return xml(
        200,
        '<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          '<Bucket>ceiling</Bucket><Key>ceiling</Key><UploadId>ceiling-upload</UploadId></InitiateMultipartUploadResult>',
      );
    }
    if (method === 'POST' && query.includes('uploadId=')) {
      return xml(
        200,
        '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
          `<Location>http://${headers.host}/ceiling/ceiling</Location><Bucket>ceiling</Bucket><Key>ceiling</Key><ETag>&quot;${md5('mpu')}-2&quot;</ETag>` +
          '</CompleteMultipartUploadResult>',
      );
    }
    return xml(200, '');
  }
  // Query protocol (STS, SNS, IAM): the action is a form field of the body.
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(body)?.[1];
  if (action) return xml(200, queryResponse(service, action, QUERY_RESULTS[action] ?? ''));
  return json(404, '{"message":"not a benchmark workload"}');
}

export function createCeilingServer(): http.Server {
  const server = http.createServer((req, res) => {
    // Only small bodies are kept (query actions); object uploads are read and dropped.
    const chunks: Buffer[] = [];
    let kept = 0;
    req.on('data', (c: Buffer) => {
      if (kept < 65_536) {
        chunks.push(c);
        kept += c.length;
      }
    });
    req.on('end', () => {
      const a = answer(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks).toString('latin1'));
      res.writeHead(a.status, { ...a.headers, 'x-amzn-requestid': REQUEST_ID, 'x-amz-request-id': REQUEST_ID, 'content-length': Buffer.byteLength(a.body) });
      res.end(a.body);
    });
  });
  // Keep-alive for as long as a benchmark run may leave a connection idle between rounds.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  return server;
}

function flag(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = createCeilingServer();
  server.listen(Number(flag('--port', '4567')), flag('--host', '127.0.0.1'), () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`Nimbus bench ceiling\n  endpoint: http://127.0.0.1:${port}\nReady.\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
