/**
 * Benchmark of `@metallb-ts/election`: the cost of the Layer 2 election (what every speaker
 * re-runs for every service on each memberlist or config event), bounded-load placement, and a
 * simulated hour of Lease leader election.
 *
 *   cd libs/election && npm run bench            # full run (~20 s)
 *   cd libs/election && npm run bench -- --quick # smaller counts, smoke test
 *
 * Every loop runs a fixed count. Prints a Markdown report on stdout.
 */
import { announcerOrder, electL2, placeBoundedLoad, LeaderElector, type L2ElectionInput } from '@metallb-ts/election';
import { MemoryLeaseStore, SkewedClock } from '@metallb-ts/election/testing';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

const quick = process.argv.includes('--quick');
const scale = quick ? 10 : 1;
const rows: string[] = [];

function time(label: string, count: number, unit: string, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(count, 200); i++) fn(i); // warm-up
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < count; i++) fn(i);
  const c = process.cpuUsage(c0);
  const ms = performance.now() - t0;
  // CPU time of this process is steadier than wall time on a shared machine; both are shown.
  const cpuMs = (c.user + c.system) / 1000;
  const fmt = (x: number) => (x < 10 ? x.toFixed(2) : x.toFixed(0));
  rows.push(`| ${label} | ${count} | ${fmt((cpuMs * 1000) / count)} µs/${unit} CPU (${fmt((ms * 1000) / count)} wall) | ${cpuMs.toFixed(0)} ms CPU |`);
}

const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const names = (n: number) => Array.from({ length: n }, (_, i) => `worker-${String(i).padStart(4, '0')}`);

for (const n of [3, 10, 100, 1000]) {
  const nodes = names(n);
  time(`announcerOrder, ${n} nodes`, Math.max(50, Math.floor(200_000 / n / scale)), 'call', (i) => announcerOrder(ip(i), nodes));
}

for (const n of [10, 100]) {
  const nodes = names(n).map((name, k) => ({ name, labels: { zone: `z${k % 3}` }, networkUnavailable: k % 17 === 0 }));
  const input = (i: number): L2ElectionInput => ({
    ips: [ip(i)],
    nodes,
    liveMembers: nodes.filter((_, k) => k % 13 !== 0).map((x) => x.name),
    advertisements: [{ nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z0', 'z1'] }] }] }, { preferredNodeSelectors: [{ weight: 10, preference: { matchLabels: { zone: 'z1' } } }] }],
    service: { externalTrafficPolicy: i % 2 ? 'Local' : 'Cluster' },
    endpoints: nodes.filter((_, k) => k % 4 === 0).map((x) => ({ nodeName: x.name, serving: true })),
  });
  time(`electL2 with reasons, ${n} nodes`, Math.floor(20_000 / scale), 'service', (i) => electL2(input(i)));
}

{
  const nodes = names(100);
  const services = Math.floor(10_000 / scale);
  const entries = Array.from({ length: services }, (_, i) => ({ ip: ip(i + 1), order: announcerOrder(ip(i + 1), nodes) }));
  time(`placeBoundedLoad, ${services} IPs × 100 nodes, ε=0.1`, quick ? 3 : 10, 'placement', () => placeBoundedLoad(entries, { epsilon: 0.1 }));
  const r = placeBoundedLoad(entries, { epsilon: 0.1 });
  const plain = new Map<string, number>();
  for (const e of entries) plain.set(e.order[0]!, (plain.get(e.order[0]!) ?? 0) + 1);
  rows.push(
    `| max IPs per node, ${services} IPs × 100 nodes | — | MetalLB ${Math.max(...plain.values())}, bounded ${Math.max(...r.loads.values())} (bound ${r.bound}), moved ${r.placements.filter((p) => p.kind !== 'preferred').length} | — |`,
  );
}

{
  const clock = new ManualClock(1_700_000_000_000);
  const rng = new SeededRng(1);
  const store = new MemoryLeaseStore();
  const els = Array.from({ length: 5 }, (_, i) => {
    const el = new LeaderElector({ identity: `c${i}` }, { clock: new SkewedClock(clock, { rate: 1 + (i - 2) / 100 }), rng: rng.fork(), store: store.connect({ clock, rng: rng.fork(), latencyMs: [1, 50], failBeforeRate: 0.02, failAfterRate: 0.02 }) });
    el.start();
    return el;
  });
  const hours = quick ? 0.1 : 1;
  const t0 = performance.now();
  for (let t = 0; t < hours * 3_600_000; t += 60_000) await clock.advanceAsync(60_000);
  const ms = performance.now() - t0;
  rows.push(`| Lease election, 5 nodes, ${hours} h simulated | ${store.writes.length} writes | ${ms.toFixed(0)} ms wall | leader ${els.find((e) => e.isLeader())?.identity ?? 'none'} |`);
}

{
  // Take-over delay after the leader crashes (no release): 3 nodes, 0–200 ms store latency,
  // ±5 % clock rates, default timings (15 s / 10 s / 2 s). Simulated time, so load-independent.
  const delays: number[] = [];
  const runs = quick ? 10 : 100;
  for (let seed = 1; seed <= runs; seed++) {
    const clock = new ManualClock(1_700_000_000_000);
    const rng = new SeededRng(seed);
    const store = new MemoryLeaseStore();
    const sim = Array.from({ length: 3 }, (_, i) => {
      const nodeClock = new SkewedClock(clock, { rate: 1 + (rng.next() * 2 - 1) * 0.05 });
      const link = store.connect({ clock, rng: rng.fork(), latencyMs: [0, 200] });
      const el = new LeaderElector({ identity: `c${i}` }, { clock: nodeClock, rng: rng.fork(), store: link });
      el.start();
      return { el, nodeClock, link };
    });
    await clock.advanceAsync(20_000 + rng.int(10_000));
    const leader = sim.find((x) => x.el.isLeader())!;
    const died = clock.now();
    leader.nodeClock.kill();
    leader.link.kill();
    let took = 0;
    for (const x of sim) if (x !== leader) x.el.on((e) => e.type === 'started-leading' && !took && (took = clock.now()));
    for (let t = 0; t < 60_000 && !took; t += 100) await clock.advanceAsync(100);
    delays.push(took - died);
  }
  delays.sort((a, b) => a - b);
  const q = (f: number) => (delays[Math.min(delays.length - 1, Math.floor(f * delays.length))]! / 1000).toFixed(1);
  rows.push(`| take-over after leader crash, ${runs} seeded runs (simulated s) | ${runs} | min ${q(0)} s, median ${q(0.5)} s, p95 ${q(0.95)} s, max ${q(1)} s | lease 15 s |`);
}

console.log(`## @metallb-ts/election benchmark${quick ? ' (quick)' : ''}\n`);
console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (shared machine).\n`);
console.log('| case | count | per operation | total |\n| --- | --- | --- | --- |');
for (const r of rows) console.log(r);
