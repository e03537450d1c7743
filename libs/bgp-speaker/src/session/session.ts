import { jitterDown, type Clock, type Rng, type TimerHandle } from '@metallb-ts/clock';
import { assertNever } from '@metallb-ts/errors';
import { IPAddress } from '@metallb-ts/netaddr';
import { resolveCollision, step, initialFsmState } from '../fsm/step.js';
import type { FsmAction, FsmConfig, FsmEvent, FsmState, StateName, TimerKind } from '../fsm/types.js';
import { AdjRibOut, buildUpdates, familyOf, type PeerContext } from '../rib/adj-rib-out.js';
import { mergeDuplicateRoutes, resolveNextHops, type NextHops, type Route, type UnsendableRoute } from '../rib/route.js';
import { CeaseSubcode, ErrCode } from '../wire/constants.js';
import { BgpDecodeError, errorCodeName } from '../wire/errors.js';
import { decodeMessage, encodeMessage, Framer } from '../wire/message.js';
import type { Negotiated } from '../wire/negotiate.js';
import type { AfiSafi, BgpMessage, Notification, Open, Update } from '../wire/types.js';
import { announcedPrefixes, endOfRib, endOfRibFamily, withdrawnPrefixes } from '../wire/update.js';
import { Emitter } from './emitter.js';
import { checkSessionRoute, familyAfiSafi, initialRouterId, SESSION_DEFAULTS, sessionFamilies, sessionFsmConfig, validateSessionOptions, type Family, type SessionOptions } from './options.js';
import { routerIdFor } from './router-id.js';
import type { Connection, ConnectAttempt, Transport } from './ports.js';
import { SENT_LIST_LIMIT, zeroCounters, type NotificationInfo, type SentInfo, type SessionEvents, type SessionStatus, type StateChange } from './status.js';

/** The ports a session uses. */
export interface SessionComponents {
  clock: Clock;
  rng: Rng;
  transport: Transport;
}

/** UPDATE messages written per event-loop turn when a large set is queued. */
export const PUMP_BATCH = 32;

/**
 * One BGP session to one peer: the thin driver around the pure {@link step} FSM. It turns socket
 * bytes and timers into FSM events, performs the FSM's actions, and keeps the peer's
 * Adj-RIB-Out in sync with {@link BgpSession.setRoutes} — never resetting the session for it.
 * Its options, defaults and validation live in `options.ts`; what it reports (events, status,
 * counters) in `status.ts`.
 */
export class BgpSession extends Emitter<SessionEvents> {
  readonly name: string;
  private readonly opts: SessionOptions;
  /** Our BGP identifier: `routerId`, or MetalLB's fallback re-derived for each connection. */
  private localId: IPAddress;
  /** Whether the next OPEN sets the graceful-restart R bit (first OPEN after a restart only). */
  private restarting: boolean;
  private fsmCfg: FsmConfig;
  private fsm: FsmState = initialFsmState;
  private readonly timers = new Map<TimerKind, TimerHandle>();
  private conn?: Connection;
  private attempt?: ConnectAttempt;
  private framer = new Framer();
  private readonly rib = new AdjRibOut();
  /** The routes given to {@link setRoutes}, duplicates merged; next hops possibly left to us. */
  private wanted: Route[] = [];
  /** setRoutes was called once (or `awaitRoutes` is off): the initial set may go out. */
  private routesGiven: boolean;
  /** Established while `routesGiven` was false: the initial set and End-of-RIB are owed. */
  private initialOwed = false;
  /** Next-hop-self per family, from the current (or last) connection; undefined before any. */
  private nextHops?: NextHops;
  /** The last negotiation, for `family-not-negotiated`. */
  private lastNegotiated?: Negotiated;
  private unsendable: UnsendableRoute[] = [];
  private unsendableKey = '';
  private negotiated?: Negotiated;
  private counters = zeroCounters();
  private lastTransition?: StateChange & { at: number };
  private lastSent?: NotificationInfo;
  private lastReceived?: NotificationInfo;
  private lastError?: { message: string; at: number };
  /** UPDATEs waiting to be written, in order (End-of-RIB markers flagged). */
  private outbox: { update: Update; eor?: AfiSafi }[] = [];
  private pumpTimer?: TimerHandle;
  /** RFC 7606 issues of the UPDATE being dispatched (reported with `update-received`). */
  private pendingIssues: BgpDecodeError[] = [];
  private queue: FsmEvent[] = [];
  private dispatching = false;
  private closeWaiters: (() => void)[] = [];
  /** An inbound connection waiting for its OPEN to resolve a collision (RFC 4271 §6.8). */
  private candidate?: { conn: Connection; framer: Framer };

