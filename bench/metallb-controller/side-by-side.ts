/**
 * MetalLB v0.15.2's controller and ours, side by side on the real control plane (issue 21 §3:
 * allocation throughput, restart with N Services, footprint).
 *
 * Each (run, implementation) gets its own fresh control plane (`@metallb-ts/kube` `up()` in a
 * temporary directory, `down({ purge: true })` at the end): etcd + kube-apiserver +
 * kube-controller-manager, our CRDs (`deploy/crds`, which serve both implementations — see
 * tools/metallb/test/harness.ts), the namespace `metallb-system` and one IPAddressPool `bench`
 * (198.51.100.0/24 + 203.0.113.0/24: 512 IPv4 addresses, documentation ranges configured nowhere).
 * In every run MetalLB goes first, then ours. Per implementation:
 *
 *  1. start → ready on an empty cluster (ours: `/readyz` 200; MetalLB, which has no readiness
 *     endpoint: `/metrics` answers with `metallb_k8s_client_config_loaded_bool 1`), then RSS and
 *     CPU over an idle window;
 *  2. N new LoadBalancer Services created by this process (`--in-flight` creates at a time, no
 *     client-side rate limit; the same Services as bench/controller/allocate-new.ts: IPv4,
 *     `allocateLoadBalancerNodePorts: false`, shared in ≤ 500 groups by `metallb.io/allow-shared-ip`
 *     when N > 500) → time until a watch has seen every one with `status.loadBalancer.ingress`;
 *     peak RSS (sampled every 100 ms) and CPU during that; then settled RSS and idle CPU at N;
 *  3. restart (`--restarts` times): every Service's IPs and resourceVersion listed, SIGTERM, start again → time to the
 *     ready signal above and to the allocator restored (`metallb_allocator_addresses_in_use_total
 *     {pool="bench"}` back at the number of distinct IPs, a metric both export); after a quiet
 *     period (`--quiet` s) the Services are listed again: how many changed IPs, how many were
 *     written at all (resourceVersion changed).
 *
 * Both controllers run with their own defaults for what is not given: MetalLB's controller-runtime
 * client (QPS 20, burst 30 — it has no flag for them), ours (`--kube-api-qps 200 --kube-api-burst
 * 400`); `--log-level info` for both. Ours: `dist/apps/controller/main.mjs --kubeconfig K
 * --namespace metallb-system --port P --metrics-bind-address 127.0.0.1 --leader-elect=false`.
 *
 * Run (repository root; builds MetalLB and the Kubernetes binaries when not cached):
 *   npx nx run controller:build
 *   node bench/run.mjs metallb-controller/side-by-side.ts --services 1000 --runs 3
 * Flags: --services N (1000), --runs R (3), --impls metallb,ours (both), --in-flight C (16),
 * --idle S (10: idle window for RSS/CPU), --quiet S (5: after a restart, before the Services are
 * compared), --seed self|ours (self: each implementation allocates its own Services; ours: metallb-ts
 * allocates them in every run and the other implementation is only measured starting over them —
 * how MetalLB's restart at 10,000 is measured when its own allocation of 10,000 does not fit the
 * time), --give-up S (max(600, N / 5): stop waiting for the allocation; the run then reports how
 * many had an IP and measures no restart), --backlog (the N Services are created while no controller
 * runs, then the allocating controller starts: time from its start until all have an IP — the
 * controller's own pace, where the default measures it behind this client's creates), --restarts K (1: restarts per run, each measured and compared with the Services as
 * they were before the first), --fsync (etcd fsyncs; default off, like the conformance suite: the shared machine's
 * disk is not what is measured), --json FILE (every run's raw figures).
 * Not a test: prints Markdown tables; nothing is asserted.
 */
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isApiError, KubeClient, loadClientConfig, Resources, type KubeObject, type ResourceRef } from '@metallb-ts/k8s-watch';
import { down, ETCD_VERSION, kubectl, KUBERNETES_VERSION, up } from '@metallb-ts/kube';
import { ensureMetallb, freePort, METALLB_VERSION, startController, type MetallbProcess } from '@metallb-ts/metallb-peer';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--' && !a.endsWith('.ts')),
  options: {
    services: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '3' },
    impls: { type: 'string', default: 'metallb,ours' },
    'in-flight': { type: 'string', default: '16' },
    idle: { type: 'string', default: '10' },
    quiet: { type: 'string', default: '5' },
    restarts: { type: 'string', default: '1' },
    seed: { type: 'string', default: 'self' },
    'give-up': { type: 'string' },
    backlog: { type: 'boolean', default: false },
    fsync: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
