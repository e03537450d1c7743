import type { Clock, TimerHandle } from '@metallb-ts/clock';

/** Skew of one simulated node's clock relative to the true clock. */
export interface SkewOptions {
  /** Wall-clock offset in ms added to `now()`. @default 0 */
  readonly offsetMs?: number;
  /** Rate of the node's clock: 1.01 runs 1 % fast (its timers fire early in true time). @default 1 */
  readonly rate?: number;
}

/**
 * A node's view of a shared (manual) clock, with a wall-clock offset and a rate error, for
 * simulations of several nodes. `kill()` cancels every timer it created and ignores new ones
 * (process death).
 */
export class SkewedClock implements Clock {
  private readonly offset: number;
  private readonly rate: number;
  private readonly handles = new Set<TimerHandle>();
  private dead = false;

  constructor(
    private readonly base: Clock,
    skew: SkewOptions = {},
  ) {
    this.offset = skew.offsetMs ?? 0;
    this.rate = skew.rate ?? 1;
    if (!(this.rate > 0)) throw new RangeError(`rate must be > 0, got ${skew.rate}`);
  }

  now(): number {
    // The wall clock drifts with the rate, from the true time plus the offset.
    return this.base.now() + this.offset + this.base.monotonic() * (this.rate - 1);
  }

  monotonic(): number {
    return this.base.monotonic() * this.rate;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.track((h) => this.base.setTimer(Math.max(0, ms) / this.rate, () => {
      this.handles.delete(h());
      fn();
    }));
  }

  setInterval(ms: number, fn: () => void): TimerHandle {
    return this.track(() => this.base.setInterval(Math.max(1, ms) / this.rate, fn));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const h = this.setTimer(ms, resolve);
      signal?.addEventListener('abort', () => {
        h.cancel();
        reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      }, { once: true });
    });
  }

  /** Cancels all timers and refuses new ones. */
  kill(): void {
    this.dead = true;
    for (const h of this.handles) h.cancel();
    this.handles.clear();
  }

  private track(make: (self: () => TimerHandle) => TimerHandle): TimerHandle {
    if (this.dead) return { cancel: () => {} };
    const box: { inner?: TimerHandle } = {};
    const outer: TimerHandle = {
      cancel: () => {
        box.inner?.cancel();
        this.handles.delete(outer);
      },
    };
    box.inner = make(() => outer);
    this.handles.add(outer);
    return outer;
  }
}
