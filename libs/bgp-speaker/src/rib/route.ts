import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import {
  communityFromValue,
  communityInRange,
  formatCommunity,
  isCommunityError,
  largeCommunity,
  parseCommunity,
  sortCommunities,
  WellKnownCommunity,
  type BgpCommunity,
  type LargeCommunity,
} from '../wire/community.js';

/** One route the caller wants advertised to a peer. */
export interface Route {
  /** The prefix (IPv4 goes in classic NLRI, IPv6 in MP_REACH_NLRI). */
  prefix: Cidr;
  /**
   * NEXT_HOP; same family as `prefix`. Leave it out for **next-hop-self**: the session uses its
   * connection's local address when the families match, else `nextHopV4`/`nextHopV6` or this
   * node's address of that family on the session's interface (see {@link resolveNextHops}).
   * Avoid 127/8: routers refuse it (FRR resets the session).
   */
  nextHop?: IPAddress;
  /** IPv6 only: a link-local next hop sent beside the global one (RFC 2545). */
  linkLocalNextHop?: IPAddress;
  /**
   * LOCAL_PREF, sent to iBGP peers only. `undefined` means not configured: iBGP peers get
   * {@link DEFAULT_LOCAL_PREF} (100, what routers assume; the attribute is mandatory on iBGP and
   * FRR withdraws an UPDATE without it), unlike MetalLB's native mode, which sends 0. `0` is a
   * real value and is sent as 0 (least preferred).
   */
  localPref?: number;
  /** MULTI_EXIT_DISC, when set. */
  med?: number;
  /**
   * Communities, standard and large in one list (the shared {@link BgpCommunity} type, as
   * `@metallb-ts/config` gives them): standard ones go in COMMUNITIES, large ones in
   * LARGE_COMMUNITY. Order and repeats carry no meaning (sent sorted, each once).
   */
  communities?: readonly BgpCommunity[];
}

/**
 * The LOCAL_PREF sent to iBGP peers for a {@link Route} without `localPref` (the value FRR, BIRD
 * and gobgpd use by default).
 */
export const DEFAULT_LOCAL_PREF = 100;

/** A refusal to parse a route option. */
export class RouteParseError extends Error {
  override name = 'RouteParseError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid ${JSON.stringify(input)}: ${reason}`);
  }
}

function u(text: string, max: number, input: string): number {
  if (!/^\d+$/.test(text)) throw new RouteParseError(input, `"${text}" is not a decimal number`);
  const v = Number(text);
  if (v > max) throw new RouteParseError(input, `${v} exceeds ${max}`);
  return v;
}

/**
 * Parses a community of the `--route` syntax: `A:B` (16-bit each), `large:G:L1:L2`, or a
 * well-known name (`no-export`, `no-advertise`, `no-export-subconfed`, `blackhole`,
 * `graceful-shutdown`). @throws {RouteParseError} with a one-line reason.
 */
export function parseRouteCommunity(text: string): BgpCommunity {
  const known = (WellKnownCommunity as Record<string, BgpCommunity>)[text];
  if (known !== undefined) return known;
  const parts = text.split(':');
  if (parts.length === 2) {
    // The numeric checks of `u` give the precise reason ("exceeds 65535", "not a decimal number").
    return communityFromValue(u(parts[0]!, 0xffff, text) * 65536 + u(parts[1]!, 0xffff, text));
  }
  const c = parseCommunity(text);
  if (isCommunityError(c)) throw new RouteParseError(text, 'a community is A:B with 16-bit A and B, large:G:L1:L2, or a well-known name');
  return c;
}

/** Parses `G:L1:L2` (32-bit each, the `large-communities=` syntax) into a large community. @throws {RouteParseError} */
export function parseLargeCommunity(text: string): LargeCommunity {
  const parts = text.split(':');
  if (parts.length !== 3) throw new RouteParseError(text, 'a large community is G:L1:L2 with 32-bit parts');
  return largeCommunity(u(parts[0]!, 0xffffffff, text), u(parts[1]!, 0xffffffff, text), u(parts[2]!, 0xffffffff, text));
}

/** Formats a large community as `G:L1:L2` (the `large-communities=` syntax; {@link formatCommunity} gives `large:G:L1:L2`). */
export function formatLargeCommunity(c: LargeCommunity): string {
  return `${c.global}:${c.local1}:${c.local2}`;
}

/**
 * Checks a route for what the wire can carry: next hop of the prefix's family, numbers in range,
 * at most 1000 communities. Returns the reason, or undefined when valid.
 */