  constructor(options: SessionOptions, private readonly c: SessionComponents) {
    super();
    validateSessionOptions(options);
    this.opts = { ...options };
    this.name = options.name ?? `${options.peerAddress}:${options.peerPort ?? SESSION_DEFAULTS.peerPort}`;
    this.localId = initialRouterId(options);
    this.restarting = options.gracefulRestart?.restarting ?? false;
    this.routesGiven = !options.awaitRoutes;
    this.fsmCfg = this.buildFsmConfig();
  }

  private buildFsmConfig(): FsmConfig {
    return sessionFsmConfig(this.opts, this.restarting, this.localId);
  }

  /**
   * MetalLB's router-ID fallback for a new connection (when `routerId` is not set): its local
   * IPv4 address, or for an IPv6 connection the first IPv4 address of its interface, else the
   * CRC-32 of `nodeName`. Rebuilds our OPEN when the ID changes; called before the OPEN is sent.
   */
  private deriveRouterId(conn: Connection): void {
    if (this.opts.routerId !== undefined) return;
    const local = IPAddress.tryParse(conn.localAddress);
    let v4: IPAddress | undefined = local?.isV4 || local?.isIPv4Mapped() ? local : undefined;
    if (!v4 && local) {
      v4 = (this.c.transport.interfaceAddresses?.(conn.localAddress) ?? []).map((a) => IPAddress.tryParse(a)).find((a) => a?.isV4);
    }
    const r = routerIdFor({ localIPv4: v4, nodeName: this.opts.nodeName });
    if (r && !r.id.equals(this.localId)) {
      this.localId = r.id;
      this.fsmCfg = this.buildFsmConfig();
    }
  }

  /** The FSM state name. */
  get state(): StateName {
    return this.fsm.name;
  }

  /** Options this session was built with (a copy). */
  get options(): Readonly<SessionOptions> {
    return { ...this.opts };
  }

  /** Starts connecting (or waiting, when passive); reconnects automatically until {@link stop}. */
  start(): void {
    this.dispatch({ type: 'manual-start' });
  }

  /**
   * Stops the session: a NOTIFICATION Cease (Administrative Shutdown by default) then TCP close.
   * With `graceful: true` no NOTIFICATION is sent, so a graceful-restart peer keeps our routes
   * as stale until we come back (RFC 4724). Resolves once the connection is closed.
   */
  stop(opts: { graceful?: boolean; ceaseSubcode?: number } = {}): Promise<void> {
    const conn = this.conn;
    const done = conn ? new Promise<void>((r) => this.closeWaiters.push(r)) : Promise.resolve();
    const ev: FsmEvent = { type: 'manual-stop' };
    if (opts.graceful) ev.graceful = true;
    if (opts.ceaseSubcode !== undefined) ev.ceaseSubcode = opts.ceaseSubcode;
    this.dispatch(ev);
    this.stopTimer('idle-hold');
    this.candidate?.conn.destroy();
    this.candidate = undefined;
    return done;
  }