type Impl = 'metallb' | 'ours';
const N = Number(values.services);
const RUNS = Number(values.runs);
const IN_FLIGHT = Number(values['in-flight']);
const IDLE_S = Number(values.idle);
const QUIET_S = Number(values.quiet);
const RESTARTS = Number(values.restarts);
/** Who allocates the N Services: each implementation itself, or always ours (then only the restart is the other's). */
const SEED = values.seed;
if (SEED !== 'self' && SEED !== 'ours') throw new Error(`--seed must be self or ours, got ${SEED}`);
/** Create the N Services while no controller runs, then start it: the controller's own pace, not the client's. */
const BACKLOG = values.backlog;
const GIVE_UP_S = values['give-up'] !== undefined ? Number(values['give-up']) : Math.max(600, N * 0.2);
if (!(GIVE_UP_S > 0)) throw new Error(`--give-up must be a positive number of seconds`);
const IMPLS = values.impls.split(',') as Impl[];
if (!Number.isInteger(N) || N < 1 || N > 100_000) throw new Error(`--services must be an integer 1..100000, got ${values.services}`);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
if (!Number.isInteger(IN_FLIGHT) || IN_FLIGHT < 1) throw new Error(`--in-flight must be a positive integer`);
if (!(IDLE_S > 0) || !(QUIET_S >= 0)) throw new Error('--idle must be > 0 and --quiet ≥ 0');
if (!Number.isInteger(RESTARTS) || RESTARTS < 1 || RESTARTS > 100) throw new Error(`--restarts must be an integer 1..100, got ${values.restarts}`);
if (!IMPLS.length || IMPLS.some((i) => i !== 'metallb' && i !== 'ours')) throw new Error(`--impls: a list of metallb, ours; got ${values.impls}`);

const repo = process.env.BENCH_REPO ?? process.cwd();
const OURS = join(repo, 'dist', 'apps', 'controller', 'main.mjs');
const CRDS = join(repo, 'deploy', 'crds');
const NS = 'metallb-system';
const POOL = 'bench';
const PER_IP = Math.max(1, Math.ceil(N / 500));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
})();

// ---- /proc readings -------------------------------------------------------------------------
/** CPU seconds (user + system) of a process. */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}
/** Lines of a log file that contain `needle` (MetalLB logs each status write it sends: the "why" of its figures). */
function countLines(file: string, needle: string): number {
  try {
    return readFileSync(file, 'utf8').split(needle).length - 1;
  } catch {
    return NaN;
  }
}
const MLB_WRITE = '"msg":"updated service object"';
const MLB_RELOAD = '"event":"force service reload"';

/** VmRSS in MiB. */
function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}
/** Samples RSS every 100 ms until stopped; returns the peak. */
function rssPeak(pid: number): { stop(): number } {
  let peak = rssMiB(pid);
  const t = setInterval(() => {
    const r = rssMiB(pid);
    if (r > peak || Number.isNaN(peak)) peak = r;
  }, 100);
  return {
    stop() {
      clearInterval(t);
      const r = rssMiB(pid);
      return r > peak ? r : peak;
    },
  };
}

// ---- the controllers ------------------------------------------------------------------------
interface Controller {
  proc: MetallbProcess;
  /** When it was spawned (performance.now()). */
  startedAt: number;
}

