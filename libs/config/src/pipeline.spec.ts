/** What the pipeline produces: the guide fixtures, the samples, and the semantics of each field. */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocationAllows, buildConfig, ConfigErrors, configsEqual, configToJSON, formatCommunity, parseManifests, RULES } from './index.js';
import { formatLabelSelector } from '@metallb-ts/labels';
import { bgpAdv, issuesOf, l2, namespace, node, peer, peerV1, pool, secret, valid } from '../test/fixtures.js';

const EXAMPLES = join(import.meta.dirname, '../../../deploy/examples');
const read = (...parts: string[]) => {
  const r = parseManifests(readFileSync(join(EXAMPLES, ...parts), 'utf8'));
  expect(r.errors).toEqual([]);
  return r.objects;
};
const samples = () => readdirSync(join(EXAMPLES, 'samples')).sort().flatMap((f) => read('samples', f));

describe('the guide fixtures parse and validate unchanged', () => {
  it('Layer 2: first-pool 10.0.0.101-10.0.0.150 and an empty L2Advertisement', () => {
    const cfg = valid([...read('ipaddresspool.yaml'), ...read('l2advertisement.yaml')]);
    const p = cfg.pools.get('first-pool')!;
    expect(p.entries.map((e) => [e.form, e.range.toString()])).toEqual([['range', '10.0.0.101-10.0.0.150']]);
    expect(p.cidrs.map(String)).toEqual(['10.0.0.101/32', '10.0.0.102/31', '10.0.0.104/29', '10.0.0.112/28', '10.0.0.128/28', '10.0.0.144/30', '10.0.0.148/31', '10.0.0.150/32']);
    expect(p.autoAssign).toBe(true);
    expect(p.avoidBuggyIPs).toBe(false);
    expect(p.serviceAllocation).toBeUndefined();
    expect(p.l2Advertisements).toEqual(['example']);
    const adv = cfg.l2Advertisements.get('example')!;
    expect(adv).toMatchObject({ pools: ['first-pool'], allNodes: true, allInterfaces: true, interfaces: [], serviceSelectors: [] });
    expect(cfg.warnings).toEqual([]);
  });

  it('BGP: the BGPPeer / IPAddressPool / BGPAdvertisement trio', () => {
    const cfg = valid(read('bgp.yaml'));
    const peerCfg = cfg.peers.get('sample')!;
    expect(peerCfg).toMatchObject({ myASN: 64500, peerASN: 64501, port: 179, holdTimeMs: undefined, keepaliveTimeMs: undefined, password: undefined, passwordSource: 'none', ebgpMultiHop: false });
    expect(peerCfg.address!.toString()).toBe('10.0.0.1');
    const adv = cfg.bgpAdvertisements.get('example')!;
    expect(adv).toMatchObject({ pools: ['first-pool'], aggregationLength: 32, aggregationLengthV6: 128, localPref: undefined, communities: [], peers: [], allNodes: true });
    expect(cfg.pools.get('first-pool')!.bgpAdvertisements).toEqual(['example']);
  });

  it('the three fixtures together are one valid configuration', () => {
    const cfg = valid([...read('ipaddresspool.yaml'), ...read('l2advertisement.yaml'), ...read('bgp.yaml').filter((o: any) => o.kind !== 'IPAddressPool')]);
    expect([...cfg.pools.keys()]).toEqual(['first-pool']);
  });
});

describe('the samples', () => {
  for (const bgpType of ['native', 'frr', 'frr-k8s'] as const) {
    it(`are one valid configuration in ${bgpType} mode`, () => {
      valid(samples(), { bgpType });
    });
  }

  it('resolve passwords, timers, communities and v1beta1 peers', () => {
    const cfg = valid(samples());
    const tor = cfg.peers.get('tor-a')!;
    expect(tor).toMatchObject({ password: 's3cret', passwordSource: 'secret', holdTimeMs: 90_000, keepaliveTimeMs: 30_000, connectTimeMs: 10_000, ebgpMultiHop: true });
    expect(tor.sourceAddress!.toString()).toBe('203.0.113.2');
    const legacy = cfg.peers.get('legacy')!;
    expect(legacy).toMatchObject({ port: 179, holdTimeMs: 30_000, keepaliveTimeMs: 10_000 });
    expect(legacy.nodeSelectors.map(formatLabelSelector)).toEqual(['rack=r2']);
    expect(cfg.peers.get('tor-v6')!.address!.toString()).toBe('2001:db8::1');
    const adv = cfg.bgpAdvertisements.get('team-a-aggregated')!;
    expect(adv.communities.map(formatCommunity)).toEqual(['64512:100', '65535:65282', 'large:64512:7:7']);
    expect(cfg.communities.get('big-tag')).toEqual({ kind: 'large', global: 64511, local1: 1, local2: 2 });
    expect(cfg.warnings.map((w) => w.message)).toContain('metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2');
  });

  it('attach advertisements to pools by name and by label selector', () => {
    const cfg = valid(samples());
    expect(cfg.pools.get('production')!.l2Advertisements).toEqual(['production-l2']);
    expect(cfg.pools.get('production')!.bgpAdvertisements).toEqual(['production-web']);
    expect(cfg.pools.get('team-a')!.bgpAdvertisements).toEqual(['team-a-aggregated']);
  });
});

