/**
 * Integration lab: spawns real BGP daemons (gobgpd, bird, FRR bgpd) on 127.0.30.x with their
 * own config in a temp dir, queries their own view, and stops them by their child handle.
 * Address plan (loopback only): daemons 127.0.30.1–.9, our speakers 127.0.30.10–.250.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { describe } from 'vitest';

export const isRoot = process.getuid?.() === 0;

/** True when `cmd` is executable on PATH (or an absolute path exists). */
export function haveTool(cmd: string): boolean {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return (process.env['PATH'] ?? '').split(':').some((d) => existsSync(join(d, cmd)));
}

/** Resolves after `ms`. Tests only. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** Runs a command, resolving stdout (rejects with stderr on failure). */
export function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Waits until something accepts TCP on address:port. */
export function waitListening(address: string, port: number, timeoutMs = 10_000): Promise<true> {
  return waitFor(`${address}:${port} listening`, () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    }), timeoutMs, 25);
}

/** Daemons still running; killed by their own handle if the test process exits early. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** A spawned daemon with its temp dir and captured log. */
export class Daemon {
  log = '';
  private exited: Promise<void>;
  constructor(
    readonly name: string,
    readonly dir: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.log += String(d)));
    child.stderr?.on('data', (d) => (this.log += String(d)));
    live.add(child);
    this.exited = new Promise((r) =>
      child.once('exit', () => {
        live.delete(child);
        r();
      }),
    );
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** SIGTERM, then SIGKILL after 3 s; resolves on the child's exit event. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(t);
  }
}

/** Waits for a daemon to be ready; if it is not, stops it, removes its dir and rethrows with its log. */
async function readyOrCleanUp(d: Daemon, ready: () => Promise<void>): Promise<void> {
  try {
    await ready();
  } catch (e) {
    await d.stop();
    removeDir(d.dir);
    throw new Error(`${d.name} did not start: ${String(e)}\n${d.log.slice(-2000)}`);
  }
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `mtsbgp-${prefix}-`));
  chmodSync(d, 0o755);
  return d;
}

export function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// gobgpd

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
}

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

export function gobgpConfig(spec: DaemonSpec): string {
  const lines = [
    '[global.config]',
    `  as = ${spec.asn}`,
    `  router-id = "${spec.routerId}"`,
    `  port = ${spec.port}`,
    `  local-address-list = ["${spec.address}"]`,
  ];
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
      `    keepalive-interval = ${n.keepalive ?? Math.max(1, Math.floor((n.holdTime ?? 90) / 3))}`,
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
export async function startGobgp(spec: DaemonSpec, dir = tempDir('gobgp')): Promise<Gobgp> {
  writeFileSync(join(dir, 'gobgpd.toml'), gobgpConfig(spec));
  const child = spawn('gobgpd', ['-f', join(dir, 'gobgpd.toml'), '--api-hosts', `unix://${join(dir, 'api.sock')}`, '--pprof-disable', '-p', '-l', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const d = new Gobgp('gobgpd', dir, child);
  await readyOrCleanUp(d, async () => {
    await waitListening(spec.address, spec.port);
    await waitFor('gobgp API', () => d.cli('global').then(() => true));
  });
  return d;
}

// ---------------------------------------------------------------------------------------------
// BIRD 2

export class Bird extends Daemon {
  get ctl(): string {
    return join(this.dir, 'bird.ctl');
  }
  cli(...args: string[]): Promise<string> {
    return run('birdc', ['-s', this.ctl, ...args]);
  }
}

export function birdConfig(spec: DaemonSpec): string {
  const out = [`router id ${spec.routerId};`, 'log stderr { warning, error, fatal, bug };', 'protocol device { }'];
  spec.neighbors.forEach((n, i) => {
    out.push(
      `protocol bgp n${i} {`,
      `  local ${spec.address} port ${spec.port} as ${n.localAs ?? spec.asn};`,
      `  neighbor ${n.address} as ${n.peerAs};`,
      '  passive on;',
      '  multihop;',
      '  strict bind yes;',
      `  hold time ${n.holdTime ?? 90};`,
      `  keepalive time ${n.keepalive ?? Math.max(1, Math.floor((n.holdTime ?? 90) / 3))};`,
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

export async function startBird(spec: DaemonSpec, dir = tempDir('bird')): Promise<Bird> {
  writeFileSync(join(dir, 'bird.conf'), birdConfig(spec));
  const child = spawn('bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const d = new Bird('bird', dir, child);
  await readyOrCleanUp(d, async () => {
    await waitListening(spec.address, spec.port);
    await waitFor('birdc', () => d.cli('show', 'status').then(() => true));
  });
  return d;
}

// ---------------------------------------------------------------------------------------------
// FRR bgpd without zebra

export class Frr extends Daemon {
  vtysh(...cmds: string[]): Promise<string> {
    return run('vtysh', ['--vty_socket', this.dir, ...cmds.flatMap((c) => ['-c', c])]);
  }
  async json<T = any>(cmd: string): Promise<T> {
    return JSON.parse(await this.vtysh(`${cmd} json`)) as T;
  }
}

export function frrConfig(spec: DaemonSpec): string {
  const out = ['frr defaults traditional', 'hostname mtsbgp', 'log stdout warnings', `router bgp ${spec.asn}`, ` bgp router-id ${spec.routerId}`, ' no bgp ebgp-requires-policy', ' no bgp network import-check'];
  for (const n of spec.neighbors) {
    out.push(` neighbor ${n.address} remote-as ${n.peerAs}`, ...(n.connectPort ? [` neighbor ${n.address} port ${n.connectPort}`, ` neighbor ${n.address} update-source ${spec.address}`, ` neighbor ${n.address} timers connect 1`] : [` neighbor ${n.address} passive`]), ` neighbor ${n.address} timers ${n.keepalive ?? Math.max(1, Math.floor((n.holdTime ?? 90) / 3))} ${n.holdTime ?? 90}`);
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

export async function startFrr(spec: DaemonSpec, dir = tempDir('frr')): Promise<Frr> {
  writeFileSync(join(dir, 'bgpd.conf'), frrConfig(spec));
  const child = spawn('/usr/lib/frr/bgpd', ['-f', join(dir, 'bgpd.conf'), '-i', join(dir, 'bgpd.pid'), '-z', join(dir, 'zserv.api'), '--vty_socket', dir, '-p', String(spec.port), '-l', spec.address, '-Z', '-S', '-P', '0', '--log', 'stdout'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const d = new Frr('frr', dir, child);
  await readyOrCleanUp(d, async () => {
    await waitListening(spec.address, spec.port);
    await waitFor('vtysh', () => d.vtysh('show bgp summary').then(() => true));
  });
  return d;
}

/**
 * `describe` when the lab is usable, otherwise a skipped suite whose title says what is
 * missing (not root, or a daemon not installed), so a skip is never silent.
 */
export function labDescribe(title: string, tools: string[]): typeof describe {
  const missing = tools.filter((t) => !haveTool(t));
  if (isRoot && missing.length === 0) return describe;
  const why = !isRoot ? 'needs root' : `needs ${missing.join(', ')} (apt: tools/system-deps.txt)`;
  return ((name: string, fn: () => void) => describe.skip(`${name} [skipped: ${why}]`, fn)) as unknown as typeof describe;
}
