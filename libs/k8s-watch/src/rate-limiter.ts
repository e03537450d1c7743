import type { Clock } from '@metallb-ts/clock';

/**
 * A token bucket: `burst` tokens, refilled at `qps` per second (client-go's
 * `flowcontrol.NewTokenBucketRateLimiter`). `reserve()` takes a token now or in the future and
 * says how long to wait, so callers never busy-loop.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    /** Tokens per second; `Infinity` disables limiting. */
    readonly qps: number,
    /** Bucket size. */
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`a token bucket needs qps > 0 and burst >= 1, got qps=${qps} burst=${burst}`);
    this.tokens = burst;
    this.last = clock.monotonic();
  }

  private refill(): void {
    const now = this.clock.monotonic();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  /** Takes a token; returns the delay in ms before the caller may proceed (0 = now). */
  reserve(): number {
    if (this.qps === Infinity) return 0;
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }

  /** Takes a token only if one is available now. */
  tryTake(): boolean {
    if (this.qps === Infinity) return true;
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Waits for a token. */
  async take(signal?: AbortSignal): Promise<void> {
    const d = this.reserve();
    if (d > 0) await this.clock.sleep(d, signal);
  }
}
