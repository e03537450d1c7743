/**
 * Speaker footprint (issue 20): RSS of each speaker of a 3-node lab (apps/lab, used as a
 * consumer through its CLI) while N LoadBalancer Services are announced in Layer 2 and in BGP.
 *
 * Steps: `lab up --prefix fp --nodes 3 --detach`; a pool of IPv6 addresses (2001:db8:5::/116,
 * documentation space, inside the lab's namespaces only), an L2Advertisement and a
 * BGPAdvertisement of it, a BGPPeer to the lab's router (2001:db8::2, AS 64501); one web Pod (on
 * n1) that every Service selects, so every Service has a ready endpoint; then N IPv6 Services.
 * It waits (bounded) until every Service has its IP, N ServiceL2Status objects exist (one
 * announcing node per Service) and the router holds N BGP routes, idles, and reads each
 * speaker's RSS, peak RSS and CPU from /proc. `lab down` at the end, also on failure.
 *
 * Run (root; repository root; the lab and the speaker built: `npx nx run lab:build`):
 *   node bench/run.mjs speaker/footprint.ts [--services 1000] [--idle 30] [--cpu 30] [--prefix fp] [--repo DIR]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadClientConfig, Resources, type KubeObject } from '@metallb-ts/k8s-watch';

const repo = process.env.BENCH_REPO ?? process.cwd();
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const N = Number(arg('--services', '1000'));
const idleS = Number(arg('--idle', '30'));
const cpuS = Number(arg('--cpu', '30'));
const prefix = arg('--prefix', 'fp');
if (!Number.isInteger(N) || N < 1 || N > 4000) throw new Error('--services: 1..4000 (the pool is a /116)');
if (process.getuid?.() !== 0) {
  process.stderr.write('the lab needs root\n');
  process.exit(2);
}
/** `--repo DIR`: run the lab (and so the speaker and controller bundles) of another tree, e.g. a copy with another speaker bundle. */
const labBin = join(arg('--repo', repo), 'dist', 'apps', 'lab', 'main.mjs');
const lab = (...args: string[]) => spawnSync(process.execPath, [labBin, ...args, '--prefix', prefix], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (b: number) => (b / 1048576).toFixed(1);
const metallb = (plural: string, version = 'v1beta1') => ({ group: 'metallb.io', version, plural });

function status(pid: number): { rss: number; hwm: number } {
  const t = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(t)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
function ticks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await ok()) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

console.log(`speaker footprint: ${N} Services, 3-node lab "${prefix}"; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
lab('down');
const up = lab('up', '--nodes', '3', '--detach');
if (up.status !== 0) throw new Error(`lab up failed (${up.status}):\n${up.stdout}\n${up.stderr}`);
try {
  const kubeconfig = lab('kubeconfig').stdout.trim();
  const client = new KubeClient(loadClientConfig({ kubeconfig, env: {}, qps: 500, burst: 500 }));
  const state = JSON.parse(readFileSync(`/tmp/metallb-ts-lab-${prefix}/state.json`, 'utf8')) as { procs: { role: string; pid: number; ns?: string }[] };
  const speakers = state.procs.filter((p) => /^speaker-n\d+$/.test(p.role));
  if (speakers.length !== 3) throw new Error(`expected 3 speakers, found ${speakers.map((p) => p.role).join(', ')}`);
  const controller = state.procs.find((p) => p.role === 'controller');
  const show = (when: string) => {
    const parts = speakers.map((p) => {
      const s = status(p.pid);
      return `${p.role} ${MiB(s.rss)} MiB (peak ${MiB(s.hwm)})`;
    });
    console.log(`${when}: ${parts.join(', ')}${controller ? `; controller ${MiB(status(controller.pid).rss)} MiB` : ''}`);
  };
  await sleep(5000);
  show('speakers RSS, no Services');

  const ms = 'metallb-system';
  await client.create(metallb('ipaddresspools'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'fp', namespace: ms }, spec: { addresses: ['2001:db8:5::/116'] } });
  await client.create(metallb('l2advertisements'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'fp-l2', namespace: ms }, spec: { ipAddressPools: ['fp'] } });
  await client.create(metallb('bgpadvertisements'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'fp-bgp', namespace: ms }, spec: { ipAddressPools: ['fp'] } });
  await client.create(metallb('bgppeers', 'v1beta2'), ms, { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'fp-router6', namespace: ms }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '2001:db8::2' } });
  await client.create(Resources.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fp-web', namespace: 'default', labels: { app: 'fp-web' } },
    spec: { nodeName: 'n1', containers: [{ name: 'web', image: 'metallb-ts/lab-http', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
  } as KubeObject);
  const t0 = performance.now();
  for (let i = 0; i < N; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, N - i) }, (_, k) =>
        client.create(Resources.services, 'default', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `fp-${i + k}`, namespace: 'default', labels: { app: 'fp-web' } },
          spec: { type: 'LoadBalancer', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], selector: { app: 'fp-web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
        } as KubeObject),
      ),
    );
  }
  console.log(`created ${N} Services in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const allocated = async () => (await client.list<KubeObject>(Resources.services, { namespace: 'default' })).items.filter((s) => ((s.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress?.length ?? 0) > 0).length;
  const tIPs = await until(`${N} Services with an IP`, async () => (await allocated()) >= N, 900_000);
  const tL2 = await until(`${N} ServiceL2Status objects`, async () => (await client.list(metallb('servicel2statuses'), { namespace: ms })).items.length >= N, 900_000);
  const routes = () => execFileSync('ip', ['netns', 'exec', `${prefix}-router`, 'ip', '-6', 'route', 'show', 'proto', 'bgp'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('2001:db8:5:')).length;
  const tBGP = await until(`${N} BGP routes at the router`, () => routes() >= N, 900_000);
  console.log(`all ${N} with IPs after ${tIPs.toFixed(0)} s; ${N} L2 announcements ${tL2.toFixed(0)} s later; ${routes()} BGP routes at the router ${tBGP.toFixed(0)} s later`);
  show('speakers RSS right after');
  await sleep(idleS * 1000);
  const c0 = speakers.map((p) => ticks(p.pid));
  const w0 = performance.now();
  await sleep(cpuS * 1000);
  const secs = (performance.now() - w0) / 1000;
  show(`speakers RSS after ${idleS + cpuS} s idle`);
  console.log(`idle CPU over ${cpuS} s: ${speakers.map((p, i) => `${p.role} ${(((ticks(p.pid) - c0[i]!) / 100 / secs) * 100).toFixed(2)} %`).join(', ')} of a core`);
  console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  const down = lab('down');
  if (down.status !== 0) console.error(`lab down: ${down.status} ${down.stderr}`);
}
