#!/usr/bin/env node
// Runs a TypeScript benchmark with the workspace sources: bundles it with esbuild (workspace
// libraries bundled from src/ through the `@metallb-ts/source` condition, npm packages left
// external) and imports the bundle. The benchmark reads its own flags from process.argv.
// Usage: npm run bench -- <dir/file.ts> [flags]   e.g. npm run bench -- k8s/list-watch.ts --services 10000
// (npm run bench alone lists the benchmarks; node bench/run.mjs … does the same without the set-up step)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// The benchmarks (and the lab tools they start) need Node >= 22.18; `sudo node …` often finds the
// system's older one: run again with the workspace's Node (the `node` devDependency).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const workspaceNode = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(workspaceNode) || process.env.METALLB_TS_BENCH_REEXEC) {
    process.stderr.write(`bench: needs Node >= 22.18 (this is ${process.version}); run \`npm install\` for the workspace's Node 24, or use \`npm run bench -- …\`\n`);
    process.exit(2);
  }
  const r = spawnSync(workspaceNode, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, METALLB_TS_BENCH_REEXEC: '1' } });
  process.exit(r.status ?? 1);
}
const { build } = await import('esbuild');
const rel = process.argv[2];
if (!rel || rel.startsWith('-') || !existsSync(join(here, rel)) || !statSync(join(here, rel)).isFile()) {
  // Entry points only: a module a sibling imports (`./name.js`) is a shared helper, not a benchmark.
  const entries = (dir) => {
    const ts = readdirSync(join(here, dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    const sources = ts.map((f) => readFileSync(join(here, dir, f), 'utf8')).join('\n');
    return ts.filter((f) => !sources.includes(`'./${f.replace(/\.ts$/, '.js')}'`)).map((f) => `${dir}/${f}`);
  };
  const list = readdirSync(here, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => entries(d.name))
    .sort();
  process.stderr.write(
    `usage: npm run bench -- <dir/file.ts> [flags]   (or: node bench/run.mjs <dir/file.ts> [flags])${rel ? `\nnot a benchmark: bench/${rel}` : ''}\n` +
      `each benchmark's flags and method are in its directory's README; the benchmarks:\n${list.map((f) => `  ${f}\n`).join('')}`,
  );
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