  /**
   * Replaces the routes to advertise. When Established, sends only the difference (new or
   * changed prefixes, withdrawals), packing prefixes with equal attributes into one UPDATE.
   * Never resets the session. @throws {SessionConfigError} for a route the wire cannot carry.
   */
  setRoutes(routes: Iterable<Route>): void {
    const list = [...routes];
    const fams = sessionFamilies(this.opts);
    for (const r of list) checkSessionRoute(r, fams);
    this.wanted = mergeDuplicateRoutes(list);
    this.routesGiven = true;
    this.applyRoutes();
    if (this.initialOwed && this.negotiated && this.fsm.name === 'established') this.sendInitial(this.negotiated);
    else if (this.fsm.name === 'established') this.flush();
  }

  /** The routes last given to {@link setRoutes} (duplicates merged; next hops as given). */
  routes(): Route[] {
    return [...this.wanted];
  }

  /**
   * Resolves next-hop-self with the current next hops, hands the sendable routes to the
   * Adj-RIB-Out and refreshes the unsendable list (emitting `unsendable` when it changes).
   */
  private applyRoutes(): void {
    let unsendable: UnsendableRoute[] = [];
    if (this.nextHops) {
      const r = resolveNextHops(this.wanted, this.nextHops, `the session to ${this.name}`);
      this.rib.setDesired(r.routes);
      unsendable = r.unsendable;
    } else {
      this.rib.setDesired(this.wanted.filter((r) => r.nextHop)); // next-hop-self waits for a connection
    }
    const n = this.lastNegotiated;
    if (n) {
      for (const r of this.wanted) {
        const f = familyOf(r.prefix);
        if (!n.families.some((x) => x.afi === f.afi && x.safi === f.safi)) {
          unsendable.push({ prefix: r.prefix.toString(), reason: 'family-not-negotiated', message: `${r.prefix} is not sent: the peer ${this.name} did not negotiate ${r.prefix.family} unicast (check its address families)` });
        }
      }
    }
    const key = unsendable.map((u) => `${u.prefix} ${u.reason}`).join(',');
    this.unsendable = unsendable;
    if (key !== this.unsendableKey) {
      this.unsendableKey = key;
      this.emit('unsendable', unsendable);
    }
  }

  /**
   * Next-hop-self for a new connection: its local address for its own family; for the other,
   * `nextHopV4`/`nextHopV6`, else this node's address of that family on the connection's
   * interface (global scope, not loopback), else none. Called before the OPEN is sent.
   */
  private deriveNextHops(conn: Connection): void {
    let local = IPAddress.tryParse(conn.localAddress);
    if (local?.isIPv4Mapped()) local = IPAddress.fromBigInt('IPv4', local.value & 0xffffffffn);
    if (!local) return;
    const iface = () => (this.c.transport.interfaceAddresses?.(local.toString()) ?? []).map((a) => IPAddress.tryParse(a)).filter((a): a is IPAddress => !!a && usableNextHop(a));
    const other = (fam: 'IPv4' | 'IPv6', configured: string | undefined) => (configured !== undefined ? IPAddress.parse(configured) : iface().find((a) => a.family === fam));
    const nh: NextHops = local.isV4 ? { ipv4: local, ipv6: other('IPv6', this.opts.nextHopV6) } : { ipv6: local, ipv4: other('IPv4', this.opts.nextHopV4) };
    const same = (a?: IPAddress, b?: IPAddress) => (a && b ? a.equals(b) : a === b);
    if (this.nextHops && same(this.nextHops.ipv4, nh.ipv4) && same(this.nextHops.ipv6, nh.ipv6)) return;
    this.nextHops = nh;
    this.applyRoutes();
  }

  /** Asks the peer to re-send its routes (RFC 2918), if it supports ROUTE-REFRESH. */
  requestRefresh(family: Family = 'ipv4-unicast'): boolean {
    if (this.fsm.name !== 'established' || !this.negotiated?.routeRefresh) return false;
    const f = familyAfiSafi(family);
    this.send({ type: 'route-refresh', afi: f.afi, safi: f.safi, subtype: 0 });
    return true;
  }

