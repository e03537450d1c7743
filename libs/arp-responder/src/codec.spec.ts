import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecDecodeError, UnreachableError } from '@metallb-ts/errors';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import {
  DecodeError,
  EncodeError,
  arpReply,
  decodeArp,
  decodeFrame,
  decodeNdp,
  encodeArp,
  encodeFrame,
  encodeNdp,
  gratuitousArp,
  icmpv6Checksum,
  neighborAdvertisement,
  neighborSolicitation,
  unsolicitedAdvertisement,
  type DecodeReason,
  type Frame,
} from './index.js';
import { frame as frameArb } from '../test/arbitraries.js';
import { hex, toHex } from '../test/vectors/hex.js';
import * as V from '../test/vectors/rfc.js';

const here = dirname(fileURLToPath(import.meta.url));
const US = MacAddress.parse('02:00:00:00:00:01');
const CLIENT = MacAddress.parse('02:00:00:00:00:02');
const ip = (s: string) => IPAddress.parse(s);

/** Every member of the closed union, once: the type checker rejects a missing or an extra key. */
const REASONS: Record<DecodeReason, true> = {
  truncated: true, unsupported: true, 'bad-version': true, 'bad-length': true, 'bad-option-length': true, 'bad-checksum': true,
};

/** The one decode-error shape: a DecodeError, a reason from the union, an offset inside the input. */
function expectDecodeError(e: unknown, input: Uint8Array): void {
  expect(e).toBeInstanceOf(DecodeError);
  const d = e as DecodeError;
  expect(Object.hasOwn(REASONS, d.reason)).toBe(true);
  expect(Number.isInteger(d.offset) && d.offset >= 0 && d.offset <= input.length).toBe(true);
  expect(d.detail.length).toBeGreaterThan(0);
}

