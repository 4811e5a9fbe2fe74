// Versions, aliases and layers through SDK v3.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  LambdaClient,
  CreateFunctionCommand,
  GetFunctionCommand,
  PublishVersionCommand,
  ListVersionsByFunctionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  CreateAliasCommand,
  GetAliasCommand,
  UpdateAliasCommand,
  DeleteAliasCommand,
  ListAliasesCommand,
  DeleteFunctionCommand,
  PublishLayerVersionCommand,
  GetLayerVersionCommand,
  GetLayerVersionByArnCommand,
  ListLayersCommand,
  ListLayerVersionsCommand,
  DeleteLayerVersionCommand,
  AddLayerVersionPermissionCommand,
  GetLayerVersionPolicyCommand,
  RemoveLayerVersionPermissionCommand,
  paginateListVersionsByFunction,
} from '@aws-sdk/client-lambda';
import { useNimbus, rejectsWithAwsError as rejects } from '../helpers/sdk.js';
import { createNodeFunction, NODE_ZIP, ROLE, uniqueName, zipOf } from './helpers.js';

let lambda: LambdaClient;
const nimbus = useNimbus((nimbus) => (lambda = new LambdaClient(nimbus.clientConfig)));

const ARN = (name: string, q?: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}${q ? ':' + q : ''}`;

const fn = (extra: Record<string, unknown> = {}) => createNodeFunction(lambda, 'v', extra);

describe('versions', () => {
  test('PublishVersion numbers sequentially, skips unchanged code and config, checks CodeSha256', async () => {
    const name = await fn();
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: name, Description: 'first' }));
    assert.equal(v1.Version, '1');
    assert.equal(v1.FunctionArn, ARN(name, '1'));
    assert.equal(v1.Description, 'first');
    const again = await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    assert.equal(again.Version, '1', 'no new version without a change');
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 7 }));
    await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    await rejects(lambda.send(new PublishVersionCommand({ FunctionName: name, CodeSha256: 'wrong' })), 'InvalidParameterValueException', /^CodeSHA256 \(wrong\) is different from current CodeSHA256 in \$LATEST/);
    const v2 = await lambda.send(new PublishVersionCommand({ FunctionName: name, CodeSha256: v1.CodeSha256 }));
    assert.equal(v2.Version, '2');
    assert.equal(v2.Timeout, 7);
    const one = await lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' }));
    assert.equal(one.Configuration!.Timeout, 3, 'published versions are immutable');
    assert.equal(one.Configuration!.FunctionArn, ARN(name, '1'));
    const list = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name }));
    assert.deepEqual(list.Versions!.map((v) => v.Version), ['$LATEST', '1', '2']);
    assert.equal(list.Versions![0].FunctionArn, ARN(name, '$LATEST'));
    const paged: string[] = [];
    for await (const p of paginateListVersionsByFunction({ client: lambda, pageSize: 1 }, { FunctionName: name })) paged.push(...p.Versions!.map((v) => v.Version!));
    assert.deepEqual(paged, ['$LATEST', '1', '2']);
  });

  test('UpdateFunctionCode with Publish returns the new version; RevisionId is checked by PublishVersion', async () => {
    const name = await fn();
    const zip = zipOf({ 'index.mjs': 'export const handler = async () => "p";' });
    const out = await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip, Publish: true }));
    assert.equal(out.Version, '1');
    assert.equal(out.CodeSha256, crypto.createHash('sha256').update(zip).digest('base64'));
    await rejects(lambda.send(new PublishVersionCommand({ FunctionName: name, RevisionId: 'nope' })), 'PreconditionFailedException');
  });

  test('CreateFunction with Publish creates version 1', async () => {
    const name = uniqueName('v');
    const out = await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: NODE_ZIP() }, Publish: true }));
    assert.equal(out.Version, '1');
  });
});

describe('aliases', () => {
  test('create, get, update with routing, list, delete', async () => {
    const name = await fn();
    await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 9 }));
    await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    const a = await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1', Description: 'd' }));
    assert.equal(a.AliasArn, ARN(name, 'live'));
    assert.equal(a.FunctionVersion, '1');
    assert.ok(a.RevisionId);
    await rejects(lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1' })), 'ResourceConflictException', `Alias already exists: ${ARN(name, 'live')}`);
    await rejects(lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'x', FunctionVersion: '9' })), 'ResourceNotFoundException', `Function not found: ${ARN(name, '9')}`);
    const u = await lambda.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } } }));
    assert.deepEqual(u.RoutingConfig, { AdditionalVersionWeights: { '2': 0.25 } });
    assert.equal(u.FunctionVersion, '1');
    await rejects(lambda.send(new UpdateAliasCommand({ FunctionName: name, Name: 'live', RevisionId: a.RevisionId })), 'PreconditionFailedException');
    const g = await lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
    assert.deepEqual(g.RoutingConfig, { AdditionalVersionWeights: { '2': 0.25 } });
    const viaAlias = await lambda.send(new GetFunctionCommand({ FunctionName: name, Qualifier: 'live' }));
    assert.equal(viaAlias.Configuration!.Version, '1');
    assert.equal(viaAlias.Configuration!.FunctionArn, ARN(name, 'live'));
    const provider = await nimbus().services.internal.provider<any>('lambda');
    const resolved = provider.control.resolveFunction('000000000000', 'us-east-1', name, 'live');
    assert.deepEqual(resolved.candidates.map((c: any) => [c.snapshot.version, c.weight]), [['1', 0.75], ['2', 0.25]]);
    assert.equal(provider.control.pickVersion(resolved, () => 0.9).version, '2');
    assert.equal(provider.control.pickVersion(resolved, () => 0.1).version, '1');
    await rejects(lambda.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '2' })), 'ResourceConflictException', /Unable to delete version because the following aliases reference it: \[live\]/);
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'beta', FunctionVersion: '2' }));
    const list = await lambda.send(new ListAliasesCommand({ FunctionName: name }));
    assert.deepEqual(list.Aliases!.map((x) => x.Name), ['beta', 'live']);
    const only1 = await lambda.send(new ListAliasesCommand({ FunctionName: name, FunctionVersion: '1' }));
    assert.deepEqual(only1.Aliases!.map((x) => x.Name), ['live']);
    await lambda.send(new DeleteAliasCommand({ FunctionName: name, Name: 'beta' }));
    await rejects(lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'beta' })), 'ResourceNotFoundException', `Alias not found: ${ARN(name, 'beta')}`);
  });

  test('RoutingConfig is validated as AWS does', async () => {
    const name = await fn();
    await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 4 }));
    await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    const mk = (weights: Record<string, number>, version = '1') => lambda.send(new CreateAliasCommand({ FunctionName: name, Name: uniqueName('a'), FunctionVersion: version, RoutingConfig: { AdditionalVersionWeights: weights } }));
    await rejects(mk({ '2': 1.5 }), 'ValidationException', /additionalVersionWeights/);
    await rejects(mk({ '2': 0.1, '3': 0.1 }), 'InvalidParameterValueException');
    await rejects(mk({ $LATEST: 0.1 }), 'ValidationException');
    await rejects(mk({ '1': 0.1 }), 'InvalidParameterValueException', /already included/);
    await rejects(mk({ '7': 0.1 }), 'ResourceNotFoundException', `Function not found: ${ARN(name, '7')}`);
    await rejects(mk({ '2': 0.1 }, '$LATEST'), 'InvalidParameterValueException');
    const ok = await mk({ '2': 0.5 });
    assert.deepEqual(ok.RoutingConfig, { AdditionalVersionWeights: { '2': 0.5 } });
  });
});

describe('layers', () => {
  test('publish, get, list, permissions, delete; functions reference up to 5', async () => {
    const layer = uniqueName('layer');
    const zip = zipOf({ 'nodejs/node_modules/greet/index.js': 'module.exports = () => "hi";' });
    const l1 = await lambda.send(new PublishLayerVersionCommand({ LayerName: layer, Content: { ZipFile: zip }, CompatibleRuntimes: ['nodejs20.x'], CompatibleArchitectures: ['arm64'], LicenseInfo: 'MIT', Description: 'greet' }));
    assert.equal(l1.Version, 1);
    assert.equal(l1.LayerArn, `arn:aws:lambda:us-east-1:000000000000:layer:${layer}`);
    assert.equal(l1.LayerVersionArn, `${l1.LayerArn}:1`);
    assert.equal(l1.Content!.CodeSha256, crypto.createHash('sha256').update(zip).digest('base64'));
    assert.equal(l1.Content!.CodeSize, zip.length);
    const l2 = await lambda.send(new PublishLayerVersionCommand({ LayerName: layer, Content: { ZipFile: zip }, CompatibleRuntimes: ['python3.12'] }));
    assert.equal(l2.Version, 2);
    const got = await lambda.send(new GetLayerVersionCommand({ LayerName: layer, VersionNumber: 1 }));
    assert.equal(got.LicenseInfo, 'MIT');
    assert.deepEqual(got.CompatibleArchitectures, ['arm64']);
    const byArn = await lambda.send(new GetLayerVersionByArnCommand({ Arn: l2.LayerVersionArn! }));
    assert.equal(byArn.Version, 2);
    const layers = await lambda.send(new ListLayersCommand({}));
    const mine = layers.Layers!.find((x) => x.LayerName === layer)!;
    assert.equal(mine.LatestMatchingVersion!.Version, 2);
    const nodeOnly = await lambda.send(new ListLayersCommand({ CompatibleRuntime: 'nodejs20.x' }));
    assert.equal(nodeOnly.Layers!.find((x) => x.LayerName === layer)!.LatestMatchingVersion!.Version, 1);
    const versions = await lambda.send(new ListLayerVersionsCommand({ LayerName: layer }));
    assert.deepEqual(versions.LayerVersions!.map((v) => v.Version), [2, 1]);

    const perm = await lambda.send(new AddLayerVersionPermissionCommand({ LayerName: layer, VersionNumber: 1, StatementId: 'all', Action: 'lambda:GetLayerVersion', Principal: '*' }));
    assert.deepEqual(JSON.parse(perm.Statement!), { Sid: 'all', Effect: 'Allow', Principal: '*', Action: 'lambda:GetLayerVersion', Resource: l1.LayerVersionArn });
    const pol = await lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layer, VersionNumber: 1 }));
    assert.equal(JSON.parse(pol.Policy!).Statement.length, 1);
    await lambda.send(new RemoveLayerVersionPermissionCommand({ LayerName: layer, VersionNumber: 1, StatementId: 'all' }));
    await rejects(lambda.send(new GetLayerVersionPolicyCommand({ LayerName: layer, VersionNumber: 1 })), 'ResourceNotFoundException');

    const name = await fn({ Layers: [l1.LayerVersionArn] });
    const c = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    assert.deepEqual(c.Configuration!.Layers, [{ Arn: l1.LayerVersionArn, CodeSize: zip.length }]);
    const provider = await nimbus().services.internal.provider<any>('lambda');
    const snap = provider.control.snapshot('000000000000', 'us-east-1', name);
    assert.equal(snap.layers[0].arn, l1.LayerVersionArn);
    assert.equal(snap.layers[0].codeSha256, l1.Content!.CodeSha256);
    assert.ok(snap.layers[0].zipPath);

    await rejects(fn({ Layers: [`${l1.LayerArn}:99`] }), 'InvalidParameterValueException', `Layer version ${l1.LayerArn}:99 does not exist.`);
    const six = Array.from({ length: 6 }, () => l1.LayerVersionArn!);
    await rejects(fn({ Layers: six }), 'InvalidParameterValueException', 'Cannot reference more than 5 layers.');

    await lambda.send(new DeleteLayerVersionCommand({ LayerName: layer, VersionNumber: 2 }));
    await rejects(lambda.send(new GetLayerVersionCommand({ LayerName: layer, VersionNumber: 2 })), 'ResourceNotFoundException', 'The resource you requested does not exist.');
    const l3 = await lambda.send(new PublishLayerVersionCommand({ LayerName: layer, Content: { ZipFile: zip } }));
    assert.equal(l3.Version, 3, 'layer version numbers are never reused');
  });
});
