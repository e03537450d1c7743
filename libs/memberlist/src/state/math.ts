/*
 * The pure maths of SWIM + Lifeguard as hashicorp/memberlist computes it (util.go,
 * suspicion.go; memberlist-wire.md §13.5, §13.7). All durations are milliseconds.
 */

/**
 * The minimum suspicion timeout: `mult × max(1, log10(max(1, n))) × interval`, with the node
 * scale truncated to 1/1000 as Go does (`time.Duration(nodeScale*1000)`).
 * @param n entries in the local node table (ourselves and unreaped dead nodes included)
 */
export function suspicionTimeoutMs(suspicionMult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  // Go: Duration(mult) * Duration(scale*1000) * interval / 1000, integer nanoseconds.
  const ns = Math.trunc((suspicionMult * Math.trunc(nodeScale * 1000) * probeIntervalMs * 1e6) / 1000);
  return ns / 1e6;
}

/** Lifeguard's expected independent confirmations: `mult − 2`, or 0 when `n − 2 < mult − 2`. */
export function suspicionConfirmations(suspicionMult: number, n: number): number {
  const k = suspicionMult - 2;
  return n - 2 < k ? 0 : k;
}

/**
 * Time left on a suspicion timer after `c` confirmations out of `k` expected, `elapsedMs` after
 * it started: `max − ln(c+1)/ln(k+1) × (max − min)`, floored to whole ms, at least `min`,
 * minus the elapsed time (may be ≤ 0: fire now). Go's `remainingSuspicionTime`.
 */
export function remainingSuspicionMs(c: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = Math.log(c + 1) / Math.log(k + 1);
  const raw = maxMs / 1000 - frac * (maxMs / 1000 - minMs / 1000);
  let timeout = Math.floor(1000 * raw);
  if (timeout < minMs) timeout = minMs;
  return timeout - elapsedMs;
}

/** Retransmissions per gossip message: `mult × ceil(log10(n + 1))`. */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** Clusters above this size scale the push/pull interval. */
export const PUSH_PULL_SCALE_THRESHOLD = 32;

/** The push/pull interval for `n` nodes: ×(ceil(log2 n − log2 32) + 1) above 32 nodes. */
export function pushPullScaleMs(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const mult = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return mult * intervalMs;
}

/** Go's `randomOffset`-style helper: an index in [0, n) (0 when n is 0). */
export function randomOffset(n: number, next: () => number): number {
  return n === 0 ? 0 : Math.floor(next() * n) % n;
}
