// Checks of the workspace itself: the Node pin, lint-enforced module boundaries, the project
// graph and independent release versions. These spawn real tools (eslint, nx), not mocks.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const nx = join(root, 'node_modules', '.bin', 'nx');

interface Project { name: string; dir: string; tags: string[]; pkg: any }
function projects(): Project[] {
  const out: Project[] = [];
  for (const group of ['libs', 'apps']) {
    const d = join(root, group);
    if (!existsSync(d)) continue;
    for (const n of readdirSync(d)) {
      const pj = join(d, n, 'package.json');
      if (!existsSync(pj)) continue;
      const pkg = JSON.parse(readFileSync(pj, 'utf8'));
      out.push({ name: pkg.nx?.name ?? n, dir: join(group, n), tags: pkg.nx?.tags ?? [], pkg });
    }
  }
  return out;
}

describe('runtime', () => {
  it('tests run on Node 24 LTS from the npm "node" package', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(rootPkg.devDependencies.node).toMatch(/^24\./);
    expect(rootPkg.engines.node).toBe('>=22');
  });
});

describe('library packages', () => {
  const libs = projects().filter((p) => p.dir.startsWith('libs/'));
  it.each(libs.map((l) => [l.name, l] as const))('%s is a separately versioned package', (_n, l) => {
    expect(l.pkg.name).toBe(`@metallb-ts/${l.dir.slice(5)}`);
    expect(l.pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(l.pkg.sideEffects).toBe(false);
    expect(Object.keys(l.pkg.exports).every((k: string) => k === '.' || k === './testing')).toBe(true);
    expect(existsSync(join(root, l.dir, 'README.md'))).toBe(true);
    expect(l.tags).toContain('type:lib');
  });
});

describe('where tests live', () => {
  /** Every `*.spec.ts` below `dir`, relative to the repository root (no node_modules/dist). */
  function specs(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
        if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
        const rel = join(d, e.name);
        if (e.isDirectory()) walk(rel);
        else if (e.name.endsWith('.spec.ts')) out.push(rel);
      }
    };
    if (existsSync(join(root, dir))) walk(dir);
    return out;
  }
  const projectDirs = [...projects().map((p) => p.dir), ...['tools/test-lab', 'tools/kube', 'tools/image', 'tools/metallb'].filter((d) => existsSync(join(root, d, 'package.json')))];
  it.each(projectDirs.map((d) => [d] as const))('%s: unit specs sit beside their code in src/, test/ holds only integration specs', (dir) => {
    const misplaced = specs(dir).filter((f) => (f.endsWith('.int.spec.ts') ? !f.startsWith(`${dir}/test/`) && !f.startsWith(`${dir}/src/`) : !f.startsWith(`${dir}/src/`)));
    expect(misplaced).toEqual([]);
  });
});

