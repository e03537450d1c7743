/**
 * The control plane's life cycle: {@link up}, {@link status}, {@link down}, and per-ServiceAccount
 * kubeconfigs ({@link serviceAccountKubeconfig}). Everything about one control plane lives in its
 * DIR: `pki/`, `etcd/` (data), `logs/`, `admin.kubeconfig`, `state.json` (layout), `pids.json`
 * (the processes it started, with their start times and command lines).
 *
 * Processes are started detached (their own session), so they outlive the `kube-lab up` command;
 * they are stopped only by their recorded PIDs, after checking `/proc` says the PID is still the
 * process that was started ({@link classifyRecorded}).
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { apiserverArgs, controllerManagerArgs, etcdArgs, files, hostPort, type ControlPlaneLayout } from './args.js';
import { binaryPaths, ensureBinaries, type Binaries } from './build.js';
import { renderKubeconfig } from './kubeconfig.js';
import { classifyRecorded, planExisting, readProcess, type PidRecord, type RecordedState } from './pids.js';
import { ensurePki } from './pki.js';
import { freePort } from '@metallb-ts/test-lab/ports';

/** The roles of a complete control plane, in start order. */
export const ROLES = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;
/** One of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** Options of {@link up}. */
export interface UpOptions {
  /** The state directory; created if missing. */
  dir: string;
  /** Address every process binds to. @default '127.0.0.1' */
  address?: string;
  /** Run every process (and every kubectl call) inside this network namespace (`ip netns exec`). */
  netns?: string;
  /** The apiserver's port. @default a free port (6443 inside a netns) */
  apiserverPort?: number;
  /** etcd's client port. @default a free port (2379 inside a netns) */
  etcdClientPort?: number;
  /** etcd's peer port. @default a free port (2380 inside a netns) */
  etcdPeerPort?: number;
  /** The Service ClusterIP range (cluster-internal). @default '10.96.0.0/16' */
  serviceCidr?: string;
  /** Another etcd binary (e.g. Debian's `/usr/bin/etcd`) instead of the one built at ETCD_VERSION. @default the built one */
  etcdBinary?: string;
  /** Another kube-controller-manager binary (tests: a wrapper that fails its first start). @default the built one */
  kubeControllerManagerBinary?: string;
  /** etcd without fsync: faster, a lab only. @default false */
  etcdUnsafeNoFsync?: boolean;
  /** How long to wait for `/readyz` and the controllers. @default 180000 */
  readyTimeoutMs?: number;
  /** Progress lines. @default nothing */
  log?: (line: string) => void;
}

/** A running control plane. */
export interface ControlPlane {
  /** The state directory (absolute). */
  readonly dir: string;
  /** `https://address:port`. */
  readonly server: string;
  /** The admin kubeconfig (client certificate in `system:masters`). */
  readonly kubeconfig: string;
  /** The CA certificate that signed the apiserver's certificate. */
  readonly caFile: string;
  /** The network namespace it runs in, if any. */
  readonly netns: string | undefined;
  readonly layout: ControlPlaneLayout;
  readonly binaries: Binaries;
  /** The processes, as recorded in DIR/pids.json. */
  readonly processes: readonly PidRecord[];
  /** True when `up` found this control plane already running and reused it. */
  readonly reused: boolean;
}

/** What DIR/state.json holds. */
interface State {
  layout: ControlPlaneLayout;
  netns?: string | undefined;
  server: string;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function writeJsonAtomic(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

function readRecords(dir: string): PidRecord[] {
  return readJson<PidRecord[]>(files(dir).pids) ?? [];
}

function states(records: readonly PidRecord[]): RecordedState[] {
  return records.map((r) => classifyRecorded(r, readProcess(r.pid)));
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function portIsFree(address: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, address, () => srv.close(() => res(true)));
  });
}

