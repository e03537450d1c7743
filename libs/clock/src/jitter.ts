import type { Rng } from './ports.js';

/**
 * Spreads a delay by a random factor: returns a value uniformly in
 * `[base * (1 - fraction), base * (1 + fraction))`. RFC 4271 §10 uses fraction 0.25
 * below (`[0.75, 1.0)` of the value): see {@link jitterDown}.
 */
export function jitter(rng: Rng, base: number, fraction: number): number {
  if (fraction < 0 || fraction > 1) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`);
  return base * (1 - fraction + 2 * fraction * rng.next());
}

/** A value uniformly in `[base * (1 - fraction), base)`, as RFC 4271 §10 jitters BGP timers. */
export function jitterDown(rng: Rng, base: number, fraction: number): number {
  if (fraction < 0 || fraction > 1) throw new RangeError(`fraction must be in [0, 1], got ${fraction}`);
  return base * (1 - fraction * rng.next());
}

/** Options of {@link exponentialBackoff}. */
export interface BackoffOptions {
  /** First delay in ms. */
  initialMs: number;
  /** Upper bound in ms. */
  maxMs: number;
  /** Multiplier per attempt. @default 2 */
  factor?: number;
  /** Random spread as a fraction of the delay (0 = none). @default 0 */
  jitter?: number;
}

/**
 * The delay before retry number `attempt` (0-based): `initialMs * factor^attempt`, capped at
 * `maxMs`, then spread by `jitter` and capped again.
 */
export function exponentialBackoff(attempt: number, opts: BackoffOptions, rng?: Rng): number {
  const factor = opts.factor ?? 2;
  const raw = Math.min(opts.maxMs, opts.initialMs * factor ** Math.max(0, attempt));
  if (!opts.jitter || !rng) return raw;
  return Math.min(opts.maxMs, jitter(rng, raw, opts.jitter));
}
