/**
 * Real BGP peers from Debian — gobgpd, BIRD 2, FRR bgpd (without zebra: `-Z`) and exabgp — each
 * with its own config in a temp dir, started in the root namespace (loopback addresses) or inside
 * a lab namespace, checked for readiness (BGP port listening and the daemon's own CLI answering),
 * with its log captured and shown when it fails to start. Stopped by their own child handle.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, run, tempDir } from './exec.js';
import { isRunning, spawnTracked, stopChild } from './process.js';
import { waitFor, waitListening } from './wait.js';

/** A spawned daemon with its temp dir and captured log. */
export class Daemon {
  log = '';
  private readonly exited: Promise<void>;
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly child: ChildProcess,
    /** The namespace it runs in (undefined: the root namespace). */
    readonly netns?: string,
  ) {
    child.stdout?.on('data', (d) => (this.log += String(d)));
    child.stderr?.on('data', (d) => (this.log += String(d)));
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }
  get running(): boolean {
    return isRunning(this.child);
  }
  /** `signal` (default SIGTERM), then SIGKILL after 3 s; resolves on the child's exit event. Keeps the dir (a restart may reuse it). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopChild(this.child, signal, 3000);
    await this.exited;
  }
  /** {@link stop} and remove the temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    removeDir(this.dir);
  }
}

/** True when something listens on TCP `port` (and `host`, when given) inside `netns`. */
export function listeningIn(netns: string, port: number, host?: string): boolean {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'ss', '-Hltn', `sport = :${port}`], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return false;
  return r.stdout.split('\n').some((l) => l.trim() && (!host || l.includes(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)));
}

/** Waits until `host:port` listens, in the root namespace (connect) or inside `netns` (`ss`). */
export async function waitListeningAt(host: string, port: number, netns?: string, timeoutMs = 10_000): Promise<void> {
  if (!netns) await waitListening(host, port, timeoutMs);
  else await waitFor(`${host}:${port} listening in ${netns}`, () => listeningIn(netns, port, host), { timeoutMs, everyMs: 25 });
}

/**
 * Waits for a daemon to be ready; if it is not, stops it, removes its dir and rethrows with its
 * log (so a daemon that fails to start never stays behind).
 */
