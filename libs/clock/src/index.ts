/**
 * @packageDocumentation
 * `@metallb-ts/clock`: time and randomness as injected ports.
 *
 * Libraries take a {@link Clock} and an {@link Rng} instead of calling `Date.now`,
 * `setTimeout` or `Math.random` (a lint rule forbids those in `libs/`). Production code passes
 * {@link systemClock} and {@link systemRng}; tests pass `ManualClock` and `SeededRng` from
 * `@metallb-ts/clock/testing`.
 */
export type { Clock, Rng, TimerHandle } from './ports.js';
export { systemClock, systemRng } from './system.js';
export { exponentialBackoff, jitter, jitterDown, type BackoffOptions } from './jitter.js';
export { formatRfc3339, formatMicroTime } from './format.js';
