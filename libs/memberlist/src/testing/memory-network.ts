import type { Clock, Rng } from '@metallb-ts/clock';
import type { PeerAddress, StreamConn, Transport } from '../transport.js';

/** Per-node traffic counters of the in-memory network. */
export interface TrafficCounters {
  packetsSent: number;
  packetsReceived: number;
  packetsDropped: number;
  bytesSent: number;
  bytesReceived: number;
  streams: number;
}

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  readonly clock: Clock;
  readonly rng: Rng;
  /** Probability that a datagram is lost. @default 0 */
  readonly loss?: number;
  /** One-way delay range in ms for datagrams and stream data. @default [0, 0] */
  readonly delayMs?: readonly [number, number];
}

const key = (a: PeerAddress) => `${a.ip}:${a.port}`;

/**
 * A simulated network for many-node tests: datagrams can be dropped (`loss`), delayed
 * (`delayMs`) and blocked between partitions; streams are reliable but refuse to connect across
 * a partition or to a dead node. Time is the injected clock (use `ManualClock`).
 */
export class MemoryNetwork {
  private readonly nodes = new Map<string, MemoryTransport>();
  private readonly group = new Map<string, number>();
  private readonly blocked = new Map<string, 'packets' | 'all'>();
  private readonly refusing = new Set<string>();
  /** Probability of losing a datagram. */
  loss: number;
  /** One-way delay range. */
  delayMs: readonly [number, number];

  constructor(readonly opts: MemoryNetworkOptions) {
    this.loss = opts.loss ?? 0;
    this.delayMs = opts.delayMs ?? [0, 0];
  }

  /** A transport bound at `ip:port`. Rebinding a closed address is allowed (restart). */
  transport(ip: string, port = 7946): MemoryTransport {
    const a = { ip, port };
    const cur = this.nodes.get(key(a));
    if (cur && !cur.closed) throw new Error(`address ${key(a)} is in use`);
    const t = new MemoryTransport(this, a);
    this.nodes.set(key(a), t);
    return t;
  }

  /** Splits the network: nodes (by IP) in different groups cannot reach each other. */
  partition(...groups: ReadonlyArray<readonly string[]>): void {
    this.group.clear();
    groups.forEach((g, i) => g.forEach((ip) => this.group.set(ip, i + 1)));
  }

  /** Removes every partition, block and stream refusal. */
  heal(): void {
    this.group.clear();
    this.blocked.clear();
    this.refusing.clear();
  }

  /**
   * Blocks traffic between two IPs in both directions: datagrams only (`'packets'`, so the TCP
   * fallback ping still works) or everything (`'all'`).
   */
  block(ipA: string, ipB: string, what: 'packets' | 'all' = 'all'): void {
    this.blocked.set([ipA, ipB].sort().join('|'), what);
  }

  /**
   * Makes the host at `ip` refuse every stream dialled to it (or stop refusing), as a firewall
   * rejecting TCP with a reset would, while its datagrams still flow.
   */
  refuseStreams(ip: string, refuse = true): void {
    if (refuse) this.refusing.add(ip);
    else this.refusing.delete(ip);
  }

  /** Removes a {@link block}. */
  unblock(ipA: string, ipB: string): void {
    this.blocked.delete([ipA, ipB].sort().join('|'));
  }

  /** Whether `a` can reach `b` right now (`packet`: for a datagram rather than a stream). */
  reachable(a: PeerAddress, b: PeerAddress, packet = false): boolean {
    if ((this.group.get(a.ip) ?? 0) !== (this.group.get(b.ip) ?? 0)) return false;
    const bl = this.blocked.get([a.ip, b.ip].sort().join('|'));
    return bl === undefined || (bl === 'packets' && !packet);
  }

  /** Counters of the node at `ip:port`. */
  counters(ip: string, port = 7946): TrafficCounters | undefined {
    return this.nodes.get(key({ ip, port }))?.counters;
  }

  private delay(): number {
    const [lo, hi] = this.delayMs;
    return lo + (hi - lo) * this.opts.rng.next();
  }

