import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, endOfRib, endOfRibFamily, type Open, type Update } from '../index.js';
import { toHex } from '../../test/hex.js';
import * as V from '../../test/vectors/hand.js';

const ctx4 = { fourOctetAs: true };

describe('hand-written vectors decode to the RFC figures and re-encode byte for byte', () => {
  it('OPEN with MP, route refresh, 4-octet AS, graceful restart and an unknown capability', () => {
    const { message } = decodeMessage(V.OPEN_FULL, ctx4);
    expect(message).toEqual<Open>({
      type: 'open',
      version: 4,
      myAs: 23456,
      holdTime: 90,
      bgpId: IPAddress.parse('198.51.100.1'),
      capabilities: [
        { code: 'multiprotocol', afi: 1, safi: 1 },
        { code: 'multiprotocol', afi: 2, safi: 1 },
        { code: 'route-refresh' },
        { code: 'four-octet-as', asn: 65540 },
        {
          code: 'graceful-restart',
          restarting: false,
          notification: false,
          restartTime: 120,
          families: [
            { afi: 1, safi: 1, forwardingPreserved: true },
            { afi: 2, safi: 1, forwardingPreserved: false },
          ],
        },
        { code: 'unknown', type: 70, value: new Uint8Array(0) },
      ],
      otherParameters: [],
    });
    expect(toHex(encodeMessage(message, ctx4))).toBe(toHex(V.OPEN_FULL));
  });

  it('IPv4 UPDATE with MED, communities and large communities', () => {
    const { message, issues } = decodeMessage(V.UPDATE_V4, ctx4);
    expect(issues).toEqual([]);
    expect(message).toEqual<Update>({
      type: 'update',
      withdrawn: [],
      attributes: [
        { type: 'origin', origin: 0 },
        { type: 'as-path', segments: [{ kind: 'sequence', asns: [64496] }] },
        { type: 'next-hop', nextHop: IPAddress.parse('198.51.100.1') },
        { type: 'med', med: 5 },
        { type: 'communities', communities: [64496 * 65536 + 100] },
        { type: 'large-communities', communities: [{ kind: 'large', global: 64496, local1: 1, local2: 2 }] },
      ],
      nlri: [Cidr.parse('203.0.113.10/32')],
    });
    expect(toHex(encodeMessage(message, ctx4))).toBe(toHex(V.UPDATE_V4));
  });

  it('IPv6 MP_REACH_NLRI with global and link-local next hops', () => {
    const { message } = decodeMessage(V.UPDATE_V6, ctx4);
    const mp = (message as Update).attributes[3];
    expect(mp).toEqual({
      type: 'mp-reach',
      afi: 2,
      safi: 1,
      nextHop: IPAddress.parse('2001:db8::1'),
      linkLocal: IPAddress.parse('fe80::1'),
      nlri: [Cidr.parse('2001:db8:ffff::10/128')],
    });
    expect(toHex(encodeMessage(message, ctx4))).toBe(toHex(V.UPDATE_V6));
  });

  it('End-of-RIB for IPv4 and IPv6', () => {
    expect(toHex(encodeMessage(endOfRib(1, 1), ctx4))).toBe(toHex(V.EOR_V4));
    expect(toHex(encodeMessage(endOfRib(2, 1), ctx4))).toBe(toHex(V.EOR_V6));
    expect(endOfRibFamily(decodeMessage(V.EOR_V6, ctx4).message as Update)).toEqual({ afi: 2, safi: 1 });
    expect(endOfRibFamily(decodeMessage(V.UPDATE_V4, ctx4).message as Update)).toBeUndefined();
  });

  it('NOTIFICATION, KEEPALIVE, ROUTE-REFRESH', () => {
    expect(decodeMessage(V.NOTIFICATION_CEASE, ctx4).message).toEqual({ type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) });
    expect(decodeMessage(V.KEEPALIVE, ctx4).message).toEqual({ type: 'keepalive' });
    expect(decodeMessage(V.ROUTE_REFRESH_V6, ctx4).message).toEqual({ type: 'route-refresh', afi: 2, safi: 1, subtype: 0 });
    for (const v of [V.NOTIFICATION_CEASE, V.KEEPALIVE, V.ROUTE_REFRESH_V6]) {
      expect(toHex(encodeMessage(decodeMessage(v, ctx4).message, ctx4))).toBe(toHex(v));
    }
  });

  it('2-octet AS_PATH in a session without the 4-octet capability', () => {
    const u: Update = {
      type: 'update',
      withdrawn: [Cidr.parse('198.51.100.0/24')],
      attributes: [
        { type: 'origin', origin: 2 },
        { type: 'as-path', segments: [{ kind: 'sequence', asns: [23456] }, { kind: 'set', asns: [64500, 64501] }] },
        { type: 'next-hop', nextHop: IPAddress.parse('198.51.100.2') },
        { type: 'as4-path', segments: [{ kind: 'sequence', asns: [65540] }] },
        { type: 'aggregator', asn: 64500, address: IPAddress.parse('198.51.100.9') },
        { type: 'atomic-aggregate' },
      ],
      nlri: [Cidr.parse('203.0.113.0/24'), Cidr.parse('0.0.0.0/0')],
    };
    const bytes = encodeMessage(u, { fourOctetAs: false });
    expect(decodeMessage(bytes, { fourOctetAs: false }).message).toEqual(u);
    expect(() => encodeMessage({ ...u, attributes: [{ type: 'as-path', segments: [{ kind: 'sequence', asns: [65540] }] }] }, { fourOctetAs: false })).toThrow(RangeError);
  });
});
