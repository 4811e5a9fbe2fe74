// Starts a real Nimbus on an ephemeral port for a test, with test credentials for clients.
import type { Clock } from '../../src/core/clock.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger } from '../../src/core/log.js';
import { startNimbus as start, type Nimbus } from '../../src/server/start.js';

export interface TestNimbus extends Nimbus {
  /** client settings for any @aws-sdk/client-* v3 client */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
}

export async function startNimbus(opts: { clock?: Clock; dataDir?: string; config?: Partial<Config> } = {}): Promise<TestNimbus> {
  const config = { ...loadConfig([], {}), port: 0, host: '127.0.0.1', dataDir: opts.dataDir, logLevel: (process.env.NIMBUS_TEST_LOG_LEVEL ?? 'warn') as Config['logLevel'], ...opts.config };
  const nimbus = await start(config, { clock: opts.clock, log: createLogger(config.logLevel) });
  return Object.assign(nimbus, {
    clientConfig: {
      endpoint: nimbus.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
  });
}

/** Environment for child processes (aws CLI, boto3) talking to this server. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', ...extra };
  delete env.AWS_PROFILE;
  delete env.AWS_ENDPOINT_URL;
  return env;
}
