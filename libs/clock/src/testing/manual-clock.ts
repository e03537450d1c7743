import type { Clock, TimerHandle } from '../ports.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every timer due within the window
 * in time order (ties in creation order), including timers that callbacks set while it runs.
 */
export class ManualClock implements Clock {
  private t: number;
  private readonly origin: number;
  private seq = 0;
  private timers: Pending[] = [];

  /** @param startMs the initial wall-clock time. @default 1_700_000_000_000 */
  constructor(startMs = 1_700_000_000_000) {
    this.t = startMs;
    this.origin = startMs;
  }

  now(): number {
    return this.t;
  }

  monotonic(): number {
    return this.t - this.origin;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.add({ at: this.t + Math.max(0, ms), fn });
  }

  setInterval(ms: number, fn: () => void): TimerHandle {
    const every = Math.max(1, ms);
    return this.add({ at: this.t + every, fn, every });
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      const h = this.setTimer(ms, () => resolve());
      signal?.addEventListener(
        'abort',
        () => {
          h.cancel();
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
        },
        { once: true },
      );
    });
  }

  /** Moves time forward by `ms`, firing due timers in order. Returns how many fired. */
  advance(ms: number): number {
    if (ms < 0) throw new RangeError('a ManualClock cannot go backwards');
    const end = this.t + ms;
    let fired = 0;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.t = next.at;
      this.fire(next);
      fired++;
    }
    this.t = end;
    return fired;
  }

  /**
   * Like {@link advance} but lets promise callbacks run between timers, so async code woken by
   * a timer can set the next one before time moves on.
   */
  async advanceAsync(ms: number): Promise<number> {
    if (ms < 0) throw new RangeError('a ManualClock cannot go backwards');
    const end = this.t + ms;
    let fired = 0;
    await flush();
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.t = next.at;
      this.fire(next);
      fired++;
      await flush();
    }
    this.t = end;
    return fired;
  }

  /** Jumps the wall clock without firing timers (simulates a clock step / skew). */
  setWallTime(ms: number): void {
    this.t = ms;
  }

  /** Number of timers not yet fired or cancelled. */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  /** Time of the next timer due, if any. */
  nextTimerAt(): number | undefined {
    return this.nextDue(Number.POSITIVE_INFINITY)?.at;
  }

  private add(p: Omit<Pending, 'id' | 'cancelled'>): TimerHandle {
    const entry: Pending = { ...p, id: this.seq++, cancelled: false };
    this.timers.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  private nextDue(end: number): Pending | undefined {
    this.timers = this.timers.filter((x) => !x.cancelled);
    let best: Pending | undefined;
    for (const x of this.timers) {
      if (x.at <= end && (!best || x.at < best.at || (x.at === best.at && x.id < best.id))) best = x;
    }
    return best;
  }

  private fire(p: Pending): void {
    if (p.every !== undefined) {
      p.at += p.every;
      p.id = this.seq++;
    } else p.cancelled = true;
    p.fn();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
