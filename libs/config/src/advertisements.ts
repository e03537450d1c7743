/**
 * L2Advertisement and BGPAdvertisement rules (§2.2 A1-A6, C3-C4) and their attachment to pools.
 */
import { isCommunityError, parseCommunity, sortCommunities, type BgpCommunity } from './community.js';
import type { BgpAdvertisement, L2AdvertisementConfig as L2Advertisement } from './config.js';
import type { BuildContext } from './context.js';
import { RULES } from './errors.js';
import type { ParsedPool } from './pools.js';
import { formatLabelSelector, selectorMatches, type LabelSelector } from '@metallb-ts/labels';
import type { BGPAdvertisement, L2Advertisement as L2AdvertisementObject } from './types.js';

const knownSets = new WeakMap<readonly string[], Set<string>>();

/**
 * The pools an advertisement applies to: named ones plus selector matches; all when both are
 * empty. Returned in pool (name) order. `cache` memoises selector results across advertisements
 * of one pipeline run (configurations repeat selectors; this keeps large ones linear).
 */
export function selectPools(
  pools: readonly ParsedPool[],
  names: readonly string[],
  selectors: readonly LabelSelector[],
  cache: Map<string, readonly string[]> = new Map(),
): string[] {
  if (names.length === 0 && selectors.length === 0) return pools.map((p) => p.name);
  const chosen = new Set<string>();
  let known = cache.get('\u0000names');
  if (!known) {
    known = pools.map((p) => p.name);
    cache.set('\u0000names', known);
  }
  const knownSet = knownSets.get(known) ?? new Set(known);
  knownSets.set(known, knownSet);
  for (const n of names) if (knownSet.has(n)) chosen.add(n);
  for (const sel of selectors) {
    const key = formatLabelSelector(sel);
    let hit = cache.get(key);
    if (!hit) {
      hit = pools.filter((p) => selectorMatches(sel, p.labels)).map((p) => p.name);
      cache.set(key, hit);
    }
    for (const n of hit) chosen.add(n);
  }
  return [...chosen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses one L2Advertisement; undefined when invalid. */
export function parseL2Advertisement(ctx: BuildContext, obj: L2AdvertisementObject, pools: readonly ParsedPool[]): L2Advertisement | undefined {
  const ref = ctx.ref('L2Advertisement', obj.metadata.name);
  const before = ctx.sink.count;
  const s = obj.spec ?? {};
  ctx.noDuplicates(ref, 'spec.ipAddressPools', s.ipAddressPools);
  const poolSel = ctx.selectors(ref, 'spec.ipAddressPoolSelectors', s.ipAddressPoolSelectors);
  const nodeSel = ctx.selectors(ref, 'spec.nodeSelectors', s.nodeSelectors);
  const svcSel = ctx.selectors(ref, 'spec.serviceSelectors', s.serviceSelectors);
  const prefs: Array<{ weight: number; preference: LabelSelector }> = [];
  (s.preferredNodeSelectors ?? []).forEach((p, i) => {
    const sel = ctx.selectors(ref, `spec.preferredNodeSelectors[${i}].preference`, [p.preference]);
    if (sel) prefs.push({ weight: p.weight, preference: sel[0]! });
  });
  if (ctx.sink.count > before || !poolSel || !nodeSel || !svcSel) return undefined;
  const nodes = ctx.nodesMatching(nodeSel);
  const scores = new Map<string, number>();
  for (const n of ctx.nodes) {
    if (!nodes.has(n.name)) continue;
    const score = prefs.reduce((sum, p) => sum + (selectorMatches(p.preference, n.labels) ? p.weight : 0), 0);
    if (score > 0) scores.set(n.name, score);
  }
  const interfaces = [...(s.interfaces ?? [])];
  return Object.freeze({
    name: obj.metadata.name,
    pools: Object.freeze(selectPools(pools, s.ipAddressPools ?? [], poolSel, ctx.poolSelectorCache)),
    nodes,
    allNodes: nodeSel.length === 0,
    interfaces: Object.freeze(interfaces),
    allInterfaces: interfaces.length === 0,
    serviceSelectors: Object.freeze(svcSel),
    preferredNodeScores: scores,
    preferredNodeSelectors: Object.freeze(prefs.map((p) => Object.freeze(p))),
  });
}

/**
 * A key equal for exactly the L2Advertisements {@link l2Equivalent} considers interchangeable,
 * or undefined for advertisements with preferences (never deduplicated).
 */
export function l2DedupKey(a: L2Advertisement): string | undefined {
  if (a.preferredNodeSelectors.length > 0) return undefined;
  return JSON.stringify([
    a.allInterfaces,
    [...new Set(a.interfaces)].sort(),
    a.allNodes,
    [...a.nodes].sort(),
    a.serviceSelectors.map(formatLabelSelector).sort(),
  ]);
}

/**
 * Whether two L2Advertisements are interchangeable for one pool (MetalLB attaches only one of
 * them): same interface set, node set and service selectors, and neither has preferences.
 */
export function l2Equivalent(a: L2Advertisement, b: L2Advertisement): boolean {
  const sameSet = <T>(x: ReadonlySet<T>, y: ReadonlySet<T>) => x.size === y.size && [...x].every((v) => y.has(v));
  return (
    a.preferredNodeSelectors.length === 0 &&
    b.preferredNodeSelectors.length === 0 &&
    a.allInterfaces === b.allInterfaces &&
    sameSet(new Set(a.interfaces), new Set(b.interfaces)) &&
    a.allNodes === b.allNodes &&
    sameSet(a.nodes, b.nodes) &&
    a.serviceSelectors.map(formatLabelSelector).sort().join('|') === b.serviceSelectors.map(formatLabelSelector).sort().join('|')
  );
}

/**
 * Parses one BGPAdvertisement: duplicates, selectors, aggregation vs serviceSelectors (A4) and
 * communities (C1, C3, C4) with aliases resolved. Undefined when invalid.
 */
export function parseBgpAdvertisement(
  ctx: BuildContext,
  obj: BGPAdvertisement,
  pools: readonly ParsedPool[],
  aliases: ReadonlyMap<string, BgpCommunity>,
): BgpAdvertisement | undefined {
  const ref = ctx.ref('BGPAdvertisement', obj.metadata.name);
  const before = ctx.sink.count;
  const s = obj.spec ?? {};
  ctx.noDuplicates(ref, 'spec.ipAddressPools', s.ipAddressPools);
  ctx.noDuplicates(ref, 'spec.peers', s.peers);
  ctx.noDuplicates(ref, 'spec.communities', s.communities);
  const poolSel = ctx.selectors(ref, 'spec.ipAddressPoolSelectors', s.ipAddressPoolSelectors);
  const nodeSel = ctx.selectors(ref, 'spec.nodeSelectors', s.nodeSelectors);
  const svcSel = ctx.selectors(ref, 'spec.serviceSelectors', s.serviceSelectors);
  const agg = s.aggregationLength ?? 32;
  const agg6 = s.aggregationLengthV6 ?? 128;
  if ((svcSel?.length ?? 0) > 0 && (agg !== 32 || agg6 !== 128)) {
    ctx.sink.invalid(
      RULES.advSelectorsAggregation,
      ref,
      agg !== 32 ? 'spec.aggregationLength' : 'spec.aggregationLengthV6',
      'serviceSelectors and a non-default aggregation length are mutually exclusive',
      'remove serviceSelectors, or use aggregationLength 32 and aggregationLengthV6 128',
    );
  }
  const communities: BgpCommunity[] = [];
  (s.communities ?? []).forEach((text, i) => {
    const alias = aliases.get(text);
    if (alias) {
      communities.push(alias);
      return;
    }
    const c = parseCommunity(text);
    if (!isCommunityError(c)) {
      communities.push(c);
    } else if (c.kind === 'value') {
      ctx.sink.invalid(RULES.communityValue, ref, `spec.communities[${i}]`, c.message, 'write "A:B" (0-65535 each) or "large:A:B:C" (0-4294967295 each), or the name of a Community alias');
    } else {
      // A name that is not (yet) an alias: creation order may explain it (C3).
      ctx.sink.transient(RULES.communityAliasMissing, ref, `spec.communities[${i}]`, `"${text}" is neither a community value nor a known Community alias`, `define the alias "${text}" in a Community object in ${ctx.namespace}, or write the value as "A:B" / "large:A:B:C"`);
    }
  });
  if (ctx.sink.count > before || !poolSel || !nodeSel || !svcSel) return undefined;
  return Object.freeze({
    name: obj.metadata.name,
    pools: Object.freeze(selectPools(pools, s.ipAddressPools ?? [], poolSel, ctx.poolSelectorCache)),
    aggregationLength: agg,
    aggregationLengthV6: agg6,
    localPref: s.localPref,
    communities: Object.freeze(sortCommunities(communities)),
    nodes: ctx.nodesMatching(nodeSel),
    allNodes: nodeSel.length === 0,
    peers: Object.freeze([...(s.peers ?? [])]),
    serviceSelectors: Object.freeze(svcSel),
  });
}

/**
 * A5: the aggregation length of each family must be at least the shortest prefix of every
 * address entry of that family in the pool. Returns the problem text or undefined.
 * (Unlike MetalLB, quirk 22, the message names the length of the family at fault.)
 */
export function aggregationProblem(adv: BgpAdvertisement, pool: ParsedPool): { field: string; message: string; hint: string } | undefined {
  for (const e of pool.entries) {
    const shortest = Math.min(...e.cidrs.map((c) => c.prefix));
    const v4 = e.range.family === 'IPv4';
    const len = v4 ? adv.aggregationLength : adv.aggregationLengthV6;
    if (len < shortest) {
      const field = v4 ? 'spec.aggregationLength' : 'spec.aggregationLengthV6';
      return {
        field,
        message: `invalid aggregation length ${len} for IPAddressPool ${pool.name}: its entry "${e.text}" has a /${shortest} prefix, so ${field.slice(5)} must be at least ${shortest}`,
        hint: `raise ${field.slice(5)} to ${shortest} or more, or exclude pool ${pool.name} from this advertisement`,
      };
    }
  }
  return undefined;
}

/** The address families present in a pool. */
export function poolFamilies(pool: ParsedPool): { v4: boolean; v6: boolean } {
  return { v4: pool.entries.some((e) => e.range.family === 'IPv4'), v6: pool.entries.some((e) => e.range.family === 'IPv6') };
}

/**
 * A6: whether two advertisements of one pool would announce the same route with different
 * LOCAL_PREF: localPref differs, aggregation lengths are "not different" for the pool's
 * families, peer lists overlap (an empty list means all peers) and node sets intersect.
 * The speaker re-runs this test at announce time for the advertisements matching a service.
 */
export function localPrefConflict(a: BgpAdvertisement, b: BgpAdvertisement, families: { v4: boolean; v6: boolean }): boolean {
  if ((a.localPref ?? 0) === (b.localPref ?? 0)) return false; // MetalLB: unset is 0 here
  const v4Differ = a.aggregationLength !== b.aggregationLength;
  const v6Differ = a.aggregationLengthV6 !== b.aggregationLengthV6;
  const lengthsDiffer = families.v4 && families.v6 ? v4Differ && v6Differ : families.v6 ? v6Differ : v4Differ;
  if (lengthsDiffer) return false;
  const peersOverlap = a.peers.length === 0 || b.peers.length === 0 || a.peers.some((p) => b.peers.includes(p));
  if (!peersOverlap) return false;
  return [...a.nodes].some((n) => b.nodes.has(n));
}
