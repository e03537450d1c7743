/**
 * The memberlist driver: a SWIM + Lifeguard node that turns packets, timers and the stream
 * layer (`stream.ts`) into inputs of the pure state machine ({@link NodeTable}) and performs its
 * effects — probing, gossip, packet handling, join and leave. Public types live in `types.ts`,
 * drop reasons in `drops.ts`.
 */
import { lookup } from 'node:dns/promises';
import { systemClock, systemRng, type Clock, type Rng, type TimerHandle } from '@metallb-ts/clock';
import { assertNever } from '@metallb-ts/errors';
import { IPAddress } from '@metallb-ts/netaddr';
import { LAN_PRESET, ConfigError, preset, validateTunables, type Tunables } from './config.js';
import type { DropReason } from './drops.js';
import { JoinError } from './errors.js';
import { Keyring, deriveMetallbKey } from './security/keyring.js';
import { Awareness } from './state/awareness.js';
import { BroadcastQueue } from './state/broadcast-queue.js';
import { pushPullScaleMs } from './state/math.js';
import { NodeTable, type Effect, type NodeRecord } from './state/node-table.js';
import { Streams } from './stream.js';
import { formatAddress, isConnectionRefused, splitHostPort, type PeerAddress, type Transport } from './transport.js';
import type { Delegate, Logger, Member, MemberEvent, MemberlistMetrics, MemberlistOptions } from './types.js';
import { MAX_STREAM_BYTES, META_MAX_SIZE, PROTOCOL_VERSION_DEFAULT, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN } from './wire/constants.js';
import { DecodeError } from './wire/errors.js';
import { flattenPacket, openPacket, sealPacket, type WireSecurity } from './wire/layers.js';
import { encodeCompound, encodeMessage, type PacketMessage } from './wire/messages.js';

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Our advertised version vector: protocol 1..5, speaking 2; delegate 0,0,0. */
const OUR_VSN = Uint8Array.from([PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_DEFAULT, 0, 0, 0]);
const COMPOUND_HEADER_OVERHEAD = 2;
const COMPOUND_OVERHEAD = 2;
const ENCRYPT_OVERHEAD = 29;

interface AckHandler {
  onAck(): void;
  onNack(): void;
}

function toMember(n: NodeRecord): Member {
  return { name: n.name, addr: n.addr, port: n.port, meta: n.meta ?? new Uint8Array(0), state: n.state, incarnation: n.incarnation, vsn: [...n.vsn] };
}

/**
 * Creates and starts a memberlist node: probes, gossip and push/pull run on the injected clock.
 * Call {@link Memberlist.join} to contact a cluster.
 */
export function createMemberlist(opts: MemberlistOptions): Memberlist {
  return new Memberlist(opts);
}

/**
 * A SWIM + Lifeguard node, wire-compatible with hashicorp/memberlist. The state machine lives
 * in {@link NodeTable}; this class turns packets, streams and timers into its inputs and
 * performs its effects.
 */
export class Memberlist {
  /** The effective tunables. */
  readonly tunables: Tunables;
  readonly name: string;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly log: Logger;
  private readonly delegate: Delegate;
  private readonly resolve: (host: string) => Promise<string[]>;
  private readonly security: WireSecurity;
  private readonly table: NodeTable;
  private readonly awareness: Awareness;
  private readonly queue: BroadcastQueue;
  private readonly advertise: PeerAddress;
  private readonly listeners = new Set<(e: MemberEvent) => void>();
  private readonly ackHandlers = new Map<number, AckHandler>();
  private readonly suspicionTimers = new Map<string, TimerHandle>();
  private readonly timers = new Set<TimerHandle>();
  private readonly leaveWaiters = new Set<() => void>();
  private readonly streams: Streams;
  private seqNo = 0;
  private readonly labelBytes: number;
  private running = true;
  private probeEpoch = 0;
  private readonly m: MemberlistMetrics = {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    drops: {},
    probes: 0,
    probesFailed: 0,
    refusedDead: 0,
    refutations: 0,
    suspicionsStarted: 0,
  };

