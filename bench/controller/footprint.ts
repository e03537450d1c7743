/**
 * Controller footprint benchmark (issue 20): the bundled controller (a child process) against
 * apiserver-lite (in this process), for each size N of existing LoadBalancer Services that
 * already hold IPs (a restart):
 *  - start → `/readyz`-equivalent ("initial allocation pass done") time, and that no Service was
 *    written (every IP and resourceVersion unchanged);
 *  - RSS (from /proc) after an idle period, V8 heap statistics of the child (after a forced GC:
 *    the child runs with `--expose-gc` here only, through a bench-only `--import` hook), and the
 *    idle CPU of the child over a window (utime + stime from /proc/PID/stat);
 *  - with `--snapshot`, a heap snapshot of the child summarised by constructor/type (what each
 *    Service costs per kind of object).
 *
 * Run (repository root): `npm run build -w apps/controller` (or `cd apps/controller && npm run build`), then
 *   node bench/run.mjs controller/footprint.ts --services 1000,10000,100000 [--idle 15] [--cpu 30]
 *     [--snapshot [--strings]] [--verbose] [--leader-elect] [--binary dist/apps/controller/main.mjs]
 *     [--node-option=--max-semi-space-size=1 ...] [--variant 'LABEL=BUNDLE|NODE-OPTION ENV=VALUE ...' ...]
 *
 * The Services are what `kubectl apply` leaves: labels, a selector, two ports, the
 * last-applied-configuration annotation, managedFields (apiserver-lite adds them on apply), so
 * the informer's decode and slimming see realistic objects.
 */
import { startApiServer } from '@metallb-ts/apiserver-lite';
import { freePort } from '@metallb-ts/test-lab';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = process.env.BENCH_REPO ?? process.cwd();
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const sizes = arg('--services', '1000,10000').split(',').map(Number);
const idleS = Number(arg('--idle', '15'));
const cpuS = Number(arg('--cpu', '30'));
const binary = join(repo, arg('--binary', join('dist', 'apps', 'controller', 'main.mjs')));
const snapshot = process.argv.includes('--snapshot');
/** `--leader-elect`: run the controller as in production, renewing a Lease (default: off, one replica). */
const leaderElect = process.argv.includes('--leader-elect');
const nodeOptions = process.argv.filter((a) => a.startsWith('--node-option=')).map((a) => a.slice('--node-option='.length));
/**
 * Controllers to compare against the same seeded API server, one after the other (each is a
 * restart over the same Services): `--variant 'LABEL=BINARY[|NODE OPTION ...]'`, repeatable;
 * without any, one run of --binary with the --node-option flags.
 */
