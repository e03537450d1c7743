/**
 * Public data types of `@metallb-ts/ipam`: pools and requests in, allocations and named
 * outcomes out. Everything here is plain data (no classes, no Kubernetes types), so the
 * controller maps Service/IPAddressPool objects onto it and publishes the outcomes as events,
 * status and metrics.
 */
import type { LabelSelector } from '@metallb-ts/labels';
import type { Family, IPAddress } from '@metallb-ts/netaddr';

export type { Family };

/** `spec.ipFamilyPolicy` of a Service. */
export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

/** One `(protocol, port)` pair of a Service (`spec.ports[]`). TCP/53 and UDP/53 are different pairs. */
export interface Port {
  /** `TCP`, `UDP` or `SCTP` (compared as given, case-sensitively, like MetalLB). */
  readonly protocol: string;
  /** Port number. */
  readonly port: number;
}

/**
 * Label selectors are `@metallb-ts/labels`' (the metav1 type, Kubernetes semantics): an empty
 * selector `{}` matches everything. Re-exported so callers of ipam need no second import.
 */
export type { LabelSelector, LabelSelectorRequirement } from '@metallb-ts/labels';

/** `spec.serviceAllocation` of a pool, with namespace selectors already resolved by the caller. */
export interface ServiceAllocation {
  /**
   * Lower positive number = tried earlier. 0 (unset) = after every pool with a non-zero
   * priority. Ties are broken by pool name (MetalLB: arbitrary).
   * @default 0
   */
  readonly priority?: number;
  /**
   * Namespaces allowed to use the pool: the union of `spec.serviceAllocation.namespaces` and of
   * the namespaces currently matched by `namespaceSelectors` (the caller resolves selectors
   * against its Namespace list and calls `setPools` again when namespace labels change).
   * Empty/absent = no namespace restriction.
   */
  readonly namespaces?: readonly string[];
  /**
   * True when the pool's spec listed `namespaceSelectors`, even if they currently match no
   * namespace. Needed only for MetalLB's corner case: selectors that match nothing and no
   * service selectors make the pool unusable for automatic allocation (explicit requests still
   * work), instead of "matches everybody".
   * @default false
   */
  readonly hasNamespaceSelectors?: boolean;
  /** Service label selectors; the service must match at least one. Empty/absent = no restriction. */
  readonly serviceSelectors?: readonly LabelSelector[];
}

/** An address pool (`IPAddressPool.spec` plus its name), as plain data. */
export interface PoolSpec {
  /** Pool name (unique). */
  readonly name: string;
  /**
   * CIDRs (`198.51.100.0/24`, host bits masked away) and ranges (`a-b`), IPv4 and IPv6 mixed, in
   * the order addresses are handed out. Entries must not overlap (within or across pools).
   */
  readonly addresses: readonly string[];
  /**
   * Whether automatic allocation may use the pool (explicit IPs and the pool annotation ignore it).
   * @default true
   */
  readonly autoAssign?: boolean;
  /**
   * Never hand out IPv4 addresses ending in `.0` or `.255`; they are not part of the pool at all.
   * @default false
   */
  readonly avoidBuggyIPs?: boolean;
  /** Restricts/prioritises the pool; absent = a generic pool usable by every service. */
  readonly serviceAllocation?: ServiceAllocation;
}

