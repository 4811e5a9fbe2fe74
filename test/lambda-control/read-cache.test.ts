// Hot reads served from memory (Invoke's function resolution, ListFunctions pages) must never
// show a state older than the last write: every write to the Lambda tables invalidates them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LambdaProvider } from '../../src/services/lambda/provider.js';
import { invokeControlOf } from '../../src/services/lambda/index.js';
import { standaloneProvider } from './provider-harness.js';
import { NODE_ZIP, ROLE } from './helpers.js';

const setup = () => standaloneProvider({ transitionMs: 1000 });

const create = (provider: LambdaProvider, ctx: any, name: string) =>
  provider.CreateFunction({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: NODE_ZIP() } }, ctx);

describe('read caches', () => {
  test('ListFunctions pages follow creates, updates and deletes, and still settle in-flight states', async () => {
    const { clock, provider, ctx, close } = setup();
    try {
      await create(provider, ctx, 'a');
      await create(provider, ctx, 'b');
      assert.equal(provider.GetFunctionConfiguration({ FunctionName: 'a' }, ctx).State, 'Active', 'a read settles the create');
      // b is still Pending: listing it settles it, as any describe call does
      assert.deepEqual(provider.ListFunctions({}, ctx).Functions!.map((f) => f.FunctionName), ['a', 'b']);
      // (a write right behind a create conflicts unless a read settled it first)
      assert.equal(provider.UpdateFunctionConfiguration({ FunctionName: 'b', Timeout: 5 }, ctx).Timeout, 5);
      const again = provider.ListFunctions({}, ctx);
      assert.deepEqual(again.Functions!.map((f) => f.FunctionName), ['a', 'b']);
      await clock.advance(1000);
      provider.UpdateFunctionConfiguration({ FunctionName: 'a', Description: 'changed' }, ctx);
      assert.equal(provider.ListFunctions({}, ctx).Functions![0].Description, 'changed');
      await create(provider, ctx, 'c');
      const paged = provider.ListFunctions({ MaxItems: 2 }, ctx);
      assert.deepEqual(paged.Functions!.map((f) => f.FunctionName), ['a', 'b']);
      assert.deepEqual(provider.ListFunctions({ Marker: paged.NextMarker }, ctx).Functions!.map((f) => f.FunctionName), ['c']);
      provider.DeleteFunction({ FunctionName: 'b' }, ctx);
      assert.deepEqual(provider.ListFunctions({}, ctx).Functions!.map((f) => f.FunctionName), ['a', 'c']);
      // the caller may do what it likes with the answer: the next one is unaffected
      again.Functions!.length = 0;
      assert.equal(provider.ListFunctions({}, ctx).Functions!.length, 2);
    } finally {
      close();
    }
  });

  test("Invoke's resolution follows configuration, concurrency and deletion", async () => {
    const { clock, provider, ctx, close } = setup();
    try {
      await create(provider, ctx, 'f');
      const control = invokeControlOf(provider);
      const scope = { accountId: ctx.accountId, region: ctx.region };
      const first = await control.resolve(scope, 'f', undefined);
      assert.deepEqual(first.versions[0].fn.environment, {});
      assert.equal(first.reservedConcurrency, undefined);
      assert.equal(await control.resolve(scope, 'f', undefined), first, 'nothing written: the same resolution');
      await clock.advance(1000);
      provider.UpdateFunctionConfiguration({ FunctionName: 'f', Environment: { Variables: { MODE: 'x' } } }, ctx);
      const updated = await control.resolve(scope, 'f', undefined);
      assert.deepEqual(updated.versions[0].fn.environment, { MODE: 'x' });
      assert.notEqual(updated.versions[0].fn.revisionId, first.versions[0].fn.revisionId);
      provider.PutFunctionConcurrency({ FunctionName: 'f', ReservedConcurrentExecutions: 0 }, ctx);
      assert.equal((await control.resolve(scope, 'f', undefined)).reservedConcurrency, 0);
      provider.DeleteFunction({ FunctionName: 'f' }, ctx);
      await assert.rejects(async () => control.resolve(scope, 'f', undefined), (e: any) => e.code === 'ResourceNotFoundException');
    } finally {
      close();
    }
  });
});