export async function readyOrCleanUp<D extends Daemon>(d: D, ready: () => Promise<void>): Promise<D> {
  try {
    // A daemon that exits (bad config, port taken) fails at once instead of at the timeout.
    let onExit: (() => void) | undefined;
    const died = new Promise<never>((_, rej) => {
      onExit = () => rej(new Error(`${d.name} exited with ${d.child.exitCode ?? d.child.signalCode}`));
      if (!d.running) onExit();
      else d.child.once('exit', onExit);
    });
    died.catch(() => undefined);
    try {
      await Promise.race([ready(), died]);
    } finally {
      if (onExit) d.child.off('exit', onExit);
    }
    return d;
  } catch (e) {
    await d.stop();
    removeDir(d.dir);
    throw new Error(`${d.name} did not start: ${String(e)}\n--- ${d.name} log ---\n${d.log.slice(-2000)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Specs

/** One neighbor of a daemon: our speaker's address and what the daemon expects from it. */
export interface NeighborSpec {
  address: string;
  /** Our ASN as the daemon should expect it. */
  peerAs: number;
  /** The daemon's own ASN toward this neighbor (default: the daemon's global ASN). */
  localAs?: number;
  password?: string;
  holdTime?: number;
  keepalive?: number;
  gracefulRestart?: boolean;
  /** The daemon connects out to the neighbor on this port (default: passive). */
  connectPort?: number;
  /** BIRD: `enable as4 off` (a 2-octet-only peer, RFC 4271 without RFC 6793). */
  noAs4?: boolean;
  /** BIRD: the protocol name. @default `n<index>` */
  name?: string;
}

/** A daemon's own settings. */
export interface DaemonSpec {
  asn: number;
  routerId: string;
  address: string;
  port: number;
  neighbors: NeighborSpec[];
  /** Daemon-specific config appended verbatim (captures use it to originate routes). */
  extraConfig?: string;
  /** BIRD: the export clause of each BGP channel. @default 'export none;' */
  birdExport?: { ipv4: string; ipv6: string };
}

/** Where and how to start a daemon. */
export interface StartOptions {
  /** Temp dir for config, sockets and logs. @default a fresh `mts-<daemon>-…` dir */
  dir?: string;
  /** Run inside this lab namespace. @default the root namespace */
  netns?: string;
}

function startOptions(dirOrOptions: string | StartOptions | undefined, kind: string): { dir: string; netns?: string } {
  const o: StartOptions = typeof dirOrOptions === 'string' ? { dir: dirOrOptions } : (dirOrOptions ?? {});
  return { dir: o.dir ?? tempDir(kind), ...(o.netns ? { netns: o.netns } : {}) };
}

const keepaliveOf = (n: NeighborSpec) => n.keepalive ?? Math.max(1, Math.floor((n.holdTime ?? 90) / 3));

// ---------------------------------------------------------------------------------------------
// gobgpd

/** gobgpd with its `gobgp` CLI on a unix socket in the temp dir. */
export class Gobgp extends Daemon {
  get target(): string {
    return `unix://${join(this.dir, 'api.sock')}`;
  }
  cli(...args: string[]): Promise<string> {
    return run('gobgp', ['--target', this.target, ...args]);
  }
  async json<T = any>(...args: string[]): Promise<T> {
    return JSON.parse(await this.cli(...args, '-j')) as T;
  }
  /** `gobgp global rib [-a ipv6] -j` as prefix → paths. */
  async rib(family: 'ipv4' | 'ipv6' = 'ipv4'): Promise<Record<string, any[]>> {
    return this.json('global', 'rib', '-a', family);
  }
  /** Neighbor state (`gobgp neighbor ADDR -j`). */
  async neighbor(addr: string): Promise<any> {
    return this.json('neighbor', addr);
  }
}

/** gobgpd's TOML config for `spec`. */
export function gobgpConfig(spec: DaemonSpec): string {
  const lines = ['[global.config]', `  as = ${spec.asn}`, `  router-id = "${spec.routerId}"`, `  port = ${spec.port}`, `  local-address-list = ["${spec.address}"]`];
  for (const n of spec.neighbors) {
    lines.push(
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${n.address}"`,
      `    peer-as = ${n.peerAs}`,
      ...(n.localAs ? [`    local-as = ${n.localAs}`] : []),
      ...(n.password ? [`    auth-password = "${n.password}"`] : []),
      '  [neighbors.transport.config]',
      `    passive-mode = ${n.connectPort ? 'false' : 'true'}`,
      `    local-address = "${spec.address}"`,
      ...(n.connectPort ? [`    remote-port = ${n.connectPort}`] : []),
      '  [neighbors.timers.config]',
      `    hold-time = ${n.holdTime ?? 90}`,
      `    keepalive-interval = ${keepaliveOf(n)}`,
      '    connect-retry = 1',
      ...(n.gracefulRestart ? ['  [neighbors.graceful-restart.config]', '    enabled = true', '    restart-time = 120'] : []),
    );
    for (const fam of ['ipv4-unicast', 'ipv6-unicast']) {
      lines.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${fam}"`);
      if (n.gracefulRestart) lines.push('    [neighbors.afi-safis.mp-graceful-restart.config]', '      enabled = true');
    }
  }
  return lines.join('\n') + '\n';
}

/** Starts gobgpd (API on a unix socket, no pprof) and waits for its BGP port and API. */
export async function startGobgp(spec: DaemonSpec, dirOrOptions?: string | StartOptions): Promise<Gobgp> {
  const { dir, netns } = startOptions(dirOrOptions, 'gobgp');
  writeFileSync(join(dir, 'gobgpd.toml'), gobgpConfig(spec));
  const child = spawnTracked(['gobgpd', '-f', join(dir, 'gobgpd.toml'), '--api-hosts', `unix://${join(dir, 'api.sock')}`, '--pprof-disable', '-p', '-l', 'info'], { netns, stdio: ['ignore', 'pipe', 'pipe'] });
  const d = new Gobgp('gobgpd', dir, child, netns);
  return readyOrCleanUp(d, async () => {
    await waitListeningAt(spec.address, spec.port, netns);
    await waitFor('gobgp API', () => d.cli('global').then(() => true));
  });
}

// ---------------------------------------------------------------------------------------------
// BIRD 2

/** BIRD 2 with `birdc` on a control socket in the temp dir. */
export class Bird extends Daemon {
  get ctl(): string {
    return join(this.dir, 'bird.ctl');
  }
  cli(...args: string[]): Promise<string> {
    return run('birdc', ['-s', this.ctl, ...args]);
  }
}

/** BIRD's config for `spec`: one passive multihop BGP protocol per neighbor. */
export function birdConfig(spec: DaemonSpec): string {
  const out = [`router id ${spec.routerId};`, 'log stderr { warning, error, fatal, bug };', 'protocol device { }'];
  spec.neighbors.forEach((n, i) => {
    out.push(
      `protocol bgp ${n.name ?? `n${i}`} {`,
      `  local ${spec.address} port ${spec.port} as ${n.localAs ?? spec.asn};`,
      `  neighbor ${n.address} as ${n.peerAs};`,
      '  passive on;',
      '  multihop;',
      '  strict bind yes;',
      `  hold time ${n.holdTime ?? 90};`,
      `  keepalive time ${keepaliveOf(n)};`,
      ...(n.password ? [`  password "${n.password}";`] : []),
      `  graceful restart ${n.gracefulRestart ? 'on' : 'off'};`,
      ...(n.noAs4 ? ['  enable as4 off;'] : []),
      `  ipv4 { import all; ${spec.birdExport?.ipv4 ?? 'export none;'} };`,
      `  ipv6 { import all; ${spec.birdExport?.ipv6 ?? 'export none;'} };`,
      '}',
    );
  });
  if (spec.extraConfig) out.push(spec.extraConfig);
  return out.join('\n') + '\n';
}

/** Starts BIRD in the foreground and waits for its BGP port and `birdc`. */
export async function startBird(spec: DaemonSpec, dirOrOptions?: string | StartOptions): Promise<Bird> {
  const { dir, netns } = startOptions(dirOrOptions, 'bird');
  writeFileSync(join(dir, 'bird.conf'), birdConfig(spec));
  const child = spawnTracked(['bird', '-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { netns, stdio: ['ignore', 'pipe', 'pipe'] });
  const d = new Bird('bird', dir, child, netns);
  return readyOrCleanUp(d, async () => {
    await waitListeningAt(spec.address, spec.port, netns);
    await waitFor('birdc', () => d.cli('show', 'status').then(() => true));
  });
}

// ---------------------------------------------------------------------------------------------
// FRR bgpd without zebra

/** FRR bgpd (`-Z`: no zebra) with `vtysh` on its own vty socket dir. */
export class Frr extends Daemon {
  vtysh(...cmds: string[]): Promise<string> {
    return run('vtysh', ['--vty_socket', this.dir, ...cmds.flatMap((c) => ['-c', c])]);
  }
  async json<T = any>(cmd: string): Promise<T> {
    return JSON.parse(await this.vtysh(`${cmd} json`)) as T;
  }
}

/** FRR's bgpd config for `spec`. */
export function frrConfig(spec: DaemonSpec): string {
  const out = ['frr defaults traditional', 'hostname mtsbgp', 'log stdout warnings', `router bgp ${spec.asn}`, ` bgp router-id ${spec.routerId}`, ' no bgp ebgp-requires-policy', ' no bgp network import-check'];
  for (const n of spec.neighbors) {
    out.push(
      ` neighbor ${n.address} remote-as ${n.peerAs}`,
      ...(n.connectPort ? [` neighbor ${n.address} port ${n.connectPort}`, ` neighbor ${n.address} update-source ${spec.address}`, ` neighbor ${n.address} timers connect 1`] : [` neighbor ${n.address} passive`]),
      ` neighbor ${n.address} timers ${keepaliveOf(n)} ${n.holdTime ?? 90}`,
    );
    if (n.localAs) out.push(` neighbor ${n.address} local-as ${n.localAs} no-prepend replace-as`);
    if (n.password) out.push(` neighbor ${n.address} password ${n.password}`);
    // FRR is a graceful-restart helper by default; nothing to configure for n.gracefulRestart.
  }
  out.push(' address-family ipv6 unicast');
  for (const n of spec.neighbors) out.push(`  neighbor ${n.address} activate`);
  out.push(' exit-address-family');
  if (spec.extraConfig) out.push(spec.extraConfig);
  return out.join('\n') + '\n';
}

/** Starts FRR bgpd (no zebra, no kernel routes) and waits for its BGP port and vtysh. */
export async function startFrr(spec: DaemonSpec, dirOrOptions?: string | StartOptions): Promise<Frr> {
  const { dir, netns } = startOptions(dirOrOptions, 'frr');
  writeFileSync(join(dir, 'bgpd.conf'), frrConfig(spec));
  const argv = ['/usr/lib/frr/bgpd', '-f', join(dir, 'bgpd.conf'), '-i', join(dir, 'bgpd.pid'), '-z', join(dir, 'zserv.api'), '--vty_socket', dir, '-p', String(spec.port), '-l', spec.address, '-Z', '-S', '-P', '0', '--log', 'stdout'];
  const child = spawnTracked(argv, { netns, stdio: ['ignore', 'pipe', 'pipe'] });
  const d = new Frr('frr', dir, child, netns);
  return readyOrCleanUp(d, async () => {
    await waitListeningAt(spec.address, spec.port, netns);
    await waitFor('vtysh', () => d.vtysh('show bgp summary').then(() => true));
  });
}

// ---------------------------------------------------------------------------------------------
// exabgp

/** One JSON message exabgp's API process recorded (`update`, `state`, …). */
export interface ExabgpMessage {
  readonly type: string;
  readonly neighbor?: any;
  readonly [k: string]: unknown;
}

/**
 * exabgp as a recording peer: every message its API sees (updates parsed as JSON, neighbor state
 * changes) is appended to `received.jsonl` in the temp dir and read back with {@link messages}.
 */
export class Exabgp extends Daemon {
  get receivedFile(): string {
    return join(this.dir, 'received.jsonl');
  }
  /** Every JSON message recorded so far. */
  messages(): ExabgpMessage[] {
    if (!existsSync(this.receivedFile)) return [];
    return readFileSync(this.receivedFile, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as ExabgpMessage];
        } catch {
          return [];
        }
      });
  }
  /** The neighbor state changes recorded (`connected`, `up`, `down`). */
  states(): string[] {
    return this.messages()
      .filter((m) => m.type === 'state')
      .map((m) => String(m.neighbor?.state));
  }
  /** Prefixes announced to it so far (per `afi safi` family, e.g. `ipv4 unicast`), minus withdrawn ones. */
  routes(family = 'ipv4 unicast'): string[] {
    const have = new Set<string>();
    for (const m of this.messages()) {
      const u = m.neighbor?.message?.update;
      if (!u) continue;
      for (const byHop of Object.values<any>(u.announce?.[family] ?? {})) for (const r of byHop as Array<{ nlri: string }>) have.add(r.nlri);
      for (const r of (u.withdraw?.[family] ?? []) as Array<{ nlri: string }>) have.delete(r.nlri);
    }
    return [...have].sort();
  }
}

