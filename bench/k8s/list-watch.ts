/**
 * Benchmark: list+watch of N Services (default 10,000) and cache sync time through both layers —
 * our Informer (KubeClient, paged list) and client-node's informer — against apiserver-lite
 * running in a separate process, plus watch throughput for a burst of updates.
 *
 * Run: node bench/run.mjs k8s/list-watch.ts [--services 10000] [--updates 2000]
 * Not a test: prints a Markdown table; nothing is asserted.
 */
import * as k8s from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Informer, KubeClient, loadClientConfig, PatchType, Resources, type KubeObject } from '@metallb-ts/k8s-watch';

const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--' && !a.endsWith('.ts')), options: { services: { type: 'string', default: '10000' }, updates: { type: 'string', default: '2000' } } });
const N = Number(values.services);
const U = Number(values.updates);
// The bundle runs from node_modules/.cache, so run.mjs passes the repository root.
const repo = process.env.BENCH_REPO ?? process.cwd();
const dir = mkdtempSync(join(tmpdir(), 'bench-k8s-'));
const now = () => performance.now();
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

// Seed file: N Services in 10 namespaces.
const docs: string[] = [];
for (let ns = 0; ns < 10; ns++) docs.push(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${ns}` } }));
for (let i = 0; i < N; i++)
  docs.push(JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: `bench-${i % 10}`, labels: { app: `app-${i % 100}` } }, spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, selector: { app: `app-${i % 100}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }));
writeFileSync(join(dir, 'seed.yaml'), docs.join('\n---\n'));

const kubeconfig = join(dir, 'kubeconfig');
const t0 = now();
const server = spawn(process.execPath, [join(repo, 'libs/apiserver-lite/bin/apiserver-lite.mjs'), '--port', '0', '--no-controllers', '--kubeconfig-out', kubeconfig, '--manifests', join(dir, 'seed.yaml')], { stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise<void>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('kubeconfig written')) resolve();
  });
  server.once('exit', (c) => reject(new Error(`server exited ${c}`)));
});
const seedMs = now() - t0;

const rows: [string, string][] = [];
const row = (k: string, v: string) => {
  rows.push([k, v]);
  console.error(`${k}: ${v}`);
};
row('services', String(N));
row('apiserver-lite start + seed (in-process server-side apply)', `${seedMs.toFixed(0)} ms`);

try {
  const cfg = loadClientConfig({ kubeconfig, env: {}, qps: 1e6, burst: 1e6 });
  const client = new KubeClient(cfg);

  // Raw list of everything in one request.
  let t = now();
  const all = await client.list<KubeObject>(Resources.services);
  row('one unpaged LIST of all services (KubeClient)', `${(now() - t).toFixed(0)} ms (${all.items.length} items)`);

  // Our informer: paged list (500) + watch.
  const heap0 = process.memoryUsage().heapUsed;
  const ours = new Informer<KubeObject>({ client, resource: Resources.services, pageSize: 500 });
  let oursUpdates = 0;
  ours.addEventHandler({ onUpdate: () => oursUpdates++ });
  t = now();
  ours.start();
  await ours.waitForSync();
  row('k8s-watch Informer: list (500/page) to hasSynced', `${(now() - t).toFixed(0)} ms, ${ours.store.size()} cached, heap +${mb(process.memoryUsage().heapUsed - heap0)}`);

  // client-node's informer.
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const cn = k8s.makeInformer(kc, '/api/v1/services', () => core.listServiceForAllNamespaces());
  let cnAdds = 0;
  let cnUpdates = 0;
  cn.on('add', () => cnAdds++);
  cn.on('update', () => cnUpdates++);
  t = now();
  await cn.start();
  await waitFor(() => cnAdds >= N, 120_000);
  row("client-node makeInformer: list to all 'add' events", `${(now() - t).toFixed(0)} ms, ${cn.list().length} cached`);

  // Watch throughput: U label patches, 16 in flight, observed by both informers.
  t = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < U) {
        const i = next++;
        await client.patch(Resources.services, `bench-${i % 10}`, `svc-${i}`, PatchType.merge, { metadata: { labels: { bumped: String(i) } } });
      }
    }),
  );
  const writeMs = now() - t;
  row(`${U} merge patches (16 concurrent, KubeClient)`, `${writeMs.toFixed(0)} ms (${((U / writeMs) * 1000).toFixed(0)}/s)`);
  await waitFor(() => oursUpdates >= U, 60_000);
  row(`k8s-watch Informer: all ${U} updates observed`, `${(now() - t).toFixed(0)} ms after the first write`);
  await waitFor(() => cnUpdates >= U, 60_000);
  row(`client-node informer: all ${U} updates observed`, `${(now() - t).toFixed(0)} ms after the first write`);

  // Relist: what a 410 costs.
  t = now();
  const relist = new Informer<KubeObject>({ client, resource: Resources.services, pageSize: 500 });
  relist.start();
  await relist.waitForSync();
  row('second k8s-watch Informer (cold) to hasSynced', `${(now() - t).toFixed(0)} ms`);
  await relist.stop();
  await ours.stop();
  await cn.stop();
  client.close();
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end\n`);
console.log('| measurement | result |\n| --- | --- |');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const start = now();
  while (!cond()) {
    if (now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