interface Variant {
  label: string;
  binary: string;
  options: string[];
  /** `NAME=value` words of the variant (e.g. `MALLOC_ARENA_MAX=2`): environment of the child. */
  env: Record<string, string>;
}
const variants: Variant[] = [];
for (let k = 0; k < process.argv.length; k++) {
  if (process.argv[k] !== '--variant') continue;
  const v = process.argv[k + 1] ?? '';
  const eq = v.indexOf('=');
  const [bin, ...opts] = v.slice(eq + 1).split('|');
  if (eq <= 0 || !bin) throw new Error(`--variant LABEL=BINARY[|OPTION ...]: got ${v}`);
  const words = opts.join(' ').split(' ').filter(Boolean);
  const env = Object.fromEntries(words.filter((w) => /^[A-Z_][A-Z0-9_]*=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  variants.push({ label: v.slice(0, eq), binary: join(repo, bin), options: words.filter((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w)), env });
}
if (!variants.length) variants.push({ label: 'controller', binary, options: nodeOptions, env: {} });
for (const n of sizes) if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new Error(`--services: bad size ${n}`);

const CLK_TCK = 100;
const work = mkdtempSync(join(tmpdir(), 'footprint-'));
// Bench-only instrumentation of the child: on SIGUSR2 it forces two GCs, writes its heap
// statistics (and, when asked, a heap snapshot) next to a marker file.
const hook = join(work, 'hook.mjs');
writeFileSync(
  hook,
  `import v8 from 'node:v8';
import { writeFileSync } from 'node:fs';
process.on('SIGUSR2', () => {
  const before = process.memoryUsage();
  globalThis.gc?.(); globalThis.gc?.();
  const after = process.memoryUsage();
  const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, { used: s.space_used_size, size: s.space_size }]));
  const out = { before, after, heap: v8.getHeapStatistics(), spaces };
  if (process.env.FOOTPRINT_SNAPSHOT) out.snapshot = v8.writeHeapSnapshot(process.env.FOOTPRINT_SNAPSHOT);
  writeFileSync(process.env.FOOTPRINT_OUT, JSON.stringify(out));
});
`,
);

function procStatus(pid: number): { rss: number; hwm: number } {
  const t = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(t)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}
/** RSS by mapping kind (the node binary, the malloc heap, anonymous mappings: V8 heap and more), largest first. */
function smapsSummary(pid: number): string {
  const agg = new Map<string, number>();
  let cur = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) cur = head[1] ? (head[1].startsWith('/') ? head[1].split('/').pop()! : head[1]) : '(anonymous)';
    const m = /^Rss:\s+(\d+) kB/.exec(line);
    if (m) agg.set(cur, (agg.get(cur) ?? 0) + Number(m[1]) * 1024);
  }
  return [...agg].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${MiB(v)}`).join(', ');
}
function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14 and 15)
}
const MiB = (b: number) => (b / 1048576).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The n-th address after `prefix::` in canonical text (n < 2^32), e.g. v6('fd00', 0x1869f) = 'fd00::1:869f'. */
function v6(prefix: string, n: number): string {
  const hi = Math.floor(n / 65536);
  return hi ? `${prefix}::${hi.toString(16)}:${(n % 65536).toString(16)}` : `${prefix}::${n.toString(16)}`;
}

function svc(i: number) {
  const name = `svc-${i}`;
  const clusterIP = v6('fd00', i + 1);
  const spec = {
    type: 'LoadBalancer',
    allocateLoadBalancerNodePorts: false,
    clusterIP,
    clusterIPs: [clusterIP],
    ipFamilies: ['IPv6'],
    ipFamilyPolicy: 'SingleStack',
    selector: { app: name },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
    ],
  };
  const metadata = { name, namespace: `ns-${i % 10}`, labels: { app: name, tier: 'web' }, annotations: { 'metallb.io/ip-allocated-from-pool': 'bench' } };
  const lastApplied = JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: metadata.namespace, labels: metadata.labels }, spec });
  return { apiVersion: 'v1', kind: 'Service', metadata: { ...metadata, annotations: { ...metadata.annotations, 'kubectl.kubernetes.io/last-applied-configuration': lastApplied } }, spec };
}

interface Row {
  n: number;
  label: string;
  seedS: number;
  syncedS: number;
  readyS: number;
  rss: number;
  hwm: number;
  heapUsedAfterGc: number;
  rssAfterGc: number;
  heapTotalAfterGc: number;
  externalAfterGc: number;
  cpuPct: number;
  changed: number;
  restored: string;
  topTypes?: { what: string; count: number; bytes: number }[];
  snapshotTotal?: number;
}

/** Sums a heap snapshot's self sizes by node type and name (constructor, or "(string)"). */
function summariseSnapshot(path: string): { total: number; rows: { what: string; count: number; bytes: number }[] } {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const f = snap.snapshot.meta.node_fields;
  const w = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = snap.snapshot.meta.node_types[0];
  const agg = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += w) {
    const type = types[snap.nodes[i + iType]!]!;
    const size = snap.nodes[i + iSize]!;
    total += size;
    let what: string;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') what = `(${type})`;
    else if (type === 'object' || type === 'closure' || type === 'native') what = `${type} ${snap.strings[snap.nodes[i + iName]!]}`;
    else what = `(${type}) ${String(snap.strings[snap.nodes[i + iName]!]).slice(0, 40)}`;
    const a = agg.get(what) ?? { count: 0, bytes: 0 };
    a.count++;
    a.bytes += size;
    agg.set(what, a);
  }
  const rows = [...agg].map(([what, a]) => ({ what, ...a })).sort((x, y) => y.bytes - x.bytes).slice(0, 25);
  if (process.argv.includes('--strings')) {
    // The largest strings (what they start with), and the most repeated string values.
    const big: [number, string][] = [];
    const repeats = new Map<string, number>();
    for (let i = 0; i < snap.nodes.length; i += w) {
      const type = types[snap.nodes[i + iType]!]!;
      if (type !== 'string') continue;
      const text = String(snap.strings[snap.nodes[i + iName]!]);
      big.push([snap.nodes[i + iSize]!, text]);
      if (text.length < 100) repeats.set(text, (repeats.get(text) ?? 0) + 1);
    }
    big.sort((a, b) => b[0] - a[0]);
    for (const [size, text] of big.slice(0, 12)) console.log(`  string ${size} B: ${JSON.stringify(text.slice(0, 80))}`);
    for (const [text, n] of [...repeats].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  repeated ${n}×: ${JSON.stringify(text)}`);
  }
  return { total, rows };
}