export function checkRoute(r: Route): string | undefined {
  if (r.nextHop && r.nextHop.family !== r.prefix.family) return `next hop ${r.nextHop} is not ${r.prefix.family} like ${r.prefix}`;
  if (r.linkLocalNextHop && (!r.prefix.network.isV6 || !r.linkLocalNextHop.isV6)) return 'a link-local next hop is for IPv6 routes only';
  for (const [k, v] of [['localPref', r.localPref], ['med', r.med]] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0 || v > 0xffffffff)) return `${k} ${v} is not a 32-bit unsigned integer`;
  }
  let std = 0;
  for (const c of r.communities ?? []) {
    if (!communityInRange(c)) return `community ${formatCommunity(c)} is out of range (16-bit parts for A:B, 32-bit for large)`;
    if (c.kind === 'standard') std++;
  }
  if (std > 1000 || (r.communities?.length ?? 0) - std > 300) return 'too many communities for one UPDATE';
  return undefined;
}


const attrKeys = new WeakMap<Route, { ibgp?: string; ebgp?: string }>();

/**
 * A compact internal map key for a prefix: one UTF-16 unit for the family (4 or 6), one for the
 * length, then the address in 16-bit units (2 for IPv4, 8 for IPv6) — 5 or 10 characters,
 * cheap to build and to turn back into a `Cidr` ({@link cidrFromPrefixKey}).
 */
export function prefixKey(p: Cidr): string {
  const v4 = p.network.isV4;
  const hex = p.network.value.toString(16).padStart(v4 ? 8 : 32, '0');
  const codes = [v4 ? 4 : 6, p.prefix];
  for (let i = 0; i < hex.length; i += 4) codes.push(parseInt(hex.slice(i, i + 4), 16));
  return String.fromCharCode(...codes);
}

/** The prefix a {@link prefixKey} stands for. */
export function cidrFromPrefixKey(k: string): Cidr {
  let v = 0n;
  for (let i = 2; i < k.length; i++) v = (v << 16n) | BigInt(k.charCodeAt(i));
  return Cidr.of(IPAddress.fromBigInt(k.charCodeAt(0) === 4 ? 'IPv4' : 'IPv6', v), k.charCodeAt(1));
}

/**
 * A canonical key of everything but the prefix: routes with equal keys share one UPDATE.
 * Communities are sorted and de-duplicated (order carries no meaning, RFC 1997). Cached per
 * route object, so peers holding the same routes share one string.
 */
export function attributeKey(r: Route, ibgp: boolean): string {
  let c = attrKeys.get(r);
  if (!c) attrKeys.set(r, (c = {}));
  const slot = ibgp ? 'ibgp' : 'ebgp';
  return (c[slot] ??= computeAttributeKey(r, ibgp));
}

const addrKey = (a: IPAddress) => `${a.isV4 ? 4 : 6}:${a.value.toString(16)}`;

function computeAttributeKey(r: Route, ibgp: boolean): string {
  const comms = r.communities?.length ? sortCommunities(r.communities).map(formatCommunity).join(',') : '';
  return [r.nextHop ? addrKey(r.nextHop) : 'self', r.linkLocalNextHop ? addrKey(r.linkLocalNextHop) : '', ibgp ? (r.localPref ?? DEFAULT_LOCAL_PREF) : '', r.med ?? '', comms].join('|');
}

/** Why a route is not sent to a peer (closed union; see {@link UnsendableRoute}). */
export type UnsendableReason = 'no-ipv4-next-hop' | 'no-ipv6-next-hop' | 'family-not-negotiated';

/** A desired route the session does not send, and why — for status, Events and logs. */
export interface UnsendableRoute {
  /** The prefix, e.g. `2001:db8::10/128`. */
  prefix: string;
  reason: UnsendableReason;
  /** One line saying what to change. */
  message: string;
}

/** The next hops a session uses for routes without `nextHop`, per family (undefined: none). */
export interface NextHops {
  ipv4?: IPAddress | undefined;
  ipv6?: IPAddress | undefined;
}

const selfCache = new WeakMap<Route, Route>();

/**
 * Next-hop-self: fills `nextHop` of the routes that leave it out from `nextHops` (the
 * session's local address for its own family; the configured or discovered address for the
 * other). Routes whose family has no next hop are returned in `unsendable` (reason
 * `no-ipv4-next-hop` / `no-ipv6-next-hop`) instead. Routes with a next hop are returned as the
 * same objects, and a resolved route is reused while its next hop does not change (so
 * attribute keys stay cached). Pure apart from that cache.
 */
