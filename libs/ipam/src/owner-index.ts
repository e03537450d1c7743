/**
 * The owner index: which pool owns an address (behaviour spec 3.3), in O(log n) over every
 * address entry of every pool, and who uses an address inside its pool.
 */
import type { Family, IPAddress } from '@metallb-ts/netaddr';
import type { PoolState } from './pool.js';
import { offKey, type Entry } from './records.js';
import { cmpBig } from './sorted.js';

/** One address entry (`spec.addresses[i]` after `avoidBuggyIPs`) and the pool holding it. */
interface OwnerEntry {
  readonly first: bigint;
  readonly last: bigint;
  readonly pool: PoolState;
}

/** Per family, every pool entry sorted by first address (pools never overlap). */
export interface OwnerIndex {
  readonly IPv4: readonly OwnerEntry[];
  readonly IPv6: readonly OwnerEntry[];
}

/** Indexes the address entries of `pools`. */
export function buildOwnerIndex(pools: readonly PoolState[]): OwnerIndex {
  const build = (fam: 'v4' | 'v6') =>
    pools
      .flatMap((p) => p[fam].space.segments.map((s) => ({ first: s.first, last: s.last, pool: p })))
      .sort((a, b) => cmpBig(a.first, b.first));
  return { IPv4: build('v4'), IPv6: build('v6') };
}

function ownerOfValue(idx: OwnerIndex, family: Family, v: bigint): PoolState | undefined {
  const arr = idx[family];
  let lo = 0;
  let hi = arr.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const e = arr[mid]!;
    if (v < e.first) hi = mid - 1;
    else if (v > e.last) lo = mid + 1;
    else {
      // Inside the entry; with avoidBuggyIPs a .0/.255 address is not part of the pool.
      const fs = family === 'IPv4' ? e.pool.v4 : e.pool.v6;
      return fs.space.offsetOf(v) === undefined ? undefined : e.pool;
    }
  }
  return undefined;
}

/** The pool owning both addresses (either may be absent), if one pool owns all given ones. */
export function ownerIn(idx: OwnerIndex, v4: bigint | undefined, v6: bigint | undefined): PoolState | undefined {
  const p4 = v4 === undefined ? undefined : ownerOfValue(idx, 'IPv4', v4);
  if (v4 !== undefined && p4 === undefined) return undefined;
  const p6 = v6 === undefined ? undefined : ownerOfValue(idx, 'IPv6', v6);
  if (v6 !== undefined && p6 === undefined) return undefined;
  if (p4 !== undefined && p6 !== undefined && p4 !== p6) return undefined;
  return p4 ?? p6;
}

/** The pool owning every IP of the list (3.3), if exactly one does. */
export function ownerOfIps(idx: OwnerIndex, ips: readonly IPAddress[]): PoolState | undefined {
  return ownerIn(idx, ips.find((i) => i.isV4)?.value, ips.find((i) => i.isV6)?.value);
}

/** Users of `ip` in pool `p` (which must own it), if any. */
export function entryIn(p: PoolState, ip: IPAddress): Entry | undefined {
  const fs = ip.isV4 ? p.v4 : p.v6;
  const off = fs.space.offsetOf(ip.value);
  return off === undefined ? undefined : fs.users.get(offKey(off));
}
