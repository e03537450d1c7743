import { jitterDown, type BackoffOptions, type Clock, type Rng, type TimerHandle } from '@metallb-ts/clock';
import { IPAddress } from '@metallb-ts/netaddr';
import { resolveCollision, step, initialFsmState } from '../fsm/step.js';
import type { FsmAction, FsmConfig, FsmEvent, FsmState, StateName, TimerKind, TransitionReason } from '../fsm/types.js';
import { AdjRibOut, buildUpdates, familyOf, type PeerContext } from '../rib/adj-rib-out.js';
import { checkRoute, type Route } from '../rib/route.js';
import { Afi, CeaseSubcode, ErrCode, Safi } from '../wire/constants.js';
import { BgpDecodeError, errorCodeName } from '../wire/errors.js';
import { decodeMessage, encodeMessage, Framer } from '../wire/message.js';
import { myAsField, type Negotiated, type PeerAsnSpec } from '../wire/negotiate.js';
import type { AfiSafi, BgpMessage, Capability, Notification, Open, Update } from '../wire/types.js';
import { announcedPrefixes, endOfRib, endOfRibFamily, withdrawnPrefixes } from '../wire/update.js';
import { Emitter } from './emitter.js';
import type { Connection, ConnectAttempt, Transport } from './ports.js';

/** Address families a session can carry. */
export type Family = 'ipv4-unicast' | 'ipv6-unicast';

/** Graceful restart (RFC 4724) settings. */
export interface GracefulRestartOptions {
  /** Seconds the peer keeps our routes after the session drops (0–4095). @default 120 */
  restartTime?: number;
  /**
   * Set the Restart State (R) bit in our first OPEN: "I have restarted; hold my routes as
   * stale until my End-of-RIB". Use it when the process restarts during a rolling upgrade.
   * @default false
   */
  restarting?: boolean;
}

/** Everything that configures one session; durations in seconds. */
export interface SessionOptions {
  /** Peer address (IPv4 or IPv6). */
  peerAddress: string;
  /** @default 179 */
  peerPort?: number;
  /** Source address of our connection (must exist on this host). */
  localAddress?: string;
  /** Source port. @default ephemeral */
  localPort?: number;
  /** Our ASN (1–4294967295; 4-octet ASNs use AS_TRANS in "My AS"). */
  localAsn: number;
  /** The peer's ASN, or `'internal'`/`'external'` to accept any iBGP/eBGP peer (MetalLB dynamicASN). */
  peerAsn: PeerAsnSpec;
  /** BGP identifier (IPv4). */
  routerId: string;
  /** Proposed hold time, 0 or ≥ 3. @default 90 */
  holdTime?: number;
  /** Keepalive interval, capped at hold/3. @default hold/3 */
  keepaliveTime?: number;
  /** ConnectRetryTime. @default 10 */
  connectRetryTime?: number;
  /** Hold timer while waiting for the peer's OPEN. @default 240 */
  openHoldTime?: number;
  /** DelayOpen (RFC 4271 §8.1.1): wait this long for the peer's OPEN before sending ours; 0 = off. @default 0 */
  delayOpenTime?: number;
  /** RFC 2385 TCP MD5 password (needs the native addon). */
  password?: string;
  /**
   * eBGP multi-hop: `true` sends with TTL 255, a number sets that TTL. Without it, the OS
   * default TTL (64) is used, which also reaches multi-hop peers; set `ttl: 1` for strict
   * single-hop. Any explicit TTL needs the native addon.
   */
  ebgpMultihop?: boolean | number;
  /** Do not connect; wait for the peer (requires a {@link BgpListener}). @default false */
  passive?: boolean;
  /** Families to negotiate. @default ['ipv4-unicast', 'ipv6-unicast'] */
  families?: Family[];
  /** Advertise graceful restart (off by default: a dead node's routes would linger). */
  gracefulRestart?: GracefulRestartOptions;
  /** Back-off between automatic reconnects (ms). @default { initialMs: 1000, maxMs: 120000, factor: 2, jitter: 0 } */
  idleHold?: BackoffOptions;
  /** A name for logs and events. @default `${peerAddress}:${peerPort}` */
  name?: string;
}

