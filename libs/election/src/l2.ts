import type { IPAddress } from '@metallb-ts/netaddr';
import { ElectionInputError } from './errors.js';
import { applyHoldDown, type HeldCandidate, type HoldDownOptions } from './hold-down.js';
import type { EndpointInput, NodeInput, NodeScoped, ServiceInput } from './inputs.js';
import { EXCLUDE_LB_LABEL, resolveNodeSet, servingEndpoint } from './inputs.js';
import { goIPString, toIPAddress } from './ip-key.js';
import { rankAnnouncers, type RankedCandidate, type Scores, scoreOf } from './order.js';
import { selectorListAllows, selectorMatches, type LabelSelector } from './selector.js';

/** One `spec.preferredNodeSelectors[]` term of an L2Advertisement. */
export interface PreferredNodeTerm {
  /** 1..100 in the CRD. */
  readonly weight: number;
  /** Empty selector = every node of the advertisement's node set. */
  readonly preference: LabelSelector;
}

/** An L2Advertisement attached to the Service's pool (pool matching is the caller's job). */
export interface L2AdvertisementInput extends NodeScoped {
  /** `metadata.name`, echoed in explanations. */
  readonly name?: string;
  /** `spec.serviceSelectors`: empty or absent = every service of the pool. */
  readonly serviceSelectors?: readonly LabelSelector[];
  /** `spec.interfaces`: empty or absent = all interfaces. */
  readonly interfaces?: readonly string[];
  /** `spec.preferredNodeSelectors`. */
  readonly preferredNodeSelectors?: readonly PreferredNodeTerm[];
  /** Pre-computed per-node weights, used instead of `preferredNodeSelectors` when given. */
  readonly preferredWeights?: Scores;
}

/** Everything one Layer 2 election reads. Every speaker must pass the same data to agree. */
export interface L2ElectionInput {
  /** `status.loadBalancer.ingress[].ip` in status order; the first one is hashed. */
  readonly ips: readonly (string | IPAddress)[];
  readonly service?: ServiceInput;
  /** The L2Advertisements attached to the Service's pool. */
  readonly advertisements: readonly L2AdvertisementInput[];
  /** Every Node object this speaker has seen. */
  readonly nodes: readonly NodeInput[];
  /**
   * Names of the live memberlist members (alive or suspect; dead and left excluded), or
   * `undefined` when memberlist is disabled (then every known node is a candidate).
   */
  readonly liveMembers?: readonly string[];
  /** The Service's endpoints (all slices). */
  readonly endpoints: readonly EndpointInput[];
}

/** Options; the defaults reproduce MetalLB exactly. */
export interface L2ElectionOptions {
  /** MetalLB's `--ignore-exclude-lb`. @default false */
  readonly ignoreExcludeLb?: boolean;
  /** Opt-in hold-down hysteresis (not in MetalLB). @default undefined (off) */
  readonly holdDown?: HoldDownOptions;
  /**
   * Opt-in, not in MetalLB: drop candidates whose known `interfaces` contain none of the
   * advertisement's interfaces (nodes without an `interfaces` list are kept). Only safe when
   * every speaker knows every node's interfaces. @default false
   */
  readonly requireInterface?: boolean;
}

/** The MetalLB defaults (`--ignore-exclude-lb` off, no hold-down, interfaces don't vote). */
export const METALLB_L2_OPTIONS: L2ElectionOptions = Object.freeze({ ignoreExcludeLb: false, requireInterface: false });

/** Why a node does or does not announce, most specific first. */
export type L2NodeReason =
  /** Announces the IPs. */
  | 'elected'
  /** A candidate, ranked below the winner. */
  | 'outranked'
  /** Would win in MetalLB's order but hold-down keeps it back (opt-in). */
  | 'heldDown'
  /** Service-wide: no serving endpoint anywhere. */
  | 'noServingEndpoints'
  /** Service-wide: allow-shared-ip annotation with an advertisement that has serviceSelectors. */
  | 'sharedIPWithServiceSelector'
  /** Not in the node set of any advertisement matching the service. */
  | 'noMatchingAdvertisement'
  /** Memberlist is on and the node is not a live member. */
  | 'notMember'
  /** `NetworkUnavailable=True`. */
  | 'networkUnavailable'
  /** Carries the exclude-from-external-load-balancers label. */
  | 'excludedFromLoadBalancers'
  /** `externalTrafficPolicy: Local` and no serving endpoint on the node. */
  | 'noLocalEndpoint'
  /** Opt-in `requireInterface`: none of the advertised interfaces exists on the node. */
  | 'noUsableInterface'
  /** Service-wide: no status IP. */
  | 'noIPAllocated'
  /** Service-wide: the first status IP does not parse. */
  | 'invalidIP';

