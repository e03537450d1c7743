import type { KubeObject } from '@metallb-ts/k8s-watch';
import { describe, expect, it } from 'vitest';
import { CONFIG_RESOURCES, CORE_RESOURCES, METALLB_RESOURCES, stampTypeMeta, typeMetaOf } from './resources.js';

describe('resource table', () => {
  it('metallb.io kinds, versions and plurals', () => {
    expect(typeMetaOf(METALLB_RESOURCES.bgppeers)).toEqual({ apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer' });
    expect(typeMetaOf(METALLB_RESOURCES.servicel2statuses)).toEqual({ apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status' });
    expect(Object.values(CONFIG_RESOURCES).map((r) => r.kind)).toEqual(['IPAddressPool', 'L2Advertisement', 'BGPAdvertisement', 'BGPPeer', 'BFDProfile', 'Community']);
    expect(typeMetaOf(CORE_RESOURCES.services)).toEqual({ apiVersion: 'v1', kind: 'Service' });
    expect(typeMetaOf(CORE_RESOURCES.endpointSlices)).toEqual({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' });
    expect(CORE_RESOURCES.nodes.namespaced).toBe(false);
  });
});

describe('stampTypeMeta (informer transform)', () => {
  it('adds apiVersion and kind to list items that lack them (a real apiserver omits them for built-in kinds)', () => {
    const t = stampTypeMeta<KubeObject>(CORE_RESOURCES.secrets);
    expect(t({ metadata: { name: 's', namespace: 'metallb-system' }, data: {} })).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'metallb-system' }, data: {} });
  });
  it('returns an already-typed object as is, and never mutates its input', () => {
    const t = stampTypeMeta<KubeObject>(METALLB_RESOURCES.ipaddresspools);
    const typed = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p' } };
    expect(t(typed)).toBe(typed);
    const bare = { metadata: { name: 'p' } };
    t(bare);
    expect(bare).toEqual({ metadata: { name: 'p' } });
  });
  it('then applies the next transform', () => {
    const t = stampTypeMeta<KubeObject>(CORE_RESOURCES.namespaces, (o) => ({ ...o, metadata: { name: o.metadata.name } }));
    expect(t({ metadata: { name: 'n', managedFields: [] } })).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
  });
});
