#!/usr/bin/env node
// Runs a TypeScript benchmark of bench/apiserver-lite with the workspace sources: bundles it with esbuild
// (workspace libraries bundled from src/, npm packages left external) and imports the bundle.
// Usage: node bench/apiserver-lite/run.mjs [creates.ts] [-- args]
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, process.argv[2] && !process.argv[2].startsWith('-') ? process.argv[2] : 'creates.ts');
const out = join(here, '..', '..', 'node_modules', '.cache', 'bench-apiserver-lite', 'bench.mjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  entryPoints: [entry],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  conditions: ['@metallb-ts/source'],
  plugins: [{ name: 'externals', setup(b) { b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@metallb-ts/') ? undefined : { external: true })); } }],
  logLevel: 'warning',
});
process.env.BENCH_REPO = join(here, '..', '..');
await import(pathToFileURL(out).href);
