// Bundles bench.ts (TypeScript sources through the @metallb-ts/source condition) into the
// gitignored libs/memberlist/.cache and runs it with the same arguments.
//   cd libs/memberlist && npm run bench -- [--detect] [--sim] [--load] [--quick]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'libs', 'memberlist', '.cache', 'bench.mjs');
await build({
  entryPoints: [join(here, 'bench.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  conditions: ['@metallb-ts/source'],
  external: ['esbuild'],
  outfile: out,
  logLevel: 'error',
});
const r = spawnSync(process.execPath, [out, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
