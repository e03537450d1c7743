/**
 * Service create → first successful request, delete → unreachable, in Layer 2 and in BGP;
 * MetalLB and metallb-ts side by side (issue 21 §3, the Service bullet).
 *
 * One lab (apps/lab, real control plane, 3 nodes, a web pod on every node, FRR router). Per
 * implementation, its controller and its three speakers (MetalLB v0.15.2's, then ours); per mode,
 * one pool of one address and its advertisement (`l2`: 198.51.100.121 with an L2Advertisement;
 * `bgp`: 198.51.100.131 with a BGPAdvertisement, the client routing it through the router). In
 * the client namespace `lc-probe.mjs` starts a request to that IP every 20 ms (fresh connection,
 * 500 ms timeout, not waiting for the previous one). `--runs` times:
 *
 * - **create**: a LoadBalancer Service (ETP Cluster, `metallb.io/address-pool` naming the mode's
 *   pool) is POSTed → the end of the first successful request started after the POST (and, in BGP,
 *   until the router's kernel route has all three next hops). In L2 the client's neighbour entry
 *   is flushed first, so the first answer needs the speaker's ARP.
 * - after 1 s, **delete** → requests fail: the start of the first failed request after the last
 *   successful one (the lab's kube-proxy drops its rules on the same event, so this can come before
 *   the speaker withdraws); and the speaker's part: in BGP until the router has no route to the IP,
 *   in L2 until nobody answers ARP (the start of the first unanswered `arping` of the client).
 *
 * Usage (root; builds kube-lab's and MetalLB's binaries when not cached, needs `npx nx run lab:build`):
 *   node bench/run.mjs metallb/lifecycle.ts [--runs 20] [--modes l2,bgp] [--impls metallb,ours]
 */
import { waitFor } from '@metallb-ts/test-lab';
import { Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabHandle } from '../../apps/lab/src/lab.js';
import { NODES, ROOT, apply, commit, flag, fmt, implOf, label, labDown, labUp, load, machine, preflight, sessionsUp, sleep, tearDownOnSignal, utc, type Variant } from './lab-bench.js';

type Mode = 'l2' | 'bgp';
const RUNS = Number(flag('runs', '20'));
const MODES = flag('modes', 'l2,bgp').split(',') as Mode[];
const VARIANTS = flag('impls', 'metallb,ours').split(',') as Variant[];
if (!(RUNS > 0) || MODES.some((m) => !['l2', 'bgp'].includes(m)) || VARIANTS.some((v) => !['metallb', 'ours'].includes(v))) {
  console.error('usage: node bench/run.mjs metallb/lifecycle.ts [--runs 20] [--modes l2,bgp] [--impls metallb,ours]');
  process.exit(2);
}
preflight('lifecycle');

const PROBE = join(ROOT, 'bench', 'metallb', 'lc-probe.mjs');
const IP: Record<Mode, string> = { l2: '198.51.100.121', bgp: '198.51.100.131' };
const prefix = `lc${process.pid % 100000}`;
/** Where the lab's logs are copied when a created Service never answers (BENCH_FAIL_LOGS). */
const FAIL_LOGS = process.env['BENCH_FAIL_LOGS'] ?? join(tmpdir(), 'metallb-ts-bench-lifecycle');
let lab: LabHandle | undefined;
let probe: ChildProcess | undefined;
tearDownOnSignal(prefix, () => {
  if (probe?.pid && probe.exitCode === null) probe.kill('SIGTERM');
});

interface Req {
  t: number;
  end: number;
  ok: boolean;
}
interface Sample {
  createMs: number;
  routeMs?: number;
  failMs: number;
  goneMs: number;
  okAfterDelete: number;
}

