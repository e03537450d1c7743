/** Unit tests of the building blocks: selectors, communities, durations, manifests, resolution. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocationAllows,
  compileSelectors,
  communityEquals,
  compareCommunities,
  formatCommunity,
  formatDuration,
  isCommunityError,
  parseAddressEntry,
  parseCommunity,
  parseDuration,
  parseManifests,
  peersForNode,
  resolveNamespaceSelectors,
  resolveNodeSelectors,
  resolveServiceSelectors,
  resolveTimers,
  sortCommunities,
  type BgpCommunity,
  type LabelSelector,
} from './index.js';
import { EVERYTHING, formatLabelSelector, selectorMatches } from '@metallb-ts/labels';
import { bgpAdv, issuesOf, node, peer, pool, valid } from '../test/fixtures.js';

/** One selector through config's validation (compileSelectors throws on invalid ones). */
const S = (x: unknown): LabelSelector => compileSelectors([x])[0]!;
const poolWith = (serviceSelectors: unknown[]) => pool('p', { addresses: ['198.51.100.0/24'], serviceAllocation: { serviceSelectors } });

describe('label selectors (validated by config, matched by @metallb-ts/labels)', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each([
    ['{} matches everything', {}, true],
    ['matchLabels hit', { matchLabels: { app: 'web' } }, true],
    ['matchLabels miss', { matchLabels: { app: 'db' } }, false],
    ['matchLabels AND', { matchLabels: { app: 'web', tier: 'back' } }, false],
    ['In', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'web'] }] }, true],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false],
    ['NotIn on a missing key matches', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['labels AND expressions', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
  ] as const)('%s', (_name, sel, expected) => {
    expect(selectorMatches(S(sel as never), labels)).toBe(expected);
  });

  it('semantic duplicates share a key: matchLabels a=b equals expression a In (b); value order does not matter', () => {
    expect(formatLabelSelector(S({ matchLabels: { a: 'b' } }))).toBe(formatLabelSelector(S({ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] })));
    expect(formatLabelSelector(S({ matchExpressions: [{ key: 'a', operator: 'In', values: ['y', 'x'] }] }))).toBe(formatLabelSelector(S({ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'y'] }] })));
    expect(formatLabelSelector(EVERYTHING)).toBe('');
    expect(formatLabelSelector(S({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }))).toBe('a=b,!c');
    expect(issuesOf([poolWith([{ matchLabels: { a: 'b' } }, { matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }])]).map((i) => [i.rule, i.field])).toEqual([
      ['duplicate-entry', 'spec.serviceAllocation.serviceSelectors[1]'],
    ]);
  });

  it('reports every problem with its path', () => {
    const issues = issuesOf([poolWith([{ matchLabels: { 'a/b/c': 'x' }, matchExpressions: [{ key: 'a', operator: 'In', values: [] }, { key: 'b', operator: 'Exists', values: ['x'] }] }])]);
    expect(issues.map((i) => [i.rule, i.field])).toEqual([
      ['bad-selector', 'spec.serviceAllocation.serviceSelectors[0].matchLabels[a/b/c]'],
      ['bad-selector', 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].values'],
      ['bad-selector', 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[1].values'],
    ]);
    expect(issuesOf([poolWith([{ matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'x'] }, { key: 'a', operator: 'In', values: ['x'] }, { key: 'a', operator: 'In', values: ['x'] }] }])]).map((i) => i.field)).toEqual([
      'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].values',
      'spec.serviceAllocation.serviceSelectors[0].matchExpressions[1]',
      'spec.serviceAllocation.serviceSelectors[0].matchExpressions[2]',
    ]);
  });

  it('accepts prefixed keys and rejects over-long names', () => {
    expect(() => S({ matchLabels: { 'node-role.kubernetes.io/control-plane': '' } })).not.toThrow();
    expect(() => S({ matchLabels: { ['a'.repeat(64)]: 'x' } })).toThrow(/longer than 63/);
  });

  it('matching agrees with a direct reading of the semantics (property)', () => {
    const key = fc.constantFrom('a', 'b', 'c');
    const val = fc.constantFrom('x', 'y', 'z');
    fc.assert(
      fc.property(fc.dictionary(key, val), fc.dictionary(key, val), (labels, want) => {
        const sel = S({ matchLabels: want });
        expect(selectorMatches(sel, labels)).toBe(Object.entries(want).every(([k, v]) => labels[k] === v));
      }),
    );
  });
});

