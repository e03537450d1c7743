import type { Cidr } from '@metallb-ts/netaddr';
import { Afi, Safi, Wire } from '../wire/constants.js';
import { myAsField } from '../wire/negotiate.js';
import { prefixLength } from '../wire/nlri.js';
import type { AfiSafi, PathAttribute, Update } from '../wire/types.js';
import { communityValue, sortCommunities, type LargeCommunity } from '../wire/community.js';
import { attributeKey, cidrFromPrefixKey, DEFAULT_LOCAL_PREF, mergeRoutesByPrefix, prefixKey, type Route } from './route.js';

/** What the UPDATE builder needs to know about the session. */
export interface PeerContext {
  localAsn: number;
  ibgp: boolean;
  fourOctetAs: boolean;
  /** Negotiated families; routes of other families stay pending. */
  families: readonly AfiSafi[];
}

/** The changes to send: routes to (re)announce and prefixes to withdraw. */
export interface RibDiff {
  announce: Route[];
  withdraw: Cidr[];
  /** {@link prefixKey}s of `announce`, index for index, when known (saves recomputing them). */
  announceKeys?: string[];
}

/** The family of a prefix. */
export function familyOf(p: Cidr): AfiSafi {
  return { afi: p.network.isV4 ? Afi.IPV4 : Afi.IPV6, safi: Safi.UNICAST };
}

function negotiated(ctx: PeerContext, p: Cidr): boolean {
  const f = familyOf(p);
  return ctx.families.some((x) => x.afi === f.afi && x.safi === f.safi);
}

/**
 * The minimal diff between what was advertised (prefix → attribute key) and what is desired
 * (prefix → route), restricted to negotiated families. Pure.
 */
export function diffRib(advertised: ReadonlyMap<string, string>, desired: ReadonlyMap<string, Route>, ctx: PeerContext): RibDiff {
  const announce: Route[] = [];
  const announceKeys: string[] = [];
  const withdraw: Cidr[] = [];
  for (const [k, r] of desired) {
    if (!r.nextHop || !negotiated(ctx, r.prefix)) continue; // no next hop yet: see resolveNextHops
    if (advertised.get(k) !== attributeKey(r, ctx.ibgp)) {
      announce.push(r);
      announceKeys.push(k);
    }
  }
  for (const k of advertised.keys()) {
    if (!desired.has(k)) withdraw.push(cidrFromPrefixKey(k));
  }
  return { announce, withdraw, announceKeys };
}

/** The path attributes (without NLRI) for routes sharing one attribute key. */
export function pathAttributes(r: Route, ctx: PeerContext): PathAttribute[] {
  const attrs: PathAttribute[] = [{ type: 'origin', origin: 0 }];
  if (ctx.ibgp) attrs.push({ type: 'as-path', segments: [] });
  else if (ctx.fourOctetAs || ctx.localAsn <= 0xffff) attrs.push({ type: 'as-path', segments: [{ kind: 'sequence', asns: [ctx.localAsn] }] });
  else attrs.push({ type: 'as-path', segments: [{ kind: 'sequence', asns: [myAsField(ctx.localAsn)] }] });
  if (r.prefix.network.isV4) attrs.push({ type: 'next-hop', nextHop: r.nextHop! });
  if (r.med !== undefined) attrs.push({ type: 'med', med: r.med });
  // LOCAL_PREF: iBGP only (RFC 4271 makes it mandatory there: FRR treats an iBGP UPDATE without
  // it as withdrawn). Unset → DEFAULT_LOCAL_PREF (what routers assume), 0 is a value and is sent.
  if (ctx.ibgp) attrs.push({ type: 'local-pref', localPref: r.localPref ?? DEFAULT_LOCAL_PREF });
  const sorted = r.communities?.length ? sortCommunities(r.communities) : [];
  const std: number[] = [];
  const large: LargeCommunity[] = [];
  for (const c of sorted) {
    if (c.kind === 'standard') std.push(communityValue(c));
    else large.push(c);
  }
  if (std.length > 0) attrs.push({ type: 'communities', communities: std });
  if (!ctx.ibgp && !ctx.fourOctetAs && ctx.localAsn > 0xffff) {
    // RFC 6793 §4.2.2: a 2-octet peer sees AS_TRANS; the real path rides in AS4_PATH.
    attrs.push({ type: 'as4-path', segments: [{ kind: 'sequence', asns: [ctx.localAsn] }] });
  }
  if (large.length > 0) attrs.push({ type: 'large-communities', communities: large });
  return attrs;
}

/** Size of the attributes once encoded, computed without encoding (for packing). */
function attributesSize(attrs: PathAttribute[]): number {
  let n = 0;
  for (const a of attrs) {
    let v: number;
    switch (a.type) {
      case 'origin':
        v = 1;
        break;
      case 'as-path':
      case 'as4-path':
        v = a.segments.reduce((s, g) => s + 2 + 4 * g.asns.length, 0);
        break;
      case 'communities':
        v = 4 * a.communities.length;
        break;
      case 'large-communities':
        v = 12 * a.communities.length;
        break;
      default:
        v = 16;
    }
    n += (v > 255 ? 4 : 3) + v;
  }
  return n;
}

