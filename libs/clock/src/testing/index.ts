/**
 * Test doubles for `@metallb-ts/clock`: a {@link ManualClock} that moves only when told to and
 * a deterministic {@link SeededRng}.
 */
export { ManualClock } from './manual-clock.js';
export { SeededRng } from './seeded-rng.js';
