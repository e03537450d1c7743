/**
 * The image build context (.dockerignore at the repository root): what the Containerfiles COPY
 * from the context is sent, and what is built or installed on the host (node_modules, dist, nx
 * cache, test results) is not.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

/** Docker's rules for the patterns used here: `name` at the root, `**\/name` at any depth. */
function ignored(patterns: readonly string[], path: string): boolean {
  const parts = path.split('/');
  for (const p of patterns) {
    if (p.startsWith('**/')) {
      const name = p.slice(3);
      if (name.startsWith('*.')) {
        if (parts.some((x) => x.endsWith(name.slice(1)))) return true;
      } else if (parts.includes(name)) return true;
    } else if (parts[0] === p) return true;
  }
  return false;
}

const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

const containerfiles = ['apps/controller/Containerfile', 'apps/speaker/Containerfile'];

/** Context sources of `COPY` lines (not `--from=` stage copies). */
function contextSources(file: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync(join(root, file), 'utf8').split('\n')) {
    const m = /^COPY\s+(.*)$/.exec(line.trim());
    if (!m || /--from=/.test(m[1]!)) continue;
    const words = m[1]!.split(/\s+/).filter((w) => !w.startsWith('--'));
    out.push(...words.slice(0, -1).map((w) => w.replace(/^\.\//, '').replace(/\/$/, '')));
  }
  return out;
}

describe('.dockerignore', () => {
  it('only uses the pattern forms this test understands', () => {
    for (const p of patterns) expect(p, p).toMatch(/^(\*\*\/)?(\*\.)?[\w.-]+$/);
  });

  it.each(containerfiles)('%s: every context path it copies is sent', (file) => {
    const sources = contextSources(file);
    expect(sources.length).toBeGreaterThan(3);
    for (const s of sources) {
      expect(existsSync(join(root, s)), `${s} exists`).toBe(true);
      expect(ignored(patterns, s), `${s} is sent`).toBe(false);
    }
  });

  it('the sources of every workspace package are sent, their build output and node_modules are not', () => {
    for (const group of ['libs', 'apps']) {
      for (const name of readdirSync(join(root, group))) {
        expect(ignored(patterns, `${group}/${name}/src/index.ts`)).toBe(false);
        expect(ignored(patterns, `${group}/${name}/package.json`)).toBe(false);
        expect(ignored(patterns, `${group}/${name}/node_modules/x/index.js`)).toBe(true);
        expect(ignored(patterns, `${group}/${name}/dist/index.js`)).toBe(true);
      }
    }
    for (const p of ['node_modules/nx/package.json', 'dist/apps/controller/main.mjs', '.nx/cache/x', '.git/HEAD', 'libs/ipam/.test-results/unit.json']) expect(ignored(patterns, p), p).toBe(true);
  });

  it('the matcher itself: root names, any-depth names and extensions', () => {
    expect(ignored(['dist'], 'dist/a')).toBe(true);
    expect(ignored(['dist'], 'libs/a/dist/b')).toBe(false);
    expect(ignored(['**/dist'], 'libs/a/dist/b')).toBe(true);
    expect(ignored(['**/*.log'], 'a/b/c.log')).toBe(true);
    expect(ignored(['**/*.log'], 'a/b/c.ts')).toBe(false);
  });
});
