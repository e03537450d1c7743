import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { AdjRibOut, formatCommunity, mergeDuplicateRoutes, mergeRoutesByPrefix, parseCommunity, prefixKey, type BgpCommunity, type Route } from '../index.js';

const c = (t: string) => parseCommunity(t) as BgpCommunity;
const r = (prefix: string, o: { nh?: string; lp?: number; med?: number; comms?: string[] } = {}): Route => ({
  prefix: Cidr.parse(prefix),
  nextHop: IPAddress.parse(o.nh ?? '198.51.100.10'),
  ...(o.lp !== undefined ? { localPref: o.lp } : {}),
  ...(o.med !== undefined ? { med: o.med } : {}),
  ...(o.comms ? { communities: o.comms.map(c) } : {}),
});
const view = (x: Route) => ({ prefix: x.prefix.toString(), nextHop: x.nextHop?.toString(), localPref: x.localPref, med: x.med, communities: (x.communities ?? []).map(formatCommunity) });

describe('duplicate prefixes are merged as MetalLB does (first attributes, union of communities)', () => {
  it.each<[string, Route[], ReturnType<typeof view>[]]>([
    ['no duplicates: unchanged, in order', [r('203.0.113.2/32'), r('203.0.113.1/32')], [view(r('203.0.113.2/32')), view(r('203.0.113.1/32'))]],
    [
      'the first advertisement’s LOCAL_PREF and MED win',
      [r('203.0.113.1/32', { lp: 100, med: 5 }), r('203.0.113.1/32', { lp: 200, med: 9 })],
      [{ prefix: '203.0.113.1/32', nextHop: '198.51.100.10', localPref: 100, med: 5, communities: [] }],
    ],
    [
      'an unset LOCAL_PREF in the first stays unset',
      [r('203.0.113.1/32'), r('203.0.113.1/32', { lp: 200 })],
      [{ prefix: '203.0.113.1/32', nextHop: '198.51.100.10', localPref: undefined, med: undefined, communities: [] }],
    ],
    [
      'communities are the union, sorted in MetalLB order, each once',
      [r('203.0.113.1/32', { comms: ['64512:20', 'large:1:2:3'] }), r('203.0.113.1/32', { comms: ['64512:3', '64512:20'] }), r('203.0.113.1/32', { comms: ['large:1:1:9'] })],
      [{ prefix: '203.0.113.1/32', nextHop: '198.51.100.10', localPref: undefined, med: undefined, communities: ['64512:3', '64512:20', 'large:1:1:9', 'large:1:2:3'] }],
    ],
    [
      'the first next hop wins',
      [r('203.0.113.1/32', { nh: '198.51.100.11' }), r('203.0.113.1/32', { nh: '198.51.100.12', comms: ['1:1'] })],
      [{ prefix: '203.0.113.1/32', nextHop: '198.51.100.11', localPref: undefined, med: undefined, communities: ['1:1'] }],
    ],
    [
      'merges per prefix; first-seen order of prefixes is kept',
      [r('203.0.113.1/32', { comms: ['1:1'] }), r('2001:db8::1/128', { nh: '2001:db8::10' }), r('203.0.113.1/32', { comms: ['2:2'] }), r('203.0.113.0/24')],
      [
        { prefix: '203.0.113.1/32', nextHop: '198.51.100.10', localPref: undefined, med: undefined, communities: ['1:1', '2:2'] },
        { prefix: '2001:db8::1/128', nextHop: '2001:db8::10', localPref: undefined, med: undefined, communities: [] },
        { prefix: '203.0.113.0/24', nextHop: '198.51.100.10', localPref: undefined, med: undefined, communities: [] },
      ],
    ],
  ])('%s', (_name, input, want) => {
    expect(mergeDuplicateRoutes(input).map(view)).toEqual(want);
  });

  it('a route that is not merged is the same object (attribute keys stay cached); inputs are not mutated', () => {
    const a = r('203.0.113.1/32', { comms: ['1:1'] });
    const b = r('203.0.113.1/32', { comms: ['2:2'] });
    const solo = r('203.0.113.9/32');
    const m = mergeRoutesByPrefix([a, solo, b]);
    expect(m.get(prefixKey(solo.prefix))).toBe(solo);
    expect(a.communities!.map(formatCommunity)).toEqual(['1:1']);
  });

  it('the Adj-RIB-Out (and so every session) merges instead of letting the last one win', () => {
    const rib = new AdjRibOut();
    rib.setDesired([r('203.0.113.1/32', { lp: 100, comms: ['1:1'] }), r('203.0.113.1/32', { lp: 200, comms: ['2:2'] })]);
    expect(rib.desiredCount).toBe(1);
    expect(rib.desiredRoutes().map(view)).toEqual([{ prefix: '203.0.113.1/32', nextHop: '198.51.100.10', localPref: 100, med: undefined, communities: ['1:1', '2:2'] }]);
  });
});