describe('field semantics', () => {
  it('masks host bits of CIDRs and keeps entries in written order', () => {
    const cfg = valid([pool('p', { addresses: ['10.20.30.40/24', '2001:db8::5/126'] })]);
    expect(cfg.pools.get('p')!.cidrs.map(String)).toEqual(['10.20.30.0/24', '2001:db8::4/126']);
  });

  it('serviceAllocation: namespaces plus namespaces matched by selectors', () => {
    const cfg = valid([
      namespace('a', { team: 'x' }),
      namespace('b', { team: 'y' }),
      namespace('c', { team: 'x' }),
      pool('p', { addresses: ['198.51.100.0/24'], serviceAllocation: { priority: 5, namespaces: ['z'], namespaceSelectors: [{ matchLabels: { team: 'x' } }] } }),
    ]);
    const sa = cfg.pools.get('p')!.serviceAllocation!;
    expect(sa.priority).toBe(5);
    expect([...sa.namespaces].sort()).toEqual(['a', 'c', 'z']);
    expect(sa.serviceSelectors).toEqual([]);
  });

  it('serviceAllocation with nothing in it pins the pool for every service', () => {
    const cfg = valid([pool('p', { addresses: ['198.51.100.0/24'], serviceAllocation: {} })]);
    expect(cfg.pools.get('p')!.serviceAllocation).toMatchObject({ priority: 0, namespaceSelectors: [], serviceSelectors: [] });
    expect(allocationAllows(cfg.pools.get('p')!.serviceAllocation, { namespace: 'any', name: 's', labels: { x: 'y' } })).toBe(true);
  });

  it('namespaceSelectors matching nothing leave the pool with an empty block (explicit requests only)', () => {
    const cfg = valid([pool('p', { addresses: ['198.51.100.0/24'], serviceAllocation: { namespaceSelectors: [{ matchLabels: { team: 'none' } }] } })]);
    const sa = cfg.pools.get('p')!.serviceAllocation!;
    expect(sa.namespaces.size).toBe(0);
    expect(sa.serviceSelectors).toEqual([]);
  });

  it('timers: only hold → keepalive hold/3; only keepalive → hold 3×; 0s hold is allowed', () => {
    expect(valid([peer('p', { holdTime: '90s' })]).peers.get('p')).toMatchObject({ holdTimeMs: 90_000, keepaliveTimeMs: 30_000 });
    expect(valid([peer('p', { keepaliveTime: '20s' })]).peers.get('p')).toMatchObject({ holdTimeMs: 60_000, keepaliveTimeMs: 20_000 });
    expect(valid([peer('p', { holdTime: '0s' })]).peers.get('p')).toMatchObject({ holdTimeMs: 0, keepaliveTimeMs: 0 });
    expect(valid([peer('p', { holdTime: '3500ms' })]).peers.get('p')).toMatchObject({ holdTimeMs: 3000 });
  });

  it('v1beta1 peers without timers keep them unset (quirk 19 not replicated) and port 0 means 179', () => {
    expect(valid([peerV1('p', { peerPort: 0 })]).peers.get('p')).toMatchObject({ holdTimeMs: undefined, keepaliveTimeMs: undefined, port: 179 });
  });

  it('accepts what our native speaker supports and MetalLB native rejects (IPv6, dual-stack, large communities, GR)', () => {
    const cfg = valid([
      peer('p', { peerAddress: '2001:db8::1', dualStackAddressFamily: true, enableGracefulRestart: true, keepaliveTime: '10s', connectTime: '5s', peerASN: undefined, dynamicASN: 'external' }),
      pool('v6', { addresses: ['2001:db8:1::/120'] }),
      bgpAdv('a', { communities: ['large:1:2:3'] }),
    ]);
    expect(cfg.peers.get('p')).toMatchObject({ dualStackAddressFamily: true, enableGracefulRestart: true, dynamicASN: 'external', peerASN: 0 });
  });

  it('disableMP is accepted with a deprecation warning (quirk 21: every other check still runs)', () => {
    const cfg = valid([peer('p', { disableMP: true })]);
    expect(cfg.warnings.map((w) => w.message)).toContain('disableMP is deprecated and ignored');
    expect(issuesOf([peer('p', { disableMP: true, myASN: 0 })]).map((i) => i.field)).toEqual(['spec.myASN']);
  });

  it('deduplicates equivalent L2Advertisements per pool, but never ones with preferences', () => {
    const p = pool('p', { addresses: ['198.51.100.0/24'] });
    const cfg = valid([node('n1', { rack: 'r1' }), p, l2('a'), l2('b'), l2('c', { preferredNodeSelectors: [{ weight: 10, preference: {} }] })]);
    expect(cfg.pools.get('p')!.l2Advertisements).toEqual(['a', 'c']);
    expect(cfg.l2Advertisements.get('c')!.preferredNodeScores).toEqual(new Map([['n1', 10]]));
  });

  it('L2 preferences: score is the sum of matching weights over eligible nodes; zero scores omitted', () => {
    const cfg = valid([
      node('n1', { rack: 'r1', ssd: 'yes' }),
      node('n2', { rack: 'r2' }),
      node('n3', { rack: 'r1', ssd: 'yes', spot: 'true' }),
      pool('p', { addresses: ['198.51.100.0/24'] }),
      l2('a', {
        nodeSelectors: [{ matchExpressions: [{ key: 'spot', operator: 'DoesNotExist' }] }],
        preferredNodeSelectors: [
          { weight: 30, preference: { matchLabels: { rack: 'r1' } } },
          { weight: 5, preference: { matchLabels: { ssd: 'yes' } } },
        ],
      }),
    ]);
    const adv = cfg.l2Advertisements.get('a')!;
    expect([...adv.nodes].sort()).toEqual(['n1', 'n2']);
    expect(adv.preferredNodeScores).toEqual(new Map([['n1', 35]]));
  });

  it('advertisements naming unknown pools attach to nothing (silently, like MetalLB)', () => {
    const cfg = valid([pool('p', { addresses: ['198.51.100.0/24'] }), l2('a', { ipAddressPools: ['nope'] })]);
    expect(cfg.l2Advertisements.get('a')!.pools).toEqual([]);
    expect(cfg.pools.get('p')!.l2Advertisements).toEqual([]);
  });

  it('LOCAL_PREF: no conflict when no node is known, or with serviceSelectors (checked at announce time)', () => {
    const p = pool('p', { addresses: ['198.51.100.0/24'] });
    expect(issuesOf([p, bgpAdv('a', { localPref: 1 }), bgpAdv('b', { localPref: 2 })])).toEqual([]);
    expect(issuesOf([node('n'), p, bgpAdv('a', { localPref: 1 }), bgpAdv('b', { localPref: 2, serviceSelectors: [{ matchLabels: { a: 'b' } }] })])).toEqual([]);
  });

  it('LOCAL_PREF unset is undefined, distinct from an explicit 0; the A6 conflict rule still compares unset as 0 (MetalLB)', () => {
    const p = pool('p', { addresses: ['198.51.100.0/24'] });
    const cfg = valid([node('n'), p, bgpAdv('unset'), bgpAdv('zero', { localPref: 0 })]);
    expect(cfg.bgpAdvertisements.get('unset')!.localPref).toBeUndefined();
    expect(cfg.bgpAdvertisements.get('zero')!.localPref).toBe(0);
    expect(issuesOf([node('n'), p, bgpAdv('unset'), bgpAdv('two', { localPref: 2 })]).map((i) => i.rule)).toEqual([RULES.advLocalPrefConflict]);
  });

  it('speaker view: peers and BGP advertisements of other nodes are dropped before validation', () => {
    const objs = [node('n1', { rack: 'r1' }), node('n2', { rack: 'r2' }), peer('a', { nodeSelectors: [{ matchLabels: { rack: 'r1' } }] }), peer('b', { nodeSelectors: [{ matchLabels: { rack: 'r2' } }], myASN: 0 })];
    expect([...valid(objs, { node: 'n1' }).peers.keys()]).toEqual(['a']);
    expect(issuesOf(objs, { node: 'n2' }).map((i) => i.object.name)).toEqual(['b']);
    const r = buildConfig(objs, { node: 'n9' });
    expect(r).toBeInstanceOf(ConfigErrors);
    expect((r as ConfigErrors).transient).toBe(true);
  });
});

