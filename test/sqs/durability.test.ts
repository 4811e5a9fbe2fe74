// Durability with a data directory: messages survive a restart and a kill -9 under load,
// exactly once; in-flight messages come back after their visibility timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ManualClock } from '../../src/core/clock.js';
import { startNimbus } from '../helpers/server.js';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

async function drain(client: SQSClient, QueueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const r = await client.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    if (!r.Messages) return bodies;
    for (const m of r.Messages) {
      bodies.push(m.Body!);
      await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}

test('messages survive a restart; in-flight ones reappear after their timeout', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-sqs-'));
  const clock = new ManualClock();
  try {
    let n = await startNimbus({ dataDir, clock });
    let client = new SQSClient(n.clientConfig);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'durable', Attributes: { VisibilityTimeout: '30' } }));
    for (const body of ['a', 'b', 'c']) await client.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    const inFlight = await client.send(new ReceiveMessageCommand({ QueueUrl }));
    const deleted = await client.send(new ReceiveMessageCommand({ QueueUrl }));
    await client.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: deleted.Messages![0].ReceiptHandle }));
    await n.close();

    n = await startNimbus({ dataDir, clock });
    client = new SQSClient(n.clientConfig);
    const url = QueueUrl!.replace(/^http:\/\/[^/]+/, n.endpoint);
    const attrs = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    assert.equal(attrs.Attributes!.ApproximateNumberOfMessages, '1');
    assert.equal(attrs.Attributes!.ApproximateNumberOfMessagesNotVisible, '1');
    assert.equal(attrs.Attributes!.VisibilityTimeout, '30');
    await clock.advance(30_000);
    const rest = await drain(client, url);
    assert.deepEqual(rest.sort(), ['a', 'b', 'c'].filter((b) => b !== deleted.Messages![0].Body).sort());
    assert.ok(rest.includes(inFlight.Messages![0].Body!));
    await n.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

function startChild(dataDir: string): Promise<{ endpoint: string; kill(): void; exited: Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--data-dir', dataDir, '--log-level', 'error'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /endpoint\s+(http:\/\/\S+)/.exec(out);
      if (m) resolve({ endpoint: m[1], kill: () => child.kill('SIGKILL'), exited });
    });
    child.once('exit', (code) => reject(new Error(`nimbus exited (${code}) before it was ready: ${out}`)));
  });
}

test('kill -9 under load: every acknowledged send is there exactly once after restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-sqs-kill-'));
  try {
    const nimbus = await startChild(dataDir);
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    let client = new SQSClient({ region: 'us-east-1', credentials, maxAttempts: 1, endpoint: nimbus.endpoint });
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'load' }));
    const acked = new Set<string>();
    let stop = false;
    const senders = Array.from({ length: 4 }, async (_, s) => {
      for (let i = 0; !stop; i++) {
        const entries = Array.from({ length: 10 }, (_, j) => ({ Id: `e${j}`, MessageBody: `${s}-${i}-${j}` }));
        try {
          const r = await client.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries }));
          for (const ok of r.Successful ?? []) acked.add(entries[Number(ok.Id!.slice(1))].MessageBody);
        } catch {
          return; // the server died under this request: not acknowledged
        }
      }
    });
    await new Promise((r) => setTimeout(r, 700));
    nimbus.kill();
    stop = true;
    await Promise.all(senders);
    await nimbus.exited;
    assert.ok(acked.size > 0);

    // restart (in-process) on the same data directory
    const restarted = await startNimbus({ dataDir });
    try {
      client = new SQSClient(restarted.clientConfig);
      const url = QueueUrl!.replace(/^http:\/\/[^/]+/, restarted.endpoint);
      const bodies = await drain(client, url);
      const unique = new Set(bodies);
      assert.equal(unique.size, bodies.length, 'no message twice');
      for (const b of acked) assert.ok(unique.has(b), `acknowledged message ${b} lost`);
    } finally {
      await restarted.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
