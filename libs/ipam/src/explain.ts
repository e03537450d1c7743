/**
 * Explanations: the `considered` lines of an outcome (one per pool looked at, formatted
 * lazily), the refusal value the public API returns, and the sentences shared by several rules.
 * Every sentence says what to change.
 */
import { assertNever } from '@metallb-ts/errors';
import { IPAddress, type Family } from '@metallb-ts/netaddr';
import type { PoolState } from './pool.js';
import { toAllocation, type Rec } from './records.js';
import type { Refusal, Req } from './request.js';
import type { AllocateRefusal, PoolConsideration, PoolStage, PoolVerdict, Port } from './types.js';

/** `IPv4`, `IPv6` or `dual-stack`. */
export function famList(families: readonly Family[]): string {
  return families.length === 2 ? 'dual-stack' : families[0]!;
}

/** `TCP/53`. */
export function portText(p: Port): string {
  return `${p.protocol}/${p.port}`;
}

/** `IPv4 198.51.100.1 and IPv6 2001:db8::1` for the address values of a pick. */
export function pickText(p: { readonly v4: bigint | undefined; readonly v6: bigint | undefined }): string {
  const parts: string[] = [];
  if (p.v4 !== undefined) parts.push(`IPv4 ${IPAddress.fromBigInt('IPv4', p.v4)}`);
  if (p.v6 !== undefined) parts.push(`IPv6 ${IPAddress.fromBigInt('IPv6', p.v6)}`);
  return parts.join(' and ');
}

/** The `unknown-pool` sentence: the annotation names no pool. */
export function unknownPoolMessage(n: Req, pools: readonly string[]): string {
  return `pool "${n.pool}" named by metallb.io/address-pool does not exist (pools: ${pools.join(', ') || 'none'}); fix the annotation or create the pool`;
}

/**
 * A consideration line whose message is formatted on first access (formatting addresses costs
 * more than the allocation itself), then cached; `toJSON` serialises it as plain data.
 */
class Line implements PoolConsideration {
  #make: (() => string) | undefined;
  #message: string | undefined;

  constructor(
    readonly pool: string,
    readonly stage: PoolStage,
    readonly verdict: PoolVerdict,
    make: () => string,
  ) {
    this.#make = make;
    this.#message = undefined;
  }

  get message(): string {
    if (this.#message === undefined) {
      this.#message = this.#make!();
      this.#make = undefined;
    }
    return this.#message;
  }

  toJSON(): PoolConsideration {
    return { pool: this.pool, stage: this.stage, verdict: this.verdict, message: this.message };
  }
}

/** A consideration line with a lazily formatted message. */
export function line(pool: string, stage: PoolStage, verdict: PoolVerdict, message: () => string): PoolConsideration {
  return new Line(pool, stage, verdict, message);
}

/** The public refusal: reason, message, conflict, what the service still holds, and the lines. */
export function refusal(r: Refusal, considered: PoolConsideration[], cur?: Rec): AllocateRefusal {
  return {
    ok: false,
    reason: r.reason,
    message: r.message,
    ...(r.conflict ? { conflict: r.conflict } : {}),
    ...(cur ? { current: toAllocation(cur) } : {}),
    considered,
  };
}

/** Why a pool is left out of automatic allocation for `n` (stage `not-eligible`). */
export type Ineligibility = 'auto-assign-disabled' | 'no-namespace-matched' | 'not-allowed-for-service';

/** The `not-eligible` line of a pool automatic allocation skips. */
export function notEligibleLine(p: PoolState, verdict: Ineligibility, n: Req): PoolConsideration {
  const name = p.name;
  switch (verdict) {
    case 'auto-assign-disabled':
      return line(name, 'not-eligible', verdict, () => `pool "${name}" has autoAssign: false; only explicit requests use it`);
    case 'no-namespace-matched':
      return line(name, 'not-eligible', verdict, () => `pool "${name}" has namespaceSelectors that match no namespace and no serviceSelectors; only explicit requests use it`);
    case 'not-allowed-for-service':
      return line(name, 'not-eligible', verdict, () => `pool "${name}" serviceAllocation does not admit ${n.key} (namespace "${n.namespace}" / labels)`);
    default:
      return assertNever(verdict, 'ineligibility');
  }
}
