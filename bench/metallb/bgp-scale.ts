/**
 * BGP at scale, MetalLB and metallb-ts side by side (issue 21 §3, the BGP bullet).
 *
 * One lab (apps/lab, real control plane, 3 nodes, FRR router with multipath). N LoadBalancer
 * Services are created and allocated once, by one controller (ours by default, `--controller
 * metallb` for MetalLB's), before any speaker runs; then, for each implementation in turn
 * (MetalLB's speakers, then ours), `--runs` times:
 *
 * - **announce**: the three speakers are started at once (no speaker running before, no route at
 *   the router) → until the router's kernel table has every Service IP with all three nodes as
 *   next hops (ECMP);
 * - **RSS** of each speaker then (VmRSS);
 * - **withdraw**: kill -9 of one node's speaker (n1, n2, n3 in turn) → until no route at the router
 *   has that node as a next hop any more;
 * - the other two speakers are stopped (SIGTERM) and the router is empty again before the next run.
 *
 * The lab may only use documentation prefixes (198.51.100.0/24, 203.0.113.0/24), so N Services
 * cannot have N distinct IPv4 addresses (the real control plane serves no IPv6 Service CIDR):
 * Service i shares one of K = min(N, 250) IPs (`metallb.io/allow-shared-ip: g<i mod K>`, port
 * 10000 + ⌊i/K⌋) — the speakers process N Services, the router holds K routes. The Services have
 * no selector: the benchmark writes each one's EndpointSlice itself (the three web pods, ready),
 * as kube-controller-manager would at its 20 requests/s — so creating 10,000 takes minutes, not an
 * hour. `allocateLoadBalancerNodePorts: false` (30000–32767 has fewer than 10,000 node ports).
 *
 * Usage (root; builds kube-lab's and MetalLB's binaries when not cached, needs `npx nx run lab:build`):
 *   node bench/run.mjs metallb/bgp-scale.ts [--services 1000] [--runs 5] [--impls metallb,ours] [--controller ours|metallb]
 */
import { waitFor } from '@metallb-ts/test-lab';
import { Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { alive, type LabHandle } from '../../apps/lab/src/lab.js';
import { NODES, apply, commit, flag, fmt, label, labDown, labUp, load, machine, preflight, cpuSeconds, routerRoutes, rssMiB, anonMiB, sleep, stopNodeAgents, tearDownOnSignal, utc, type Variant } from './lab-bench.js';

const N = Number(flag('services', '1000'));
const RUNS = Number(flag('runs', '5'));
const VARIANTS = flag('impls', 'metallb,ours').split(',') as Variant[];
const CONTROLLER = flag('controller', 'ours') as Variant;
const USAGE = 'usage: node bench/run.mjs metallb/bgp-scale.ts [--services 1000] [--runs 5] [--impls metallb,ours] [--controller ours|metallb]';
if (!(N > 0 && Number.isInteger(N)) || !(RUNS > 0) || VARIANTS.some((v) => !['metallb', 'ours'].includes(v)) || !['metallb', 'ours'].includes(CONTROLLER)) {
  console.error(USAGE);
  process.exit(2);
}
preflight('bgp-scale');

/** Distinct IPs the Services share (the pool below has 256). */
const K = Math.min(N, 250);
const NS = 'default';
const prefix = `bs${process.pid % 100000}`;
let lab: LabHandle | undefined;
tearDownOnSignal(prefix, () => undefined);

interface Sample {
  firstMs: number;
  announceMs: number;
  cpu: number[];
  withdrawMs: number;
  rss: number[];
  anon: number[];
  victim: string;
}

async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function createWithRetry(L: LabHandle, what: string, fn: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return;
    } catch (e) {
      if ((e as { code?: number }).code === 409) return;
      if (attempt >= 5) throw new Error(`${what}: ${(e as Error).message}`);
      await sleep(500 * attempt);
    }
  }
}

