import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { IPAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { crc32, routerIdFor, routerIdFromNodeName } from '../index.js';

describe('router ID fallback (MetalLB §7.3)', () => {
  it.each([
    // [node name, CRC-32 IEEE, router ID (CRC written little-endian)]
    ['node1', 0x85ef2540, '64.37.239.133'], // the example of the behaviour notes
    ['kind-worker', 0x759a3dc0, '192.61.154.117'],
    ['123456789', 0xcbf43926, '38.57.244.203'], // the CRC-32 check value
  ])('%s → CRC-32 %d → %s', (name, crc, id) => {
    expect(crc32(new TextEncoder().encode(name))).toBe(crc);
    expect(zlibCrc32(name)).toBe(crc); // node's zlib (same polynomial as Go's hash/crc32 IEEE)
    expect(routerIdFromNodeName(name).toString()).toBe(id);
  });

  it('crc32 agrees with zlib.crc32 on any bytes (property)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => crc32(b) === zlibCrc32(b)));
    fc.assert(fc.property(fc.string(), (s) => routerIdFromNodeName(s).toString() === routerIdFromNodeName(s).toString() && crc32(new TextEncoder().encode(s)) === zlibCrc32(Buffer.from(s, 'utf8'))));
  });

  it.each([
    ['configured wins', { configured: '10.0.0.1', localIPv4: '198.51.100.2', nodeName: 'node1' }, '10.0.0.1', 'configured'],
    ['else the local IPv4', { localIPv4: '198.51.100.2', nodeName: 'node1' }, '198.51.100.2', 'local-ipv4'],
    ['an empty configured value is unset', { configured: '', localIPv4: '198.51.100.2', nodeName: 'node1' }, '198.51.100.2', 'local-ipv4'],
    ['an IPv6 configured value is skipped', { configured: '2001:db8::1', localIPv4: '198.51.100.2' }, '198.51.100.2', 'local-ipv4'],
    ['an IPv4-mapped local address is IPv4', { localIPv4: '::ffff:198.51.100.7', nodeName: 'node1' }, '198.51.100.7', 'local-ipv4'],
    ['an IPv6 local address is skipped → node name', { localIPv4: '2001:db8::2', nodeName: 'node1' }, '64.37.239.133', 'node-name'],
    ['else the node name', { nodeName: 'node1' }, '64.37.239.133', 'node-name'],
    ['parsed addresses work too', { configured: IPAddress.parse('10.9.8.7') }, '10.9.8.7', 'configured'],
  ] as const)('%s', (_n, input, id, source) => {
    const r = routerIdFor(input);
    expect([r?.id.toString(), r?.source]).toEqual([id, source]);
  });

  it('nothing to go on → undefined', () => {
    expect(routerIdFor({})).toBeUndefined();
    expect(routerIdFor({ localIPv4: '2001:db8::1', nodeName: '' })).toBeUndefined();
  });
});
