import { ManualClock } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LOG_THROTTLE, LogThrottle } from './log-throttle.js';

const decide = (t: LogThrottle, key: string, n: number) => Array.from({ length: n }, () => t.admit(key)).map((d) => (d.kind === 'log' ? `log+${d.suppressed}` : '-'));

describe('LogThrottle', () => {
  it('lets `burst` lines per key through each window, then reports how many it held back', async () => {
    const clock = new ManualClock();
    const t = new LogThrottle({ clock });
    expect(DEFAULT_LOG_THROTTLE).toEqual({ burst: 3, windowMs: 60_000, maxKeys: 1000 });
    // An outage failing every second for a minute: 3 lines, not 60.
    const first: string[] = [];
    for (let i = 0; i < 60; i++) {
      first.push(...decide(t, 'services:error', 1));
      await clock.advanceAsync(1000);
    }
    expect(first.filter((d) => d !== '-')).toEqual(['log+0', 'log+0', 'log+0']);
    expect(decide(t, 'services:error', 2)).toEqual(['log+57', 'log+0']);
  });

  it('keeps keys apart', () => {
    const t = new LogThrottle({ clock: new ManualClock(), burst: 1 });
    expect(decide(t, 'a', 3)).toEqual(['log+0', '-', '-']);
    expect(decide(t, 'b', 2)).toEqual(['log+0', '-']);
  });

  it('drain() reports and forgets held-back lines', async () => {
    const clock = new ManualClock();
    const t = new LogThrottle({ clock, burst: 1, windowMs: 10_000 });
    decide(t, 'a', 4);
    decide(t, 'b', 1);
    expect(t.drain()).toEqual([{ key: 'a', suppressed: 3 }]);
    expect(t.drain()).toEqual([]);
    await clock.advanceAsync(10_000);
    expect(decide(t, 'a', 1)).toEqual(['log+0']);
  });

  it('forgets the least recently used key beyond maxKeys', () => {
    const t = new LogThrottle({ clock: new ManualClock(), burst: 1, maxKeys: 2 });
    decide(t, 'a', 2);
    decide(t, 'b', 1);
    decide(t, 'c', 1); // evicts a
    expect(decide(t, 'a', 1)).toEqual(['log+0']);
    expect(decide(t, 'c', 1)).toEqual(['-']);
  });

  it('refuses nonsense options with a message naming them', () => {
    expect(() => new LogThrottle({ clock: new ManualClock(), burst: 0 })).toThrow(/burst \(0\)/);
  });
});
