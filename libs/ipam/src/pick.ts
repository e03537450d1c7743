/**
 * The search of automatic and named-pool allocation (behaviour spec 3.5 step 4, 3.8): the first
 * acceptable address(es) of a pool, and the first pool of an ordered list that has them, each
 * pool looked at leaving one consideration line. Reads pool state, never changes it.
 */
import type { Family } from '@metallb-ts/netaddr';
import { line, pickText } from './explain.js';
import type { PoolState } from './pool.js';
import type { Req } from './request.js';
import { firstAcceptable } from './sharing.js';
import type { PoolConsideration, PoolStage } from './types.js';

/** A pick from one pool: address values per family. */
export interface Pick {
  readonly v4: bigint | undefined;
  readonly v6: bigint | undefined;
  /** PreferDualStack fallback: only one of two families. */
  readonly partial: boolean;
  /** Offsets of the picked addresses in their family spaces (saves a lookup on commit). */
  readonly o4: bigint | undefined;
  readonly o6: bigint | undefined;
}

/**
 * First free acceptable address(es) of a pool for the request, recording one consideration
 * line. A dual-stack PreferDualStack request may get a partial pick (one family): in a named
 * pool it is taken at once (3.8); in a list it is a fallback candidate (verdict
 * `single-family-only`, turned into `chosen` by {@link pickFromList} if used).
 */
export function pickIn(p: PoolState, n: Req, stage: PoolStage, considered: PoolConsideration[]): Pick | undefined {
  const need4 = n.families.includes('IPv4');
  const need6 = n.families.includes('IPv6');
  const o4 = need4 ? firstAcceptable(p.v4, n) : undefined;
  const o6 = need6 ? firstAcceptable(p.v6, n) : undefined;
  const ok4 = !need4 || o4 !== undefined;
  const ok6 = !need6 || o6 !== undefined;
  const pick: Pick = {
    v4: o4 === undefined ? undefined : p.v4.space.valueAt(o4),
    v6: o6 === undefined ? undefined : p.v6.space.valueAt(o6),
    o4,
    o6,
    partial: !(ok4 && ok6),
  };
  if (!pick.partial) {
    considered.push(line(p.name, stage, 'chosen', () => `pool "${p.name}" has ${pickText(pick)} for ${n.key}`));
    return pick;
  }
  const lacking: Family = !ok4 ? 'IPv4' : 'IPv6';
  const lackingFs = lacking === 'IPv4' ? p.v4 : p.v6;
  const why = lackingFs.space.size === 0n ? `has no ${lacking} addresses` : `has no free ${lacking} address`;
  if (n.families.length === 2 && n.policy === 'PreferDualStack' && (o4 !== undefined || o6 !== undefined)) {
    if (stage === 'named-pool') {
      considered.push(line(p.name, stage, 'chosen', () => `pool "${p.name}" ${why}; PreferDualStack takes ${pickText(pick)} only`));
    } else {
      considered.push(line(p.name, stage, 'single-family-only', () => `pool "${p.name}" offers ${pickText(pick)} but ${why}`));
    }
    return pick;
  }
  if (o4 === undefined && o6 === undefined && (!need4 || p.v4.space.size > 0n) && (!need6 || p.v6.space.size > 0n)) {
    considered.push({ pool: p.name, stage, verdict: 'pool-exhausted', message: `no available IPs in pool "${p.name}" for ${n.key}; add addresses to it or release services` });
  } else if (lackingFs.space.size === 0n) {
    considered.push({ pool: p.name, stage, verdict: 'family-not-in-pool', message: `pool "${p.name}" has no ${lacking} addresses, needed by ${n.key}; add a ${lacking} range to it` });
  } else {
    considered.push({ pool: p.name, stage, verdict: 'family-exhausted', message: `no available IPs in pool "${p.name}" for ${lacking} IPFamily (${n.key}); add ${lacking} addresses or release services` });
  }
  return undefined;
}

/**
 * 3.5 step 4 over one ordered list: the first pool with every family; failing that, for a
 * PreferDualStack request, the first pool offering the primary family, else the secondary one.
 */
export function pickFromList(list: readonly PoolState[], n: Req, stage: PoolStage, considered: PoolConsideration[]): { pool: PoolState; pick: Pick } | undefined {
  let primary: { pool: PoolState; pick: Pick; at: number } | undefined;
  let secondary: { pool: PoolState; pick: Pick; at: number } | undefined;
  for (const p of list) {
    const pick = pickIn(p, n, stage, considered);
    if (pick === undefined) continue;
    if (!pick.partial) return { pool: p, pick };
    const at = considered.length - 1;
    const isPrimary = (pick.v4 !== undefined ? 'IPv4' : 'IPv6') === n.families[0];
    if (isPrimary && primary === undefined) primary = { pool: p, pick, at };
    if (!isPrimary && secondary === undefined) secondary = { pool: p, pick, at };
  }
  const c = primary ?? secondary;
  if (c === undefined) return undefined;
  const prev = considered[c.at]!;
  considered[c.at] = line(prev.pool, prev.stage, 'chosen', () => `${prev.message}; chosen as the PreferDualStack single-family fallback`);
  return { pool: c.pool, pick: c.pick };
}
