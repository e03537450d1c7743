import { ElectionInputError } from './errors.js';
import type { RankedCandidate, Scores } from './order.js';
import { scoreOf } from './order.js';

/**
 * Hold-down hysteresis (beyond MetalLB, opt-in): a node that became a candidate less than
 * `holdDownMs` ago does not take an IP while a *settled* candidate (one that has been a candidate
 * for longer) exists. When the hold-down expires the IP moves to it, as MetalLB would have done at
 * once. A flapping preferred node therefore stops dragging IPs back and forth.
 *
 * Every speaker must see the same `candidateSince` values and roughly the same `now` to agree:
 * take the timestamps from shared data (for example the `lastTransitionTime` of the Node's
 * `Ready` condition, or the time the node's ServiceL2Status appeared), not from local
 * observations such as a memberlist join seen by this speaker only. Around the expiry instant,
 * speakers whose clocks differ by `d` ms may disagree for up to `d` ms.
 */
export interface HoldDownOptions {
  /** How long a (re)appearing candidate waits before it may take an IP. 0 disables hold-down. */
  readonly holdDownMs: number;
  /** The current time in the same time base as `candidateSince` (epoch ms). */
  readonly now: number;
  /**
   * When each node last became a candidate (epoch ms). Nodes without an entry count as settled.
   * A plain object or a map.
   */
  readonly candidateSince: Scores;
}

/** A suggested hold-down: 30 s, a few memberlist suspicion timeouts. */
export const DEFAULT_HOLD_DOWN_MS = 30_000;

/** A candidate kept from winning by hold-down, and until when. */
export interface HeldCandidate {
  readonly node: string;
  /** Epoch ms at which the hold-down ends (`candidateSince + holdDownMs`). */
  readonly untilMs: number;
}

/** The order after hold-down, the candidates it held back, and when to evaluate again. */
export interface HoldDownResult {
  /** Settled candidates in MetalLB order, then the held-down ones in MetalLB order. */
  readonly order: RankedCandidate[];
  /** Held-down candidates that MetalLB's order ranks above the new first candidate. */
  readonly held: HeldCandidate[];
  /** The earliest `untilMs` among `held`: re-run the election then. Absent when nothing is held. */
  readonly recheckAtMs?: number;
}

/**
 * Applies hold-down to a MetalLB order (see {@link HoldDownOptions}). Young candidates are moved
 * behind the settled ones, keeping relative order; when every candidate is young, the order is
 * unchanged (announcing beats waiting).
 * @throws {ElectionInputError} when `holdDownMs` or `now` is not a finite number ≥ 0.
 */
export function applyHoldDown(order: readonly RankedCandidate[], opts: HoldDownOptions): HoldDownResult {
  if (!Number.isFinite(opts.holdDownMs) || opts.holdDownMs < 0) {
    throw new ElectionInputError('holdDown.holdDownMs', `must be a finite number ≥ 0, got ${opts.holdDownMs}`);
  }
  if (!Number.isFinite(opts.now)) throw new ElectionInputError('holdDown.now', `must be a finite number, got ${opts.now}`);
  if (opts.holdDownMs === 0) return { order: [...order], held: [] };
  const untilOf = (node: string): number | undefined => {
    const hasEntry = opts.candidateSince instanceof Map ? opts.candidateSince.has(node) : Object.hasOwn(opts.candidateSince, node);
    if (!hasEntry) return undefined;
    const until = scoreOf(opts.candidateSince, node) + opts.holdDownMs;
    return until > opts.now ? until : undefined;
  };
  const settled: RankedCandidate[] = [];
  const young: RankedCandidate[] = [];
  const held: HeldCandidate[] = [];
  for (const c of order) {
    const until = untilOf(c.node);
    if (until === undefined) settled.push(c);
    else {
      young.push(c);
      if (settled.length === 0) held.push({ node: c.node, untilMs: until });
    }
  }
  if (settled.length === 0) return { order: [...order], held: [] };
  const result: HoldDownResult = { order: [...settled, ...young], held };
  return held.length > 0 ? { ...result, recheckAtMs: Math.min(...held.map((h) => h.untilMs)) } : result;
}
