// The yardstick for scripts/perf/hotpath.ts: a keep-alive Node HTTP server that reads each
// request body and answers with a fixed, valid AWS response (STS GetCallerIdentity as query XML,
// SQS CreateQueue/SendMessage as JSON 1.0). Plain JavaScript importing only node:*, so its
// start-up and RSS are those of a bare Node server.
import crypto from 'node:crypto';
import http from 'node:http';

const port = Number(process.argv[process.argv.indexOf('--port') + 1] || 0);
const BODY = process.env.PERF_MESSAGE_BODY || 'nimbus-perf-message-0123456789abcdef';
const MD5 = crypto.createHash('md5').update(BODY).digest('hex');
const REQUEST_ID = 'c0ffee00-0000-4000-8000-000000000000';
const sts =
  '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
  '<Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId><Account>000000000000</Account>' +
  `</GetCallerIdentityResult><ResponseMetadata><RequestId>${REQUEST_ID}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
const json = {
  'AmazonSQS.CreateQueue': JSON.stringify({ QueueUrl: `http://127.0.0.1:${port}/000000000000/perf` }),
  'AmazonSQS.SendMessage': JSON.stringify({ MessageId: '5fea7756-0ea4-451a-a703-a558b933e274', MD5OfMessageBody: MD5 }),
};

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/_nimbus/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    const target = req.headers['x-amz-target'];
    const body = target ? json[target] ?? '{}' : sts;
    const type = target ? 'application/x-amz-json-1.0' : 'text/xml';
    res.writeHead(200, { 'content-type': type, 'x-amzn-requestid': REQUEST_ID, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
