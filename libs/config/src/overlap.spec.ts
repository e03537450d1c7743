/** P6 overlap detection: the sort-and-stack algorithm agrees with the naive pairwise definition. */
import { Cidr } from '@metallb-ts/netaddr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RULES } from './index.js';
import { issuesOf, pool } from '../test/fixtures.js';

/** Entries `[pool][entry]` that MetalLB's definition flags: a CIDR overlapping any earlier CIDR. */
function naive(pools: string[][]): Set<string> {
  const seen: Cidr[] = [];
  const out = new Set<string>();
  pools.forEach((entries, p) => {
    entries.forEach((text, e) => {
      const c = Cidr.parse(text);
      if (seen.some((s) => s.overlaps(c))) out.add(`p${p}/${e}`);
      seen.push(c);
    });
  });
  return out;
}

describe('pool overlap (P6)', () => {
  it('matches the pairwise definition on random CIDRs (property)', () => {
    const cidr = fc.oneof(
      fc.tuple(fc.nat(255), fc.integer({ min: 24, max: 32 })).map(([host, len]) => `198.51.100.${host}/${len}`),
      fc.tuple(fc.nat(255), fc.integer({ min: 120, max: 128 })).map(([host, len]) => `2001:db8::${host.toString(16)}/${len}`),
    );
    fc.assert(
      fc.property(fc.array(fc.array(cidr, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }), (pools) => {
        const objs = pools.map((addresses, i) => pool(`p${i}`, { addresses }));
        const got = new Set(
          issuesOf(objs)
            .filter((i) => i.rule === RULES.poolOverlap)
            .map((i) => `${i.object.name}/${/\[(\d+)\]/.exec(i.field)![1]}`),
        );
        expect(got).toEqual(naive(pools));
      }),
      { numRuns: 300 },
    );
  });

  it('finds an overlap between a range and a CIDR of another family-mate pool, and none across families', () => {
    expect(issuesOf([pool('a', { addresses: ['198.51.100.0/24'] }), pool('b', { addresses: ['::ffff:0:0/96'] })])).toEqual([]);
    const r = issuesOf([pool('a', { addresses: ['198.51.100.10-198.51.100.20'] }), pool('b', { addresses: ['198.51.100.16/28'] })]);
    expect(r.map((i) => [i.object.name, i.field])).toEqual([['b', 'spec.addresses[0]']]);
  });
});
