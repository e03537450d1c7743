import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { LeaderElector } from '@metallb-ts/election';
import { MemoryLeaseStore } from '@metallb-ts/election/testing';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@metallb-ts/app-runtime';
import { Leadership } from './leadership.js';

const T0 = 1_700_000_000_000;

function setup(n: number) {
  const clock = new ManualClock(T0);
  const rng = new SeededRng(3);
  const store = new MemoryLeaseStore();
  const lines: Record<string, unknown>[] = [];
  const replicas = Array.from({ length: n }, (_, i) => {
    const link = store.connect({ clock, rng: rng.fork() });
    const elector = new LeaderElector({ identity: `r${i}`, leaseDurationMs: 6000, renewDeadlineMs: 4000, retryPeriodMs: 1000 }, { clock, rng: rng.fork(), store: link });
    const calls: string[] = [];
    let active = false;
    const gauge = { value: 0, set(v: number) { this.value = v; } };
    const log = createLogger({ level: 'all', clock, write: (l) => lines.push({ replica: i, ...(JSON.parse(l) as Record<string, unknown>) }) });
    const leadership = new Leadership({
      elector,
      log,
      clock,
      leaderGauge: gauge,
      target: {
        activate: async () => {
          calls.push('activate');
          active = true;
        },
        deactivate: async () => {
          calls.push('deactivate');
          active = false;
        },
      },
    });
    return { link, elector, leadership, calls, gauge, isActive: () => active };
  });
  return { clock, store, replicas, lines };
}

describe('Leadership (issue 15 §1: a lost term is never the end)', () => {
  it('one replica: an outage longer than the renew deadline costs the term, then it stands again and leads', async () => {
    const { clock, replicas, lines } = setup(1);
    const r = replicas[0]!;
    r.leadership.start();
    await clock.advanceAsync(1);
    expect(r.leadership.state).toBe('leading');
    expect(r.isActive()).toBe(true);
    for (const outageMs of [12_000, 60_000]) {
      r.link.partitioned = true;
      await clock.advanceAsync(5000);
      // The term is lost; the replica is a candidate again (not stopped for good).
      expect(r.isActive()).toBe(false);
      expect(r.gauge.value).toBe(0);
      expect(r.leadership.state).toBe('candidate');
      expect(r.elector.state).toBe('acquiring');
      expect(r.leadership.notLive()).toBeUndefined();
      await clock.advanceAsync(outageMs - 5000);
      r.link.partitioned = false;
      // Back within lease duration + retry period (jittered candidate retry: ≤ 2.2 retry periods).
      await clock.advanceAsync(2200);
      expect(r.leadership.state).toBe('leading');
      expect(r.isActive()).toBe(true);
      expect(r.gauge.value).toBe(1);
    }
    expect(r.leadership.termsLed).toBe(3);
    expect(r.calls.filter((c) => c === 'activate')).toHaveLength(3);
    expect(lines.some((l) => l.msg === 'standing as a candidate again')).toBe(true);
    expect(lines.find((l) => String(l.msg).startsWith('lost leadership'))).toMatchObject({ level: 'warn', reason: 'renewDeadlineExceeded' });
  });

  it('two replicas: after the outage exactly one leads, within lease duration + retry period', async () => {
    const { clock, replicas, store } = setup(2);
    for (const r of replicas) r.leadership.start();
    await clock.advanceAsync(3000);
    expect(replicas.filter((r) => r.leadership.state === 'leading')).toHaveLength(1);
    for (const r of replicas) r.link.partitioned = true;
    await clock.advanceAsync(12_000);
    expect(replicas.every((r) => r.leadership.state === 'candidate' && !r.isActive())).toBe(true);
    for (const r of replicas) r.link.partitioned = false;
    await clock.advanceAsync(7000);
    const leaders = replicas.filter((r) => r.leadership.state === 'leading');
    expect(leaders).toHaveLength(1);
    expect(replicas.filter((r) => r.isActive())).toHaveLength(1);
    expect(store.peek()?.record.holderIdentity).toBe(leaders[0]!.elector.identity);
  });

  it('probes tell the truth: not ready while stepping down, not live if stuck there; stop() ends it for good', async () => {
    const { clock, replicas } = setup(1);
    const r = replicas[0]!;
    let release: () => void = () => undefined;
    const { link } = r;
    // A deactivation that hangs (a reconcile stuck in a write).
    const stuck = new Leadership({
      elector: r.elector,
      log: createLogger({ level: 'none' }),
      clock,
      stuckAfterMs: 10_000,
      target: { activate: async () => undefined, deactivate: () => new Promise<void>((res) => (release = res)) },
    });
    stuck.start();
    await clock.advanceAsync(1);
    expect(stuck.state).toBe('leading');
    expect(stuck.notReady()).toBeUndefined();
    link.partitioned = true;
    await clock.advanceAsync(5000);
    expect(stuck.state).toBe('stepping-down');
    expect(stuck.notReady()).toMatch(/lost leadership/);
    expect(stuck.notLive()).toBeUndefined();
    await clock.advanceAsync(10_000);
    expect(stuck.notLive()).toMatch(/not standing again/);
    release();
    await clock.advanceAsync(1);
    expect(stuck.state).toBe('candidate');
    expect(stuck.notLive()).toBeUndefined();
    link.partitioned = false;
    const stopping = stuck.stop();
    release();
    await clock.advanceAsync(1);
    await stopping;
    expect(stuck.state).toBe('stopped');
    expect(stuck.notReady()).toBe('shutting down');
    expect(r.elector.state).toBe('stopped');
  });
});