describe('communities', () => {
  it.each([
    ['1234:5678', 'standard'],
    ['0:0', 'standard'],
    ['65535:65535', 'standard'],
    ['00001:2', 'standard'],
    ['large:4294967295:0:1', 'large'],
  ])('%s parses as %s', (text, kind) => {
    const c = parseCommunity(text);
    expect(c.kind).toBe(kind);
  });
  it.each([
    ['99999999:1', 'value'],
    ['65536:1', 'value'],
    ['a:b', 'value'],
    ['-1:2', 'value'],
    ['1:', 'value'],
    ['large:1:2:4294967296', 'value'],
    ['large:1:x:3', 'value'],
    ['1234', 'format'],
    ['1:2:3', 'format'],
    ['a:b:c:d:e', 'format'],
    // Regression (issue 14 §5): an unknown marker is a value error, as in MetalLB, never an alias.
    ['big:1:2:3', 'value'],
    ['larg:1:2:3', 'value'],
    ['no-export', 'format'],
  ])('%s is a %s error', (text, kind) => {
    const c = parseCommunity(text);
    expect(isCommunityError(c) && c.kind).toBe(kind);
  });
  it('orders as MetalLB: standard by value first, then large numerically by global admin, data 1, data 2 — not as text', () => {
    // Regression (issue 14 §5): text order would put large:10:… before large:9:… and 10:… before 9:….
    const texts = ['large:10:1:1', 'large:9:1:1', 'large:10:1:2', 'large:10:0:9', '65535:1', '9:2', '10:1', 'large:9:1:1'];
    const sorted = sortCommunities(texts.map((t) => parseCommunity(t) as BgpCommunity));
    expect(sorted.map(formatCommunity)).toEqual(['9:2', '10:1', '65535:1', 'large:9:1:1', 'large:10:0:9', 'large:10:1:1', 'large:10:1:2']);
    const large = fc.tuple(fc.nat(4294967295), fc.nat(4294967295), fc.nat(4294967295)).map(([g, a, b]) => ({ kind: 'large' as const, global: g, local1: a, local2: b }));
    fc.assert(
      fc.property(large, large, (x, y) => {
        const want = x.global - y.global || x.local1 - y.local1 || x.local2 - y.local2;
        expect(Math.sign(compareCommunities(x, y))).toBe(Math.sign(want));
      }),
    );
    const cfg = valid([pool('p', { addresses: ['198.51.100.0/24'] }), bgpAdv('a', { communities: ['large:10:1:1', 'large:9:1:1', '65535:1', '9:2'] })]);
    expect(cfg.bgpAdvertisements.get('a')!.communities.map(formatCommunity)).toEqual(['9:2', '65535:1', 'large:9:1:1', 'large:10:1:1']);
  });
  it('formats canonically and round-trips (property)', () => {
    expect(formatCommunity(parseCommunity('00001:02') as never)).toBe('1:2');
    fc.assert(
      fc.property(fc.oneof(
        fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })).map(([a, b]) => `${a}:${b}`),
        fc.tuple(fc.nat(4294967295), fc.nat(4294967295), fc.nat(4294967295)).map(([a, b, c]) => `large:${a}:${b}:${c}`),
      ), (text) => {
        const c = parseCommunity(text);
        expect(isCommunityError(c)).toBe(false);
        expect(formatCommunity(c as never)).toBe(text);
        expect(communityEquals(c as never, parseCommunity(formatCommunity(c as never)) as never)).toBe(true);
      }),
    );
  });
  it('never throws on arbitrary text (property)', () => {
    fc.assert(fc.property(fc.string(), (t) => { parseCommunity(t); }));
  });
});

