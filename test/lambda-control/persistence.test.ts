// With a data directory, functions, versions, aliases and code survive a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LambdaClient, CreateFunctionCommand, GetFunctionCommand, PublishVersionCommand, CreateAliasCommand, GetAliasCommand } from '@aws-sdk/client-lambda';
import { IAMClient, CreateRoleCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { startNimbus } from '../helpers/server.js';
import { NODE_ZIP, ROLE } from './helpers.js';

test('state and code survive a restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nimbus-lambda-persist-'));
  try {
    const zip = NODE_ZIP();
    let nimbus = await startNimbus({ dataDir });
    try {
      const lambda = new LambdaClient(nimbus.clientConfig);
      await lambda.send(new CreateFunctionCommand({ FunctionName: 'kept', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }));
      await lambda.send(new GetFunctionCommand({ FunctionName: 'kept' }));
      await lambda.send(new PublishVersionCommand({ FunctionName: 'kept' }));
      await lambda.send(new CreateAliasCommand({ FunctionName: 'kept', Name: 'live', FunctionVersion: '1' }));
      await new IAMClient(nimbus.clientConfig).send(new CreateRoleCommand({ RoleName: 'kept-role', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
      lambda.destroy();
    } finally {
      await nimbus.close();
    }
    nimbus = await startNimbus({ dataDir });
    try {
      const lambda = new LambdaClient(nimbus.clientConfig);
      const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'kept', Qualifier: 'live' }));
      assert.equal(got.Configuration!.Version, '1');
      assert.equal(got.Configuration!.State, 'Active');
      const download = await fetch(got.Code!.Location!);
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), zip);
      assert.equal((await lambda.send(new GetAliasCommand({ FunctionName: 'kept', Name: 'live' }))).FunctionVersion, '1');
      assert.equal((await new IAMClient(nimbus.clientConfig).send(new GetRoleCommand({ RoleName: 'kept-role' }))).Role!.RoleName, 'kept-role');
      lambda.destroy();
    } finally {
      await nimbus.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
