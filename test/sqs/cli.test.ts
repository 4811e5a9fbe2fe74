// The real aws CLI (JSON protocol through botocore) against Nimbus: a user's first commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cliEnv, startNimbus } from '../helpers/server.js';

const run = promisify(execFile);

test('aws CLI: create-queue, send-message, receive-message, errors', async () => {
  const n = await startNimbus();
  const aws = async (...args: string[]) => JSON.parse((await run('aws', ['--endpoint-url', n.endpoint, '--output', 'json', 'sqs', ...args], { env: cliEnv() })).stdout || '{}');
  try {
    const { QueueUrl } = await aws('create-queue', '--queue-name', 'cli-q', '--attributes', 'VisibilityTimeout=5');
    assert.equal(QueueUrl, `${n.endpoint}/000000000000/cli-q`);
    const sent = await aws('send-message', '--queue-url', QueueUrl, '--message-body', 'hello world', '--message-attributes', '{"n":{"DataType":"Number","StringValue":"7"}}');
    assert.equal(sent.MD5OfMessageBody, '5eb63bbbe01eeed093cb22bb8f5acdc3');
    const got = await aws('receive-message', '--queue-url', QueueUrl, '--message-attribute-names', 'All', '--attribute-names', 'All');
    assert.equal(got.Messages[0].Body, 'hello world');
    assert.equal(got.Messages[0].MessageAttributes.n.StringValue, '7');
    assert.equal(got.Messages[0].MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    const err = await run('aws', ['--endpoint-url', n.endpoint, 'sqs', 'get-queue-url', '--queue-name', 'missing'], { env: cliEnv() }).catch((e) => e);
    assert.ok([254, 255].includes(err.code), `exit code ${err.code}`); // v2 exits 254 on service errors, v1 255
    assert.match(err.stderr, /AWS\.SimpleQueueService\.NonExistentQueue|QueueDoesNotExist/);
    assert.match(err.stderr, /The specified queue does not exist/);
  } finally {
    await n.close();
  }
});
