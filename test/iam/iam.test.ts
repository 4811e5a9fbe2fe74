// IAM roles and policies through SDK v3 IAMClient (query protocol).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IAMClient,
  CreateRoleCommand,
  GetRoleCommand,
  ListRolesCommand,
  UpdateRoleCommand,
  DeleteRoleCommand,
  PutRolePolicyCommand,
  GetRolePolicyCommand,
  ListRolePoliciesCommand,
  DeleteRolePolicyCommand,
  CreatePolicyCommand,
  GetPolicyCommand,
  ListPoliciesCommand,
  DeletePolicyCommand,
  CreatePolicyVersionCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  DeletePolicyVersionCommand,
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  TagRoleCommand,
  UntagRoleCommand,
  ListRoleTagsCommand,
  waitUntilRoleExists,
  paginateListRoles,
} from '@aws-sdk/client-iam';
import { useNimbus, rejectsWithAwsError as rejects } from '../helpers/sdk.js';

let iam: IAMClient;
useNimbus((nimbus) => (iam = new IAMClient(nimbus.clientConfig)));

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }] });
let n = 0;
const unique = (p: string) => `${p}-${process.pid}-${++n}`;

describe('roles', () => {
  test('create, get (trust policy URL-encoded), update, list with pagination, tags, delete', async () => {
    const name = unique('role');
    const out = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST, Description: 'for lambda', Tags: [{ Key: 'k', Value: 'v' }] }));
    assert.equal(out.Role!.Arn, `arn:aws:iam::000000000000:role/${name}`);
    assert.match(out.Role!.RoleId!, /^AROA[A-Z0-9]{17}$/);
    assert.equal(out.Role!.Path, '/');
    assert.ok(out.Role!.CreateDate instanceof Date);
    assert.equal(out.Role!.AssumeRolePolicyDocument, encodeURIComponent(TRUST));
    await rejects(iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST })), 'EntityAlreadyExistsException', `Role with name ${name} already exists.`, 409);
    await rejects(iam.send(new CreateRoleCommand({ RoleName: unique('bad'), AssumeRolePolicyDocument: '{not json' })), 'MalformedPolicyDocumentException', 'This policy contains invalid Json');
    const w = await waitUntilRoleExists({ client: iam, maxWaitTime: 5 }, { RoleName: name });
    assert.equal(w.state, 'SUCCESS');
    await iam.send(new UpdateRoleCommand({ RoleName: name, Description: 'changed', MaxSessionDuration: 7200 }));
    const got = await iam.send(new GetRoleCommand({ RoleName: name }));
    assert.equal(got.Role!.Description, 'changed');
    assert.equal(got.Role!.MaxSessionDuration, 7200);
    assert.deepEqual(got.Role!.Tags, [{ Key: 'k', Value: 'v' }]);
    await iam.send(new TagRoleCommand({ RoleName: name, Tags: [{ Key: 'k2', Value: 'v2' }] }));
    await iam.send(new UntagRoleCommand({ RoleName: name, TagKeys: ['k'] }));
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: name }))).Tags, [{ Key: 'k2', Value: 'v2' }]);

    for (let i = 0; i < 3; i++) await iam.send(new CreateRoleCommand({ RoleName: unique('page'), Path: '/svc/', AssumeRolePolicyDocument: TRUST }));
    const names: string[] = [];
    for await (const p of paginateListRoles({ client: iam, pageSize: 2 }, { PathPrefix: '/svc/' })) names.push(...p.Roles!.map((r) => r.RoleName!));
    assert.equal(names.length, 3);

    await iam.send(new DeleteRoleCommand({ RoleName: name }));
    await rejects(iam.send(new GetRoleCommand({ RoleName: name })), 'NoSuchEntityException', `The role with name ${name} cannot be found.`, 404);
  });

  test('inline policies; deletion is blocked by inline and attached policies (DeleteConflict)', async () => {
    const name = unique('role');
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'inline', PolicyDocument: POLICY }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'inline' }));
    assert.equal(decodeURIComponent(got.PolicyDocument!), POLICY);
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames, ['inline']);
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: name })), 'DeleteConflictException', 'Cannot delete entity, must delete policies first.', 409);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: 'inline' }));
    await rejects(iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: 'inline' })), 'NoSuchEntityException');

    const basic = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: basic }));
    const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: basic }]);
    await rejects(iam.send(new DeleteRoleCommand({ RoleName: name })), 'DeleteConflictException', 'Cannot delete entity, must detach all policies first.');
    await iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: basic }));
    await iam.send(new DeleteRoleCommand({ RoleName: name }));
  });
});

describe('managed policies', () => {
  test('create, get, versions, attach, delete', async () => {
    const name = unique('pol');
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: POLICY, Description: 'd' }));
    const arn = created.Policy!.Arn!;
    assert.equal(arn, `arn:aws:iam::000000000000:policy/${name}`);
    assert.equal(created.Policy!.DefaultVersionId, 'v1');
    assert.match(created.Policy!.PolicyId!, /^ANPA[A-Z0-9]{17}$/);
    await rejects(iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: POLICY })), 'EntityAlreadyExistsException');
    const v2 = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: POLICY.replace('logs:*', 's3:*'), SetAsDefault: true }));
    assert.equal(v2.PolicyVersion!.VersionId, 'v2');
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId, 'v2');
    const doc = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    assert.match(decodeURIComponent(doc.PolicyVersion!.Document!), /s3:\*/);
    assert.deepEqual((await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions!.map((v) => v.VersionId), ['v2', 'v1']);
    await rejects(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })), 'DeleteConflictException', 'Cannot delete the default version of the policy.');
    for (let i = 3; i <= 5; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: POLICY }));
    await rejects(iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: POLICY })), 'LimitExceededException', /up to 5 versions/);

    const role = unique('role');
    await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: TRUST }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
    assert.equal((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.AttachmentCount, 1);
    await rejects(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflictException', 'Cannot delete a policy attached to entities.');
    const local = await iam.send(new ListPoliciesCommand({ Scope: 'Local' }));
    assert.ok(local.Policies!.some((p) => p.Arn === arn));
    assert.ok(!local.Policies!.some((p) => p.Arn!.startsWith('arn:aws:iam::aws:')));
    await iam.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: arn }));
    for (const v of ['v1', 'v3', 'v4', 'v5']) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
    await rejects(iam.send(new GetPolicyCommand({ PolicyArn: arn })), 'NoSuchEntityException', `Policy ${arn} was not found.`);
    await rejects(iam.send(new AttachRolePolicyCommand({ RoleName: role, PolicyArn: arn })), 'NoSuchEntityException', `Policy ${arn} does not exist or is not attachable.`);
  });

  test('AWS managed policies are known', async () => {
    const p = await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
    assert.equal(p.Policy!.PolicyName, 'AWSLambdaBasicExecutionRole');
    assert.equal(p.Policy!.Path, '/service-role/');
  });

  test('model constraints answer ValidationError', async () => {
    await rejects(iam.send(new CreateRoleCommand({ RoleName: 'x'.repeat(65), AssumeRolePolicyDocument: TRUST })), 'ValidationError', /^1 validation error detected: Value '.*' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64$/);
  });
});
