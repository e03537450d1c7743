import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** This package's root (libs/arp-responder) when running from source. */
const PKG_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Bundles test/fixtures/{responder,client}-main.ts into .mjs files in a temp dir and copies the addon
 * beside it, as the CLI bundle ships it (so loading "beside the bundle" is exercised).
 */
export async function bundleResponder(pkgRoot = PKG_ROOT): Promise<{ dir: string; script: string; client: string }> {
  const addon = join(pkgRoot, 'build', 'Release', 'arp_responder.node');
  if (!existsSync(addon)) {
    // a checkout whose node_modules predates this package: build the addon (≈ 3 s) like `npm ci` would
    const r = spawnSync('npm', ['run', 'build:native'], { cwd: pkgRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the arp-responder addon failed: ${r.stdout}${r.stderr}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mtsarp-'));
  const script = join(dir, 'responder.mjs');
  const client = join(dir, 'client.mjs');
  try {
    await bundle(join(pkgRoot, 'test', 'fixtures', 'responder-main.ts'), script);
    await bundle(join(pkgRoot, 'test', 'fixtures', 'client-main.ts'), client);
    copyFileSync(addon, join(dir, 'arp_responder.node'));
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { dir, script, client };
}

async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
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
