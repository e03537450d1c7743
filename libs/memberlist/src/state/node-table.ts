import type { Alive, Dead, PushNodeState, Suspect } from '../wire/messages.js';
import { remainingSuspicionMs, suspicionConfirmations, suspicionTimeoutMs } from './math.js';

/*
 * The membership state machine of memberlist (state.go: aliveNode, suspectNode, deadNode,
 * refute, mergeState; memberlist-wire.md §13.1–13.5) as a pure object: every input returns a
 * named outcome and a list of effects, which the driver performs (broadcast, events, timers).
 * Time comes in as an argument; randomness as a function.
 */

/** A member's state. */
export type NodeState = 'alive' | 'suspect' | 'dead' | 'left';

/** Everything we know about one node. */
export interface NodeRecord {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly meta: Uint8Array | null;
  /** `[PMin, PMax, PCur, DMin, DMax, DCur]`. */
  readonly vsn: Uint8Array;
  readonly incarnation: number;
  readonly state: NodeState;
  /** Monotonic ms of the last state change. */
  readonly stateChangeMs: number;
}

/** Membership event kinds. `leave` = left on purpose, `dead` = declared failed. */
export type MemberEventType = 'join' | 'update' | 'leave' | 'dead';

/** Why an event fired (a closed union, for logs and metrics). */
export type MemberEventReason =
  | 'new-node'
  | 'rejoined-after-dead'
  | 'rejoined-after-left'
  | 'meta-changed'
  | 'left-message'
  | 'suspicion-timeout'
  /** Our probe failed and the node's host refused the TCP fallback ping (`deadWhenRefused`). */
  | 'tcp-refused'
  | 'dead-message';

/** What the driver must do after a state input. */
export type Effect =
  | { readonly kind: 'broadcast'; readonly key: string; readonly message: Alive | Suspect | Dead; readonly leave?: boolean }
  | { readonly kind: 'event'; readonly type: MemberEventType; readonly node: NodeRecord; readonly reason: MemberEventReason }
  | { readonly kind: 'suspicion-timer'; readonly node: string; readonly inMs: number }
  | { readonly kind: 'suspicion-cancel'; readonly node: string }
  | { readonly kind: 'refuted'; readonly incarnation: number }
  | { readonly kind: 'conflict'; readonly existing: NodeRecord; readonly incoming: Alive };

/** Named result of one input. */
export type Outcome =
  | 'accepted'
  | 'stale'
  | 'unknown-node'
  | 'bad-version'
  | 'address-conflict'
  | 'refuted'
  | 'not-alive'
  | 'already-dead-or-left'
  | 'confirmed'
  | 'not-a-new-confirmation'
  | 'ignored-after-leave'
  | 'timer-obsolete';

/** Result of a state input. */
export interface Transition {
  readonly outcome: Outcome;
  readonly effects: Effect[];
}

/** Settings the state machine needs (a subset of the memberlist config). */
export interface NodeTableConfig {
  readonly name: string;
  readonly suspicionMult: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly probeIntervalMs: number;
  readonly gossipToTheDeadMs: number;
  /** 0 = a dead node's address can never be reclaimed by a new address. */
  readonly deadNodeReclaimMs: number;
  /** Our advertised Vsn (`[1, 5, 2, 0, 0, 0]`). */
  readonly vsn: Uint8Array;
}

interface Suspicion {
  readonly k: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly startMs: number;
  readonly stateChangeMs: number;
  readonly from: Set<string>;
  n: number;
  fired: boolean;
}

