import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { LeaderElectionConfigError, LeaderElector, resolveLeaderElection, type LeaderEvent, type LeaseStore } from '../index.js';
import { InjectedStoreError, MemoryLeaseStore, SkewedClock } from '../testing/index.js';

const T0 = 1_700_000_000_000;

function setup(n = 2, opts: { latency?: [number, number]; releaseOnCancel?: boolean } = {}) {
  const clock = new ManualClock(T0);
  const rng = new SeededRng(7);
  const store = new MemoryLeaseStore();
  const nodes = Array.from({ length: n }, (_, i) => {
    const nodeClock = new SkewedClock(clock);
    const link = store.connect({ clock, rng: rng.fork(), latencyMs: opts.latency ?? [0, 0] });
    const events: LeaderEvent[] = [];
    const el = new LeaderElector(
      { identity: `c${i}`, ...(opts.releaseOnCancel === undefined ? {} : { releaseOnCancel: opts.releaseOnCancel }) },
      { clock: nodeClock, rng: rng.fork(), store: link },
    );
    el.on((e) => events.push(e));
    return { el, link, events, clock: nodeClock };
  });
  return { clock, store, nodes };
}

describe('configuration (client-go NewLeaderElector rules)', () => {
  it('defaults are 15 s / 10 s / 2 s, release on cancel', () => {
    expect(resolveLeaderElection({ identity: 'x' })).toEqual({ identity: 'x', leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000, releaseOnCancel: true });
  });
  it.each([
    [{ identity: '' }, /identity/],
    [{ identity: 'x', leaseDurationMs: 10000, renewDeadlineMs: 10000 }, /greater than renewDeadlineMs/],
    [{ identity: 'x', renewDeadlineMs: 2400, retryPeriodMs: 2000 }, /1\.2 × retryPeriodMs/],
    [{ identity: 'x', leaseDurationMs: 15500 }, /whole seconds/],
    [{ identity: 'x', retryPeriodMs: 0 }, /positive/],
    [{ identity: 'x', leaseDurationMs: Number.NaN }, /positive/],
  ])('%j is refused', (init, msg) => {
    expect(() => resolveLeaderElection(init)).toThrow(LeaderElectionConfigError);
    expect(() => resolveLeaderElection(init)).toThrow(msg);
  });
});

