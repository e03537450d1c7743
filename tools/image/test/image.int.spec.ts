/**
 * The images start. Both are built from `dist/apps/*` (or taken from the cache), their archives
 * read by skopeo, unpacked with umoci into OCI runtime bundles and run with runc (or crun) inside
 * a lab network namespace that also holds a real control plane (`@metallb-ts/kube`, started with
 * `--netns`): the controller — as 65532 with no capability and a read-only root — passes its
 * readiness probe and serves `--metrics-secure` metrics (401 without a token, 200 with one allowed
 * to get /metrics); the speaker — as root with only CAP_NET_RAW — loads its Node-API addons and
 * passes its readiness probe; both stop cleanly on SIGTERM.
 *
 * Needs root, umoci, runc or crun, ip, curl, tar (tools/system-deps.txt) and Go 1.26 for the
 * control plane; skipped with the reason in the title otherwise.
 */
import { goSkipReason, kubectl, up, down } from '@metallb-ts/kube';
import { JsonLinesProcess, Lab, labSkipReason, removeDir, repoRoot, runChild, spawnTracked, tempDir, waitFor } from '@metallb-ts/test-lab';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, imageSkipReason, type BuiltImage } from '../src/build.js';
import { ociRuntime, runtimeConfig, unpackImage, writeRuntimeConfig } from '../src/run.js';
import { APP_IMAGES, type AppName } from '../src/spec.js';

const runtime = ociRuntime();
const why = labSkipReason(['ip', 'curl', 'tar']) ?? imageSkipReason() ?? (runtime ? undefined : 'needs runc or crun (apt: tools/system-deps.txt)') ?? goSkipReason();
const suite = why ? (t: string, fn: () => void) => describe.skip(`${t} [skipped: ${why}]`, fn) : describe;

const root = repoRoot();
const CRDS = join(root, 'deploy', 'crds');

/** Builds the bundle with nx when it is missing (the nx test-int target depends on both builds). */
function ensureBundle(app: AppName): void {
  if (APP_IMAGES[app].files.every((f) => existsSync(join(root, 'dist', 'apps', app, f)))) return;
  const r = spawnSync('npx', ['nx', 'run', `${app}:build`, '--output-style=static'], { cwd: root, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } });
  if (r.status !== 0) throw new Error(`npx nx run ${app}:build failed: ${r.stdout}${r.stderr}`);
}

