import { describe, expect, it } from 'vitest';
import { sessionKey } from './bgp.js';
import type { BgpOutcome, CoreInput, SpeakerService } from './model.js';
import { computePlan } from './plan.js';
import { bgpadv, communityAliases, config, input, node, peer, pool, ready, svc } from './test-fixtures.js';

const IP = '198.51.100.10';
const P = pool('p', ['198.51.100.0/24', '2001:db8::/64']);
const PEERS = [peer('tor', { peerAddress: '198.51.100.1' }), peer('spine', { peerAddress: '198.51.100.2', peerASN: 64512 })];

function bgp(objects: Record<string, unknown>[], s: SpeakerService, o: Partial<CoreInput> = {}): BgpOutcome {
  const plan = computePlan(input({ config: config(objects, o.nodes as never), services: [s], ...o }));
  return plan.services.get(s.key)!.bgp;
}

describe('BGP sessions (§7.1)', () => {
  it('one session per BGPPeer whose node selectors match this node', () => {
    const nodes = [node('n1', { labels: { rack: 'r1' } }), node('n2')];
    const c = config([P, peer('a', { peerAddress: '198.51.100.1' }), peer('b', { peerAddress: '198.51.100.2', nodeSelectors: [{ matchLabels: { rack: 'r1' } }] }), peer('c', { peerAddress: '198.51.100.3', nodeSelectors: [{ matchLabels: { rack: 'r2' } }] })], nodes);
    const plan = computePlan(input({ config: c, nodes }));
    expect([...plan.sessions.keys()]).toEqual(['a', 'b']);
  });

  it('the session key changes with a session parameter, not with advertisements', () => {
    const a = config([P, peer('a', { peerAddress: '198.51.100.1' }), bgpadv('x', { ipAddressPools: ['p'] })]).peers.get('a')!;
    const b = config([P, peer('a', { peerAddress: '198.51.100.1' }), bgpadv('x', { ipAddressPools: ['p'], communities: ['64512:1'] })]).peers.get('a')!;
    const c = config([P, peer('a', { peerAddress: '198.51.100.1', holdTime: '30s' })]).peers.get('a')!;
    expect(sessionKey(a)).toBe(sessionKey(b));
    expect(sessionKey(a)).not.toBe(sessionKey(c));
  });
});

