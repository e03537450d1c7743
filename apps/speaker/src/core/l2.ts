/**
 * Layer 2 for one Service on this node (§6.1, §6.2): the election is `@metallb-ts/election`'s
 * `electL2` (bit-identical to MetalLB's), this module only maps the configuration and caches to
 * its inputs and its decision to the IPs and interfaces this node answers for.
 */
import type { Config, L2AdvertisementConfig, Pool } from '@metallb-ts/config';
import { decisionFor, electL2, type L2AdvertisementInput, type L2NodeReason, type NodeInput } from '@metallb-ts/election';
import type { CoreInput, L2Outcome, SpeakerService, WithdrawReason } from './model.js';

/** An L2Advertisement as the election takes it: node set resolved by the configuration. */
export function l2AdvertisementInput(ad: L2AdvertisementConfig): L2AdvertisementInput {
  return {
    name: ad.name,
    ...(ad.allNodes ? {} : { nodes: [...ad.nodes] }),
    serviceSelectors: ad.serviceSelectors,
    ...(ad.allInterfaces ? {} : { interfaces: ad.interfaces }),
    preferredWeights: ad.preferredNodeScores,
  };
}

/** The election's nodes: every known Node, this node with its interfaces when known. */
export function electionNodes(input: CoreInput): NodeInput[] {
  return input.nodes.map((n) => ({
    name: n.name,
    labels: n.labels,
    networkUnavailable: n.networkUnavailable,
    ...(n.name === input.node && input.interfaces ? { interfaces: input.interfaces } : {}),
  }));
}

/** The election's per-node reason in the speaker's reason vocabulary (Appendix A where it exists). */
export function l2Reason(r: L2NodeReason): WithdrawReason {
  switch (r) {
    case 'sharedIPWithServiceSelector':
    case 'noMatchingAdvertisement':
    case 'noIPAllocated':
    case 'invalidIP':
      return r;
    case 'networkUnavailable':
      return 'nodeNetworkUnavailable';
    case 'excludedFromLoadBalancers':
      return 'nodeLabeledExcludeBalancers';
    case 'noLocalEndpoint':
      return 'noLocalEndpoints';
    case 'noServingEndpoints':
      return 'noEndpoints';
    case 'noUsableInterface':
      return 'noInterface';
    case 'elected':
    case 'outranked':
    case 'heldDown':
    case 'notMember':
      return 'notOwner';
    default: {
      const never: never = r;
      return never;
    }
  }
}

/**
 * Whether this node answers for the Service's IPs, and on which interfaces. When the
 * advertisements restrict interfaces and none of them exists here, nothing is answered and the
 * outcome says so (`noInterface`; the plan turns it into MetalLB's `announceFailed` Event).
 * MetalLB still counts such a Service as announced (quirk 25): we do not, so neither the
 * ServiceL2Status nor `metallb_speaker_announced` claim an announcement nobody makes.
 */
export function l2For(svc: SpeakerService, pool: Pool, config: Config, input: CoreInput): L2Outcome {
  if (pool.l2Advertisements.length === 0) return { kind: 'withdraw', reason: 'noAdvertisement' };
  if (input.l2LinksDown) return { kind: 'withdraw', reason: 'noCarrier', detail: 'no interface this node may answer on has carrier' };
  if (input.holdL2) return { kind: 'withdraw', reason: 'held', detail: 'waiting for the first memberlist join' };
  const ads = pool.l2Advertisements.map((n) => config.l2Advertisements.get(n)).filter((a): a is L2AdvertisementConfig => a !== undefined);
  const election = electL2(
    {
      ips: svc.ips,
      service: { labels: svc.labels, externalTrafficPolicy: svc.externalTrafficPolicy, allowSharedIp: svc.allowSharedIp },
      advertisements: ads.map(l2AdvertisementInput),
      nodes: electionNodes(input),
      ...(input.liveMembers ? { liveMembers: input.liveMembers } : {}),
      endpoints: svc.endpoints,
    },
    { ignoreExcludeLb: input.ignoreExcludeLb },
  );
  const d = decisionFor(election, input.node);
  if (d.kind === 'withdraw') return { kind: 'withdraw', reason: l2Reason(d.reason), detail: d.metallbReason };
  const r = d.interfaces;
  if (r.kind === 'all') return { kind: 'announce', ips: svc.ips.map((ip) => ({ ip, interfaces: undefined })), interfaces: undefined };
  if (r.present === false) {
    return { kind: 'withdraw', reason: 'noInterface', detail: `none of the interfaces ${r.names.join(', ')} exists on this node` };
  }
  const present = input.interfaces ? r.names.filter((n) => input.interfaces!.includes(n)) : r.names;
  return { kind: 'announce', ips: svc.ips.map((ip) => ({ ip, interfaces: present })), interfaces: r.names };
}
