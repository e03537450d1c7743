import fc from 'fast-check';
import { legacyAnnotations, serviceKey, servesClass, statusIPs } from '@metallb-ts/app-runtime';
import { Allocator, type PoolSpec } from '@metallb-ts/ipam';
import { describe, expect, it } from 'vitest';
import { reconcileService, reprocessOrder, requestFor, restoreFromStatus, type CoreState } from './core.js';
import { intern, slim, slimService, type Svc } from './transforms.js';

describe('informer transforms', () => {
  it('slimService keeps exactly what MetalLB reads', () => {
    const full = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        namespace: 'default',
        uid: 'u',
        resourceVersion: '5',
        creationTimestamp: '2026-01-01T00:00:00Z',
        labels: { app: 'web' },
        annotations: { 'metallb.io/address-pool': 'p', 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}' },
        managedFields: [{ manager: 'kubectl' }],
        generation: 3,
      },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.1',
        clusterIPs: ['10.96.0.1'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        externalTrafficPolicy: 'Local',
        selector: { app: 'web' },
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
        sessionAffinity: 'None',
      },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.1', ipMode: 'VIP', ports: [] }] }, conditions: [] },
    } as unknown as Svc;
    expect(slimService(full)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '5', creationTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'web' }, annotations: { 'metallb.io/address-pool': 'p' } },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.1',
        clusterIPs: ['10.96.0.1'],
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        externalTrafficPolicy: 'Local',
        selector: { app: 'web' },
        ports: [{ protocol: 'TCP', port: 80 }],
      },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } },
    });
    expect(full.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined(); // input untouched
  });
  it('keeps only MetalLB annotations (new, legacy, ours) and deletionTimestamp', () => {
    const full = {
      metadata: {
        name: 'a',
        namespace: 'd',
        deletionTimestamp: '2026-01-01T00:00:00Z',
        annotations: { 'metallb.io/loadBalancerIPs': '198.51.100.7', 'metallb.universe.tf/allow-shared-ip': 'k', 'metallb-ts.io/allocation-failure': '{}', 'helm.sh/chart': 'x', 'example.com/huge': 'y'.repeat(10_000) },
      },
    } as unknown as Svc;
    const s = slimService(full);
    expect(s.metadata.annotations).toEqual({ 'metallb.io/loadBalancerIPs': '198.51.100.7', 'metallb.universe.tf/allow-shared-ip': 'k', 'metallb-ts.io/allocation-failure': '{}' });
    expect(s.metadata.deletionTimestamp).toBe('2026-01-01T00:00:00Z');
    expect(legacyAnnotations(s)).toEqual(legacyAnnotations(full));
    expect(slimService({ metadata: { name: 'b', annotations: { 'other/x': '1' } } } as unknown as Svc).metadata.annotations).toBeUndefined();
  });
  it('shares repeated values between Services, frozen so no caller can change another Service through them', () => {
    const mk = (name: string) =>
      slimService({
        metadata: { name, namespace: 'metallb-test-namespace' },
        spec: { type: 'LoadBalancer', ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'RequireDualStack', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10', 'fd00::a'], ports: [{ name: 'h', protocol: 'TCP', port: 80, targetPort: 1 }] },
      } as unknown as Svc);
    const [a, b] = [mk('a'), mk('b')];
    expect(a.spec!.ports).toBe(b.spec!.ports);
    expect(a.spec!.ipFamilies).toBe(b.spec!.ipFamilies);
    expect(a.spec!.ports).toEqual([{ protocol: 'TCP', port: 80 }]);
    expect(() => (a.spec!.ports as unknown[]).push({})).toThrow(TypeError);
    expect(() => ((a.spec!.ports![0] as { port: number }).port = 81)).toThrow(TypeError);
    expect(a.spec!.clusterIPs).toEqual(['10.96.0.10', 'fd00::a']);
    expect(a.spec!.clusterIPs).not.toBe(b.spec!.clusterIPs);
    // Different content, different list.
    const c = slimService({ metadata: { name: 'c' }, spec: { ports: [{ protocol: 'UDP', port: 80 }] } } as unknown as Svc);
    expect(c.spec!.ports).toEqual([{ protocol: 'UDP', port: 80 }]);
    expect(intern('LoadBalancer')).toBe('LoadBalancer');
  });
  it('a Service without status or spec stays without them', () => {
    expect(slimService({ metadata: { name: 'x', namespace: 'd' } } as Svc)).toEqual({ apiVersion: undefined, kind: undefined, metadata: { name: 'x', namespace: 'd' }, spec: {} });
  });
  it('slim drops managedFields and the last-applied annotation, nothing else', () => {
    const o = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', managedFields: [{}], annotations: { a: '1', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }, data: { k: 'dg==' } };
    expect(slim(o)).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', annotations: { a: '1' } }, data: { k: 'dg==' } });
    const plain = { metadata: { name: 'n', labels: { x: 'y' } } };
    expect(slim(plain)).toEqual(plain);
  });
});

