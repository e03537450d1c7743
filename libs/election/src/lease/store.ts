/**
 * The data of a `coordination.k8s.io/v1` Lease used for leader election (its `spec`), with times
 * as epoch milliseconds. Field names follow the Lease spec.
 */
export interface LeaseRecord {
  /** `spec.holderIdentity`; `''` when nobody holds the lease (after a release, or a nil field). */
  readonly holderIdentity: string;
  /** `spec.leaseDurationSeconds` written by the holder; followers wait this long. */
  readonly leaseDurationSeconds: number;
  /** `spec.acquireTime` (MicroTime) as epoch ms; when the current holder acquired it. */
  readonly acquireTime?: number;
  /** `spec.renewTime` (MicroTime) as epoch ms; the holder's wall clock at its last renewal. */
  readonly renewTime?: number;
  /** `spec.leaseTransitions`: how many times the holder changed. */
  readonly leaseTransitions: number;
}

/** A Lease as read from or written to the store, with its optimistic-concurrency version. */
export interface StoredLease {
  readonly record: LeaseRecord;
  /** `metadata.resourceVersion`; must change on every successful write. */
  readonly resourceVersion: string;
}

/** Result of {@link LeaseStore.get}. */
export type LeaseGetResult = { readonly kind: 'found'; readonly lease: StoredLease } | { readonly kind: 'not-found' };
/** Result of {@link LeaseStore.create}. `conflict` = the Lease already exists (HTTP 409 AlreadyExists). */
export type LeaseCreateResult = { readonly kind: 'created'; readonly lease: StoredLease } | { readonly kind: 'conflict' };
/** Result of {@link LeaseStore.update}. `conflict` = stale resourceVersion (HTTP 409 Conflict). */
export type LeaseUpdateResult =
  | { readonly kind: 'updated'; readonly lease: StoredLease }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'not-found' };

/**
 * The port to ONE Lease object (namespace and name are bound by the implementation), with
 * optimistic concurrency. Implemented in memory by `MemoryLeaseStore` (`./testing`) and against
 * the Kubernetes API by the apps (see the README, "Writing the Kubernetes LeaseStore").
 *
 * Contract:
 * - `get` reads the current object (a quorum read: `GET …/leases/<name>` without
 *   `resourceVersion`, never from a watch cache that may be stale).
 * - `create` creates it with the given spec; an existing object is `conflict`.
 * - `update` replaces the spec **only if** `resourceVersion` still matches (`PUT` with
 *   `metadata.resourceVersion`); a mismatch is `conflict`, a missing object `not-found`. It must not
 *   retry on its own. Other metadata (labels, owner references) should be preserved.
 * - Every successful write returns the new resourceVersion, which must differ from the old one.
 * - Transport failures (timeouts, 5xx, refused connections) reject the promise with any `Error`.
 * - When `signal` aborts, the call should give up promptly (reject or resolve, either is fine):
 *   the elector ignores results that arrive after it gave up.
 */
export interface LeaseStore {
  get(signal?: AbortSignal): Promise<LeaseGetResult>;
  create(record: LeaseRecord, signal?: AbortSignal): Promise<LeaseCreateResult>;
  update(record: LeaseRecord, resourceVersion: string, signal?: AbortSignal): Promise<LeaseUpdateResult>;
}