  constructor(opts: MemberlistOptions) {
    if (!opts.name) throw new ConfigError('name', 'a node name is required');
    this.name = opts.name;
    this.tunables = { ...(opts.preset ? preset(opts.preset) : LAN_PRESET), ...(opts.tunables ?? {}) };
    validateTunables(this.tunables);
    if (opts.meta && opts.meta.length > META_MAX_SIZE) throw new ConfigError('meta', `metadata is ${opts.meta.length} bytes, the limit is ${META_MAX_SIZE}`);
    if (opts.keys && opts.secret !== undefined) throw new ConfigError('secret', 'give either keys or secret, not both');
    const label = opts.label ?? '';
    this.labelBytes = new TextEncoder().encode(label).length;
    if (this.labelBytes > 255) throw new ConfigError('label', 'at most 255 bytes');
    let keyring: Keyring | undefined;
    if (opts.keys && opts.keys.length > 0) keyring = new Keyring(opts.keys);
    else if (opts.secret !== undefined) keyring = new Keyring([deriveMetallbKey(opts.secret)]);
    this.security = {
      label,
      keyring,
      verifyIncoming: opts.gossipVerifyIncoming ?? true,
      verifyOutgoing: opts.gossipVerifyOutgoing ?? true,
    };
    this.transport = opts.transport;
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng;
    this.log = opts.logger ?? noopLogger;
    this.delegate = opts.delegate ?? {};
    this.resolve = opts.resolve ?? (async (host) => (await lookup(host, { all: true })).map((r) => r.address));
    this.advertise = opts.advertise ?? opts.transport.localAddress;
    if (IPAddress.tryParse(this.advertise.ip) === undefined || this.advertise.ip === '0.0.0.0' || this.advertise.ip === '::') {
      throw new ConfigError('advertise', `"${this.advertise.ip}" is not a usable unicast address; set advertise`);
    }
    const t = this.tunables;
    this.table = new NodeTable(
      {
        name: this.name,
        suspicionMult: t.suspicionMult,
        suspicionMaxTimeoutMult: t.suspicionMaxTimeoutMult,
        probeIntervalMs: t.probeIntervalMs,
        gossipToTheDeadMs: t.gossipToTheDeadTimeMs,
        deadNodeReclaimMs: t.deadNodeReclaimTimeMs,
        vsn: OUR_VSN,
      },
      () => this.rng.next(),
    );
    this.awareness = new Awareness(t.awarenessMaxMultiplier);
    this.queue = new BroadcastQueue(t.retransmitMult, () => this.table.size());
    if (opts.onEvent) this.listeners.add(opts.onEvent);
    this.transport.onPacket((data, from) => this.ingestPacket(data, from));
    this.streams = new Streams({
      name: this.name,
      advertise: this.advertise,
      tunables: this.tunables,
      transport: this.transport,
      clock: this.clock,
      rng: this.rng,
      security: this.security,
      metrics: this.m,
      delegate: this.delegate,
      table: this.table,
      isRunning: () => this.running,
      drop: (reason, detail, from) => this.drop(reason, detail, from),
      merge: (nodes) => this.perform(this.table.merge(nodes, this.clock.monotonic()).effects),
    });
    this.transport.onStream((conn) => void this.streams.accept(conn));
    this.perform(this.table.bootstrap(this.advertise.ip, this.advertise.port, opts.meta ?? null, this.clock.monotonic()).effects);
    this.schedule();
  }

  /* ================================================================ public API */

