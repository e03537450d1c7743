#!/usr/bin/env node
// The `apiserver-lite` command. Runs without a build step: it loads the published bundle
// (dist/cli.js) when present, otherwise bundles the TypeScript sources with esbuild (a root
// devDependency) into a cache file next to this package and imports that.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(pkgDir, 'dist', 'cli.js');

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

async function entry() {
  const src = join(pkgDir, 'src', 'cli.ts');
  if (!existsSync(src)) return dist;
  const out = join(pkgDir, 'node_modules', '.cache', 'apiserver-lite', 'cli.mjs');
  const roots = [join(pkgDir, 'src'), ...['clock', 'netaddr', 'labels', 'errors'].map((lib) => join(pkgDir, '..', lib, 'src'))].filter(existsSync);
  if (existsSync(out) && statSync(out).mtimeMs >= Math.max(...roots.map(newestMtime))) return out;
  const { build } = await import('esbuild');
  mkdirSync(dirname(out), { recursive: true });
  // Build to a private file and rename: concurrent starts never import a half-written bundle.
  const tmp = `${out}.${process.pid}.tmp.mjs`;
  await build({
    entryPoints: [src],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    conditions: ['@metallb-ts/source'],
    // npm packages stay external (resolved from node_modules); workspace libraries are bundled.
    plugins: [{ name: 'externals', setup(b) { b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@metallb-ts/') ? undefined : { external: true })); } }],
    logLevel: 'warning',
  });
  renameSync(tmp, out);
  return out;
}

const file = existsSync(join(pkgDir, 'src', 'cli.ts')) ? await entry() : dist;
const { main } = await import(pathToFileURL(file).href);
process.exitCode = await main(process.argv.slice(2));