async function startOurs(kubeconfig: string, logFile: string): Promise<MetallbProcess> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [OURS, '--kubeconfig', kubeconfig, '--namespace', NS, '--port', String(port), '--metrics-bind-address', '127.0.0.1', '--leader-elect=false', '--log-level', 'info'], { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error('could not start our controller');
  const exited = new Promise<number | string>((r) => child.once('exit', (c, s) => r(s ?? c ?? -1)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    pid: child.pid,
    port,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    exited,
    async stop(graceMs = 10_000) {
      if (gone) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => !gone && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

async function startImpl(impl: Impl, metallbBinary: string, kubeconfig: string, logFile: string): Promise<Controller> {
  if (impl === 'ours') {
    const startedAt = now();
    return { proc: await startOurs(kubeconfig, logFile), startedAt };
  }
  const port = await freePort();
  const startedAt = now();
  return { proc: await startController({ binary: metallbBinary, kubeconfig, logFile, port, logLevel: 'info' }), startedAt };
}

async function get(port: number, path: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return { status: r.status, text: await r.text() };
  } catch {
    return undefined;
  }
}

function metric(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) {
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (name.includes('in_use') && !line.includes(`pool="${POOL}"`)) continue;
      return v;
    }
  }
  return undefined;
}

/** Polls (50 ms) until `ok`; returns the time since the controller started, in seconds. */
async function waitUntil(c: Controller, what: string, ok: () => Promise<boolean>, timeoutMs = 300_000): Promise<number> {
  const deadline = now() + timeoutMs;
  let exited = false;
  void c.proc.exited.then(() => (exited = true));
  while (now() < deadline) {
    if (await ok()) return (now() - c.startedAt) / 1000;
    if (exited) throw new Error(`controller exited before ${what}; log ${c.proc.logFile}:\n${c.proc.log().slice(-2000)}`);
    await sleep(50);
  }
  throw new Error(`no ${what} after ${timeoutMs / 1000} s; log ${c.proc.logFile}:\n${c.proc.log().slice(-2000)}`);
}

/** The ready signal: ours `/readyz` 200; MetalLB (no readiness endpoint) its config-loaded gauge at 1. */
function waitReady(impl: Impl, c: Controller): Promise<number> {
  return waitUntil(c, 'ready signal', async () => {
    if (impl === 'ours') return (await get(c.proc.port, '/readyz'))?.status === 200;
    const m = await get(c.proc.port, '/metrics');
    return m?.status === 200 && metric(m.text, 'metallb_k8s_client_config_loaded_bool') === 1;
  });
}

function waitInUse(c: Controller, expected: number): Promise<number> {
  return waitUntil(c, `${expected} addresses in use`, async () => {
    const m = await get(c.proc.port, '/metrics');
    return m?.status === 200 && metric(m.text, 'metallb_allocator_addresses_in_use_total') === expected;
  }, Math.max(300_000, N * 200));
}

// ---- the inputs -----------------------------------------------------------------------------
function service(i: number): KubeObject {
  const group = Math.floor(i / PER_IP);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'default', ...(PER_IP > 1 ? { annotations: { 'metallb.io/allow-shared-ip': `group-${group}` } } : {}) },
    spec: {
      type: 'LoadBalancer',
      allocateLoadBalancerNodePorts: false,
      selector: { app: `group-${group}` },
      ports: [{ name: 'p', port: 1000 + (i % PER_IP), protocol: 'TCP', targetPort: 8080 }],
    },
  } as KubeObject;
}
const ipaddresspools = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools', namespaced: true } as ResourceRef;
type Svc = KubeObject & { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };
const ipsOf = (s: Svc) => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '?').join(',');

async function snapshot(client: KubeClient): Promise<Map<string, { ips: string; rv: string }>> {
  const l = await client.list<Svc>(Resources.services, { namespace: 'default' });
  return new Map(l.items.filter((s) => s.metadata.name.startsWith('svc-')).map((s) => [s.metadata.name, { ips: ipsOf(s), rv: s.metadata.resourceVersion ?? '' }]));
}

// ---- one measured run -----------------------------------------------------------------------
interface Result {
  impl: Impl;
  run: number;
  load: { start: string; alloc: string; restart: string[] };
  startReadyS: number;
  idleRssMiB: number;
  idleCpuPct: number;
  createS: number;
  allocS: number;
  rate: number;
  allocCpuS: number;
  allocPeakRssMiB: number;
  settledRssMiB: number;
  settledCpuPct: number;
  /** One entry per restart (`--restarts`). */
  restartReadyS: number[];
  restartRestoredS: number[];
  restartPeakRssMiB: number[];
  /** RSS at the end of the quiet period after each restart, and CPU during it (% of a core). */
  restartSettledRssMiB: number[];
  restartQuietCpuPct: number[];
  /** Who allocated the Services (`--seed`): the allocation figures are NaN when not this implementation. */
  seededBy: Impl;
  /** Services with an IP when the benchmark gave up waiting (`--give-up`), or N. */
  allocated: number;
  /** Set when the benchmark gave up waiting for the allocation. */
  gaveUpAfterS?: number;
  /** MetalLB only: status writes it logged (`updated service object`) and full reprocessing passes it forced, during the allocation and during each restart. */
  mlbWrites?: { alloc: number; reloads: number; restart: number[] };
  ipChanged: number[];
  written: number[];
  retried: number;
}

