import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddrParseError, Cidr, IPAddress, IPRange, parseIPOrCidr } from './index.js';

describe('Cidr', () => {
  it('parses and masks host bits like Go net.ParseCIDR', () => {
    const c = Cidr.parse('198.51.100.77/24');
    expect(c.toString()).toBe('198.51.100.0/24');
    expect(c.first().toString()).toBe('198.51.100.0');
    expect(c.last().toString()).toBe('198.51.100.255');
    expect(c.size()).toBe(256n);
  });
  it('strict mode refuses host bits and names the network', () => {
    expect(() => Cidr.parse('198.51.100.77/24', { strict: true })).toThrow(/host bits are set; the network is 198.51.100.0\/24/);
  });
  it.each([
    ['10.0.0.1/33', 'longer than 32 bits'],
    ['::1/129', 'longer than 128 bits'],
    ['10.0.0.0', 'needs a "/prefix"'],
    ['10.0.0.0/', 'not a decimal'],
    ['10.0.0.0/08', 'not a decimal'],
    ['10.0.0.0/-1', 'not a decimal'],
    ['300.0.0.0/8', 'greater than 255'],
  ])('rejects %s', (s, why) => {
    expect(() => Cidr.parse(s)).toThrow(AddrParseError);
    expect(() => Cidr.parse(s)).toThrow(why);
  });
  it('IPv6 /64 sizes are exact', () => {
    const c = Cidr.parse('2001:db8:1::/64');
    expect(c.size()).toBe(1n << 64n);
    expect(c.last().toString()).toBe('2001:db8:1:0:ffff:ffff:ffff:ffff');
  });
  it('contains and overlaps', () => {
    const a = Cidr.parse('203.0.113.0/24');
    expect(a.contains(IPAddress.parse('203.0.113.9'))).toBe(true);
    expect(a.contains(IPAddress.parse('203.0.114.0'))).toBe(false);
    expect(a.contains(IPAddress.parse('::1'))).toBe(false);
    expect(a.contains(Cidr.parse('203.0.113.128/25'))).toBe(true);
    expect(Cidr.parse('203.0.113.128/25').contains(a)).toBe(false);
    expect(a.overlaps(Cidr.parse('203.0.0.0/16'))).toBe(true);
    expect(a.overlaps(Cidr.parse('198.51.100.0/24'))).toBe(false);
    expect(Cidr.parse('0.0.0.0/0').size()).toBe(1n << 32n);
  });
});

describe('IPRange', () => {
  it('parses a-b with spaces, and CIDRs', () => {
    expect(IPRange.parse('10.0.0.101-10.0.0.150').size()).toBe(50n);
    expect(IPRange.parse('10.0.0.101 - 10.0.0.150').toString()).toBe('10.0.0.101-10.0.0.150');
    expect(IPRange.parse('2001:db8::/126').toString()).toBe('2001:db8::-2001:db8::3');
  });
  it.each([
    ['10.0.0.150-10.0.0.101', 'reversed'],
    ['10.0.0.1-2001:db8::1', 'different families'],
    ['10.0.0.1', 'expected a CIDR'],
    ['10.0.0.x-10.0.0.2', 'first address'],
    ['10.0.0.1-10.0.0.2.3', 'last address'],
  ])('rejects %s', (s, why) => {
    expect(() => IPRange.parse(s)).toThrow(why);
  });
  it('splits into the minimal CIDR list', () => {
    expect(IPRange.parse('10.0.0.1-10.0.0.6').toCidrs().map(String)).toEqual([
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/31',
      '10.0.0.6/32',
    ]);
    expect(IPRange.parse('0.0.0.0-255.255.255.255').toCidrs().map(String)).toEqual(['0.0.0.0/0']);
    expect(IPRange.parse('::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff').toCidrs().map(String)).toEqual(['::/0']);
    expect(IPRange.parse('255.255.255.254-255.255.255.255').toCidrs().map(String)).toEqual(['255.255.255.254/31']);
  });
  it('parseIPOrCidr accepts a bare address', () => {
    expect(parseIPOrCidr('203.0.113.5').size()).toBe(1n);
    expect(() => parseIPOrCidr('203.0.113')).toThrow(AddrParseError);
  });
});

const rangeArb = fc.oneof(
  fc.tuple(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.bigInt({ min: 0n, max: 5000n })).map(([a, n]) => {
    const last = a + n > (1n << 32n) - 1n ? (1n << 32n) - 1n : a + n;
    return IPRange.of(IPAddress.fromBigInt('IPv4', a), IPAddress.fromBigInt('IPv4', last));
  }),
  fc.tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.bigInt({ min: 0n, max: 1n << 70n })).map(([a, n]) => {
    const max = (1n << 128n) - 1n;
    return IPRange.of(IPAddress.fromBigInt('IPv6', a), IPAddress.fromBigInt('IPv6', a + n > max ? max : a + n));
  }),
);

describe('range ↔ CIDR properties', () => {
  it('toCidrs covers the range exactly, contiguous and aligned', () => {
    fc.assert(
      fc.property(rangeArb, (r) => {
        const cs = r.toCidrs();
        expect(cs[0]!.first().equals(r.first)).toBe(true);
        expect(cs[cs.length - 1]!.last().equals(r.last)).toBe(true);
        let total = 0n;
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i]!;
          total += c.size();
          expect(Cidr.parse(c.toString(), { strict: true }).equals(c)).toBe(true);
          if (i > 0) expect(cs[i - 1]!.last().next()!.equals(c.first())).toBe(true);
        }
        expect(total).toBe(r.size());
        // Minimal: at most 2 blocks per prefix length.
        expect(cs.length).toBeLessThanOrEqual(2 * r.first.bits);
      }),
      { numRuns: 2000 },
    );
  });
  it('a CIDR as a range splits back into itself', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }), fc.integer({ min: 0, max: 32 }), (v, p) => {
        const c = Cidr.of(IPAddress.fromBigInt('IPv4', v), p);
        expect(c.toRange().toCidrs().map(String)).toEqual([c.toString()]);
        expect(Cidr.parse(c.toString()).equals(c)).toBe(true);
      }),
    );
  });
  it('overlaps is symmetric and agrees with a membership check', () => {
    fc.assert(
      fc.property(rangeArb, rangeArb, (a, b) => {
        expect(a.overlaps(b)).toBe(b.overlaps(a));
        if (a.family === b.family) {
          const expected = a.contains(b.first) || a.contains(b.last) || b.contains(a.first);
          expect(a.overlaps(b)).toBe(expected);
        } else expect(a.overlaps(b)).toBe(false);
      }),
    );
  });
});
