/**
 * The `metallb-ts-image` command line, parsed without I/O.
 */
import { APP_NAMES, type AppName } from './spec.js';

/** The usage text. */
export const USAGE = `usage:
  metallb-ts-image build [controller|speaker|all] [--no-bundle] [--docker-archive] [--out DIR]
      builds dist/apps/<app> first (npx nx run <app>:build) unless --no-bundle, then the OCI image
      (cached in ~/.cache/metallb-ts/images/<key>); prints <app>.archive=, .layout=, .ref=, .digest=
      --docker-archive  also a docker-archive for \`docker load\` (needs skopeo)
      --out DIR         also copy the archives to DIR
  metallb-ts-image list   the cached images`;

/** A parsed command line. */
export type ImageArgs =
  | { ok: true; command: 'build'; apps: AppName[]; bundle: boolean; dockerArchive: boolean; out: string | undefined }
  | { ok: true; command: 'list' }
  | { ok: true; command: 'help' }
  | { ok: false; error: string };

/** Parses argv (without node and the script). */
export function parseImageArgs(argv: readonly string[]): ImageArgs {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { ok: true, command: 'help' };
  if (command === 'list') return rest.length ? { ok: false, error: `list takes no arguments (got ${rest.join(' ')})` } : { ok: true, command: 'list' };
  if (command !== 'build') return { ok: false, error: `unknown command "${command}"` };
  let apps: AppName[] | undefined;
  let bundle = true;
  let dockerArchive = false;
  let out: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--no-bundle') bundle = false;
    else if (a === '--docker-archive') dockerArchive = true;
    else if (a === '--out' || a.startsWith('--out=')) {
      const v = a === '--out' ? rest[++i] : a.slice(6);
      if (!v || v.startsWith('--')) return { ok: false, error: '--out needs a directory' };
      out = v;
    } else if (a.startsWith('-')) return { ok: false, error: `unknown flag ${a}` };
    else if (apps !== undefined) return { ok: false, error: `one app or "all" (got "${apps.join(',')}" and "${a}")` };
    else if (a === 'all') apps = [...APP_NAMES];
    else if ((APP_NAMES as readonly string[]).includes(a)) apps = [a as AppName];
    else return { ok: false, error: `unknown app "${a}": one of ${APP_NAMES.join('|')}|all` };
  }
  return { ok: true, command: 'build', apps: apps ?? [...APP_NAMES], bundle, dockerArchive, out };
}