describe('BGP advertisements (§7.2)', () => {
  it('no BGPAdvertisement for the pool: not advertised', () => {
    expect(bgp([P, ...PEERS], svc('a', [IP]))).toMatchObject({ kind: 'withdraw', reason: 'noAdvertisement' });
  });

  it('every node with a serving endpoint somewhere advertises, to every peer, as a /32', () => {
    const out = bgp([P, ...PEERS, bgpadv('x', { ipAddressPools: ['p'] })], svc('a', [IP], { endpoints: [ready('n3')] }));
    expect(out.kind).toBe('advertise');
    if (out.kind !== 'advertise') return;
    expect(out.advertisements.map((a) => a.prefix.toString())).toEqual(['198.51.100.10/32']);
    expect(out.peers).toEqual(['spine', 'tor']);
  });

  it.each([
    ['no endpoints', svc('a', [IP], { endpoints: [] }), 'noEndpoints'],
    ['an endpoint that does not serve', svc('a', [IP], { endpoints: [{ nodeName: 'n1', serving: false }] }), 'noEndpoints'],
    ['Local without a local endpoint', svc('a', [IP], { externalTrafficPolicy: 'Local', endpoints: [ready('n2')] }), 'noLocalEndpoints'],
    ['Local with a local endpoint without address', svc('a', [IP], { externalTrafficPolicy: 'Local', endpoints: [{ nodeName: 'n1', serving: true, addresses: 0 }] }), 'noLocalEndpoints'],
  ] as const)('%s → %s', (_t, s, reason) => {
    expect(bgp([P, ...PEERS, bgpadv('x', { ipAddressPools: ['p'] })], s)).toMatchObject({ kind: 'withdraw', reason });
  });

  it('node conditions: NetworkUnavailable and the exclude label (unless ignored)', () => {
    const objs = [P, ...PEERS, bgpadv('x', { ipAddressPools: ['p'] })];
    expect(bgp(objs, svc('a', [IP]), { nodes: [node('n1', { networkUnavailable: true })] })).toMatchObject({ reason: 'nodeNetworkUnavailable' });
    const ex = [node('n1', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' } })];
    expect(bgp(objs, svc('a', [IP]), { nodes: ex })).toMatchObject({ reason: 'nodeLabeledExcludeBalancers' });
    expect(bgp(objs, svc('a', [IP]), { nodes: ex, ignoreExcludeLb: true }).kind).toBe('advertise');
  });

  it('an advertisement whose node selectors exclude this node', () => {
    const nodes = [node('n1'), node('n2', { labels: { edge: 'y' } })];
    const out = bgp([P, ...PEERS, bgpadv('x', { ipAddressPools: ['p'], nodeSelectors: [{ matchLabels: { edge: 'y' } }] })], svc('a', [IP]), { nodes });
    expect(out.kind).toBe('withdraw');
  });

  it('aggregation lengths per family, communities with aliases resolved and sorted, LOCAL_PREF', () => {
    const objs = [
      P,
      ...PEERS,
      communityAliases('aliases', [{ name: 'no-export-ish', value: '65535:65281' }]),
      bgpadv('x', { ipAddressPools: ['p'], aggregationLength: 24, aggregationLengthV6: 64, localPref: 200, communities: ['64512:20', 'no-export-ish', '64512:3'] }),
    ];
    const out = bgp(objs, svc('a', [IP, '2001:db8::10']));
    expect(out.kind).toBe('advertise');
    if (out.kind !== 'advertise') return;
    expect(out.advertisements.map((a) => [a.prefix.toString(), a.localPref])).toEqual([
      ['198.51.100.0/24', 200],
      ['2001:db8::/64', 200],
    ]);
    expect(out.advertisements[0]!.communities.map((c) => (c.kind === 'standard' ? `${c.asn}:${c.value}` : ''))).toEqual(['64512:3', '64512:20', '65535:65281']);
  });

  it('LOCAL_PREF not set stays unset (not 0)', () => {
    const out = bgp([P, ...PEERS, bgpadv('x', { ipAddressPools: ['p'] })], svc('a', [IP]));
    expect(out.kind === 'advertise' && out.advertisements[0]!.localPref).toBeUndefined();
  });

  it('LOCAL_PREF conflict between matching advertisements (rule A6 at announce time)', () => {
    const objs = [P, ...PEERS, bgpadv('x', { ipAddressPools: ['p'], localPref: 100, serviceSelectors: [{ matchLabels: { a: 'b' } }] }), bgpadv('y', { ipAddressPools: ['p'], localPref: 200 })];
    expect(bgp(objs, svc('a', [IP], { labels: { a: 'b' } }))).toMatchObject({ kind: 'withdraw', reason: 'conflictingAdvertisements' });
  });
});

describe('distribution to peers and duplicate prefixes (§7.2, §7.3)', () => {
  const objs = [
    P,
    ...PEERS,
    bgpadv('a-only-tor', { ipAddressPools: ['p'], aggregationLength: 24, peers: ['tor'], communities: ['64512:1'], localPref: 150 }),
    bgpadv('b-all', { ipAddressPools: ['p'], aggregationLength: 24, communities: ['64512:2'], localPref: 150 }),
  ];
  const plan = computePlan(input({ config: config(objs), services: [svc('one', [IP]), svc('two', ['198.51.100.20'])] }));

  it('a peers list restricts which sessions receive an advertisement', () => {
    expect(plan.routes.get('spine')!.map((r) => [r.prefix.toString(), r.communities.map((c) => (c.kind === 'standard' ? c.value : 0))])).toEqual([['198.51.100.0/24', [2]]]);
  });

  it('one route per prefix: the first advertisement\'s attributes, the union of communities', () => {
    const tor = plan.routes.get('tor')!;
    expect(tor).toHaveLength(1);
    expect(tor[0]!.localPref).toBe(150);
    expect(tor[0]!.communities.map((c) => (c.kind === 'standard' ? c.value : 0))).toEqual([1, 2]);
  });

  it('ServiceBGPStatus lists the peers each Service is pushed to, sorted', () => {
    expect(plan.bgpStatus.get('default/one')).toEqual({ peers: ['spine', 'tor'] });
    expect(plan.announced.filter((a) => a.protocol === 'bgp')).toEqual([
      { service: 'default/one', protocol: 'bgp', node: 'n1', ip: IP },
      { service: 'default/two', protocol: 'bgp', node: 'n1', ip: '198.51.100.20' },
    ]);
  });

  it('no session: advertised (gauge, Event) but no status object', () => {
    const p2 = computePlan(input({ config: config([P, bgpadv('x', { ipAddressPools: ['p'] })]), services: [svc('one', [IP])] }));
    expect(p2.services.get('default/one')!.bgp).toMatchObject({ kind: 'advertise', peers: [] });
    expect(p2.bgpStatus.size).toBe(0);
    expect(p2.events.map((e) => e.reason)).toEqual(['nodeAssigned']);
  });
});