describe('module boundaries are enforced by lint', () => {
  let eslint: ESLint;
  beforeAll(() => {
    execFileSync(nx, ['show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' } });
    eslint = new ESLint({ cwd: root });
  });
  const lint = async (file: string, code: string) =>
    (await eslint.lintText(code, { filePath: join(root, file) }))[0]!.messages.map((m) => `${m.ruleId}: ${m.message}`);

  it('a protocol/shared library importing a Kubernetes client fails lint', async () => {
    const msgs = await lint('libs/netaddr/src/boundary-probe.ts', "import * as k from '@kubernetes/client-node';\nexport const x = k;\n");
    expect(msgs.join('\n')).toMatch(/no-restricted-imports: .*Kubernetes/);
  });
  it('a library importing k8s-watch fails lint', async () => {
    const msgs = await lint('libs/clock/src/boundary-probe.ts', "import { x } from '@metallb-ts/k8s-watch';\nexport const y = x;\n");
    expect(msgs.join('\n')).toMatch(/no-restricted-imports/);
  });
  it('a library calling Date.now / Math.random / setTimeout fails lint', async () => {
    const msgs = await lint('libs/netaddr/src/boundary-probe.ts', 'export const t = Date.now() + Math.random();\nsetTimeout(() => 1, 1);\n');
    expect(msgs.filter((m) => /no-restricted-(properties|globals)/.test(m))).toHaveLength(3);
  });
  it('a second LabelSelector type or a local assertNever fails lint (one model per concept)', async () => {
    const code = 'export interface LabelSelector { matchLabels?: Record<string, string> }\nexport type LabelSelectorRequirement = { key: string };\nexport function assertNever(x: never): never { throw new Error(String(x)); }\n';
    for (const file of ['libs/ipam/src/dup-probe.ts', 'apps/controller/src/dup-probe.ts', 'libs/config/test/dup-probe.spec.ts']) {
      const msgs = (await lint(file, code)).filter((m) => m.startsWith('no-restricted-syntax'));
      expect(msgs.filter((m) => /@metallb-ts\/labels/.test(m))).toHaveLength(2);
      expect(msgs.filter((m) => /@metallb-ts\/errors/.test(m))).toHaveLength(1);
    }
    // Their homes may declare them; each still may not copy the other's.
    expect((await lint('libs/labels/src/dup-probe.ts', code)).filter((m) => m.startsWith('no-restricted-syntax'))).toEqual([expect.stringMatching(/@metallb-ts\/errors/)]);
    expect((await lint('libs/errors/src/dup-probe.ts', code)).filter((m) => m.startsWith('no-restricted-syntax'))).toHaveLength(2);
  });
  it('the shared labels and errors libraries never see Kubernetes', async () => {
    for (const lib of ['labels', 'errors']) {
      const msgs = await lint(`libs/${lib}/src/boundary-probe.ts`, "import { x } from '@metallb-ts/config';\nexport const y = x;\n");
      expect(msgs.join('\n')).toMatch(/no-restricted-imports/);
    }
  });
  it('the same calls are allowed in tests and in the system clock', async () => {
    expect(await lint('libs/netaddr/src/probe.spec.ts', 'export const t = Date.now();\n')).toEqual([]);
  });
  const apps = projects().filter((p) => p.dir.startsWith('apps/'));
  it.skipIf(apps.length === 0)('a library importing an app fails lint (nx tags)', async () => {
    const app = apps[0]!;
    const msgs = await lint('libs/netaddr/src/boundary-probe.ts', `import * as a from '${app.pkg.name}';\nexport const y = a;\n`);
    expect(msgs.join('\n')).toMatch(/enforce-module-boundaries|no-restricted-imports/);
  });
  it('the real sources pass lint', async () => {
    const results = await eslint.lintFiles(['libs', 'tools']);
    const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.ruleId} ${m.message}`));
    expect(errors).toEqual([]);
  });
});

describe('project graph', () => {
  it('lists every project and has no library → app edge', () => {
    const dir = mkdtempSync(join(tmpdir(), 'graph-'));
    try {
      const file = join(dir, 'graph.json');
      execFileSync(nx, ['graph', `--file=${file}`], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' } });
      const g = JSON.parse(readFileSync(file, 'utf8')).graph;
      const names = Object.keys(g.nodes);
      for (const p of projects()) expect(names).toContain(p.name);
      const isApp = (n: string) => g.nodes[n]?.data?.root?.startsWith('apps/');
      const isLib = (n: string) => g.nodes[n]?.data?.root?.startsWith('libs/');
      const bad = Object.entries(g.dependencies as Record<string, { target: string }[]>).flatMap(([src, deps]) =>
        deps.filter((d) => isLib(src) && isApp(d.target)).map((d) => `${src} -> ${d.target}`),
      );
      expect(bad).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('release', () => {
  it('nx release --dry-run versions the libraries independently, with changelogs', () => {
    const r = spawnSync(nx, ['release', '--dry-run', '--skip-publish'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', CI: 'true' },
    });
    const out = r.stdout + r.stderr;
    expect(r.status, out).toBe(0);
    for (const p of projects().filter((x) => x.dir.startsWith('libs/'))) {
      expect(out).toContain(`Running release version for project: `);
      expect(out).toMatch(new RegExp(`${p.name}\\S*\\s.*(New version|version)`));
    }
    expect(out).toMatch(/CHANGELOG/);
  });
});
