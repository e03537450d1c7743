/**
 * BGP for this node (§7.1, §7.2): which sessions run here, whether a Service is advertised (the
 * decision is `@metallb-ts/election`'s `bgpEligibility`), the routes it makes, and their
 * distribution to peers with duplicate prefixes merged as MetalLB does.
 */
import { compareCommunities, formatCommunity, type BgpAdvertisement, type BgpCommunity, type Config, type Peer, type Pool } from '@metallb-ts/config';
import { bgpEligibility, type BgpAdvertisementInput, type BgpWithdrawReason, type NodeInput } from '@metallb-ts/election';
import { selectorListAllows } from '@metallb-ts/labels';
import { Cidr, type Family, type IPAddress } from '@metallb-ts/netaddr';
import type { Advertisement, BgpOutcome, CoreInput, DesiredSession, PeerRoute, SpeakerService, WithdrawReason } from './model.js';

/** A BGPAdvertisement as the eligibility check takes it. */
export function bgpAdvertisementInput(ad: BgpAdvertisement): BgpAdvertisementInput {
  return {
    name: ad.name,
    ...(ad.allNodes ? {} : { nodes: [...ad.nodes] }),
    serviceSelectors: ad.serviceSelectors,
    localPref: ad.localPref,
    aggregationLength: ad.aggregationLength,
    aggregationLengthV6: ad.aggregationLengthV6,
    peers: ad.peers,
  };
}

/**
 * The canonical text of what a session is made of. Two configurations giving the same text keep
 * the running session (§7.1: a config change never resets a session it does not have to).
 */
export function sessionKey(p: Peer): string {
  return JSON.stringify({
    myASN: p.myASN,
    peerASN: p.peerASN,
    dynamicASN: p.dynamicASN ?? null,
    address: p.address?.toString() ?? null,
    port: p.port,
    sourceAddress: p.sourceAddress?.toString() ?? null,
    holdTimeMs: p.holdTimeMs ?? null,
    keepaliveTimeMs: p.keepaliveTimeMs ?? null,
    connectTimeMs: p.connectTimeMs ?? null,
    routerID: p.routerID?.toString() ?? null,
    password: p.password ?? null,
    ebgpMultiHop: p.ebgpMultiHop,
    enableGracefulRestart: p.enableGracefulRestart,
    dualStackAddressFamily: p.dualStackAddressFamily,
  });
}

/** The BGPPeers whose nodeSelectors match this node (§7.1), by name. */
export function desiredSessions(config: Config | undefined, me: NodeInput): Map<string, DesiredSession> {
  const out = new Map<string, DesiredSession>();
  if (!config) return out;
  for (const p of config.peers.values()) {
    if (!p.address) continue; // BGP unnumbered is refused by the configuration in native mode
    if (!selectorListAllows(p.nodeSelectors, me.labels)) continue;
    out.set(p.name, { name: p.name, peer: p, key: sessionKey(p) });
  }
  return out;
}

const BGP_REASONS: Record<BgpWithdrawReason, WithdrawReason> = {
  notOwner: 'notOwner',
  noMatchingAdvertisement: 'noMatchingAdvertisement',
  conflictingAdvertisements: 'conflictingAdvertisements',
  nodeNetworkUnavailable: 'nodeNetworkUnavailable',
  nodeLabeledExcludeBalancers: 'nodeLabeledExcludeBalancers',
  noLocalEndpoints: 'noLocalEndpoints',
  noEndpoints: 'noEndpoints',
};

/** The prefix of `ip` under an advertisement's aggregation length for its family. */
export function prefixFor(ip: IPAddress, ad: Pick<BgpAdvertisement, 'aggregationLength' | 'aggregationLengthV6'>): Cidr {
  return Cidr.of(ip, ip.isV6 ? ad.aggregationLengthV6 : ad.aggregationLength);
}

/**
 * Whether this node advertises the Service, and what (§7.2): one route per status IP × matching
 * advertisement, the IP masked to the aggregation length, with the advertisement's LOCAL_PREF
 * (undefined when the advertisement sets none) and communities.
 */
export function bgpFor(svc: SpeakerService, ips: readonly IPAddress[], pool: Pool, config: Config, input: CoreInput, sessions: ReadonlyMap<string, DesiredSession>): BgpOutcome {
  if (pool.bgpAdvertisements.length === 0) return { kind: 'withdraw', reason: 'noAdvertisement' };
  const ads = pool.bgpAdvertisements.map((n) => config.bgpAdvertisements.get(n)).filter((a): a is BgpAdvertisement => a !== undefined);
  const me = input.nodes.find((n) => n.name === input.node);
  const families = [...new Set(pool.cidrs.map((c) => c.family))] as Family[];
  const e = bgpEligibility(
    {
      node: { name: input.node, labels: me?.labels ?? {}, networkUnavailable: me?.networkUnavailable ?? false },
      knownNodes: input.nodes.map((n) => ({ name: n.name, labels: n.labels, networkUnavailable: n.networkUnavailable })),
      advertisements: ads.map(bgpAdvertisementInput),
      poolFamilies: families,
      service: { labels: svc.labels, externalTrafficPolicy: svc.externalTrafficPolicy, allowSharedIp: svc.allowSharedIp },
      endpoints: svc.endpoints,
      peers: [...sessions.values()].map((s) => ({ name: s.name, nodeSelectors: s.peer.nodeSelectors })),
    },
    { ignoreExcludeLb: input.ignoreExcludeLb },
  );
  if (e.kind === 'withdraw') return { kind: 'withdraw', reason: BGP_REASONS[e.reason], ...(e.conflict ? { detail: `${e.conflict[0]} and ${e.conflict[1]} set different LOCAL_PREFs` } : {}) };
  const used = new Set(e.advertisements.map((a) => a.name));
  const advertisements: Advertisement[] = [];
  for (const ip of ips) {
    for (const ad of ads) {
      if (!used.has(ad.name)) continue;
      advertisements.push({ prefix: prefixFor(ip, ad), localPref: ad.localPref, communities: ad.communities, peers: ad.peers, source: ad.name });
    }
  }
  const peers = e.peers.filter((p) => p.reason === 'receives').map((p) => p.peer).sort();
  return { kind: 'advertise', advertisements, peers };
}

/** A community's identity for set operations. */
const communityText = (c: BgpCommunity): string => formatCommunity(c);

/**
 * The routes each peer receives: the advertisements whose peer list is empty or names it, in
 * the given order, with duplicate prefixes merged as MetalLB's native speaker does (§7.3): the
 * first advertisement's attributes, the union of the communities (sorted).
 */
export function routesForPeers(advertisements: readonly Advertisement[], peers: Iterable<string>): Map<string, PeerRoute[]> {
  const out = new Map<string, PeerRoute[]>();
  for (const peer of peers) {
    const byPrefix = new Map<string, { prefix: Cidr; localPref: number | undefined; communities: Map<string, BgpCommunity> }>();
    for (const a of advertisements) {
      if (a.peers.length > 0 && !a.peers.includes(peer)) continue;
      const k = a.prefix.toString();
      const cur = byPrefix.get(k);
      if (!cur) byPrefix.set(k, { prefix: a.prefix, localPref: a.localPref, communities: new Map(a.communities.map((c) => [communityText(c), c])) });
      else for (const c of a.communities) cur.communities.set(communityText(c), c);
    }
    out.set(
      peer,
      [...byPrefix.values()].map((r) => ({ prefix: r.prefix, localPref: r.localPref, communities: [...r.communities.values()].sort(compareCommunities) })),
    );
  }
  return out;
}
