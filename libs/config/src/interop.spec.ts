/**
 * libs/config's validated selectors are ipam's and election's inputs as they are: one
 * `LabelSelector` type (`@metallb-ts/labels`), no adapters, no casts. The assignments below are
 * the type-level half of the test; the elections and allocations the run-time half.
 */
import { electL2, resolveNodeSet, type BgpAdvertisementInput, type BgpPeerInput, type L2AdvertisementInput, type PreferredNodeTerm } from '@metallb-ts/election';
import { Allocator, type PoolSpec, type ServiceAllocation } from '@metallb-ts/ipam';
import { describe, expect, it } from 'vitest';
import { bgpAdv, l2, node, peer, pool, valid } from '../test/fixtures.js';

describe('validated selectors feed ipam and election unchanged', () => {
  const nodes = [node('n1', { zone: 'a', edge: 'true' }), node('n2', { zone: 'b', edge: 'true' }), node('n3', { zone: 'a' })];
  const cfg = valid([
    ...nodes,
    pool('web', { addresses: ['198.51.100.0/28'], serviceAllocation: { serviceSelectors: [{ matchLabels: { app: 'web' } }] } }),
    l2('l2', { nodeSelectors: [{ matchLabels: { edge: 'true' } }], serviceSelectors: [{ matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }], preferredNodeSelectors: [{ weight: 10, preference: { matchLabels: { zone: 'b' } } }] }),
    bgpAdv('b', { serviceSelectors: [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }] }),
    peer('tor', { nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }] }),
  ]);
  const known = nodes.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels }));

  it('a pool\'s serviceSelectors are an ipam ServiceAllocation', () => {
    const p = cfg.pools.get('web')!;
    const sa: ServiceAllocation = { priority: p.serviceAllocation!.priority, serviceSelectors: p.serviceAllocation!.serviceSelectors };
    const spec: PoolSpec = { name: p.name, addresses: p.entries.map((e) => e.text), serviceAllocation: sa };
    const a = new Allocator();
    a.setPools([spec]);
    const req = (name: string, labels: Record<string, string>) => ({ key: `default/${name}`, namespace: 'default', labels, families: ['IPv4' as const] });
    expect(a.allocate(req('web', { app: 'web' })).ok).toBe(true);
    expect(a.allocate(req('db', { app: 'db' })).ok).toBe(false);
  });

  it('an L2Advertisement\'s selectors and preferences are election inputs', () => {
    const ad = cfg.l2Advertisements.get('l2')!;
    const terms: readonly PreferredNodeTerm[] = ad.preferredNodeSelectors;
    const input: L2AdvertisementInput = { name: ad.name, serviceSelectors: ad.serviceSelectors, preferredNodeSelectors: terms, nodes: [...ad.nodes] };
    const e = electL2({ ips: ['198.51.100.1'], service: { labels: { app: 'web' } }, advertisements: [input], nodes: known, endpoints: [{ nodeName: 'n1', serving: true }] });
    expect(e.kind === 'elected' && e.winner).toBe('n2'); // the only edge node in zone b: preference 10
    expect(electL2({ ips: ['198.51.100.1'], service: { labels: { app: 'db' } }, advertisements: [input], nodes: known, endpoints: [{ nodeName: 'n1', serving: true }] }).kind).toBe('none');
  });

  it('BGPPeers and BGPAdvertisements are election inputs', () => {
    const p: BgpPeerInput = cfg.peers.get('tor')!;
    expect([...resolveNodeSet({ nodeSelectors: p.nodeSelectors }, known)].sort()).toEqual(['n1', 'n2', 'n3']);
    const b = cfg.bgpAdvertisements.get('b')!;
    const input: BgpAdvertisementInput = { name: b.name, serviceSelectors: b.serviceSelectors, peers: b.peers, nodes: [...b.nodes] };
    expect(input.serviceSelectors).toBe(b.serviceSelectors);
  });
});
