#!/usr/bin/env node
// Runs a TypeScript benchmark with the workspace sources: bundles it with esbuild (workspace
// libraries bundled from src/ through the `@metallb-ts/source` condition, npm packages left
// external) and imports the bundle. The benchmark reads its own flags from process.argv.
// Usage: node bench/run.mjs <dir/file.ts> [flags]   e.g. node bench/run.mjs k8s/list-watch.ts --services 10000
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const rel = process.argv[2];
if (!rel || rel.startsWith('-') || !existsSync(join(here, rel))) {
  process.stderr.write(`usage: node bench/run.mjs <dir/file.ts> [flags]  (a file under bench/, e.g. k8s/list-watch.ts)${rel ? `; not found: bench/${rel}` : ''}\n`);
  process.exit(2);
}
const out = join(here, '..', 'node_modules', '.cache', 'bench', rel.replace(/[/.]/g, '-') + '.mjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [join(here, rel)],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  conditions: ['@metallb-ts/source'],
  plugins: [{ name: 'externals', setup(b) { b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@metallb-ts/') ? undefined : { external: true })); } }],
  logLevel: 'warning',
});
process.env.BENCH_REPO = join(here, '..');
await import(pathToFileURL(out).href);
