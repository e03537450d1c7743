// Bundles bench.ts against the TypeScript sources (esbuild, `@metallb-ts/source` condition) and
// runs it: `node bench/bgp-speaker/run.mjs` from the repo root, as root.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mtsbgp-bench-'));
const out = join(dir, 'bench.mjs');
await build({ entryPoints: [join(here, 'bench.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node22', conditions: ['@metallb-ts/source'], outfile: out, logLevel: 'warning', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
const r = spawnSync(process.execPath, ['--expose-gc', out, ...process.argv.slice(2)], { stdio: 'inherit' });
rmSync(dir, { recursive: true, force: true });
process.exit(r.status ?? 1);
