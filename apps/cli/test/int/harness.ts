/**
 * Integration harness: drives the BUILT CLI (`dist/apps/cli/main.mjs`, built by the `build`
 * target that `test-int` depends on) as a user would, plus the real peers it talks to.
 * Address plan (loopback only): daemons 127.0.40.1–.9, CLI speakers/agents 127.0.40.10–.250;
 * network namespaces `mtscli<pid>…`. Everything started is stopped by its own handle.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const REPO = join(here, '../../../..');
/** The built CLI bundle. */
export const CLI = join(REPO, 'dist/apps/cli/main.mjs');
/** Integration tests that need namespaces or raw sockets run only as root. */
export const isRoot = process.getuid?.() === 0;

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True when `cmd` is on PATH (or an absolute path that exists). */
export function haveTool(cmd: string): boolean {
  if (cmd.startsWith('/')) return existsSync(cmd);
  return (process.env['PATH'] ?? '').split(':').some((d) => existsSync(join(d, cmd)));
}

/**
 * `describe` when root and the tools are there, otherwise a skipped suite whose title says why.
 * When root, a missing built CLI is a failure (test-int depends on build), not a skip.
 */
export function labDescribe(title: string, tools: string[]): typeof describe {
  const missing = tools.filter((t) => !haveTool(t));
  if (isRoot && missing.length === 0) return describe;
  const why = !isRoot ? 'needs root' : `needs ${missing.join(', ')} (apt: tools/system-deps.txt)`;
  return ((name: string, fn: () => void) => describe.skip(`${name} [skipped: ${why}]`, fn)) as unknown as typeof describe;
}

/** Polls `fn` until truthy or `timeoutMs` passes (then throws, naming `what`). */
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

/** A random port in [20000, 60000) (collisions with other engineers are unlikely on 127.0.40.x). */
export const randomPort = () => 20000 + Math.floor(Math.random() * 40000);

/** Runs the CLI to completion (for short commands and bad arguments). */
export function cliSync(args: string[], opts: { netns?: string; timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** One JSON event line of the CLI. */
export interface CliEvent {
  ts: string;
  event: string;
  [k: string]: unknown;
}

/** A running long-lived CLI process with its parsed stdout events. */
export class CliProc {
  readonly events: CliEvent[] = [];
  readonly badLines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(args: string[], opts: { netns?: string; spawn?: () => ChildProcess } = {}) {
    const argv = opts.netns ? ['ip', 'netns', 'exec', opts.netns, process.execPath, CLI, ...args] : [process.execPath, CLI, ...args];
    this.child = opts.spawn ? opts.spawn() : spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.events.push(JSON.parse(line) as CliEvent);
        } catch {
          this.badLines.push(line);
        }
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Writes one line to the CLI's stdin. */
  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Waits for an event matching `pred` (already seen ones count). */
  waitEvent(what: string, pred: (e: CliEvent) => boolean, timeoutMs = 15_000): Promise<CliEvent> {
    return waitFor(`${what}; events so far: ${JSON.stringify(this.events.slice(-8))}; stderr: ${this.stderr.slice(-600)}`, () => {
      if (!this.running && !this.events.some(pred)) throw new Error(`CLI exited (${this.child.exitCode}): ${this.stderr}`);
      return this.events.find(pred);
    }, timeoutMs, 25);
  }

  /** Sends `sig` and resolves the exit code; SIGKILL after `graceMs`. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', graceMs = 8000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill(sig);
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

/** Runs a command, resolving stdout (rejects with stderr on failure). */
export function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
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

/** A fresh world-readable temp dir `mtscli-<prefix>-…` (daemons may drop privileges). */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `mtscli-${prefix}-`));
  chmodSync(d, 0o755);
  return d;
}

