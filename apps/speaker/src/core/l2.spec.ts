import { announcerOrder } from '@metallb-ts/election';
import { describe, expect, it } from 'vitest';
import type { CoreInput, L2Outcome, SpeakerService } from './model.js';
import { computePlan } from './plan.js';
import { config, input, l2adv, node, pool, ready, svc } from './test-fixtures.js';

const IP = '198.51.100.10';
const IP6 = '2001:db8::10';
const base = [pool('p', ['198.51.100.0/24', '2001:db8::/64']), l2adv('l2', { ipAddressPools: ['p'] })];
const cfg = config(base);
const NODES = ['n1', 'n2', 'n3'];
const WINNER = announcerOrder(IP, NODES)[0]!;

/** The Layer 2 outcome of one Service as seen from `me`. */
function l2(s: SpeakerService, o: Partial<CoreInput> = {}, me = WINNER): L2Outcome {
  const plan = computePlan(input({ config: cfg, services: [s], node: me, ...o }));
  return plan.services.get(s.key)!.l2;
}

const reasonOf = (o: L2Outcome) => (o.kind === 'withdraw' ? o.reason : 'announce');

describe('Layer 2: the per-Service checks of §5.2, in order', () => {
  it.each([
    ['not a LoadBalancer', svc('a', [IP], { type: 'ClusterIP' }), {}, 'notLoadBalancer'],
    ['no configuration yet', svc('a', [IP]), { config: undefined }, 'noConfig'],
    ['no status IP', svc('a', []), {}, 'noIPAllocated'],
    ['an unparsable status IP', svc('a', ['198.51.100.300']), {}, 'invalidIP'],
    ['an IP outside every pool', svc('a', ['203.0.113.7']), {}, 'ipNotAllowed'],
    ['no serving endpoint, even with Cluster (quirk 26)', svc('a', [IP], { endpoints: [{ nodeName: 'n1', serving: false }] }), {}, 'noEndpoints'],
    ['no endpoints at all', svc('a', [IP], { endpoints: [] }), {}, 'noEndpoints'],
  ] as const)('%s → %s', (_t, s, o, reason) => {
    expect(reasonOf(l2(s, o as Partial<CoreInput>))).toBe(reason);
  });

  it('a pool without L2Advertisement is not announced over Layer 2', () => {
    const c = config([pool('p', ['198.51.100.0/24'])]);
    expect(reasonOf(l2(svc('a', [IP]), { config: c }))).toBe('noAdvertisement');
  });

  it('held back until memberlist tried its first join', () => {
    expect(reasonOf(l2(svc('a', [IP]), { holdL2: true }))).toBe('held');
  });
});

