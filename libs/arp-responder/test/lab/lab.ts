/**
 * Network-namespace lab for the integration tests and the benchmark. Every namespace is named
 * `mtsarp<pid><suffix>`, holds only documentation addresses, and is deleted by `cleanup()`;
 * every process is spawned by us and killed through its own handle. Nothing touches the root
 * namespace apart from creating/deleting these namespaces.
 */
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Why the lab cannot run here (not root, a tool missing), or undefined when it can. */
export function labSkipReason(tools: readonly string[] = ['ip', 'arping', 'ndisc6', 'ping']): string | undefined {
  if (process.platform !== 'linux') return 'integration tests need Linux network namespaces';
  if (process.getuid?.() !== 0) return 'integration tests need root (network namespaces, CAP_NET_RAW); run `npx nx run arp-responder:test-int` as root';
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) return `missing tools: ${missing.join(', ')} (install tools/system-deps.txt)`;
  return undefined;
}

/** The client fixture's result line. */
export interface ClientResult {
  sent: number;
  received: number;
  rttsUs: number[];
  macs: string[];
  vids: number[];
  elapsedMs: number;
  cpu: { user: number; system: number };
}

/** One line of the responder fixture's stdout. */
export type FixtureEvent = { event: string; [k: string]: unknown };

/** A responder fixture process running in a namespace. */
export class ResponderProc {
  readonly events: FixtureEvent[] = [];
  readonly stderr: string[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      try {
        this.events.push(JSON.parse(l) as FixtureEvent);
      } catch {
        this.stderr.push(l);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => {
      for (const w of this.waiters.splice(0)) w();
      resolve(code);
    }));
  }

  /** Resolves with the first event (from `from` on) matching `pred`; rejects after `timeoutMs`. */
  async waitFor(pred: (e: FixtureEvent) => boolean, timeoutMs = 5000, from = 0): Promise<FixtureEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.slice(from).find(pred);
      if (hit) return hit;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`responder fixture: no matching event; events ${JSON.stringify(this.events)}; stderr ${this.stderr.join('')}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a command and waits for its ack (or the stats event). */
  async command(cmd: Record<string, unknown>): Promise<FixtureEvent> {
    const from = this.events.length;
    this.child.stdin.write(JSON.stringify(cmd) + '\n');
    const want = cmd['cmd'] === 'stats' ? 'stats' : 'ack';
    return this.waitFor((e) => e.event === want, 5000, from);
  }

  /** Stops the process (SIGTERM, then SIGKILL after 2 s) and waits for its exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(t);
  }
}

/** A set of namespaces and processes owned by one test file. */
export class Lab {
  readonly prefix = `mtsarp${process.pid}`;
  private readonly namespaces: string[] = [];
  private readonly procs: ResponderProc[] = [];

  /** Runs `ip ARGS` in the root namespace (only ever netns/link-creation into our namespaces). */
  ip(...args: string[]): string {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Creates namespace `<prefix><suffix>` with lo up; returns its name. */
  ns(suffix: string): string {
    const name = `${this.prefix}${suffix}`;
    this.ip('netns', 'add', name);
    this.namespaces.push(name);
    this.ip('-n', name, 'link', 'set', 'lo', 'up');
    return name;
  }

  /** Runs a command inside `ns`; returns status and output (never throws on a non-zero exit). */
  run(ns: string, argv: string[], timeoutMs = 30_000): { status: number | null; out: string } {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: timeoutMs });
    return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }

  /** Like {@link run} but throws on a non-zero exit. */
  must(ns: string, argv: string[]): string {
    const r = this.run(ns, argv);
    if (r.status !== 0) throw new Error(`ip netns exec ${ns} ${argv.join(' ')} failed (${r.status}): ${r.out}`);
    return r.out;
  }

  sysctl(ns: string, key: string, value: string | number): void {
    this.must(ns, ['sysctl', '-qw', `${key}=${value}`]);
  }

  /**
   * Plugs `ifName` of `host` into the bridge `br0` of `sw` through a veth pair, with a fixed MAC
   * and addresses (IPv6 ones without DAD).
   */
  plug(sw: string, host: string, ifName: string, mac: string, addrs: string[], port = `p${host.slice(-6)}${ifName.slice(-1)}`): void {
    this.ip('link', 'add', ifName, 'netns', host, 'type', 'veth', 'peer', 'name', port, 'netns', sw);
    this.ip('-n', sw, 'link', 'set', port, 'master', 'br0', 'up');
    this.configure(host, ifName, mac, addrs);
  }

  /** A direct veth between two namespaces. */
  wire(a: string, ifA: string, macA: string, addrsA: string[], b: string, ifB: string, macB: string, addrsB: string[]): void {
    this.ip('link', 'add', ifA, 'netns', a, 'type', 'veth', 'peer', 'name', ifB, 'netns', b);
    this.configure(a, ifA, macA, addrsA);
    this.configure(b, ifB, macB, addrsB);
  }

  configure(host: string, ifName: string, mac: string, addrs: string[]): void {
    this.sysctl(host, `net.ipv6.conf.${ifName}.accept_dad`, 0);
    this.ip('-n', host, 'link', 'set', ifName, 'address', mac);
    for (const a of addrs) this.ip('-n', host, 'addr', 'add', a, 'dev', ifName, ...(a.includes(':') ? ['nodad'] : []));
    this.ip('-n', host, 'link', 'set', ifName, 'up');
  }

  /** A switch namespace holding `br0` (MLD snooping off, so NS floods like on a plain hub). */
  switch(suffix = 's'): string {
    const sw = this.ns(suffix);
    this.ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    this.ip('-n', sw, 'link', 'set', 'br0', 'up');
    return sw;
  }

  /** Starts the bundled responder fixture in `ns`; `wrap` prefixes the command (e.g. setpriv). */
  responder(ns: string, script: string, cfg: object, wrap: string[] = []): ResponderProc {
    const child = spawn('ip', ['netns', 'exec', ns, ...wrap, process.execPath, script, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new ResponderProc(child);
    this.procs.push(p);
    return p;
  }

  /** Runs the bundled raw-socket client fixture in `ns` and returns its result line. */
  async client(ns: string, script: string, cfg: object, timeoutMs = 60_000): Promise<ClientResult> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, script, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await new Promise((resolve) => child.on('exit', resolve));
    clearTimeout(kill);
    const line = out.split('\n').find((l) => l.includes('"event":"result"'));
    if (!line) throw new Error(`client fixture gave no result: ${out} ${err}`);
    return JSON.parse(line) as ClientResult;
  }

  /** Link-layer address of `ip` in `ns`'s neighbour table, and its state. */
  neigh(ns: string, ip: string): { mac?: string; state?: string } {
    const out = this.run(ns, ['ip', 'neigh', 'show', ip]).out.trim();
    const m = /lladdr ([0-9a-f:]{17})(?: router)? (\w+)/.exec(out);
    return m ? { mac: m[1]!, state: m[2]! } : out ? { state: out.split(' ').at(-1)! } : {};
  }

  /** Kills every process we started, then deletes every namespace we created. */
  async cleanup(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
    for (const n of this.namespaces.splice(0).reverse()) spawnSync('ip', ['netns', 'del', n]);
  }
}

/** arping -c N: replies counted and the MACs they came from. */
export function arping(lab: Lab, ns: string, ifName: string, target: string, count = 3): { received: number; macs: string[]; ms: number[]; out: string } {
  const r = lab.run(ns, ['arping', '-c', String(count), '-w', String(count + 2), '-I', ifName, target]);
  const macs = [...r.out.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]\s+([\d.]+)ms/g)];
  const rec = /Received (\d+) response/.exec(r.out);
  return { received: rec ? Number(rec[1]) : 0, macs: macs.map((m) => m[1]!.toLowerCase()), ms: macs.map((m) => Number(m[2])), out: r.out };
}

/** ndisc6 once: the target link-layer address, if any. */
export function ndisc6(lab: Lab, ns: string, ifName: string, target: string): { mac?: string; out: string } {
  const r = lab.run(ns, ['ndisc6', '-1', '-r', '2', '-w', '500', target, ifName]);
  const m = /Target link-layer address: ([0-9A-Fa-f:]{17})/.exec(r.out);
  return m ? { mac: m[1]!.toLowerCase(), out: r.out } : { out: r.out };
}