/** Every field the controller reads, with values from small pools so that they collide (sharing, contested IPs), plus noise it must ignore. */
const arbService = fc
  .record({
    name: fc.constantFrom('a', 'b', 'c', 'd'),
    namespace: fc.constantFrom('default', 'team-a', undefined),
    uid: fc.constantFrom('u1', 'u2'),
    created: fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', undefined),
    labels: fc.option(fc.dictionary(fc.constantFrom('app', 'tier', 'pool'), fc.constantFrom('web', 'db', 'x')), { nil: undefined }),
    annotations: fc.dictionary(
      fc.constantFrom('metallb.io/loadBalancerIPs', 'metallb.universe.tf/loadBalancerIPs', 'metallb.io/address-pool', 'metallb.universe.tf/address-pool', 'metallb.io/allow-shared-ip', 'metallb.io/ip-allocated-from-pool', 'metallb-ts.io/allocation-failure', 'kubectl.kubernetes.io/last-applied-configuration', 'example.com/other'),
      fc.constantFrom('198.51.100.1', '198.51.100.1,2001:db8::1', 'p4', 'p6', 'shared', '', 'junk', '{}'),
    ),
    type: fc.constantFrom('LoadBalancer', 'ClusterIP', undefined),
    family: fc.constantFrom('v4', 'v6', 'dual', 'none'),
    ipFamilyPolicy: fc.constantFrom('SingleStack', 'PreferDualStack', 'RequireDualStack', undefined),
    loadBalancerIP: fc.constantFrom('198.51.100.2', undefined),
    loadBalancerClass: fc.constantFrom('metallb', 'other', undefined),
    externalTrafficPolicy: fc.constantFrom('Cluster', 'Local', undefined),
    selector: fc.option(fc.dictionary(fc.constantFrom('app'), fc.constantFrom('web', 'db')), { nil: undefined }),
    ports: fc.array(fc.record({ protocol: fc.constantFrom('TCP', 'UDP', 'tcp', undefined), port: fc.constantFrom(80, 443), name: fc.constantFrom('h', 'x') }), { maxLength: 2 }),
    ingress: fc.array(fc.record({ ip: fc.constantFrom('198.51.100.1', '198.51.100.3', '2001:db8::1', undefined), hostname: fc.constantFrom('lb.example', undefined) }), { maxLength: 2 }),
  })
  .map((r) => {
    const clusterIPs = { v4: ['10.96.0.1'], v6: ['fd00::1'], dual: ['10.96.0.1', 'fd00::1'], none: undefined }[r.family];
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: r.name, namespace: r.namespace, uid: r.uid, resourceVersion: '7', creationTimestamp: r.created, labels: r.labels, annotations: r.annotations, managedFields: [{ manager: 'kubectl' }], generation: 2 },
      spec: {
        type: r.type,
        clusterIP: clusterIPs?.[0],
        clusterIPs,
        ipFamilies: clusterIPs ? (r.family === 'v6' ? ['IPv6'] : r.family === 'dual' ? ['IPv4', 'IPv6'] : ['IPv4']) : undefined,
        ipFamilyPolicy: r.ipFamilyPolicy,
        loadBalancerIP: r.loadBalancerIP,
        loadBalancerClass: r.loadBalancerClass,
        externalTrafficPolicy: r.externalTrafficPolicy,
        selector: r.selector,
        ports: r.ports.map((p) => ({ ...p, targetPort: 8080, nodePort: 30000 })),
        sessionAffinity: 'None',
      },
      status: { loadBalancer: { ingress: r.ingress }, conditions: [] },
    } as unknown as Svc;
  });

const POOLS: PoolSpec[] = [
  { name: 'p4', addresses: ['198.51.100.0/29'] },
  { name: 'p6', addresses: ['2001:db8::/125'] },
  { name: 'team', addresses: ['203.0.113.0/30'], serviceAllocation: { priority: 1, namespaces: ['team-a'], serviceSelectors: [{ matchLabels: { tier: 'db' } }] } },
];
function fresh(): CoreState {
  const allocator = new Allocator();
  const r = allocator.setPools(POOLS);
  if (!r.ok) throw new Error(r.message);
  return { allocator, pools: POOLS };
}
/** What the controller derives from a Service, to compare a full object with its slim form. */
function readings(s: Svc) {
  return { key: serviceKey(s), serves: [servesClass(s, ''), servesClass(s, 'metallb')], ips: statusIPs(s), request: requestFor(s), legacy: legacyAnnotations(s) };
}

describe('slimService drops nothing the controller uses (property)', () => {
  it('every reading, the start-up restore and every reconcile decision are the same on the full and on the slim objects', () => {
    fc.assert(
      fc.property(fc.array(arbService, { minLength: 1, maxLength: 6 }), (full) => {
        const slimmed = full.map((s) => slimService(s));
        for (let i = 0; i < full.length; i++) expect(readings(slimmed[i]!)).toEqual(readings(full[i]!));
        expect(reprocessOrder(slimmed).map(serviceKey)).toEqual(reprocessOrder(full).map(serviceKey));
        const [a, b] = [fresh(), fresh()];
        expect(restoreFromStatus(b, slimmed, (s) => servesClass(s, ''))).toEqual(restoreFromStatus(a, full, (s) => servesClass(s, '')));
        for (let i = 0; i < full.length; i++) expect(reconcileService(b, slimmed[i]!)).toEqual(reconcileService(a, full[i]!));
        expect(b.allocator.snapshot()).toEqual(a.allocator.snapshot());
      }),
      { numRuns: 300, seed: 20 },
    );
  });
});
