// Resource policies, tags, concurrency, event invoke config, function URLs, recursion and
// runtime management through SDK v3.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LambdaClient,
  GetFunctionCommand,
  PublishVersionCommand,
  CreateAliasCommand,
  AddPermissionCommand,
  RemovePermissionCommand,
  GetPolicyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  ListTagsCommand,
  PutFunctionConcurrencyCommand,
  GetFunctionConcurrencyCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  PutProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  ListProvisionedConcurrencyConfigsCommand,
  DeleteProvisionedConcurrencyConfigCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionEventInvokeConfigCommand,
  GetFunctionEventInvokeConfigCommand,
  ListFunctionEventInvokeConfigsCommand,
  DeleteFunctionEventInvokeConfigCommand,
  CreateFunctionUrlConfigCommand,
  GetFunctionUrlConfigCommand,
  UpdateFunctionUrlConfigCommand,
  DeleteFunctionUrlConfigCommand,
  ListFunctionUrlConfigsCommand,
  GetFunctionRecursionConfigCommand,
  PutFunctionRecursionConfigCommand,
  GetRuntimeManagementConfigCommand,
  PutRuntimeManagementConfigCommand,
} from '@aws-sdk/client-lambda';
import { useNimbus, rejectsWithAwsError as rejects } from '../helpers/sdk.js';
import { createNodeFunction } from './helpers.js';

let lambda: LambdaClient;
const nimbus = useNimbus((nimbus) => (lambda = new LambdaClient(nimbus.clientConfig)));

