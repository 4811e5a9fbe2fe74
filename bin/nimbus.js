#!/usr/bin/env node
// `npx nimbus`: runs the compiled server (built by `npm run build`, which `npm start` runs first).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
const main = fileURLToPath(new URL('../dist/src/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write('nimbus: not built yet; run `npm run build` (or `npm start`) in the package folder first\n');
  process.exit(1);
}
await import(main);
