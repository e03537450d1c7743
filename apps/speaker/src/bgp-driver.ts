/**
 * The BGP driver: one `@metallb-ts/bgp-speaker` session per desired BGPPeer, kept across
 * configuration changes that do not touch its parameters (§7.1), fed the core's routes for it
 * (incremental UPDATEs only, never a reset for a route change), with MetalLB's per-peer metrics.
 */
import type { Logger } from '@metallb-ts/app-runtime';
import { createNodeSession, metallbMetrics, type BgpSession, type Route, type SessionOptions, type UnsendableRoute } from '@metallb-ts/bgp-speaker';
import { IPAddress } from '@metallb-ts/netaddr';
import type { DesiredSession, PeerRoute } from './core/index.js';
import type { SpeakerMetrics } from './metrics.js';

/** MetalLB's `peer` label: `ip:port` (`[ip]:port` for IPv6). */
export function peerLabel(p: DesiredSession['peer']): string {
  const a = p.address!;
  return a.isV6 ? `[${a}]:${p.port}` : `${a}:${p.port}`;
}

/** Session options from a validated BGPPeer (§7.1). */
export function sessionOptions(d: DesiredSession, nodeName: string, nodeAddresses: readonly string[]): SessionOptions {
  const p = d.peer;
  const v4 = nodeAddresses.find((a) => IPAddress.tryParse(a)?.isV4);
  const v6 = nodeAddresses.find((a) => IPAddress.tryParse(a)?.isV6);
  return {
    name: d.name,
    peerAddress: p.address!.toString(),
    peerPort: p.port,
    ...(p.sourceAddress ? { localAddress: p.sourceAddress.toString() } : {}),
    localAsn: p.myASN,
    peerAsn: p.dynamicASN ?? p.peerASN,
    ...(p.routerID ? { routerId: p.routerID.toString() } : {}),
    nodeName,
    ...(p.holdTimeMs !== undefined ? { holdTime: Math.floor(p.holdTimeMs / 1000) } : {}),
    ...(p.keepaliveTimeMs !== undefined ? { keepaliveTime: Math.floor(p.keepaliveTimeMs / 1000) } : {}),
    // No connectTime: reconnect as MetalLB's native speaker (0 s, then 1, 2, 4 s… up to 120 s);
    // with one, RFC 4271's ConnectRetryTime paces the attempts.
    ...(p.connectTimeMs !== undefined ? { connectRetryTime: Math.floor(p.connectTimeMs / 1000) } : { reconnect: 'backoff' as const }),
    ...(p.password ? { password: p.password } : {}),
    ...(p.ebgpMultiHop ? { ebgpMultihop: true } : {}),
    ...(p.enableGracefulRestart ? { gracefulRestart: { restartTime: 120 } } : {}),
    ...(p.vrf ? { vrf: p.vrf } : {}),
    ...(v4 ? { nextHopV4: v4 } : {}),
    ...(v6 ? { nextHopV6: v6 } : {}),
    // A session opened before the first pass sends nothing until that pass gives its routes
    // (the driver gives them at once to a session opened during a pass).
    awaitRoutes: true,
  };
}

/**
 * The routes of one peer as the session takes them. No `nextHop`: the session applies
 * next-hop-self (the connection's local address for its family; for the other family
 * `nextHopV4`/`nextHopV6`, i.e. this node's address, else the route is reported unsendable).
 */
export function toRoutes(routes: readonly PeerRoute[]): Route[] {
  return routes.map((r) => ({ prefix: r.prefix, ...(r.localPref !== undefined ? { localPref: r.localPref } : {}), ...(r.communities.length ? { communities: r.communities } : {}) }));
}

interface Running {
  desired: DesiredSession;
  session: BgpSession;
  label: string;
  routes: readonly PeerRoute[];
  updatesSeen: number;
}

/** Options of {@link BgpDriver}. */
export interface BgpDriverOptions {
  log: Logger;
  nodeName: string;
  metrics?: SpeakerMetrics;
  /** @default createNodeSession */
  createSession?(o: SessionOptions): BgpSession;
  /** A peer's unsendable routes changed (the full list; empty when all are sent again). */
  onUnsendable?(peer: string, routes: readonly UnsendableRoute[]): void;
}

/** The BGP driver. */
export class BgpDriver {
  private readonly sessions = new Map<string, Running>();
  private nodeAddresses: readonly string[] = [];

  constructor(private readonly opts: BgpDriverOptions) {
    opts.metrics?.onScrape(() => this.updateMetrics());
  }

  /** Peer names with a session object (for ServiceBGPStatus). */
  get peers(): string[] {
    return [...this.sessions.keys()].sort();
  }

