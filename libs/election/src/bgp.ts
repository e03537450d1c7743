import type { Family } from '@metallb-ts/netaddr';
import type { EndpointInput, NodeInput, NodeScoped, ServiceInput } from './inputs.js';
import { EXCLUDE_LB_LABEL, resolveNodeSet, servingEndpoint } from './inputs.js';
import { selectorListAllows, type LabelSelector } from './selector.js';

/** A BGPAdvertisement attached to the Service's pool (pool matching is the caller's job). */
export interface BgpAdvertisementInput extends NodeScoped {
  /** `metadata.name`, echoed in explanations. */
  readonly name?: string;
  /** `spec.serviceSelectors`: empty or absent = every service. */
  readonly serviceSelectors?: readonly LabelSelector[];
  /** `spec.localPref`. @default 0 */
  readonly localPref?: number;
  /** `spec.aggregationLength`. @default 32 */
  readonly aggregationLength?: number;
  /** `spec.aggregationLengthV6`. @default 128 */
  readonly aggregationLengthV6?: number;
  /** `spec.peers` (BGPPeer object names): empty or absent = all peers. */
  readonly peers?: readonly string[];
}

/** A BGPPeer reduced to what decides whether its session runs on a node. */
export interface BgpPeerInput {
  /** `metadata.name`. */
  readonly name: string;
  /** `spec.nodeSelectors`: empty or absent = every node. */
  readonly nodeSelectors?: readonly LabelSelector[];
}

/** Everything {@link bgpEligibility} reads, for one Service on one node. */
export interface BgpEligibilityInput {
  /** This node. */
  readonly node: NodeInput;
  /** Every Node object known, to resolve `nodeSelectors` (this node is added when missing). */
  readonly knownNodes?: readonly NodeInput[];
  /** The BGPAdvertisements attached to the Service's pool. */
  readonly advertisements: readonly BgpAdvertisementInput[];
  /** The address families present in the pool (decides the LOCAL_PREF conflict test). */
  readonly poolFamilies: readonly Family[];
  readonly service?: ServiceInput;
  readonly endpoints: readonly EndpointInput[];
  /** All BGPPeers, to say which sessions receive the routes. */
  readonly peers?: readonly BgpPeerInput[];
}

/** Options; the defaults reproduce MetalLB. */
export interface BgpEligibilityOptions {
  /** MetalLB's `--ignore-exclude-lb`. @default false */
  readonly ignoreExcludeLb?: boolean;
}

/** MetalLB's BGP `ShouldAnnounce` refusal reasons, spelled exactly as MetalLB logs them. */
export type BgpWithdrawReason =
  | 'notOwner'
  | 'noMatchingAdvertisement'
  | 'conflictingAdvertisements'
  | 'nodeNetworkUnavailable'
  | 'nodeLabeledExcludeBalancers'
  | 'noLocalEndpoints'
  | 'noEndpoints';

/** Whether one peer session on this node receives the Service's routes. */
export interface BgpPeerVerdict {
  readonly peer: string;
  readonly reason:
    /** The session runs here and at least one advertisement targets it. */
    | 'receives'
    /** The BGPPeer's nodeSelectors exclude this node: no session here. */
    | 'peerNotOnNode'
    /** Every matching advertisement lists other peers. */
    | 'notInAdvertisementPeers';
}

/** The outcome for one Service on one node. */
export type BgpEligibility =
  | {
      readonly kind: 'advertise';
      /** The advertisements used (node set contains this node, service selectors match). */
      readonly advertisements: readonly BgpAdvertisementInput[];
      /** One verdict per peer in `input.peers`, in input order. */
      readonly peers: readonly BgpPeerVerdict[];
    }
  | {
      readonly kind: 'withdraw';
      readonly reason: BgpWithdrawReason;
      /** For `conflictingAdvertisements`: the first conflicting pair (names or indexes). */
      readonly conflict?: readonly [string, string];
    };