/** The defaults of {@link SessionOptions}. */
export const SESSION_DEFAULTS = {
  peerPort: 179,
  holdTime: 90,
  connectRetryTime: 10,
  openHoldTime: 240,
  families: ['ipv4-unicast', 'ipv6-unicast'] as Family[],
  gracefulRestartTime: 120,
  idleHold: { initialMs: 1000, maxMs: 120_000, factor: 2 } as BackoffOptions,
} as const;

/** The ports a session uses. */
export interface SessionComponents {
  clock: Clock;
  rng: Rng;
  transport: Transport;
}

/** Per-session counters (the speaker maps them to `metallb_bgp_*` metrics). */
export interface SessionCounters {
  opensSent: number;
  opensReceived: number;
  updatesSent: number;
  updatesReceived: number;
  keepalivesSent: number;
  keepalivesReceived: number;
  notificationsSent: number;
  notificationsReceived: number;
  routeRefreshSent: number;
  routeRefreshReceived: number;
  /** All messages. */
  messagesSent: number;
  messagesReceived: number;
  /** Prefixes announced in UPDATEs sent (cumulative). */
  prefixesAnnounced: number;
  /** Prefixes withdrawn in UPDATEs sent (cumulative). */
  prefixesWithdrawn: number;
  /** Times the session reached Established. */
  establishedTransitions: number;
  /** Received UPDATE problems handled without a reset (RFC 7606). */
  malformedUpdates: number;
}

/** A NOTIFICATION with its direction and names, for events and status. */
export interface NotificationInfo {
  direction: 'sent' | 'received';
  code: number;
  subcode: number;
  /** `errorCodeName(code)`, e.g. `cease`. */
  codeName: string;
  data: Uint8Array;
  at: number;
}

/** A state change with its reason. */
export interface StateChange {
  from: StateName;
  to: StateName;
  reason: TransitionReason;
}

/** UPDATE messages written per event-loop turn when a large set is queued. */
export const PUMP_BATCH = 32;

/** Above this many prefixes in one batch, `sent` events carry counts only. */
export const SENT_LIST_LIMIT = 1000;

/** What was sent, as events report it (KEEPALIVEs are only counted). */
export type SentInfo =
  | { type: 'open'; holdTime: number; capabilities: Capability['code'][] }
  | {
      type: 'update';
      announcedCount: number;
      withdrawnCount: number;
      /** The prefixes, when the batch has at most {@link SENT_LIST_LIMIT} of them. */
      announced?: string[];
      withdrawn?: string[];
    }
  | { type: 'end-of-rib'; afi: number; safi: number }
  | { type: 'notification'; code: number; subcode: number }
  | { type: 'route-refresh'; afi: number; safi: number };

/** Events a session emits. */
export interface SessionEvents extends Record<string, unknown> {
  state: StateChange;
  established: Negotiated;
  sent: SentInfo;
  notification: NotificationInfo;
  'update-received': { announced: number; withdrawn: number; endOfRib?: AfiSafi; issues: BgpDecodeError[] };
}

/** A point-in-time view of a session. */
export interface SessionStatus {
  name: string;
  state: StateName;
  lastTransition?: StateChange & { at: number };
  negotiated?: Negotiated;
  counters: Readonly<SessionCounters>;
  /** Prefixes the peer has from us now (`metallb_bgp_announced_prefixes_total`). */
  advertisedPrefixes: number;
  /** Prefixes we want advertised (`metallb_bgp_pending_prefixes_total`). */
  desiredPrefixes: number;
  lastNotificationSent?: NotificationInfo;
  lastNotificationReceived?: NotificationInfo;
  localAddress?: string;
  localPort?: number;
  /** The last connection error (e.g. `connect ECONNREFUSED …`, `bind EADDRNOTAVAIL` for a source address not on this host). */
  lastError?: { message: string; at: number };
}

/** Invalid session options or routes; says what to change. */
export class SessionConfigError extends Error {
  override name = 'SessionConfigError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid ${field}: ${reason}`);
  }
}

const FAMILY: Record<Family, AfiSafi> = { 'ipv4-unicast': { afi: Afi.IPV4, safi: Safi.UNICAST }, 'ipv6-unicast': { afi: Afi.IPV6, safi: Safi.UNICAST } };

