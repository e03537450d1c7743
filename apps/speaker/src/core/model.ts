/**
 * The speaker core's inputs and outputs as plain data. The runtime turns informer caches into a
 * {@link CoreInput}; {@link computePlan} turns it into a {@link CorePlan}; the drivers apply the
 * difference between two plans. Nothing here does I/O.
 */
import type { BgpCommunity, Config, Peer } from '@metallb-ts/config';
import type { EndpointInput } from '@metallb-ts/election';
import type { Cidr } from '@metallb-ts/netaddr';

/** A Service reduced to what the speaker reads (§1.12, §5.2). */
export interface SpeakerService {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  /** `spec.type`. */
  readonly type: string | undefined;
  /** `metadata.labels`. */
  readonly labels: Readonly<Record<string, string>>;
  /** `spec.externalTrafficPolicy` (absent = `Cluster`). */
  readonly externalTrafficPolicy: 'Cluster' | 'Local';
  /** The allow-shared-ip annotation key is present (either prefix, any value). */
  readonly allowSharedIp: boolean;
  /** `status.loadBalancer.ingress[].ip`, in status order. */
  readonly ips: readonly string[];
  /** Every endpoint of every EndpointSlice of the Service. */
  readonly endpoints: readonly EndpointInput[];
}

/** A Node reduced to what the speaker reads. */
export interface SpeakerNode {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Condition `NetworkUnavailable=True`. */
  readonly networkUnavailable: boolean;
  /** `status.addresses` of type InternalIP (then ExternalIP), in order. */
  readonly addresses: readonly string[];
}

/** Everything one computation reads. */
export interface CoreInput {
  /** This node's name (`--node-name`). */
  readonly node: string;
  /** The configuration in force (undefined before the first valid one: nothing is announced). */
  readonly config: Config | undefined;
  readonly services: readonly SpeakerService[];
  /** Every Node object known (deleted Nodes are pruned: quirk 23 fixed). */
  readonly nodes: readonly SpeakerNode[];
  /** Live memberlist member names, or undefined when memberlist is disabled (§8). */
  readonly liveMembers: readonly string[] | undefined;
  /**
   * This node's interface names after the exclusion list (§6.4), or undefined while unknown
   * (then an interface restriction is assumed satisfiable).
   */
  readonly interfaces: readonly string[] | undefined;
  /** `--ignore-exclude-lb`. */
  readonly ignoreExcludeLb: boolean;
  /**
   * Layer 2 is held back (startup: memberlist has not tried its first join yet, so this node
   * would elect itself for everything). BGP is not affected.
   */
  readonly holdL2?: boolean;
  /**
   * No usable Layer 2 interface for longer than the hold (every allowed link lost carrier, see
   * `link-gate.ts`): Layer 2 is withdrawn (`noCarrier`). BGP is not affected.
   */
  readonly l2LinksDown?: boolean;
}

/** MetalLB's withdraw reasons (Appendix A) plus the library's finer L2/BGP ones. */
export type WithdrawReason =
  | 'serviceDeleted'
  | 'notLoadBalancer'
  | 'noConfig'
  | 'noIPAllocated'
  | 'invalidIP'
  | 'ipNotAllowed'
  | 'noAdvertisement'
  | 'notOwner'
  | 'sharedIPWithServiceSelector'
  | 'noMatchingAdvertisement'
  | 'conflictingAdvertisements'
  | 'nodeNetworkUnavailable'
  | 'nodeLabeledExcludeBalancers'
  | 'noLocalEndpoints'
  | 'noEndpoints'
  | 'noInterface'
  | 'held'
  /** Every interface this node may answer on lost carrier (ours). */
  | 'noCarrier';

/** One IP this node answers ARP/NDP for. */
export interface L2Ip {
  readonly ip: string;
  /** Interface names the announcement is restricted to; undefined = every interface. */
  readonly interfaces: readonly string[] | undefined;
}

/** The Layer 2 outcome for one Service on this node. */
export type L2Outcome =
  | {
      readonly kind: 'announce';
      readonly ips: readonly L2Ip[];
      /** Interface restriction (sorted), undefined = all; written to ServiceL2Status. */
      readonly interfaces: readonly string[] | undefined;
    }
  | { readonly kind: 'withdraw'; readonly reason: WithdrawReason; readonly detail?: string };

/** One route this node advertises for a Service (before distribution to peers). */
export interface Advertisement {
  /** The status IP masked to the aggregation length. */
  readonly prefix: Cidr;
  /** LOCAL_PREF; undefined when the advertisement sets none (distinct from 0). */
  readonly localPref: number | undefined;
  /** Communities (aliases resolved), in MetalLB's order. */
  readonly communities: readonly BgpCommunity[];
  /** BGPPeer names (empty = every peer). */
  readonly peers: readonly string[];
  /** The BGPAdvertisement it comes from. */
  readonly source: string;
}

/** The BGP outcome for one Service on this node. */
export type BgpOutcome =
  | {
      readonly kind: 'advertise';
      readonly advertisements: readonly Advertisement[];
      /** Peers (with a session on this node) that receive the routes, sorted. */
      readonly peers: readonly string[];
    }
  | { readonly kind: 'withdraw'; readonly reason: WithdrawReason; readonly detail?: string };

/** Everything decided about one Service. */
export interface ServicePlan {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly ips: readonly string[];
  readonly l2: L2Outcome;
  readonly bgp: BgpOutcome;
}

/** A BGP session this node should run. */
export interface DesiredSession {
  /** BGPPeer name. */
  readonly name: string;
  readonly peer: Peer;
  /**
   * Canonical text of every session parameter: equal keys keep the running session (§7.1), a
   * different key means close and re-open.
   */
  readonly key: string;
}

/** A route for one peer after duplicate prefixes were merged. */
export interface PeerRoute {
  readonly prefix: Cidr;
  readonly localPref: number | undefined;
  readonly communities: readonly BgpCommunity[];
}

/** One series of `metallb_speaker_announced`. */
export interface AnnouncedSeries {
  readonly service: string;
  readonly protocol: 'layer2' | 'bgp';
  readonly node: string;
  readonly ip: string;
}

/** An Event on a Service. */
export interface PlannedEvent {
  /** Service key. */
  readonly service: string;
  readonly type: 'Normal' | 'Warning';
  readonly reason: 'nodeAssigned' | 'announceFailed' | 'routeNotSent';
  readonly message: string;
}

/** The whole desired state of this node. */
export interface CorePlan {
  readonly services: ReadonlyMap<string, ServicePlan>;
  /** Sessions to run, by BGPPeer name. */
  readonly sessions: ReadonlyMap<string, DesiredSession>;
  /** Routes per BGPPeer name (only peers with a session). */
  readonly routes: ReadonlyMap<string, readonly PeerRoute[]>;
  /** Desired ServiceL2Status extra fields per announced Service key. */
  readonly l2Status: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Desired ServiceBGPStatus extra fields per advertised Service key. */
  readonly bgpStatus: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  readonly announced: readonly AnnouncedSeries[];
  /** Events this plan calls for (see {@link eventsBetween} for the ones to record). */
  readonly events: readonly PlannedEvent[];
}
