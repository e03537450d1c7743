import type { BackoffOptions } from '@metallb-ts/clock';
import { IPAddress } from '@metallb-ts/netaddr';
import type { FsmConfig, ReconnectMode } from '../fsm/types.js';
import { familyOf } from '../rib/adj-rib-out.js';
import { checkRoute, type Route } from '../rib/route.js';
import { Afi, Safi } from '../wire/constants.js';
import { myAsField, type PeerAsnSpec } from '../wire/negotiate.js';
import type { AfiSafi, Capability, Open } from '../wire/types.js';
import { routerIdFor } from './router-id.js';

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
  /**
   * BGP identifier (IPv4). When unset, MetalLB's fallback ({@link routerIdFor}) picks it per
   * connection: the local IPv4 address of the connection (on an IPv6 connection, the first IPv4
   * address of its interface), else the CRC-32 of {@link nodeName}. One of `routerId` and
   * `nodeName` is required.
   */
  routerId?: string;
  /** This node's name, for the router-ID fallback (MetalLB's `node1` → 64.37.239.133). */
  nodeName?: string;
  /**
   * A VRF name. Not supported by the native speaker (MetalLB needs its FRR modes for VRFs):
   * any non-empty value is refused with a {@link SessionConfigError}.
   */
  vrf?: string;
  /**
   * Next hop of routes without `nextHop` whose family is IPv4 while the connection is IPv6
   * (RFC 8950 IPv4-over-IPv6 next hops are not supported). When unset, this node's IPv4 address
   * on the session's interface is used, if the transport knows it; else such routes are not
   * sent and are listed in `status().unsendable` (reason `no-ipv4-next-hop`).
   */
  nextHopV4?: string;
  /**
   * Next hop of routes without `nextHop` whose family is IPv6 while the connection is IPv4
   * (sent in MP_REACH_NLRI). When unset, this node's global IPv6 address on the session's
   * interface is used, if the transport knows it; else such routes are not sent and are listed
   * in `status().unsendable` (reason `no-ipv6-next-hop`).
   */
  nextHopV6?: string;
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
  /**
   * How failed connection attempts are retried: `rfc4271` (RFC 4271 §8.2.2, ConnectRetryTime
   * after a connection closed in OpenSent) or `backoff` (every failure → Idle, retried after 0 s,
   * then `idleHold` doubling to its cap — MetalLB's native speaker). @default 'rfc4271'
   */
  reconnect?: ReconnectMode;
  /**
   * Open the session before the routes are known: once Established it sends nothing (no
   * initial UPDATEs, no End-of-RIB) until {@link BgpSession.setRoutes} was called once, then the
   * whole initial set and End-of-RIB. Lets an owner start its TCP and OPEN exchange while it is
   * still computing the set, without announcing a partial one. @default false
   */
  awaitRoutes?: boolean;
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

/** The AFI/SAFI pair of a {@link Family}. */
export function familyAfiSafi(f: Family): AfiSafi {
  return FAMILY[f];
}

/** The AFI/SAFI pairs a session negotiates (`families` or the default). */
export function sessionFamilies(o: Pick<SessionOptions, 'families'>): AfiSafi[] {
  return (o.families ?? SESSION_DEFAULTS.families).map((f) => FAMILY[f]);
}

/**
 * Checks every option a session is built from.
 * @throws {SessionConfigError} naming the first bad field and its allowed range.
 */
export function validateSessionOptions(o: SessionOptions): void {
  const asn = (v: number) => Number.isInteger(v) && v >= 1 && v <= 0xffffffff;
  if (!asn(o.localAsn)) throw new SessionConfigError('localAsn', `${o.localAsn} is not an ASN in 1..4294967295`);
  if (typeof o.peerAsn === 'number' && !asn(o.peerAsn)) throw new SessionConfigError('peerAsn', `${o.peerAsn} is not an ASN in 1..4294967295`);
  if (o.vrf !== undefined && o.vrf !== '') {
    throw new SessionConfigError('vrf', `VRF ${JSON.stringify(o.vrf)}: VRFs are not supported by the native speaker; remove vrf (peer from the default VRF) or use MetalLB's FRR mode`);
  }
  if (o.routerId !== undefined) {
    const id = IPAddress.tryParse(o.routerId);
    if (!id?.isV4 || id.value === 0n) throw new SessionConfigError('routerId', `${JSON.stringify(o.routerId)} is not a non-zero IPv4 address`);
  } else if (!o.nodeName) {
    throw new SessionConfigError('routerId', 'set routerId, or nodeName for the fallback (local IPv4 address, else CRC-32 of the node name)');
  }
  for (const [k, v, fam] of [['nextHopV4', o.nextHopV4, 'IPv4'], ['nextHopV6', o.nextHopV6, 'IPv6']] as const) {
    if (v !== undefined && IPAddress.tryParse(v)?.family !== fam) throw new SessionConfigError(k, `${JSON.stringify(v)} is not an ${fam} address`);
  }
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
  if (o.reconnect !== undefined && o.reconnect !== 'rfc4271' && o.reconnect !== 'backoff') throw new SessionConfigError('reconnect', `${String(o.reconnect)} is not 'rfc4271' or 'backoff'`);
  if (o.password !== undefined && Buffer.byteLength(o.password) > 80) throw new SessionConfigError('password', 'TCP MD5 keys are at most 80 bytes');
  const rt = o.gracefulRestart?.restartTime;
  if (rt !== undefined && (!Number.isInteger(rt) || rt < 0 || rt > 4095)) throw new SessionConfigError('gracefulRestart.restartTime', `${rt} is outside 0..4095`);
}

/**
 * Checks that a session negotiating `families` (see {@link sessionFamilies}) can advertise `route`.
 * @throws {SessionConfigError} for a route the wire cannot carry or whose family is not enabled.
 */
export function checkSessionRoute(route: Route, families: readonly AfiSafi[]): void {
  const why = checkRoute(route);
  if (why) throw new SessionConfigError(`route ${route.prefix}`, why);
  const f = familyOf(route.prefix);
  if (!families.some((x) => x.afi === f.afi)) throw new SessionConfigError(`route ${route.prefix}`, `family ${route.prefix.family} is not enabled on this session`);
}

/**
 * The router ID before any connection: `routerId`, else the `localAddress` option when IPv4,
 * else the CRC-32 of `nodeName` (sessions re-derive it from each connection's local address).
 */
export function initialRouterId(o: SessionOptions): IPAddress {
  const r = routerIdFor({ configured: o.routerId, localIPv4: o.localAddress, nodeName: o.nodeName });
  if (!r) throw new SessionConfigError('routerId', 'set routerId, or nodeName for the fallback');
  return r.id;
}

/**
 * The pure FSM settings for validated options: our OPEN (capabilities for the families, route
 * refresh, 4-octet AS and, when asked, graceful restart with the R bit set from `restarting`)
 * and the timers with their defaults.
 */
export function sessionFsmConfig(o: SessionOptions, restarting: boolean, routerId?: IPAddress): FsmConfig {
  const localId = routerId ?? initialRouterId(o);
  const families = sessionFamilies(o);
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
    bgpId: localId,
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
    ...(o.reconnect ? { reconnect: o.reconnect } : {}),
    localOpen,
    expectations: { localAsn: o.localAsn, peerAsn: o.peerAsn, localId },
  };
  if (o.keepaliveTime !== undefined) cfg.keepaliveTime = o.keepaliveTime;
  return cfg;
}
