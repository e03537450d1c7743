// Runs bench.ts: bundles it with esbuild (the lab helpers are TypeScript with parameter
// properties, which Node's type stripping does not handle) and imports the bundle.
// Usage (root): node bench/arp-responder/run.mjs [--probes 1000] [--flood 100000]
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
// inside the repo (gitignored) so that the bundle resolves esbuild from node_modules
const dir = join(here, '.cache');
mkdirSync(dir, { recursive: true });
const out = join(dir, 'bench.mjs');
await build({
  entryPoints: [join(here, 'bench.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  conditions: ['@metallb-ts/source'],
  outfile: out,
  external: ['esbuild'],
  logLevel: 'error',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
process.env.MTSARP_PKG_ROOT = join(here, '..', '..', 'libs', 'arp-responder');
try {
  await import(pathToFileURL(out).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