describe('errors', () => {
  it('name the object, the field and what to change; transient vs invalid is explicit', () => {
    const r = buildConfig([peer('p', { passwordSecret: { name: 'missing' } })]) as ConfigErrors;
    expect(r.transient).toBe(true);
    expect(r.invalid).toEqual([]);
    expect(r.message).toBe(
      'configuration error: BGPPeer metallb-system/p spec.passwordSecret.name: secret metallb-system/missing not found; create the Secret missing (type kubernetes.io/basic-auth, key "password") in metallb-system (transient)',
    );
    const mixed = buildConfig([peer('p', { passwordSecret: { name: 'missing' } }), pool('x', { addresses: ['10.0.0.1/33'] })]) as ConfigErrors;
    expect(mixed.transient).toBe(false);
    expect(mixed.invalid.map((i) => i.rule)).toEqual([RULES.poolBadCidr]);
    expect(mixed.summary().split('\n')).toHaveLength(2);
  });

  it('collect every problem in a deterministic order, whatever the input order', () => {
    const objs = [pool('b', { addresses: ['10.0.0.0/33'] }), pool('a', { addresses: [] }), peer('z', { myASN: 0 }), l2('c', { ipAddressPools: ['x', 'x'] })];
    const expected = issuesOf(objs);
    expect(expected.length).toBe(4);
    fc.assert(
      fc.property(fc.shuffledSubarray(objs, { minLength: objs.length, maxLength: objs.length }), (shuffled) => {
        expect(issuesOf(shuffled)).toEqual(expected);
      }),
      { numRuns: 30 },
    );
  });

  it('never modify their inputs (validation is separate from applying)', () => {
    const objs = samples().map((o) => structuredClone(o));
    const before = JSON.stringify(objs);
    valid(objs);
    issuesOf([...objs, pool('bad', { addresses: ['x'] })]);
    expect(JSON.stringify(objs)).toBe(before);
  });

  it('a config built twice from the same objects is equal', () => {
    const a = valid(samples());
    const b = valid(samples());
    expect(b).toEqual(a);
  });

  it('peer passwords from data (base64) and stringData both work', () => {
    const s = { ...secret('s', 'kubernetes.io/basic-auth', {}), stringData: { password: 'plain' } };
    expect(valid([peer('p', { passwordSecret: { name: 's' } }), s]).peers.get('p')!.password).toBe('plain');
  });
});

