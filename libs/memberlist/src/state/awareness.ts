/**
 * Lifeguard local health (Go `awareness`): a score in `[0, max − 1]` that stretches the probe
 * interval and deadline by `(score + 1)`. Pure data; the driver applies deltas.
 */
export class Awareness {
  private s = 0;

  /** @param max `AwarenessMaxMultiplier` (8 in every preset). */
  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('AwarenessMaxMultiplier must be an integer ≥ 1');
  }

  /** Adds `delta` and clamps to `[0, max − 1]`. */
  applyDelta(delta: number): void {
    this.s = Math.min(this.max - 1, Math.max(0, this.s + delta));
  }

  /** The current score (0 = healthy). */
  score(): number {
    return this.s;
  }

  /** `timeoutMs × (score + 1)`. */
  scale(timeoutMs: number): number {
    return timeoutMs * (this.s + 1);
  }
}
