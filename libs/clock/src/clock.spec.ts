import { describe, expect, it } from 'vitest';
import { exponentialBackoff, jitter, jitterDown, systemClock, systemRng } from './index.js';
import { ManualClock, SeededRng } from './testing/index.js';

describe('ManualClock', () => {
  it('fires due timers in time order, ties in creation order', () => {
    const c = new ManualClock(0);
    const seen: string[] = [];
    c.setTimer(30, () => seen.push('c'));
    c.setTimer(10, () => seen.push('a'));
    c.setTimer(10, () => seen.push('b'));
    c.setTimer(31, () => seen.push('late'));
    expect(c.advance(30)).toBe(3);
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(c.now()).toBe(30);
    expect(c.pending()).toBe(1);
  });
  it('fires timers set by callbacks inside the window, at their own time', () => {
    const c = new ManualClock(0);
    const at: number[] = [];
    c.setTimer(5, () => {
      at.push(c.now());
      c.setTimer(5, () => at.push(c.now()));
    });
    c.advance(10);
    expect(at).toEqual([5, 10]);
  });
  it('cancel prevents firing; intervals repeat', () => {
    const c = new ManualClock(0);
    let n = 0;
    const h = c.setTimer(1, () => n++);
    h.cancel();
    const i = c.setInterval(10, () => n += 10);
    c.advance(35);
    expect(n).toBe(30);
    i.cancel();
    c.advance(100);
    expect(n).toBe(30);
  });
  it('sleep resolves when advanced, rejects on abort', async () => {
    const c = new ManualClock(0);
    let done = false;
    const p = c.sleep(100).then(() => (done = true));
    await c.advanceAsync(99);
    expect(done).toBe(false);
    await c.advanceAsync(1);
    await p;
    expect(done).toBe(true);
    const ac = new AbortController();
    const q = c.sleep(10, ac.signal);
    ac.abort();
    await expect(q).rejects.toMatchObject({ name: 'AbortError' });
  });
  it('advanceAsync lets async chains schedule follow-up timers', async () => {
    const c = new ManualClock(0);
    const at: number[] = [];
    (async () => {
      for (let i = 0; i < 3; i++) {
        await c.sleep(10);
        at.push(c.now());
      }
    })();
    await c.advanceAsync(100);
    expect(at).toEqual([10, 20, 30]);
  });
  it('refuses to go backwards; monotonic ignores wall steps', () => {
    const c = new ManualClock(1000);
    expect(() => c.advance(-1)).toThrow(RangeError);
    c.advance(5);
    c.setWallTime(0);
    expect(c.now()).toBe(0);
  });
});

describe('SeededRng', () => {
  it('is deterministic per seed and in range', () => {
    const a = new SeededRng(42);
    const b = new SeededRng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new SeededRng(43).next()).not.toBe(xs[0]);
  });
  it('int covers the range roughly uniformly', () => {
    const r = new SeededRng(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[r.int(4)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => r.int(0)).toThrow(RangeError);
  });
});

describe('jitter and backoff', () => {
  it('jitter stays inside its band', () => {
    const r = new SeededRng(1);
    for (let i = 0; i < 1000; i++) {
      const j = jitter(r, 1000, 0.25);
      expect(j).toBeGreaterThanOrEqual(750);
      expect(j).toBeLessThan(1250);
      const d = jitterDown(r, 1000, 0.25);
      expect(d).toBeGreaterThan(750);
      expect(d).toBeLessThanOrEqual(1000);
    }
    expect(() => jitter(r, 1, 2)).toThrow(RangeError);
  });
  it('exponential backoff doubles to its cap', () => {
    const o = { initialMs: 1000, maxMs: 30_000 };
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => exponentialBackoff(a, o))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    const r = new SeededRng(3);
    for (let a = 0; a < 10; a++) expect(exponentialBackoff(a, { ...o, jitter: 0.5 }, r)).toBeLessThanOrEqual(30_000);
  });
});

describe('system implementations', () => {
  it('systemClock timers fire and cancel', async () => {
    let fired = false;
    systemClock.setTimer(1, () => (fired = true));
    const never = systemClock.setTimer(1, () => {
      throw new Error('cancelled timer fired');
    });
    never.cancel();
    await systemClock.sleep(20);
    expect(fired).toBe(true);
    expect(systemClock.now()).toBeGreaterThan(1.7e12);
  });
  it('systemRng gives values in range', () => {
    for (let i = 0; i < 100; i++) {
      expect(systemRng.int(10)).toBeLessThan(10);
      const x = systemRng.next();
      expect(x >= 0 && x < 1).toBe(true);
    }
    expect(systemRng.bytes(16)).toHaveLength(16);
  });
});

describe('runtime', () => {
  it('the test process runs on Node 24 (pinned through the npm "node" package)', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