  /** A snapshot for status and metrics. */
  status(): SessionStatus {
    const s: SessionStatus = {
      name: this.name,
      state: this.fsm.name,
      counters: { ...this.counters },
      routerId: this.localId.toString(),
      advertisedPrefixes: this.rib.advertisedCount,
      desiredPrefixes: this.wanted.length,
      unsendable: [...this.unsendable],
    };
    if (this.nextHops?.ipv4 || this.nextHops?.ipv6) {
      s.nextHops = {};
      if (this.nextHops.ipv4) s.nextHops.ipv4 = this.nextHops.ipv4.toString();
      if (this.nextHops.ipv6) s.nextHops.ipv6 = this.nextHops.ipv6.toString();
    }
    if (this.lastTransition) s.lastTransition = this.lastTransition;
    if (this.negotiated && this.fsm.name === 'established') s.negotiated = this.negotiated;
    if (this.lastSent) s.lastNotificationSent = this.lastSent;
    if (this.lastReceived) s.lastNotificationReceived = this.lastReceived;
    if (this.lastError) s.lastError = this.lastError;
    if (this.conn) {
      s.localAddress = this.conn.localAddress;
      s.localPort = this.conn.localPort;
    }
    return s;
  }

  /**
   * Hands an inbound connection from the peer to this session (called by {@link BgpListener}).
   * Resolves connection collisions by BGP identifier (RFC 4271 §6.8).
   */
  acceptConnection(conn: Connection): void {
    const st = this.fsm.name;
    if (st === 'idle') {
      conn.destroy();
      return;
    }
    if ((st === 'connect' || st === 'active') && this.fsm.initiatedLocally === undefined) {
      this.attempt?.cancel();
      this.attempt = undefined;
      this.conn?.destroy();
      this.attach(conn);
      this.dispatch({ type: 'tcp-connected', direction: 'inbound' });
      return;
    }
    if (st === 'established' || this.candidate || st === 'connect' || st === 'active') {
      // Established, a collision already pending, or a DelayOpen connection waiting: refuse.
      this.refuse(conn);
      return;
    }
    // OpenSent / OpenConfirm: wait for the newcomer's OPEN, then compare identifiers.
    const framer = new Framer();
    this.candidate = { conn, framer };
    conn.setHandlers({
      onData: (chunk) => {
        if (this.candidate?.conn !== conn) return;
        try {
          for (const f of framer.push(chunk)) {
            const { message } = decodeMessage(f, { fourOctetAs: false });
            if (message.type === 'open') return this.resolveCandidate(conn, message, framer);
          }
        } catch {
          this.candidate = undefined;
          conn.destroy();
        }
      },
      onClose: () => {
        if (this.candidate?.conn === conn) this.candidate = undefined;
      },
    });
  }

  private refuse(conn: Connection): void {
    conn.setHandlers({ onData: () => {}, onClose: () => {} });
    conn.write(encodeMessage({ type: 'notification', code: ErrCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION_RESOLUTION, data: new Uint8Array(0) }, { fourOctetAs: false }));
    conn.end();
  }

  private resolveCandidate(conn: Connection, open: Open, framer: Framer): void {
    this.candidate = undefined;
    const st = this.fsm.name;
    if (st === 'established') {
      // RFC 4271 §6.8: a collision with an Established connection closes the new one.
      this.refuse(conn);
      return;
    }
    // A connection of ours is up: OpenSent/OpenConfirm, or Connect/Active waiting for DelayOpen.
    const existingLocal = this.fsm.initiatedLocally;
    const existingAlive = st === 'open-sent' || st === 'open-confirm' || existingLocal !== undefined;
    if (existingAlive && resolveCollision(this.localId.value, open.bgpId.value, existingLocal ?? true) === 'keep-existing') {
      this.refuse(conn);
      return;
    }
    // The newcomer wins: dump the existing connection, adopt the new one, replay its OPEN.
    if (existingAlive) this.dispatch({ type: 'collision-dump' });
    this.attempt?.cancel();
    this.attempt = undefined;
    this.attach(conn, framer);
    this.dispatch({ type: 'collision-adopted' });
    this.counters.opensReceived++;
    this.counters.messagesReceived++;
    this.dispatch({ type: 'message', message: open });
  }

