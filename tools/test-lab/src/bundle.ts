/**
 * Bundles a TypeScript entry (workspace sources through the `@metallb-ts/source` condition) into
 * one ESM file that a child process — possibly inside a namespace — runs with plain `node`.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Options of {@link bundleEntry}. */
export interface BundleOptions {
  /** Add the createRequire banner (for bundles that load native addons or CJS). @default true */
  requireBanner?: boolean;
  /** Packages left external. @default [] */
  external?: string[];
}

/** Bundles `entry` into `outfile` with esbuild and returns `outfile`. */
export async function bundleEntry(entry: string, outfile: string, opts: BundleOptions = {}): Promise<string> {
  const { build } = await import('esbuild');
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    conditions: ['@metallb-ts/source'],
    outfile,
    external: opts.external ?? [],
    logLevel: 'error',
    ...(opts.requireBanner === false ? {} : { banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } }),
  });
  return outfile;
}
