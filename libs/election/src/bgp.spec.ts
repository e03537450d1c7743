import { describe, expect, it } from 'vitest';
import { bgpEligibility, EXCLUDE_LB_LABEL, localPrefConflict, type BgpAdvertisementInput, type BgpEligibilityInput } from './index.js';

const me = { name: 'node-a', labels: { rack: 'r1' } as Record<string, string> };
const base = (over: Partial<BgpEligibilityInput> = {}): BgpEligibilityInput => ({
  node: me,
  knownNodes: [me, { name: 'node-b', labels: { rack: 'r2' } }],
  advertisements: [{ name: 'adv' }],
  poolFamilies: ['IPv4'],
  endpoints: [{ nodeName: 'node-b', serving: true }],
  ...over,
});

describe('bgpEligibility: MetalLB §7.2, in order', () => {
  it.each([
    ['no advertisement covers this node → notOwner', base({ advertisements: [{ nodeSelectors: [{ matchLabels: { rack: 'r2' } }] }] }), 'notOwner'],
    ['no advertisements at all → notOwner', base({ advertisements: [] }), 'notOwner'],
    [
      'covering advertisement does not match the service → noMatchingAdvertisement',
      base({ service: { labels: { app: 'web' } }, advertisements: [{ serviceSelectors: [{ matchLabels: { app: 'db' } }] }, { nodes: ['node-b'] }] }),
      'noMatchingAdvertisement',
    ],
    ['LOCAL_PREF conflict → conflictingAdvertisements', base({ advertisements: [{ name: 'x', localPref: 100 }, { name: 'y', localPref: 200 }] }), 'conflictingAdvertisements'],
    ['NetworkUnavailable → nodeNetworkUnavailable', base({ node: { ...me, networkUnavailable: true } }), 'nodeNetworkUnavailable'],
    ['excluded label → nodeLabeledExcludeBalancers', base({ node: { ...me, labels: { [EXCLUDE_LB_LABEL]: '' } } }), 'nodeLabeledExcludeBalancers'],
    ['Local without a local endpoint → noLocalEndpoints', base({ service: { externalTrafficPolicy: 'Local' } }), 'noLocalEndpoints'],
    [
      'Local with a local endpoint that has no address → noLocalEndpoints',
      base({ service: { externalTrafficPolicy: 'Local' }, endpoints: [{ nodeName: 'node-a', serving: true, addresses: 0 }] }),
      'noLocalEndpoints',
    ],
    ['Cluster without a serving endpoint → noEndpoints', base({ endpoints: [{ nodeName: 'node-a', serving: false }] }), 'noEndpoints'],
    ['Cluster: addressless endpoints do not count → noEndpoints', base({ endpoints: [{ serving: true, addresses: 0 }] }), 'noEndpoints'],
  ] as const)('%s', (_name, input, reason) => {
    expect(bgpEligibility(input)).toMatchObject({ kind: 'withdraw', reason });
  });

  it('checks run in MetalLB order: conflict before node conditions', () => {
    const r = bgpEligibility(base({ node: { ...me, networkUnavailable: true }, advertisements: [{ name: 'x', localPref: 1 }, { name: 'y', localPref: 2 }] }));
    expect(r).toEqual({ kind: 'withdraw', reason: 'conflictingAdvertisements', conflict: ['x', 'y'] });
  });

  it('--ignore-exclude-lb', () => {
    expect(bgpEligibility(base({ node: { ...me, labels: { [EXCLUDE_LB_LABEL]: 'yes' } } }), { ignoreExcludeLb: true }).kind).toBe('advertise');
  });

  it('advertises with the matching advertisements and says which peers receive it', () => {
    const ads: BgpAdvertisementInput[] = [
      { name: 'to-spine', peers: ['spine-1'], localPref: 100 },
      { name: 'to-b', nodes: ['node-b'] },
      { name: 'web-only', serviceSelectors: [{ matchLabels: { app: 'web' } }], peers: ['spine-2'], localPref: 100 },
    ];
    const r = bgpEligibility(
      base({
        service: { labels: { app: 'web' }, externalTrafficPolicy: 'Local' },
        endpoints: [{ nodeName: 'node-a', serving: true }],
        advertisements: ads,
        peers: [{ name: 'spine-1' }, { name: 'spine-2' }, { name: 'spine-3' }, { name: 'tor-r2', nodeSelectors: [{ matchLabels: { rack: 'r2' } }] }],
      }),
    );
    expect(r).toEqual({
      kind: 'advertise',
      advertisements: [ads[0], ads[2]],
      peers: [
        { peer: 'spine-1', reason: 'receives' },
        { peer: 'spine-2', reason: 'receives' },
        { peer: 'spine-3', reason: 'notInAdvertisementPeers' },
        { peer: 'tor-r2', reason: 'peerNotOnNode' },
      ],
    });
  });

  it('an advertisement without peers sends to every session', () => {
    const r = bgpEligibility(base({ peers: [{ name: 'p1' }, { name: 'p2' }] }));
    expect(r.kind === 'advertise' && r.peers.map((p) => p.reason)).toEqual(['receives', 'receives']);
  });

  it('node selectors resolve against this node even without knownNodes', () => {
    const r = bgpEligibility({ node: me, advertisements: [{ nodeSelectors: [{ matchLabels: { rack: 'r1' } }] }], poolFamilies: ['IPv4'], endpoints: [{ serving: true }] });
    expect(r.kind).toBe('advertise');
  });
});

describe('localPrefConflict (rule A6)', () => {
  const a = (o: BgpAdvertisementInput) => o;
  it.each([
    ['same localPref never conflicts', a({ localPref: 5 }), a({ localPref: 5 }), ['IPv4'], false],
    ['IPv4 pool, same v4 length', a({ localPref: 1 }), a({ localPref: 2 }), ['IPv4'], true],
    ['IPv4 pool, different v4 length', a({ localPref: 1, aggregationLength: 24 }), a({ localPref: 2 }), ['IPv4'], false],
    ['IPv4 pool ignores v6 lengths', a({ localPref: 1, aggregationLengthV6: 64 }), a({ localPref: 2 }), ['IPv4'], true],
    ['IPv6 pool, different v6 length', a({ localPref: 1, aggregationLengthV6: 64 }), a({ localPref: 2 }), ['IPv6'], false],
    ['IPv6 pool ignores v4 lengths', a({ localPref: 1, aggregationLength: 24 }), a({ localPref: 2 }), ['IPv6'], true],
    ['dual pool: only v4 differs → still conflict', a({ localPref: 1, aggregationLength: 24 }), a({ localPref: 2 }), ['IPv4', 'IPv6'], true],
    ['dual pool: both differ → no conflict', a({ localPref: 1, aggregationLength: 24, aggregationLengthV6: 64 }), a({ localPref: 2 }), ['IPv4', 'IPv6'], false],
    ['disjoint peer lists', a({ localPref: 1, peers: ['p1'] }), a({ localPref: 2, peers: ['p2'] }), ['IPv4'], false],
    ['overlapping peer lists', a({ localPref: 1, peers: ['p1', 'p3'] }), a({ localPref: 2, peers: ['p3'] }), ['IPv4'], true],
    ['one empty peer list', a({ localPref: 1, peers: ['p1'] }), a({ localPref: 2 }), ['IPv4'], true],
  ] as const)('%s', (_n, x, y, fam, want) => {
    expect(localPrefConflict(x, y, fam)).toBe(want);
    expect(localPrefConflict(y, x, fam)).toBe(want);
  });
});
