// Shutdown: stop accepting, let in-flight requests finish (ending long polls at once), close the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startNimbus } from '../helpers/server.js';

test('closing Nimbus answers a pending 20 s long poll at once instead of waiting for it', async () => {
  const nimbus = await startNimbus();
  const sqs = new SQSClient(nimbus.clientConfig);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'shutdown-poll' }));
  const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
  await new Promise((r) => setTimeout(r, 100));
  const started = performance.now();
  await nimbus.close();
  const received = await polling;
  assert.equal(received.Messages, undefined);
  assert.ok(performance.now() - started < 3000, `close took ${performance.now() - started} ms`);
});
