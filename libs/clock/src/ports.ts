/** A scheduled callback that can be cancelled. Cancelling twice, or after it fired, is a no-op. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Time as a port. Protocol libraries take a `Clock` instead of calling `Date.now`,
 * `setTimeout` or `setInterval`, so tests drive time with `ManualClock`.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (wall clock). */
  now(): number;
  /** Milliseconds from an arbitrary origin that never goes backwards. */
  monotonic(): number;
  /** Calls `fn` once after `ms` milliseconds (0 or negative: on the next turn). */
  setTimer(ms: number, fn: () => void): TimerHandle;
  /** Calls `fn` every `ms` milliseconds until cancelled. */
  setInterval(ms: number, fn: () => void): TimerHandle;
  /** Resolves after `ms` milliseconds; rejects with an `AbortError` if `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Randomness as a port. Protocol libraries take an `Rng` instead of calling `Math.random`. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}