async function runOnce(impl: Impl, run: number, metallbBinary: string): Promise<Result> {
  const base = mkdtempSync(join(tmpdir(), `bench-mlbctl-${impl}-`));
  const dir = join(base, 'kube');
  const log = (l: string) => process.stderr.write(`[${impl} run ${run}] ${l}\n`);
  let ctl: Controller | undefined;
  let client: KubeClient | undefined;
  try {
    const cp = await up({ dir, etcdUnsafeNoFsync: !values.fsync });
    for (const args of [
      ['apply', '--server-side', '-f', CRDS],
      ['wait', '--for', 'condition=Established', 'crd', '--all', '--timeout=60s'],
    ]) {
      const r = await kubectl(args, { dir, timeoutMs: 90_000 });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    }
    client = new KubeClient(loadClientConfig({ kubeconfig: cp.kubeconfig, env: {}, qps: 1e9, burst: 1e9 }));
    try {
      await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } as KubeObject);
    } catch (e) {
      if (!isApiError(e, 409)) throw e;
    }
    await client.create(ipaddresspools, NS, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: POOL, namespace: NS }, spec: { addresses: ['198.51.100.0/24', '203.0.113.0/24'] } } as KubeObject);
    const logFile = join(base, `${impl}-controller.log`);

    // 1. start → ready, idle footprint
    const loadStart = load();
    ctl = await startImpl(impl, metallbBinary, cp.kubeconfig, logFile);
    const startReadyS = await waitReady(impl, ctl);
    log(`ready in ${startReadyS.toFixed(2)} s`);
    await sleep(2000);
    let c0 = cpuSeconds(ctl.proc.pid);
    await sleep(IDLE_S * 1000);
    const idleCpuPct = ((cpuSeconds(ctl.proc.pid) - c0) / IDLE_S) * 100;
    const idleRssMiB = rssMiB(ctl.proc.pid);

    // 2. allocation throughput (by ours instead when --seed ours)
    const seededBy: Impl = SEED === 'ours' ? 'ours' : impl;
    const allocLog = seededBy === impl ? logFile : join(base, `${seededBy}-seed.log`);
    if (seededBy !== impl && !BACKLOG) {
      await ctl.proc.stop(30_000);
      ctl = undefined;
      ctl = await startImpl(seededBy, metallbBinary, cp.kubeconfig, allocLog);
      await waitReady(seededBy, ctl);
      log(`Services are allocated by ${seededBy} (--seed)`);
    }
    const listed = await client.list<Svc>(Resources.services, { namespace: 'default' });
    const withIp = new Set<string>();
    let allAt = 0;
    let resolveAll!: () => void;
    const allDone = new Promise<void>((r) => (resolveAll = r));
    const abort = new AbortController();
    const watcher = client;
    const watchLoop = (async () => {
      let rv = listed.resourceVersion;
      for (let attempts = 0; !abort.signal.aborted && attempts < 1000; attempts++) {
        try {
          for await (const ev of watcher.watch<Svc>(Resources.services, { namespace: 'default', resourceVersion: rv, allowWatchBookmarks: true, signal: abort.signal })) {
            if (ev.type === 'ERROR') throw new Error(`watch error: ${JSON.stringify(ev.object)}`);
            rv = ev.object.metadata.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK' || !ev.object.metadata.name.startsWith('svc-')) continue;
            if (ev.object.status?.loadBalancer?.ingress?.length) withIp.add(ev.object.metadata.name);
            else withIp.delete(ev.object.metadata.name);
            if (withIp.size === N && !allAt) {
              allAt = now();
              resolveAll();
            }
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          log(`watch ended (${(e as Error).message}); resuming from ${rv}`);
          await sleep(100);
        }
      }
    })();
    const loadAlloc = load();
    const w0 = countLines(logFile, MLB_WRITE);
    const r0 = countLines(logFile, MLB_RELOAD);
    if (BACKLOG) {
      await ctl.proc.stop(30_000);
      ctl = undefined;
    }
    let peak = ctl && rssPeak(ctl.proc.pid);
    c0 = ctl ? cpuSeconds(ctl.proc.pid) : 0;
    const t0 = now();
    let next = 0;
    let retried = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < N) {
          const i = next++;
          for (let attempt = 0; ; attempt++) {
            try {
              await client!.create(Resources.services, 'default', service(i));
              break;
            } catch (e) {
              if (isApiError(e, 409)) break; // a retried create that had gone through
              retried++;
              if (attempt >= 5) throw e;
              await sleep(50 * (attempt + 1));
            }
          }
        }
      }),
    );
    const createS = (now() - t0) / 1000;
    /** Backlog: allocation is timed from the controller's start, once every Service exists. */
    let tAlloc = t0;
    if (BACKLOG) {
      ctl = await startImpl(seededBy, metallbBinary, cp.kubeconfig, allocLog);
      peak = rssPeak(ctl.proc.pid);
      tAlloc = ctl.startedAt;
    }
    let giveUp: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([allDone.then(() => 'done' as const), new Promise<'timeout'>((r) => (giveUp = setTimeout(() => r('timeout'), GIVE_UP_S * 1000)))]);
    clearTimeout(giveUp);
    const allocS = ((outcome === 'done' ? allAt : now()) - tAlloc) / 1000;
    if (!ctl || !peak) throw new Error('no controller');
    const allocCpuS = cpuSeconds(ctl.proc.pid) - c0;
    const allocPeakRssMiB = peak.stop();
    if (BACKLOG && seededBy !== impl && outcome === 'done') {
      // the measured implementation starts over the Services the seed allocated, as in step 3
      await ctl.proc.stop(30_000);
      ctl = undefined;
      ctl = await startImpl(impl, metallbBinary, cp.kubeconfig, logFile);
      await waitReady(impl, ctl);
    }
    abort.abort();
    await watchLoop;
    const allocated = withIp.size;
    const mlbWrites = impl === 'metallb' && seededBy === impl ? { alloc: countLines(logFile, MLB_WRITE) - w0, reloads: countLines(logFile, MLB_RELOAD) - r0, restart: [] as number[] } : impl === 'metallb' ? { alloc: NaN, reloads: NaN, restart: [] as number[] } : undefined;
    if (outcome !== 'done') {
      log(`gave up: ${allocated}/${N} Services have an IP after ${allocS.toFixed(0)} s; no restart measured`);
      const nan = NaN;
      return { impl, run, load: { start: loadStart, alloc: loadAlloc, restart: [] }, startReadyS, idleRssMiB, idleCpuPct, createS, allocS: nan, rate: nan, allocCpuS, allocPeakRssMiB, settledRssMiB: rssMiB(ctl.proc.pid), settledCpuPct: nan, restartReadyS: [], restartRestoredS: [], restartPeakRssMiB: [], restartSettledRssMiB: [], restartQuietCpuPct: [], ipChanged: [], written: [], retried, seededBy, allocated, gaveUpAfterS: allocS, mlbWrites };
    }
    log(`${N} allocated in ${allocS.toFixed(2)} s (${(N / allocS).toFixed(1)} Services/s)${seededBy !== impl ? ` by ${seededBy}` : ''}`);
    await sleep(2000);
    c0 = cpuSeconds(ctl.proc.pid);
    await sleep(IDLE_S * 1000);
    const settledCpuPct = ((cpuSeconds(ctl.proc.pid) - c0) / IDLE_S) * 100;
    const settledRssMiB = rssMiB(ctl.proc.pid);

    // 3. restart, --restarts times; each compared with the state before the first
    const before = await snapshot(client);
    const distinct = new Set([...before.values()].map((v) => v.ips)).size;
    const loadRestart: string[] = [];
    const restartReadyS: number[] = [];
    const restartRestoredS: number[] = [];
    const restartPeakRssMiB: number[] = [];
    const restartSettledRssMiB: number[] = [];
    const restartQuietCpuPct: number[] = [];
    const ipChanged: number[] = [];
    const written: number[] = [];
    for (let k = 0; k < RESTARTS; k++) {
      await ctl.proc.stop(30_000);
      ctl = undefined;
      loadRestart.push(load());
      const wk = countLines(logFile, MLB_WRITE);
      ctl = await startImpl(impl, metallbBinary, cp.kubeconfig, logFile);
      const peak2 = rssPeak(ctl.proc.pid);
      restartReadyS.push(await waitReady(impl, ctl));
      restartRestoredS.push(await waitInUse(ctl, distinct));
      const q0 = cpuSeconds(ctl.proc.pid);
      await sleep(QUIET_S * 1000);
      restartQuietCpuPct.push(QUIET_S > 0 ? ((cpuSeconds(ctl.proc.pid) - q0) / QUIET_S) * 100 : NaN);
      restartSettledRssMiB.push(rssMiB(ctl.proc.pid));
      restartPeakRssMiB.push(peak2.stop());
      const after = await snapshot(client);
      let changed = 0;
      let wrote = 0;
      for (const [name, b] of before) {
        const a = after.get(name);
        if (!a || a.ips !== b.ips) changed++;
        if (!a || a.rv !== b.rv) wrote++;
      }
      mlbWrites?.restart.push(countLines(logFile, MLB_WRITE) - wk);
      ipChanged.push(changed);
      written.push(wrote);
      log(`restart ${k + 1}: ready ${restartReadyS[k]!.toFixed(2)} s, restored ${restartRestoredS[k]!.toFixed(2)} s, ${changed} IPs changed, ${wrote} written`);
    }
    const own = seededBy === impl;
    return {
      impl,
      run,
      load: { start: loadStart, alloc: loadAlloc, restart: loadRestart },
      startReadyS,
      idleRssMiB,
      idleCpuPct,
      createS: own ? createS : NaN,
      allocS: own ? allocS : NaN,
      rate: own ? N / allocS : NaN,
      allocCpuS: own ? allocCpuS : NaN,
      allocPeakRssMiB: own ? allocPeakRssMiB : NaN,
      settledRssMiB: own ? settledRssMiB : NaN,
      settledCpuPct: own ? settledCpuPct : NaN,
      restartReadyS,
      restartRestoredS,
      restartPeakRssMiB,
      restartSettledRssMiB,
      restartQuietCpuPct,
      seededBy,
      allocated,
      mlbWrites,
      ipChanged,
      written,
      retried,
    };
  } finally {
    client?.close();
    if (ctl) await ctl.proc.stop(10_000);
    await down({ dir, purge: true }).catch((e: Error) => log(`down: ${e.message}`));
    rmSync(base, { recursive: true, force: true });
  }
}

