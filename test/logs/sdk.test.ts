// CloudWatch Logs over the wire: the real SDK v3 client and the aws CLI against a running Nimbus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  InvalidParameterException,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { cliEnv } from '../helpers/server.js';
import { useNimbus } from '../helpers/sdk.js';
import type { LogsProvider } from '../../src/services/logs/index.js';

let logs: CloudWatchLogsClient;
const nimbus = useNimbus((nimbus) => (logs = new CloudWatchLogsClient(nimbus.clientConfig)));

test('SDK: groups, streams, events, filter, tags, AWS errors', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/app/sdk', tags: { team: 'a' } }));
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: '/app/sdk' })), (e: unknown) =>
    e instanceof ResourceAlreadyExistsException && e.message === 'The specified log group already exists');
  await logs.send(new CreateLogStreamCommand({ logGroupName: '/app/sdk', logStreamName: 's' }));
  const now = Date.now();
  const put = await logs.send(new PutLogEventsCommand({
    logGroupName: '/app/sdk', logStreamName: 's',
    logEvents: [{ timestamp: now, message: 'hello world' }, { timestamp: now + 1, message: '{"level":"error","code":500}' }],
  }));
  assert.equal(put.rejectedLogEventsInfo, undefined);
  const got = await logs.send(new GetLogEventsCommand({ logGroupName: '/app/sdk', logStreamName: 's', startFromHead: true }));
  assert.deepEqual(got.events!.map((e) => e.message), ['hello world', '{"level":"error","code":500}']);
  assert.match(got.nextForwardToken!, /^f\//);
  const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: '/app/sdk', filterPattern: '{ $.code >= 500 }' }));
  assert.deepEqual(filtered.events!.map((e) => [e.logStreamName, e.message]), [['s', '{"level":"error","code":500}']]);
  const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/app/' }));
  assert.equal(groups.logGroups![0].storedBytes, 39);
  await logs.send(new TagResourceCommand({ resourceArn: groups.logGroups![0].logGroupArn!, tags: { env: 'dev' } }));
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: groups.logGroups![0].logGroupArn! }))).tags, { team: 'a', env: 'dev' });
  await assert.rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'bad:name' })), (e: unknown) =>
    e instanceof InvalidParameterException && e.message.startsWith("1 validation error detected: Value 'bad:name' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern"));
  await assert.rejects(logs.send(new GetLogEventsCommand({ logGroupName: '/nope', logStreamName: 's' })), (e: unknown) =>
    e instanceof ResourceNotFoundException && e.message === 'The specified log group does not exist.');
});

test('appendEvents (the Lambda engine path) then the aws CLI filter-log-events finds the line', async () => {
  const provider = await nimbus().services.internal.provider<LogsProvider>('logs');
  provider.appendEvents('000000000000', 'us-east-1', '/aws/lambda/fn', '2026/01/01/[$LATEST]abc', [{ timestamp: Date.now(), message: 'marker-abc\n' }]);
  const { stdout } = await promisify(execFile)('aws', ['--endpoint-url', nimbus().endpoint, '--region', 'us-east-1', 'logs', 'filter-log-events', '--log-group-name', '/aws/lambda/fn', '--filter-pattern', 'marker'], { env: cliEnv() });
  const out = JSON.parse(stdout);
  assert.equal(out.events.length, 1);
  assert.equal(out.events[0].message, 'marker-abc\n');
  assert.equal(out.events[0].logStreamName, '2026/01/01/[$LATEST]abc');
});