async function main(): Promise<void> {
  const t00 = performance.now();
  const started = { at: utc(), load: load() };
  console.error(`bgp-scale: ${N} Services on ${K} IPs, ${RUNS} runs, ${VARIANTS.join(',')}; controller ${CONTROLLER}; start ${started.at}, load ${started.load}`);
  lab = await labUp(prefix, CONTROLLER);
  const L = lab;
  // no speaker while the Services are created and allocated
  await Promise.all(NODES.map((n) => L.stopSpeaker(n, 'SIGTERM')));
  apply(L, `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench-bgp, namespace: metallb-system}
spec: {addresses: [198.51.100.128/25, 203.0.113.128/25]}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: bench-bgp, namespace: metallb-system}
spec: {ipAddressPools: [bench-bgp]}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: bench-router, namespace: metallb-system}
spec: {myASN: 64500, peerASN: 64501, peerAddress: ${L.topo.router.v4}}
`);
  await L.createPods('web', 3, { nodes: NODES });
  const pods = await waitFor('3 ready web pods', async () => {
    const p = await L.readyPods('web');
    return p.length >= 3 && p.every((x) => x.ip) ? p : undefined;
  }, { timeoutMs: 60_000, everyMs: 200 });
  // The lab's kube-proxy stand-in rewrites its whole nftables ruleset on every Service change
  // (quadratic while 10,000 are created: it held both cores); nothing here sends a request
  await stopNodeAgents(L);

  // ---- N Services (selectorless) and their EndpointSlices --------------------------------
  const tc = performance.now();
  let made = 0;
  await pool(Array.from({ length: N }, (_, i) => i), 24, async (i) => {
    const name = `s${i}`;
    await createWithRetry(L, `create Service ${name}`, () => L.client.create(Resources.services, NS, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: NS, annotations: { 'metallb.io/allow-shared-ip': `g${i % K}` } },
      spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ name: 'p', port: 10000 + Math.floor(i / K), targetPort: 8080, protocol: 'TCP' }] },
    } as KubeObject));
    await createWithRetry(L, `create EndpointSlice of ${name}`, () => L.client.create(Resources.endpointSlices, NS, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-bench`, namespace: NS, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'bench.metallb-ts.dev' } },
      addressType: 'IPv4',
      ports: [{ name: 'p', port: 8080, protocol: 'TCP' }],
      endpoints: pods.map((p) => ({ addresses: [p.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: p.node })),
    } as unknown as KubeObject));
    if (++made % 1000 === 0) console.error(`  ${made} Services created (${((performance.now() - tc) / 1000).toFixed(0)} s)`);
  });
  console.error(`  ${N} Services and EndpointSlices created in ${((performance.now() - tc) / 1000).toFixed(1)} s`);
  const ips = await waitFor(`every Service allocated by the ${CONTROLLER} controller`, async () => {
    const got = new Set<string>();
    let allocated = 0;
    let cont: string | undefined;
    do {
      const l = await L.client.list<KubeObject>(Resources.services, { namespace: NS, limit: 2000, continue: cont });
      for (const s of l.items) {
        const ing = ((s.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((x) => x.ip).filter(Boolean) as string[];
        if (/^s\d+$/.test(s.metadata.name ?? '') && ing.length) {
          allocated++;
          for (const ip of ing) got.add(ip);
        }
      }
      cont = l.continue;
    } while (cont);
    return allocated >= N ? got : undefined;
  }, { timeoutMs: 120_000 + N * 200, everyMs: 3000 });
  console.error(`  ${N} Services allocated on ${ips.size} IPs, ${((performance.now() - tc) / 1000).toFixed(1)} s after the first create; load ${load()}`);
  const expected = [...ips];
  const nodeIp = new Map(NODES.map((n) => [n, L.node(n).v4]));
  const allHops = [...nodeIp.values()].sort().join(',');
  await waitFor('no route at the router', () => routerRoutes(L).size === 0 || undefined, { timeoutMs: 60_000, everyMs: 500 });

  const every = N > 2000 ? 250 : 100;
  const results = new Map<Variant, Sample[]>();
  for (const v of VARIANTS) {
    const samples: Sample[] = [];
    results.set(v, samples);
    for (let r = 0; r < RUNS; r++) {
      const la0 = load();
      // ---- announce: the three speakers at once
      const t0 = performance.now();
      const recs = NODES.map((n) => (v === 'metallb' ? L.startMetallbSpeaker(n) : L.startSpeaker(n)));
      let firstMs: number | undefined;
      const announceMs = await waitFor(`${v} #${r + 1}: every route with every next hop`, () => {
        for (const rec of recs) if (!alive(rec)) throw new Error(`the ${v} speaker ${rec.role} exited; its log ends with:\n${L.tail(rec.role, 12)}`);
        const routes = routerRoutes(L);
        if (firstMs === undefined && expected.some((ip) => routes.has(ip))) firstMs = performance.now() - t0;
        return expected.every((ip) => [...(routes.get(ip) ?? [])].sort().join(',') === allHops) ? performance.now() - t0 : undefined;
      }, { timeoutMs: 300_000 + N * 120, everyMs: every });
      const rss = recs.map((rec) => rssMiB(rec.pid) ?? NaN);
      const anon = recs.map((rec) => anonMiB(rec.pid) ?? NaN);
      const cpu = recs.map((rec) => cpuSeconds(rec.pid) ?? NaN);
      // ---- withdraw: kill -9 of one speaker
      const victim = NODES[r % NODES.length]!;
      const hop = nodeIp.get(victim)!;
      const t1 = performance.now();
      await L.stopSpeaker(victim, 'SIGKILL');
      const withdrawMs = await waitFor(`${v} #${r + 1}: ${victim} withdrawn from every route`, () => {
        const routes = routerRoutes(L);
        return expected.every((ip) => !(routes.get(ip) ?? []).includes(hop)) ? performance.now() - t1 : undefined;
      }, { timeoutMs: 300_000, everyMs: every });
      const la1 = load();
      samples.push({ firstMs: firstMs ?? announceMs, announceMs, cpu, withdrawMs, rss, anon, victim });
      console.error(`  ${v.padEnd(7)} #${r + 1}: first route after ${((firstMs ?? announceMs) / 1000).toFixed(2)} s, ${expected.length} routes × 3 next hops after ${(announceMs / 1000).toFixed(2)} s; CPU ${cpu.map((x) => x.toFixed(1)).join('/')} s; RSS ${rss.map((x) => x.toFixed(0)).join('/')} MiB (anonymous ${anon.map((x) => x.toFixed(0)).join('/')}); kill -9 ${victim} → withdrawn after ${withdrawMs.toFixed(0)} ms; load ${la0} → ${la1}; ${utc()}`);
      // ---- back to nothing: the other speakers stopped, the router empty
      await Promise.all(NODES.filter((n) => n !== victim).map((n) => L.stopSpeaker(n, 'SIGTERM')));
      await waitFor(`${v} #${r + 1}: the router empty again`, () => routerRoutes(L).size === 0 || undefined, { timeoutMs: 120_000, everyMs: 500 });
    }
  }

  const c = await commit();
  const rows = [
    `BGP with ${N} Services on ${expected.length} IPs (${expected.length} routes at the router), ECMP over 3 nodes; ${RUNS} run(s) each; controller ${CONTROLLER === 'metallb' ? 'MetalLB' : 'metallb-ts'} (allocation once, not measured); commit ${c}; ${machine()}; start ${started.at} (load ${started.load}), end ${utc()} (load ${load()}); ${((performance.now() - t00) / 60_000).toFixed(1)} min`,
    '| speakers | start → first route (s) | start → every route with 3 next hops (s): median / p90 / max | CPU per speaker until then (s) | kill -9 → next hop withdrawn from every route (ms) | RSS per speaker, all routes announced (MiB) | of which anonymous (MiB) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const v of VARIANTS) {
    const s = results.get(v) ?? [];
    rows.push(`| ${label(v)} | ${fmt(s.map((x) => x.firstMs / 1000), 2)} | ${fmt(s.map((x) => x.announceMs / 1000), 2)} | ${fmt(s.flatMap((x) => x.cpu), 1)} | ${fmt(s.map((x) => x.withdrawMs))} | ${fmt(s.flatMap((x) => x.rss), 0)} | ${fmt(s.flatMap((x) => x.anon), 0)} |`);
  }
  console.log(rows.join('\n'));
}

try {
  await main();
} finally {
  lab?.close();
  await labDown(prefix);
}
