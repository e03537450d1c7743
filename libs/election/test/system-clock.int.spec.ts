/**
 * The elector on the real clock (systemClock, systemRng) over the in-memory store: short
 * timings, a few seconds of wall time. Guards the real-timer path that the simulations replace
 * with ManualClock.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { systemClock, systemRng } from '@metallb-ts/clock';
import { LeaderElector } from '../src/index.js';
import { MemoryLeaseStore } from '../src/testing/index.js';

describe('LeaderElector on systemClock', () => {
  it('one leader, renewals, graceful hand-over on stop', async () => {
    const store = new MemoryLeaseStore();
    const timings = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 200 };
    const a = new LeaderElector({ identity: 'a', ...timings }, { clock: systemClock, rng: systemRng, store });
    const b = new LeaderElector({ identity: 'b', ...timings }, { clock: systemClock, rng: systemRng, store });
    a.start();
    await sleep(100);
    b.start();
    await sleep(1500);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    const renewals = store.writes.length;
    expect(renewals).toBeGreaterThanOrEqual(5);
    const stoppedAt = Date.now();
    await a.stop();
    for (let i = 0; i < 150 && !b.isLeader(); i++) await sleep(20);
    expect(b.isLeader()).toBe(true);
    // Taken over from the released record (not after the 1 s lease ran out); generous timing
    // bound because the machine may be loaded.
    const holders = store.writes.map((w) => w.lease.record.holderIdentity);
    expect(holders.slice(-2)).toEqual(['', 'b']);
    expect(Date.now() - stoppedAt).toBeLessThan(3000);
    expect(store.peek()!.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.stop();
    expect(store.peek()!.record.holderIdentity).toBe('');
  });
});
