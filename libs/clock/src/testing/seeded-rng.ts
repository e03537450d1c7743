import type { Rng } from '../ports.js';

/**
 * A deterministic random generator (mulberry32). The same seed gives the same sequence on every
 * run and platform, so simulations and property tests are reproducible.
 */
export class SeededRng implements Rng {
  private state: number;

  constructor(readonly seed = 1) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`maxExclusive must be a positive integer, got ${maxExclusive}`);
    }
    return Math.floor(this.next() * maxExclusive);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** An independent generator derived from this one (for per-node streams in simulations). */
  fork(): SeededRng {
    return new SeededRng(this.int(0x7fffffff) + 1);
  }
}
