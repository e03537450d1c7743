/**
 * The validated configuration the controller and the speakers consume. Every value here has
 * passed every rule: addresses are parsed, references resolved, defaults applied, selectors
 * validated (`@metallb-ts/labels`' `LabelSelector`, accepted as they are by ipam and election). Objects are frozen; maps are keyed and iterated by object name (sorted).
 */
import type { Cidr, IPAddress, IPRange } from '@metallb-ts/netaddr';
import type { BgpCommunity } from './community.js';
import type { ConfigWarning } from './errors.js';
import type { LabelSelector } from '@metallb-ts/labels';

/** One entry of `IPAddressPool.spec.addresses`, parsed. */
export interface PoolEntry {
  /** The text as written. */
  readonly text: string;
  /** `cidr` for `a/n`, `range` for `first-last`. */
  readonly form: 'cidr' | 'range';
  /** The addresses it covers (a CIDR as its first..last range; host bits masked away). */
  readonly range: IPRange;
  /** The minimal covering CIDRs in ascending order (one for a CIDR entry). */
  readonly cidrs: readonly Cidr[];
}

/** A pool's `serviceAllocation`, resolved against the current Namespace list. */
export interface PoolAllocation {
  /** Lower positive numbers win; 0 is the lowest priority among pinned pools. */
  readonly priority: number;
  /**
   * Allowed namespaces: `namespaces` plus the namespaces whose labels matched a
   * `namespaceSelector` when the configuration was built. Empty = no namespace constraint.
   */
  readonly namespaces: ReadonlySet<string>;
  /** The namespace selectors as written (re-resolve when Namespace labels change). */
  readonly namespaceSelectors: readonly LabelSelector[];
  /**
   * Service selectors as written, validated (any must match); empty = no service constraint.
   * ipam's `ServiceAllocation.serviceSelectors` takes them as they are. A block with no
   * namespaces and no selectors at all pins the pool for everybody.
   */
  readonly serviceSelectors: readonly LabelSelector[];
}

/** A validated IPAddressPool. */
export interface Pool {
  /** Object name. */
  readonly name: string;
  /** Labels (matched by advertisements' `ipAddressPoolSelectors`). */
  readonly labels: Readonly<Record<string, string>>;
  /** Address entries in the order written. */
  readonly entries: readonly PoolEntry[];
  /** All CIDRs of all entries, in the order written (MetalLB's `Pool.CIDR`). */
  readonly cidrs: readonly Cidr[];
  /** Whether automatic allocation may use the pool. @default true */
  readonly autoAssign: boolean;
  /** Skip IPv4 addresses ending in .0 and .255. @default false */
  readonly avoidBuggyIPs: boolean;
  /** Present when the pool is restricted/prioritised. */
  readonly serviceAllocation: PoolAllocation | undefined;
  /** Names of the L2Advertisements attached to this pool (deduplicated, see README). */
  readonly l2Advertisements: readonly string[];
  /** Names of the BGPAdvertisements attached to this pool. */
  readonly bgpAdvertisements: readonly string[];
}

/** A validated L2Advertisement. */
export interface L2AdvertisementConfig {
  /** Object name. */
  readonly name: string;
  /** Names of the pools it applies to. */
  readonly pools: readonly string[];
  /** Nodes allowed to announce (resolved from `nodeSelectors`; every known node when empty). */
  readonly nodes: ReadonlySet<string>;
  /** True when `nodeSelectors` is empty: every node, including nodes not known yet. */
  readonly allNodes: boolean;
  /** Interfaces to announce on; empty with `allInterfaces`. */
  readonly interfaces: readonly string[];
  /** True when `interfaces` is empty. */
  readonly allInterfaces: boolean;
  /** Services must match one (empty = all services). */
  readonly serviceSelectors: readonly LabelSelector[];
  /** Election preference score per eligible node (nodes scoring 0 are absent). */
  readonly preferredNodeScores: ReadonlyMap<string, number>;
  /**
   * The preferences as written (`{weight, preference}`, the shape of `spec.preferredNodeSelectors`
   * and of election's `PreferredNodeTerm`), for re-resolution when node labels change.
   */
  readonly preferredNodeSelectors: ReadonlyArray<{ readonly weight: number; readonly preference: LabelSelector }>;
}

