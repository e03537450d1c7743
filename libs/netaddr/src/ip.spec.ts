import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddrParseError, IPAddress } from './index.js';

describe('IPAddress.parse', () => {
  it.each([
    ['0.0.0.0', 'IPv4', 0n],
    ['10.0.0.1', 'IPv4', 0x0a000001n],
    ['255.255.255.255', 'IPv4', 0xffffffffn],
    ['::', 'IPv6', 0n],
    ['::1', 'IPv6', 1n],
    ['2001:db8::1', 'IPv6', 0x20010db8000000000000000000000001n],
    ['2001:DB8::A', 'IPv6', 0x20010db800000000000000000000000an],
    ['::ffff:198.51.100.1', 'IPv6', 0xffffc6336401n],
    // Regression: ipaddr.js reads `::a.b.c.d` as IPv4-mapped; it is IPv4-compatible (low 32 bits).
    ['::198.51.100.1', 'IPv6', 0xc6336401n],
    ['::0.0.0.0', 'IPv6', 0n],
    ['2001:db8::198.51.100.1', 'IPv6', 0x20010db8000000000000000000000000n | 0xc6336401n],
  ] as const)('parses %s', (text, family, value) => {
    const a = IPAddress.parse(text);
    expect(a.family).toBe(family);
    expect(a.value).toBe(value);
  });

  it.each([
    ['', 'empty string'],
    [' 10.0.0.1', 'white space'],
    ['10.0.0', 'four dot-separated'],
    ['10.0.0.1.2', 'four dot-separated'],
    ['010.0.0.1', 'leading zero'],
    ['0x0a.0.0.1', 'not a decimal'],
    ['10.0.0.256', 'greater than 255'],
    ['10.0.0.-1', 'not a decimal'],
    ['fe80::1%eth0', 'zone'],
    ['2001:db8::g', 'invalid character'],
    ['1:2:3:4:5:6:7:8:9', 'not a valid IPv6'],
    ['::ffff:1.2.3.04', 'embedded IPv4'],
    ['2001:db8:::1', 'not a valid IPv6'],
  ])('rejects %j with a clear reason', (text, why) => {
    expect(() => IPAddress.parse(text)).toThrow(AddrParseError);
    try {
      IPAddress.parse(text);
    } catch (e) {
      expect((e as AddrParseError).message).toContain(`"${text}"`);
      expect((e as AddrParseError).reason).toContain(why);
    }
    expect(IPAddress.tryParse(text)).toBeUndefined();
  });

  it('never throws anything but AddrParseError on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), (s) => {
        const r = IPAddress.parseResult(s);
        expect(r instanceof IPAddress || r instanceof AddrParseError).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('RFC 5952 output', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // longest run wins
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:c633:6401', '::ffff:198.51.100.1'],
    ['FE80::ABCD', 'fe80::abcd'],
  ])('%s → %s', (input, out) => {
    expect(IPAddress.parse(input).toString()).toBe(out);
  });
});

const v4 = fc.bigInt({ min: 0n, max: (1n << 32n) - 1n }).map((v) => IPAddress.fromBigInt('IPv4', v));
const v6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => IPAddress.fromBigInt('IPv6', v));
const anyIp = fc.oneof(v4, v6);

describe('properties', () => {
  it('parse ∘ format = id', () => {
    fc.assert(fc.property(anyIp, (a) => {
      expect(IPAddress.parse(a.toString()).equals(a)).toBe(true);
    }), {
      numRuns: 3000,
    });
  });
  it('bytes round trip', () => {
    fc.assert(fc.property(anyIp, (a) => {
      expect(IPAddress.fromBytes(a.toBytes()).equals(a)).toBe(true);
    }));
  });
  it('next and prev are inverse inside the space', () => {
    fc.assert(
      fc.property(anyIp, (a) => {
        const n = a.next();
        if (n) expect(n.prev()?.equals(a)).toBe(true);
        else expect(a.value).toBe((1n << BigInt(a.bits)) - 1n);
      }),
    );
  });
  it('compare orders IPv4 before IPv6 and by value', () => {
    fc.assert(
      fc.property(anyIp, anyIp, (a, b) => {
        const c = a.compare(b);
        expect(c).toBe(-b.compare(a) || 0);
        if (a.family === b.family) expect(c).toBe(a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
      }),
    );
  });
});

describe('edges', () => {
  it('next past the end and prev before the start are undefined', () => {
    expect(IPAddress.parse('255.255.255.255').next()).toBeUndefined();
    expect(IPAddress.parse('::').prev()).toBeUndefined();
  });
  it('fromBigInt refuses out-of-range values', () => {
    expect(() => IPAddress.fromBigInt('IPv4', 1n << 32n)).toThrow(RangeError);
    expect(() => IPAddress.fromBigInt('IPv6', -1n)).toThrow(RangeError);
  });
  it('fromBytes refuses wrong lengths', () => {
    expect(() => IPAddress.fromBytes(new Uint8Array(5))).toThrow(/4 or 16 bytes/);
  });
  it('is frozen and serialises to its text', () => {
    const a = IPAddress.parse('198.51.100.7');
    expect(Object.isFrozen(a)).toBe(true);
    expect(JSON.stringify({ a })).toBe('{"a":"198.51.100.7"}');
    expect(IPAddress.parse('::ffff:1.2.3.4').isIPv4Mapped()).toBe(true);
  });
});
