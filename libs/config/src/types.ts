/**
 * Plain TypeScript shapes of the `metallb.io` custom resources and the few core objects the
 * configuration pipeline reads. Field names and JSON shapes are MetalLB's, so existing manifests
 * type-check unchanged. These describe *well-formed* objects; the pipeline accepts `unknown`
 * and checks every field before trusting it (see `parse.ts`).
 *
 * @packageDocumentation
 */

/** The MetalLB API group. */
export const METALLB_GROUP = 'metallb.io';

/** The namespace MetalLB runs in by default. */
export const DEFAULT_METALLB_NAMESPACE = 'metallb-system';

/** The subset of `metav1.ObjectMeta` the pipeline uses. */
export interface ObjectMeta {
  /** Object name, unique per kind within a namespace. */
  name: string;
  /** Namespace (absent for cluster-scoped Nodes and Namespaces). */
  namespace?: string;
  /** Labels, matched by label selectors. */
  labels?: Record<string, string>;
  /** Annotations. */
  annotations?: Record<string, string>;
  /** Set by the API server. */
  uid?: string;
  /** Set by the API server. */
  resourceVersion?: string;
  /** Set by the API server. */
  generation?: number;
  /** Set by the API server. */
  creationTimestamp?: string;
}

/** Common envelope of every Kubernetes object. */
export interface KubeObject<K extends string = string, A extends string = string> {
  /** `group/version`, for example `metallb.io/v1beta1`. */
  apiVersion: A;
  /** The kind, for example `IPAddressPool`. */
  kind: K;
  /** Name, namespace, labels. */
  metadata: ObjectMeta;
}

/**
 * Label selectors are `@metallb-ts/labels`' `metav1.LabelSelector` (the one declaration in the
 * workspace): `{}` matches everything. Re-exported for manifests typed against this package.
 */
export type { LabelSelector, LabelSelectorRequirement } from '@metallb-ts/labels';
import type { LabelSelector } from '@metallb-ts/labels';

/** `IPAddressPool.spec.serviceAllocation`. */
export interface ServiceAllocation {
  /** Lower positive numbers win; 0/unset is the lowest priority among pinned pools. */
  priority?: number;
  /** Namespaces allowed to use the pool. */
  namespaces?: string[];
  /** Namespaces whose labels match any selector are allowed too. */
  namespaceSelectors?: LabelSelector[];
  /** Only services whose labels match any selector may use the pool. */
  serviceSelectors?: LabelSelector[];
}

/** `IPAddressPool.spec`. */
export interface IPAddressPoolSpec {
  /** CIDRs and `first-last` ranges. */
  addresses: string[];
  /** @default true */
  autoAssign?: boolean;
  /** @default false */
  avoidBuggyIPs?: boolean;
  /** Restricts or prioritises the pool for some namespaces/services. */
  serviceAllocation?: ServiceAllocation;
}

/** `IPAddressPool.status`, written by the controller. */
export interface IPAddressPoolStatus {
  /** Number of assigned IPv4 addresses. */
  assignedIPv4: number;
  /** Number of assigned IPv6 addresses. */
  assignedIPv6: number;
  /** Number of IPv4 addresses still available. */
  availableIPv4: number;
  /** Number of IPv6 addresses still available (saturates at 2^63-1). */
  availableIPv6: number;
}

/** `metallb.io/v1beta1` IPAddressPool. */
export interface IPAddressPool extends KubeObject<'IPAddressPool', 'metallb.io/v1beta1'> {
  spec: IPAddressPoolSpec;
  status?: IPAddressPoolStatus;
}

/** A weighted node preference of an L2Advertisement. */
export interface PreferredNodeSelector {
  /** 1..100. */
  weight: number;
  /** Matched against node labels; `{}` matches every eligible node. */
  preference: LabelSelector;
}