function decodeErr(b: Uint8Array): DecodeError {
  try {
    decodeFrame(b);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
  throw new Error('expected a DecodeError');
}

describe('RFC vectors', () => {
  it('decodes an ARP request field by field (RFC 826)', () => {
    const f = decodeFrame(V.ARP_REQUEST);
    expect(f.dst.toString()).toBe('ff:ff:ff:ff:ff:ff');
    expect(f.src.toString()).toBe('02:00:00:00:00:02');
    expect(f.vlans).toEqual([]);
    expect(f.trailer.length).toBe(0);
    expect(f.body).toEqual({
      kind: 'arp',
      hardwareType: 1,
      operation: 1,
      senderMac: CLIENT,
      senderIp: ip('198.51.100.2'),
      targetMac: MacAddress.ZERO,
      targetIp: ip('198.51.100.10'),
    });
  });

  it('builds the ARP reply and gratuitous request byte for byte', () => {
    expect(toHex(encodeFrame(arpReply(US, ip('198.51.100.10'), { mac: CLIENT, ip: ip('198.51.100.2') })))).toBe(toHex(V.ARP_REPLY));
    expect(toHex(encodeFrame(gratuitousArp(US, ip('198.51.100.10'), 'request')))).toBe(toHex(V.GARP_REQUEST));
    const reply = encodeFrame(gratuitousArp(US, ip('198.51.100.10'), 'reply'));
    expect(reply.length).toBe(60);
    expect(toHex(reply.subarray(20, 22))).toBe('0002');
  });

  it('decodes an 802.1Q tag', () => {
    const f = decodeFrame(V.ARP_REQUEST_VLAN100);
    expect(f.vlans).toEqual([{ tpid: 0x8100, pcp: 5, dei: false, vid: 100 }]);
    expect(f.body.kind).toBe('arp');
    expect(toHex(encodeFrame(f))).toBe(toHex(V.ARP_REQUEST_VLAN100));
  });

  it('decodes an NS field by field and verifies its checksum (RFC 4861 §4.3)', () => {
    const f = decodeFrame(V.NS_MULTICAST);
    expect(f.dst.toString()).toBe('33:33:ff:00:00:10');
    expect(f.body).toEqual({
      kind: 'ndp',
      ip: { trafficClass: 0, flowLabel: 0, hopLimit: 255, src: ip('2001:db8::2'), dst: ip('ff02::1:ff00:10') },
      message: { type: 'ns', code: 0, reserved: 0, target: ip('2001:db8::10'), options: [{ type: 'source-lla', mac: CLIENT }] },
    });
    expect(toHex(encodeFrame(neighborSolicitation(CLIENT, ip('2001:db8::2'), ip('2001:db8::10'))))).toBe(toHex(V.NS_MULTICAST));
  });

  it('builds solicited and unsolicited NAs byte for byte (RFC 4861 §4.4)', () => {
    const na = neighborAdvertisement(US, ip('2001:db8::10'), { mac: CLIENT, ip: ip('2001:db8::2') }, { solicited: true, override: false });
    expect(toHex(encodeFrame(na))).toBe(toHex(V.NA_SOLICITED));
    expect(toHex(encodeFrame(unsolicitedAdvertisement(US, ip('2001:db8::10'))))).toBe(toHex(V.NA_UNSOLICITED));
    const d = decodeFrame(V.NA_UNSOLICITED).body;
    expect(d.kind === 'ndp' && d.message.type === 'na' && [d.message.router, d.message.solicited, d.message.override]).toEqual([false, false, true]);
  });

  it('decodes a DAD probe without options', () => {
    const f = decodeFrame(V.NS_DAD);
    expect(f.body.kind === 'ndp' && f.body.ip.src.toString()).toBe('::');
    expect(f.body.kind === 'ndp' && f.body.message.options).toEqual([]);
    expect(toHex(encodeFrame(neighborSolicitation(MacAddress.parse('02:00:00:00:00:03'), ip('::'), ip('2001:db8::10'))))).toBe(
      toHex(V.NS_DAD.subarray(0, 78)) + '0'.repeat(0),
    );
  });

  it('computes the ICMPv6 checksum like RFC 1071 (odd length included)', () => {
    const z = new Uint8Array(16);
    expect(icmpv6Checksum(z, z, new Uint8Array([0x01]))).toBe(~(0x0100 + 58 + 1) & 0xffff);
    expect(icmpv6Checksum(z, z, new Uint8Array(0))).toBe(~58 & 0xffff);
  });

  it('layer codecs work on their own', () => {
    const a = decodeArp(V.ARP_REQUEST.subarray(14));
    expect(toHex(encodeArp(a))).toBe(toHex(V.ARP_REQUEST.subarray(14)));
    const n = decodeNdp(V.NS_MULTICAST.subarray(14));
    expect(toHex(encodeNdp(n))).toBe(toHex(V.NS_MULTICAST.subarray(14)));
  });
});

describe('decode errors carry a reason and the offset', () => {
  const cases: [string, Uint8Array, DecodeReason, number][] = [
    ['empty', new Uint8Array(0), 'truncated', 0],
    ['short Ethernet header', V.ARP_REQUEST.subarray(0, 13), 'truncated', 13],
    ['IPv4 EtherType', hex('ffffffffffff', '020000000002', '0800', '45000014'), 'unsupported', 12],
    ['ARP cut in the addresses', V.ARP_REQUEST.subarray(0, 30), 'truncated', 30],
    ['ARP header cut', V.ARP_REQUEST.subarray(0, 20), 'truncated', 20],
    ['VLAN tag cut', V.ARP_REQUEST_VLAN100.subarray(0, 16), 'truncated', 16],
    ['IPv6 version 4', (() => { const b = V.NS_MULTICAST.slice(); b[14] = 0x40; return b; })(), 'bad-version', 14],
    ['IPv6 extension header', (() => { const b = V.NS_MULTICAST.slice(); b[20] = 0; return b; })(), 'unsupported', 20],
    ['IPv6 payload past the frame', V.NS_MULTICAST.subarray(0, 80), 'truncated', 80],
    ['ICMPv6 echo request', (() => { const b = V.NS_MULTICAST.slice(); b[54] = 128; return b; })(), 'unsupported', 54],
    ['bad checksum', (() => { const b = V.NS_MULTICAST.slice(); b[57] = b[57]! ^ 1; return b; })(), 'bad-checksum', 56],
    ['checksum 0xffff is never sent', (() => { const b = V.NS_MULTICAST.slice(); b[56] = 0xff; b[57] = 0xff; return b; })(), 'bad-checksum', 56],
  ];
  it.each(cases)('%s', (_name, bytes, reason, offset) => {
    const e = decodeErr(bytes);
    expect(e.reason).toBe(reason);
    expect(e.offset).toBe(offset);
    expect(e.message).toContain(`byte ${offset}`);
  });

  it('keeps the former `code` field as an alias of `reason`, and shares the codec error shape', () => {
    const e = decodeErr(new Uint8Array(0));
    expect(e.code).toBe(e.reason);
    expect(e).toBeInstanceOf(CodecDecodeError);
    expect(e.name).toBe('DecodeError');
    expect(e.detail).toBe('an Ethernet header needs 14 bytes, got 0');
  });

  it('an option of length 0 is bad-option-length (RFC 4861 §4.6)', () => {
    const f = decodeFrame(V.NS_MULTICAST);
    const b = encodeFrame({ ...f });
    b[79] = 0; // option length byte
    // fix the checksum so only the option is wrong
    b[56] = 0;
    b[57] = 0;
    const sum = icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b.subarray(54, 86));
    b[56] = sum >> 8;
    b[57] = sum & 0xff;
    const e = decodeErr(b);
    expect([e.reason, e.offset]).toEqual(['bad-option-length', 79]);
  });

  it('an NDP option of a type outside the union is refused by the exhaustiveness check, not encoded', () => {
    const f = decodeFrame(V.NS_MULTICAST);
    if (f.body.kind !== 'ndp') throw new Error('expected NDP');
    const bogus = { ...f, body: { ...f.body, message: { ...f.body.message, options: [{ type: 'mtu', mtu: 1500 }] } } } as unknown as Frame;
    expect(() => encodeFrame(bogus)).toThrow(UnreachableError);
    expect(() => encodeFrame(bogus)).toThrow(/unexpected NDP option type: type="mtu"/);
  });

  it('an NS shorter than 24 bytes is bad-length', () => {
    const b = V.NS_DAD.slice(0, 14 + 40 + 20);
    b[19] = 20; // payload length
    expect(decodeErr(b).reason).toBe('bad-length');
  });
});

