import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decisionFor, electL2, endpointCanServe, EXCLUDE_LB_LABEL, type L2ElectionInput, type L2NodeReason } from './index.js';

/** Independent oracle: the winner among `nodes` by score then SHA-256 of `node#ip`. */
function oracle(ip: string, nodes: string[], scores: Record<string, number> = {}): string | undefined {
  const h = (n: string) => createHash('sha256').update(`${n}#${ip}`).digest();
  return [...nodes].sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || Buffer.compare(h(a), h(b)))[0];
}

const IP = '198.51.100.10';
const ALL = ['node-a', 'node-b', 'node-c', 'node-d'];
const base = (over: Partial<L2ElectionInput> = {}): L2ElectionInput => ({
  ips: [IP],
  nodes: ALL.map((name) => ({ name, labels: { zone: name === 'node-d' ? 'z2' : 'z1' } })),
  advertisements: [{}],
  endpoints: [{ nodeName: 'node-a', serving: true }],
  ...over,
});

function reasons(e: ReturnType<typeof electL2>): Record<string, L2NodeReason> {
  return Object.fromEntries(e.verdicts.map((v) => [v.node, v.reason]));
}

describe('electL2: MetalLB §6.1 rules, table', () => {
  const cases: { name: string; input: L2ElectionInput; opts?: Parameters<typeof electL2>[1]; eligible: string[]; scores?: Record<string, number>; why?: Record<string, L2NodeReason> }[] = [
    { name: 'memberlist off: every known node', input: base(), eligible: ALL },
    {
      name: 'memberlist on: only live members',
      input: base({ liveMembers: ['node-a', 'node-c'] }),
      eligible: ['node-a', 'node-c'],
      why: { 'node-b': 'notMember', 'node-d': 'notMember' },
    },
    {
      name: 'NetworkUnavailable dropped',
      input: base({ nodes: ALL.map((name) => ({ name, networkUnavailable: name === 'node-b' })) }),
      eligible: ['node-a', 'node-c', 'node-d'],
      why: { 'node-b': 'networkUnavailable' },
    },
    {
      name: 'exclude-from-external-load-balancers label dropped (any value)',
      input: base({ nodes: ALL.map((name) => ({ name, labels: name === 'node-c' ? { [EXCLUDE_LB_LABEL]: '' } : ({} as Record<string, string>) })) }),
      eligible: ['node-a', 'node-b', 'node-d'],
      why: { 'node-c': 'excludedFromLoadBalancers' },
    },
    {
      name: '--ignore-exclude-lb keeps it',
      input: base({ nodes: ALL.map((name) => ({ name, labels: name === 'node-c' ? { [EXCLUDE_LB_LABEL]: 'true' } : ({} as Record<string, string>) })) }),
      opts: { ignoreExcludeLb: true },
      eligible: ALL,
    },
    {
      name: 'node selectors of the advertisement',
      input: base({ advertisements: [{ nodeSelectors: [{ matchLabels: { zone: 'z1' } }] }] }),
      eligible: ['node-a', 'node-b', 'node-c'],
      why: { 'node-d': 'noMatchingAdvertisement' },
    },
    {
      name: 'union of advertisements node sets',
      input: base({ advertisements: [{ nodes: ['node-a'] }, { nodes: ['node-d'] }] }),
      eligible: ['node-a', 'node-d'],
    },
    {
      name: 'advertisement not matching the service is ignored',
      input: base({
        service: { labels: { app: 'web' } },
        advertisements: [{ nodes: ['node-a'], serviceSelectors: [{ matchLabels: { app: 'db' } }] }, { nodes: ['node-b', 'node-c'] }],
      }),
      eligible: ['node-b', 'node-c'],
      why: { 'node-a': 'noMatchingAdvertisement' },
    },
    {
      name: 'externalTrafficPolicy Local: nodes with a serving endpoint',
      input: base({
        service: { externalTrafficPolicy: 'Local' },
        endpoints: [
          { nodeName: 'node-b', serving: true },
          { nodeName: 'node-c', serving: false },
          { nodeName: 'node-d', serving: true },
          { serving: true },
        ],
      }),
      eligible: ['node-b', 'node-d'],
      why: { 'node-a': 'noLocalEndpoint', 'node-c': 'noLocalEndpoint' },
    },
    {
      name: 'Cluster policy ignores where endpoints are',
      input: base({ endpoints: [{ nodeName: 'node-z', serving: true }] }),
      eligible: ALL,
    },
    {
      name: 'member without a Node object is not dropped by Node filters but needs an advertisement',
      input: base({ liveMembers: ['node-a', 'ghost'], advertisements: [{ nodes: ['node-a', 'ghost'] }] }),
      eligible: ['node-a', 'ghost'],
    },
    {
      name: 'member without a Node object is outside selector-resolved node sets',
      input: base({ liveMembers: ['node-a', 'ghost'] }),
      eligible: ['node-a'],
      why: { ghost: 'noMatchingAdvertisement' },
    },
    {
      name: 'preferred nodes: summed weights over advertisements',
      input: base({
        advertisements: [
          { preferredNodeSelectors: [{ weight: 30, preference: { matchLabels: { zone: 'z2' } } }] },
          { nodes: ['node-b', 'node-d'], preferredNodeSelectors: [{ weight: 20, preference: {} }] },
        ],
      }),
      eligible: ALL,
      scores: { 'node-d': 50, 'node-b': 20 },
    },
    {
      name: 'preferred weights given pre-computed',
      input: base({ advertisements: [{ preferredWeights: { 'node-c': 5 } }] }),
      eligible: ALL,
      scores: { 'node-c': 5 },
    },
    {
      name: 'dual-stack: the first status IP decides',
      input: base({ ips: ['2001:db8::10', IP] }),
      eligible: ALL,
    },
  ];

  it.each(cases)('$name', ({ input, opts, eligible, scores, why }) => {
    const e = electL2(input, opts);
    const first = String(input.ips[0]).toLowerCase();
    const want = oracle(first, eligible, scores);
    expect(e.kind).toBe('elected');
    if (e.kind !== 'elected') return;
    expect(e.winner).toBe(want);
    expect(new Set(e.order.map((c) => c.node))).toEqual(new Set(eligible));
    const r = reasons(e);
    expect(r[want!]).toBe('elected');
    for (const n of eligible) if (n !== want) expect(r[n]).toBe('outranked');
    for (const [n, reason] of Object.entries(why ?? {})) expect(r[n]).toBe(reason);
    expect(decisionFor(e, want!)).toEqual({ kind: 'announce', interfaces: e.interfaces });
  });
});

