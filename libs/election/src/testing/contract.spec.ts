import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import type { LeaseStore } from '../index.js';
import { checkLeaseStoreContract, MemoryLeaseStore } from './index.js';

describe('checkLeaseStoreContract', () => {
  it('MemoryLeaseStore is compliant, directly and through a link', async () => {
    const direct = new MemoryLeaseStore();
    expect(await checkLeaseStoreContract(direct, { deleteLease: async () => direct.delete() })).toEqual([]);
    const clock = new ManualClock();
    const behind = new MemoryLeaseStore();
    const link = behind.connect({ clock, rng: new SeededRng(1), latencyMs: [5, 10] });
    const run = checkLeaseStoreContract(link, { deleteLease: async () => behind.delete() });
    for (let i = 0; i < 50; i++) await clock.advanceAsync(20);
    expect(await run).toEqual([]);
  });

  it('catches a store that ignores resourceVersion, loses the empty holder and reuses versions', async () => {
    const m = new MemoryLeaseStore();
    const sloppy: LeaseStore = {
      get: () => m.get(),
      create: (r) => m.create(r),
      update: async (r) => {
        const cur = m.peek();
        if (!cur) return { kind: 'not-found' };
        const rec = { ...r, holderIdentity: r.holderIdentity || 'nobody' };
        return { kind: 'updated', lease: { record: rec, resourceVersion: cur.resourceVersion } };
      },
    };
    const steps = (await checkLeaseStoreContract(sloppy)).map((f) => f.step);
    expect(steps).toContain('update changes resourceVersion');
    expect(steps).toContain('update with a stale resourceVersion → conflict');
  });

  it('reports a store that throws instead of answering not-found', async () => {
    const throwing: LeaseStore = {
      get: async () => {
        throw new Error('404');
      },
      create: async () => ({ kind: 'conflict' }),
      update: async () => ({ kind: 'conflict' }),
    };
    const f = await checkLeaseStoreContract(throwing);
    expect(f[0]).toEqual({ step: 'get on a missing Lease → not-found', detail: 'threw Error: 404' });
  });
});
