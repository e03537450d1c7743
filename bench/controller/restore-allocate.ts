/**
 * Controller benchmark: the bundled controller binary against apiserver-lite (in this process).
 *  1. 10,000 LoadBalancer Services that already have IPs: time from controller start to the end
 *     of its initial pass (every IP restored and re-validated, nothing written).
 *  2. 10,000 new Services created at once: time until every one has an IP.
 *  3. Controller RSS with 10,000 (then 20,000) Services.
 * Run: npm run build && node bench/run.mjs controller/restore-allocate.ts [-- --services N] [--restore-only]
 */
import { startApiServer } from '@metallb-ts/apiserver-lite';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { freePort } from '@metallb-ts/test-lab';

const repo = process.env.BENCH_REPO ?? process.cwd();
const binary = join(repo, 'dist', 'apps', 'controller', 'main.mjs');
const argN = process.argv.indexOf('--services');
const N = argN > 0 ? Number(process.argv[argN + 1]) : 10_000;

function svc(name: string, i: number, ip?: string) {
  const v6 = `fd00::${(i + 1).toString(16)}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', ...(ip ? { annotations: { 'metallb.io/ip-allocated-from-pool': 'bench' } } : {}) },
    spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, clusterIP: v6, clusterIPs: [v6], ipFamilies: ['IPv6'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] },
    ...(ip ? { status: { loadBalancer: { ingress: [{ ip }] } } } : {}),
  };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const api = await startApiServer({ crdsDir: join(repo, 'deploy', 'crds') });
const a = api.server.api;
const svcType = a.mustType('', 'v1', 'services');
a.create(a.mustType('', 'v1', 'namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } });
api.apply(JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bench', namespace: 'metallb-system' }, spec: { addresses: ['2001:db8:100::/64'] } }));

// 1. Pre-existing services with IPs.
let t = performance.now();
for (let i = 0; i < N; i++) {
  a.create(svcType, 'default', svc(`old-${i}`, i, 'x'));
  a.patch(svcType, 'default', `old-${i}`, 'application/merge-patch+json', { status: { loadBalancer: { ingress: [{ ip: `2001:db8:100::${(i + 1).toString(16)}` }] } } }, {}, 'status');
}
console.log(`seeded ${N} services with IPs in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const port = await freePort();
const start = performance.now();
const child = spawn(process.execPath, [binary, '--kubeconfig', api.kubeconfigPath, '--namespace', 'metallb-system', '--port', String(port), '--leader-elect=false', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
const waitLog = (needle: string) =>
  new Promise<number>((resolve) => {
    const check = () => {
      if (out.includes(needle)) {
        child.stdout!.off('data', on);
        resolve(performance.now());
      }
    };
    const on = (b: Buffer) => {
      out += b.toString();
      check();
    };
    child.stdout!.on('data', on);
    check();
  });
const synced = await waitLog('"caches synced"');
const restoredLine = await waitLog('"restored existing allocations"');
const passDone = await waitLog('"initial allocation pass done"');
const restored = /"restored":(\d+)/.exec(out)?.[1];
console.log(`controller start → caches synced: ${((synced - start) / 1000).toFixed(2)} s`);
console.log(`controller start → ${restored} allocations restored: ${((restoredLine - start) / 1000).toFixed(2)} s`);
console.log(`controller start → initial pass over ${N} services done (ready): ${((passDone - start) / 1000).toFixed(2)} s`);
console.log(`controller RSS with ${N} services: ${rssMiB(child.pid!).toFixed(0)} MiB`);

await new Promise((r) => setTimeout(r, 15_000));
console.log(`controller RSS with ${N} services after 15 s idle: ${rssMiB(child.pid!).toFixed(0)} MiB`);
if (process.argv.includes('--restore-only')) {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await api.stop();
  process.exit(0);
}

// 2. New services, created as fast as the in-process API takes them.
t = performance.now();
for (let i = 0; i < N; i++) a.create(svcType, 'default', svc(`new-${i}`, N + i));
const created = performance.now();
for (;;) {
  const items = a.list(svcType, 'default', a.selection()).items;
  const done = items.filter((s) => s.metadata.name.startsWith('new-') && (s as { status?: { loadBalancer?: { ingress?: unknown[] } } }).status?.loadBalancer?.ingress?.length).length;
  if (done === N) break;
  if (performance.now() - t > 900_000) {
    console.log(`gave up: ${done}/${N} after 900 s`);
    break;
  }
  await new Promise((r) => setTimeout(r, 2000));
}
const allocated = performance.now();
console.log(`created ${N} new services in ${((created - t) / 1000).toFixed(1)} s; all allocated ${((allocated - t) / 1000).toFixed(1)} s after the first create (${(N / ((allocated - t) / 1000)).toFixed(0)} services/s)`);
console.log(`controller RSS with ${2 * N} services: ${rssMiB(child.pid!).toFixed(0)} MiB`);
console.log(`load average at end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await api.stop();
