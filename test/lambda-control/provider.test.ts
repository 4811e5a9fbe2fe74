// The provider on its own (no HTTP): state transitions on a ManualClock, the change hook the
// execution engine uses to retire environments, and the snapshot it hands over.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import { LambdaProvider } from '../../src/services/lambda/provider.js';
import { standaloneProvider } from './provider-harness.js';
import { NODE_ZIP, ROLE, zipOf } from './helpers.js';

function setup() {
  const changed: string[] = [];
  return { ...standaloneProvider({ transitionMs: 1000, onFunctionChanged: (arn) => changed.push(arn) }), changed };
}

describe('LambdaProvider', () => {
  test('a write right after CreateFunction conflicts while Pending; time or a read settles it', async () => {
    const { clock, provider, ctx, close } = setup();
    try {
      const created = await provider.CreateFunction({ FunctionName: 'f', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: NODE_ZIP() } }, ctx);
      assert.equal(created.State, 'Pending');
      assert.throws(() => provider.UpdateFunctionConfiguration({ FunctionName: 'f', Timeout: 5 }, ctx), (e: any) => e.code === 'ResourceConflictException' && e.message === 'The operation cannot be performed at this time. The function is currently in the following state: Pending');
      assert.throws(() => provider.PublishVersion({ FunctionName: 'f' }, ctx), (e: any) => e.code === 'ResourceConflictException');
      await clock.advance(1000);
      const updated = provider.UpdateFunctionConfiguration({ FunctionName: 'f', Timeout: 5 }, ctx);
      assert.equal(updated.LastUpdateStatus, 'InProgress');
      await assert.rejects(provider.UpdateFunctionCode({ FunctionName: 'f', ZipFile: NODE_ZIP() }, ctx), (e: any) => e.code === 'ResourceConflictException' && /An update is in progress for resource: arn:aws:lambda:us-east-1:000000000000:function:f$/.test(e.message));
      assert.equal(provider.GetFunctionConfiguration({ FunctionName: 'f' }, ctx).LastUpdateStatus, 'Successful');
      await provider.UpdateFunctionCode({ FunctionName: 'f', ZipFile: NODE_ZIP() }, ctx);
    } finally {
      close();
    }
  });

  test('code and configuration changes and deletions are reported to the execution hook', async () => {
    const { clock, provider, ctx, changed, close } = setup();
    try {
      await provider.CreateFunction({ FunctionName: 'g', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: NODE_ZIP() }, Publish: true }, ctx);
      const before = provider.control.snapshot('000000000000', 'us-east-1', 'g');
      await provider.UpdateFunctionCode({ FunctionName: 'g', ZipFile: zipOf({ 'index.mjs': 'export const handler = () => 2;' }) }, ctx);
      await clock.advance(1000);
      provider.UpdateFunctionConfiguration({ FunctionName: 'g', Environment: { Variables: { MODE: 'x' } } }, ctx);
      assert.deepEqual(changed, ['arn:aws:lambda:us-east-1:000000000000:function:g:$LATEST', 'arn:aws:lambda:us-east-1:000000000000:function:g:$LATEST']);
      const after = provider.control.snapshot('000000000000', 'us-east-1', 'g');
      assert.notEqual(after.revisionId, before.revisionId);
      assert.notEqual(after.codeSha256, before.codeSha256);
      assert.deepEqual(after.environment, { MODE: 'x' });
      assert.equal(after.functionArn, 'arn:aws:lambda:us-east-1:000000000000:function:g');
      assert.equal(after.logGroup, '/aws/lambda/g');
      const v1 = provider.control.snapshot('000000000000', 'us-east-1', 'g', '1');
      assert.equal(v1.version, '1');
      assert.equal(v1.revisionId !== after.revisionId, true);
      changed.length = 0;
      provider.DeleteFunction({ FunctionName: 'g' }, ctx);
      assert.deepEqual(changed.sort(), ['arn:aws:lambda:us-east-1:000000000000:function:g:$LATEST', 'arn:aws:lambda:us-east-1:000000000000:function:g:1']);
      assert.throws(() => provider.control.resolveFunction('000000000000', 'us-east-1', 'g'), (e: any) => e.code === 'ResourceNotFoundException' && e.message === 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:g');
    } finally {
      close();
    }
  });

  test('resolveFunction takes names, partial and full ARNs, and rejects a qualifier that contradicts the name', async () => {
    const { provider, ctx, close } = setup();
    try {
      await provider.CreateFunction({ FunctionName: 'h', Runtime: 'python3.12', Handler: 'app.handler', Role: ROLE, Code: { ZipFile: NODE_ZIP() } }, ctx);
      for (const name of ['h', 'h:$LATEST', '000000000000:function:h', 'arn:aws:lambda:us-east-1:000000000000:function:h']) {
        const r = provider.control.resolveFunction('000000000000', 'us-east-1', name);
        assert.equal(r.candidates[0].snapshot.functionName, 'h');
        assert.equal(r.candidates[0].snapshot.runtime, 'python3.12');
      }
      assert.equal(provider.control.resolveFunction('000000000000', 'us-east-1', 'h:$LATEST').invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:h:$LATEST');
      assert.throws(() => provider.control.resolveFunction('000000000000', 'us-east-1', 'h:1', '2'), (e: any) => e.code === 'InvalidParameterValueException' && e.message === 'The derived qualifier from the function name does not match the specified qualifier.');
      assert.throws(() => provider.control.resolveFunction('000000000000', 'us-east-1', 'h', '7'), (e: any) => e.code === 'ResourceNotFoundException' && e.message === 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:h:7');
      assert.throws(() => provider.control.resolveFunction('000000000000', 'us-east-1', 'arn:aws:lambda:eu-west-1:000000000000:function:h'), (e: any) => e.code === 'InvalidParameterValueException');
    } finally {
      close();
    }
  });
});