describe('durations', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['1500us', 1.5],
    ['2h45m', 9_900_000],
  ])('%s = %d ms', (t, ms) => expect(parseDuration(t)).toBe(ms));
  it.each(['', '90', 's', '-1s', '+1s', '1x', '1s2', '.s', '1..2s'])('%j is refused', (t) => expect(parseDuration(t)).toBeUndefined());
  it('formats whole seconds like Go', () => {
    expect([0, 3000, 90_000, 3_600_000, 3_661_000, 1500].map(formatDuration)).toEqual(['0s', '3s', '1m30s', '1h0m0s', '1h1m1s', '1500ms']);
  });
  it('resolveTimers follows MetalLB', () => {
    expect(resolveTimers(undefined, undefined)).toEqual({ holdTimeMs: undefined, keepaliveTimeMs: undefined });
    expect(resolveTimers(9000, undefined)).toEqual({ holdTimeMs: 9000, keepaliveTimeMs: 3000 });
    expect(resolveTimers(undefined, 1000)).toEqual({ holdTimeMs: 3000, keepaliveTimeMs: 1000 });
    expect(resolveTimers(2000, undefined)).toMatchObject({ field: 'spec.holdTime' });
    expect(resolveTimers(9000, 9001)).toMatchObject({ field: 'spec.keepaliveTime' });
  });
});

describe('address entries', () => {
  it.each([
    ['198.51.100.0/24', 'cidr', ['198.51.100.0/24']],
    ['198.51.100.77/24', 'cidr', ['198.51.100.0/24']],
    ['198.51.100.1/32', 'cidr', ['198.51.100.1/32']],
    ['198.51.100.1-198.51.100.6', 'range', ['198.51.100.1/32', '198.51.100.2/31', '198.51.100.4/31', '198.51.100.6/32']],
    [' 198.51.100.5 -  198.51.100.5 ', 'range', ['198.51.100.5/32']],
    ['2001:db8::-2001:db8::ff', 'range', ['2001:db8::/120']],
  ])('%j → %s %j', (text, form, cidrs) => {
    const r = parseAddressEntry(text);
    expect('error' in r).toBe(false);
    if (!('error' in r)) {
      expect(r.form).toBe(form);
      expect(r.cidrs.map(String)).toEqual(cidrs);
    }
  });
  it.each(['10.0.0.1/33', '::1/129', '10.0.0.1', '010.0.0.1/8', '10.0.0.0/8 ', '10.0.0.9-10.0.0.1', '10.0.0.1-::1', '-', 'fe80::1%eth0/64'])('%j is refused with a reason', (text) => {
    const r = parseAddressEntry(text);
    expect('error' in r && r.error).toContain(text.trim() === text ? text : '');
  });
});

describe('manifests', () => {
  it('reads multi-document YAML, skips empty documents, expands Lists', () => {
    const r = parseManifests('---\na: 1\n---\n---\nkind: List\nitems:\n- b: 2\n- c: 3\n');
    expect(r).toEqual({ objects: [{ a: 1 }, { b: 2 }, { c: 3 }], errors: [] });
  });
  it('reports a broken document with its index and line, and keeps the others', () => {
    const r = parseManifests('a: 1\n---\nb: [1,\n---\nc: 3\n');
    expect(r.objects).toEqual([{ a: 1 }, { c: 3 }]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.document).toBe(1);
  });
  it('refuses duplicate keys and non-text', () => {
    expect(parseManifests('a: 1\na: 2\n').errors).toHaveLength(1);
    expect(parseManifests(42 as never).errors).toHaveLength(1);
  });
  it('reads JSON', () => {
    expect(parseManifests('{"kind":"IPAddressPool","spec":{"addresses":["10.0.0.0/8"]}}').objects).toEqual([{ kind: 'IPAddressPool', spec: { addresses: ['10.0.0.0/8'] } }]);
  });
});