/**
 * MetalLB's pairwise LOCAL_PREF test (rule A6, `metallb-behavior.md` §2.2), which the speaker
 * re-runs at announce time across the advertisements matching a service. Node sets are not
 * compared here: every advertisement in that set already contains this node.
 */
export function localPrefConflict(a: BgpAdvertisementInput, b: BgpAdvertisementInput, poolFamilies: readonly Family[]): boolean {
  if ((a.localPref ?? 0) === (b.localPref ?? 0)) return false;
  const v4 = poolFamilies.includes('IPv4');
  const v6 = poolFamilies.includes('IPv6');
  const diff4 = (a.aggregationLength ?? 32) !== (b.aggregationLength ?? 32);
  const diff6 = (a.aggregationLengthV6 ?? 128) !== (b.aggregationLengthV6 ?? 128);
  const notDifferent = v4 && !v6 ? !diff4 : v6 && !v4 ? !diff6 : !(diff4 && diff6);
  if (!notDifferent) return false;
  const pa = a.peers ?? [];
  const pb = b.peers ?? [];
  return pa.length === 0 || pb.length === 0 || pa.some((p) => pb.includes(p));
}

/**
 * Whether this node advertises a Service over BGP, and to which peers (`metallb-behavior.md`
 * §7.2). There is no election in BGP mode: every eligible node advertises and routers use ECMP.
 * Checks run in MetalLB's order and the first failing one is the reason.
 */
export function bgpEligibility(input: BgpEligibilityInput, options: BgpEligibilityOptions = {}): BgpEligibility {
  const me = input.node;
  const known = input.knownNodes?.some((n) => n.name === me.name) ? input.knownNodes : [...(input.knownNodes ?? []), me];
  const sets = input.advertisements.map((a) => resolveNodeSet(a, known));
  // 1. at least one advertisement of the pool covers this node.
  if (!sets.some((s) => s.has(me.name))) return { kind: 'withdraw', reason: 'notOwner' };
  // 2. advertisements covering this node and matching the service.
  const ads = input.advertisements.filter((a, i) => sets[i]!.has(me.name) && selectorListAllows(a.serviceSelectors, input.service?.labels));
  if (ads.length === 0) return { kind: 'withdraw', reason: 'noMatchingAdvertisement' };
  // 3. pairwise LOCAL_PREF conflicts.
  for (let i = 0; i < ads.length; i++) {
    for (let j = i + 1; j < ads.length; j++) {
      if (localPrefConflict(ads[i]!, ads[j]!, input.poolFamilies)) {
        const label = (a: BgpAdvertisementInput) => a.name ?? `advertisements[${input.advertisements.indexOf(a)}]`;
        return { kind: 'withdraw', reason: 'conflictingAdvertisements', conflict: [label(ads[i]!), label(ads[j]!)] };
      }
    }
  }
  // 4–5. node conditions.
  if (me.networkUnavailable) return { kind: 'withdraw', reason: 'nodeNetworkUnavailable' };
  if (!options.ignoreExcludeLb && me.labels && Object.hasOwn(me.labels, EXCLUDE_LB_LABEL)) {
    return { kind: 'withdraw', reason: 'nodeLabeledExcludeBalancers' };
  }
  // 6. endpoints: serving and with at least one address.
  if (input.service?.externalTrafficPolicy === 'Local') {
    if (!input.endpoints.some((e) => servingEndpoint(e, true) && e.nodeName === me.name)) return { kind: 'withdraw', reason: 'noLocalEndpoints' };
  } else if (!input.endpoints.some((e) => servingEndpoint(e, true))) {
    return { kind: 'withdraw', reason: 'noEndpoints' };
  }
  const peers = (input.peers ?? []).map((p): BgpPeerVerdict => {
    if (!selectorListAllows(p.nodeSelectors, me.labels)) return { peer: p.name, reason: 'peerNotOnNode' };
    const targeted = ads.some((a) => (a.peers?.length ?? 0) === 0 || a.peers!.includes(p.name));
    return { peer: p.name, reason: targeted ? 'receives' : 'notInAdvertisementPeers' };
  });
  return { kind: 'advertise', advertisements: ads, peers };
}
