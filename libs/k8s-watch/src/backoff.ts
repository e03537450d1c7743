import { exponentialBackoff, type Rng } from '@metallb-ts/clock';

/** Reconnect back-off of informers. */
export interface BackoffPolicy {
  /** First delay. @default 1000 */
  initialMs: number;
  /** Cap. @default 30000 */
  maxMs: number;
  /** Multiplier. @default 2 */
  factor: number;
  /** Random spread (fraction of the delay). @default 0.2 */
  jitter: number;
}

/** client-node's and client-go's reflector values: 1 s doubling to 30 s, with jitter. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 0.2 };

/** The delay before reconnect attempt `attempt` (0-based): capped exponential with jitter (pure given `rng`). */
export function nextBackoff(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, rng?: Rng): number {
  return exponentialBackoff(attempt, { initialMs: policy.initialMs, maxMs: policy.maxMs, factor: policy.factor, jitter: policy.jitter }, rng);
}