describe('resolution helpers', () => {
  const nodes = [{ name: 'n1', labels: { rack: 'r1' } }, { name: 'n2', labels: { rack: 'r2' } }, { name: 'n3' }];
  it('node selectors: empty list = all nodes; any selector matches', () => {
    expect([...resolveNodeSelectors([], nodes)]).toEqual(['n1', 'n2', 'n3']);
    expect([...resolveNodeSelectors(compileSelectors([{ matchLabels: { rack: 'r1' } }, { matchLabels: { rack: 'r2' } }]), nodes)]).toEqual(['n1', 'n2']);
  });
  it('namespace selectors: empty list adds no namespace', () => {
    expect([...resolveNamespaceSelectors([], nodes)]).toEqual([]);
    expect([...resolveNamespaceSelectors([EVERYTHING], nodes)]).toEqual(['n1', 'n2', 'n3']);
  });
  it('service selectors give namespace/name keys', () => {
    const svcs = [{ namespace: 'a', name: 'web', labels: { app: 'web' } }, { namespace: 'b', name: 'db', labels: { app: 'db' } }];
    expect([...resolveServiceSelectors(compileSelectors([{ matchLabels: { app: 'web' } }]), svcs)]).toEqual(['a/web']);
  });
  it('compileSelectors throws on invalid selectors (trusted input only)', () => {
    expect(() => compileSelectors([{ matchExpressions: [{ key: 'a', operator: 'In' }] }])).toThrow(/needs at least one value/);
  });
  it('allocationAllows: namespace set and service selectors must both hold', () => {
    const sa = { priority: 0, namespaces: new Set(['a']), namespaceSelectors: [], serviceSelectors: compileSelectors([{ matchLabels: { app: 'web' } }]) };
    expect(allocationAllows(undefined, { namespace: 'x', name: 's' })).toBe(true);
    expect(allocationAllows(sa, { namespace: 'a', name: 's', labels: { app: 'web' } })).toBe(true);
    expect(allocationAllows(sa, { namespace: 'b', name: 's', labels: { app: 'web' } })).toBe(false);
    expect(allocationAllows(sa, { namespace: 'a', name: 's', labels: { app: 'db' } })).toBe(false);
    expect(allocationAllows({ ...sa, namespaces: new Set(), serviceSelectors: [EVERYTHING] }, { namespace: 'z', name: 's' })).toBe(true);
    expect(allocationAllows({ ...sa, namespaces: new Set(), serviceSelectors: [] }, { namespace: 'z', name: 's' })).toBe(true);
  });
  it('peersForNode keeps peers whose selectors admit the node', () => {
    const cfg = valid([node('n1', { rack: 'r1' }), peer('a'), peer('b', { peerAddress: '198.51.100.2', nodeSelectors: [{ matchLabels: { rack: 'r2' } }] })]);
    expect(peersForNode(cfg.peers.values(), { name: 'n1', labels: { rack: 'r1' } }).map((p) => p.name)).toEqual(['a']);
  });
});

describe('L2 deduplication key', () => {
  it('is equal exactly when l2Equivalent holds (property over small variations)', async () => {
    const { l2DedupKey, l2Equivalent } = await import('./index.js');
    const { l2 } = await import('../test/fixtures.js');
    const spec = fc.record({
      interfaces: fc.subarray(['eth0', 'eth1']),
      nodeSelectors: fc.subarray([{ matchLabels: { rack: 'r1' } }]),
      serviceSelectors: fc.subarray([{ matchLabels: { app: 'a' } }, { matchLabels: { app: 'b' } }]),
      preferredNodeSelectors: fc.subarray([{ weight: 5, preference: {} }]),
    });
    fc.assert(
      fc.property(spec, spec, (s1, s2) => {
        const cfg = valid([node('n1', { rack: 'r1' }), node('n2'), l2('a', s1), l2('b', s2)]);
        const a = cfg.l2Advertisements.get('a')!;
        const b = cfg.l2Advertisements.get('b')!;
        const k1 = l2DedupKey(a);
        const k2 = l2DedupKey(b);
        expect(k1 !== undefined && k1 === k2).toBe(l2Equivalent(a, b));
      }),
      { numRuns: 200 },
    );
  });
});