  /** @internal */
  deliverPacket(from: MemoryTransport, to: PeerAddress, data: Uint8Array): void {
    from.counters.packetsSent++;
    from.counters.bytesSent += data.length;
    if (!this.reachable(from.localAddress, to, true) || (this.loss > 0 && this.opts.rng.next() < this.loss)) {
      from.counters.packetsDropped++;
      return;
    }
    const copy = data.slice();
    this.opts.clock.setTimer(this.delay(), () => {
      const dst = this.nodes.get(key(to));
      if (!dst || dst.closed || !this.reachable(from.localAddress, to, true)) return;
      dst.counters.packetsReceived++;
      dst.counters.bytesReceived += copy.length;
      dst.packetHandler?.(copy, from.localAddress);
    });
  }

  /** @internal */
  dial(from: MemoryTransport, to: PeerAddress, timeoutMs: number): Promise<StreamConn> {
    return new Promise((resolve, reject) => {
      const dst = this.nodes.get(key(to));
      if (!this.reachable(from.localAddress, to)) {
        // A partition looks like a silent network: the dial runs into its timeout.
        this.opts.clock.setTimer(timeoutMs, () => reject(new Error(`dial ${key(to)}: i/o timeout`)));
        return;
      }
      this.opts.clock.setTimer(this.delay(), () => {
        if (!dst || dst.closed || !dst.streamHandler || this.refusing.has(to.ip)) return reject(Object.assign(new Error(`dial ${key(to)}: connection refused`), { code: 'ECONNREFUSED' }));
        const a = new MemoryConn(this, to, from);
        const b = new MemoryConn(this, from.localAddress, dst);
        a.peer = b;
        b.peer = a;
        from.counters.streams++;
        dst.streamHandler(b);
        resolve(a);
      });
    });
  }
}

/** @internal One end of an in-memory stream. */
class MemoryConn implements StreamConn {
  peer!: MemoryConn;
  private readonly inbox: (Uint8Array | null)[] = [];
  private waiter: ((v: Uint8Array | null) => void) | undefined;
  private closed = false;
  private eofSent = false;

  constructor(
    private readonly net: MemoryNetwork,
    readonly remote: PeerAddress,
    private readonly owner: MemoryTransport,
  ) {}

  write(data: Uint8Array): void {
    if (this.closed || this.owner.closed) return;
    this.owner.counters.bytesSent += data.length;
    const copy = data.slice();
    const peer = this.peer;
    this.net.opts.clock.setTimer(0, () => {
      peer.owner.counters.bytesReceived += copy.length;
      peer.push(copy);
    });
  }

  /** @internal */
  push(v: Uint8Array | null): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(v);
    } else this.inbox.push(v);
  }

  read(): Promise<Uint8Array | null> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift()!);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w(null);
    }
    if (!this.eofSent) {
      this.eofSent = true;
      const peer = this.peer;
      // After any data written before: same timer queue, later sequence.
      this.net.opts.clock.setTimer(0, () => peer.push(null));
    }
  }
}

/** A {@link Transport} on a {@link MemoryNetwork}. */
export class MemoryTransport implements Transport {
  /** @internal */ packetHandler: ((d: Uint8Array, from: PeerAddress) => void) | undefined;
  /** @internal */ streamHandler: ((c: StreamConn) => void) | undefined;
  /** True after `close()` (or a simulated crash). */
  closed = false;
  readonly counters: TrafficCounters = { packetsSent: 0, packetsReceived: 0, packetsDropped: 0, bytesSent: 0, bytesReceived: 0, streams: 0 };

  constructor(
    private readonly net: MemoryNetwork,
    readonly localAddress: PeerAddress,
  ) {}

  sendPacket(to: PeerAddress, data: Uint8Array): void {
    if (!this.closed) this.net.deliverPacket(this, to, data);
  }

  onPacket(fn: (data: Uint8Array, from: PeerAddress) => void): void {
    this.packetHandler = fn;
  }

  dial(to: PeerAddress, timeoutMs: number): Promise<StreamConn> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    return this.net.dial(this, to, timeoutMs);
  }

  onStream(fn: (conn: StreamConn) => void): void {
    this.streamHandler = fn;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