/** A spawned daemon with its temp dir and captured log; stopped by its own child handle. */
export class Daemon {
  log = '';
  private readonly done: Promise<void>;
  constructor(
    readonly dir: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (d) => (this.log += String(d)));
    child.stderr?.on('data', (d) => (this.log += String(d)));
    this.done = new Promise((r) => child.once('exit', () => r()));
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await this.done;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** gobgpd listening on address:port, one passive neighbor (our CLI) with both unicast families. */
export class Gobgp extends Daemon {
  static async start(o: { address: string; port: number; asn: number; neighbor: string; neighborAs: number; password?: string }): Promise<Gobgp> {
    const dir = tempDir('gobgp');
    const conf = [
      '[global.config]',
      `  as = ${o.asn}`,
      `  router-id = "${o.address}"`,
      `  port = ${o.port}`,
      `  local-address-list = ["${o.address}"]`,
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${o.neighbor}"`,
      `    peer-as = ${o.neighborAs}`,
      ...(o.password ? [`    auth-password = "${o.password}"`] : []),
      '  [neighbors.transport.config]',
      '    passive-mode = true',
      `    local-address = "${o.address}"`,
      '  [neighbors.timers.config]',
      '    hold-time = 9',
      '    keepalive-interval = 3',
      '    connect-retry = 1',
      ...['ipv4-unicast', 'ipv6-unicast'].flatMap((f) => ['  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${f}"`]),
    ].join('\n');
    writeFileSync(join(dir, 'gobgpd.toml'), conf + '\n');
    const child = spawn('gobgpd', ['-f', join(dir, 'gobgpd.toml'), '--api-hosts', `unix://${join(dir, 'api.sock')}`, '--pprof-disable', '-p', '-l', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const d = new Gobgp(dir, child);
    await waitListening(o.address, o.port);
    await waitFor('gobgp API', () => d.cli('global').then(() => true));
    return d;
  }
  cli(...args: string[]): Promise<string> {
    return run('gobgp', ['--target', `unix://${join(this.dir, 'api.sock')}`, ...args]);
  }
  async json<T = any>(...args: string[]): Promise<T> {
    return JSON.parse(await this.cli(...args, '-j')) as T;
  }
  /** `gobgp global rib -a FAMILY -j`: prefix → paths. */
  rib(family: 'ipv4' | 'ipv6'): Promise<Record<string, any[]>> {
    return this.json('global', 'rib', '-a', family);
  }
}

/** BIRD 2 listening on address:port, one passive neighbor (our CLI). */
export class Bird extends Daemon {
  static async start(o: { address: string; port: number; asn: number; neighbor: string; neighborAs: number }): Promise<Bird> {
    const dir = tempDir('bird');
    const conf = [
      `router id ${o.address};`,
      'log stderr { warning, error, fatal, bug };',
      'protocol device { }',
      'protocol bgp cli {',
      `  local ${o.address} port ${o.port} as ${o.asn};`,
      `  neighbor ${o.neighbor} as ${o.neighborAs};`,
      '  passive on;',
      '  multihop;',
      '  strict bind yes;',
      '  hold time 9;',
      '  keepalive time 3;',
      '  ipv4 { import all; export none; };',
      '  ipv6 { import all; export none; };',
      '}',
    ].join('\n');
    writeFileSync(join(dir, 'bird.conf'), conf + '\n');
    const child = spawn('bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const d = new Bird(dir, child);
    await waitListening(o.address, o.port);
    await waitFor('birdc', () => d.cli('show', 'status').then(() => true));
    return d;
  }
  cli(...args: string[]): Promise<string> {
    return run('birdc', ['-s', join(this.dir, 'bird.ctl'), ...args]);
  }
}

/** Network namespaces `mtscli<pid><suffix>`, deleted by {@link Netns.cleanup}. */
export class Netns {
  readonly prefix = `mtscli${process.pid}`;
  private readonly names: string[] = [];

  /** `ip ARGS` in the root namespace (only namespace and veth management). */
  ip(...args: string[]): string {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
  /** Creates `mtscli<pid><suffix>` with lo up. */
  add(suffix: string): string {
    const name = `${this.prefix}${suffix}`;
    this.ip('netns', 'add', name);
    this.names.push(name);
    this.ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }
  /** Runs `argv` in `ns` (never throws on a non-zero exit). */
  run(ns: string, argv: string[], timeoutMs = 30_000): { status: number | null; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }
  /** A veth pair between `a` and `b`, fixed MACs, addresses (IPv6 without DAD), up. */
  wire(a: string, ifA: string, macA: string, addrsA: string[], b: string, ifB: string, macB: string, addrsB: string[]): void {
    this.ip('link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b);
    for (const [ns, ifName, mac, addrs] of [[a, ifA, macA, addrsA], [b, ifB, macB, addrsB]] as const) {
      this.run(ns, ['sysctl', '-qw', `net.ipv6.conf.${ifName}.accept_dad=0`]);
      this.ip('-n', ns, 'link', 'set', ifName, 'address', mac);
      for (const ad of addrs) this.ip('-n', ns, 'addr', 'add', ad, 'dev', ifName, ...(ad.includes(':') ? ['nodad'] : []));
      this.ip('-n', ns, 'link', 'set', ifName, 'up');
    }
  }
  /** Deletes every namespace created here. */
  cleanup(): void {
    for (const n of this.names.splice(0).reverse()) spawnSync('ip', ['netns', 'del', n]);
  }
}