describe('LeaderElector', () => {
  it('creates the Lease, leads, and renews keeping acquireTime', async () => {
    const { clock, store, nodes } = setup(1);
    const { el, events } = nodes[0]!;
    el.start();
    await clock.advanceAsync(1);
    expect(el.isLeader()).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['new-leader', 'started-leading']);
    expect(store.peek()!.record).toEqual({ holderIdentity: 'c0', leaseDurationSeconds: 15, acquireTime: T0, renewTime: T0, leaseTransitions: 0 });
    await clock.advanceAsync(2000);
    expect(store.peek()!.record).toMatchObject({ holderIdentity: 'c0', acquireTime: T0, renewTime: T0 + 2000, leaseTransitions: 0 });
    expect(store.writes.map((w) => w.op)).toEqual(['create', 'update']);
    expect(el.leader()).toBe('c0');
  });

  it('a follower waits while the lease is valid, then takes over after leaseDuration (transitions +1)', async () => {
    const { clock, store, nodes } = setup(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    a.el.start();
    await clock.advanceAsync(1);
    b.el.start();
    await clock.advanceAsync(30_000);
    expect(b.el.isLeader()).toBe(false);
    expect(b.el.leader()).toBe('c0');
    expect(b.events).toEqual([{ type: 'new-leader', identity: 'c0' }]);
    // a dies without releasing
    a.clock.kill();
    a.link.kill();
    const lastRenew = store.peek()!.record.renewTime!;
    let tookOver = 0;
    b.el.on((e) => {
      if (e.type === 'started-leading') tookOver = clock.now();
    });
    await clock.advanceAsync(30_000);
    expect(b.el.isLeader()).toBe(true);
    expect(tookOver - lastRenew).toBeGreaterThanOrEqual(15_000);
    expect(tookOver - lastRenew).toBeLessThanOrEqual(15_000 + 2 * 2.2 * 2000);
    expect(store.peek()!.record).toMatchObject({ holderIdentity: 'c1', leaseTransitions: 1, acquireTime: tookOver });
  });

  it('stop() releases: empty holder, 1 s duration, transitions kept; the follower takes over within a retry', async () => {
    const { clock, store, nodes } = setup(2);
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    a.el.start();
    await clock.advanceAsync(1);
    b.el.start();
    await clock.advanceAsync(5_000);
    const stopped = clock.now();
    const done = a.el.stop();
    await clock.advanceAsync(0);
    await done;
    expect(a.events.at(-1)).toEqual({ type: 'stopped-leading', reason: 'stopped' });
    expect(store.peek()!.record).toEqual({ holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stopped, renewTime: stopped, leaseTransitions: 0 });
    await clock.advanceAsync(2 * 2.2 * 2000);
    expect(b.el.isLeader()).toBe(true);
    expect(store.peek()!.record.leaseTransitions).toBe(1);
    expect(a.el.state).toBe('stopped');
  });

  it('releaseOnCancel false leaves the lease held', async () => {
    const { clock, store, nodes } = setup(1, { releaseOnCancel: false });
    nodes[0]!.el.start();
    await clock.advanceAsync(1);
    await nodes[0]!.el.stop(); // nothing to release: resolves at once
    expect(store.peek()!.record.holderIdentity).toBe('c0');
  });

  it('steps down exactly renewDeadline after the send time of its last successful renewal', async () => {
    const { clock, nodes } = setup(1, { latency: [50, 50] });
    const { el, link, events } = nodes[0]!;
    el.start();
    await clock.advanceAsync(199); // get answered at 100, create sent at 100, answered at 200
    expect(el.isLeader()).toBe(false);
    await clock.advanceAsync(1);
    expect(el.isLeader()).toBe(true);
    await clock.advanceAsync(2_101); // renewal sent at 2200, answered at 2300
    link.partitioned = true;
    const signals = events.filter((e) => e.type === 'started-leading').map((e) => (e as { signal: AbortSignal }).signal);
    await clock.advanceAsync(12_200 - clock.monotonic() - 1);
    expect(el.isLeader()).toBe(true);
    await clock.advanceAsync(1);
    expect(el.isLeader()).toBe(false);
    expect(el.state).toBe('stopped');
    expect(events.at(-1)).toMatchObject({ type: 'stopped-leading', reason: 'renewDeadlineExceeded' });
    expect(signals[0]!.aborted).toBe(true);
    expect(events.some((e) => e.type === 'store-error' && e.error instanceof InjectedStoreError)).toBe(true);
  });

  it('a foreign write makes renewals fail and the leader steps down', async () => {
    const { clock, store, nodes } = setup(1);
    const { el, events } = nodes[0]!;
    el.start();
    await clock.advanceAsync(1);
    store.put({ holderIdentity: 'intruder', leaseDurationSeconds: 60, renewTime: clock.now(), acquireTime: clock.now(), leaseTransitions: 5 });
    await clock.advanceAsync(10_001);
    expect(el.isLeader()).toBe(false);
    expect(events.filter((e) => e.type === 'new-leader').map((e) => (e as { identity?: string }).identity)).toEqual(['c0', 'intruder']);
    expect(store.peek()!.record.holderIdentity).toBe('intruder'); // release refused: not ours any more
  });

  it('wall-clock offsets do not matter: a follower an hour ahead still waits the full duration', async () => {
    const clock = new ManualClock(T0);
    const rng = new SeededRng(3);
    const store = new MemoryLeaseStore();
    const a = new LeaderElector({ identity: 'a' }, { clock: new SkewedClock(clock, { offsetMs: -3_600_000 }), rng: rng.fork(), store: store.connect({ clock, rng: rng.fork() }) });
    const bClock = new SkewedClock(clock, { offsetMs: 3_600_000 });
    const b = new LeaderElector({ identity: 'b' }, { clock: bClock, rng: rng.fork(), store: store.connect({ clock, rng: rng.fork() }) });
    a.start();
    await clock.advanceAsync(1);
    b.start();
    await clock.advanceAsync(60_000);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(store.peek()!.record.renewTime! < clock.now()).toBe(true); // written an hour "ago"
  });

  it('start() again after losing leadership rejoins; start while running is a no-op', async () => {
    const { clock, nodes } = setup(1);
    const { el, link } = nodes[0]!;
    el.start();
    el.start();
    await clock.advanceAsync(1);
    link.partitioned = true;
    await clock.advanceAsync(11_000);
    expect(el.state).toBe('stopped');
    link.partitioned = false;
    el.start();
    await clock.advanceAsync(1);
    expect(el.isLeader()).toBe(true); // the record still names us: re-acquired without waiting
  });

  it('a create whose answer is lost is recognised as ours on the next read (no extra transition)', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryLeaseStore();
    let lose = true;
    const lossy: LeaseStore = {
      get: () => store.get(),
      create: async (r) => {
        const res = await store.create(r);
        if (lose) throw new Error('connection reset after the write');
        return res;
      },
      update: (r, v) => store.update(r, v),
    };
    const el = new LeaderElector({ identity: 'z' }, { clock, rng: new SeededRng(1), store: lossy });
    const errors: unknown[] = [];
    el.on((e) => e.type === 'store-error' && errors.push(e.error));
    el.start();
    await clock.advanceAsync(1);
    expect(el.isLeader()).toBe(false);
    expect(errors).toHaveLength(1);
    expect(store.peek()!.record.holderIdentity).toBe('z');
    lose = false;
    await clock.advanceAsync(2 * 2.2 * 2000);
    expect(el.isLeader()).toBe(true);
    expect(store.peek()!.record).toMatchObject({ holderIdentity: 'z', leaseTransitions: 0, acquireTime: T0 });
    await el.stop();
    expect(store.peek()!.record.holderIdentity).toBe('');
  });
});

describe('new-leader events', () => {
  it('are not emitted for an unreachable store or an already released Lease, only for changes', async () => {
    const clock = new ManualClock(T0);
    const store = new MemoryLeaseStore();
    store.put({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 });
    const link = store.connect({ clock, rng: new SeededRng(2) });
    link.partitioned = true;
    const el = new LeaderElector({ identity: 'q' }, { clock, rng: new SeededRng(3), store: link });
    const seen: (string | undefined)[] = [];
    el.on((e) => e.type === 'new-leader' && seen.push(e.identity));
    el.start();
    await clock.advanceAsync(10_000);
    expect(seen).toEqual([]);
    link.partitioned = false;
    await clock.advanceAsync(5_000);
    expect(seen).toEqual(['q']);
    expect(store.peek()!.record.leaseTransitions).toBe(3);
  });
});