  /** Subscribes to membership events; returns the unsubscribe function. */
  onEvent(fn: (e: MemberEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Alive and suspect members, ourselves included (what MetalLB's election reads). */
  members(): Member[] {
    return this.table.members().map(toMember);
  }

  /** Every known node, dead and left ones not yet reaped included. */
  allNodes(): Member[] {
    return this.table.all().map(toMember);
  }

  /** Our own record. */
  localMember(): Member {
    return toMember(this.table.self());
  }

  /** Lifeguard health score (0 = healthy, up to `awarenessMaxMultiplier − 1`). */
  healthScore(): number {
    return this.awareness.score();
  }

  /** A snapshot of the counters. */
  metrics(): MemberlistMetrics {
    return { ...this.m, drops: { ...this.m.drops } };
  }

  /** The keyring (undefined when encryption is off): install, use and remove keys at runtime. */
  keyring(): Keyring | undefined {
    return this.security.keyring;
  }

  /**
   * Joins a cluster through one or more addresses: `host`, `host:port`, `[v6]:port`, optionally
   * prefixed `name/`; a hostname is resolved (all its addresses are tried). The port defaults
   * to our own. Returns how many entries were contacted; throws {@link JoinError} when none.
   */
  async join(addresses: readonly string[]): Promise<number> {
    let ok = 0;
    const failures: { address: string; error: string }[] = [];
    for (const a of addresses) {
      try {
        const targets = await this.resolveJoinAddress(a);
        let reached = false;
        let last: unknown;
        for (const to of targets) {
          try {
            await this.streams.pushPull(to, true);
            reached = true;
          } catch (e) {
            last = e;
          }
        }
        if (!reached) throw last;
        ok++;
      } catch (e) {
        failures.push({ address: a, error: (e as Error).message });
        this.log.warn('join failed', { address: a, error: (e as Error).message });
      }
    }
    if (ok === 0 && failures.length > 0) throw new JoinError(failures);
    return ok;
  }

  /**
   * Leaves gracefully: broadcasts `dead{From: self}` and waits until it was sent its full
   * retransmit count or `timeoutMs` passed (MetalLB uses 1 s). Call {@link shutdown} after.
   */
  async leave(timeoutMs = 1000): Promise<void> {
    if (this.table.hasLeft()) return;
    const done = new Promise<void>((resolve) => this.leaveWaiters.add(resolve));
    this.perform(this.table.leave(this.clock.monotonic()).effects);
    const others = this.table.all().some((n) => n.name !== this.name && n.state !== 'dead' && n.state !== 'left');
    if (!others) return;
    let timer: TimerHandle | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.clock.setTimer(timeoutMs, resolve);
    });
    await Promise.race([done, timeout]);
    timer?.cancel();
  }

  /** Stops all timers and closes the transport, without telling anyone (a crash looks the same). */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) t.cancel();
    for (const t of this.suspicionTimers.values()) t.cancel();
    this.timers.clear();
    this.suspicionTimers.clear();
    this.ackHandlers.clear();
    for (const w of this.leaveWaiters) w();
    await this.transport.close();
  }

  /** Changes our metadata: new incarnation, gossiped to everyone. */
  updateMeta(meta: Uint8Array): void {
    if (meta.length > META_MAX_SIZE) throw new ConfigError('meta', `metadata is ${meta.length} bytes, the limit is ${META_MAX_SIZE}`);
    this.perform(this.table.updateSelf(meta, this.clock.monotonic()).effects);
  }

  /** Sends a user message over UDP (Go `SendBestEffort`); fire and forget. */
  sendBestEffort(to: Member | PeerAddress, payload: Uint8Array): void {
    const addr = 'ip' in to ? to : { ip: to.addr, port: to.port };
    const node = 'name' in to ? this.table.get(to.name) : undefined;
    this.rawSend(addr, encodeMessage({ type: 'user', payload }), node);
  }

  /** Sends a user message over TCP (Go `SendReliable`); resolves once written. */
  async sendReliable(to: Member | PeerAddress, payload: Uint8Array): Promise<void> {
    if (payload.length > MAX_STREAM_BYTES) throw new RangeError('user message larger than 20 MiB');
    const addr = 'ip' in to ? to : { ip: to.addr, port: to.port };
    await this.streams.sendUser(addr, payload);
  }

  /**
   * Queues a user message for gossip (Go delegate broadcasts): piggybacked and gossiped like
   * memberlist messages, `retransmitLimit` times in total. As in Go, receivers do not re-gossip
   * it; a delegate that wants epidemic spread re-broadcasts from `notifyMsg`. A new message
   * with the same `key` replaces a queued one.
   */
  broadcast(payload: Uint8Array, key?: string): void {
    this.queue.queue({ key: key === undefined ? undefined : `user:${key}`, message: encodeMessage({ type: 'user', payload }) });
  }

  /* ================================================================ scheduling */

  private addTimer(h: TimerHandle): TimerHandle {
    this.timers.add(h);
    return h;
  }

  private after(ms: number, fn: () => void): TimerHandle {
    const h: TimerHandle = this.clock.setTimer(ms, () => {
      this.timers.delete(h);
      if (this.running) fn();
    });
    return this.addTimer(h);
  }

  private schedule(): void {
    const t = this.tunables;
    // Random start offsets avoid synchronised ticks (Go triggerFunc stagger).
    this.after(this.rng.next() * t.probeIntervalMs, () => this.probeLoop(this.clock.monotonic()));
    if (t.gossipIntervalMs > 0) {
      this.after(this.rng.next() * t.gossipIntervalMs, () => {
        this.addTimer(this.clock.setInterval(t.gossipIntervalMs, () => this.running && this.gossip()));
        this.gossip();
      });
    }
    if (t.pushPullIntervalMs > 0) {
      const loop = () => {
        void this.periodicPushPull();
        this.after(pushPullScaleMs(t.pushPullIntervalMs, this.table.size()), loop);
      };
      this.after(this.rng.next() * t.pushPullIntervalMs, loop);
    }
  }

  /** One probe per tick; a probe that runs over the tick delays the next (Go's ticker). */
  private probeLoop(tickAt: number): void {
    const I = this.tunables.probeIntervalMs;
    const epoch = ++this.probeEpoch;
    const next = () => {
      if (!this.running || epoch !== this.probeEpoch) return;
      const now = this.clock.monotonic();
      let tick = tickAt + I;
      if (now >= tick) tick = now;
      this.after(Math.max(0, tick - now), () => this.probeLoop(this.clock.monotonic()));
    };
    const target = this.table.nextProbeTarget(this.clock.monotonic());
    if (!target) return next();
    this.probeNode(target, next);
  }

  /* ================================================================ probing */

  private nextSeqNo(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  private addrOf(n: NodeRecord): PeerAddress {
    return { ip: n.addr, port: n.port };
  }

  private probeNode(node: NodeRecord, done: () => void): void {
    this.m.probes++;
    const t = this.tunables;
    const intervalMs = this.awareness.scale(t.probeIntervalMs);
    const seqNo = this.nextSeqNo();
    const ping: PacketMessage = { type: 'ping', seqNo, node: node.name, sourceAddr: this.advertise.ip, sourcePort: this.advertise.port, sourceNode: this.name };
    let finished = false;
    let nacks = 0;
    let expectedNacks = 0;
    let tcp: Promise<'ack' | 'refused' | 'failed'> | undefined;
    const timers: TimerHandle[] = [];
    const finish = (delta: number) => {
      if (finished) return;
      finished = true;
      for (const h of timers) {
        h.cancel();
        this.timers.delete(h);
      }
      this.ackHandlers.delete(seqNo);
      this.awareness.applyDelta(delta);
      done();
    };
    this.ackHandlers.set(seqNo, { onAck: () => finish(-1), onNack: () => nacks++ });
    const pingBytes = encodeMessage(ping);
    if (node.state === 'alive') this.sendMsg(this.addrOf(node), pingBytes);
    else {
      const sus = encodeMessage({ type: 'suspect', incarnation: node.incarnation, node: node.name, from: this.name });
      this.rawSend(this.addrOf(node), encodeCompound([pingBytes, sus]), node);
    }
    timers.push(
      this.after(t.probeTimeoutMs, () => {
        if (finished) return;
        this.log.debug('failed ping (timeout reached)', { node: node.name });
        const peers = this.table.randomNodes(t.indirectChecks, (n) => n.name === this.name || n.name === node.name || n.state !== 'alive');
        for (const peer of peers) {
          const nack = (peer.vsn[1] ?? 0) >= 4;
          if (nack) expectedNacks++;
          this.sendMsg(
            this.addrOf(peer),
            encodeMessage({ type: 'indirect-ping', seqNo, target: node.addr, port: node.port, node: node.name, nack, sourceAddr: this.advertise.ip, sourcePort: this.advertise.port, sourceNode: this.name }),
          );
        }
        if (!t.disableTcpPings && (node.vsn[1] ?? 0) >= 3) {
          tcp = this.streams.tcpPing(node, ping, intervalMs - t.probeTimeoutMs).then(
            (ok) => (ok ? 'ack' : 'failed'),
            (e: unknown) => (isConnectionRefused(e) ? 'refused' : 'failed'),
          );
        }
      }),
    );
    timers.push(
      this.after(intervalMs, () => {
        if (finished) return;
        const fail = (refused: boolean) => {
          if (finished) return;
          this.m.probesFailed++;
          const delta = expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1;
          const cur = this.table.get(node.name);
          finish(delta);
          if (!cur) return;
          const now = this.clock.monotonic();
          if (refused && t.deadWhenRefused) {
            // No ack from anyone and the host refused the stream: nothing listens there any more.
            this.log.info('probe failed and the node refused the TCP ping: dead', { node: node.name });
            this.m.refusedDead++;
            // The incarnation we probed: a node that refuted meanwhile (a newer incarnation) is alive.
            this.perform(this.table.dead({ type: 'dead', incarnation: node.incarnation, node: node.name, from: this.name }, now, 'tcp-refused').effects);
            return;
          }
          this.log.info('suspect has failed, no acks received', { node: node.name });
          this.perform(this.table.suspect({ type: 'suspect', incarnation: node.incarnation, node: node.name, from: this.name }, now).effects);
        };
        if (!tcp) return fail(false);
        void tcp.then((r) => {
          if (r === 'ack' && !finished) {
            this.log.warn('reached node over TCP but UDP probes failed, network may be misconfigured', { node: node.name });
            finish(-1);
          } else fail(r === 'refused');
        });
      }),
    );
  }

  /* ================================================================ gossip */

  private gossip(): void {
    const t = this.tunables;
    const now = this.clock.monotonic();
    const nodes = this.table.randomNodes(t.gossipNodes, (n) => {
      if (n.name === this.name) return true;
      if (n.state === 'alive' || n.state === 'suspect') return false;
      if (n.state === 'dead') return now - n.stateChangeMs > t.gossipToTheDeadTimeMs;
      return true;
    });
    const avail = t.udpBufferSize - COMPOUND_HEADER_OVERHEAD - this.labelOverhead() - this.encryptOverhead();
    for (const node of nodes) {
      const msgs = this.queue.take(COMPOUND_OVERHEAD, avail);
      if (msgs.length === 0) return;
      if (msgs.length === 1) this.rawSend(this.addrOf(node), msgs[0]!, node);
      else for (let i = 0; i < msgs.length; i += 255) this.rawSend(this.addrOf(node), encodeCompound(msgs.slice(i, i + 255)), node);
    }
  }

  private labelOverhead(): number {
    const n = this.labelBytes;
    return n === 0 ? 0 : 2 + n;
  }

  private encryptOverhead(): number {
    return this.security.keyring && this.security.verifyOutgoing ? ENCRYPT_OVERHEAD : 0;
  }

  /** Sends a message with as many queued broadcasts piggybacked as fit (Go `sendMsg`). */
  private sendMsg(to: PeerAddress, msg: Uint8Array): void {
    const avail = this.tunables.udpBufferSize - msg.length - COMPOUND_HEADER_OVERHEAD - this.labelOverhead() - this.encryptOverhead();
    const extra = this.queue.take(COMPOUND_OVERHEAD, avail);
    if (extra.length === 0) return this.rawSend(to, msg);
    this.rawSend(to, encodeCompound([msg, ...extra.slice(0, 254)]));
  }

  /** Seals and sends one datagram; CRC only when `node` is known to speak protocol 5. */
  private rawSend(to: PeerAddress, msg: Uint8Array, node?: NodeRecord): void {
    if (!this.running) return;
    const crc = node !== undefined && (node.vsn[1] ?? 0) >= 5;
    const buf = sealPacket(msg, { ...this.security, compress: this.tunables.enableCompression, crc, rng: this.rng });
    this.m.packetsSent++;
    this.m.bytesSent += buf.length;
    this.transport.sendPacket(to, buf);
  }

  /* ================================================================ packets in */

  private drop(reason: DropReason, detail: string, from?: PeerAddress): void {
    this.m.drops[reason] = (this.m.drops[reason] ?? 0) + 1;
    this.log.debug('dropped input', { reason, detail, from: from ? formatAddress(from) : undefined });
  }

  private ingestPacket(data: Uint8Array, from: PeerAddress): void {
    if (!this.running) return;
    this.m.packetsReceived++;
    this.m.bytesReceived += data.length;
    let body: Uint8Array;
    try {
      body = openPacket(data, this.security);
    } catch (e) {
      if (e instanceof DecodeError) return this.drop(e.reason, e.message, from);
      throw e;
    }
    const { messages, errors } = flattenPacket(body);
    for (const e of errors) this.drop(e.reason, e.message, from);
    for (const msg of messages) {
      try {
        this.handleMessage(msg, from);
      } catch (e) {
        // A handler must never take the node down; record and continue.
        this.drop('handler-error', (e as Error).message, from);
      }
    }
  }

  private replyAddr(m: { sourceAddr: string; sourcePort: number }, from: PeerAddress): PeerAddress {
    return m.sourceAddr !== '' && m.sourcePort > 0 ? { ip: m.sourceAddr, port: m.sourcePort } : from;
  }

  private handleMessage(msg: PacketMessage, from: PeerAddress): void {
    const now = this.clock.monotonic();
    switch (msg.type) {
      case 'ping':
        if (msg.node !== '' && msg.node !== this.name) return this.drop('ping-wrong-node', `ping for ${msg.node}`, from);
        return this.sendMsg(this.replyAddr(msg, from), encodeMessage({ type: 'ack', seqNo: msg.seqNo, payload: null }));
      case 'indirect-ping': {
        const requester = this.replyAddr(msg, from);
        const target = { ip: msg.target, port: msg.port === 0 ? this.advertise.port : msg.port };
        if (target.ip === '') return this.drop('bad-field', 'indirect ping without target', from);
        const localSeq = this.nextSeqNo();
        let nackTimer: TimerHandle | undefined;
        const expire = this.after(this.tunables.probeTimeoutMs, () => this.ackHandlers.delete(localSeq));
        this.ackHandlers.set(localSeq, {
          onAck: () => {
            nackTimer?.cancel();
            expire.cancel();
            this.ackHandlers.delete(localSeq);
            this.sendMsg(requester, encodeMessage({ type: 'ack', seqNo: msg.seqNo, payload: null }));
          },
          onNack: () => {},
        });
        this.sendMsg(target, encodeMessage({ type: 'ping', seqNo: localSeq, node: msg.node, sourceAddr: this.advertise.ip, sourcePort: this.advertise.port, sourceNode: this.name }));
        if (msg.nack) nackTimer = this.after(this.tunables.probeTimeoutMs, () => this.sendMsg(requester, encodeMessage({ type: 'nack', seqNo: msg.seqNo })));
        return;
      }
      case 'ack': {
        const h = this.ackHandlers.get(msg.seqNo);
        if (!h) return this.drop('unknown-ack', `ack ${msg.seqNo}`, from);
        return h.onAck();
      }
      case 'nack': {
        const h = this.ackHandlers.get(msg.seqNo);
        if (!h) return this.drop('unknown-nack', `nack ${msg.seqNo}`, from);
        return h.onNack();
      }
      case 'alive':
        if (msg.addr === '') return this.drop('bad-field', 'alive without address', from);
        // Port 0 means "the receiver's own port" (protocol < 2 senders), as in Go handleAlive.
        return this.perform(this.table.alive(msg.port === 0 ? { ...msg, port: this.advertise.port } : msg, now).effects);
      case 'suspect':
        return this.perform(this.table.suspect(msg, now).effects);
      case 'dead':
        return this.perform(this.table.dead(msg, now).effects);
      case 'user':
        return this.delegate.notifyMsg?.(msg.payload, from);
      case 'err':
        return this.drop('unexpected-err', msg.error, from);
      default:
        return assertNever(msg, 'memberlist packet message type');
    }
  }

  /* ================================================================ effects */

  private perform(effects: readonly Effect[]): void {
    for (const e of effects) {
      switch (e.kind) {
        case 'broadcast': {
          const onFinished = e.leave ? () => this.finishLeave() : undefined;
          this.queue.queue({ key: e.key, message: encodeMessage(e.message), onFinished });
          break;
        }
        case 'event': {
          const ev: MemberEvent = { type: e.type, member: toMember(e.node), reason: e.reason, atMs: this.clock.now() };
          this.log.info(`member ${e.type}`, { node: e.node.name, reason: e.reason });
          for (const l of [...this.listeners]) {
            try {
              l(ev);
            } catch (err) {
              this.log.error('event listener threw', { error: (err as Error).message });
            }
          }
          break;
        }
        case 'suspicion-timer': {
          this.suspicionTimers.get(e.node)?.cancel();
          if (!this.suspicionTimers.has(e.node)) this.m.suspicionsStarted++;
          const h = this.clock.setTimer(e.inMs, () => {
            if (this.suspicionTimers.get(e.node) !== h) return;
            this.suspicionTimers.delete(e.node);
            if (!this.running) return;
            const n = this.table.confirmations(e.node);
            const tr = this.table.suspicionExpired(e.node, this.clock.monotonic());
            if (tr.outcome === 'accepted') this.log.info('marking node as failed, suspect timeout reached', { node: e.node, confirmations: n });
            this.perform(tr.effects);
          });
          this.suspicionTimers.set(e.node, h);
          break;
        }
        case 'suspicion-cancel':
          this.suspicionTimers.get(e.node)?.cancel();
          this.suspicionTimers.delete(e.node);
          break;
        case 'refuted':
          this.m.refutations++;
          this.awareness.applyDelta(1);
          this.log.warn('refuting an accusation', { incarnation: e.incarnation });
          break;
        case 'conflict':
          this.drop('address-conflict', `${e.incoming.node} claims ${e.incoming.addr}:${e.incoming.port}, known at ${e.existing.addr}:${e.existing.port}`);
          break;
        default:
          return assertNever(e, 'memberlist state effect');
      }
    }
  }

  private finishLeave(): void {
    for (const w of this.leaveWaiters) w();
    this.leaveWaiters.clear();
  }

  /* ================================================================ join and push/pull */

  /** `[name/]host[:port]`: an IP literal, or a hostname resolved through the resolver. */
  private async resolveJoinAddress(s: string): Promise<PeerAddress[]> {
    // An optional "name/" prefix is allowed (Go accepts it; the name is not checked).
    const slash = s.indexOf('/');
    const { host, port } = splitHostPort(slash >= 0 ? s.slice(slash + 1) : s, this.advertise.port, 'join');
    if (port === 0) throw new ConfigError('join', `"${s}" has port 0`);
    const ip = IPAddress.tryParse(host);
    if (ip) return [{ ip: ip.toString(), port }];
    const ips = await this.resolve(host);
    const out = ips.flatMap((x) => {
      const a = IPAddress.tryParse(x);
      return a ? [{ ip: a.toString(), port }] : [];
    });
    if (out.length === 0) throw new ConfigError('join', `"${host}" did not resolve to any address`);
    return out;
  }

  private async periodicPushPull(): Promise<void> {
    const peers = this.table.randomNodes(1, (n) => n.name === this.name || n.state !== 'alive');
    const peer = peers[0];
    if (!peer) return;
    try {
      await this.streams.pushPull(this.addrOf(peer), false);
    } catch (e) {
      this.log.debug('push/pull failed', { node: peer.name, error: (e as Error).message });
    }
  }
}