/** Room for NLRI/withdrawn bytes in one UPDATE next to `attrBytes` of attributes. */
const room = (attrBytes: number) => Wire.MAX_MESSAGE_LEN - Wire.UPDATE_MIN_LEN - attrBytes;

/**
 * Turns a diff into UPDATE messages: withdrawals first (packed), then one group of UPDATEs per
 * distinct attribute set, each packed with as many prefixes as fit in 4096 bytes. Pure.
 */
export function buildUpdates(diff: RibDiff, ctx: PeerContext): Update[] {
  const out: Update[] = [];
  const v4w = diff.withdraw.filter((p) => p.network.isV4);
  const v6w = diff.withdraw.filter((p) => p.network.isV6);
  for (const chunk of pack(v4w, room(0))) out.push({ type: 'update', withdrawn: chunk, attributes: [], nlri: [] });
  for (const chunk of pack(v6w, room(4 + 3))) out.push({ type: 'update', withdrawn: [], attributes: [{ type: 'mp-unreach', afi: Afi.IPV6, safi: Safi.UNICAST, withdrawn: chunk }], nlri: [] });

  const groups = new Map<string, Route[]>();
  for (const r of diff.announce) {
    const k = (r.prefix.network.isV4 ? '4|' : '6|') + attributeKey(r, ctx.ibgp);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  for (const routes of groups.values()) {
    const first = routes[0]!;
    const attrs = pathAttributes(first, ctx);
    const prefixes = routes.map((r) => r.prefix);
    if (first.prefix.network.isV4) {
      for (const chunk of pack(prefixes, room(attributesSize(attrs)))) out.push({ type: 'update', withdrawn: [], attributes: attrs, nlri: chunk });
    } else {
      // MP_REACH_NLRI header: 4 (flags, type, 2-byte length) + AFI/SAFI 3 + next hop 1 + 16|32 + reserved 1.
      const mpOverhead = 4 + 3 + 1 + (first.linkLocalNextHop ? 32 : 16) + 1;
      for (const chunk of pack(prefixes, room(attributesSize(attrs) + mpOverhead))) {
        const mp: PathAttribute = first.linkLocalNextHop
          ? { type: 'mp-reach', afi: Afi.IPV6, safi: Safi.UNICAST, nextHop: first.nextHop!, linkLocal: first.linkLocalNextHop, nlri: chunk }
          : { type: 'mp-reach', afi: Afi.IPV6, safi: Safi.UNICAST, nextHop: first.nextHop!, nlri: chunk };
        out.push({ type: 'update', withdrawn: [], attributes: [...attrs, mp], nlri: [] });
      }
    }
  }
  return out;
}

function pack(prefixes: Cidr[], budget: number): Cidr[][] {
  const out: Cidr[][] = [];
  let cur: Cidr[] = [];
  let used = 0;
  for (const p of prefixes) {
    const n = prefixLength(p);
    if (used + n > budget && cur.length > 0) {
      out.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(p);
    used += n;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Per-peer Adj-RIB-Out: the desired routes (set by the caller at any time) and what the peer
 * was told. {@link AdjRibOut.pending} yields the minimal UPDATEs; {@link AdjRibOut.commit}
 * records them as advertised once written.
 */
export class AdjRibOut {
  private desired = new Map<string, Route>();
  /** {@link prefixKey} → {@link attributeKey} of what the peer has. */
  private advertised = new Map<string, string>();

  /** Replaces the desired set; duplicates of a prefix are merged ({@link mergeRoutesByPrefix}: first wins, communities united). */
  setDesired(routes: Iterable<Route>): void {
    this.desired = mergeRoutesByPrefix(routes);
  }

  /** The desired routes. */
  desiredRoutes(): Route[] {
    return [...this.desired.values()];
  }

  /** Number of desired prefixes. */
  get desiredCount(): number {
    return this.desired.size;
  }

  /** Number of prefixes the peer currently has from us. */
  get advertisedCount(): number {
    return this.advertised.size;
  }

  /** Forgets what the peer has (new session, or a ROUTE-REFRESH asking for everything). */
  reset(family?: AfiSafi): void {
    if (!family) {
      this.advertised.clear();
      return;
    }
    const tag = family.afi === Afi.IPV4 ? 4 : 6;
    for (const k of [...this.advertised.keys()]) {
      if (k.charCodeAt(0) === tag) this.advertised.delete(k);
    }
  }

  /** The diff to send now. */
  pending(ctx: PeerContext): RibDiff {
    return diffRib(this.advertised, this.desired, ctx);
  }

  /** Records a diff as sent. */
  commit(diff: RibDiff, ctx: PeerContext): void {
    for (const p of diff.withdraw) this.advertised.delete(prefixKey(p));
    const keys = diff.announceKeys?.length === diff.announce.length ? diff.announceKeys : undefined;
    diff.announce.forEach((r, i) => this.advertised.set(keys ? keys[i]! : prefixKey(r.prefix), attributeKey(r, ctx.ibgp)));
  }
}