/** What a Service asks for (derived by the caller from the Service object). */
export interface ServiceRequest {
  /** Service key, `namespace/name`. */
  readonly key: string;
  /** Namespace of the service (matched against pool namespace lists). */
  readonly namespace: string;
  /** Service labels (matched against pool service selectors). @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The service's IP families from `spec.clusterIPs`: one family, or two different families for
   * a dual-stack service. The first is the primary family (`spec.ipFamilies[0]`).
   */
  readonly families: readonly Family[];
  /** `spec.ipFamilyPolicy`. @default 'SingleStack' */
  readonly policy?: FamilyPolicy;
  /** `spec.ports[]` as (protocol, port) pairs. @default [] */
  readonly ports?: readonly Port[];
  /**
   * Value of `metallb.io/allow-shared-ip`; `''` means no sharing.
   * @default ''
   */
  readonly sharingKey?: string;
  /**
   * For `externalTrafficPolicy: Local`, the selector rendered as `k1=v1,k2=v2` with sorted keys;
   * `''` otherwise.
   * @default ''
   */
  readonly backendKey?: string;
  /**
   * Requested IPs (`metallb.io/loadBalancerIPs` split on commas, or `spec.loadBalancerIP`):
   * 1 IP, or 2 IPs of different families. Text or parsed addresses. IPv4-mapped IPv6
   * (`::ffff:a.b.c.d`) counts as IPv4, as in Go.
   */
  readonly requestedIps?: readonly (string | IPAddress)[];
  /** The `metallb.io/address-pool` annotation: allocate only from this pool. */
  readonly pool?: string;
}

/** A service's allocation. */
export interface Allocation {
  /** Service key. */
  readonly key: string;
  /** Owning pool name. */
  readonly pool: string;
  /** 1 or 2 addresses; IPv4 first for addresses picked by the allocator, request order for requested IPs. */
  readonly ips: readonly IPAddress[];
  /** Namespace the allocation was made for. */
  readonly namespace: string;
  /** Labels the allocation was made for. */
  readonly labels: Readonly<Record<string, string>>;
  /** Ports held on the IPs. */
  readonly ports: readonly Port[];
  /** Sharing key (`''` = exclusive). */
  readonly sharingKey: string;
  /** Backend key. */
  readonly backendKey: string;
}

/**
 * A JSON-friendly record of one allocation, produced by `snapshot()` and accepted by
 * `restore()` (which is also what the controller builds from Service status at start-up).
 */
export interface AllocationRecord {
  /** Service key, `namespace/name`. */
  readonly key: string;
  /** Namespace of the service (pool compatibility is checked on restore). */
  readonly namespace: string;
  /** Service labels. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
  /** Addresses as text (or parsed); 1 or 2 of different families, in status order. */
  readonly ips: readonly (string | IPAddress)[];
  /** Ports held on the IPs. @default [] */
  readonly ports?: readonly Port[];
  /** Sharing key. @default '' */
  readonly sharingKey?: string;
  /** Backend key. @default '' */
  readonly backendKey?: string;
  /** Informational: `restore` recomputes the owning pool from the IPs. */
  readonly pool?: string;
}

/** Why an allocation request was refused. Each has a message that says what to change. */
export type RefusalReason =
  /** The request itself is malformed (empty key, no or bad families, bad ports …). */
  | 'invalid-request'
  /** A requested IP is not a valid address. */
  | 'invalid-ip'
  /** More than two requested IPs. */
  | 'too-many-ips'
  /** Two requested IPs of the same family. */
  | 'duplicate-family'
  /** The requested IPs' families differ from the service's families. */
  | 'family-mismatch'
  /** The `address-pool` annotation names a pool that does not exist. */
  | 'unknown-pool'
  /** No pool contains (all) the requested IPs. */
  | 'ip-not-in-any-pool'
  /** The requested IPs are in another pool than the one the `address-pool` annotation names. */
  | 'ip-not-in-requested-pool'
  /** The pool's serviceAllocation (namespaces / service selectors) excludes this service. */
  | 'pool-not-allowed-for-service'
  /** The IP is held by another service and one of the two has no sharing key. */
  | 'ip-in-use'
  /** The IP is held by services with another sharing key. */
  | 'sharing-key-mismatch'
  /** The IP is shared under the same key but by services with another backend key. */
  | 'backend-key-mismatch'
  /** The IP is shareable but another service already uses one of the same (protocol, port). */
  | 'port-conflict'
  /** The chosen pool has no free address of a needed family (or does not have that family). */
  | 'family-unavailable'
  /** Pools were eligible but none had a free acceptable address. */
  | 'pool-exhausted'
  /** No pool is eligible for automatic allocation for this service. */
  | 'no-eligible-pool'
  /** The operation needs an existing allocation and the service has none. */
  | 'not-allocated'
  /** A dual-stack upgrade was asked for a service that is not PreferDualStack with two families. */
  | 'not-dual-stack'
  /** (`validate`, `previousInvalid` only) the service holds other IPs than it now requests. */
  | 'requested-ips-changed'
  /** (`validate`, `previousInvalid` only) the service is in another pool than `address-pool` now names. */
  | 'requested-pool-changed';

