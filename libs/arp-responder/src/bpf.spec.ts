import { describe, expect, it } from 'vitest';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { ARP_NDP_FILTER, encodeFilter, encodeFrame, neighborAdvertisement, runFilter } from './index.js';
import { hex } from '../test/vectors/hex.js';
import * as V from '../test/vectors/rfc.js';

const run = (b: Uint8Array, vlan = false) => runFilter(ARP_NDP_FILTER, b, vlan) > 0;

describe('kernel BPF filter', () => {
  it('passes ARP, NS and NA', () => {
    expect(run(V.ARP_REQUEST)).toBe(true);
    expect(run(V.NS_MULTICAST)).toBe(true);
    expect(run(V.NS_DAD)).toBe(true);
    const na = neighborAdvertisement(MacAddress.parse('02:00:00:00:00:01'), IPAddress.parse('2001:db8::1'), { mac: MacAddress.BROADCAST, ip: IPAddress.parse('ff02::1') }, { solicited: false, override: true });
    expect(run(encodeFrame(na))).toBe(true);
  });

  it('drops IPv4, other ICMPv6, extension headers, inline-tagged frames; passes offloaded tags', () => {
    expect(run(hex('ffffffffffff', '020000000002', '0800', '4500001c'))).toBe(false);
    const echo = V.NS_MULTICAST.slice();
    echo[54] = 128;
    expect(run(echo)).toBe(false);
    const hbh = V.NS_MULTICAST.slice();
    hbh[20] = 0;
    expect(run(hbh)).toBe(false);
    expect(run(V.ARP_REQUEST, true)).toBe(true); // tag in the metadata: data offsets are untagged
    expect(run(V.ARP_REQUEST_VLAN100)).toBe(false); // an inline tag (QinQ inner tag) is not ours
    expect(run(V.ARP_REQUEST.subarray(0, 12))).toBe(false);
  });

  it('serialises as struct sock_filter (8 bytes each, little-endian host)', () => {
    const b = encodeFilter(ARP_NDP_FILTER);
    expect(b.length).toBe(ARP_NDP_FILTER.length * 8);
    expect(b.subarray(0, 8).toString('hex')).toBe('28000000' + '0c000000'); // ldh [12]
    expect(ARP_NDP_FILTER.at(-1)).toEqual([6, 0, 0, 0]);
  });
});
