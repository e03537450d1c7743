/**
 * Re-validation of a service's current allocation against its latest request (behaviour spec
 * 4.2 steps 6–7 as far as they concern the allocator): family, pool compatibility, sharing with
 * the new ports and keys, the `address-pool` annotation and the requested IPs.
 */
import type { Family } from '@metallb-ts/netaddr';
import { famList } from './explain.js';
import { entryIn } from './owner-index.js';
import { compatible } from './pool.js';
import { ipsOf, type Rec } from './records.js';
import type { Refusal, Req } from './request.js';
import { checkSharing } from './sharing.js';

/** Why `cur` is no longer a valid allocation for `n`, or `null` when it still is. */
export function checkCurrent(cur: Rec, n: Req): Refusal | null {
  const have: Family[] = [];
  if (cur.v4 >= 0) have.push('IPv4');
  if (cur.v6 !== undefined) have.push('IPv6');
  const same = have.length === n.families.length && have.every((f) => n.families.includes(f));
  const preferOk = n.families.length === 2 && n.policy === 'PreferDualStack' && have.length === 1;
  if (!same && !preferOk) {
    return {
      reason: 'family-mismatch',
      message: `${n.key} holds ${famList(have)} ${ipsOf(cur).join(', ')} but is now ${famList(n.families)}; it needs a new allocation`,
    };
  }
  if (!compatible(cur.pool, n)) {
    return {
      reason: 'pool-not-allowed-for-service',
      message: `pool "${cur.pool.name}" no longer admits ${n.key} (namespace "${n.namespace}" / labels vs its serviceAllocation); it needs a new allocation`,
    };
  }
  for (const ip of ipsOf(cur)) {
    const users = entryIn(cur.pool, ip);
    if (users === undefined) continue;
    const bad = checkSharing(users, n, ip);
    if (bad !== null) return bad;
  }
  if (n.pool !== undefined && n.pool !== cur.pool.name) {
    return { reason: 'requested-pool-changed', message: `${n.key} is in pool "${cur.pool.name}" but metallb.io/address-pool now names "${n.pool}"` };
  }
  if (n.requested !== undefined) {
    const want = new Set(n.requested.map((i) => i.toString()));
    const got = ipsOf(cur).map((i) => i.toString());
    if (want.size !== got.length || got.some((k) => !want.has(k))) {
      return { reason: 'requested-ips-changed', message: `${n.key} holds ${ipsOf(cur).join(', ')} but requests ${n.requested.join(', ')}` };
    }
  }
  return null;
}