const ARN = (name: string, q?: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}${q ? ':' + q : ''}`;

const fn = () => createNodeFunction(lambda, 's');

describe('resource policy', () => {
  test('AddPermission builds AWS policy statements; duplicates conflict; RemovePermission and GetPolicy', async () => {
    const name = await fn();
    await rejects(lambda.send(new GetPolicyCommand({ FunctionName: name })), 'ResourceNotFoundException', 'The resource you requested does not exist.');
    const s3 = await lambda.send(
      new AddPermissionCommand({ FunctionName: name, StatementId: 's3invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com', SourceArn: 'arn:aws:s3:::bucket', SourceAccount: '000000000000' }),
    );
    assert.deepEqual(JSON.parse(s3.Statement!), {
      Sid: 's3invoke',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: ARN(name),
      Condition: { StringEquals: { 'AWS:SourceAccount': '000000000000' }, ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::bucket' } },
    });
    await lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
    await lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: 'acct', Action: 'lambda:InvokeFunction', Principal: '111122223333' }));
    await rejects(
      lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: 's3invoke', Action: 'lambda:InvokeFunction', Principal: 's3.amazonaws.com' })),
      'ResourceConflictException',
      'The statement id (s3invoke) provided already exists. Please provide a new statement id, or remove the existing statement.',
    );
    const pol = await lambda.send(new GetPolicyCommand({ FunctionName: name }));
    const doc = JSON.parse(pol.Policy!);
    assert.equal(doc.Version, '2012-10-17');
    assert.equal(doc.Id, 'default');
    assert.deepEqual(doc.Statement.map((s: any) => s.Sid), ['s3invoke', 'url', 'acct']);
    assert.deepEqual(doc.Statement[1].Condition, { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } });
    assert.equal(doc.Statement[1].Principal, '*');
    assert.deepEqual(doc.Statement[2].Principal, { AWS: 'arn:aws:iam::111122223333:root' });
    assert.ok(pol.RevisionId);
    await rejects(lambda.send(new RemovePermissionCommand({ FunctionName: name, StatementId: 'nope' })), 'ResourceNotFoundException', 'Statement nope is not found in resource policy.');
    await lambda.send(new RemovePermissionCommand({ FunctionName: name, StatementId: 's3invoke' }));
    assert.equal(JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: name }))).Policy!).Statement.length, 2);
  });

  test('policies are per qualifier', async () => {
    const name = await fn();
    await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'prod', FunctionVersion: '1' }));
    const st = await lambda.send(new AddPermissionCommand({ FunctionName: name, Qualifier: 'prod', StatementId: 'sns', Action: 'lambda:InvokeFunction', Principal: 'sns.amazonaws.com' }));
    assert.equal(JSON.parse(st.Statement!).Resource, ARN(name, 'prod'));
    await rejects(lambda.send(new GetPolicyCommand({ FunctionName: name })), 'ResourceNotFoundException');
    const p = await lambda.send(new GetPolicyCommand({ FunctionName: name, Qualifier: 'prod' }));
    assert.equal(JSON.parse(p.Policy!).Statement[0].Sid, 'sns');
    await rejects(lambda.send(new AddPermissionCommand({ FunctionName: name, Qualifier: 'nope', StatementId: 'x', Action: 'lambda:InvokeFunction', Principal: '*' })), 'ResourceNotFoundException', `Function not found: ${ARN(name, 'nope')}`);
  });
});

describe('tags', () => {
  test('TagResource, UntagResource, ListTags', async () => {
    const name = await fn();
    await lambda.send(new TagResourceCommand({ Resource: ARN(name), Tags: { a: '1', b: '2' } }));
    await lambda.send(new UntagResourceCommand({ Resource: ARN(name), TagKeys: ['a'] }));
    assert.deepEqual((await lambda.send(new ListTagsCommand({ Resource: ARN(name) }))).Tags, { b: '2' });
    assert.deepEqual((await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Tags, { b: '2' });
    await rejects(lambda.send(new ListTagsCommand({ Resource: ARN('missing-fn') })), 'ResourceNotFoundException', `Function not found: ${ARN('missing-fn')}`);
  });
});

describe('concurrency', () => {
  test('reserved concurrency and account settings; 100 must stay unreserved', async () => {
    const name = await fn();
    const before = await lambda.send(new GetAccountSettingsCommand({}));
    assert.equal(before.AccountLimit!.ConcurrentExecutions, 1000);
    assert.deepEqual(await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name })).then((r) => r.ReservedConcurrentExecutions), undefined);
    const put = await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: name, ReservedConcurrentExecutions: 100 }));
    assert.equal(put.ReservedConcurrentExecutions, 100);
    assert.equal((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name }))).ReservedConcurrentExecutions, 100);
    assert.deepEqual((await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Concurrency, { ReservedConcurrentExecutions: 100 });
    const after1 = await lambda.send(new GetAccountSettingsCommand({}));
    assert.equal(after1.AccountLimit!.UnreservedConcurrentExecutions, before.AccountLimit!.UnreservedConcurrentExecutions! - 100);
    assert.ok(after1.AccountUsage!.FunctionCount! >= 1);
    const other = await fn();
    await rejects(
      lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: other, ReservedConcurrentExecutions: 801 })),
      'InvalidParameterValueException',
      "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].",
    );
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: name }));
    assert.equal((await lambda.send(new GetAccountSettingsCommand({}))).AccountLimit!.UnreservedConcurrentExecutions, before.AccountLimit!.UnreservedConcurrentExecutions);
  });

  test('provisioned concurrency config: put, get READY, list, delete', async () => {
    const name = await fn();
    await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    await rejects(lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: '$LATEST', ProvisionedConcurrentExecutions: 1 })), 'InvalidParameterValueException', 'Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    const put = await lambda.send(new PutProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: '1', ProvisionedConcurrentExecutions: 2 }));
    assert.equal(put.RequestedProvisionedConcurrentExecutions, 2);
    const got = await lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: '1' }));
    assert.equal(got.Status, 'READY');
    assert.equal(got.AvailableProvisionedConcurrentExecutions, 2);
    const list = await lambda.send(new ListProvisionedConcurrencyConfigsCommand({ FunctionName: name }));
    assert.equal(list.ProvisionedConcurrencyConfigs![0].FunctionArn, ARN(name, '1'));
    await lambda.send(new DeleteProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: '1' }));
    await rejects(lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: name, Qualifier: '1' })), 'ProvisionedConcurrencyConfigNotFoundException');
  });
});

describe('event invoke config', () => {
  test('put, update, get, list, delete with limits and destinations', async () => {
    const name = await fn();
    const dest = 'arn:aws:sqs:us-east-1:000000000000:dest';
    const put = await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, MaximumRetryAttempts: 1, DestinationConfig: { OnSuccess: { Destination: dest } } }));
    assert.equal(put.FunctionArn, ARN(name, '$LATEST'));
    assert.equal(put.MaximumRetryAttempts, 1);
    assert.ok(put.LastModified instanceof Date);
    const up = await lambda.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: name, MaximumEventAgeInSeconds: 120 }));
    assert.equal(up.MaximumRetryAttempts, 1);
    assert.equal(up.MaximumEventAgeInSeconds, 120);
    assert.equal(up.DestinationConfig!.OnSuccess!.Destination, dest);
    const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name }));
    assert.equal(got.MaximumEventAgeInSeconds, 120);
    assert.equal((await lambda.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: name }))).FunctionEventInvokeConfigs!.length, 1);
    await rejects(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, MaximumRetryAttempts: 3 })), 'ValidationException', /at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2/);
    await rejects(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, MaximumEventAgeInSeconds: 59 })), 'ValidationException', /maximumEventAgeInSeconds/);
    await rejects(lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, DestinationConfig: { OnFailure: { Destination: 'arn:aws:dynamodb:us-east-1:000000000000:table/x' } } })), 'InvalidParameterValueException');
    const provider = await nimbus().services.internal.provider<any>('lambda');
    assert.equal(provider.control.eventInvokeConfig('000000000000', 'us-east-1', name).MaximumRetryAttempts, 1);
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: name }));
    await rejects(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: name })), 'ResourceNotFoundException');
  });
});

describe('function URLs', () => {
  test('create, get, update, list, delete; URL on the local lambda-url host', async () => {
    const name = await fn();
    const created = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE', Cors: { AllowOrigins: ['*'] } }));
    assert.match(created.FunctionUrl!, new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.localhost:${nimbus().port}/$`));
    assert.equal(created.FunctionArn, ARN(name));
    assert.equal(created.AuthType, 'NONE');
    await rejects(lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE' })), 'ResourceConflictException');
    await rejects(lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'OPEN' as any })), 'ValidationException', "1 validation error detected: Value 'OPEN' at 'authType' failed to satisfy constraint: Member must satisfy enum value set: [NONE, AWS_IAM]");
    const up = await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'AWS_IAM' }));
    assert.equal(up.AuthType, 'AWS_IAM');
    assert.deepEqual(up.Cors, { AllowOrigins: ['*'] });
    const got = await lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: name }));
    assert.equal(got.FunctionUrl, created.FunctionUrl);
    const provider = await nimbus().services.internal.provider<any>('lambda');
    const urlId = /^http:\/\/([a-z0-9]+)\./.exec(created.FunctionUrl!)![1];
    assert.equal(provider.control.functionUrl(urlId).functionName, name);
    assert.equal((await lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: name }))).FunctionUrlConfigs!.length, 1);
    await lambda.send(new DeleteFunctionUrlConfigCommand({ FunctionName: name }));
    await rejects(lambda.send(new GetFunctionUrlConfigCommand({ FunctionName: name })), 'ResourceNotFoundException', 'The resource you requested does not exist.');
  });
});

describe('recursion and runtime management', () => {
  test('defaults and updates', async () => {
    const name = await fn();
    assert.equal((await lambda.send(new GetFunctionRecursionConfigCommand({ FunctionName: name }))).RecursiveLoop, 'Terminate');
    await lambda.send(new PutFunctionRecursionConfigCommand({ FunctionName: name, RecursiveLoop: 'Allow' }));
    assert.equal((await lambda.send(new GetFunctionRecursionConfigCommand({ FunctionName: name }))).RecursiveLoop, 'Allow');
    const rm = await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: name }));
    assert.equal(rm.UpdateRuntimeOn, 'Auto');
    assert.equal(rm.FunctionArn, ARN(name, '$LATEST'));
    const put = await lambda.send(new PutRuntimeManagementConfigCommand({ FunctionName: name, UpdateRuntimeOn: 'FunctionUpdate' }));
    assert.equal(put.UpdateRuntimeOn, 'FunctionUpdate');
    assert.equal((await lambda.send(new GetRuntimeManagementConfigCommand({ FunctionName: name }))).UpdateRuntimeOn, 'FunctionUpdate');
  });
});