describe('electL2: nobody announces', () => {
  it('no serving endpoint, even with Cluster policy (§12 #26)', () => {
    const e = electL2(base({ endpoints: [{ nodeName: 'node-a', serving: false }] }));
    expect(e).toMatchObject({ kind: 'none', reason: 'noServingEndpoints' });
    expect(e.verdicts.every((v) => v.metallbReason === 'notOwner')).toBe(true);
  });
  it('no advertisement matches the service', () => {
    const e = electL2(base({ advertisements: [{ serviceSelectors: [{ matchLabels: { app: 'x' } }] }] }));
    expect(e).toMatchObject({ kind: 'none', reason: 'noMatchingAdvertisement' });
    expect(decisionFor(e, 'node-a')).toEqual({ kind: 'withdraw', reason: 'noMatchingAdvertisement', metallbReason: 'noMatchingAdvertisement' });
  });
  it('allow-shared-ip with a service-selector advertisement', () => {
    const e = electL2(base({ service: { allowSharedIp: true, labels: { app: 'x' } }, advertisements: [{ serviceSelectors: [{ matchLabels: { app: 'x' } }] }] }));
    expect(e).toMatchObject({ kind: 'none', reason: 'sharedIPWithServiceSelector' });
    expect(decisionFor(e, 'node-b')).toMatchObject({ metallbReason: 'sharedIPWithServiceSelector' });
  });
  it('allow-shared-ip without service selectors is fine', () => {
    expect(electL2(base({ service: { allowSharedIp: true } })).kind).toBe('elected');
  });
  it('Local policy and the only endpoint on a non-candidate', () => {
    const e = electL2(base({ service: { externalTrafficPolicy: 'Local' }, liveMembers: ['node-b'] }));
    expect(e).toMatchObject({ kind: 'none', reason: 'noCandidates' });
    expect(reasons(e)).toEqual({ 'node-a': 'notMember', 'node-b': 'noLocalEndpoint', 'node-c': 'notMember', 'node-d': 'notMember' });
  });
  it('no IP / invalid IP are values, not exceptions', () => {
    expect(electL2(base({ ips: [] }))).toMatchObject({ kind: 'none', reason: 'noIPAllocated' });
    expect(electL2(base({ ips: ['198.51.100.300'] }))).toMatchObject({ kind: 'none', reason: 'invalidIP' });
  });
  it('an empty node name is a programming error', () => {
    expect(() => electL2(base({ nodes: [{ name: '' }] }))).toThrow(/nodes\[0\]\.name/);
  });
});