/** Options of {@link kubectl}. */
export interface KubectlOptions {
  /** The kubeconfig. @default DIR/admin.kubeconfig of `dir` */
  kubeconfig?: string;
  /** The control plane's DIR (for its admin kubeconfig and network namespace). */
  dir?: string;
  /** Run inside this network namespace. @default the one recorded in DIR */
  netns?: string;
  /** Written to kubectl's stdin. */
  input?: string;
  /** @default 30000 */
  timeoutMs?: number;
}

/** The result of one kubectl run. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The kubectl built from the pinned release. */
export function kubectlPath(): string {
  return binaryPaths().kubectl;
}

/** Runs the pinned kubectl (inside the control plane's netns when it has one); never throws on a non-zero exit. */
export function kubectl(args: readonly string[], o: KubectlOptions = {}): Promise<KubectlResult> {
  const state = o.dir ? readJson<State>(files(resolve(o.dir)).state) : undefined;
  const netns = o.netns ?? state?.netns;
  const kubeconfig = o.kubeconfig ?? (o.dir ? files(resolve(o.dir)).adminKubeconfig : undefined);
  if (!kubeconfig) throw new Error('kubectl(): pass dir (a kube-lab DIR) or kubeconfig');
  const argv = [kubectlPath(), `--kubeconfig=${kubeconfig}`, ...args];
  const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  return new Promise((res) => {
    const child = execFile(full[0]!, full.slice(1), { timeout: o.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      res({ code, stdout, stderr: err && !stderr ? err.message : stderr });
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
    else child.stdin?.end();
  });
}

function tail(path: string, lines = 25): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** How many times `up` starts kube-controller-manager again when it exits before the control plane is ready. */
export const MAX_START_RESTARTS = 2;

/** Starts one process detached, its output appended to DIR/logs/<name>.log, and records it. */
function startProcess(dir: string, name: Role, argv: string[], netns: string | undefined, records: PidRecord[]): PidRecord {
  const f = files(dir);
  mkdirSync(f.logs, { recursive: true });
  const fd = openSync(join(f.logs, `${name}.log`), 'a');
  const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv;
  try {
    const child = spawn(full[0]!, full.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    child.on('error', () => {}); // reported through the missing /proc entry below
    const pid = child.pid;
    const snap = pid === undefined ? undefined : readProcess(pid);
    if (pid === undefined || !snap) throw new Error(`could not start ${name} (${full[0]}); see ${join(f.logs, `${name}.log`)}`);
    const rec: PidRecord = { name, pid, startTime: snap.startTime, argv };
    records.push(rec);
    writeJsonAtomic(f.pids, records);
    return rec;
  } finally {
    closeSync(fd);
  }
}

async function stopRecords(records: readonly PidRecord[], graceMs: number, log: (l: string) => void): Promise<string[]> {
  const stopped: string[] = [];
  // Reverse start order: controllers first, etcd last.
  for (const rec of [...records].reverse()) {
    if (classifyRecorded(rec, readProcess(rec.pid)) !== 'running') continue;
    log(`stopping ${rec.name} (pid ${rec.pid})`);
    try {
      process.kill(rec.pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && classifyRecorded(rec, readProcess(rec.pid)) === 'running') await sleep(100);
    if (classifyRecorded(rec, readProcess(rec.pid)) === 'running') {
      log(`${rec.name} (pid ${rec.pid}) ignored SIGTERM for ${graceMs} ms: SIGKILL`);
      try {
        process.kill(rec.pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
      const killDeadline = Date.now() + 5000;
      while (Date.now() < killDeadline && classifyRecorded(rec, readProcess(rec.pid)) === 'running') await sleep(100);
    }
    stopped.push(rec.name);
  }
  return stopped;
}

/**
 * Waits for `probe`, failing as soon as a recorded process is no longer running — except that
 * `restart` may start a process again that has exited (see {@link MAX_START_RESTARTS}).
 */
async function waitReady(dir: string, records: PidRecord[], timeoutMs: number, what: string, probe: () => Promise<boolean>, restart?: (rec: PidRecord) => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const rec of [...records]) {
      const snap = readProcess(rec.pid);
      const st = classifyRecorded(rec, snap);
      if (st === 'running') continue;
      if ((st === 'gone' || st === 'zombie') && restart?.(rec)) continue;
      // The snapshot says why the process does not count as running (gone, zombie, or another command line).
      const seen = snap ? `state ${snap.state}, command line ${JSON.stringify(snap.cmdline.slice(0, 3))}` : 'no such process';
      throw new Error(`${rec.name} (pid ${rec.pid}) exited while waiting for ${what} (${st}: ${seen}); last lines of ${join(files(dir).logs, `${rec.name}.log`)}:\n${tail(join(files(dir).logs, `${rec.name}.log`))}`);
    }
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; logs are in ${files(dir).logs}`);
    await sleep(500);
  }
}

async function readyz(dir: string, netns: string | undefined, timeoutMs = 10_000): Promise<boolean> {
  const r = await kubectl(['get', '--raw', '/readyz'], { dir, ...(netns ? { netns } : {}), timeoutMs });
  return r.code === 0 && r.stdout.trim() === 'ok';
}

async function chooseLayout(dir: string, o: UpOptions, previous: ControlPlaneLayout | undefined): Promise<ControlPlaneLayout> {
  const address = o.address ?? '127.0.0.1';
  const serviceCidr = o.serviceCidr ?? '10.96.0.0/16';
  const etcdUnsafeNoFsync = o.etcdUnsafeNoFsync ?? false;
  const pick = async (given: number | undefined, prev: number | undefined, inNetns: number): Promise<number> => {
    if (given !== undefined) return given;
    if (o.netns) return prev ?? inNetns;
    if (prev !== undefined && (await portIsFree(address, prev))) return prev;
    return freePort(address);
  };
  const same = previous && previous.address === address ? previous : undefined;
  const ports: number[] = [];
  for (const [given, prev, def] of [
    [o.apiserverPort, same?.apiserverPort, 6443],
    [o.etcdClientPort, same?.etcdClientPort, 2379],
    [o.etcdPeerPort, same?.etcdPeerPort, 2380],
  ] as const) {
    let p = await pick(given, prev, def);
    while (ports.includes(p)) p = await freePort(address);
    ports.push(p);
  }
  const layout: ControlPlaneLayout = { dir, address, apiserverPort: ports[0]!, etcdClientPort: ports[1]!, etcdPeerPort: ports[2]!, serviceCidr, etcdUnsafeNoFsync };
  // etcd remembers its peer URL: on new etcd ports start with fresh data rather than a confused member.
  if (same && (same.etcdPeerPort !== layout.etcdPeerPort || same.etcdClientPort !== layout.etcdClientPort)) rmSync(files(dir).etcdData, { recursive: true, force: true });
  return layout;
}

function controlPlaneOf(dir: string, state: State, records: readonly PidRecord[], reused: boolean): ControlPlane {
  const f = files(dir);
  return { dir, server: state.server, kubeconfig: f.adminKubeconfig, caFile: f.caCert, netns: state.netns, layout: state.layout, binaries: binaryPaths(), processes: records, reused };
}

/**
 * Starts the control plane in `dir` (building missing binaries first) and resolves once
 * `kubectl get --raw /readyz` says `ok` and kube-controller-manager has created the `default`
 * ServiceAccount. A DIR whose recorded processes all still run and answer is reused as it is; a
 * DIR left by a crashed run has its surviving processes stopped (by recorded PID) and starts
 * anew. On failure everything this call started is stopped again.
 */
export async function up(o: UpOptions): Promise<ControlPlane> {
  const dir = resolve(o.dir);
  const log = o.log ?? (() => {});
  const f = files(dir);
  mkdirSync(dir, { recursive: true });
  const old = readRecords(dir);
  const oldState = readJson<State>(f.state);
  const plan = planExisting(old, states(old), ROLES);
  if (plan.action === 'reuse' && oldState && (await readyz(dir, oldState.netns))) {
    log(`control plane in ${dir} is already running (pids ${old.map((r) => r.pid).join(', ')}): reusing it`);
    return controlPlaneOf(dir, oldState, old, true);
  }
  if (plan.action !== 'start') {
    const survivors = plan.action === 'restart' ? plan.stop : old;
    log(`found ${survivors.length} process(es) of an earlier run in ${dir} (${survivors.map((r) => `${r.name} pid ${r.pid}`).join(', ')}): stopping them`);
    await stopRecords(survivors, 10_000, log);
  }
  rmSync(f.pids, { force: true });
  const binaries = await ensureBinaries({ log });
  const layout = await chooseLayout(dir, o, oldState?.layout);
  const server = `https://${hostPort(layout.address, layout.apiserverPort)}`;
  const state: State = { layout, netns: o.netns, server };
  writeJsonAtomic(f.state, state);
  await ensurePki(dir, { address: layout.address, serviceCidr: layout.serviceCidr });
  writeFileSync(f.adminKubeconfig, renderKubeconfig({ server, caFile: f.caCert, user: { kind: 'cert', certFile: f.adminCert, keyFile: f.adminKey }, name: 'kube-lab-admin' }), { mode: 0o600 });
  writeFileSync(f.controllerManagerKubeconfig, renderKubeconfig({ server, caFile: f.caCert, user: { kind: 'cert', certFile: f.controllerManagerCert, keyFile: f.controllerManagerKey }, name: 'kube-controller-manager' }), { mode: 0o600 });
  const records: PidRecord[] = [];
  const timeout = o.readyTimeoutMs ?? 180_000;
  try {
    log(`starting etcd on ${layout.address}:${layout.etcdClientPort}`);
    startProcess(dir, 'etcd', [o.etcdBinary ?? binaries.etcd, ...etcdArgs(layout)], o.netns, records);
    log(`starting kube-apiserver on ${server}`);
    startProcess(dir, 'kube-apiserver', [binaries.kubeApiserver, ...apiserverArgs(layout)], o.netns, records);
    await waitReady(dir, records, timeout, 'kube-apiserver /readyz', () => readyz(dir, o.netns, 5000));
    log('kube-apiserver is ready; starting kube-controller-manager');
    const kcmArgv = [o.kubeControllerManagerBinary ?? binaries.kubeControllerManager, ...controllerManagerArgs(layout)];
    startProcess(dir, 'kube-controller-manager', kcmArgv, o.netns, records);
    let restarts = 0;
    // kube-controller-manager is stateless: one that exited while starting is started again, as a
    // kubelet restarts a static pod (seen a few times under heavy load in CI, exiting before it wrote
    // a line; the error below now says what the process table showed if it happens again).
    const restartKcm = (rec: PidRecord): boolean => {
      if (rec.name !== 'kube-controller-manager' || restarts >= MAX_START_RESTARTS) return false;
      restarts++;
      const logTail = tail(join(f.logs, 'kube-controller-manager.log'), 3).trim();
      log(`kube-controller-manager (pid ${rec.pid}) exited while starting (${logTail ? `log: ${logTail.split('\n').at(-1)}` : 'nothing logged'}); starting it again (${restarts} of ${MAX_START_RESTARTS})`);
      records.splice(records.indexOf(rec), 1);
      startProcess(dir, 'kube-controller-manager', kcmArgv, o.netns, records);
      return true;
    };
    await waitReady(
      dir,
      records,
      timeout,
      'kube-controller-manager (the default ServiceAccount in namespace default)',
      async () => {
        const r = await kubectl(['get', 'serviceaccount', 'default', '-n', 'default', '-o', 'name'], { dir, ...(o.netns ? { netns: o.netns } : {}), timeoutMs: 5000 });
        return r.code === 0;
      },
      restartKcm,
    );
  } catch (err) {
    log(`start failed: stopping what was started`);
    await stopRecords(records, 5000, log);
    rmSync(f.pids, { force: true });
    throw err;
  }
  log(`control plane ready in ${dir}`);
  return controlPlaneOf(dir, state, records, false);
}

/** One process in {@link ControlPlaneStatus}. */
export interface ProcessStatus {
  readonly name: string;
  readonly pid: number;
  readonly state: RecordedState;
}

/** What {@link status} reports. */
export interface ControlPlaneStatus {
  readonly dir: string;
  readonly server: string | undefined;
  readonly processes: readonly ProcessStatus[];
  /** Every role has a running process. */
  readonly running: boolean;
  /** `/readyz` answered `ok` (only asked when running). */
  readonly ready: boolean;
}

/** The recorded processes of `dir`, their states, and whether the apiserver is ready. */
export async function status(o: { dir: string }): Promise<ControlPlaneStatus> {
  const dir = resolve(o.dir);
  const f = files(dir);
  const records = readRecords(dir);
  const st = states(records);
  const state = readJson<State>(f.state);
  const processes = records.map((r, i) => ({ name: r.name, pid: r.pid, state: st[i]! }));
  const running = ROLES.every((role) => processes.some((p) => p.name === role && p.state === 'running'));
  const ready = running && state !== undefined && (await readyz(dir, state.netns, 5000));
  return { dir, server: state?.server, processes, running, ready };
}

/** Options of {@link down}. */
export interface DownOptions {
  dir: string;
  /** How long each process gets between SIGTERM and SIGKILL. @default 10000 */
  graceMs?: number;
  /** Also delete DIR's state (etcd data, pki, kubeconfigs). @default false */
  purge?: boolean;
  log?: (line: string) => void;
}

/** Stops every recorded process of `dir` that is still the process `up` started; returns the roles it stopped. */
export async function down(o: DownOptions): Promise<string[]> {
  const dir = resolve(o.dir);
  const f = files(dir);
  const stopped = await stopRecords(readRecords(dir), o.graceMs ?? 10_000, o.log ?? (() => {}));
  rmSync(f.pids, { force: true });
  if (o.purge) for (const p of [f.etcdData, f.pki, f.logs, f.serviceAccounts, f.adminKubeconfig, f.controllerManagerKubeconfig, f.state]) rmSync(p, { recursive: true, force: true });
  return stopped;
}

/** Options of {@link serviceAccountKubeconfig}. */
export interface ServiceAccountKubeconfigOptions {
  dir: string;
  namespace: string;
  name: string;
  /** Create the namespace and ServiceAccount when missing. @default true */
  create?: boolean;
  /** Token lifetime. @default 86400 */
  expirationSeconds?: number;
}

/**
 * Writes `DIR/serviceaccounts/<namespace>.<name>.kubeconfig` with a token from the TokenRequest
 * API (`kubectl create token`) and returns its path. Whoever uses it has exactly the
 * ServiceAccount's RBAC.
 */
export async function serviceAccountKubeconfig(o: ServiceAccountKubeconfigOptions): Promise<string> {
  const dir = resolve(o.dir);
  const f = files(dir);
  const state = readJson<State>(f.state);
  if (!state) throw new Error(`${dir} holds no control plane (no state.json); run \`kube-lab up --dir ${o.dir}\` first`);
  const must = async (args: string[], input?: string) => {
    const r = await kubectl(args, { dir, ...(input !== undefined ? { input } : {}) });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
    return r.stdout;
  };
  if (o.create ?? true) {
    const manifest = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: o.name, namespace: o.namespace } },
    ];
    await must(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifest }));
  }
  const token = (await must(['create', 'token', o.name, '-n', o.namespace, `--duration=${o.expirationSeconds ?? 86400}s`])).trim();
  mkdirSync(f.serviceAccounts, { recursive: true });
  const path = join(f.serviceAccounts, `${o.namespace}.${o.name}.kubeconfig`);
  writeFileSync(path, renderKubeconfig({ server: state.server, caFile: f.caCert, user: { kind: 'token', token }, name: `${o.namespace}:${o.name}`, namespace: o.namespace }), { mode: 0o600 });
  return path;
}

/** True when `dir` has a state file (a control plane was started there at least once). */
export function hasControlPlane(dir: string): boolean {
  return existsSync(files(resolve(dir)).state);
}