function zeroCounters(): SessionCounters {
  return {
    opensSent: 0, opensReceived: 0, updatesSent: 0, updatesReceived: 0, keepalivesSent: 0, keepalivesReceived: 0,
    notificationsSent: 0, notificationsReceived: 0, routeRefreshSent: 0, routeRefreshReceived: 0, messagesSent: 0,
    messagesReceived: 0, prefixesAnnounced: 0, prefixesWithdrawn: 0, establishedTransitions: 0, malformedUpdates: 0,
  };
}

function validateOptions(o: SessionOptions): void {
  const asn = (v: number) => Number.isInteger(v) && v >= 1 && v <= 0xffffffff;
  if (!asn(o.localAsn)) throw new SessionConfigError('localAsn', `${o.localAsn} is not an ASN in 1..4294967295`);
  if (typeof o.peerAsn === 'number' && !asn(o.peerAsn)) throw new SessionConfigError('peerAsn', `${o.peerAsn} is not an ASN in 1..4294967295`);
  const id = IPAddress.tryParse(o.routerId);
  if (!id?.isV4 || id.value === 0n) throw new SessionConfigError('routerId', `${JSON.stringify(o.routerId)} is not a non-zero IPv4 address`);
  if (!IPAddress.tryParse(o.peerAddress)) throw new SessionConfigError('peerAddress', `${JSON.stringify(o.peerAddress)} is not an IP address`);
  if (o.localAddress !== undefined && !IPAddress.tryParse(o.localAddress)) throw new SessionConfigError('localAddress', `${JSON.stringify(o.localAddress)} is not an IP address`);
  const hold = o.holdTime ?? SESSION_DEFAULTS.holdTime;
  if (!Number.isInteger(hold) || hold < 0 || hold > 65535 || hold === 1 || hold === 2) throw new SessionConfigError('holdTime', `${hold} must be 0 or 3..65535 seconds`);
  for (const [k, v] of [['peerPort', o.peerPort], ['localPort', o.localPort]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 65535)) throw new SessionConfigError(k, `${v} is not a port`);
  }
  const mh = o.ebgpMultihop;
  if (typeof mh === 'number' && (!Number.isInteger(mh) || mh < 1 || mh > 255)) throw new SessionConfigError('ebgpMultihop', `TTL ${mh} is outside 1..255`);
  for (const [k, v] of [['keepaliveTime', o.keepaliveTime], ['connectRetryTime', o.connectRetryTime], ['openHoldTime', o.openHoldTime], ['delayOpenTime', o.delayOpenTime]] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new SessionConfigError(k, `${v} is not a non-negative number of seconds`);
  }
  if (o.password !== undefined && Buffer.byteLength(o.password) > 80) throw new SessionConfigError('password', 'TCP MD5 keys are at most 80 bytes');
  const rt = o.gracefulRestart?.restartTime;
  if (rt !== undefined && (!Number.isInteger(rt) || rt < 0 || rt > 4095)) throw new SessionConfigError('gracefulRestart.restartTime', `${rt} is outside 0..4095`);
}

/**
 * One BGP session to one peer: the thin driver around the pure {@link step} FSM. It turns socket
 * bytes and timers into FSM events, performs the FSM's actions, and keeps the peer's
 * Adj-RIB-Out in sync with {@link BgpSession.setRoutes} — never resetting the session for it.
 */