async function seed(n: number) {
  const api = await startApiServer({ crdsDir: join(repo, 'deploy', 'crds') });
  const a = api.server.api;
  const svcType = a.mustType('', 'v1', 'services');
  const nsType = a.mustType('', 'v1', 'namespaces');
  for (const ns of ['metallb-system', ...Array.from({ length: 10 }, (_, i) => `ns-${i}`)]) a.create(nsType, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  api.apply(JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bench', namespace: 'metallb-system' }, spec: { addresses: ['2001:db8:100::/64'] } }));
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    const s = svc(i);
    a.create(svcType, s.metadata.namespace, s);
    a.patch(svcType, s.metadata.namespace, s.metadata.name, 'application/merge-patch+json', { status: { loadBalancer: { ingress: [{ ip: v6('2001:db8:100', i + 1), ipMode: 'VIP' }] } } }, {}, 'status');
  }
  const seedS = (performance.now() - t) / 1000;
  const before = new Map<string, string>();
  for (const s of a.list(svcType, undefined, a.selection()).items) before.set(`${s.metadata.namespace}/${s.metadata.name}`, `${s.metadata.resourceVersion} ${JSON.stringify((s as { status?: unknown }).status)}`);
  return { api, a, svcType, seedS, before };
}

async function runOne(n: number, seeded: Awaited<ReturnType<typeof seed>>, variant: Variant): Promise<Row> {
  const { api, a, svcType, seedS, before } = seeded;
  let t: number;

  const port = await freePort();
  const out = join(work, `stats-${n}-${variant.label}.json`);
  const snapPath = join(work, `heap-${n}.heapsnapshot`);
  const start = performance.now();
  const child = spawn(process.execPath, ['--expose-gc', `--import=${hook}`, ...variant.options, variant.binary, '--kubeconfig', api.kubeconfigPath, '--namespace', 'metallb-system', '--port', String(port), `--leader-elect=${leaderElect}`, '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...variant.env, FOOTPRINT_OUT: out, ...(snapshot ? { FOOTPRINT_SNAPSHOT: snapPath } : {}) },
  });
  let log = '';
  const seen = new Map<string, number>();
  child.stdout!.on('data', (b: Buffer) => {
    log += b.toString();
    for (const needle of ['"caches synced"', '"restored existing allocations"', '"initial allocation pass done"']) if (!seen.has(needle) && log.includes(needle)) seen.set(needle, performance.now());
  });
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  for (let i = 0; !seen.has('"initial allocation pass done"'); i++) {
    if (child.exitCode !== null) throw new Error(`controller exited (${child.exitCode}):\n${log.slice(-2000)}`);
    if (performance.now() - start > 600_000) throw new Error('controller not ready after 600 s');
    await sleep(20);
  }
  const syncedS = (seen.get('"caches synced"')! - start) / 1000;
  const readyS = (seen.get('"initial allocation pass done"')! - start) / 1000;
  const restored = /"restored":(\d+)/.exec(log)?.[1] ?? '?';
  await sleep(idleS * 1000);
  const c0 = cpuTicks(child.pid!);
  const t0 = performance.now();
  await sleep(cpuS * 1000);
  const cpuPct = ((cpuTicks(child.pid!) - c0) / CLK_TCK / ((performance.now() - t0) / 1000)) * 100;
  const { rss, hwm } = procStatus(child.pid!);
  const maps = smapsSummary(child.pid!);
  rmSync(out, { force: true });
  child.kill('SIGUSR2');
  for (t = performance.now(); !existsSync(out); ) {
    if (performance.now() - t > 300_000) throw new Error('no heap statistics from the child');
    await sleep(100);
  }
  await sleep(200);
  const stats = JSON.parse(readFileSync(out, 'utf8')) as { before: NodeJS.MemoryUsage; after: NodeJS.MemoryUsage; spaces: Record<string, { used: number; size: number }>; snapshot?: string };
  if (process.argv.includes('--verbose')) {
    console.log(`  RSS by mapping (MiB): ${maps}`);
    console.log(`  before GC: heapUsed ${MiB(stats.before.heapUsed)} heapTotal ${MiB(stats.before.heapTotal)} rss ${MiB(stats.before.rss)}; spaces after GC (used/size MiB): ${Object.entries(stats.spaces).map(([k, v]) => `${k} ${MiB(v.used)}/${MiB(v.size)}`).join(', ')}`);
  }
  let changed = 0;
  for (const s of a.list(svcType, undefined, a.selection()).items) {
    if (before.get(`${s.metadata.namespace}/${s.metadata.name}`) !== `${s.metadata.resourceVersion} ${JSON.stringify((s as { status?: unknown }).status)}`) changed++;
  }
  const row: Row = { n, label: variant.label, seedS, syncedS, readyS, rss, hwm, heapUsedAfterGc: stats.after.heapUsed, rssAfterGc: stats.after.rss, heapTotalAfterGc: stats.after.heapTotal, externalAfterGc: stats.after.external + stats.after.arrayBuffers, cpuPct, changed, restored };
  child.kill('SIGTERM');
  await exited;
  if (snapshot && stats.snapshot) {
    const s = summariseSnapshot(stats.snapshot);
    row.topTypes = s.rows;
    row.snapshotTotal = s.total;
    rmSync(stats.snapshot, { force: true });
  }
  return row;
}

async function runSize(n: number): Promise<Row[]> {
  const seeded = await seed(n);
  try {
    const out: Row[] = [];
    for (const v of variants) out.push(await runOne(n, seeded, v));
    return out;
  } finally {
    await seeded.api.stop();
  }
}

console.log(`controller footprint: ${variants.map((v) => `${v.label} = ${Object.entries(v.env).map(([k, x]) => `${k}=${x} `).join('')}${v.binary} ${v.options.join(' ')}`).join('; ')}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const rows: Row[] = [];
try {
  for (const n of sizes) for (const r of await runSize(n)) {
    rows.push(r);
    console.log(
      `${r.label} N=${n}: seeded in ${r.seedS.toFixed(1)} s; synced ${r.syncedS.toFixed(2)} s, ready ${r.readyS.toFixed(2)} s, restored ${r.restored}, Services changed ${r.changed}; ` +
        `RSS ${MiB(r.rss)} MiB (peak ${MiB(r.hwm)}; after a forced GC ${MiB(r.rssAfterGc)}); heap used after GC ${MiB(r.heapUsedAfterGc)} MiB of ${MiB(r.heapTotalAfterGc)}; external ${MiB(r.externalAfterGc)} MiB; idle CPU ${r.cpuPct.toFixed(2)} % of a core; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    );
    if (r.topTypes) {
      console.log(`  heap snapshot: ${MiB(r.snapshotTotal!)} MiB in total; top by self size (bytes per Service = bytes / N):`);
      console.log('  | what | count | MiB | B per Service |\n  | --- | ---: | ---: | ---: |');
      for (const x of r.topTypes) console.log(`  | ${x.what} | ${x.count} | ${MiB(x.bytes)} | ${(x.bytes / n).toFixed(0)} |`);
    }
  }
  for (const v of variants) {
    const mine = rows.filter((r) => r.label === v.label);
    if (mine.length < 2) continue;
    const [a, b] = [mine[0]!, mine[mine.length - 1]!];
    console.log(`${v.label}: ` + `slope ${a.n} → ${b.n}: RSS ${((b.rss - a.rss) / (b.n - a.n)).toFixed(0)} B per Service, heap after GC ${((b.heapUsedAfterGc - a.heapUsedAfterGc) / (b.n - a.n)).toFixed(0)} B per Service`);
  }
  console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
