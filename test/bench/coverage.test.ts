import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectCoverage, implementsOperation, renderCoverage } from '../../scripts/coverage.js';
import { loadModel } from '../../src/core/model.js';

test('an operation counts when the provider has the method, own or inherited', () => {
  class Base {
    SendMessage() {}
  }
  class Provider extends Base {
    ReceiveMessage() {}
  }
  const p = Object.assign(new Provider(), { DeleteQueue: () => undefined, QueueUrl: 'not a method' });
  assert.equal(implementsOperation(p, 'SendMessage'), true);
  assert.equal(implementsOperation(p, 'ReceiveMessage'), true);
  assert.equal(implementsOperation(p, 'DeleteQueue'), true);
  assert.equal(implementsOperation(p, 'QueueUrl'), false);
  assert.equal(implementsOperation(p, 'PurgeQueue'), false);
});

test('the report lists every model operation per service with counts and notes', () => {
  const text = renderCoverage(
    [
      { service: 'sqs', title: 'Amazon Simple Queue Service', operations: [{ name: 'SendMessage', implemented: true }, { name: 'PurgeQueue', implemented: false }] },
      { service: 'sns', title: 'Amazon SNS', operations: [{ name: 'Publish', implemented: false }], loadError: 'boom' },
    ],
    '# Coverage notes\n\nSQS: FIFO throughput limits are not enforced.\n',
  );
  assert.match(text, /\| Amazon Simple Queue Service \| `sqs` \| 1 \| 2 \| 50% \|/);
  assert.match(text, /\| \*\*All\*\* \| \| \*\*1\*\* \| \*\*3\*\* \| \*\*33%\*\* \|/);
  assert.match(text, /\| SendMessage \| yes \|/);
  assert.match(text, /\| PurgeQueue \| - \|/);
  assert.match(text, /did not load.*boom/);
  assert.match(text, /FIFO throughput limits/);
  assert.doesNotMatch(text, /# Coverage notes/);
});

test('collectCoverage covers every operation of every model', async () => {
  const coverage = await collectCoverage();
  const sqs = coverage.find((s) => s.service === 'sqs')!;
  assert.equal(sqs.operations.length, Object.keys(loadModel('sqs').operations).length);
  assert.deepEqual(
    coverage.map((s) => s.service).sort(),
    ['iam', 'lambda', 'logs', 's3', 'sns', 'sqs', 'sts'],
  );
});
