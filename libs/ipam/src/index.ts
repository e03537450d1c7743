/**
 * @packageDocumentation
 * `@metallb-ts/ipam`: MetalLB's IP allocation semantics as a pure, deterministic library.
 *
 * - {@link Allocator}: pools (`setPools`), requests (`allocate`, `validate`, `addFamily`,
 *   `release`), start-up rebuild (`restore`/`snapshot`) and counts (`counts`, `status`).
 * - Every refusal is a typed {@link AllocateRefusal} with a {@link RefusalReason}, a message that
 *   says what to change, and the list of pools considered ({@link PoolConsideration}).
 * - First-free search is O(log n) over a free-interval tree ({@link FreeSet}) of bigint offsets,
 *   for IPv4 and IPv6 pools of any size; `avoidBuggyIPs` is handled arithmetically.
 */
export { Allocator } from './allocator.js';
export { sameAddresses } from './request.js';
export { FreeSet } from './free-set.js';
export { MAX_INT64, metallbFamilySize } from './counts.js';
export { matchesSelector, matchesAny } from './selector.js';
export type {
  AllocateRefusal,
  AllocateResult,
  AllocateSuccess,
  Allocation,
  AllocationRecord,
  Conflict,
  DroppedAllocation,
  Family,
  FamilyPolicy,
  LabelSelector,
  LabelSelectorRequirement,
  MovedAllocation,
  PoolConsideration,
  PoolCounts,
  PoolError,
  PoolSpec,
  PoolStage,
  PoolStatus,
  PoolVerdict,
  Port,
  RefusalReason,
  ReleaseResult,
  RestoreRejection,
  RestoreResult,
  ServiceAllocation,
  ServiceRequest,
  SetPoolsResult,
} from './types.js';
export { ANNOTATIONS, backendKeyFrom, poolFrom, requestedIpsFrom, sharingKeyFrom, type RequestedIps } from './request-helpers.js';
