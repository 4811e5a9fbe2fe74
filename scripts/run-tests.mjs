// Runs every test file under test/ with node's own test runner (TypeScript through tsx).
// `npm test -- test/sqs` runs only the files under the given paths.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const files = [];
const walk = (p) => {
  const st = fs.statSync(p);
  if (st.isDirectory()) for (const f of fs.readdirSync(p).sort()) walk(path.join(p, f));
  else if (/\.test\.ts$/.test(p)) files.push(p);
};
roots.forEach(walk);
if (!files.length) {
  console.error('no test files found under ' + roots.join(' '));
  process.exit(1);
}
const concurrency = process.env.NIMBUS_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
