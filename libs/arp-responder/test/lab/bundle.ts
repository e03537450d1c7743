import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
/** The built addon of this package. */
export const ADDON_BUILD_PATH = join(here, '..', '..', 'build', 'Release', 'arp_responder.node');

/**
 * Bundles test/fixtures/responder-main.ts into one .mjs in a temp dir and copies the addon
 * beside it, as the CLI bundle ships it (so loading "beside the bundle" is exercised).
 */
export async function bundleResponder(): Promise<{ dir: string; script: string; client: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mtsarp-'));
  const script = join(dir, 'responder.mjs');
  const client = join(dir, 'client.mjs');
  await bundle('responder-main.ts', script);
  await bundle('client-main.ts', client);
  copyFileSync(ADDON_BUILD_PATH, join(dir, 'arp_responder.node'));
  return { dir, script, client };
}

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [join(here, '..', 'fixtures', entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    conditions: ['@metallb-ts/source'],
    outfile,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