describe('Layer 2 election (§6.1) through electL2', () => {
  it('exactly one node announces, the one MetalLB elects', () => {
    const s = svc('a', [IP]);
    const winners = NODES.filter((me) => l2(s, {}, me).kind === 'announce');
    expect(winners).toEqual([WINNER]);
    const loser = NODES.find((n) => n !== WINNER)!;
    expect(reasonOf(l2(s, {}, loser))).toBe('notOwner');
  });

  it('an endpoint without nodeName counts as serving for Cluster', () => {
    expect(l2(svc('a', [IP], { endpoints: [ready()] })).kind).toBe('announce');
  });

  it('dual-stack: both IPs go to the node elected by the first one', () => {
    const s = svc('a', [IP, IP6]);
    const w = announcerOrder(IP, NODES)[0]!;
    const out = l2(s, {}, w);
    expect(out).toEqual({ kind: 'announce', ips: [{ ip: IP, interfaces: undefined }, { ip: IP6, interfaces: undefined }], interfaces: undefined });
  });

  it('with memberlist, only live members are candidates', () => {
    const s = svc('a', [IP]);
    const other = NODES.find((n) => n !== WINNER)!;
    expect(l2(s, { liveMembers: [other] }, other).kind).toBe('announce');
    expect(reasonOf(l2(s, { liveMembers: [other] }, WINNER))).toBe('notOwner');
  });

  it('a node with NetworkUnavailable=True or the exclude label is not a candidate', () => {
    const s = svc('a', [IP]);
    expect(reasonOf(l2(s, { nodes: [node('n1', { networkUnavailable: true })] }, 'n1'))).toBe('nodeNetworkUnavailable');
    const excluded = [node('n1', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } })];
    expect(reasonOf(l2(s, { nodes: excluded }, 'n1'))).toBe('nodeLabeledExcludeBalancers');
    expect(l2(s, { nodes: excluded, ignoreExcludeLb: true }, 'n1').kind).toBe('announce');
  });

  it('externalTrafficPolicy Local: only a node with a local serving endpoint', () => {
    const other = NODES.find((n) => n !== WINNER)!;
    const s = svc('a', [IP], { externalTrafficPolicy: 'Local', endpoints: [ready(other)] });
    expect(l2(s, {}, other).kind).toBe('announce');
    expect(reasonOf(l2(s, {}, WINNER))).toBe('noLocalEndpoints');
    expect(l2(s, {}, WINNER)).toMatchObject({ detail: 'notOwner' }); // what a Go speaker logs
  });

  it('node selectors of the L2Advertisement restrict the candidates', () => {
    const nodes = [node('n1'), node('n2', { labels: { edge: 'yes' } }), node('n3')];
    const c = config([base[0]!, l2adv('l2', { ipAddressPools: ['p'], nodeSelectors: [{ matchLabels: { edge: 'yes' } }] })], nodes);
    const s = svc('a', [IP]);
    expect(l2(s, { config: c, nodes }, 'n2').kind).toBe('announce');
    expect(reasonOf(l2(s, { config: c, nodes }, 'n1'))).toBe('noMatchingAdvertisement');
  });

  it('preferred nodes win over the hash order', () => {
    const loser = announcerOrder(IP, NODES).at(-1)!;
    const nodes = NODES.map((n) => node(n, { labels: n === loser ? { zone: 'a' } : {} }));
    const c = config([base[0]!, l2adv('l2', { ipAddressPools: ['p'], preferredNodeSelectors: [{ weight: 50, preference: { matchLabels: { zone: 'a' } } }] })], nodes);
    expect(l2(svc('a', [IP]), { config: c, nodes }, loser).kind).toBe('announce');
  });

  it('allow-shared-ip with service selectors is refused (§6.1 step 3)', () => {
    const c = config([base[0]!, l2adv('l2', { ipAddressPools: ['p'], serviceSelectors: [{ matchLabels: { app: 'web' } }] })]);
    const s = svc('a', [IP], { allowSharedIp: true, labels: { app: 'web' } });
    expect(reasonOf(l2(s, { config: c }))).toBe('sharedIPWithServiceSelector');
  });

  it('service selectors that do not match: no announcement', () => {
    const c = config([base[0]!, l2adv('l2', { ipAddressPools: ['p'], serviceSelectors: [{ matchLabels: { app: 'web' } }] })]);
    expect(reasonOf(l2(svc('a', [IP]), { config: c }))).toBe('noMatchingAdvertisement');
  });
});

describe('Layer 2 interfaces (§6.2)', () => {
  const c = config([base[0]!, l2adv('l2', { ipAddressPools: ['p'], interfaces: ['eth1', 'eth2'] })]);

  it('restricted to the advertised interfaces present here; status lists the advertised ones', () => {
    const s = svc('a', [IP]);
    const plan = computePlan(input({ config: c, services: [s], node: WINNER, interfaces: ['eth0', 'eth1'] }));
    expect(plan.services.get(s.key)!.l2).toEqual({ kind: 'announce', ips: [{ ip: IP, interfaces: ['eth1'] }], interfaces: ['eth1', 'eth2'] });
    expect(plan.l2Status.get(s.key)).toEqual({ interfaces: [{ name: 'eth1' }, { name: 'eth2' }] });
  });

  it('none present: announceFailed, and no status or gauge claims an announcement (quirk 25 fixed)', () => {
    const s = svc('a', [IP]);
    const plan = computePlan(input({ config: c, services: [s], node: WINNER, interfaces: ['eth0'] }));
    expect(reasonOf(plan.services.get(s.key)!.l2)).toBe('noInterface');
    expect(plan.events).toEqual([expect.objectContaining({ service: s.key, type: 'Warning', reason: 'announceFailed' })]);
    expect(plan.l2Status.size).toBe(0);
    expect(plan.announced).toEqual([]);
  });

  it('unknown interfaces: the restriction is passed as it is', () => {
    const s = svc('a', [IP]);
    expect(l2(s, { config: c })).toEqual({ kind: 'announce', ips: [{ ip: IP, interfaces: ['eth1', 'eth2'] }], interfaces: ['eth1', 'eth2'] });
  });

  it('no restriction: an empty status and every interface', () => {
    const s = svc('a', [IP]);
    const plan = computePlan(input({ config: cfg, services: [s], node: WINNER }));
    expect(plan.l2Status.get(s.key)).toEqual({});
    expect(plan.announced).toEqual([{ service: s.key, protocol: 'layer2', node: WINNER, ip: IP }]);
    expect(plan.events).toEqual([{ service: s.key, type: 'Normal', reason: 'nodeAssigned', message: `announcing from node "${WINNER}" with protocol "layer2"` }]);
  });
});
