/**
 * What the side-by-side benchmarks of bench/metallb share (bgp-scale.ts, lifecycle.ts): flags,
 * quantiles, the lab's bring-up with MetalLB's binaries available, the router's kernel routes,
 * process RSS, and the measurement's context (commit, machine, load average).
 */
import { runChild } from '@metallb-ts/test-lab';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { LabHandle, alive, type Impl } from '../../apps/lab/src/lab.js';

export const ROOT = process.env['BENCH_REPO'] ?? process.cwd();
export const LAB = join(ROOT, 'dist', 'apps', 'lab', 'main.mjs');
export const NODES = ['n1', 'n2', 'n3'];
export type Variant = 'metallb' | 'ours';
export const implOf = (v: Variant): Impl => (v === 'metallb' ? 'metallb' : 'metallb-ts');
export const label = (v: Variant): string => (v === 'metallb' ? 'MetalLB v0.15.2' : 'metallb-ts');

/** `--name value` from argv, or `def`. */
export function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

/** Median, p90 (nearest rank) and max; undefined for no samples. */
export function quantiles(xs: number[]): { median: number; p90: number; max: number } | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { median: q(0.5), p90: q(0.9), max: s[s.length - 1]! };
}

/** `median / p90 / max` with `digits` decimals, or `–`. */
export function fmt(xs: number[], digits = 0): string {
  const q = quantiles(xs);
  return q ? `${q.median.toFixed(digits)} / ${q.p90.toFixed(digits)} / ${q.max.toFixed(digits)}` : '–';
}

export const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
export const machine = (): string => `${cpus().length} × ${cpus()[0]?.model ?? '?'}`;
export const utc = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export async function commit(): Promise<string> {
  return (await runChild(['git', 'rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
}

export async function must(argv: string[], what: string, timeoutMs = 3_500_000): Promise<string> {
  const r = await runChild(argv, { cwd: ROOT, timeoutMs });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Exits with a message unless root and the lab bundle is built. */
export function preflight(name: string): void {
  if (process.getuid?.() !== 0) {
    console.error(`${name}: needs root (network namespaces)`);
    process.exit(1);
  }
  if (!existsSync(LAB)) {
    console.error(`${name}: ${LAB} is missing: npx nx run lab:build`);
    process.exit(1);
  }
}

/**
 * Builds kube-lab's and MetalLB's binaries when not cached, brings up a lab of `prefix` on the
 * real control plane (MetalLB's controller when `controller` is 'metallb', else ours; MetalLB's
 * speakers), and attaches to it.
 */
export async function labUp(prefix: string, controller: Variant): Promise<LabHandle> {
  await must([process.execPath, join(ROOT, 'tools', 'kube', 'bin', 'kube-lab.mjs'), 'build'], 'kube-lab build');
  const bins = await must([process.execPath, join(ROOT, 'tools', 'metallb', 'bin', 'metallb-peer.mjs'), 'build'], 'metallb-peer build');
  const bin = (k: string) => new RegExp(`^${k}=(.+)$`, 'm').exec(bins)?.[1] ?? '';
  const argv = [process.execPath, LAB, 'up', '--detach', '--kube', 'real', '--prefix', prefix, '--metallb-speaker', bin('speaker')];
  // MetalLB's controller binary is recorded either way (replaceController('metallb') needs it)
  argv.push('--metallb-controller', bin('controller'));
  await must(argv, 'lab up', 300_000);
  const L = LabHandle.attach(prefix);
  if (controller === 'ours') await L.replaceController('metallb-ts');
  return L;
}

/** Tears the lab of `prefix` down (unless BENCH_KEEP_LAB is set). */
export async function labDown(prefix: string): Promise<void> {
  if (process.env['BENCH_KEEP_LAB']) return;
  await runChild([process.execPath, LAB, 'down', '--prefix', prefix], { cwd: ROOT, timeoutMs: 120_000 });
}

/** On SIGINT/SIGTERM: `cleanup` (the probe), then the lab of `prefix` down, then exit 130. */
export function tearDownOnSignal(prefix: string, cleanup: () => void): void {
  const go = (sig: string) => {
    console.error(`${sig}: tearing the lab ${prefix} down`);
    cleanup();
    void labDown(prefix).finally(() => process.exit(130));
  };
  process.once('SIGINT', () => go('SIGINT'));
  process.once('SIGTERM', () => go('SIGTERM'));
}

/**
 * Stops the lab's node agents (kubelet and kube-proxy stand-ins; SIGTERM, SIGKILL after 10 s).
 * Their pods stay Ready in the API (nothing in the lab marks them otherwise) but no longer serve.
 */
export async function stopNodeAgents(L: LabHandle): Promise<void> {
  for (const n of NODES) {
    const r = L.proc(`node-${n}`);
    if (!r || !alive(r)) continue;
    process.kill(r.pid, 'SIGTERM');
    const until = Date.now() + 10_000;
    while (alive(r) && Date.now() < until) await sleep(100);
    if (alive(r)) process.kill(r.pid, 'SIGKILL');
  }
}

/** Applies YAML with kubectl, throwing on failure. */
export function apply(L: LabHandle, text: string): void {
  const r = L.apply(text);
  if (r.status !== 0) throw new Error(`kubectl apply: ${r.err}`);
}

/**
 * The router's kernel routes installed by FRR (`ip -4 route show proto bgp` in the router
 * namespace): prefix → its next hops. The kernel table is the end of the pipeline (bgpd → zebra →
 * kernel), what forwards packets, and one `ip` call is far cheaper than vtysh's JSON for 10,000
 * routes.
 */
export function routerRoutes(L: LabHandle): Map<string, string[]> {
  const r = spawnSync('ip', ['-n', L.topo.router.ns, '-4', 'route', 'show', 'proto', '186'], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`ip route show in ${L.topo.router.ns}: ${r.stderr || r.error?.message}`);
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      const dst = line.split(/\s+/)[0]!.replace(/\/32$/, '');
      cur = [];
      out.set(dst, cur);
    }
    const m = /\bvia (\S+)/.exec(line);
    if (m && cur) cur.push(m[1]!);
  }
  return out;
}

/** One kB field of `/proc/PID/status` in MiB (undefined when the process is gone). */
function statusMiB(pid: number, field: 'VmRSS' | 'RssAnon'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** VmRSS of a process in MiB (undefined when it is gone). */
export function rssMiB(pid: number): number | undefined {
  return statusMiB(pid, 'VmRSS');
}

/**
 * The anonymous part of a process's RSS (heap, stacks, malloc: memory of its own), MiB, or
 * undefined. The rest is file-backed: the executable's pages (for Node ~45 MiB, shared by every
 * process of the same binary file).
 */
export function anonMiB(pid: number): number | undefined {
  return statusMiB(pid, 'RssAnon');
}

/** CPU time (user + system) a process has used, in seconds (undefined when it is gone). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 of stat (utime, stime), counted from the state (field 3) here
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Whether every node's BGP session (IPv4) with the router is Established. */
export function sessionsUp(L: LabHandle): boolean {
  try {
    const s = JSON.parse(L.vtysh('show bgp ipv4 unicast summary json')) as { peers?: Record<string, { state?: string }> };
    return L.topo.nodes.every((n) => s.peers?.[n.v4]?.state === 'Established');
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