/** `L2Advertisement.spec` (the whole spec may be absent). */
export interface L2AdvertisementSpec {
  /** Pools by name; with `ipAddressPoolSelectors` empty too, every pool. */
  ipAddressPools?: string[];
  /** Pools whose labels match any selector. */
  ipAddressPoolSelectors?: LabelSelector[];
  /** Nodes allowed to announce; empty = all nodes. */
  nodeSelectors?: LabelSelector[];
  /** Interfaces to announce on; empty = all interfaces. */
  interfaces?: string[];
  /** Services whose labels match any selector; empty = all services. */
  serviceSelectors?: LabelSelector[];
  /** Weighted election preferences among eligible nodes. */
  preferredNodeSelectors?: PreferredNodeSelector[];
}

/** `metallb.io/v1beta1` L2Advertisement. */
export interface L2Advertisement extends KubeObject<'L2Advertisement', 'metallb.io/v1beta1'> {
  spec?: L2AdvertisementSpec;
}

/** `BGPAdvertisement.spec` (the whole spec may be absent). */
export interface BGPAdvertisementSpec {
  /** @default 32 */
  aggregationLength?: number;
  /** @default 128 */
  aggregationLengthV6?: number;
  /** @default 0 */
  localPref?: number;
  /** `A:B`, `large:A:B:C` or the name of a Community alias. */
  communities?: string[];
  /** Pools by name; with `ipAddressPoolSelectors` empty too, every pool. */
  ipAddressPools?: string[];
  /** Pools whose labels match any selector. */
  ipAddressPoolSelectors?: LabelSelector[];
  /** Nodes that may advertise (next hops); empty = all nodes. */
  nodeSelectors?: LabelSelector[];
  /** BGPPeer names; empty = all peers. */
  peers?: string[];
  /** Services whose labels match any selector; empty = all services. */
  serviceSelectors?: LabelSelector[];
}

/** `metallb.io/v1beta1` BGPAdvertisement. */
export interface BGPAdvertisement extends KubeObject<'BGPAdvertisement', 'metallb.io/v1beta1'> {
  spec?: BGPAdvertisementSpec;
}

/** A reference to a Secret. */
export interface SecretReference {
  /** Secret name. */
  name?: string;
  /** Ignored: the Secret is read from the MetalLB namespace. */
  namespace?: string;
}

/** `BGPPeer.spec` in `metallb.io/v1beta2` (the storage version). */
export interface BGPPeerSpec {
  /** Local AS (1..4294967295). */
  myASN: number;
  /** Expected remote AS; exclusive with `dynamicASN`. */
  peerASN?: number;
  /** Accept a remote AS equal to (`internal`) or different from (`external`) myASN. */
  dynamicASN?: 'internal' | 'external';
  /** FRR `local-as` (FRR modes only). */
  localASN?: number;
  /** Neighbour IP; exclusive with `interface`. */
  peerAddress?: string;
  /** BGP unnumbered interface (FRR modes only). */
  interface?: string;
  /** Local source IP. */
  sourceAddress?: string;
  /** Remote TCP port. @default 179 */
  peerPort?: number;
  /** Go duration text, e.g. `90s`; 0s or at least 3s. */
  holdTime?: string;
  /** Go duration text; at most holdTime. */
  keepaliveTime?: string;
  /** Connect retry time, whole seconds 1..65535. */
  connectTime?: string;
  /** BGP identifier (IPv4). */
  routerID?: string;
  /** Nodes that run this session; empty = all nodes. */
  nodeSelectors?: LabelSelector[];
  /** TCP-MD5 key; exclusive with `passwordSecret`. */
  password?: string;
  /** TCP-MD5 key from a `kubernetes.io/basic-auth` Secret (key `password`). */
  passwordSecret?: SecretReference;
  /** BFDProfile name (FRR modes only). */
  bfdProfile?: string;
  /** Graceful restart (immutable). */
  enableGracefulRestart?: boolean;
  /** Multi-hop eBGP (not with peerASN = myASN). */
  ebgpMultiHop?: boolean;
  /** Host VRF (FRR modes only). */
  vrf?: string;
  /** Deprecated, ignored. */
  disableMP?: boolean;
  /** Activate both address families on the session. */
  dualStackAddressFamily?: boolean;
}

