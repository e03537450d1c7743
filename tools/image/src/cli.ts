/**
 * `metallb-ts-image`: builds the apps' OCI images (see `build.ts`). Progress goes to stderr;
 * results to stdout as `<app>.<field>=<value>` lines.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildImage, cachedImages, ImageBuildError, REPO_ROOT } from './build.js';
import { parseImageArgs, USAGE } from './cli-args.js';

const log = (line: string) => process.stderr.write(`metallb-ts-image: ${line}\n`);

/** Runs one command line and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const a = parseImageArgs(argv);
  if (!a.ok) {
    process.stderr.write(`metallb-ts-image: ${a.error}\n${USAGE}\n`);
    return 2;
  }
  if (a.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (a.command === 'list') {
    for (const i of cachedImages()) process.stdout.write(`${i.ref} ${i.digest} ${i.archive}\n`);
    return 0;
  }
  try {
    for (const app of a.apps) {
      if (a.bundle) {
        log(`building dist/apps/${app} (npx nx run ${app}:build)`);
        const r = spawnSync('npx', ['nx', 'run', `${app}:build`, '--output-style=static'], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2], env: { ...process.env, NX_DAEMON: 'false' } });
        if (r.status !== 0) throw new ImageBuildError(`npx nx run ${app}:build failed (exit ${r.status ?? r.signal})`);
      }
      const img = buildImage({ app, dockerArchive: a.dockerArchive, log });
      const lines: [string, string][] = [
        ['ref', img.ref],
        ['digest', img.digest],
        ['layout', `${img.layout}:${img.tag}`],
        ['archive', img.archive],
        ...(img.dockerArchive ? [['docker-archive', img.dockerArchive] as [string, string]] : []),
      ];
      if (a.out) {
        const out = resolve(a.out);
        mkdirSync(out, { recursive: true });
        for (const f of [img.archive, img.dockerArchive].filter((x): x is string => x !== undefined)) {
          copyFileSync(f, join(out, basename(f)));
          lines.push(['copied', join(out, basename(f))]);
        }
      }
      for (const [k, v] of lines) process.stdout.write(`${app}.${k}=${v}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof ImageBuildError) {
      log(e.message);
      return 1;
    }
    throw e;
  }
}
