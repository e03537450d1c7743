/**
 * The elector on the real clock (systemClock, systemRng) over the in-memory store: short
 * retry periods, a few seconds of wall time. Guards the real-timer path that the simulations
 * replace with ManualClock.
 *
 * Regression (issue 15 §7, flaky under load): this test slept fixed times (100 ms, 1.5 s), used a
 * 1 s lease with a 600 ms renew deadline, asserted the hand-over took less than 3 s of wall time
 * and that b's acquisition was the LAST write. On a loaded 2-core machine a stalled event loop
 * could make a miss its renew deadline (b then led by expiry), fewer renewals fit the fixed
 * sleep, and b's first renewal (200 ms after it took over) could land before the check. Now every
 * step waits for its condition (bounded, generous), the lease (60 s) outlives the test so b can
 * only lead through a's release — which proves the graceful hand-over without timing it — and the
 * writes are checked in causal order (a's release, then b's acquisition), not by position.
 */
import { describe, expect, it } from 'vitest';
import { systemClock, systemRng } from '@metallb-ts/clock';
import { waitFor } from '@metallb-ts/test-lab';
import { LeaderElector } from '../src/index.js';
import { MemoryLeaseStore } from '../src/testing/index.js';

describe('LeaderElector on systemClock', () => {
  it('one leader, renewals, graceful hand-over on stop', async () => {
    const store = new MemoryLeaseStore();
    const timings = { leaseDurationMs: 60_000, renewDeadlineMs: 30_000, retryPeriodMs: 100 };
    const a = new LeaderElector({ identity: 'a', ...timings }, { clock: systemClock, rng: systemRng, store });
    const b = new LeaderElector({ identity: 'b', ...timings }, { clock: systemClock, rng: systemRng, store });
    const holders = () => store.writes.map((w) => w.lease.record.holderIdentity);
    try {
      a.start();
      await waitFor('a leads', () => a.isLeader(), 20_000);
      b.start();
      // a keeps renewing on the real timer while b retries against a held lease.
      const before = holders().length;
      await waitFor('five renewals by a after b started', () => holders().slice(before).filter((h) => h === 'a').length >= 5, 30_000);
      expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
      expect(new Set(holders())).toEqual(new Set(['a']));
      await a.stop();
      // The 60 s lease has not run out: only the released record lets b in.
      await waitFor('b leads after a released', () => b.isLeader(), 20_000);
      const h = holders();
      const released = h.indexOf('');
      expect(released).toBeGreaterThan(0);
      expect(h.slice(0, released).every((x) => x === 'a')).toBe(true);
      expect(h[released + 1]).toBe('b');
      expect(store.peek()!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
      await b.stop();
      expect(store.peek()!.record.holderIdentity).toBe('');
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
