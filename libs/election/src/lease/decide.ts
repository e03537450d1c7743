import type { LeaseRecord, StoredLease } from './store.js';

/** What a candidate knows when it decides, besides the Lease itself. */
export interface LeaseView {
  /** This candidate's identity. */
  readonly identity: string;
  /** The duration this candidate writes (its leaseDurationMs / 1000). */
  readonly leaseDurationSeconds: number;
  /** Wall clock now (epoch ms): written to acquireTime/renewTime. */
  readonly nowWall: number;
  /** Monotonic now (ms). */
  readonly nowMono: number;
  /**
   * Monotonic time at which this candidate first saw the Lease's current resourceVersion. The
   * lease of another holder runs out `leaseDurationSeconds` (the *recorded* value) after it.
   */
  readonly observedAt: number;
}

/** The next step of `tryAcquireOrRenew`, as data. */
export type LeaseDecision =
  | { readonly kind: 'create'; readonly record: LeaseRecord }
  | {
      readonly kind: 'update';
      readonly record: LeaseRecord;
      readonly resourceVersion: string;
      /**
       * `renew`: we hold it (acquireTime and transitions kept); `take-over-released`: the holder is
       * empty; `take-over-expired`: another holder's lease ran out on our clock.
       */
      readonly reason: 'renew' | 'take-over-released' | 'take-over-expired';
    }
  | {
      readonly kind: 'wait';
      readonly reason: 'held';
      readonly holder: string;
      /** Monotonic ms left before we may take over (if the Lease does not change meanwhile). */
      readonly remainingMs: number;
    };

/** Whether a Lease observed at `observedAt` is still valid at `nowMono` (client-go `isLeaseValid`). */
export function leaseValid(lease: StoredLease, observedAt: number, nowMono: number): boolean {
  return observedAt + lease.record.leaseDurationSeconds * 1000 > nowMono;
}

/**
 * client-go's `tryAcquireOrRenew` decision (steps 2–4) as a pure function of the Lease just
 * read (`undefined` = not found) and the candidate's view.
 */
export function decideLease(current: StoredLease | undefined, v: LeaseView): LeaseDecision {
  const fresh: LeaseRecord = {
    holderIdentity: v.identity,
    leaseDurationSeconds: v.leaseDurationSeconds,
    acquireTime: v.nowWall,
    renewTime: v.nowWall,
    leaseTransitions: 0,
  };
  if (!current) return { kind: 'create', record: fresh };
  const old = current.record;
  const rv = current.resourceVersion;
  if (old.holderIdentity === v.identity) {
    return { kind: 'update', resourceVersion: rv, reason: 'renew', record: renewedRecord(old, v.nowWall, v.leaseDurationSeconds) };
  }
  if (old.holderIdentity !== '' && leaseValid(current, v.observedAt, v.nowMono)) {
    return { kind: 'wait', reason: 'held', holder: old.holderIdentity, remainingMs: v.observedAt + old.leaseDurationSeconds * 1000 - v.nowMono };
  }
  return {
    kind: 'update',
    resourceVersion: rv,
    reason: old.holderIdentity === '' ? 'take-over-released' : 'take-over-expired',
    record: { ...fresh, leaseTransitions: old.leaseTransitions + 1 },
  };
}

/** A renewal of `old` by its holder: new renewTime and duration, same acquireTime and transitions. */
export function renewedRecord(old: LeaseRecord, nowWall: number, leaseDurationSeconds: number): LeaseRecord {
  const r: LeaseRecord = { holderIdentity: old.holderIdentity, leaseDurationSeconds, renewTime: nowWall, leaseTransitions: old.leaseTransitions };
  return old.acquireTime === undefined ? r : { ...r, acquireTime: old.acquireTime };
}

/** client-go's `release` record: empty holder, 1 s duration, times = now, transitions kept. */
export function releasedRecord(old: LeaseRecord, nowWall: number): LeaseRecord {
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: nowWall, renewTime: nowWall, leaseTransitions: old.leaseTransitions };
}