export class BgpSession extends Emitter<SessionEvents> {
  readonly name: string;
  private readonly opts: SessionOptions;
  private readonly localId: IPAddress;
  private fsmCfg: FsmConfig;
  private fsm: FsmState = initialFsmState;
  private readonly timers = new Map<TimerKind, TimerHandle>();
  private conn?: Connection;
  private attempt?: ConnectAttempt;
  private framer = new Framer();
  private readonly rib = new AdjRibOut();
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
    validateOptions(options);
    this.opts = { ...options };
    this.name = options.name ?? `${options.peerAddress}:${options.peerPort ?? SESSION_DEFAULTS.peerPort}`;
    this.localId = IPAddress.parse(options.routerId);
    this.fsmCfg = this.buildFsmConfig(options.gracefulRestart?.restarting ?? false);
  }

  private buildFsmConfig(restarting: boolean): FsmConfig {
    const o = this.opts;
    const families = (o.families ?? SESSION_DEFAULTS.families).map((f) => FAMILY[f]);
    const caps: Capability[] = families.map((f) => ({ code: 'multiprotocol', afi: f.afi, safi: f.safi }));
    caps.push({ code: 'route-refresh' }, { code: 'four-octet-as', asn: o.localAsn });
    if (o.gracefulRestart) {
      caps.push({
        code: 'graceful-restart',
        restarting,
        notification: false,
        restartTime: o.gracefulRestart.restartTime ?? SESSION_DEFAULTS.gracefulRestartTime,
        families: families.map((f) => ({ ...f, forwardingPreserved: false })),
      });
    }
    const localOpen: Open = {
      type: 'open',
      version: 4,
      myAs: myAsField(o.localAsn),
      holdTime: o.holdTime ?? SESSION_DEFAULTS.holdTime,
      bgpId: this.localId,
      capabilities: caps,
      otherParameters: [],
    };
    const cfg: FsmConfig = {
      passive: o.passive ?? false,
      connectRetryTime: o.connectRetryTime ?? SESSION_DEFAULTS.connectRetryTime,
      holdTime: localOpen.holdTime,
      openHoldTime: o.openHoldTime ?? SESSION_DEFAULTS.openHoldTime,
      delayOpenTime: o.delayOpenTime ?? 0,
      autoRestart: true,
      idleHold: o.idleHold ?? SESSION_DEFAULTS.idleHold,
      localOpen,
      expectations: { localAsn: o.localAsn, peerAsn: o.peerAsn, localId: this.localId },
    };
    if (o.keepaliveTime !== undefined) cfg.keepaliveTime = o.keepaliveTime;
    return cfg;
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
    const fams = (this.opts.families ?? SESSION_DEFAULTS.families).map((f) => FAMILY[f]);
    for (const r of list) {
      const why = checkRoute(r);
      if (why) throw new SessionConfigError(`route ${r.prefix}`, why);
      const f = familyOf(r.prefix);
      if (!fams.some((x) => x.afi === f.afi)) throw new SessionConfigError(`route ${r.prefix}`, `family ${r.prefix.family} is not enabled on this session`);
    }
    this.rib.setDesired(list);
    if (this.fsm.name === 'established') this.flush();
  }

  /** The routes last given to {@link setRoutes}. */
  routes(): Route[] {
    return this.rib.desiredRoutes();
  }

  /** Asks the peer to re-send its routes (RFC 2918), if it supports ROUTE-REFRESH. */
  requestRefresh(family: Family = 'ipv4-unicast'): boolean {
    if (this.fsm.name !== 'established' || !this.negotiated?.routeRefresh) return false;
    const f = FAMILY[family];
    this.send({ type: 'route-refresh', afi: f.afi, safi: f.safi, subtype: 0 });
    return true;
  }

  /** A snapshot for status and metrics. */
  status(): SessionStatus {
    const s: SessionStatus = {
      name: this.name,
      state: this.fsm.name,
      counters: { ...this.counters },
      advertisedPrefixes: this.rib.advertisedCount,
      desiredPrefixes: this.rib.desiredCount,
    };
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
    const existingLocal = this.fsm.initiatedLocally ?? true;
    const existingAlive = this.fsm.name === 'open-sent' || this.fsm.name === 'open-confirm';
    if (existingAlive && resolveCollision(this.localId.value, open.bgpId.value, existingLocal) === 'keep-existing') {
      this.refuse(conn);
      return;
    }
    // The newcomer wins: dump the existing connection, adopt the new one, replay its OPEN.
    if (existingAlive) this.dispatch({ type: 'collision-dump' });
    this.stopTimer('idle-hold');
    this.fsm = { name: 'active', connectRetryCounter: this.fsm.connectRetryCounter };
    this.attach(conn, framer);
    this.dispatch({ type: 'tcp-connected', direction: 'inbound' });
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
    this.counters.establishedTransitions++;
    if (this.opts.gracefulRestart?.restarting) {
      // The R bit is for the first OPEN after a restart only (RFC 4724 §3).
      this.fsmCfg = this.buildFsmConfig(false);
    }
    this.emit('established', n);
    this.rib.reset();
    this.flush();
    // End-of-RIB after the initial set, for every family (RFC 4724 §2).
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
    if (!this.negotiated || this.fsm.name !== 'established') return;
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