/** `metallb.io/v1beta2` BGPPeer. */
export interface BGPPeer extends KubeObject<'BGPPeer', 'metallb.io/v1beta2'> {
  spec: BGPPeerSpec;
}

/** `BGPPeer.spec` in the deprecated `metallb.io/v1beta1`. */
export interface BGPPeerSpecV1beta1 {
  myASN: number;
  peerASN: number;
  peerAddress: string;
  sourceAddress?: string;
  peerPort?: number;
  holdTime?: string;
  keepaliveTime?: string;
  routerID?: string;
  nodeSelectors?: Array<{
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: string; values: string[] }>;
  }>;
  password?: string;
  bfdProfile?: string;
  ebgpMultiHop?: boolean;
}

/** `metallb.io/v1beta1` BGPPeer (deprecated; converted to v1beta2 by {@link convertBGPPeerV1beta1}). */
export interface BGPPeerV1beta1 extends KubeObject<'BGPPeer', 'metallb.io/v1beta1'> {
  spec: BGPPeerSpecV1beta1;
}

/** `BFDProfile.spec`; every field optional (FRR applies its defaults). */
export interface BFDProfileSpec {
  receiveInterval?: number;
  transmitInterval?: number;
  detectMultiplier?: number;
  echoInterval?: number;
  echoMode?: boolean;
  passiveMode?: boolean;
  minimumTtl?: number;
}

/** `metallb.io/v1beta1` BFDProfile. */
export interface BFDProfile extends KubeObject<'BFDProfile', 'metallb.io/v1beta1'> {
  spec?: BFDProfileSpec;
}

/** `metallb.io/v1beta1` Community: aliases for community values. */
export interface Community extends KubeObject<'Community', 'metallb.io/v1beta1'> {
  spec?: { communities?: Array<{ name: string; value: string }> };
}

/** `metallb.io/v1beta1` ServiceL2Status (written by speakers). */
export interface ServiceL2Status extends KubeObject<'ServiceL2Status', 'metallb.io/v1beta1'> {
  spec?: Record<string, never>;
  status?: { node?: string; serviceName?: string; serviceNamespace?: string; interfaces?: Array<{ name?: string }> };
}

/** `metallb.io/v1beta1` ServiceBGPStatus (written by speakers). */
export interface ServiceBGPStatus extends KubeObject<'ServiceBGPStatus', 'metallb.io/v1beta1'> {
  spec?: Record<string, never>;
  status?: { node?: string; serviceName?: string; serviceNamespace?: string; peers?: string[] };
}

/** A `metav1.Condition`. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** `metallb.io/v1beta1` ConfigurationState (one per component). */
export interface ConfigurationState extends KubeObject<'ConfigurationState', 'metallb.io/v1beta1'> {
  status?: { result?: 'Valid' | 'Invalid' | 'Unknown'; errorSummary?: string; conditions?: Condition[] };
}

/** The core `v1` Secret fields used for BGP passwords. */
export interface Secret extends KubeObject<'Secret', 'v1'> {
  type?: string;
  /** Base64 values. */
  data?: Record<string, string>;
  /** Plain values (as written in manifests; the API server folds them into `data`). */
  stringData?: Record<string, string>;
}

/** The core `v1` Node fields used (labels, via metadata). */
export type Node = KubeObject<'Node', 'v1'>;

/** The core `v1` Namespace fields used (labels, via metadata). */
export type Namespace = KubeObject<'Namespace', 'v1'>;

/** The core `v1` ConfigMap fields used (`bgpextras`). */
export interface ConfigMap extends KubeObject<'ConfigMap', 'v1'> {
  data?: Record<string, string>;
}

/** Any MetalLB configuration kind. */
export type MetalLBObject =
  | IPAddressPool
  | L2Advertisement
  | BGPAdvertisement
  | BGPPeer
  | BGPPeerV1beta1
  | BFDProfile
  | Community
  | ServiceL2Status
  | ServiceBGPStatus
  | ConfigurationState;
