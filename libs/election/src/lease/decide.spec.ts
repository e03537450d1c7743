import { describe, expect, it } from 'vitest';
import { decideLease, leaseValid, releasedRecord, renewedRecord, type LeaseDecision, type LeaseRecord, type StoredLease } from '../index.js';

const W = 1_700_000_000_000; // wall now
const view = { identity: 'me', leaseDurationSeconds: 15, nowWall: W, nowMono: 100_000, observedAt: 90_000 };
const lease = (r: Partial<LeaseRecord>, rv = '7'): StoredLease => ({
  record: { holderIdentity: 'other', leaseDurationSeconds: 15, acquireTime: W - 60_000, renewTime: W - 1_000, leaseTransitions: 3, ...r },
  resourceVersion: rv,
});

describe('decideLease: client-go tryAcquireOrRenew steps 2–4, transition table', () => {
  const rows: [string, StoredLease | undefined, Partial<typeof view>, LeaseDecision][] = [
    ['absent → create, transitions 0', undefined, {}, { kind: 'create', record: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: W, renewTime: W, leaseTransitions: 0 } }],
    [
      'held by another, seen 10 s ago with 15 s duration → wait 5 s',
      lease({}),
      {},
      { kind: 'wait', reason: 'held', holder: 'other', remainingMs: 5_000 },
    ],
    [
      'held by another, unchanged for exactly 15 s → take over (+1)',
      lease({}),
      { observedAt: 85_000 },
      { kind: 'update', resourceVersion: '7', reason: 'take-over-expired', record: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: W, renewTime: W, leaseTransitions: 4 } },
    ],
    [
      'the RECORDED duration counts, not ours: 60 s recorded, seen 20 s ago → wait',
      lease({ leaseDurationSeconds: 60 }),
      { observedAt: 80_000 },
      { kind: 'wait', reason: 'held', holder: 'other', remainingMs: 40_000 },
    ],
    [
      'renewTime in the far future (skewed writer) does not matter',
      lease({ renewTime: W + 3_600_000 }),
      { observedAt: 80_000 },
      { kind: 'update', resourceVersion: '7', reason: 'take-over-expired', record: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: W, renewTime: W, leaseTransitions: 4 } },
    ],
    [
      'released (empty holder) → take over at once (+1)',
      lease({ holderIdentity: '', leaseDurationSeconds: 1 }),
      { observedAt: 100_000 },
      { kind: 'update', resourceVersion: '7', reason: 'take-over-released', record: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: W, renewTime: W, leaseTransitions: 4 } },
    ],
    [
      'ours → renew, acquireTime and transitions kept, our duration written',
      lease({ holderIdentity: 'me', leaseDurationSeconds: 30 }),
      {},
      { kind: 'update', resourceVersion: '7', reason: 'renew', record: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: W - 60_000, renewTime: W, leaseTransitions: 3 } },
    ],
    [
      'ours even if expired on our clock (e.g. after a restart) → renew, no transition',
      lease({ holderIdentity: 'me' }),
      { observedAt: 0 },
      { kind: 'update', resourceVersion: '7', reason: 'renew', record: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: W - 60_000, renewTime: W, leaseTransitions: 3 } },
    ],
    [
      'zero recorded duration → never valid → take over',
      lease({ leaseDurationSeconds: 0 }),
      { observedAt: 100_000 },
      { kind: 'update', resourceVersion: '7', reason: 'take-over-expired', record: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: W, renewTime: W, leaseTransitions: 4 } },
    ],
  ];
  it.each(rows)('%s', (_name, current, over, want) => {
    expect(decideLease(current, { ...view, ...over })).toEqual(want);
  });
});

describe('records', () => {
  it('renewedRecord keeps acquireTime and transitions; omits an absent acquireTime', () => {
    expect(renewedRecord({ holderIdentity: 'a', leaseDurationSeconds: 9, acquireTime: 5, renewTime: 6, leaseTransitions: 2 }, 100, 15)).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: 5,
      renewTime: 100,
      leaseTransitions: 2,
    });
    expect(renewedRecord({ holderIdentity: 'a', leaseDurationSeconds: 9, leaseTransitions: 0 }, 100, 15)).not.toHaveProperty('acquireTime');
  });
  it('releasedRecord is client-go release()', () => {
    expect(releasedRecord({ holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: 1, renewTime: 2, leaseTransitions: 4 }, 100)).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      acquireTime: 100,
      renewTime: 100,
      leaseTransitions: 4,
    });
  });
  it('leaseValid is strict at the boundary', () => {
    const l = lease({});
    expect(leaseValid(l, 0, 14_999)).toBe(true);
    expect(leaseValid(l, 0, 15_000)).toBe(false);
  });
});
