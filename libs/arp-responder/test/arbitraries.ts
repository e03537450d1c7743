import fc from 'fast-check';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import type { ArpPacket, ArpRawPacket, Frame, NdOption, NdpPacket, VlanTag } from '../src/index.js';

export const mac = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => MacAddress.fromBytes(b));
export const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => IPAddress.fromBytes(b));
export const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => IPAddress.fromBytes(b));

export const vlan: fc.Arbitrary<VlanTag> = fc.record({
  tpid: fc.constantFrom(0x8100, 0x88a8),
  pcp: fc.integer({ min: 0, max: 7 }),
  dei: fc.boolean(),
  vid: fc.integer({ min: 0, max: 4095 }),
});

export const arp: fc.Arbitrary<ArpPacket> = fc.record({
  kind: fc.constant('arp' as const),
  hardwareType: fc.integer({ min: 0, max: 0xffff }),
  operation: fc.integer({ min: 0, max: 0xffff }),
  senderMac: mac,
  senderIp: ipv4,
  targetMac: mac,
  targetIp: ipv4,
});

export const arpRaw: fc.Arbitrary<ArpRawPacket> = fc
  .record({
    hlen: fc.integer({ min: 0, max: 12 }),
    plen: fc.integer({ min: 0, max: 18 }),
    protocolType: fc.integer({ min: 0, max: 0xffff }),
    hardwareType: fc.integer({ min: 0, max: 0xffff }),
    operation: fc.integer({ min: 0, max: 0xffff }),
    seed: fc.uint8Array({ minLength: 60, maxLength: 60 }),
  })
  .filter((r) => !(r.hlen === 6 && r.plen === 4 && r.protocolType === 0x0800))
  .map((r) => ({
    kind: 'arp-raw' as const,
    hardwareType: r.hardwareType,
    protocolType: r.protocolType,
    operation: r.operation,
    senderHardware: r.seed.slice(0, r.hlen),
    senderProtocol: r.seed.slice(12, 12 + r.plen),
    targetHardware: r.seed.slice(30, 30 + r.hlen),
    targetProtocol: r.seed.slice(42, 42 + r.plen),
  }));

export const ndOption: fc.Arbitrary<NdOption> = fc.oneof(
  mac.map((m) => ({ type: 'source-lla' as const, mac: m })),
  mac.map((m) => ({ type: 'target-lla' as const, mac: m })),
  fc
    .record({ code: fc.integer({ min: 0, max: 255 }), units: fc.integer({ min: 1, max: 3 }), seed: fc.uint8Array({ minLength: 22, maxLength: 22 }) })
    .filter((r) => !((r.code === 1 || r.code === 2) && r.units === 1))
    .map((r) => ({ type: 'raw' as const, code: r.code, data: r.seed.slice(0, r.units * 8 - 2) })),
);

export const ndp: fc.Arbitrary<NdpPacket> = fc.record({
  kind: fc.constant('ndp' as const),
  ip: fc.record({
    trafficClass: fc.integer({ min: 0, max: 255 }),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    hopLimit: fc.integer({ min: 0, max: 255 }),
    src: ipv6,
    dst: ipv6,
  }),
  message: fc.oneof(
    fc.record({
      type: fc.constant('ns' as const),
      code: fc.integer({ min: 0, max: 255 }),
      reserved: fc.integer({ min: 0, max: 0xffffffff }),
      target: ipv6,
      options: fc.array(ndOption, { maxLength: 4 }),
    }),
    fc.record({
      type: fc.constant('na' as const),
      code: fc.integer({ min: 0, max: 255 }),
      router: fc.boolean(),
      solicited: fc.boolean(),
      override: fc.boolean(),
      reserved: fc.integer({ min: 0, max: 0x1fffffff }),
      target: ipv6,
      options: fc.array(ndOption, { maxLength: 4 }),
    }),
  ),
});

export const frame: fc.Arbitrary<Frame> = fc.record({
  dst: mac,
  src: mac,
  vlans: fc.array(vlan, { maxLength: 2 }),
  body: fc.oneof(arp, arpRaw, ndp),
  trailer: fc.uint8Array({ maxLength: 24 }),
});
