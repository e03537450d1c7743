/**
 * A de-duplicating, rate-limited work queue with the semantics of client-go's
 * `workqueue.RateLimitingInterface`: a key is queued at most once, is never processed by two
 * workers at the same time, and a key added while it is being processed is queued again when
 * the worker calls `done`. Retries are delayed by the larger of a per-key exponential back-off
 * and a global token bucket.
 */
import type { Clock, TimerHandle } from '@metallb-ts/clock';
import { TokenBucket } from './rate-limiter.js';

/** Decides how long to wait before a key is retried. */
export interface RateLimiter {
  /** The delay for the next retry of `key` (records a failure). */
  when(key: string): number;
  /** Clears `key`'s failure history. */
  forget(key: string): void;
  /** Failures recorded for `key`. */
  numRequeues(key: string): number;
}

/** The per-key delay after `failures` failures: `baseMs * 2^failures`, capped (pure). */
export function itemBackoffMs(failures: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures, 64));
}

/** Per-key exponential back-off (client-go's `ItemExponentialFailureRateLimiter`). */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  constructor(
    /** @default 5 */
    readonly baseMs = 5,
    /** @default 300000 */
    readonly maxMs = 300_000,
  ) {}
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return itemBackoffMs(n, this.baseMs, this.maxMs);
  }
  forget(key: string): void {
    this.failures.delete(key);
  }
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** A global token bucket over all keys (client-go's `BucketRateLimiter`). */
export class BucketRateLimiter implements RateLimiter {
  private readonly bucket: TokenBucket;
  constructor(qps: number, burst: number, clock: Clock) {
    this.bucket = new TokenBucket(qps, burst, clock);
  }
  when(): number {
    return this.bucket.reserve();
  }
  forget(): void {}
  numRequeues(): number {
    return 0;
  }
}

/** The largest delay of several limiters (client-go's `MaxOfRateLimiter`). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }
  when(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }
  numRequeues(key: string): number {
    return Math.max(0, ...this.limiters.map((l) => l.numRequeues(key)));
  }
}

/** client-go's default controller rate limiter: 5 ms → 1000 s per key, and 10 qps / 100 burst overall. */
export function defaultControllerRateLimiter(clock: Clock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialRateLimiter(5, 1000_000), new BucketRateLimiter(10, 100, clock));
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  clock: Clock;
  /** @default defaultControllerRateLimiter(clock) */
  rateLimiter?: RateLimiter;
}

/** The work queue. */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, { at: number; timer: TimerHandle }>();
  private readonly getters: ((k: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;

  constructor(opts: WorkQueueOptions) {
    this.clock = opts.clock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(opts.clock);
  }

  /** Queues `key` unless it is already queued. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const g = this.getters.shift();
    if (g) {
      this.dirty.delete(key);
      this.processing.add(key);
      g(key);
    } else this.queue.push(key);
  }

  /** Queues `key` after `ms`; of several pending delays for one key the earliest wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.monotonic() + ms;
    const cur = this.waiting.get(key);
    if (cur && cur.at <= at) return;
    cur?.timer.cancel();
    const timer = this.clock.setTimer(ms, () => {
      this.waiting.delete(key);
      this.add(key);
    });
    this.waiting.set(key, { at, timer });
  }

  /** Queues `key` after its rate-limited delay (call after a failure). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears `key`'s failure history (call after a success). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** Failures recorded for `key`. */
  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** The next key, waiting if none is ready; `undefined` once shut down. Call `done(key)` after processing. */
  get(): Promise<string | undefined> {
    const k = this.queue.shift();
    if (k !== undefined) {
      this.dirty.delete(k);
      this.processing.add(k);
      return Promise.resolve(k);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Keys ready to be processed. */
  len(): number {
    return this.queue.length;
  }

  /** Keys waiting for a delay. */
  delayed(): number {
    return this.waiting.size;
  }

  /** Stops: waiting `get()` calls resolve `undefined`; pending delays are dropped. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /** Whether {@link shutDown} was called. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