export function resolveNextHops(routes: Iterable<Route>, nextHops: NextHops, what = 'the session'): { routes: Route[]; unsendable: UnsendableRoute[] } {
  const out: Route[] = [];
  const unsendable: UnsendableRoute[] = [];
  for (const r of routes) {
    if (r.nextHop) {
      out.push(r);
      continue;
    }
    const v4 = r.prefix.network.isV4;
    const nh = v4 ? nextHops.ipv4 : nextHops.ipv6;
    if (!nh) {
      const fam = v4 ? 'IPv4' : 'IPv6';
      unsendable.push({
        prefix: r.prefix.toString(),
        reason: v4 ? 'no-ipv4-next-hop' : 'no-ipv6-next-hop',
        message: `${r.prefix} is not sent: ${what} runs over ${v4 ? 'IPv6' : 'IPv4'} and this node has no ${fam} address on its interface to use as next hop (set nextHop${v4 ? 'V4' : 'V6'})`,
      });
      continue;
    }
    const cached = selfCache.get(r);
    if (cached?.nextHop?.equals(nh)) {
      out.push(cached);
      continue;
    }
    const resolved: Route = { ...r, nextHop: nh };
    selfCache.set(r, resolved);
    out.push(resolved);
  }
  return { routes: out, unsendable };
}

/**
 * Merges routes of the same prefix as MetalLB does when several advertisements (or services)
 * produce one prefix for a peer: the **first** route's attributes win (next hop, LOCAL_PREF,
 * MED) and the communities are the **union** of all of them, sorted in MetalLB's order
 * ({@link sortCommunities}) and each once. Routes keep their first-seen order; a route that is
 * not merged is returned as the same object. Keyed by {@link prefixKey}. Pure.
 */
export function mergeRoutesByPrefix(routes: Iterable<Route>): Map<string, Route> {
  const m = new Map<string, Route>();
  for (const r of routes) {
    const k = prefixKey(r.prefix);
    const first = m.get(k);
    if (!first) {
      m.set(k, r);
      continue;
    }
    if (!r.communities?.length) continue;
    m.set(k, { ...first, communities: Object.freeze(sortCommunities([...(first.communities ?? []), ...r.communities])) });
  }
  return m;
}

/** {@link mergeRoutesByPrefix} as a list, in first-seen prefix order. */
export function mergeDuplicateRoutes(routes: Iterable<Route>): Route[] {
  return [...mergeRoutesByPrefix(routes).values()];
}

/**
 * Parses the route syntax of `metallb-ts bgp announce --route` and its stdin `add` lines:
 * `CIDR,next-hop=IP[,local-pref=N][,med=N][,communities=A:B;C:D][,large-communities=A:B:C;…]`.
 * Host bits in the prefix are refused (`203.0.113.1/24`), so a typo is not silently announced
 * as another network.
 * @throws {RouteParseError} with a one-line reason.
 */
export function parseRouteSpec(text: string): Route {
  const [cidrText, ...opts] = text.split(',').map((x) => x.trim());
  const prefix = Cidr.parseResult(cidrText ?? '', { strict: true });
  if (!(prefix instanceof Cidr)) throw new RouteParseError(text, prefix.message);
  const r: Route = { prefix, nextHop: undefined as unknown as IPAddress };
  const seen = new Set<string>();
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new RouteParseError(text, `"${o}" is not key=value`);
    const key = o.slice(0, eq);
    const value = o.slice(eq + 1);
    if (seen.has(key)) throw new RouteParseError(text, `${key} is given twice`);
    seen.add(key);
    switch (key) {
      case 'next-hop': {
        const nh = IPAddress.parseResult(value);
        if (!(nh instanceof IPAddress)) throw new RouteParseError(text, nh.message);
        r.nextHop = nh;
        break;
      }
      case 'local-pref':
        r.localPref = u(value, 0xffffffff, text);
        break;
      case 'med':
        r.med = u(value, 0xffffffff, text);
        break;
      case 'communities':
        r.communities = [...(r.communities ?? []), ...value.split(';').filter(Boolean).map(parseRouteCommunity)];
        break;
      case 'large-communities':
        r.communities = [...(r.communities ?? []), ...value.split(';').filter(Boolean).map(parseLargeCommunity)];
        break;
      default:
        throw new RouteParseError(text, `unknown option "${key}" (next-hop, local-pref, med, communities, large-communities)`);
    }
  }
  if (!r.nextHop) throw new RouteParseError(text, 'next-hop=IP is required');
  const why = checkRoute(r);
  if (why) throw new RouteParseError(text, why);
  return r;
}
