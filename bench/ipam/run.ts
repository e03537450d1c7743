/**
 * Benchmark of `@metallb-ts/ipam` against a linear-walk reference (MetalLB's algorithm).
 *
 *   cd libs/ipam && npm run bench            # full run (~2 min on 2 idle cores)
 *   cd libs/ipam && npm run bench -- --quick # 1/16 of the sizes, for a smoke test
 *
 * Every loop is bounded by a fixed count; the linear reference additionally stops after
 * LINEAR_BUDGET_MS and reports how far it got. Prints a Markdown report on stdout.
 */
import { Allocator, type AllocationRecord, type Port, type ServiceRequest } from '@metallb-ts/ipam';
import { SeededRng } from '@metallb-ts/clock/testing';
import { IPAddress } from '@metallb-ts/netaddr';
import { cpus, loadavg } from 'node:os';
import { LinearAllocator, type LinearRequest } from './linear.js';

const quick = process.argv.includes('--quick');
const scale = quick ? 16 : 1;
const LINEAR_BUDGET_MS = 20_000;
const gc = (globalThis as { gc?: () => void }).gc;

function heap(): number {
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

interface Stats {
  n: number;
  totalMs: number;
  /** Process CPU time (user + system) over the loop: less sensitive to a loaded machine than wall time. */
  cpuMs: number;
  medianUs: number;
  p99Us: number;
}

function stats(samplesMs: Float64Array, n: number, totalMs: number, cpu0: NodeJS.CpuUsage): Stats {
  const c = process.cpuUsage(cpu0);
  const s = samplesMs.slice(0, n).sort();
  const at = (q: number) => s[Math.min(n - 1, Math.floor(q * n))]! * 1000;
  return { n, totalMs, cpuMs: (c.user + c.system) / 1000, medianUs: at(0.5), p99Us: at(0.99) };
}

const fmt = (x: number, d = 2) => x.toFixed(d);
const lines: string[] = [];
const out = (s: string) => {
  lines.push(s);
  console.log(s);
};

const NO_PORTS: readonly Port[] = Object.freeze([]);

function requests(n: number, family: 'IPv4' | 'IPv6', ports: (i: number) => readonly Port[] = () => NO_PORTS, sharingKey: (i: number) => string = () => ''): ServiceRequest[] {
  const r: ServiceRequest[] = new Array(n);
  for (let i = 0; i < n; i++) {
    r[i] = { key: `bench/svc-${i}`, namespace: 'bench', families: [family], ports: ports(i), sharingKey: sharingKey(i) };
  }
  return r;
}

const toLinear = (r: ServiceRequest): LinearRequest => ({
  key: r.key,
  family: r.families[0]!,
  ports: r.ports ?? NO_PORTS,
  sharingKey: r.sharingKey ?? '',
  backendKey: r.backendKey ?? '',
});

/** Runs `allocate` over all requests, timing each call. */
function runOurs(a: Allocator, reqs: readonly ServiceRequest[]): { stats: Stats; bytesPerAlloc: number } {
  const samples = new Float64Array(reqs.length);
  const before = heap();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reqs.length; i++) {
    const s = performance.now();
    const r = a.allocate(reqs[i]!);
    samples[i] = performance.now() - s;
    if (!r.ok) throw new Error(`allocation ${i} failed: ${r.message}`);
  }
  const total = performance.now() - t0;
  const st = stats(samples, reqs.length, total, cpu0);
  const after = heap();
  return { stats: st, bytesPerAlloc: (after - before) / reqs.length };
}

function runLinear(l: LinearAllocator, reqs: readonly ServiceRequest[]): { stats: Stats; bytesPerAlloc: number; complete: boolean } {
  const samples = new Float64Array(reqs.length);
  const lreqs = reqs.map(toLinear);
  const before = heap();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let i = 0;
  for (; i < lreqs.length; i++) {
    const s = performance.now();
    const r = l.allocate(lreqs[i]!);
    samples[i] = performance.now() - s;
    if (r === undefined) throw new Error(`linear allocation ${i} failed`);
    if (performance.now() - t0 > LINEAR_BUDGET_MS) {
      i++;
      break;
    }
  }
  const total = performance.now() - t0;
  const st = stats(samples, i, total, cpu0);
  const after = heap();
  return { stats: st, bytesPerAlloc: (after - before) / i, complete: i === lreqs.length };
}

