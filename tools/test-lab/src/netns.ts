/**
 * Network namespaces, bridges and veths with guaranteed clean-up.
 *
 * - Every namespace is named `tl<tag>-<pid>-<suffix>` ({@link namespaceName}); links are only
 *   created inside these namespaces, never in the root namespace.
 * - Before creating a namespace the lab writes an owner record (PID and process start time) to
 *   `/run/metallb-ts-test-lab/`, so a later run can tell "owner crashed" from "PID reused".
 * - `new Lab(tag)` first reaps what crashed runs left behind: every `tl…` namespace whose owner
 *   is gone, a zombie, or a different process now ({@link reapDecision}). Processes inside a
 *   reaped namespace are SIGKILLed by their own PIDs from `ip netns pids` (deleting a namespace
 *   does not kill them), never by name.
 * - {@link Lab.cleanup} stops the lab's processes through their handles, kills any other process
 *   left in its namespaces by PID, deletes the namespaces and the owner records. A process `exit`
 *   hook does the same synchronously if a test process ends without calling it.
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkIfName, namespaceName, ownerStateFromStat, parseNamespaceName, parseNetnsList, parsePids, reapDecision, type OwnerRecord, type OwnerState, type ReapDecision } from './names.js';
import { JsonLinesProcess, spawnTracked, stopChild, type JsonLine } from './process.js';

/** Where owner records live (tmpfs, cleared on reboot like /run/netns). */
export const OWNER_DIR = '/run/metallb-ts-test-lab';

let bootMsCache: number | undefined;
function bootMs(): number {
  if (bootMsCache === undefined) {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    bootMsCache = m ? Number(m[1]) * 1000 : 0;
  }
  return bootMsCache;
}

/** What /proc says about `pid` right now. */
export function ownerState(pid: number): OwnerState {
  let stat: string | undefined;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    stat = undefined;
  }
  return ownerStateFromStat(stat, bootMs());
}

/** This process's owner record. */
function selfRecord(): OwnerRecord {
  const s = ownerState(process.pid);
  return { pid: process.pid, startedMs: s.kind === 'running' ? s.startedMs : 0, ...(s.kind === 'running' && s.startTicks !== undefined ? { startTicks: s.startTicks } : {}) };
}

function readRecord(ns: string): OwnerRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(OWNER_DIR, `${ns}.json`), 'utf8')) as OwnerRecord;
  } catch {
    return undefined;
  }
}