async function main(): Promise<void> {
  const t00 = performance.now();
  const started = { at: utc(), load: load() };
  console.error(`lifecycle: ${RUNS} runs, ${MODES.join(',')}, ${VARIANTS.join(',')}; start ${started.at}, load ${started.load}`);
  lab = await labUp(prefix, 'metallb');
  const L = lab;
  const t = L.topo;
  apply(L, `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench-l2, namespace: metallb-system}
spec: {addresses: [${IP.l2}/32]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench-bgp, namespace: metallb-system}
spec: {addresses: [${IP.bgp}/32]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: bench-l2, namespace: metallb-system}
spec: {ipAddressPools: [bench-l2]}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: bench-bgp, namespace: metallb-system}
spec: {ipAddressPools: [bench-bgp]}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: bench-router, namespace: metallb-system}
spec: {myASN: 64500, peerASN: 64501, peerAddress: ${t.router.v4}}
`);
  await L.createPods('web', 3, { nodes: NODES });
  await waitFor('3 ready web pods', async () => (await L.readyPods('web')).length >= 3 || undefined, { timeoutMs: 60_000, everyMs: 200 });
  // the client reaches the BGP Service through the router (it is on the client's own segment otherwise)
  L.exec(t.client.ns, ['ip', 'route', 'replace', `${IP.bgp}/32`, 'via', t.router.v4]);

  const out = join(L.state.dir, 'lc-probe.jsonl');
  const events = (from: number): Req[] => {
    const text = readFileSync(out).subarray(from).toString('utf8');
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Req);
  };
  const size = () => {
    try {
      return statSync(out).size;
    } catch {
      return 0;
    }
  };
  const arpAnswered = () => /\[[0-9A-Fa-f:]{17}\]/.test(L.exec(t.client.ns, ['arping', '-c', '1', '-w', '1', '-I', 'eth0', IP.l2], 5000).out);
  const hops = () => L.routerRoute(IP.bgp).nexthops.length;

  const results = new Map<string, Sample[]>();
  const fails = new Map<string, number>();
  for (const v of VARIANTS) {
    await L.replaceController(implOf(v));
    for (const n of NODES) await L.replaceSpeaker(n, implOf(v));
    await waitFor(`${v}: one memberlist cluster`, () => NODES.every((n) => L.memberView(n)?.join(',') === NODES.join(',')) || undefined, { timeoutMs: 60_000, everyMs: 300 });
    await waitFor(`${v}: every BGP session established`, () => sessionsUp(L) || undefined, { timeoutMs: 60_000, everyMs: 300 });
    for (const mode of MODES) {
      const ip = IP[mode];
      rmSync(out, { force: true });
      probe = spawn('ip', ['netns', 'exec', t.client.ns, process.execPath, PROBE, out, `http://${ip}/`, String(RUNS * 90_000 + 60_000)], { stdio: 'ignore' });
      const samples: Sample[] = [];
      results.set(`${v}|${mode}`, samples);
      let lastCreate = 0;
      for (let i = 0; i < RUNS; i++) {
        const what = `${v} ${mode} #${i + 1}`;
        // MetalLB's speaker sends gratuitous ARPs for 5 s after it announces an IP and starts no new
        // series while one runs: an IP announced again within that window waits for the old
        // series' next frame (~1.1 s apart). Runs start at least 6 s apart, so each one measures
        // a fresh announcement.
        await sleep(Math.max(0, lastCreate + 6000 - Date.now()));
        const name = `lc-${mode}-${i + 1}`;
        const la0 = load();
        // nothing answers before: no successful request for 1 s, no route / no ARP answer
        await waitFor(`${what}: the IP unreachable before the create`, () => {
          const now = Date.now();
          const recent = events(0).filter((e) => e.t >= now - 1500);
          return (recent.length > 10 && !recent.some((e) => e.ok) && (mode === 'bgp' ? hops() === 0 : !arpAnswered())) || undefined;
        }, { timeoutMs: 60_000, everyMs: 200 });
        if (mode === 'l2') L.exec(t.client.ns, ['ip', 'neigh', 'flush', 'to', ip]);
        // ---- create
        const from = size();
        const t0 = Date.now();
        lastCreate = t0;
        await L.client.create(Resources.services, 'default', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, namespace: 'default', annotations: { 'metallb.io/address-pool': `bench-${mode}` } },
          spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
        } as KubeObject);
        let routeMs: number | undefined;
        let first: Req;
        try {
          first = await waitFor(`${what}: a successful request after the create`, () => {
            if (mode === 'bgp' && routeMs === undefined && hops() === 3) routeMs = Date.now() - t0;
            const ok = events(from).find((e) => e.ok && e.t >= t0);
            return ok && (mode === 'l2' || routeMs !== undefined) ? ok : undefined;
          }, { timeoutMs: 30_000, everyMs: 20 });
        } catch (err) {
          // never answered: keep the evidence, count it, clean up, go on
          const keep = join(FAIL_LOGS, `${what.replace(/[^a-z0-9-]+/gi, '-')}-${Date.now()}`);
          cpSync(join(L.state.dir, 'logs'), keep, { recursive: true });
          console.error(`  ${what}: ${(err as Error).message.split('\n')[0]}; ingress [${(await L.ingress(name)).join(', ')}], L2 status on [${(await L.l2Nodes(name)).join(', ')}], client's entry ${L.neigh(ip).line || 'none'}, ARP answered ${mode === 'l2' ? arpAnswered() : '-'}, router hops ${hops()}; logs kept in ${keep}`);
          fails.set(`${v}|${mode}`, (fails.get(`${v}|${mode}`) ?? 0) + 1);
          await L.client.delete(Resources.services, 'default', name);
          await waitFor(`${what}: the Service gone`, async () => (await L.client.get(Resources.services, 'default', name).then(() => false, (e: { code?: number }) => e.code === 404)) || undefined, { timeoutMs: 30_000, everyMs: 200 });
          continue;
        }
        const ingress = await L.ingress(name);
        if (ingress[0] !== ip) throw new Error(`${what}: the Service got ${ingress.join(',') || 'no IP'}, not ${ip}`);
        await sleep(1000);
        // ---- delete
        const from1 = size();
        const t1 = Date.now();
        await L.client.delete(Resources.services, 'default', name);
        let goneAt: number | undefined;
        await waitFor(`${what}: unreachable after the delete`, () => {
          if (goneAt === undefined) {
            const ts = Date.now();
            if (mode === 'bgp' ? hops() === 0 : !arpAnswered()) goneAt = ts;
          }
          const now = Date.now();
          const recent = events(from1).filter((e) => e.t >= now - 1500 && e.t >= t1);
          return (goneAt !== undefined && now - t1 > 1500 && recent.length > 10 && !recent.some((e) => e.ok)) || undefined;
        }, { timeoutMs: 60_000, everyMs: 20 });
        await waitFor(`${what}: the Service gone`, async () => (await L.client.get(Resources.services, 'default', name).then(() => false, (e: { code?: number }) => e.code === 404)) || undefined, { timeoutMs: 30_000, everyMs: 200 });
        const after = events(from1).filter((e) => e.t >= t1).sort((a, b) => a.t - b.t);
        const lastOk = after.filter((e) => e.ok).pop();
        const firstFail = after.find((e) => !e.ok && (!lastOk || e.t > lastOk.t));
        if (!firstFail) throw new Error(`${what}: no failed request after the delete`);
        const s: Sample = { createMs: first.end - t0, ...(routeMs !== undefined ? { routeMs } : {}), failMs: firstFail.t - t1, goneMs: goneAt! - t1, okAfterDelete: after.filter((e) => e.ok).length };
        samples.push(s);
        console.error(`  ${v.padEnd(7)} ${mode.padEnd(3)} #${String(i + 1).padStart(2)}: first answer ${s.createMs} ms${mode === 'bgp' ? `, 3 next hops ${s.routeMs} ms` : ''}; delete → requests fail ${s.failMs} ms, ${mode === 'bgp' ? 'route gone' : 'no ARP answer'} ${s.goneMs} ms (${s.okAfterDelete} answers after the delete); load ${la0} → ${load()}`);
      }
      probe.kill('SIGTERM');
      probe = undefined;
    }
  }

  const c = await commit();
  const rows = [
    `Service lifecycle (${RUNS} runs each; ms from the POST / the DELETE; each implementation's controller and speakers; commit ${c}; ${machine()}; start ${started.at} (load ${started.load}), end ${utc()} (load ${load()}); ${((performance.now() - t00) / 60_000).toFixed(1)} min)`,
    '| implementation | mode | create → first successful request: median / p90 / max | create → 3 next hops at the router | delete → requests fail | delete → route gone (BGP) / nobody answers ARP (L2) | runs without an answer within 30 s |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const mode of MODES) {
    for (const v of VARIANTS) {
      const s = results.get(`${v}|${mode}`) ?? [];
      if (!s.length && !fails.get(`${v}|${mode}`)) continue;
      rows.push(`| ${label(v)} | ${mode === 'l2' ? 'Layer 2' : 'BGP'} | ${fmt(s.map((x) => x.createMs))} | ${mode === 'bgp' ? fmt(s.map((x) => x.routeMs!)) : '–'} | ${fmt(s.map((x) => x.failMs))} | ${fmt(s.map((x) => x.goneMs))} | ${fails.get(`${v}|${mode}`) ?? 0} |`);
    }
  }
  console.log(rows.join('\n'));
}

try {
  await main();
} finally {
  if (probe?.pid && probe.exitCode === null) probe.kill('SIGTERM');
  lab?.close();
  await labDown(prefix);
}