describe('MetalLB reasons per node', () => {
  it('a node outside every advertisement reports noMatchingAdvertisement, others notOwner', () => {
    const e = electL2(base({ advertisements: [{ nodes: ['node-a', 'node-b'] }], liveMembers: ['node-a', 'node-b', 'node-c'] }));
    const m = Object.fromEntries(e.verdicts.map((v) => [v.node, v.metallbReason]));
    const w = oracle(IP, ['node-a', 'node-b'])!;
    expect(m[w]).toBe('');
    expect(m[w === 'node-a' ? 'node-b' : 'node-a']).toBe('notOwner');
    expect(m['node-c']).toBe('noMatchingAdvertisement');
    expect(m['node-d']).toBe('noMatchingAdvertisement'); // not a member AND not selected: step 4 comes first
    expect(decisionFor(e, 'unknown-node').kind).toBe('withdraw');
  });
});

describe('interfaces (§6.2)', () => {
  it('all interfaces when any advertisement of the winner has none', () => {
    const e = electL2(base({ advertisements: [{ interfaces: ['eth1'] }, {}] }));
    expect(e.kind === 'elected' && e.interfaces).toEqual({ kind: 'all' });
  });
  it('union of restrictions, and whether the winner has one', () => {
    const nodes = ALL.map((name) => ({ name, interfaces: name === 'node-a' ? ['eth0'] : ['eth0', 'eth2'] }));
    const e = electL2(base({ nodes, advertisements: [{ interfaces: ['eth2'] }, { interfaces: ['eth1', 'eth2'] }] }));
    if (e.kind !== 'elected') throw new Error('expected a winner');
    expect(e.interfaces).toEqual({ kind: 'restricted', names: ['eth1', 'eth2'], present: e.winner !== 'node-a' });
  });
  it('interfaces do not vote by default (MetalLB), but do with requireInterface', () => {
    const nodes = ALL.map((name) => ({ name, interfaces: ['eth0'] as string[] }));
    const target = oracle(IP, ALL)!;
    const withIf = nodes.map((n) => (n.name === target ? n : { ...n, interfaces: ['eth0', 'eth9'] }));
    const input = base({ nodes: withIf, advertisements: [{ interfaces: ['eth9'] }] });
    const plain = electL2(input);
    expect(plain.kind === 'elected' && plain.winner).toBe(target);
    expect(plain.kind === 'elected' && plain.interfaces).toMatchObject({ present: false });
    const strict = electL2(input, { requireInterface: true });
    expect(strict.kind === 'elected' && strict.winner).toBe(oracle(IP, ALL.filter((n) => n !== target)));
    expect(reasons(strict)[target]).toBe('noUsableInterface');
  });
});

describe('hold-down (opt-in)', () => {
  const now = 1_700_000_100_000;
  const order = ALL.slice().sort((a, b) => Buffer.compare(createHash('sha256').update(`${a}#${IP}`).digest(), createHash('sha256').update(`${b}#${IP}`).digest()));
  const [first, second] = order as [string, string];

  it('a returning preferred node waits; the settled one keeps the IP', () => {
    const e = electL2(base(), { holdDown: { holdDownMs: 30_000, now, candidateSince: { [first]: now - 10_000 } } });
    if (e.kind !== 'elected') throw new Error('expected a winner');
    expect(e.winner).toBe(second);
    expect(e.metallbOrder[0]!.node).toBe(first);
    expect(e.held).toEqual([{ node: first, untilMs: now + 20_000 }]);
    expect(e.recheckAtMs).toBe(now + 20_000);
    expect(e.verdicts.find((v) => v.node === first)).toMatchObject({ reason: 'heldDown', heldUntilMs: now + 20_000, metallbReason: 'notOwner' });
  });
  it('after the hold-down it takes the IP back', () => {
    const e = electL2(base(), { holdDown: { holdDownMs: 30_000, now, candidateSince: { [first]: now - 30_000 } } });
    expect(e.kind === 'elected' && e.winner).toBe(first);
  });
  it('when every candidate is young the MetalLB order stands', () => {
    const since = Object.fromEntries(ALL.map((n) => [n, now - 1]));
    const e = electL2(base(), { holdDown: { holdDownMs: 30_000, now, candidateSince: since } });
    expect(e.kind === 'elected' && e.winner).toBe(first);
    expect(e.kind === 'elected' && e.held).toEqual([]);
  });
  it('holdDownMs 0 is MetalLB', () => {
    const e = electL2(base(), { holdDown: { holdDownMs: 0, now, candidateSince: { [first]: now } } });
    expect(e.kind === 'elected' && e.winner).toBe(first);
  });
  it('rejects a negative hold-down', () => {
    expect(() => electL2(base(), { holdDown: { holdDownMs: -1, now, candidateSince: {} } })).toThrow(/holdDownMs/);
  });
});

