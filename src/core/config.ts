// Configuration: environment variables, overridden by matching command-line flags.
import type { LogLevel } from './log.js';

export interface Config {
  port: number;
  host: string;
  /** persistence is on when set; otherwise state lives in an in-memory SQLite database */
  dataDir?: string;
  /** commits wait for the disk, so that they survive a power cut and not only a crash of Nimbus */
  fsync: boolean;
  logLevel: LogLevel;
  accountId: string;
  region: string;
  /** seconds a warm Lambda environment is kept without invocations */
  lambdaIdleSeconds: number;
}

const FLAGS: Record<string, keyof Config> = {
  '--port': 'port',
  '--host': 'host',
  '--data-dir': 'dataDir',
  '--fsync': 'fsync',
  '--log-level': 'logLevel',
  '--account-id': 'accountId',
  '--region': 'region',
  '--lambda-idle-seconds': 'lambdaIdleSeconds',
};

export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Config {
  const cfg: Config = {
    port: num(env.NIMBUS_PORT, 4566),
    host: env.NIMBUS_HOST || '127.0.0.1',
    dataDir: env.NIMBUS_DATA_DIR || undefined,
    fsync: bool(env.NIMBUS_FSYNC, false),
    logLevel: (env.NIMBUS_LOG_LEVEL as LogLevel) || 'info',
    accountId: env.NIMBUS_ACCOUNT_ID || '000000000000',
    region: env.NIMBUS_REGION || 'us-east-1',
    lambdaIdleSeconds: num(env.NIMBUS_LAMBDA_IDLE_SECONDS, 600),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2) as [string, string | undefined];
    const key = FLAGS[flag];
    if (!key) {
      if (flag === '--help' || flag === '-h') {
        process.stdout.write(`usage: nimbus [${Object.keys(FLAGS).join(' VALUE] [')} VALUE]\n`);
        process.exit(0);
      }
      throw new Error(`unknown option ${flag}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`option ${flag} needs a value`);
    const current = cfg[key];
    (cfg as unknown as Record<string, unknown>)[key] = typeof current === 'number' ? num(value, NaN) : typeof current === 'boolean' ? bool(value, undefined) : value;
    if (Number.isNaN(cfg[key])) throw new Error(`option ${flag} needs a number`);
    if (cfg[key] === undefined && typeof current === 'boolean') throw new Error(`option ${flag} needs on or off`);
  }
  if (!/^\d{12}$/.test(cfg.accountId)) throw new Error('NIMBUS_ACCOUNT_ID must be 12 digits');
  if (Number.isNaN(cfg.port)) throw new Error('NIMBUS_PORT must be a number');
  if (Number.isNaN(cfg.lambdaIdleSeconds)) throw new Error('NIMBUS_LAMBDA_IDLE_SECONDS must be a number');
  return cfg;
}

function bool<T extends boolean | undefined>(v: string | undefined, dflt: T): boolean | T {
  if (v === undefined || v === '') return dflt;
  if (/^(1|true|on|yes)$/i.test(v)) return true;
  if (/^(0|false|off|no)$/i.test(v)) return false;
  return dflt;
}

function num(v: string | undefined, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}
