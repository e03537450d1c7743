import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { resolveNextHops, type NextHops, type Route } from '../index.js';
import { interfaceAddressesOf, procInterfaceAddresses } from '../session/node-transport.js';

const r = (p: string, nh?: string): Route => ({ prefix: Cidr.parse(p), ...(nh ? { nextHop: IPAddress.parse(nh) } : {}) });
const ip = (s: string) => IPAddress.parse(s);

describe('resolveNextHops (next-hop-self)', () => {
  it.each<[string, Route[], NextHops, [string, string][], [string, string][]]>([
    ['IPv4 session: v4 self → local', [r('203.0.113.1/32')], { ipv4: ip('198.51.100.7') }, [['203.0.113.1/32', '198.51.100.7']], []],
    ['explicit next hops are kept', [r('203.0.113.1/32', '198.51.100.9')], { ipv4: ip('198.51.100.7') }, [['203.0.113.1/32', '198.51.100.9']], []],
    ['IPv4 session, v6 self with an IPv6 next hop', [r('2001:db8::1/128')], { ipv4: ip('198.51.100.7'), ipv6: ip('2001:db8::7') }, [['2001:db8::1/128', '2001:db8::7']], []],
    ['IPv4 session, v6 self without one → unsendable', [r('2001:db8::1/128'), r('203.0.113.1/32')], { ipv4: ip('198.51.100.7') }, [['203.0.113.1/32', '198.51.100.7']], [['2001:db8::1/128', 'no-ipv6-next-hop']]],
    ['IPv6 session, v4 self without one → unsendable', [r('203.0.113.1/32')], { ipv6: ip('2001:db8::7') }, [], [['203.0.113.1/32', 'no-ipv4-next-hop']]],
  ])('%s', (_n, routes, nh, sent, unsendable) => {
    const out = resolveNextHops(routes, nh);
    expect(out.routes.map((x) => [x.prefix.toString(), x.nextHop!.toString()])).toEqual(sent);
    expect(out.unsendable.map((x) => [x.prefix, x.reason])).toEqual(unsendable);
  });

  it('same inputs → the same resolved objects (attribute keys stay cached); a new next hop → a new object', () => {
    const a = r('203.0.113.1/32');
    const x = resolveNextHops([a], { ipv4: ip('198.51.100.7') }).routes[0];
    expect(resolveNextHops([a], { ipv4: ip('198.51.100.7') }).routes[0]).toBe(x);
    const y = resolveNextHops([a], { ipv4: ip('198.51.100.8') }).routes[0];
    expect(y).not.toBe(x);
    expect(y!.nextHop!.toString()).toBe('198.51.100.8');
    expect(a.nextHop).toBeUndefined();
  });
});

describe('interfaceAddressesOf (what NodeTransport reports for a local address)', () => {
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4' }, { address: '::1', family: 'IPv6' }],
    eth0: [{ address: '198.51.100.7', family: 'IPv4' }, { address: 'fe80::7%eth0', family: 'IPv6' }, { address: '2001:db8::7', family: 'IPv6' }],
  } as unknown as Parameters<typeof interfaceAddressesOf>[1];
  it.each([
    ['198.51.100.7', ['198.51.100.7', 'fe80::7', '2001:db8::7']],
    ['2001:DB8::7', ['198.51.100.7', 'fe80::7', '2001:db8::7']],
    ['::ffff:198.51.100.7', ['198.51.100.7', 'fe80::7', '2001:db8::7']],
    ['127.0.0.1', ['127.0.0.1', '::1']],
    ['203.0.113.1', []],
    ['not-an-ip', []],
  ])('%s → %j', (local, want) => {
    expect(interfaceAddressesOf(local, ifaces)).toEqual(want);
  });
});

describe('procInterfaceAddresses (the /proc fallback for interfaces libuv leaves out)', () => {
  const ifInet6 = ['20010db8005100000000000000000002 02 40 00 80     eth0', 'fe800000000000000000000000005202 02 40 20 80     eth0', '00000000000000000000000000000001 01 80 10 80       lo', '20010db8009900000000000000000009 03 40 00 80     eth1'].join('\n');
  const route = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth1\t00000000\t016433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0', // default via 198.51.100.1: not connected
    'eth1\t000033C6\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0', // 198.51.0.0/16
    'eth0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0', // 198.51.100.0/24 (longer)
  ].join('\n');
  it.each([
    ['198.51.100.2', ['198.51.100.2', '2001:db8:51::2', 'fe80::5202']],
    ['::ffff:198.51.100.2', ['198.51.100.2', '2001:db8:51::2', 'fe80::5202']],
    ['198.51.7.7', ['198.51.7.7', '2001:db8:99::9']],
    ['2001:db8:51::2', ['2001:db8:51::2', 'fe80::5202']],
    ['203.0.113.1', []],
    ['2001:db8::dead', []],
  ])('%s → %j', (local, want) => {
    expect(procInterfaceAddresses(local, ifInet6, route)).toEqual(want);
  });
});
