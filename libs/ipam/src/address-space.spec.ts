import { IPAddress, IPRange } from '@metallb-ts/netaddr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSpace, goodUpTo, isBuggyV4 } from './address-space.js';
import { MAX_INT64, metallbFamilySize } from './counts.js';

const v4 = (s: string) => IPAddress.parse(s).value;
const entries = (...texts: string[]) =>
  texts.map((t, entry) => {
    const r = IPRange.parse(t);
    return { first: r.first.value, last: r.last.value, entry };
  });

describe('AddressSpace', () => {
  it('lays entries end to end in spec order, not address order', () => {
    const s = new AddressSpace('IPv4', entries('198.51.100.10-198.51.100.11', '198.51.100.0/31'), false);
    expect(s.size).toBe(4n);
    expect([0n, 1n, 2n, 3n].map((o) => IPAddress.fromBigInt('IPv4', s.valueAt(o)).toString())).toEqual([
      '198.51.100.10',
      '198.51.100.11',
      '198.51.100.0',
      '198.51.100.1',
    ]);
    expect(s.offsetOf(v4('198.51.100.1'))).toBe(3n);
    expect(s.offsetOf(v4('198.51.100.2'))).toBeUndefined();
  });

  it('without avoidBuggyIPs the network and broadcast addresses are allocatable', () => {
    const s = new AddressSpace('IPv4', entries('198.51.100.0/24'), false);
    expect(s.size).toBe(256n);
    expect(s.offsetOf(v4('198.51.100.0'))).toBe(0n);
    expect(s.offsetOf(v4('198.51.100.255'))).toBe(255n);
  });

  it.each([
    ['a /24', ['198.51.100.0/24'], 254n, '198.51.100.1', '198.51.100.254'],
    ['a /23 skips .255 and .0 in the middle', ['198.51.100.0/23'], 508n, '198.51.100.1', '198.51.101.254'],
    ['a range starting at .255', ['198.51.100.255-198.51.101.2'], 2n, '198.51.101.1', '198.51.101.2'],
    ['a /32 of a .0 address has nothing', ['198.51.100.0/32'], 0n, undefined, undefined],
    ['a /30 at .252', ['198.51.100.252/30'], 3n, '198.51.100.252', '198.51.100.254'],
  ])('avoidBuggyIPs: %s', (_n, texts, size, first, last) => {
    const s = new AddressSpace('IPv4', entries(...texts), true);
    expect(s.size).toBe(size);
    if (first !== undefined) {
      expect(IPAddress.fromBigInt('IPv4', s.valueAt(0n)).toString()).toBe(first);
      expect(IPAddress.fromBigInt('IPv4', s.valueAt(size - 1n)).toString()).toBe(last);
    }
    expect(s.offsetOf(v4('198.51.100.0'))).toBeUndefined();
    expect(s.offsetOf(v4('198.51.100.255'))).toBeUndefined();
  });

  it('avoidBuggyIPs has no effect on IPv6', () => {
    const s = new AddressSpace('IPv6', entries('2001:db8::/120'), true);
    expect(s.size).toBe(256n);
    expect(s.offsetOf(IPAddress.parse('2001:db8::ff').value)).toBe(255n);
  });

  it('property: offsetOf and valueAt are inverse, and buggy addresses are excluded (vs enumeration)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 700 })), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (spans, avoid) => {
          // non-overlapping entries, shuffled order given by the array order
          let cursor = 0xc6336400; // 198.51.100.0
          const es = spans.map(([gap, len], entry) => {
            const first = BigInt(cursor + gap);
            cursor += gap + len + 1;
            return { first, last: first + BigInt(len), entry };
          }).reverse();
          const s = new AddressSpace('IPv4', es, avoid);
          const listed: bigint[] = [];
          for (const e of es) for (let v = e.first; v <= e.last; v++) if (!avoid || !isBuggyV4(v)) listed.push(v);
          expect(s.size).toBe(BigInt(listed.length));
          listed.forEach((v, i) => {
            expect(s.valueAt(BigInt(i))).toBe(v);
            expect(s.offsetOf(v)).toBe(BigInt(i));
          });
          expect(metallbFamilySize('IPv4', es, avoid)).toBe(BigInt(listed.length));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('goodUpTo counts .1-.254 addresses', () => {
    expect(goodUpTo(-1n)).toBe(0n);
    expect(goodUpTo(0n)).toBe(0n);
    expect(goodUpTo(1n)).toBe(1n);
    expect(goodUpTo(255n)).toBe(254n);
    expect(goodUpTo(256n)).toBe(254n);
    expect(goodUpTo(257n)).toBe(255n);
  });
});

describe('metallbFamilySize (3.10)', () => {
  it.each([
    ['IPv4 /24', 'IPv4', ['198.51.100.0/24'], false, 256n],
    ['IPv4 /24 avoidBuggyIPs (2 × 2^0 subtracted)', 'IPv4', ['198.51.100.0/24'], true, 254n],
    ['IPv4 /22 avoidBuggyIPs (2 × 2^2 subtracted)', 'IPv4', ['198.51.100.0/22'], true, 1016n],
    ['IPv4 /31 at .254 avoidBuggyIPs', 'IPv4', ['198.51.100.254/31'], true, 1n],
    ['IPv4 /32 of .0 avoidBuggyIPs: 0 (MetalLB: -1)', 'IPv4', ['198.51.100.0/32'], true, 0n],
    ['IPv6 /66 (2^62 addresses) is MaxInt64', 'IPv6', ['2001:db8::/66'], false, MAX_INT64],
    ['IPv6 /67 is exact', 'IPv6', ['2001:db8::/67'], false, 1n << 61n],
    ['IPv6 /64 plus more stays MaxInt64', 'IPv6', ['2001:db8::/64', '2001:db8:1::/120'], false, MAX_INT64],
    ['four /67 saturate at MaxInt64', 'IPv6', ['2001:db8::/67', '2001:db8:0:0:2000::/67', '2001:db8:0:0:4000::/67', '2001:db8:0:0:6000::/67', '2001:db8:1::/120'], false, MAX_INT64],
    ['IPv6 range split into CIDRs, one of them /66', 'IPv6', ['2001:db8::-2001:db8::3fff:ffff:ffff:ffff'], false, MAX_INT64],
  ] as const)('%s', (_n, family, texts, avoid, want) => {
    expect(metallbFamilySize(family, entries(...texts), avoid)).toBe(want);
  });
});
