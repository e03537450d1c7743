import { FAMILY_BITS, IPRange, IPAddress, type Family } from '@metallb-ts/netaddr';
import { goodUpTo, isBuggyV4 } from './address-space.js';

/** Go's `math.MaxInt64`, MetalLB's "too many to count" value. */
export const MAX_INT64 = (1n << 63n) - 1n;

/** `a + b`, saturating at {@link MAX_INT64}. */
export function addSaturating(a: bigint, b: bigint): bigint {
  const s = a + b;
  return s > MAX_INT64 ? MAX_INT64 : s;
}

/**
 * MetalLB's size of one family of a pool (behaviour spec 3.10): every entry is split into CIDRs;
 * a CIDR with `bits − prefix ≥ 62` makes the family count `MAX_INT64`; otherwise sizes add up,
 * minus `.0`/`.255` addresses when `avoidBuggyIPs` applies (IPv4 only).
 *
 * Deliberate differences (README, "quirks"): the sum saturates at `MAX_INT64` instead of
 * overflowing, and a `/32` of a `.0`/`.255` address counts 0 instead of −1.
 */
export function metallbFamilySize(
  family: Family,
  entries: readonly { first: bigint; last: bigint }[],
  avoidBuggyIPs: boolean,
): bigint {
  const bits = FAMILY_BITS[family];
  let total = 0n;
  for (const e of entries) {
    const range = IPRange.of(IPAddress.fromBigInt(family, e.first), IPAddress.fromBigInt(family, e.last));
    for (const c of range.toCidrs()) {
      if (bits - c.prefix >= 62) return MAX_INT64;
    }
    let size = e.last - e.first + 1n;
    if (avoidBuggyIPs && family === 'IPv4') {
      // Exact count of .1–.254 addresses; equals MetalLB's per-CIDR subtraction except for a
      // single-address CIDR of a buggy address (MetalLB subtracts it twice).
      size = goodUpTo(e.last) - goodUpTo(e.first - 1n);
    }
    total = addSaturating(total, size);
  }
  return total;
}

export { isBuggyV4 };
