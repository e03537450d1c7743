/**
 * The standalone command, exactly as documented: `npx apiserver-lite --port P --crds deploy/crds
 * --kubeconfig-out FILE`, run from the repository root without a build step; kubectl and
 * client-node use the kubeconfig it writes; `--snapshot` keeps objects across a restart.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { canConnect } from '@metallb-ts/test-lab';
import { afterAll, describe, expect, it } from 'vitest';
import { findKubectl, kubectlRunner, REPO } from './kubectl-helpers.js';
import { freePort } from '@metallb-ts/test-lab';

const kubectlBin = findKubectl();
const tmp = mkdtempSync(join(tmpdir(), 'apiserver-lite-cli-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) {
    try {
      // Each child leads its own process group (npx → sh → node): end the whole group we started.
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts the command (through npx, or the linked bin with node); resolves once it printed where the kubeconfig is. */
async function start(args: string[], via: 'npx' | 'node' = 'npx'): Promise<{ child: ChildProcess; out: () => string }> {
  const [cmd, pre] = via === 'npx' ? ['npx', ['apiserver-lite']] : [process.execPath, [join(REPO, 'node_modules/.bin/apiserver-lite')]];
  const child = spawn(cmd, [...pre, ...args], {
    detached: true, cwd: REPO, env: { ...process.env, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  await expect.poll(() => out, { timeout: 60_000, interval: 100 }).toMatch(/kubeconfig written to|apiserver-lite: /);
  return { child, out: () => out };
}

async function stop(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  const done = new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  // SIGTERM to the process group: npm exec does not pass signals on to the server it runs.
  process.kill(-child.pid!, 'SIGTERM');
  return done;
}

/** Whether something accepts TCP on 127.0.0.1:port (the lab's bounded one-shot connect). */
const portOpen = (port: number): Promise<boolean> => canConnect('127.0.0.1', port);

describe('apiserver-lite command', () => {
  it('--help prints the usage and exits 0', () => {
    const r = spawnSync('npx', ['apiserver-lite', '--help'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Usage: apiserver-lite/);
    expect(r.stdout).toMatch(/--kubeconfig-out FILE/);
  });

  it('refuses bad flags with a clear message', () => {
    const r = spawnSync('npx', ['apiserver-lite', '--port', 'seventy'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` }, timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--port must be an integer/);
  });

  it('serves deploy/crds and writes a kubeconfig that kubectl and client-node accept', async () => {
    const port = await freePort();
    const kc = join(tmp, 'kubeconfig');
    const { child, out } = await start(['--port', String(port), '--crds', 'deploy/crds', '--kubeconfig-out', kc]);
    expect(out()).toContain(`listening on http://127.0.0.1:${port}`);
    expect(out()).toContain(`kubeconfig written to ${kc}`);
    expect(readFileSync(kc, 'utf8')).toContain(`server: http://127.0.0.1:${port}`);
    const c = new k8s.KubeConfig();
    c.loadFromFile(kc);
    const crds = await c.makeApiClient(k8s.ApiextensionsV1Api).listCustomResourceDefinition();
    expect(crds.items.map((x) => x.metadata!.name)).toContain('ipaddresspools.metallb.io');
    if (kubectlBin) {
      const r = await kubectlRunner(kubectlBin, kc)(['get', 'crds', '-o', 'name']);
      expect(r.stdout).toMatch(/ipaddresspools\.metallb\.io/);
    } else console.warn('kubectl missing: checked the kubeconfig with client-node only');
    // The server must really go away.
    const st = await stop(child);
    expect(st.code === 0 || st.signal === 'SIGTERM').toBe(true);
    await expect.poll(() => portOpen(port), { timeout: 10_000 }).toBe(false);
  });

  it('--snapshot keeps objects across a restart', async () => {
    const port = await freePort();
    const kc = join(tmp, 'kc2');
    const snap = join(tmp, 'state.json');
    const args = ['--port', String(port), '--crds', 'deploy/crds', '--kubeconfig-out', kc, '--snapshot', snap];
    const first = await start(args, 'node');
    const c = new k8s.KubeConfig();
    c.loadFromFile(kc);
    const core = c.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'survivor' }, data: { k: 'v' } } });
    const before = await core.readNamespacedConfigMap({ namespace: 'default', name: 'survivor' });
    expect(await stop(first.child)).toEqual({ code: 0, signal: null });
    const second = await start(args, 'node');
    const after = await core.readNamespacedConfigMap({ namespace: 'default', name: 'survivor' });
    expect(after.metadata!.uid).toBe(before.metadata!.uid);
    expect(after.metadata!.resourceVersion).toBe(before.metadata!.resourceVersion);
    expect(after.data).toEqual({ k: 'v' });
    expect((await stop(second.child)).code).toBe(0);
  });
});