  /**
   * Makes the running sessions match `desired` and hands each its routes. A session whose key is
   * unchanged is kept as it is; one whose parameters changed is closed and re-opened; one no
   * longer desired is closed with a Cease.
   */
  sync(desired: ReadonlyMap<string, DesiredSession>, routes: ReadonlyMap<string, readonly PeerRoute[]>, nodeAddresses: readonly string[]): void {
    const addrsChanged = nodeAddresses.join(',') !== this.nodeAddresses.join(',');
    this.nodeAddresses = nodeAddresses;
    for (const [name, r] of [...this.sessions]) {
      const d = desired.get(name);
      if (d && d.key === r.desired.key && !addrsChanged) continue;
      this.close(name, r, d ? 'parameters changed' : 'peer removed or not selected for this node');
    }
    for (const [name, d] of desired) {
      let r = this.sessions.get(name);
      if (!r) {
        const created = this.open(d);
        if (!created) continue;
        r = created;
      }
      r.routes = routes.get(name) ?? [];
      this.push(r);
    }
  }

  /**
   * Startup, before the first pass: opens the sessions `desired` names that are not open yet.
   * They connect and reach Established but send nothing (`awaitRoutes`) until {@link sync}
   * hands them the whole set; a session the first pass no longer wants, or wants with other
   * parameters, is closed there having announced nothing.
   */
  openEarly(desired: ReadonlyMap<string, DesiredSession>, nodeAddresses: readonly string[]): void {
    this.nodeAddresses = nodeAddresses;
    for (const [name, d] of desired) if (!this.sessions.has(name)) this.open(d);
  }

  /** Closes every session with a Cease (shutdown): routers withdraw our routes at once. */
  async stopAll(): Promise<void> {
    const all = [...this.sessions];
    this.sessions.clear();
    await Promise.all(
      all.map(async ([name, r]) => {
        try {
          await r.session.stop();
        } catch (e) {
          this.opts.log.warn('BGP session stop failed', { op: 'bgp', peer: name, error: (e as Error).message });
        }
        this.opts.metrics?.removePeer(r.label);
      }),
    );
  }

  private open(d: DesiredSession): Running | undefined {
    let session: BgpSession;
    try {
      session = (this.opts.createSession ?? createNodeSession)(sessionOptions(d, this.opts.nodeName, this.nodeAddresses));
    } catch (e) {
      this.opts.log.error('BGP session refused', { op: 'bgp', peer: d.name, error: (e as Error).message });
      return undefined;
    }
    const r: Running = { desired: d, session, label: peerLabel(d.peer), routes: [], updatesSeen: 0 };
    session.on('state', ({ from, to, reason }) => {
      this.opts.log.info('BGP session state', { op: 'bgp', peer: d.name, address: r.label, from, to, reason, ...(session.status().lastError ? { error: session.status().lastError!.message } : {}) });
    });
    session.on('unsendable', (list) => {
      if (list.length) this.opts.log.warn('routes not sent to a peer', { op: 'bgp', peer: d.name, routes: list.map((u) => `${u.prefix}: ${u.reason}`) });
      this.opts.onUnsendable?.(d.name, list);
    });
    session.on('notification', (n) => this.opts.log.warn('BGP NOTIFICATION', { op: 'bgp', peer: d.name, direction: n.direction, code: n.code, subcode: n.subcode, name: n.codeName }));
    this.sessions.set(d.name, r);
    session.start();
    this.opts.log.info('BGP session opened', { op: 'bgp', peer: d.name, address: r.label });
    return r;
  }

  private close(name: string, r: Running, why: string): void {
    this.sessions.delete(name);
    this.opts.metrics?.removePeer(r.label);
    this.opts.log.info('BGP session closed', { op: 'bgp', peer: name, reason: why });
    void r.session.stop().catch((e) => this.opts.log.warn('BGP session stop failed', { op: 'bgp', peer: name, error: (e as Error).message }));
  }

  private push(r: Running): void {
    try {
      r.session.setRoutes(toRoutes(r.routes));
    } catch (e) {
      this.opts.log.error('routes refused by the BGP session', { op: 'bgp', peer: r.desired.name, error: (e as Error).message });
    }
  }

  private updateMetrics(): void {
    const m = this.opts.metrics;
    if (!m) return;
    for (const r of this.sessions.values()) {
      for (const s of metallbMetrics(r.session.status(), r.label)) {
        if (s.name === 'metallb_bgp_session_up') m.bgpSessionUp.set({ peer: r.label }, s.value);
        else if (s.name === 'metallb_bgp_announced_prefixes_total') m.bgpAnnounced.set({ peer: r.label }, s.value);
        else if (s.name === 'metallb_bgp_pending_prefixes_total') m.bgpPending.set({ peer: r.label }, s.value);
        else if (s.name === 'metallb_bgp_updates_total') {
          if (s.value > r.updatesSeen) m.bgpUpdates.inc({ peer: r.label }, s.value - r.updatesSeen);
          else m.bgpUpdates.inc({ peer: r.label }, 0);
          r.updatesSeen = s.value;
        }
      }
    }
  }
}
