/**
 * The addresses of one family of one pool, laid end to end in `spec.addresses` order, as a
 * bijection between addresses and dense offsets `0 … size-1`. With `avoidBuggyIPs` the IPv4
 * addresses ending in `.0`/`.255` are left out of the bijection arithmetically (no enumeration),
 * so the free-set never sees them and the first free offset is always an allocatable address.
 */
import type { Family } from '@metallb-ts/netaddr';

/** One `spec.addresses` entry (a CIDR or an `a-b` range) of one family. */
export interface Segment {
  /** First address value of the entry. */
  readonly first: bigint;
  /** Last address value of the entry (inclusive). */
  readonly last: bigint;
  /** True when `.0`/`.255` IPv4 addresses are excluded (avoidBuggyIPs). */
  readonly buggy: boolean;
  /** Pool offset of this segment's first allocatable address. */
  readonly base: bigint;
  /** Number of allocatable addresses in the segment. */
  readonly count: bigint;
  /** For buggy segments: number of good addresses in `[0, first)`; 0 otherwise. */
  readonly goodBefore: bigint;
  /** Index of the `spec.addresses` entry this came from. */
  readonly entry: number;
}

/**
 * Number of IPv4 addresses in `[0, v]` whose last octet is neither 0 nor 255: every /24 block
 * holds 254 of them (`.1`–`.254`).
 */
export function goodUpTo(v: bigint): bigint {
  if (v < 0n) return 0n;
  const low = v & 255n;
  return (v >> 8n) * 254n + (low > 254n ? 254n : low);
}

/** True when an IPv4 address value ends in `.0` or `.255`. */
export function isBuggyV4(v: bigint): boolean {
  const low = v & 255n;
  return low === 0n || low === 255n;
}

/** The allocatable addresses of one family of a pool. */
export class AddressSpace {
  /** Segments in `spec.addresses` order (their `base` increases). Empty ones are kept. */
  readonly segments: readonly Segment[];
  /** Total number of allocatable addresses. */
  readonly size: bigint;
  private readonly nonEmpty: readonly Segment[];
  private readonly byAddress: readonly Segment[];

  constructor(
    readonly family: Family,
    entries: readonly { first: bigint; last: bigint; entry: number }[],
    avoidBuggyIPs: boolean,
  ) {
    const buggy = avoidBuggyIPs && family === 'IPv4';
    let base = 0n;
    const segs: Segment[] = [];
    for (const e of entries) {
      const goodBefore = buggy ? goodUpTo(e.first - 1n) : 0n;
      const count = buggy ? goodUpTo(e.last) - goodBefore : e.last - e.first + 1n;
      segs.push(Object.freeze({ first: e.first, last: e.last, buggy, base, count, goodBefore, entry: e.entry }));
      base += count;
    }
    this.segments = segs;
    this.size = base;
    this.nonEmpty = segs.filter((s) => s.count > 0n);
    this.byAddress = [...segs].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  }

  /** The segment whose address range contains `v` (buggy addresses included), if any. */
  segmentOf(v: bigint): Segment | undefined {
    const arr = this.byAddress;
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = arr[mid]!;
      if (v < s.first) hi = mid - 1;
      else if (v > s.last) lo = mid + 1;
      else return s;
    }
    return undefined;
  }

  /** Offset of address value `v`, or `undefined` when `v` is not an allocatable address of this space. */
  offsetOf(v: bigint): bigint | undefined {
    const s = this.segmentOf(v);
    if (s === undefined) return undefined;
    if (!s.buggy) return s.base + (v - s.first);
    if (isBuggyV4(v)) return undefined;
    return s.base + (goodUpTo(v) - 1n - s.goodBefore);
  }

  /** Address value at offset `off` (0 ≤ off < size). */
  valueAt(off: bigint): bigint {
    const arr = this.nonEmpty;
    let lo = 0;
    let hi = arr.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (arr[mid]!.base <= off) lo = mid;
      else hi = mid - 1;
    }
    const s = arr[lo];
    if (s === undefined || off < s.base || off >= s.base + s.count) {
      throw new RangeError(`offset ${off} is outside the ${this.family} space of size ${this.size}`);
    }
    const i = off - s.base;
    if (!s.buggy) return s.first + i;
    const g = s.goodBefore + i;
    return (g / 254n) * 256n + (g % 254n) + 1n;
  }
}