/** Extra exabgp settings. */
export interface ExabgpSpec extends DaemonSpec {
  /** Static routes per neighbor, in exabgp syntax (`203.0.113.10/32 next-hop 198.51.100.15`). */
  routes?: string[];
  /** Listen for incoming sessions on address:port. @default true when some neighbor is passive */
  listen?: boolean;
}

/** exabgp's config for `spec` (API process `dump` recording into the temp dir). */
export function exabgpConfig(spec: ExabgpSpec, dumpScript: string): string {
  const out = [`process dump {`, `  run ${dumpScript};`, '  encoder json;', '}'];
  for (const n of spec.neighbors) {
    out.push(
      `neighbor ${n.address} {`,
      `  router-id ${spec.routerId};`,
      `  local-address ${spec.address};`,
      `  local-as ${n.localAs ?? spec.asn};`,
      `  peer-as ${n.peerAs};`,
      `  hold-time ${n.holdTime ?? 90};`,
      ...(n.connectPort ? [`  connect ${n.connectPort};`] : ['  passive;']),
      ...(n.password ? [`  md5-password ${n.password};`] : []),
      '  family { ipv4 unicast; ipv6 unicast; }',
      '  api { processes [ dump ]; receive { parsed; update; } neighbor-changes; }',
      ...(spec.routes?.length ? ['  static {', ...spec.routes.map((r) => `    route ${r};`), '  }'] : []),
      '}',
    );
  }
  if (spec.extraConfig) out.push(spec.extraConfig);
  return out.join('\n') + '\n';
}

