/**
 * Rate limiting for log lines, so an outage is a few lines rather than a flood: per key, at most
 * `burst` lines in each `windowMs`; the next line let through after a quiet spell says how many
 * were held back. Pure given the injected clock (no timers), so it is unit-tested on a
 * `ManualClock`.
 */
import type { Clock } from '@metallb-ts/clock';

/** Options of {@link LogThrottle}. */
export interface LogThrottleOptions {
  clock: Clock;
  /** Lines let through per key in each window. @default 3 */
  burst?: number;
  /** Window length (monotonic time). @default 60000 */
  windowMs?: number;
  /** Keys remembered at once; beyond that the least recently used key is forgotten. @default 1000 */
  maxKeys?: number;
}

/** The defaults of {@link LogThrottleOptions}: 3 lines per key per minute, 1000 keys. */
export const DEFAULT_LOG_THROTTLE = { burst: 3, windowMs: 60_000, maxKeys: 1000 } as const;

/**
 * What to do with one line: `log` it — `suppressed` lines of this key were held back since the
 * last one logged (say so in the line) — or `suppress` it.
 */
export type ThrottleDecision = { kind: 'log'; suppressed: number } | { kind: 'suppress' };

interface KeyState {
  windowStart: number;
  inWindow: number;
  suppressed: number;
}

/**
 * A per-key log rate limiter (fixed windows).
 *
 * @example
 * const throttle = new LogThrottle({ clock });
 * const d = throttle.admit(`informer:${resource}:error`);
 * if (d.kind === 'log') log.warn('informer error', { resource, error: e.message, suppressed: d.suppressed });
 */
export class LogThrottle {
  private readonly clock: Clock;
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;
  private readonly keys = new Map<string, KeyState>();

  constructor(opts: LogThrottleOptions) {
    this.clock = opts.clock;
    this.burst = opts.burst ?? DEFAULT_LOG_THROTTLE.burst;
    this.windowMs = opts.windowMs ?? DEFAULT_LOG_THROTTLE.windowMs;
    this.maxKeys = opts.maxKeys ?? DEFAULT_LOG_THROTTLE.maxKeys;
    if (!(this.burst >= 1) || !(this.windowMs > 0) || !(this.maxKeys >= 1)) throw new RangeError(`LogThrottle: burst (${this.burst}) and maxKeys (${this.maxKeys}) must be at least 1 and windowMs (${this.windowMs}) positive`);
  }

  /** Decides about one line of `key` (and counts it). */
  admit(key: string): ThrottleDecision {
    const now = this.clock.monotonic();
    let s = this.keys.get(key);
    if (s) this.keys.delete(key); // re-inserted below: Map order is recency order
    else s = { windowStart: now, inWindow: 0, suppressed: 0 };
    if (now - s.windowStart >= this.windowMs) {
      s.windowStart = now;
      s.inWindow = 0;
    }
    this.keys.set(key, s);
    while (this.keys.size > this.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    if (s.inWindow >= this.burst) {
      s.suppressed++;
      return { kind: 'suppress' };
    }
    s.inWindow++;
    const suppressed = s.suppressed;
    s.suppressed = 0;
    return { kind: 'log', suppressed };
  }

  /**
   * Lines held back and not yet reported, per key, and forgets them (for a summary line at
   * shutdown or on a timer the app owns).
   */
  drain(): { key: string; suppressed: number }[] {
    const out: { key: string; suppressed: number }[] = [];
    for (const [key, s] of this.keys) {
      if (s.suppressed > 0) out.push({ key, suppressed: s.suppressed });
      s.suppressed = 0;
    }
    return out;
  }
}