function bytesEqual(a: Uint8Array | null, b: Uint8Array | null): boolean {
  const x = a ?? new Uint8Array(0);
  const y = b ?? new Uint8Array(0);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** The local node table plus suspicion bookkeeping. */
export class NodeTable {
  private readonly map = new Map<string, NodeRecord>();
  /** Probe order (Go `m.nodes`). */
  private order: string[] = [];
  private probeIndex = 0;
  private readonly suspicions = new Map<string, Suspicion>();
  private incarnation = 0;
  private leaving = false;
  /** Names that were really declared dead (not the placeholder "dead" of a new entry). */
  private readonly knownDead = new Set<string>();

  constructor(
    readonly cfg: NodeTableConfig,
    private readonly random: () => number,
  ) {}

  /* ---------------------------------------------------------------- queries */

  /** Number of entries (ourselves and unreaped dead nodes included), Go `estNumNodes`. */
  size(): number {
    return this.map.size;
  }

  /** The record of `name`, if known. */
  get(name: string): NodeRecord | undefined {
    return this.map.get(name);
  }

  /** Every record, in probe order. */
  all(): NodeRecord[] {
    return this.order.map((n) => this.map.get(n)!);
  }

  /** Alive and suspect nodes (Go `Members()`), ourselves included. */
  members(): NodeRecord[] {
    return this.all().filter((n) => n.state === 'alive' || n.state === 'suspect');
  }

  /** Our own record (after {@link bootstrap}). */
  self(): NodeRecord {
    return this.map.get(this.cfg.name)!;
  }

  hasLeft(): boolean {
    return this.leaving;
  }

  /** Whether a suspicion timer is running for `name`. */
  isSuspected(name: string): boolean {
    return this.suspicions.has(name);
  }

  /** Our node table as push/pull entries. */
  pushState(): PushNodeState[] {
    const code = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
    return this.all().map((n) => ({
      name: n.name,
      addr: n.addr,
      port: n.port,
      meta: n.meta,
      incarnation: n.incarnation,
      state: code[n.state],
      vsn: n.vsn,
    }));
  }

  /* ------------------------------------------------------------ incarnation */

  /** Go `nextIncarnation`: +1. */
  nextIncarnation(): number {
    this.incarnation = (this.incarnation + 1) >>> 0;
    return this.incarnation;
  }

  private skipIncarnation(offset: number): number {
    this.incarnation = (this.incarnation + offset) >>> 0;
    return this.incarnation;
  }

  /** Our current incarnation. */
  currentIncarnation(): number {
    return this.incarnation;
  }

  /* --------------------------------------------------------------- inputs */

  /** Creates our own record (Go `setAlive`): incarnation 1, state alive. */
  bootstrap(addr: string, port: number, meta: Uint8Array | null, now: number): Transition {
    const a: Alive = { type: 'alive', incarnation: this.nextIncarnation(), node: this.cfg.name, addr, port, meta, vsn: this.cfg.vsn };
    return this.alive(a, now, true);
  }

  /** A new incarnation with new metadata (Go `UpdateNode`). */
  updateSelf(meta: Uint8Array | null, now: number): Transition {
    const me = this.self();
    const a: Alive = { type: 'alive', incarnation: this.nextIncarnation(), node: me.name, addr: me.addr, port: me.port, meta, vsn: this.cfg.vsn };
    return this.alive(a, now, true);
  }

  /** Handles an alive message (Go `aliveNode`). `bootstrap` is true only for our own announcements. */
  alive(a: Alive, now: number, bootstrap = false): Transition {
    const effects: Effect[] = [];
    if (this.leaving && a.node === this.cfg.name) return { outcome: 'ignored-after-leave', effects };
    if (a.vsn.length >= 3) {
      const [pMin, pMax] = a.vsn;
      if (pMin === 0 || pMax === 0 || pMin! > pMax!) return { outcome: 'bad-version', effects };
    }
    let st = this.map.get(a.node);
    let updatesNode = false;
    if (!st) {
      st = { name: a.node, addr: a.addr, port: a.port, meta: a.meta, vsn: a.vsn, incarnation: 0, state: 'dead', stateChangeMs: now };
      this.map.set(a.node, st);
      // Insert at a random offset so that the failure detection bound stays low on average.
      const n = this.order.length;
      const off = n === 0 ? 0 : Math.floor(this.random() * n) % n;
      this.order.push(a.node);
      const tmp = this.order[off]!;
      this.order[off] = this.order[n]!;
      this.order[n] = tmp;
    } else if (st.addr !== a.addr || st.port !== a.port) {
      const canReclaim = this.cfg.deadNodeReclaimMs > 0 && now - st.stateChangeMs > this.cfg.deadNodeReclaimMs;
      if (st.state === 'left' || (st.state === 'dead' && canReclaim)) updatesNode = true;
      else {
        effects.push({ kind: 'conflict', existing: st, incoming: a });
        return { outcome: 'address-conflict', effects };
      }
    }
    const isLocal = st.name === this.cfg.name;
    if (a.incarnation <= st.incarnation && !isLocal && !updatesNode) return { outcome: 'stale', effects };
    if (a.incarnation < st.incarnation && isLocal) return { outcome: 'stale', effects };
    if (this.suspicions.delete(a.node)) effects.push({ kind: 'suspicion-cancel', node: a.node });
    const oldState = st.state;
    const oldMeta = st.meta;
    let outcome: Outcome = 'accepted';
    if (!bootstrap && isLocal) {
      if (a.incarnation === st.incarnation && bytesEqual(a.meta, st.meta) && bytesEqual(a.vsn, this.cfg.vsn)) {
        return { outcome: 'stale', effects };
      }
      this.refute(st, a.incarnation, effects);
      outcome = 'refuted';
    } else {
      effects.push({ kind: 'broadcast', key: a.node, message: a });
      st = {
        ...st,
        vsn: a.vsn.length > 0 ? a.vsn : st.vsn,
        incarnation: a.incarnation,
        meta: a.meta,
        addr: a.addr,
        port: a.port,
        state: 'alive',
        stateChangeMs: st.state !== 'alive' ? now : st.stateChangeMs,
      };
      this.map.set(a.node, st);
    }
    const cur = this.map.get(a.node)!;
    if (oldState === 'dead' || oldState === 'left') {
      if (cur.state === 'alive') {
        const reason: MemberEventReason =
          oldState === 'left' ? 'rejoined-after-left' : this.knownDead.has(a.node) ? 'rejoined-after-dead' : 'new-node';
        effects.push({ kind: 'event', type: 'join', node: cur, reason });
      }
    } else if (!bytesEqual(oldMeta, cur.meta)) {
      effects.push({ kind: 'event', type: 'update', node: cur, reason: 'meta-changed' });
    }
    this.knownDead.delete(a.node);
    return { outcome, effects };
  }

  /** Handles a suspect message (Go `suspectNode`). */
  suspect(s: Suspect, now: number): Transition {
    const effects: Effect[] = [];
    const st = this.map.get(s.node);
    if (!st) return { outcome: 'unknown-node', effects };
    if (s.incarnation < st.incarnation) return { outcome: 'stale', effects };
    const sus = this.suspicions.get(s.node);
    if (sus) {
      if (!this.confirm(sus, s.from, now, s.node, effects)) return { outcome: 'not-a-new-confirmation', effects };
      effects.push({ kind: 'broadcast', key: s.node, message: s });
      return { outcome: 'confirmed', effects };
    }
    if (st.state !== 'alive') return { outcome: 'not-alive', effects };
    if (st.name === this.cfg.name) {
      this.refute(st, s.incarnation, effects);
      return { outcome: 'refuted', effects };
    }
    effects.push({ kind: 'broadcast', key: s.node, message: s });
    this.map.set(s.node, { ...st, incarnation: s.incarnation, state: 'suspect', stateChangeMs: now });
    const n = this.size();
    const k = suspicionConfirmations(this.cfg.suspicionMult, n);
    const minMs = suspicionTimeoutMs(this.cfg.suspicionMult, n, this.cfg.probeIntervalMs);
    const maxMs = this.cfg.suspicionMaxTimeoutMult * minMs;
    this.suspicions.set(s.node, { k, minMs, maxMs, startMs: now, stateChangeMs: now, from: new Set([s.from]), n: 0, fired: false });
    effects.push({ kind: 'suspicion-timer', node: s.node, inMs: k < 1 ? minMs : maxMs });
    return { outcome: 'accepted', effects };
  }

  private confirm(sus: Suspicion, from: string, now: number, node: string, effects: Effect[]): boolean {
    if (sus.n >= sus.k) return false;
    if (sus.from.has(from)) return false;
    sus.from.add(from);
    sus.n++;
    if (!sus.fired) {
      const remaining = remainingSuspicionMs(sus.n, sus.k, now - sus.startMs, sus.minMs, sus.maxMs);
      effects.push({ kind: 'suspicion-timer', node, inMs: Math.max(0, remaining) });
    }
    return true;
  }

  /** The suspicion timer of `name` fired: declare it dead if it is still the same suspicion. */
  suspicionExpired(name: string, now: number): Transition {
    const effects: Effect[] = [];
    const sus = this.suspicions.get(name);
    const st = this.map.get(name);
    if (!sus || !st || st.state !== 'suspect' || st.stateChangeMs !== sus.stateChangeMs) {
      return { outcome: 'timer-obsolete', effects };
    }
    sus.fired = true;
    const d: Dead = { type: 'dead', incarnation: st.incarnation, node: name, from: this.cfg.name };
    return this.dead(d, now, 'suspicion-timeout');
  }

  /** Number of confirmations a running suspicion has collected. */
  confirmations(name: string): number {
    return this.suspicions.get(name)?.n ?? 0;
  }

  /** Handles a dead message (Go `deadNode`); `from === node` means the node left. */
  dead(d: Dead, now: number, reason: MemberEventReason = 'dead-message'): Transition {
    const effects: Effect[] = [];
    const st = this.map.get(d.node);
    if (!st) return { outcome: 'unknown-node', effects };
    if (d.incarnation < st.incarnation) return { outcome: 'stale', effects };
    if (this.suspicions.delete(d.node)) effects.push({ kind: 'suspicion-cancel', node: d.node });
    if (st.state === 'dead' || st.state === 'left') return { outcome: 'already-dead-or-left', effects };
    const isLocal = st.name === this.cfg.name;
    if (isLocal && !this.leaving) {
      this.refute(st, d.incarnation, effects);
      return { outcome: 'refuted', effects };
    }
    effects.push({ kind: 'broadcast', key: d.node, message: d, ...(isLocal ? { leave: true } : {}) });
    const left = d.node === d.from;
    const next: NodeRecord = { ...st, incarnation: d.incarnation, state: left ? 'left' : 'dead', stateChangeMs: now };
    this.map.set(d.node, next);
    if (!left) this.knownDead.add(d.node);
    effects.push({ kind: 'event', type: left ? 'leave' : 'dead', node: next, reason: left ? 'left-message' : reason });
    return { outcome: 'accepted', effects };
  }

  /** Starts a graceful leave: marks us left and queues `dead{From: self}` (Go `Leave`). */
  leave(now: number): Transition {
    if (this.leaving) return { outcome: 'ignored-after-leave', effects: [] };
    this.leaving = true;
    const me = this.self();
    return this.dead({ type: 'dead', incarnation: me.incarnation, node: me.name, from: me.name }, now);
  }

  private refute(me: NodeRecord, accused: number, effects: Effect[]): void {
    let inc = this.nextIncarnation();
    if (accused >= inc) inc = this.skipIncarnation(accused - inc + 1);
    this.map.set(me.name, { ...me, incarnation: inc });
    effects.push({ kind: 'refuted', incarnation: inc });
    const a: Alive = { type: 'alive', incarnation: inc, node: me.name, addr: me.addr, port: me.port, meta: me.meta, vsn: this.cfg.vsn };
    effects.push({ kind: 'broadcast', key: me.name, message: a });
  }

  /**
   * Merges a remote push/pull table (Go `mergeState`): alive → alive, left → dead from the node
   * itself, dead → only a suspicion from us, suspect → suspect.
   */
  merge(remote: readonly PushNodeState[], now: number): Transition {
    const effects: Effect[] = [];
    for (const r of remote) {
      let t: Transition;
      switch (r.state) {
        case 0:
          t = this.alive({ type: 'alive', incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn }, now);
          break;
        case 3:
          t = this.dead({ type: 'dead', incarnation: r.incarnation, node: r.name, from: r.name }, now);
          break;
        case 1:
        case 2:
          t = this.suspect({ type: 'suspect', incarnation: r.incarnation, node: r.name, from: this.cfg.name }, now);
          break;
        default:
          continue;
      }
      effects.push(...t.effects);
    }
    return { outcome: 'accepted', effects };
  }

  /* --------------------------------------------------------------- probing */

  /**
   * The next node to probe (Go `probe`): round-robin over the shuffled list, skipping ourselves
   * and dead/left nodes; on wrap-around, reap nodes dead longer than `gossipToTheDeadMs` and
   * reshuffle. Returns undefined when there is nobody to probe this tick.
   */
  nextProbeTarget(now: number): NodeRecord | undefined {
    let numCheck = 0;
    for (;;) {
      if (numCheck >= this.order.length) return undefined;
      if (this.probeIndex >= this.order.length) {
        this.resetNodes(now);
        this.probeIndex = 0;
        numCheck++;
        continue;
      }
      const node = this.map.get(this.order[this.probeIndex]!)!;
      this.probeIndex++;
      if (node.name === this.cfg.name || node.state === 'dead' || node.state === 'left') {
        numCheck++;
        continue;
      }
      return node;
    }
  }

  private resetNodes(now: number): void {
    const keep: string[] = [];
    for (const name of this.order) {
      const n = this.map.get(name)!;
      if ((n.state === 'dead' || n.state === 'left') && now - n.stateChangeMs > this.cfg.gossipToTheDeadMs) {
        this.map.delete(name);
        this.knownDead.delete(name);
      } else keep.push(name);
    }
    // Fisher–Yates with the injected randomness.
    for (let i = keep.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = keep[i]!;
      keep[i] = keep[j]!;
      keep[j] = t;
    }
    this.order = keep;
  }

  /**
   * Up to `k` random nodes for which `exclude` is false (Go `kRandomNodes`), without repeats.
   */
  randomNodes(k: number, exclude: (n: NodeRecord) => boolean): NodeRecord[] {
    const n = this.order.length;
    const out: NodeRecord[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const name = this.order[Math.floor(this.random() * n) % n]!;
      if (seen.has(name)) continue;
      seen.add(name);
      const node = this.map.get(name)!;
      if (exclude(node)) continue;
      out.push(node);
    }
    return out;
  }
}