/** The reason string a MetalLB speaker on that node reports from `ShouldAnnounce` ('' = announce). */
export type MetallbL2Reason = '' | 'notOwner' | 'noMatchingAdvertisement' | 'sharedIPWithServiceSelector' | 'noIPAllocated' | 'invalidIP';

/** The verdict for one node. */
export interface L2Verdict {
  readonly node: string;
  readonly reason: L2NodeReason;
  /** What the MetalLB speaker on this node would say. */
  readonly metallbReason: MetallbL2Reason;
  /** 0-based position in the effective order (candidates only). */
  readonly rank?: number;
  readonly score?: number;
  readonly digest?: string;
  /** For `heldDown`: when the hold-down ends (epoch ms). */
  readonly heldUntilMs?: number;
}

/** Which interfaces the winner answers on (§6.2). */
export type InterfaceRestriction =
  | { readonly kind: 'all' }
  | {
      readonly kind: 'restricted';
      /** Union of `spec.interfaces` of the winner's advertisements, sorted. */
      readonly names: readonly string[];
      /**
       * Whether the winner has at least one of them; `undefined` when its interfaces are unknown.
       * `false` means MetalLB's `announceFailed` warning (and it still counts as announced, §12 #25).
       */
      readonly present?: boolean;
    };

/** A Layer 2 election outcome: the winner and a verdict for every node, as data. */
export type L2Election =
  | {
      readonly kind: 'elected';
      readonly winner: string;
      /** The hashed IP text (Go form of the first status IP). */
      readonly ip: string;
      /** The effective order (after hold-down), winner first. */
      readonly order: readonly RankedCandidate[];
      /** MetalLB's plain order (differs from `order` only with hold-down). */
      readonly metallbOrder: readonly RankedCandidate[];
      readonly interfaces: InterfaceRestriction;
      readonly held: readonly HeldCandidate[];
      /** Re-run the election at this time (hold-down expiry). */
      readonly recheckAtMs?: number;
      /** One verdict per known node or live member, sorted by node name. */
      readonly verdicts: readonly L2Verdict[];
    }
  | {
      readonly kind: 'none';
      /** Why nobody announces. `noCandidates`: every node was filtered out. */
      readonly reason: 'noServingEndpoints' | 'noMatchingAdvertisement' | 'sharedIPWithServiceSelector' | 'noCandidates' | 'noIPAllocated' | 'invalidIP';
      readonly ip?: string;
      readonly verdicts: readonly L2Verdict[];
    };

function metallbReasonFor(reason: L2NodeReason, inAnyAd: boolean): MetallbL2Reason {
  switch (reason) {
    case 'elected':
      return '';
    case 'sharedIPWithServiceSelector':
    case 'noIPAllocated':
    case 'invalidIP':
      return reason;
    case 'noServingEndpoints':
      return 'notOwner';
    case 'noMatchingAdvertisement':
    case 'outranked':
    case 'heldDown':
    case 'notMember':
    case 'networkUnavailable':
    case 'excludedFromLoadBalancers':
    case 'noLocalEndpoint':
    case 'noUsableInterface':
      // MetalLB checks "does an advertisement list me" (§6.1 step 4) before the candidate filters.
      return inAnyAd ? 'notOwner' : 'noMatchingAdvertisement';
    default: {
      const never: never = reason;
      return never;
    }
  }
}

/** Score of a node for one advertisement (§1.3): 0 outside its node set. */
function adScore(ad: L2AdvertisementInput, nodeSet: Set<string>, node: string, labels: NodeInput['labels']): number {
  if (!nodeSet.has(node)) return 0;
  if (ad.preferredWeights) return scoreOf(ad.preferredWeights, node);
  let s = 0;
  for (const t of ad.preferredNodeSelectors ?? []) if (selectorMatches(t.preference, labels)) s += t.weight;
  return s;
}