describe('encode', () => {
  it('refuses out-of-range fields with EncodeError naming the field', () => {
    const f = decodeFrame(V.ARP_REQUEST_VLAN100);
    expect(() => encodeFrame({ ...f, vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 5000 }] })).toThrow(/vlans\[0\]\.vid/);
    expect(() => encodeFrame({ ...f, body: { ...(f.body as any), operation: 70000 } })).toThrow(EncodeError);
    const n = decodeFrame(V.NS_MULTICAST);
    const body = n.body as any;
    expect(() =>
      encodeFrame({ ...n, body: { ...body, message: { ...body.message, options: [{ type: 'raw', code: 9, data: new Uint8Array(5) }] } } }),
    ).toThrow(/options\[0\]\.data/);
  });

  it('never mutates its input', () => {
    const f = Object.freeze(decodeFrame(V.NS_MULTICAST));
    expect(() => encodeFrame(f)).not.toThrow();
  });
});

describe('properties', () => {
  it('decode(encode(x)) equals x for any model', () => {
    fc.assert(
      fc.property(frameArb, (f) => {
        const bytes = encodeFrame(f);
        expect(decodeFrame(bytes)).toEqual(f);
        expect(toHex(encodeFrame(decodeFrame(bytes)))).toBe(toHex(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  // 100,000 arbitrary inputs: half plain random bytes, half random bytes behind a valid
  // Ethernet header with an ARP or IPv6 EtherType (so the inner decoders are reached).
  it('arbitrary bytes give a DecodeError (reason in the union, 0 ≤ offset ≤ length) or a frame that re-encodes to the same bytes (100,000 inputs)', () => {
    const raw = fc.uint8Array({ maxLength: 120 });
    const steered = fc
      .tuple(fc.constantFrom(0x0806, 0x86dd, 0x8100), fc.uint8Array({ minLength: 0, maxLength: 110, size: 'large' }), fc.boolean())
      .map(([t, rest, ethIpv4]) => {
        if (t === 0x0806 && ethIpv4 && rest.length >= 6) {
          rest[4] = 6; // ar$hln, ar$pln of Ethernet/IPv4 so that short inputs decode too
          rest[5] = 4;
        }
        const b = new Uint8Array(14 + rest.length);
        b[12] = t >> 8;
        b[13] = t & 0xff;
        if (t === 0x86dd && rest.length > 0) rest[0] = 0x60 | (rest[0]! & 0x0f);
        if (t === 0x86dd && rest.length > 6) rest[6] = 58;
        b.set(rest, 14);
        return b;
      });
    const counts = { ok: 0, err: 0 };
    fc.assert(
      fc.property(fc.oneof(raw, steered), (b) => {
        let f: Frame;
        try {
          f = decodeFrame(b);
        } catch (e) {
          expectDecodeError(e, b);
          counts.err++;
          return;
        }
        counts.ok++;
        expect(toHex(encodeFrame(f))).toBe(toHex(b));
        expect(decodeFrame(encodeFrame(f))).toEqual(f);
      }),
      { numRuns: 100_000 },
    );
    expect(counts.ok).toBeGreaterThan(1000); // the property really exercised successful decodes
  }, 180_000);

  it('mutated valid frames (checksum repaired) decode or fail with DecodeError only', () => {
    const mutated = fc
      .tuple(frameArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat())
      .map(([f, flips, cut]) => {
        const b = encodeFrame(f);
        for (const [at, v] of flips) b[at % b.length] = v;
        const off = 14 + 4 * f.vlans.length;
        if (f.body.kind === 'ndp' && b.length >= off + 44) {
          b[off + 42] = 0;
          b[off + 43] = 0;
          const plen = (b[off + 4]! << 8) | b[off + 5]!;
          if (off + 40 + plen <= b.length) {
            const s = icmpv6Checksum(b.subarray(off + 8, off + 24), b.subarray(off + 24, off + 40), b.subarray(off + 40, off + 40 + plen));
            b[off + 42] = s >> 8;
            b[off + 43] = s & 0xff;
          }
        }
        return b.subarray(0, b.length - (cut % 8));
      });
    fc.assert(
      fc.property(mutated, (b) => {
        try {
          const f = decodeFrame(b);
          expect(toHex(encodeFrame(f))).toBe(toHex(b));
        } catch (e) {
          expectDecodeError(e, b);
        }
      }),
      { numRuns: 20_000 },
    );
  }, 120_000);
});

describe('regressions', () => {
  const dir = join(here, '..', 'test', 'regressions');
  const files = readdirSync(dir).filter((f) => f.endsWith('.hex'));
  it.each(files.length ? files : ['(none)'])('%s', (name) => {
    if (name === '(none)') return;
    const text = readFileSync(join(dir, name), 'utf8');
    const bytes = hex(...text.split('\n').map((l) => l.replace(/#.*/, '')));
    try {
      const f = decodeFrame(bytes);
      expect(toHex(encodeFrame(f))).toBe(toHex(bytes));
    } catch (e) {
      expectDecodeError(e, bytes);
    }
  });
});