/** The other party of a sharing refusal. */
export interface Conflict {
  /** The contested IP. */
  readonly ip: IPAddress;
  /** Key of the service already using it. */
  readonly service: string;
  /** The port both want (for `port-conflict`). */
  readonly port?: Port;
}

/** Which list a pool was considered in. */
export type PoolStage = 'requested-ip' | 'named-pool' | 'pinned' | 'generic' | 'upgrade' | 'not-eligible';

/** Why a pool was not chosen (or `chosen`). */
export type PoolVerdict =
  | 'chosen'
  /** `autoAssign: false` and the request is automatic. */
  | 'auto-assign-disabled'
  /** serviceAllocation excludes this service's namespace or labels. */
  | 'not-allowed-for-service'
  /** Pool has serviceAllocation whose namespace selectors currently match nothing: explicit requests only. */
  | 'no-namespace-matched'
  /** Pool has no address of a needed family at all. */
  | 'family-not-in-pool'
  /** Pool has the family but no free acceptable address of it. */
  | 'family-exhausted'
  /** Pool has no free acceptable address of any family. */
  | 'pool-exhausted'
  /** PreferDualStack: the pool could only give one family and another pool was preferred. */
  | 'single-family-only';

/** One line of the explanation: a pool, where it was looked at, and the verdict. */
export interface PoolConsideration {
  /** Pool name. */
  readonly pool: string;
  /** Where the pool was looked at. */
  readonly stage: PoolStage;
  /** `chosen`, or why not. */
  readonly verdict: PoolVerdict;
  /** Human sentence for events/logs (formatted on first access). */
  readonly message: string;
}

/** A successful allocation. */
export interface AllocateSuccess {
  /** Discriminant. */
  readonly ok: true;
  /** The service's allocation now. */
  readonly allocation: Allocation;
  /** False when the service kept exactly the IPs and pool it had. */
  readonly changed: boolean;
  /** The allocation this one replaced, when `changed` and the service had one. */
  readonly previous?: Allocation;
  /**
   * Why the previous allocation could not be kept (e.g. the pool no longer admits the service),
   * for MetalLB's `ClearAssignment` event. Absent when it was kept or there was none.
   */
  readonly previousInvalid?: { readonly reason: RefusalReason; readonly message: string };
  /** Pools looked at, in order. */
  readonly considered: readonly PoolConsideration[];
}

/** A refused allocation. Nothing changed: the service still holds `current`, if anything. */
export interface AllocateRefusal {
  /** Discriminant. */
  readonly ok: false;
  /** What went wrong, as a closed set of names. */
  readonly reason: RefusalReason;
  /** Human sentence naming what to change. */
  readonly message: string;
  /** The other service, for sharing refusals. */
  readonly conflict?: Conflict;
  /** The allocation the service still holds (unchanged). */
  readonly current?: Allocation;
  /** Pools looked at, in order, and why each was refused. */
  readonly considered: readonly PoolConsideration[];
}

/** Result of `allocate`, `validate` and `addFamily`. */
export type AllocateResult = AllocateSuccess | AllocateRefusal;

/** One allocation affected by `setPools`. */
export interface MovedAllocation {
  /** Service key. */
  readonly key: string;
  /** Previous pool name. */
  readonly from: string;
  /** Pool that owns the IPs now. */
  readonly to: string;
}

