// Entry point: config -> store -> server -> signals.
import { loadConfig } from './core/config.js';
import { startNimbus, version } from './server/start.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`nimbus: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const nimbus = await startNimbus(config);
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`Nimbus ${version}: local AWS for serverless apps (Lambda, SQS, SNS, S3, STS, IAM, CloudWatch Logs)`);
  out(`  endpoint  ${nimbus.endpoint}`);
  out(`  state     ${config.dataDir ? `${config.dataDir} (persistent)` : 'in memory (set NIMBUS_DATA_DIR or --data-dir to keep it)'}`);
  out(`  account   ${config.accountId}, default region ${config.region}`);
  out(`  try       aws --endpoint-url ${nimbus.endpoint} sts get-caller-identity`);
  out('Ready.');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    nimbus.log.info(`${signal}: finishing in-flight requests and closing the store`);
    nimbus.close().then(
      () => process.exit(0),
      (e) => {
        nimbus.log.error('error while stopping', e);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`nimbus: failed to start: ${e?.stack ?? e}\n`);
  process.exit(1);
});