suite('OCI images run with runc/crun in a lab namespace against a real control plane', () => {
  const work = tempDir('image-int');
  const kubeDir = join(work, 'kube');
  const lab = new Lab('image');
  const containers: string[] = [];
  const images = {} as Record<AppName, BuiltImage>;
  let ns: string;
  let token: string;

  /** Starts `app`'s image as container `id` with `spec`; returns its output as JSON lines. */
  const start = (app: AppName, id: string, spec: Parameters<typeof runtimeConfig>[1]) => {
    const { bundle, config } = unpackImage(images[app].archive, images[app].tag, join(work, id));
    writeRuntimeConfig(bundle, runtimeConfig(config, spec));
    containers.push(id);
    return new JsonLinesProcess(id, spawnTracked([runtime!, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] }));
  };
  const state = (id: string) => JSON.parse(spawnSync(runtime!, ['state', id], { encoding: 'utf8' }).stdout) as { pid: number; status: string };
  const statusLine = (pid: number, key: string) => readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`))!.split(/\s+/).slice(1);
  const curl = (args: string[]) => lab.run(ns, ['curl', '-s', '--max-time', '5', ...args]);
  const httpCode = (url: string, extra: string[] = []) => curl(['-k', '-o', '/dev/null', '-w', '%{http_code}', ...extra, url]).out.trim();

  beforeAll(async () => {
    ensureBundle('controller');
    ensureBundle('speaker');
    for (const app of ['controller', 'speaker'] as const) images[app] = buildImage({ app, log: (l) => console.log(l) });
    ns = lab.ns('cp');
    // The control plane is this test's fixture, not its subject. In the parallel CI run its
    // kube-controller-manager twice died at start with an empty log (not reproduced alone; cause
    // still open, see the closing note); start it once more before failing, and say so.
    try {
      await up({ dir: kubeDir, netns: ns, etcdUnsafeNoFsync: true, log: (l) => console.log(l) });
    } catch (e) {
      console.log(`[image] control plane did not start (${(e as Error).message.split('\n')[0]}); starting it once more`);
      await down({ dir: kubeDir, purge: true });
      await up({ dir: kubeDir, netns: ns, etcdUnsafeNoFsync: true, log: (l) => console.log(l) });
    }
    const must = async (args: string[], input?: string) => {
      const r = await kubectl(args, { dir: kubeDir, ...(input ? { input } : {}) });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await must(['apply', '-f', CRDS]);
    await must(['wait', '--for=condition=established', '--timeout=60s', 'crd', '--all']);
    const objects = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
      { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' } } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prometheus', namespace: 'monitoring' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'metallb-ts-metrics-reader' }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'prometheus-metallb-ts-metrics-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metallb-ts-metrics-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }],
      },
    ];
    await must(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    token = (await must(['create', 'token', 'prometheus', '-n', 'monitoring', '--duration=3600s'])).trim();
    // The containers read one self-contained kubeconfig (certificates inline) that user 65532
    // may read; the control plane listens on the namespace's loopback, which they share.
    writeFileSync(join(work, 'kubeconfig'), await must(['config', 'view', '--raw', '--flatten', '--minify']));
    chmodSync(join(work, 'kubeconfig'), 0o644);
    chmodSync(work, 0o755);
  }, 3_600_000);

  afterAll(async () => {
    for (const id of containers) spawnSync(runtime!, ['delete', '--force', id], { stdio: 'ignore' });
    await down({ dir: kubeDir, graceMs: 5000 }).catch(() => []);
    await lab.cleanup();
    removeDir(work);
  });

  it.skipIf(spawnSync('skopeo', ['--version']).error !== undefined)('the archives are OCI image archives another tool (skopeo) reads: user, entrypoint, labels', async () => {
    for (const app of ['controller', 'speaker'] as const) {
      const r = await runChild(['skopeo', 'inspect', '--config', `oci-archive:${images[app].archive}:${images[app].tag}`]);
      expect(r.status, r.stderr).toBe(0);
      const cfg = JSON.parse(r.stdout) as { config: { User: string; Entrypoint: string[]; Labels: Record<string, string> }; rootfs: { diff_ids: string[] } };
      expect(cfg.config.User).toBe(APP_IMAGES[app].user);
      expect(cfg.config.Entrypoint).toEqual(['/usr/local/bin/node', '/app/main.mjs']);
      expect(cfg.config.Labels['org.opencontainers.image.title']).toBe(`metallb-ts ${app}`);
      expect(cfg.config.Labels['org.opencontainers.image.version']).toBe(images[app].version);
      expect(cfg.rootfs.diff_ids).toHaveLength(2);
    }
  });

  it('the controller: as 65532 without capabilities on a read-only root, ready against the control plane, secure metrics, clean SIGTERM', async () => {
    const p = start('controller', `mts-img-ctl-${process.pid}`, {
      netnsPath: `/run/netns/${ns}`,
      capabilities: [],
      binds: [{ source: work, destination: '/etc/metallb-ts' }],
      appArgs: ['--kubeconfig=/etc/metallb-ts/kubeconfig', '--namespace=metallb-system', '--port=7472', '--metrics-secure', '--metrics-bind-address=:9120', '--leader-elect=false'],
    });
    await p.waitLine((l) => l['msg'] === 'starting', { timeoutMs: 60_000, what: 'the start-up line' });
    await waitFor('the controller /readyz to answer 200', () => httpCode('http://127.0.0.1:7472/readyz') === '200', { timeoutMs: 120_000, everyMs: 500 });
    const pid = state(p.name).pid;
    expect(statusLine(pid, 'Uid')).toEqual(['65532', '65532', '65532', '65532']);
    expect(statusLine(pid, 'CapEff')).toEqual(['0000000000000000']);
    expect(httpCode('https://127.0.0.1:9120/metrics')).toBe('401');
    const body = curl(['-k', '-H', `Authorization: Bearer ${token}`, 'https://127.0.0.1:9120/metrics']).out;
    expect(body).toContain('metallb_k8s_client_config_loaded_bool 1');
    expect(httpCode('http://127.0.0.1:7472/metrics')).toBe('404');
    expect(p.lines.find((l) => l['msg']?.toString().startsWith('serving /metrics over HTTPS'))).toMatchObject({ certificate: 'self-signed' });
    spawnSync(runtime!, ['kill', p.name, 'TERM']);
    expect(await p.exited).toBe(0);
    expect(p.lines.some((l) => l['msg'] === 'shutting down')).toBe(true);
  });

  it('the speaker: its Node-API addons load inside the image (glibc, libgcc_s from the runtime layer)', async () => {
    const code = "for (const a of ['arp_responder', 'tcp_md5']) require('/app/' + a + '.node'); console.log(JSON.stringify({ msg: 'addons loaded', uid: process.getuid() }))";
    const p = start('speaker', `mts-img-spk-addons-${process.pid}`, { args: ['/usr/local/bin/node', '-e', code], capabilities: ['CAP_NET_RAW'] });
    expect(await p.exited, p.tail()).toBe(0);
    expect(p.lines).toContainEqual({ msg: 'addons loaded', uid: 0 });
  });

  it('the speaker: as root with only CAP_NET_RAW, ready against the control plane, clean SIGTERM', async () => {
    const p = start('speaker', `mts-img-spk-${process.pid}`, {
      netnsPath: `/run/netns/${ns}`,
      capabilities: ['CAP_NET_RAW'],
      binds: [{ source: work, destination: '/etc/metallb-ts' }],
      appArgs: ['--node-name=n1', '--kubeconfig=/etc/metallb-ts/kubeconfig', '--namespace=metallb-system', '--port=7473'],
    });
    await waitFor('the speaker /readyz to answer 200', () => httpCode('http://127.0.0.1:7473/readyz') === '200', { timeoutMs: 120_000, everyMs: 500 });
    const pid = state(p.name).pid;
    expect(statusLine(pid, 'Uid')).toEqual(['0', '0', '0', '0']);
    expect(statusLine(pid, 'CapEff')).toEqual(['0000000000002000']); // bit 13: CAP_NET_RAW
    const metrics = curl(['http://127.0.0.1:7473/metrics']).out;
    expect(metrics).toContain('metallb_k8s_client_config_loaded_bool');
    spawnSync(runtime!, ['kill', p.name, 'TERM']);
    expect(await p.exited).toBe(0);
  });
});
