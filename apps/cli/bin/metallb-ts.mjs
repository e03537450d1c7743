#!/usr/bin/env node
// Workspace entry for `npx metallb-ts` / node_modules/.bin/metallb-ts: runs the bundle built by
// `npm run build` (dist/apps/cli/main.mjs). npm refuses bin paths outside the package ("../"),
// hence this shim. argv[1] is pointed at the bundle so the native addons beside it are found.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../../../dist/apps/cli/main.mjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write(`metallb-ts: ${bundle} is missing; run "npm run build" (or "npx nx build cli") first\n`);
  process.exit(1);
}
process.argv[1] = bundle;
await import(bundle);