/** A validated BGPAdvertisement. */
export interface BgpAdvertisement {
  /** Object name. */
  readonly name: string;
  /** Names of the pools it applies to. */
  readonly pools: readonly string[];
  /** IPv4 prefix length of the announced route. @default 32 */
  readonly aggregationLength: number;
  /** IPv6 prefix length of the announced route. @default 128 */
  readonly aggregationLengthV6: number;
  /**
   * LOCAL_PREF (iBGP), or `undefined` when `spec.localPref` is not set — distinct from an explicit
   * 0, which the speaker sends as 0; unset sends the routers' default 100 (bgp-speaker's
   * `DEFAULT_LOCAL_PREF`), not MetalLB native's 0. (Rule A6 compares unset as 0, as MetalLB does.)
   */
  readonly localPref: number | undefined;
  /**
   * Communities with aliases resolved, each once, in MetalLB's order (`compareCommunities`:
   * standard ones by value, then large ones numerically), as MetalLB keeps them as a set.
   */
  readonly communities: readonly BgpCommunity[];
  /** Nodes allowed to advertise (resolved from `nodeSelectors`). */
  readonly nodes: ReadonlySet<string>;
  /** True when `nodeSelectors` is empty. */
  readonly allNodes: boolean;
  /** BGPPeer names to advertise to; empty = all peers. */
  readonly peers: readonly string[];
  /** Services must match one (empty = all services). */
  readonly serviceSelectors: readonly LabelSelector[];
}

/** A validated BGPPeer (v1beta2 semantics). */
export interface Peer {
  /** Object name. */
  readonly name: string;
  /** Local AS. */
  readonly myASN: number;
  /** Expected remote AS; 0 when `dynamicASN` is set. */
  readonly peerASN: number;
  /** Accept any remote AS equal to (`internal`) or different from (`external`) myASN. */
  readonly dynamicASN: 'internal' | 'external' | undefined;
  /** FRR `local-as` (not supported by the native speaker). */
  readonly localASN: number | undefined;
  /** Neighbour address; undefined for BGP unnumbered (`interface`). */
  readonly address: IPAddress | undefined;
  /** Interface for BGP unnumbered. */
  readonly interface: string | undefined;
  /** Local source address. */
  readonly sourceAddress: IPAddress | undefined;
  /** Remote TCP port. @default 179 */
  readonly port: number;
  /**
   * Hold time in ms, after MetalLB's timer rule (only keepalive K set → 3K). Undefined when
   * neither timer is set (the speaker then uses 90 s).
   */
  readonly holdTimeMs: number | undefined;
  /** Keepalive in ms (only hold H set → H/3). Undefined when neither timer is set. */
  readonly keepaliveTimeMs: number | undefined;
  /** Connect retry time in ms. */
  readonly connectTimeMs: number | undefined;
  /** BGP identifier (IPv4). */
  readonly routerID: IPAddress | undefined;
  /** Nodes that run this session: any selector matches (empty = all nodes). */
  readonly nodeSelectors: readonly LabelSelector[];
  /** TCP-MD5 key, from `password` or resolved from `passwordSecret`. */
  readonly password: string | undefined;
  /** Where the password came from. */
  readonly passwordSource: 'none' | 'inline' | 'secret';
  /** BFD profile name (resolved; FRR modes only). */
  readonly bfdProfile: string | undefined;
  /** Multi-hop eBGP. */
  readonly ebgpMultiHop: boolean;
  /** Graceful restart (RFC 4724). */
  readonly enableGracefulRestart: boolean;
  /** Host VRF (FRR modes only). */
  readonly vrf: string | undefined;
  /** Activate both address families on the session. */
  readonly dualStackAddressFamily: boolean;
  /** Deprecated and ignored. */
  readonly disableMP: boolean;
}

/** A validated BFDProfile (unset fields stay unset: FRR applies its own defaults). */
export interface BfdProfile {
  readonly name: string;
  readonly receiveInterval: number | undefined;
  readonly transmitInterval: number | undefined;
  readonly detectMultiplier: number | undefined;
  readonly echoInterval: number | undefined;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  readonly minimumTtl: number | undefined;
}

/** The whole validated configuration. */
export interface Config {
  /** Pools by name (insertion order = name order). */
  readonly pools: ReadonlyMap<string, Pool>;
  /** Peers by name. */
  readonly peers: ReadonlyMap<string, Peer>;
  /** BFD profiles by name. */
  readonly bfdProfiles: ReadonlyMap<string, BfdProfile>;
  /** Community aliases: name → value. */
  readonly communities: ReadonlyMap<string, BgpCommunity>;
  /** L2Advertisements by name. */
  readonly l2Advertisements: ReadonlyMap<string, L2AdvertisementConfig>;
  /** BGPAdvertisements by name. */
  readonly bgpAdvertisements: ReadonlyMap<string, BgpAdvertisement>;
  /** Raw FRR configuration appended by FRR modes (`bgpextras` ConfigMap); '' when absent. */
  readonly bgpExtras: string;
  /** Non-fatal remarks: deprecated versions and fields, objects ignored and why. */
  readonly warnings: readonly ConfigWarning[];
}
