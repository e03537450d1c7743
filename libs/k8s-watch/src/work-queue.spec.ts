import { ManualClock } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { runReconciler, TerminalError, type ReconcileOutcome } from './reconciler.js';
import { TokenBucket } from './rate-limiter.js';
import { BucketRateLimiter, ItemExponentialRateLimiter, itemBackoffMs, MaxOfRateLimiter, WorkQueue } from './work-queue.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

describe('itemBackoffMs', () => {
  it.each([
    [0, 5],
    [1, 10],
    [2, 20],
    [10, 5120],
    [30, 300_000],
    [5000, 300_000],
  ])('after %d failures: %d ms', (n, want) => expect(itemBackoffMs(n, 5, 300_000)).toBe(want));
});

describe('TokenBucket', () => {
  it('allows a burst, then one token per 1/qps', () => {
    const clock = new ManualClock();
    const b = new TokenBucket(10, 3, clock);
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 0, 0]);
    expect(b.reserve()).toBe(100);
    expect(b.reserve()).toBe(200);
    clock.advance(1000);
    expect(b.tryTake()).toBe(true);
  });
  it('rejects nonsense', () => {
    expect(() => new TokenBucket(0, 1, new ManualClock())).toThrow(RangeError);
  });
});

describe('WorkQueue', () => {
  it('de-duplicates queued keys and hands them out in order', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });
  it('never hands out a key twice at once; a key added while processing comes back after done', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add('a');
    const k = await q.get();
    q.add('a');
    expect(q.len()).toBe(0);
    q.done(k!);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
  });
  it('addAfter keeps the earliest delay and fires on the clock', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    expect(q.delayed()).toBe(1);
    clock.advance(49);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
  });
  it('rate-limited adds back off per key and forget resets', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1000) });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      const at = clock.nextTimerAt()! - clock.now();
      delays.push(at);
      clock.advance(at);
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues('a')).toBe(4);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
  });
  it('the global bucket limits retries across keys', () => {
    const clock = new ManualClock();
    const l = new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000), new BucketRateLimiter(10, 2, clock));
    expect(['a', 'b', 'c', 'd'].map((k) => l.when(k))).toEqual([5, 5, 100, 200]);
  });
  it('shutDown releases waiting workers', async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    const p = q.get();
    q.shutDown();
    expect(await p).toBeUndefined();
    q.add('x');
    expect(q.len()).toBe(0);
  });
});

describe('runReconciler', () => {
  it('retries failures with back-off, drops terminal errors, honours requeueAfter', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1000) });
    const calls: string[] = [];
    const outcomes: ReconcileOutcome[] = [];
    let failures = 2;
    const r = runReconciler({
      queue: q,
      onOutcome: (o) => outcomes.push(o),
      reconcile: (key) => {
        calls.push(`${key}@${clock.monotonic()}`);
        if (key === 'flaky' && failures-- > 0) throw new Error('boom');
        if (key === 'bad') throw new TerminalError('never');
        if (key === 'periodic') return { requeueAfterMs: 1000 };
      },
    });
    q.add('flaky');
    q.add('bad');
    q.add('periodic');
    await settle();
    await clock.advanceAsync(5);
    await settle();
    await clock.advanceAsync(10);
    await settle();
    await clock.advanceAsync(985);
    await settle();
    expect(calls).toEqual(['flaky@0', 'bad@0', 'periodic@0', 'flaky@5', 'flaky@15', 'periodic@1000']);
    expect(outcomes.filter((o) => o.kind === 'dropped').map((o) => o.key)).toEqual(['bad']);
    expect(q.numRequeues('flaky')).toBe(0);
    await r.stop();
  });
  it('processes different keys concurrently but one key at a time', async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    let inFlight = 0;
    let max = 0;
    const perKey = new Map<string, number>();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const r = runReconciler({
      queue: q,
      concurrency: 3,
      reconcile: async (key) => {
        inFlight++;
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
        max = Math.max(max, inFlight);
        expect(perKey.get(key)).toBe(1);
        await gate;
        perKey.set(key, perKey.get(key)! - 1);
        inFlight--;
      },
    });
    for (const k of ['a', 'b', 'c', 'd', 'a']) q.add(k);
    await settle();
    expect(max).toBe(3);
    release();
    await settle();
    await r.stop();
  });
});
