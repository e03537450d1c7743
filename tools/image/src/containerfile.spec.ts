/**
 * The Containerfiles cannot be built here (no container engine), so their agreement with what we
 * can build and test is checked instead: two stages, the build stage running the app's real nx
 * build target, the runtime stage a Node 24 image copying exactly the files the OCI builder puts in
 * (bundle and addons), the user (65532 / root), the ports and the OCI labels of `spec.ts`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_IMAGES, APP_NAMES, imageLabels, type AppName } from './spec.js';

const root = join(import.meta.dirname, '..', '..', '..');

interface Instruction {
  op: string;
  args: string;
}

/** Containerfile instructions (comments dropped, `\`-continued lines joined). */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\s*\\\n\s*/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l);
      if (!m) throw new Error(`not an instruction: ${l}`);
      return { op: m[1]!.toUpperCase(), args: m[2]! };
    });
}

/** Splits instructions into stages at FROM. */
function stages(ins: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of ins) {
    if (i.op === 'FROM') out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

/** LABEL key="value" pairs. */
function labels(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([\w.-]+)="([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

describe.each(APP_NAMES.map((a) => [a] as const))('apps/%s/Containerfile', (app: AppName) => {
  const text = readFileSync(join(root, 'apps', app, 'Containerfile'), 'utf8');
  const ins = instructions(text);
  const [build, runtime] = stages(ins);
  const img = APP_IMAGES[app];

  it('is multi-stage: a Node 24 build stage, then a minimal Node 24 runtime', () => {
    expect(stages(ins)).toHaveLength(2);
    expect(ins.find((i) => i.op === 'ARG')?.args).toBe('NODE_MAJOR=24');
    expect(build![0]!.args).toBe('docker.io/library/node:${NODE_MAJOR}-bookworm AS build');
    expect(runtime![0]!.args).toMatch(/^gcr\.io\/distroless\/nodejs\$\{NODE_MAJOR\}-debian12(:nonroot)?$/);
  });

  it("the build stage installs with the lock file and runs the app's nx build target", () => {
    const run = build!.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
    expect(run).toContain('npm ci');
    expect(run).toContain(`npx nx run ${app}:build`);
    const pkg = JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8'));
    expect(pkg.scripts.build).toContain(`--outfile=../../dist/apps/${app}/main.mjs`);
    for (const f of img.files) expect(run).toContain(`test -s dist/apps/${app}/${f}`);
  });

  it('the runtime stage copies exactly the files the OCI builder packs, into /app', () => {
    const copies = runtime!.filter((i) => i.op === 'COPY');
    expect(copies).toHaveLength(1);
    const parts = copies[0]!.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    expect(copies[0]!.args).toMatch(/^--from=build /);
    const dest = parts.pop()!;
    expect(parts.map((p) => p.replace(`/src/dist/apps/${app}/`, ''))).toEqual(img.files);
    expect(dest === '/app/' || (img.files.length === 1 && dest === `/app/${img.files[0]}`)).toBe(true);
    const entry = runtime!.find((i) => i.op === 'ENTRYPOINT')!.args;
    expect(JSON.parse(entry)).toEqual(['/nodejs/bin/node', '/app/main.mjs']);
  });

  it('runs as the image spec says (controller 65532, speaker root) and exposes the same ports', () => {
    const users = runtime!.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users).toEqual([img.user]);
    if (app === 'controller') expect(runtime![0]!.args).toMatch(/:nonroot$/);
    const ports = runtime!.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(ports).toEqual(img.ports);
  });

  it('carries the org.opencontainers.image.* labels of the OCI builder', () => {
    const l = labels(runtime!.filter((i) => i.op === 'LABEL').map((i) => i.args).join(' '));
    const want = imageLabels(img, { version: 'v', revision: 'r', created: 'c', nodeVersion: 'n' });
    expect(l['org.opencontainers.image.title']).toBe(want['org.opencontainers.image.title']);
    expect(l['org.opencontainers.image.description']).toBe(want['org.opencontainers.image.description']);
    expect(l['org.opencontainers.image.licenses']).toBe(want['org.opencontainers.image.licenses']);
    expect(l['org.opencontainers.image.version']).toBe('${VERSION}');
    expect(l['org.opencontainers.image.revision']).toBe('${REVISION}');
  });
});

describe('instructions', () => {
  it('joins continued lines and drops comments', () => {
    expect(instructions('# c\nFROM a AS b\nRUN x \\\n  && y\n\nUSER 1:1\n')).toEqual([
      { op: 'FROM', args: 'a AS b' },
      { op: 'RUN', args: 'x && y' },
      { op: 'USER', args: '1:1' },
    ]);
  });
});