/**
 * The Layer 2 election for one Service, exactly as MetalLB's speaker runs it
 * (`metallb-behavior.md` §6.1), evaluated for every node at once and explained: the winner and,
 * for every other node, why not.
 *
 * ```ts
 * const e = electL2({
 *   ips: ['198.51.100.10'],
 *   nodes: [{ name: 'a' }, { name: 'b' }],
 *   advertisements: [{}],
 *   endpoints: [{ nodeName: 'a', serving: true }],
 * });
 * if (e.kind === 'elected') console.log(e.winner);
 * ```
 *
 * Never throws for data problems found in the cluster (unparsable status IP → `invalidIP`).
 * @throws {ElectionInputError} for programming errors: an empty node name, or bad hold-down options.
 */
export function electL2(input: L2ElectionInput, options: L2ElectionOptions = METALLB_L2_OPTIONS): L2Election {
  const known = new Map<string, NodeInput>();
  input.nodes.forEach((n, i) => {
    if (typeof n.name !== 'string' || n.name.length === 0) throw new ElectionInputError(`nodes[${i}].name`, 'must be a non-empty string');
    known.set(n.name, n);
  });
  const universe = new Set<string>([...known.keys(), ...(input.liveMembers ?? [])]);
  const everyone = (reason: L2NodeReason, inAd: (n: string) => boolean = () => true): L2Verdict[] =>
    [...universe].sort().map((node) => ({ node, reason, metallbReason: metallbReasonFor(reason, inAd(node)) }));

  if (input.ips.length === 0) return { kind: 'none', reason: 'noIPAllocated', verdicts: everyone('noIPAllocated') };
  let ipText: string;
  try {
    ipText = goIPString(toIPAddress(input.ips[0]!));
  } catch (e) {
    if (e instanceof ElectionInputError) return { kind: 'none', reason: 'invalidIP', verdicts: everyone('invalidIP') };
    throw e;
  }

  // Step 1: no serving endpoint anywhere → nobody announces, whatever the traffic policy (§12 #26).
  if (!input.endpoints.some((e) => servingEndpoint(e))) {
    return { kind: 'none', reason: 'noServingEndpoints', ip: ipText, verdicts: everyone('noServingEndpoints') };
  }
  // Step 2: advertisements matching the service (node filtering is not applied here).
  const svcLabels = input.service?.labels;
  const ads = input.advertisements.filter((a) => selectorListAllows(a.serviceSelectors, svcLabels));
  const nodeSets = ads.map((a) => resolveNodeSet(a, input.nodes));
  const inAnyAd = (n: string) => nodeSets.some((s) => s.has(n));
  if (ads.length === 0) {
    return { kind: 'none', reason: 'noMatchingAdvertisement', ip: ipText, verdicts: everyone('noMatchingAdvertisement', () => false) };
  }
  // Step 3: shared IPs and service selectors do not mix.
  if (input.service?.allowSharedIp && ads.some((a) => (a.serviceSelectors?.length ?? 0) > 0)) {
    return { kind: 'none', reason: 'sharedIPWithServiceSelector', ip: ipText, verdicts: everyone('sharedIPWithServiceSelector') };
  }

  // Interface restriction of a node's advertisements (§6.2).
  const restrictionFor = (node: string): InterfaceRestriction => {
    const mine = ads.filter((_, i) => nodeSets[i]!.has(node));
    if (mine.length === 0 || mine.some((a) => (a.interfaces?.length ?? 0) === 0)) return { kind: 'all' };
    const names = [...new Set(mine.flatMap((a) => [...(a.interfaces ?? [])]))].sort();
    const have = known.get(node)?.interfaces;
    return have === undefined ? { kind: 'restricted', names } : { kind: 'restricted', names, present: names.some((x) => have.includes(x)) };
  };

  // Steps 5–7: candidate filters, recording the first reason that removes each node.
  const local = input.service?.externalTrafficPolicy === 'Local';
  const withLocalEndpoint = new Set(input.endpoints.filter((e) => servingEndpoint(e) && e.nodeName).map((e) => e.nodeName!));
  const members = input.liveMembers ? new Set(input.liveMembers) : undefined;
  const rejected = new Map<string, L2NodeReason>();
  const candidates: string[] = [];
  for (const node of [...universe].sort()) {
    const n = known.get(node);
    let why: L2NodeReason | undefined;
    if (members && !members.has(node)) why = 'notMember';
    // A member without a Node object is not dropped by the two Node filters (§6.1 step 6).
    else if (n?.networkUnavailable) why = 'networkUnavailable';
    else if (!options.ignoreExcludeLb && n?.labels && Object.hasOwn(n.labels, EXCLUDE_LB_LABEL)) why = 'excludedFromLoadBalancers';
    else if (!inAnyAd(node)) why = 'noMatchingAdvertisement';
    else if (local && !withLocalEndpoint.has(node)) why = 'noLocalEndpoint';
    else if (options.requireInterface) {
      const r = restrictionFor(node);
      if (r.kind === 'restricted' && r.present === false) why = 'noUsableInterface';
    }
    if (why) rejected.set(node, why);
    else candidates.push(node);
  }

  const verdictsOf = (order: readonly RankedCandidate[], held: readonly HeldCandidate[]): L2Verdict[] => {
    const rankOf = new Map(order.map((c, i) => [c.node, i] as const));
    const heldOf = new Map(held.map((h) => [h.node, h.untilMs] as const));
    return [...universe].sort().map((node) => {
      const r = rankOf.get(node);
      if (r === undefined) {
        const reason = rejected.get(node)!;
        return { node, reason, metallbReason: metallbReasonFor(reason, inAnyAd(node)) };
      }
      const c = order[r]!;
      const until = heldOf.get(node);
      const reason: L2NodeReason = r === 0 ? 'elected' : until !== undefined ? 'heldDown' : 'outranked';
      const v: L2Verdict = { node, reason, metallbReason: metallbReasonFor(reason, true), rank: r, score: c.score, digest: c.digest };
      return until === undefined ? v : { ...v, heldUntilMs: until };
    });
  };

  if (candidates.length === 0) return { kind: 'none', reason: 'noCandidates', ip: ipText, verdicts: verdictsOf([], []) };

  // Step 9: score = Σ over matching advertisements of the node's preferred weight.
  const scores = new Map<string, number>();
  for (const node of candidates) {
    let s = 0;
    ads.forEach((a, i) => (s += adScore(a, nodeSets[i]!, node, known.get(node)?.labels)));
    scores.set(node, s);
  }
  // Step 10: order; step 11: the first candidate announces.
  const metallbOrder = rankAnnouncers(ipText, candidates, scores);
  const hd = options.holdDown ? applyHoldDown(metallbOrder, options.holdDown) : { order: metallbOrder, held: [] as HeldCandidate[] };
  const winner = hd.order[0]!.node;
  const base = {
    kind: 'elected' as const,
    winner,
    ip: ipText,
    order: hd.order,
    metallbOrder,
    interfaces: restrictionFor(winner),
    held: hd.held,
    verdicts: verdictsOf(hd.order, hd.held),
  };
  return 'recheckAtMs' in hd && hd.recheckAtMs !== undefined ? { ...base, recheckAtMs: hd.recheckAtMs } : base;
}

/** What one speaker does with an election: announce (on which interfaces) or not, and why. */
export type L2Decision =
  | { readonly kind: 'announce'; readonly interfaces: InterfaceRestriction }
  | { readonly kind: 'withdraw'; readonly reason: L2NodeReason; readonly metallbReason: Exclude<MetallbL2Reason, ''> };

/**
 * The decision for `myNode` (the speaker's own `ShouldAnnounce`). A node absent from the inputs
 * is told `noMatchingAdvertisement` when no advertisement lists it, else `notOwner`.
 */
export function decisionFor(election: L2Election, myNode: string): L2Decision {
  const v = election.verdicts.find((x) => x.node === myNode);
  if (election.kind === 'elected' && election.winner === myNode) return { kind: 'announce', interfaces: election.interfaces };
  if (!v) {
    const reason: L2NodeReason = election.kind === 'none' && election.reason !== 'noCandidates' ? election.reason : 'noMatchingAdvertisement';
    return { kind: 'withdraw', reason, metallbReason: metallbReasonFor(reason, false) as Exclude<MetallbL2Reason, ''> };
  }
  return { kind: 'withdraw', reason: v.reason, metallbReason: v.metallbReason as Exclude<MetallbL2Reason, ''> };
}