/** One allocation dropped by `setPools`. */
export interface DroppedAllocation {
  /** Service key. */
  readonly key: string;
  /** Pool the allocation was in. */
  readonly pool: string;
  /** The released addresses. */
  readonly ips: readonly IPAddress[];
  /** The pool is gone, or no pool of the new configuration owns the IPs any more. */
  readonly reason: 'pool-removed' | 'ip-not-in-any-pool';
  /** Human sentence for events/logs. */
  readonly message: string;
}

/** A configuration problem found by `setPools`. */
export interface PoolError {
  /** Pool name (or `''` when the name itself is the problem). */
  readonly pool: string;
  /** What is wrong. */
  readonly reason: 'invalid-name' | 'duplicate-name' | 'no-addresses' | 'invalid-address' | 'overlap' | 'invalid-priority';
  /** Human sentence naming what to change. */
  readonly message: string;
}

/** Result of `setPools`. */
export type SetPoolsResult =
  | {
      readonly ok: true;
      /** Allocations kept in a pool of the same name. */
      readonly kept: number;
      /** Allocations whose IPs now belong to a pool with another name (renamed/split pools). */
      readonly moved: readonly MovedAllocation[];
      /** Allocations released because no pool owns their IPs any more. */
      readonly dropped: readonly DroppedAllocation[];
    }
  | {
      readonly ok: false;
      /** The set was refused as a whole; nothing changed. */
      readonly reason: 'invalid-pools';
      /** Every error's message, joined. */
      readonly message: string;
      /** Each problem found. */
      readonly errors: readonly PoolError[];
    };

/** Result of `release`. */
export type ReleaseResult = { readonly released: true; readonly allocation: Allocation } | { readonly released: false };

/** A `restore` entry that could not be re-established. */
export interface RestoreRejection {
  /** Service key of the record. */
  readonly key: string;
  /** Why it was not re-established. */
  readonly reason: RefusalReason;
  /** Human sentence naming what to change. */
  readonly message: string;
  /** The other service, for sharing refusals. */
  readonly conflict?: Conflict;
}

/** Result of `restore`. */
export interface RestoreResult {
  /** Entries re-established exactly as given. */
  readonly restored: number;
  /** Entries refused (invalid under the current pools, or conflicting with an earlier entry). */
  readonly rejected: readonly RestoreRejection[];
}

/**
 * Address counts of a pool, following MetalLB's conventions (3.10): a family containing a CIDR
 * with 2^62 addresses or more counts as `MAX_INT64`; sums saturate at `MAX_INT64`.
 */
export interface PoolCounts {
  /** Pool name. */
  readonly pool: string;
  /** `metallb_allocator_addresses_total`. */
  readonly total: bigint;
  /** `metallb_allocator_ipv4_addresses_total`. */
  readonly ipv4Total: bigint;
  /** `metallb_allocator_ipv6_addresses_total`. */
  readonly ipv6Total: bigint;
  /** Distinct IPs with at least one user (a shared IP counts once). */
  readonly inUse: bigint;
  /** `metallb_allocator_ipv4_addresses_in_use_total`. */
  readonly ipv4InUse: bigint;
  /** `metallb_allocator_ipv6_addresses_in_use_total`. */
  readonly ipv6InUse: bigint;
  /** Number of services allocated from the pool. */
  readonly services: number;
}

/** `IPAddressPool.status` as MetalLB writes it. */
export interface PoolStatus {
  /** In-use IPv4 addresses. */
  readonly assignedIPv4: bigint;
  /** In-use IPv6 addresses. */
  readonly assignedIPv6: bigint;
  /** IPv4 total − in use. */
  readonly availableIPv4: bigint;
  /** IPv6 total − in use (MaxInt64 − in use for huge pools). */
  readonly availableIPv6: bigint;
}