/**
 * Starts exabgp (as root, without dropping privileges, no named-pipe CLI). It listens on
 * `address:port` when some neighbor is passive; readiness is the port listening, or for a purely
 * active exabgp its log showing the configuration loaded.
 */
export async function startExabgp(spec: ExabgpSpec, dirOrOptions?: string | StartOptions): Promise<Exabgp> {
  const { dir, netns } = startOptions(dirOrOptions, 'exabgp');
  const dump = join(dir, 'dump.sh');
  // The API process must keep its stdout open (exabgp restarts a helper that closes it).
  writeFileSync(dump, `#!/bin/sh\nwhile IFS= read -r line; do printf '%s\\n' "$line" >> '${join(dir, 'received.jsonl')}'; done\n`);
  chmodSync(dump, 0o755);
  writeFileSync(join(dir, 'exabgp.conf'), exabgpConfig(spec, dump));
  const listen = spec.listen ?? spec.neighbors.some((n) => !n.connectPort);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    'exabgp.daemon.user': 'root',
    'exabgp.daemon.drop': 'false',
    'exabgp.api.cli': 'false',
    'exabgp.log.destination': 'stdout',
    'exabgp.log.level': 'INFO',
    ...(listen ? { 'exabgp.tcp.bind': spec.address, 'exabgp.tcp.port': String(spec.port) } : {}),
  };
  const child = spawnTracked(['exabgp', join(dir, 'exabgp.conf')], { netns, env, stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  const d = new Exabgp('exabgp', dir, child, netns);
  return readyOrCleanUp(d, async () => {
    if (listen) await waitListeningAt(spec.address, spec.port, netns, 15_000);
    else await waitFor('exabgp loaded its configuration', () => /loaded new configuration|Performing reload|welcome/i.test(d.log) || undefined, { timeoutMs: 15_000, everyMs: 50 });
  });
}
