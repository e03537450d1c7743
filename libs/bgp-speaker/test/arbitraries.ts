import fc from 'fast-check';
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import type { AsPathSegment, BgpMessage, Capability, Open, PathAttribute, Update } from '../src/index.js';

export const ipv4 = fc.integer({ min: 0, max: 0xffffffff }).map((v) => IPAddress.fromBigInt('IPv4', BigInt(v)));
export const ipv6 = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => IPAddress.fromBigInt('IPv6', v));
export const cidr4 = fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([a, p]) => Cidr.of(a, p));
export const cidr6 = fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([a, p]) => Cidr.of(a, p));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

export const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ code: fc.constant('multiprotocol' as const), afi: u16, safi: fc.integer({ min: 0, max: 255 }) }),
  fc.constant({ code: 'route-refresh' as const }),
  fc.record({ code: fc.constant('four-octet-as' as const), asn: u32 }),
  fc.record({
    code: fc.constant('graceful-restart' as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: fc.integer({ min: 0, max: 255 }), forwardingPreserved: fc.boolean() }), { maxLength: 4 }),
  }),
  // Codes 1, 2, 64, 65 are typed; others stay raw.
  fc.record({ code: fc.constant('unknown' as const), type: fc.integer({ min: 3, max: 63 }), value: bytes(8) }),
);

export const open: fc.Arbitrary<Open> = fc.record({
  type: fc.constant('open' as const),
  version: fc.integer({ min: 0, max: 255 }),
  myAs: u16,
  holdTime: u16,
  bgpId: ipv4,
  capabilities: fc.array(capability, { maxLength: 8 }),
  otherParameters: fc.array(fc.record({ type: fc.integer({ min: 0, max: 255 }).filter((t) => t !== 2), value: bytes(6) }), { maxLength: 2 }),
});

const segment = (asn: fc.Arbitrary<number>): fc.Arbitrary<AsPathSegment> =>
  fc.record({ kind: fc.constantFrom('set' as const, 'sequence' as const, 'confed-sequence' as const, 'confed-set' as const), asns: fc.array(asn, { minLength: 1, maxLength: 5 }) });

export function attributes(fourOctetAs: boolean): fc.Arbitrary<PathAttribute[]> {
  const asn = fourOctetAs ? u32 : u16;
  const attr: fc.Arbitrary<PathAttribute> = fc.oneof(
    fc.record({ type: fc.constant('origin' as const), origin: fc.constantFrom(0 as const, 1 as const, 2 as const) }),
    fc.record({ type: fc.constant('as-path' as const), segments: fc.array(segment(asn), { maxLength: 3 }) }),
    fc.record({ type: fc.constant('next-hop' as const), nextHop: ipv4 }),
    fc.record({ type: fc.constant('med' as const), med: u32 }),
    fc.record({ type: fc.constant('local-pref' as const), localPref: u32 }),
    fc.constant({ type: 'atomic-aggregate' as const }),
    fc.record({ type: fc.constant('aggregator' as const), asn, address: ipv4 }),
    fc.record({ type: fc.constant('communities' as const), communities: fc.array(u32, { minLength: 1, maxLength: 5 }) }),
    fc.record({ type: fc.constant('large-communities' as const), communities: fc.array(fc.record({ kind: fc.constant('large' as const), global: u32, local1: u32, local2: u32 }), { minLength: 1, maxLength: 3 }) }),
    fc.oneof(
      fc.record({ type: fc.constant('mp-reach' as const), afi: fc.constant(2), safi: fc.constant(1), nextHop: ipv6, nlri: fc.array(cidr6, { maxLength: 5 }) }),
      fc.record({ type: fc.constant('mp-reach' as const), afi: fc.constant(2), safi: fc.constant(1), nextHop: ipv6, linkLocal: ipv6, nlri: fc.array(cidr6, { maxLength: 5 }) }),
      fc.record({ type: fc.constant('mp-reach' as const), afi: fc.constant(1), safi: fc.constant(1), nextHop: ipv4, nlri: fc.array(cidr4, { maxLength: 5 }) }),
    ),
    fc.oneof(
      fc.record({ type: fc.constant('mp-unreach' as const), afi: fc.constant(1), safi: fc.constant(1), withdrawn: fc.array(cidr4, { maxLength: 4 }) }),
      fc.record({ type: fc.constant('mp-unreach' as const), afi: fc.constant(2), safi: fc.constant(1), withdrawn: fc.array(cidr6, { maxLength: 4 }) }),
    ),
    fc.record({ type: fc.constant('as4-path' as const), segments: fc.array(segment(u32), { maxLength: 3 }) }),
    fc.record({ type: fc.constant('as4-aggregator' as const), asn: u32, address: ipv4 }),
    fc.record({ type: fc.constant('unknown' as const), code: fc.integer({ min: 40, max: 255 }), flags: fc.constantFrom(0x80, 0xc0, 0xe0), value: bytes(300) }),
  );
  // One attribute of each type (duplicates are discarded on decode, by design).
  return fc.uniqueArray(attr, { maxLength: 8, selector: (a) => (a.type === 'unknown' ? `u${a.code}` : a.type) });
}

export function update(fourOctetAs: boolean): fc.Arbitrary<Update> {
  return fc.record({
    type: fc.constant('update' as const),
    withdrawn: fc.array(cidr4, { maxLength: 5 }),
    attributes: attributes(fourOctetAs),
    nlri: fc.array(cidr4, { maxLength: 5 }),
  });
}

export function message(fourOctetAs: boolean): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    open,
    update(fourOctetAs),
    fc.record({ type: fc.constant('notification' as const), code: fc.integer({ min: 0, max: 255 }), subcode: fc.integer({ min: 0, max: 255 }), data: bytes(20) }),
    fc.constant({ type: 'keepalive' as const }),
    fc.record({ type: fc.constant('route-refresh' as const), afi: u16, safi: fc.integer({ min: 0, max: 255 }), subtype: fc.integer({ min: 0, max: 255 }) }),
  );
}