describe('properties', () => {
  const arbInput = fc
    .record({
      names: fc.uniqueArray(fc.stringMatching(/^n[0-9]{1,3}$/), { minLength: 1, maxLength: 8 }),
      ip: fc.oneof(fc.ipV4(), fc.ipV6()),
      down: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      member: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      local: fc.boolean(),
      ep: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      memberlist: fc.boolean(),
      zone: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 8, maxLength: 8 }),
      weights: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 2 }),
    })
    .map(({ names, ip, down, member, local, ep, memberlist, zone, weights }): L2ElectionInput => ({
      ips: [ip],
      nodes: names.map((name, i) => ({ name, networkUnavailable: down[i], labels: { zone: `z${zone[i]}` } })),
      liveMembers: memberlist ? names.filter((_, i) => member[i]) : undefined,
      advertisements: [
        { nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z2'] }] }], preferredNodeSelectors: [{ weight: weights[0]!, preference: { matchLabels: { zone: 'z1' } } }] },
        { preferredNodeSelectors: [{ weight: weights[1]!, preference: { matchLabels: { zone: 'z2' } } }] },
      ],
      service: { externalTrafficPolicy: local ? 'Local' : 'Cluster' },
      endpoints: [{ serving: true }, ...names.filter((_, i) => ep[i]).map((nodeName) => ({ nodeName, serving: true }))],
    }));

  it('every speaker computes the same winner whatever the order of its caches', () => {
    fc.assert(
      fc.property(arbInput, (input) => {
        const a = electL2(input);
        const b = electL2({ ...input, nodes: [...input.nodes].reverse(), liveMembers: input.liveMembers && [...input.liveMembers].reverse() });
        expect(b).toEqual(a);
        // exactly one node is told to announce, or none
        const announcers = input.nodes.filter((n) => decisionFor(a, n.name).kind === 'announce');
        expect(announcers.length).toBe(a.kind === 'elected' ? 1 : 0);
      }),
    );
  });

  it('removing a non-winner never moves the IP', () => {
    fc.assert(
      fc.property(arbInput, fc.nat(), (input, k) => {
        const a = electL2(input);
        if (a.kind !== 'elected') return;
        const others = input.nodes.filter((n) => n.name !== a.winner);
        if (others.length === 0) return;
        const victim = others[k % others.length]!.name;
        const b = electL2({ ...input, nodes: input.nodes.filter((n) => n.name !== victim), liveMembers: input.liveMembers?.filter((n) => n !== victim) });
        expect(b.kind === 'elected' && b.winner).toBe(a.winner);
      }),
    );
  });
});

describe('README example', () => {
  it('behaves as documented', () => {
    const election = electL2({
      ips: ['198.51.100.10'],
      service: { labels: { app: 'web' }, externalTrafficPolicy: 'Local', allowSharedIp: false },
      advertisements: [
        {
          name: 'l2',
          nodeSelectors: [{ matchLabels: { 'node-role/edge': 'true' } }],
          interfaces: ['eth1'],
          preferredNodeSelectors: [{ weight: 50, preference: { matchLabels: { zone: 'a' } } }],
        },
      ],
      nodes: [
        { name: 'n1', labels: { 'node-role/edge': 'true', zone: 'a' } },
        { name: 'n2', labels: { 'node-role/edge': 'true', zone: 'b' }, networkUnavailable: true },
        { name: 'n3', labels: { 'node-role/edge': 'true', [EXCLUDE_LB_LABEL]: '' } },
      ],
      liveMembers: ['n1', 'n2', 'n3'],
      endpoints: [{ nodeName: 'n1', serving: endpointCanServe({ ready: true }) }],
    });
    expect(election.kind).toBe('elected');
    expect(election.verdicts).toEqual([
      { node: 'n1', reason: 'elected', metallbReason: '', rank: 0, score: 50, digest: createHash('sha256').update('n1#198.51.100.10').digest('hex') },
      { node: 'n2', reason: 'networkUnavailable', metallbReason: 'notOwner' },
      { node: 'n3', reason: 'excludedFromLoadBalancers', metallbReason: 'notOwner' },
    ]);
    expect(decisionFor(election, 'n1')).toEqual({ kind: 'announce', interfaces: { kind: 'restricted', names: ['eth1'] } });
    expect(decisionFor(election, 'n2')).toEqual({ kind: 'withdraw', reason: 'networkUnavailable', metallbReason: 'notOwner' });
  });
});