/** Both implementations must hand out exactly the same addresses. */
function crossCheck(a: Allocator, l: LinearAllocator): string {
  const lin = l.addresses();
  let diff = 0;
  for (const [k, v] of lin) {
    const got = a.get(k)?.ips[0]?.value;
    if (got !== v) diff++;
  }
  return diff === 0 ? `identical (${lin.size} services)` : `**${diff} differences**`;
}

function row(name: string, s: Stats, bytes?: number): string {
  return `| ${name} | ${s.n.toLocaleString('en')} | ${fmt(s.totalMs, 0)} | ${fmt(s.cpuMs, 0)} | ${fmt((s.cpuMs * 1000) / s.n)} | ${fmt(s.medianUs)} | ${fmt(s.p99Us)} | ${bytes === undefined ? '—' : fmt(bytes, 0)} |`;
}

const header =
  '| scenario | calls | wall ms | CPU ms | CPU µs/call | median µs/call | p99 µs/call | heap B/alloc |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';

out(`# ipam benchmark${quick ? ' (quick)' : ''}`);
out('');
out(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}, gc exposed: ${gc ? 'yes' : 'no'}`);
out('');

// 1. Fill a /14 IPv4 pool and a /64 IPv6 pool with 262,144 single-IP services.
const FILL = 262_144 / scale;
out('## Fill (one IP per service, first free address)');
out('');
out(header);
{
  const a = new Allocator();
  a.setPools([{ name: 'v4', addresses: [quick ? '10.0.0.0/18' : '10.0.0.0/14'] }]);
  const r = runOurs(a, requests(FILL, 'IPv4'));
  out(row(`ours: fill IPv4 ${quick ? '/18' : '/14'}`, r.stats, r.bytesPerAlloc));
}
{
  const a = new Allocator();
  a.setPools([{ name: 'v6', addresses: ['2001:db8::/64'] }]);
  const r = runOurs(a, requests(FILL, 'IPv6'));
  out(row(`ours: ${FILL.toLocaleString('en')} services in IPv6 /64`, r.stats, r.bytesPerAlloc));
}
{
  const a = new Allocator();
  a.setPools([{ name: 'v4', addresses: [quick ? '10.0.0.0/18' : '10.0.0.0/14'], avoidBuggyIPs: true }]);
  const n = Number(a.counts('v4')!.ipv4Total);
  const r = runOurs(a, requests(n, 'IPv4'));
  out(row(`ours: fill IPv4 ${quick ? '/18' : '/14'} avoidBuggyIPs (${n.toLocaleString('en')} usable)`, r.stats, r.bytesPerAlloc));
}

// Same-size comparison with the linear walk (O(n²) to fill, so a smaller pool).
const SMALL = 8_192 / scale;
const smallCidr = quick ? '10.0.0.0/23' : '10.0.0.0/19';
const ratios: string[] = [];
for (const [family, cidr] of [
  ['IPv4', smallCidr],
  ['IPv6', '2001:db8::/64'],
] as const) {
  const reqs = requests(SMALL, family);
  const a = new Allocator();
  a.setPools([{ name: 'p', addresses: [cidr] }]);
  const ours = runOurs(a, reqs);
  const l = new LinearAllocator();
  l.setPools([{ name: 'p', addresses: [cidr] }]);
  const lin = runLinear(l, reqs);
  out(row(`ours: fill ${SMALL.toLocaleString('en')} in ${cidr}`, ours.stats, ours.bytesPerAlloc));
  out(row(`linear: fill ${SMALL.toLocaleString('en')} in ${cidr}${lin.complete ? '' : ' (stopped at budget)'}`, lin.stats, lin.bytesPerAlloc));
  ratios.push(
    `- fill ${SMALL.toLocaleString('en')} ${family}: CPU total ${fmt(lin.stats.cpuMs / ours.stats.cpuMs, 0)}×, median ${fmt(lin.stats.medianUs / ours.stats.medianUs, 0)}×, p99 ${fmt(lin.stats.p99Us / ours.stats.p99Us, 0)}×; results ${crossCheck(a, l)}`,
  );
}

// 2. 100,000 services sharing IPs by key across a /20, random ports.
out('');
out('## Sharing (100,000 services, 1,000 sharing keys, 2 random ports each, one /20)');
out('');
out(header);
{
  const N = 100_000 / scale;
  const rng = new SeededRng(20261125);
  const ports: (readonly Port[])[] = [];
  for (let i = 0; i < N; i++) {
    ports.push([
      { protocol: rng.int(2) === 0 ? 'TCP' : 'UDP', port: 1 + rng.int(10_000) },
      { protocol: rng.int(2) === 0 ? 'TCP' : 'UDP', port: 1 + rng.int(10_000) },
    ]);
  }
  const reqs = requests(N, 'IPv4', (i) => ports[i]!, (i) => `key-${i % (1000 / scale)}`);
  const a = new Allocator();
  a.setPools([{ name: 'shared', addresses: ['10.1.0.0/20'] }]);
  const ours = runOurs(a, reqs);
  const l = new LinearAllocator();
  l.setPools([{ name: 'shared', addresses: ['10.1.0.0/20'] }]);
  const lin = runLinear(l, reqs);
  out(row('ours: sharing', ours.stats, ours.bytesPerAlloc));
  out(row(`linear: sharing${lin.complete ? '' : ' (stopped at budget)'}`, lin.stats, lin.bytesPerAlloc));
  const used = a.counts('shared')!.ipv4InUse;
  ratios.push(
    `- sharing: CPU total ${fmt(lin.stats.cpuMs / ours.stats.cpuMs, 1)}×, median ${fmt(lin.stats.medianUs / ours.stats.medianUs, 0)}×, p99 ${fmt(lin.stats.p99Us / ours.stats.p99Us, 0)}×; ${used} distinct IPs used; results ${crossCheck(a, l)}`,
  );
}

// 2b. Homogeneous sharing: every service of one key on TCP/80 (each needs its own IP). MetalLB's
// walk visits every IP of the key first; ours sees that TCP/80 is held on every IP of the group.
out('');
out('## Sharing, one key, every service on TCP/80 (5,000 services, one /16)');
out('');
out(header);
{
  const N = Math.floor(5_000 / scale);
  const p80: readonly Port[] = [{ protocol: 'TCP', port: 80 }];
  const reqs = requests(N, 'IPv4', () => p80, () => 'everyone');
  const a = new Allocator();
  a.setPools([{ name: 'h', addresses: ['10.3.0.0/16'] }]);
  const ours = runOurs(a, reqs);
  const l = new LinearAllocator();
  l.setPools([{ name: 'h', addresses: ['10.3.0.0/16'] }]);
  const lin = runLinear(l, reqs);
  out(row('ours: one key, same port', ours.stats, ours.bytesPerAlloc));
  out(row(`linear: one key, same port${lin.complete ? '' : ' (stopped at budget)'}`, lin.stats, lin.bytesPerAlloc));
  ratios.push(
    `- one key, same port: CPU total ${fmt(lin.stats.cpuMs / ours.stats.cpuMs, 0)}×, median ${fmt(lin.stats.medianUs / ours.stats.medianUs, 0)}×; results ${crossCheck(a, l)}`,
  );
}

// 3. restore of 100,000 existing allocations (shuffled, as a Service list would come).
out('');
out('## Restore (100,000 existing allocations, shuffled order, /14)');
out('');
out('| scenario | entries | wall ms | CPU ms | CPU µs/entry | restored |\n| --- | ---: | ---: | ---: | ---: | ---: |');
{
  const N = 100_000 / scale;
  const cidr = quick ? '10.0.0.0/18' : '10.0.0.0/14';
  const src = new Allocator();
  src.setPools([{ name: 'v4', addresses: [cidr] }]);
  // Every other address of the first 200,000, so the restored free set is fragmented.
  const records: AllocationRecord[] = [];
  const base = IPAddress.parse(cidr.split('/')[0]!).value;
  for (let i = 0; i < N; i++) {
    records.push({ key: `bench/svc-${i}`, namespace: 'bench', ips: [IPAddress.fromBigInt('IPv4', base + BigInt(2 * i)).toString()] });
  }
  const rng = new SeededRng(7);
  for (let i = records.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  const a = new Allocator();
  a.setPools([{ name: 'v4', addresses: [cidr] }]);
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const res = a.restore(records);
  const ours = performance.now() - t0;
  let cpu = process.cpuUsage(cpu0);
  const oursCpu = (cpu.user + cpu.system) / 1000;
  out(`| ours: restore | ${N.toLocaleString('en')} | ${fmt(ours, 0)} | ${fmt(oursCpu, 0)} | ${fmt((oursCpu * 1000) / N)} | ${res.restored.toLocaleString('en')} |`);
  const l = new LinearAllocator();
  l.setPools([{ name: 'v4', addresses: [cidr] }]);
  cpu0 = process.cpuUsage();
  t0 = performance.now();
  let ok = 0;
  for (const r of records) if (l.assign({ key: r.key, family: 'IPv4', ports: NO_PORTS, sharingKey: '', backendKey: '' }, IPAddress.parse(r.ips[0] as string).value)) ok++;
  const lin = performance.now() - t0;
  cpu = process.cpuUsage(cpu0);
  const linCpu = (cpu.user + cpu.system) / 1000;
  out(`| linear: assign each | ${N.toLocaleString('en')} | ${fmt(lin, 0)} | ${fmt(linCpu, 0)} | ${fmt((linCpu * 1000) / N)} | ${ok.toLocaleString('en')} |`);
  // After restore the next allocation is the lowest free address (the first hole).
  const next = a.allocate({ key: 'bench/next', namespace: 'bench', families: ['IPv4'] });
  ratios.push(`- restore: ours ${fmt(oursCpu, 0)} ms CPU vs linear assign-each ${fmt(linCpu, 0)} ms CPU (neither walks the pool here; ours also validates each record, checks compatibility, and builds a fragmented free-run tree: 100,000 runs); next allocation after restore: ${next.ok ? next.allocation.ips.join(',') : next.reason}`);
}

// 4. Churn: release a random service and allocate a new one on a fragmented, nearly full pool.
out('');
out('## Churn (release random + allocate, /16 pool 90% full)');
out('');
out(header);
{
  const cidr = quick ? '10.2.0.0/20' : '10.2.0.0/16';
  const size = quick ? 4096 : 65_536;
  const fill = Math.floor(size * 0.9);
  const OPS = Math.floor(20_000 / scale);
  const a = new Allocator();
  a.setPools([{ name: 'c', addresses: [cidr] }]);
  const l = new LinearAllocator();
  l.setPools([{ name: 'c', addresses: [cidr] }]);
  const reqs = requests(fill + OPS, 'IPv4');
  // Fill both identically: ours by allocation, the linear one by direct assignment of the same
  // address (filling it by walking would be O(n²) set-up time).
  for (let i = 0; i < fill; i++) {
    const r = a.allocate(reqs[i]!);
    if (!r.ok) throw new Error(r.message);
    l.assign(toLinear(reqs[i]!), r.allocation.ips[0]!.value);
  }
  const rng = new SeededRng(99);
  const live = reqs.slice(0, fill).map((r) => r.key);
  const victims: number[] = [];
  for (let i = 0; i < OPS; i++) victims.push(rng.int(live.length));
  const LINEAR_OPS = Math.floor(OPS / 20);
  const go = (impl: 'ours' | 'linear') => {
    const keys = [...live];
    const ops = impl === 'ours' ? OPS : LINEAR_OPS;
    const samples = new Float64Array(ops);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < ops; i++) {
      const v = victims[i]!;
      const s = performance.now();
      if (impl === 'ours') {
        a.release(keys[v]!);
        const r = a.allocate(reqs[fill + i]!);
        if (!r.ok) throw new Error(r.message);
      } else {
        l.release(keys[v]!);
        if (l.allocate(toLinear(reqs[fill + i]!)) === undefined) throw new Error('linear churn failed');
      }
      samples[i] = performance.now() - s;
      keys[v] = reqs[fill + i]!.key;
    }
    return stats(samples, ops, performance.now() - t0, cpu0);
  };
  const lin = go('linear'); // first 1/20 of the same operations
  const ours = go('ours');
  out(row('ours: release + allocate', ours));
  out(row('linear: release + allocate', lin));
  ratios.push(`- churn: median ${fmt(lin.medianUs / ours.medianUs, 0)}×, p99 ${fmt(lin.p99Us / ours.p99Us, 0)}× (linear ran the first ${LINEAR_OPS.toLocaleString('en')} of the same operations)`);
}

out('');
out('## Ratios (linear ÷ ours, same run)');
out('');
for (const r of ratios) out(r);
out('');
out(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
