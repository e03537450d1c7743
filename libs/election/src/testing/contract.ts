import type { LeaseRecord, LeaseStore, StoredLease } from '../lease/store.js';

/** One failed expectation of {@link checkLeaseStoreContract}. */
export interface ContractFailure {
  /** The step, e.g. `"create again → conflict"`. */
  readonly step: string;
  /** What was expected and what came back. */
  readonly detail: string;
}

/** Options of {@link checkLeaseStoreContract}. */
export interface ContractOptions {
  /**
   * Deletes the Lease behind the store, to check `update` → `not-found`. Omit to skip that step
   * (for example when the test has no delete permission).
   */
  readonly deleteLease?: () => Promise<void>;
  /**
   * Time precision the store keeps, in ms (MicroTime keeps µs, so 1 ms is exact for epoch-ms
   * inputs). @default 1
   */
  readonly timePrecisionMs?: number;
}

/**
 * The {@link LeaseStore} contract as an executable check, for any implementation (the in-memory
 * one here, the Kubernetes-backed one in the apps). Give it a store bound to a Lease that does
 * **not exist yet**; it creates and updates it and returns the failed steps (empty = compliant).
 *
 * ```ts
 * expect(await checkLeaseStoreContract(new KubernetesLeaseStore(api, ns, `contract-${pid}`))).toEqual([]);
 * ```
 */
export async function checkLeaseStoreContract(store: LeaseStore, options: ContractOptions = {}): Promise<ContractFailure[]> {
  const failures: ContractFailure[] = [];
  const fail = (step: string, detail: string) => failures.push({ step, detail });
  const prec = options.timePrecisionMs ?? 1;
  const t = 1_700_000_000_123;
  const sameRecord = (step: string, got: LeaseRecord, want: LeaseRecord) => {
    const near = (a: number | undefined, b: number | undefined) => (a === undefined ? b === undefined : b !== undefined && Math.abs(a - b) < prec);
    if (
      got.holderIdentity !== want.holderIdentity ||
      got.leaseDurationSeconds !== want.leaseDurationSeconds ||
      got.leaseTransitions !== want.leaseTransitions ||
      !near(got.acquireTime, want.acquireTime) ||
      !near(got.renewTime, want.renewTime)
    ) {
      fail(step, `record ${JSON.stringify(got)} differs from ${JSON.stringify(want)}`);
    }
  };
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (e) {
      fail(name, `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      return undefined;
    }
  };

  const first: LeaseRecord = { holderIdentity: 'contract-a', leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 };
  const g0 = await step('get on a missing Lease → not-found', () => store.get());
  if (g0 && g0.kind !== 'not-found') fail('get on a missing Lease → not-found', `got ${g0.kind}; bind the store to a fresh Lease name`);

  const c1 = await step('create → created', () => store.create(first));
  let v1: StoredLease | undefined;
  if (c1?.kind !== 'created') fail('create → created', `got ${c1?.kind}`);
  else {
    v1 = c1.lease;
    if (typeof v1.resourceVersion !== 'string' || v1.resourceVersion === '') fail('create → created', 'empty resourceVersion');
    sameRecord('create returns the record', v1.record, first);
  }

  const c2 = await step('create again → conflict', () => store.create(first));
  if (c2 && c2.kind !== 'conflict') fail('create again → conflict', `got ${c2.kind}`);

  const g1 = await step('get → found', () => store.get());
  if (g1?.kind !== 'found') fail('get → found', `got ${g1?.kind}`);
  else if (v1) {
    if (g1.lease.resourceVersion !== v1.resourceVersion) fail('get → found', `resourceVersion ${g1.lease.resourceVersion}, created ${v1.resourceVersion}`);
    sameRecord('get returns what was created', g1.lease.record, first);
  }

  const second: LeaseRecord = { holderIdentity: 'contract-b', leaseDurationSeconds: 20, acquireTime: t + 5_000, renewTime: t + 5_000, leaseTransitions: 1 };
  let v2: StoredLease | undefined;
  if (v1) {
    const u = await step('update with the current resourceVersion → updated', () => store.update(second, v1!.resourceVersion));
    if (u?.kind !== 'updated') fail('update with the current resourceVersion → updated', `got ${u?.kind}`);
    else {
      v2 = u.lease;
      if (v2.resourceVersion === v1.resourceVersion) fail('update changes resourceVersion', `still ${v2.resourceVersion}`);
      sameRecord('update returns the record', v2.record, second);
    }
    const stale = await step('update with a stale resourceVersion → conflict', () => store.update(first, v1!.resourceVersion));
    if (stale && stale.kind !== 'conflict') fail('update with a stale resourceVersion → conflict', `got ${stale.kind}`);
  }

  const released: LeaseRecord = { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 1 };
  if (v2) {
    const u = await step('released record (empty holder, no times) round-trips', () => store.update(released, v2!.resourceVersion));
    if (u?.kind !== 'updated') fail('released record (empty holder, no times) round-trips', `got ${u?.kind}`);
    else {
      const g = await step('get after release', () => store.get());
      if (g?.kind === 'found') sameRecord('released record (empty holder, no times) round-trips', g.lease.record, released);
      else fail('get after release', `got ${g?.kind}`);
      if (options.deleteLease) {
        await step('delete', options.deleteLease);
        const nf = await step('update after delete → not-found', () => store.update(first, u.lease.resourceVersion));
        if (nf && nf.kind !== 'not-found') fail('update after delete → not-found', `got ${nf.kind}`);
      }
    }
  }
  return failures;
}