  // ---- driver internals -------------------------------------------------------------------

  private dispatch(e: FsmEvent): void {
    this.queue.push(e);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.queue.length > 0) {
        const ev = this.queue.shift()!;
        const from = this.fsm.name;
        const t = step(this.fsm, ev, this.fsmCfg);
        this.fsm = t.state;
        if (t.reason && (from !== t.state.name || t.reason === 'connect-retry-expired')) {
          const change: StateChange = { from, to: t.state.name, reason: t.reason };
          this.lastTransition = { ...change, at: this.c.clock.now() };
          this.emit('state', change);
        }
        for (const a of t.actions) this.perform(a);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private perform(a: FsmAction): void {
    switch (a.type) {
      case 'connect':
        this.connect();
        return;
      case 'close':
        this.closeConnection();
        return;
      case 'send':
        this.send(a.message);
        return;
      case 'start-timer':
        this.startTimer(a.timer, a.ms);
        return;
      case 'stop-timer':
        this.stopTimer(a.timer);
        return;
      case 'established':
        this.onEstablished(a.negotiated);
        return;
      case 'down':
        this.rib.reset();
        return;
      case 'update-received': {
        const eor = endOfRibFamily(a.update);
        const ev: SessionEvents['update-received'] = { announced: announcedPrefixes(a.update).length, withdrawn: withdrawnPrefixes(a.update).length, issues: this.pendingIssues };
        this.pendingIssues = [];
        if (eor) ev.endOfRib = eor;
        this.emit('update-received', ev);
        return;
      }
      case 'route-refresh-received':
        // RFC 2918: re-send everything we advertise in that family.
        this.rib.reset({ afi: a.afi, safi: a.safi });
        this.flush();
        return;
      case 'notification-received': {
        const info = this.notificationInfo('received', a.notification);
        this.lastReceived = info;
        this.emit('notification', info);
        return;
      }
      default:
        assertNever(a, 'FSM action');
    }
  }

  private notificationInfo(direction: 'sent' | 'received', n: Notification): NotificationInfo {
    return { direction, code: n.code, subcode: n.subcode, codeName: errorCodeName(n.code), data: n.data, at: this.c.clock.now() };
  }

  private peerContext(): PeerContext {
    const n = this.negotiated!;
    return { localAsn: this.opts.localAsn, ibgp: n.ibgp, fourOctetAs: n.fourOctetAs, families: n.families };
  }

  private onEstablished(n: Negotiated): void {
    this.negotiated = n;
    this.lastNegotiated = n;
    this.applyRoutes();
    this.counters.establishedTransitions++;
    if (this.restarting) {
      // The R bit is for the first OPEN after a restart only (RFC 4724 §3).
      this.restarting = false;
      this.fsmCfg = this.buildFsmConfig();
    }
    this.emit('established', n);
    this.rib.reset();
    if (this.routesGiven) this.sendInitial(n);
    else this.initialOwed = true; // awaitRoutes: nothing until the owner has the whole set
  }

  /** The initial set, then End-of-RIB for every family (RFC 4724 §2). */
  private sendInitial(n: Negotiated): void {
    this.initialOwed = false;
    this.flush();
    for (const f of n.families) this.outbox.push({ update: endOfRib(f.afi, f.safi), eor: f });
    this.pump();
  }

  /**
   * Writes queued UPDATEs in order, {@link PUMP_BATCH} per event-loop turn: a large initial set
   * is encoded while the peer already digests the first messages (on 2 cores, the sum of both
   * becomes roughly the larger of the two). Small sets go out synchronously.
   */
  private pump(): void {
    if (this.pumpTimer) return; // a turn is already scheduled; it keeps the order
    let n = 0;
    while (this.outbox.length > 0 && n++ < PUMP_BATCH) {
      const item = this.outbox.shift()!;
      if (!this.send(item.update)) {
        this.outbox = [];
        break;
      }
      if (item.eor) this.emit('sent', { type: 'end-of-rib', afi: item.eor.afi, safi: item.eor.safi });
    }
    if (this.outbox.length > 0 && !this.pumpTimer) {
      this.pumpTimer = this.c.clock.setTimer(0, () => {
        this.pumpTimer = undefined;
        this.pump();
      });
    }
  }

  /** Sends the Adj-RIB-Out difference. */
  private flush(): void {
    if (!this.negotiated || this.fsm.name !== 'established' || this.initialOwed) return;
    const ctx = this.peerContext();
    const diff = this.rib.pending(ctx);
    if (diff.announce.length === 0 && diff.withdraw.length === 0) return;
    for (const update of buildUpdates(diff, ctx)) this.outbox.push({ update });
    this.rib.commit(diff, ctx);
    const sent: SentInfo = { type: 'update', announcedCount: diff.announce.length, withdrawnCount: diff.withdraw.length };
    if (diff.announce.length + diff.withdraw.length <= SENT_LIST_LIMIT) {
      sent.announced = diff.announce.map((r) => r.prefix.toString());
      sent.withdrawn = diff.withdraw.map((p) => p.toString());
    }
    this.emit('sent', sent);
    this.pump();
  }

  private send(m: BgpMessage): boolean {
    const conn = this.conn;
    if (!conn) return false;
    const ctx = { fourOctetAs: this.negotiated?.fourOctetAs ?? false };
    conn.write(encodeMessage(m, ctx));
    this.counters.messagesSent++;
    switch (m.type) {
      case 'open':
        this.counters.opensSent++;
        this.emit('sent', { type: 'open', holdTime: m.holdTime, capabilities: m.capabilities.map((c) => c.code) });
        break;
      case 'keepalive':
        this.counters.keepalivesSent++;
        break;
      case 'update':
        this.counters.updatesSent++;
        this.counters.prefixesAnnounced += announcedPrefixes(m).length;
        this.counters.prefixesWithdrawn += withdrawnPrefixes(m).length;
        break;
      case 'notification': {
        this.counters.notificationsSent++;
        const info = this.notificationInfo('sent', m);
        this.lastSent = info;
        this.emit('sent', { type: 'notification', code: m.code, subcode: m.subcode });
        this.emit('notification', info);
        break;
      }
      case 'route-refresh':
        this.counters.routeRefreshSent++;
        this.emit('sent', { type: 'route-refresh', afi: m.afi, safi: m.safi });
        break;
      default:
        assertNever(m, 'BGP message type');
    }
    return true;
  }

  private connect(): void {
    this.attempt?.cancel();
    const o = this.opts;
    const ttl = typeof o.ebgpMultihop === 'number' ? o.ebgpMultihop : o.ebgpMultihop === true ? 255 : undefined;
    const req: Parameters<Transport['connect']>[0] = { peerAddress: o.peerAddress, peerPort: o.peerPort ?? SESSION_DEFAULTS.peerPort };
    if (o.localAddress !== undefined) req.localAddress = o.localAddress;
    if (o.localPort !== undefined) req.localPort = o.localPort;
    if (o.password !== undefined) req.password = o.password;
    if (ttl !== undefined) req.ttl = ttl;
    const attempt = this.c.transport.connect(req, (err, conn) => {
      if (this.attempt !== attempt) {
        conn?.destroy();
        return;
      }
      this.attempt = undefined;
      if (err || !conn) {
        this.lastError = { message: err?.message ?? 'connect failed', at: this.c.clock.now() };
        this.dispatch({ type: 'tcp-failed', error: err?.message ?? 'connect failed' });
        return;
      }
      this.attach(conn);
      this.dispatch({ type: 'tcp-connected', direction: 'outbound' });
    });
    this.attempt = attempt;
  }

  private attach(conn: Connection, framer = new Framer()): void {
    this.conn = conn;
    this.deriveRouterId(conn);
    this.deriveNextHops(conn);
    this.framer = framer;
    conn.setHandlers({
      onData: (chunk) => this.onData(conn, chunk),
      onClose: () => {
        const waiters = this.closeWaiters.splice(0);
        if (this.conn === conn) {
          this.conn = undefined;
          this.dispatch({ type: 'tcp-failed', error: 'connection closed' });
        }
        for (const w of waiters) w();
      },
    });
  }

  private onData(conn: Connection, chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
    } catch (e) {
      if (this.conn === conn) this.dispatch({ type: 'decode-error', error: e as BgpDecodeError });
      return;
    }
    for (const f of frames) {
      if (this.conn !== conn) return; // the FSM dropped this connection mid-batch
      let decoded;
      try {
        decoded = decodeMessage(f, { fourOctetAs: this.fsm.negotiated?.fourOctetAs ?? false });
      } catch (e) {
        if (!(e instanceof BgpDecodeError)) throw e;
        this.dispatch({ type: 'decode-error', error: e });
        return;
      }
      const m = decoded.message;
      this.counters.messagesReceived++;
      switch (m.type) {
        case 'open':
          this.counters.opensReceived++;
          break;
        case 'update':
          this.counters.updatesReceived++;
          if (decoded.issues.length > 0) this.counters.malformedUpdates++;
          break;
        case 'keepalive':
          this.counters.keepalivesReceived++;
          break;
        case 'notification':
          this.counters.notificationsReceived++;
          break;
        case 'route-refresh':
          this.counters.routeRefreshReceived++;
          break;
        default:
          assertNever(m, 'BGP message type');
      }
      this.pendingIssues = decoded.issues;
      this.dispatch({ type: 'message', message: m });
      this.pendingIssues = [];
    }
  }