describe('comparing configurations', () => {
  it('configsEqual: same objects in another order are equal; one changed field is not', () => {
    const objs = samples();
    const a = valid(objs);
    const b = valid([...objs].reverse());
    expect(configsEqual(a, b)).toBe(true);
    const changed = objs.map((o: any) => (o.kind === 'IPAddressPool' && o.metadata.name === 'team-a' ? { ...o, spec: { ...o.spec, autoAssign: true } } : o));
    expect(configsEqual(a, valid(changed))).toBe(false);
  });
  it('configToJSON gives plain JSON with addresses as text', () => {
    const j = configToJSON(valid(read('bgp.yaml'))) as any;
    expect(j.pools['first-pool'].cidrs[0]).toBe('10.0.0.101/32');
    expect(j.peers.sample.address).toBe('10.0.0.1');
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('objects as the API server returns them', () => {
  it('metadata extras and a (even malformed) status do not affect validation', () => {
    const p = {
      ...pool('p', { addresses: ['198.51.100.0/24'] }),
      metadata: { name: 'p', namespace: 'metallb-system', uid: 'u', resourceVersion: '7', generation: 2, managedFields: [{ manager: 'kubectl' }], annotations: { a: 'b' } },
      status: { assignedIPv4: 'lots' },
    };
    expect(issuesOf([p])).toEqual([]);
  });
});
