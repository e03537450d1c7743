import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import type { PresetName, Tunables } from '../config.js';
import { createMemberlist, type Memberlist } from '../memberlist.js';
import type { Delegate, MemberEvent } from '../types.js';
import { MemoryNetwork } from './memory-network.js';

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** Number of nodes. */
  readonly size: number;
  /** @default 'lan' */
  readonly preset?: PresetName;
  readonly tunables?: Partial<Tunables>;
  /** Seed of every random choice (network and nodes). @default 1 */
  readonly seed?: number;
  /** Datagram loss probability. @default 0 */
  readonly loss?: number;
  /** One-way delay range in ms. @default [0, 2] */
  readonly delayMs?: readonly [number, number];
  /** Shared AES key(s) for every node. */
  readonly keys?: readonly Uint8Array[];
  /** Cluster label of every node, or per node. @default '' */
  readonly label?: string | ((index: number) => string);
  /** Hostname resolver for `join` (simulations never touch DNS). @default none: names fail */
  readonly hosts?: Readonly<Record<string, readonly string[]>>;
  /** Per-node delegate (user messages, user state). */
  readonly delegate?: (index: number) => Delegate;
}

/** One recorded event with the observer's name. */
export interface ObservedEvent extends MemberEvent {
  readonly observer: string;
}

/**
 * A many-node cluster on a {@link MemoryNetwork} with a `ManualClock`: deterministic for a seed,
 * and fast (simulated minutes in a fraction of a second). Node `i` is named `n<i>` at
 * `10.0.<i/250>.<i%250+1>:7946`.
 */
export class Simulation {
  readonly clock = new ManualClock();
  readonly rng: SeededRng;
  readonly net: MemoryNetwork;
  readonly nodes: (Memberlist | undefined)[] = [];
  readonly events: ObservedEvent[] = [];

  constructor(readonly opts: SimulationOptions) {
    this.rng = new SeededRng(opts.seed ?? 1);
    this.net = new MemoryNetwork({ clock: this.clock, rng: this.rng.fork(), loss: 0, delayMs: opts.delayMs ?? [0, 2] });
    for (let i = 0; i < opts.size; i++) this.nodes.push(this.spawn(i));
  }

  /** The IP of node `i`. */
  ip(i: number): string {
    return `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  }

  /** Node `i` (throws when it is down). */
  node(i: number): Memberlist {
    const n = this.nodes[i];
    if (!n) throw new Error(`node ${i} is down`);
    return n;
  }

  private spawn(i: number): Memberlist {
    const name = `n${i}`;
    const ml = createMemberlist({
      name,
      transport: this.net.transport(this.ip(i)),
      clock: this.clock,
      rng: this.rng.fork(),
      preset: this.opts.preset ?? 'lan',
      ...(this.opts.tunables ? { tunables: this.opts.tunables } : {}),
      ...(this.opts.keys ? { keys: this.opts.keys } : {}),
      ...(this.opts.delegate ? { delegate: this.opts.delegate(i) } : {}),
      resolve: async (host: string) => {
        const ips = this.opts.hosts?.[host];
        if (!ips) throw new Error(`no such host in the simulation: ${host}`);
        return [...ips];
      },
      ...(this.opts.label !== undefined ? { label: typeof this.opts.label === 'string' ? this.opts.label : this.opts.label(i) } : {}),
    });
    ml.onEvent((e) => this.events.push({ ...e, observer: name }));
    return ml;
  }

  /** Joins every node to node 0 (one after the other) and applies the configured loss. */
  async joinAll(): Promise<void> {
    for (let i = 1; i < this.nodes.length; i++) {
      const p = this.node(i).join([`${this.ip(0)}:7946`]);
      await this.runFor(20);
      await p;
    }
    this.net.loss = this.opts.loss ?? 0;
  }

  /** Advances simulated time by `ms` in steps, letting promise chains run between steps. */
  async runFor(ms: number, stepMs = 5): Promise<void> {
    const end = this.clock.monotonic() + ms;
    while (this.clock.monotonic() < end) {
      this.clock.advance(Math.min(stepMs, end - this.clock.monotonic()));
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** Crashes node `i` (no leave), like `kill -9`. */
  async kill(i: number): Promise<void> {
    await this.node(i).shutdown();
    this.nodes[i] = undefined;
  }

  /** Gracefully leaves and shuts down node `i`. */
  async leave(i: number, timeoutMs = 1000): Promise<void> {
    const n = this.node(i);
    const p = n.leave(timeoutMs);
    await this.runFor(timeoutMs + 10);
    await p;
    await n.shutdown();
    this.nodes[i] = undefined;
  }

  /** Restarts node `i` with the same name and address (fresh state, incarnation 1) and joins node `via`. */
  async restart(i: number, via = 0): Promise<void> {
    if (this.nodes[i]) await this.kill(i);
    this.nodes[i] = this.spawn(i);
    const p = this.node(i).join([`${this.ip(via)}:7946`]);
    await this.runFor(20);
    await p;
  }

  /** Indices of the running nodes. */
  live(): number[] {
    return this.nodes.flatMap((n, i) => (n ? [i] : []));
  }

  /** True when every running node's member list is exactly the set of running nodes. */
  converged(): boolean {
    const want = this.live()
      .map((i) => `n${i}`)
      .sort()
      .join(',');
    return this.live().every((i) =>
      this.node(i)
        .members()
        .map((m) => m.name)
        .sort()
        .join(',') === want,
    );
  }
}
