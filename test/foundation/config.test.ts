// Configuration: environment variables, overridden by flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config.js';

test('defaults: port 4566 on loopback, in memory, default account and region, no fsync', () => {
  const c = loadConfig([], {});
  assert.deepEqual([c.port, c.host, c.dataDir, c.accountId, c.region, c.fsync, c.logLevel], [4566, '127.0.0.1', undefined, '000000000000', 'us-east-1', false, 'info']);
});

test('flags win over environment variables, in both --flag value and --flag=value forms', () => {
  const env = { NIMBUS_PORT: '4000', NIMBUS_HOST: '0.0.0.0', NIMBUS_DATA_DIR: '/env', NIMBUS_FSYNC: 'on', NIMBUS_REGION: 'eu-west-1' };
  assert.equal(loadConfig([], env).fsync, true);
  const c = loadConfig(['--port', '4599', '--data-dir=/flag', '--fsync', 'off'], env);
  assert.deepEqual([c.port, c.host, c.dataDir, c.fsync, c.region], [4599, '0.0.0.0', '/flag', false, 'eu-west-1']);
});

test('bad values are refused with a clear message', () => {
  assert.throws(() => loadConfig(['--port', 'abc'], {}), /--port needs a number/);
  assert.throws(() => loadConfig(['--fsync', 'maybe'], {}), /--fsync needs on or off/);
  assert.throws(() => loadConfig(['--data-dir'], {}), /--data-dir needs a value/);
  assert.throws(() => loadConfig([], { NIMBUS_ACCOUNT_ID: '123' }), /12 digits/);
  assert.throws(() => loadConfig([], { NIMBUS_PORT: 'http' }), /NIMBUS_PORT must be a number/);
});