  private closeConnection(): void {
    this.attempt?.cancel();
    this.attempt = undefined;
    this.outbox = [];
    this.pumpTimer?.cancel();
    this.pumpTimer = undefined;
    const conn = this.conn;
    if (!conn) return;
    this.conn = undefined;
    this.negotiated = undefined;
    this.initialOwed = false;
    conn.end();
    // onClose still resolves stop() waiters; the FSM already knows the connection is gone.
    conn.setHandlers({
      onData: () => {},
      onClose: () => {
        for (const w of this.closeWaiters.splice(0)) w();
      },
    });
  }

  private startTimer(kind: TimerKind, ms: number): void {
    this.stopTimer(kind);
    // RFC 4271 §10: jitter ConnectRetry and Keepalive (and our restart back-off) by up to 25 %.
    const delay = kind === 'hold' || kind === 'delay-open' ? ms : jitterDown(this.c.rng, ms, 0.25);
    const h = this.c.clock.setTimer(delay, () => {
      if (this.timers.get(kind) !== h) return;
      this.timers.delete(kind);
      this.dispatch({ type: 'timer-expired', timer: kind });
    });
    this.timers.set(kind, h);
  }

  private stopTimer(kind: TimerKind): void {
    this.timers.get(kind)?.cancel();
    this.timers.delete(kind);
  }
}

/** Whether an interface address may serve as a next hop: not loopback, link-local or unspecified. */
function usableNextHop(a: IPAddress): boolean {
  if (a.value === 0n) return false;
  if (a.isV4) return a.value >> 24n !== 127n && a.value >> 16n !== 0xa9fen; // 127/8, 169.254/16
  return a.value !== 1n && a.value >> 118n !== 0x3fan && !a.isIPv4Mapped(); // ::1, fe80::/10
}