/** `ip ARGS` in the root namespace; throws with stderr on failure. */
function ipSync(args: readonly string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`ip ${args.join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
}

/** SIGKILLs every process in `ns` by its own PID, then deletes `ns` and its owner record. Never throws. */
export function destroyNamespace(ns: string): void {
  for (let round = 0; round < 5; round++) {
    const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    const pids = r.status === 0 ? parsePids(r.stdout) : [];
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
  spawnSync('ip', ['netns', 'del', ns]);
  rmSync(join(OWNER_DIR, `${ns}.json`), { force: true });
}

/** The names of all network namespaces on the machine. */
export function listNamespaces(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.status === 0 ? parseNetnsList(r.stdout) : [];
}

/** One reaping outcome. */
export interface Reaped {
  readonly name: string;
  readonly decision: ReapDecision;
}

/**
 * Reaps every lab namespace whose owner process is no longer running (any suite's), and the
 * owner records of namespaces that no longer exist. Returns what was reaped.
 */
export function reapStale(): Reaped[] {
  const out: Reaped[] = [];
  const names = listNamespaces();
  for (const name of names) {
    const parsed = parseNamespaceName(name);
    if (!parsed) continue;
    const decision = reapDecision(name, process.pid, ownerState(parsed.pid), readRecord(name));
    if (decision.kind === 'reap') {
      destroyNamespace(name);
      out.push({ name, decision });
    }
  }
  if (existsSync(OWNER_DIR)) {
    const present = new Set(listNamespaces());
    for (const f of readdirSync(OWNER_DIR)) {
      const ns = f.replace(/\.json$/, '');
      const p = parseNamespaceName(ns);
      if (p && !present.has(ns) && reapDecision(ns, process.pid, ownerState(p.pid), readRecord(ns)).kind === 'reap') rmSync(join(OWNER_DIR, f), { force: true });
    }
  }
  return out;
}

/** Labs of this process not yet cleaned up; the exit hook cleans them synchronously. */
const openLabs = new Set<Lab>();
let exitHook = false;

/** Options of {@link Lab}. */
export interface LabOptions {
  /** Reap namespaces left behind by crashed runs before creating any. @default true */
  reap?: boolean;
}

/**
 * A set of namespaces (and the processes started in them) owned by one test file or benchmark.
 * Tag it per suite (`new Lab('arp')`): names are `tl<tag>-<pid>-<suffix>`.
 */
export class Lab {
  readonly prefix: string;
  /** What the constructor reaped (for logs and tests). */
  readonly reaped: Reaped[];
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private portSeq = 0;

  constructor(
    readonly tag: string,
    opts: LabOptions = {},
  ) {
    this.prefix = namespaceName(tag, process.pid, 'x').slice(0, -1);
    this.reaped = opts.reap === false ? [] : reapStale();
    openLabs.add(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const lab of openLabs) lab.cleanupSync();
      });
    }
  }

  /** The full namespace name for `suffix`. */
  name(suffix: string): string {
    return namespaceName(this.tag, process.pid, suffix);
  }

  /** The namespaces created so far (oldest first). */
  get names(): readonly string[] {
    return this.namespaces;
  }

  /** Runs `ip ARGS` in the root namespace (only to manage the lab's namespaces and their links). */
  ip(...args: string[]): string {
    return ipSync(args);
  }

  /** Creates namespace `tl<tag>-<pid><suffix>` with lo up and returns its name. */
  ns(suffix: string): string {
    const name = this.name(suffix);
    mkdirSync(OWNER_DIR, { recursive: true });
    writeFileSync(join(OWNER_DIR, `${name}.json`), JSON.stringify(selfRecord()));
    this.namespaces.push(name);
    try {
      ipSync(['netns', 'add', name]);
    } catch (e) {
      this.namespaces.pop();
      rmSync(join(OWNER_DIR, `${name}.json`), { force: true });
      throw e;
    }
    ipSync(['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Runs `argv` in `ns` (never throws on a non-zero exit). */
  run(ns: string, argv: string[], timeoutMs = 30_000): { status: number | null; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }

  /** Like {@link run} but throws on a non-zero exit. */
  must(ns: string, argv: string[], timeoutMs = 30_000): string {
    const r = this.run(ns, argv, timeoutMs);
    if (r.status !== 0) throw new Error(`ip netns exec ${ns} ${argv.join(' ')} failed (${r.status}): ${r.out}`);
    return r.out;
  }

  /** `sysctl -w key=value` inside `ns`. */
  sysctl(ns: string, key: string, value: string | number): void {
    this.must(ns, ['sysctl', '-qw', `${key}=${value}`]);
  }

  /** A bridge `name` inside `ns` (MLD snooping off, so NS floods like on a hub), up, with optional addresses. */
  bridge(ns: string, name = 'br0', addrs: string[] = []): void {
    checkIfName(name);
    ipSync(['-n', ns, 'link', 'add', name, 'type', 'bridge', 'mcast_snooping', '0']);
    if (addrs.some((a) => a.includes(':'))) this.sysctl(ns, `net.ipv6.conf.${name}.accept_dad`, 0);
    for (const a of addrs) ipSync(['-n', ns, 'addr', 'add', a, 'dev', name, ...(a.includes(':') ? ['nodad'] : [])]);
    ipSync(['-n', ns, 'link', 'set', name, 'up']);
  }

  /** A switch namespace holding bridge `br0`. */
  switch(suffix = 's'): string {
    const sw = this.ns(suffix);
    this.bridge(sw);
    return sw;
  }

  /**
   * Plugs `ifName` of `host` into bridge `bridge` of namespace `sw` through a veth pair, with a
   * fixed MAC (or the kernel's when undefined) and addresses (IPv6 ones without DAD).
   */
  plug(sw: string, host: string, ifName: string, mac: string | undefined, addrs: string[], port = `p${++this.portSeq}`, bridge = 'br0'): void {
    checkIfName(ifName);
    checkIfName(port);
    ipSync(['link', 'add', ifName, 'netns', host, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
    ipSync(['-n', sw, 'link', 'set', port, 'master', bridge, 'up']);
    this.configure(host, ifName, mac, addrs);
  }

  /** A direct veth between two namespaces, each end configured like {@link plug}. */
  wire(a: string, ifA: string, macA: string | undefined, addrsA: string[], b: string, ifB: string, macB: string | undefined, addrsB: string[]): void {
    checkIfName(ifA);
    checkIfName(ifB);
    ipSync(['link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b]);
    this.configure(a, ifA, macA, addrsA);
    this.configure(b, ifB, macB, addrsB);
  }

  /** DAD off, MAC, addresses, up. */
  configure(host: string, ifName: string, mac: string | undefined, addrs: string[]): void {
    this.sysctl(host, `net.ipv6.conf.${ifName}.accept_dad`, 0);
    if (mac) ipSync(['-n', host, 'link', 'set', ifName, 'address', mac]);
    for (const a of addrs) ipSync(['-n', host, 'addr', 'add', a, 'dev', ifName, ...(a.includes(':') ? ['nodad'] : [])]);
    ipSync(['-n', host, 'link', 'set', ifName, 'up']);
  }

  /** Link-layer address of `ip` in `ns`'s neighbour table, and its state. */
  neigh(ns: string, ip: string): { mac?: string; state?: string } {
    const out = this.run(ns, ['ip', 'neigh', 'show', ip]).out.trim();
    const m = /lladdr ([0-9a-f:]{17})(?: router)? (\w+)/.exec(out);
    return m ? { mac: m[1]!, state: m[2]! } : out ? { state: out.split(' ').at(-1)! } : {};
  }

  /** Spawns `argv` inside `ns` (piped stdio); stopped by {@link cleanup} through its handle. */
  spawn(ns: string, argv: readonly string[]): ChildProcess {
    const child = spawnTracked(argv, { netns: ns });
    this.children.push(child);
    return child;
  }

  /** Spawns a JSON-lines process inside `ns`; stopped by {@link cleanup}. */
  process<L extends JsonLine = JsonLine>(ns: string, name: string, argv: readonly string[]): JsonLinesProcess<L> {
    return new JsonLinesProcess<L>(name, this.spawn(ns, argv));
  }

  /** The PIDs of every process inside `ns` (`ip netns pids`). */
  pids(ns: string): number[] {
    const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
    return r.status === 0 ? parsePids(r.stdout) : [];
  }

  /** Stops the lab's processes (SIGTERM, SIGKILL after 2 s), then deletes its namespaces. */
  async cleanup(): Promise<void> {
    await Promise.all(this.children.splice(0).map((c) => stopChild(c, 'SIGTERM', 2000)));
    this.cleanupSync();
  }

  /** Synchronous clean-up (the exit hook): SIGKILL by PID, delete namespaces and records. */
  cleanupSync(): void {
    for (const c of this.children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const n of this.namespaces.splice(0).reverse()) destroyNamespace(n);
    openLabs.delete(this);
  }
}