// ---- main -----------------------------------------------------------------------------------
const bins = await ensureMetallb({ log: (l) => process.stderr.write(`${l}\n`) });
const results: Result[] = [];
const failures: string[] = [];
const started = new Date().toISOString();
for (let run = 1; run <= RUNS; run++) {
  for (const impl of IMPLS) {
    try {
      results.push(await runOnce(impl, run, bins.controller));
    } catch (e) {
      const msg = `${impl} run ${run}: ${(e as Error).message.split('\n')[0]}`;
      failures.push(msg);
      process.stderr.write(`FAILED ${msg}\n`);
    }
    if (values.json) writeFileSync(values.json, JSON.stringify({ started, commit, N, results, failures }, null, 2));
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const quant = (xs: number[], q: number) => {
  const s = sorted(xs);
  if (!s.length) return NaN;
  const i = (s.length - 1) * q;
  const lo = Math.floor(i);
  return s[lo]! + (s[Math.ceil(i)]! - s[lo]!) * (i - lo);
};
const fmt = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const summary = (all: number[], d: number, xs = all.filter(Number.isFinite)) => (xs.length >= 3 ? `${fmt(quant(xs, 0.5), d)} / ${fmt(quant(xs, 0.9), d)} / ${fmt(Math.max(...xs), d)}` : xs.map((x) => fmt(x, d)).join(', ') || '–');
const name: Record<Impl, string> = { metallb: `MetalLB ${METALLB_VERSION}`, ours: 'metallb-ts' };

console.log(`\n## Controller side by side, ${N} Services (${RUNS} run${RUNS > 1 ? 's' : ''} each)\n`);
console.log(`commit ${commit}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}; kube-lab: etcd ${ETCD_VERSION}${values.fsync ? '' : ' (no fsync)'} + kube-apiserver ${KUBERNETES_VERSION} + kube-controller-manager; ${IN_FLIGHT} creates in flight; idle windows ${IDLE_S} s;${BACKLOG ? ' --backlog: the Services were created while no controller ran, then the controller started;' : ''}${SEED === 'ours' ? ' Services allocated by metallb-ts in every run (--seed ours): the other column is a restart over them;' : ''} ${N > 500 ? `${Math.ceil(N / PER_IP)} shared IPs (≤ ${PER_IP} Services each)` : `${N} IPs`}.`);
console.log(`Cells: median / p90 / max with ≥ 3 runs, else each run.\n`);
const rows: [string, (r: Result) => number | number[], number][] = [
  ['start → ready, empty cluster (s)', (r) => r.startReadyS, 2],
  ['RSS idle, no Services (MiB)', (r) => r.idleRssMiB, 0],
  ['CPU idle, no Services (% of a core)', (r) => r.idleCpuPct, 2],
  [`${N} Services created (s, this client)`, (r) => r.createS, 1],
  [BACKLOG ? `controller start → all ${N} waiting Services have an IP (s)` : `first create → all ${N} have an IP (s)`, (r) => r.allocS, 1],
  ['allocation throughput (Services/s)', (r) => r.rate, 1],
  ...(BACKLOG ? [] : ([['last create → all have an IP (s)', (r: Result) => r.allocS - r.createS, 2]] as [string, (r: Result) => number, number][])),
  ['controller CPU during allocation (s)', (r) => r.allocCpuS, 1],
  ['RSS peak during allocation (MiB)', (r) => r.allocPeakRssMiB, 0],
  [`RSS settled, ${N} Services (MiB)`, (r) => r.settledRssMiB, 0],
  [`CPU idle, ${N} Services (% of a core)`, (r) => r.settledCpuPct, 2],
  [`restart → ready signal (s; ${RESTARTS} restart${RESTARTS > 1 ? 's' : ''} per run)`, (r) => r.restartReadyS, 2],
  ['restart → allocator restored (s)', (r) => r.restartRestoredS, 2],
  ['RSS peak during restart (MiB)', (r) => r.restartPeakRssMiB, 0],
  [`RSS ${QUIET_S} s after restart, ${N} Services (MiB)`, (r) => r.restartSettledRssMiB, 0],
  [`CPU in the ${QUIET_S} s after restart (% of a core)`, (r) => r.restartQuietCpuPct, 1],
  ['Services whose IP changed on restart (max over restarts)', (r) => (r.ipChanged.length ? Math.max(...r.ipChanged) : NaN), 0],
  ['Services written on restart (max over restarts)', (r) => (r.written.length ? Math.max(...r.written) : NaN), 0],
];
console.log(`| measurement | ${IMPLS.map((i) => name[i]).join(' | ')} |\n| --- |${IMPLS.map(() => ' --- |').join('')}`);
for (const [label, f, d] of rows) console.log(`| ${label} | ${IMPLS.map((i) => summary(results.filter((r) => r.impl === i).flatMap(f), d)).join(' | ')} |`);
console.log(`\n| run | implementation | load average at start / allocation / restart | Services/s | restart → ready (s) | IPs changed (max) |\n| --- | --- | --- | --- | --- | --- |`);
for (const r of results) console.log(`| ${r.run} | ${name[r.impl]} | ${r.load.start} / ${r.load.alloc} / ${r.load.restart[0] ?? '–'} | ${r.gaveUpAfterS !== undefined ? `gave up after ${r.gaveUpAfterS.toFixed(0)} s with ${r.allocated}/${N}` : r.seededBy !== r.impl ? `(seeded by ${name[r.seededBy]})` : fmt(r.rate, 1)} | ${r.restartReadyS.map((x) => fmt(x, 2)).join(', ') || '–'} | ${r.ipChanged.length ? Math.max(...r.ipChanged) : '–'} |`);
if (results.some((r) => r.mlbWrites)) {
  console.log(`\nMetalLB's own log, per run: status writes it sent ("updated service object") and full passes over every Service it forced ("force service reload") during the allocation; status writes during each restart.\n\n| run | writes during allocation | forced full passes | writes per restart |\n| --- | --- | --- | --- |`);
  for (const r of results) if (r.mlbWrites) console.log(`| ${r.run} | ${fmt(r.mlbWrites.alloc, 0)} | ${fmt(r.mlbWrites.reloads, 0)} | ${r.mlbWrites.restart.join(', ') || '–'} |`);
}
if (failures.length) console.log(`\nFailed runs (not in the table): ${failures.join('; ')}`);
