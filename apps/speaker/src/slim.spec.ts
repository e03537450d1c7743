import fc from 'fast-check';
import { servesClass, serviceKey, statusIPs, type ServiceLike } from '@metallb-ts/app-runtime';
import type { KubeObject } from '@metallb-ts/k8s-watch';
import { describe, expect, it } from 'vitest';
import { slimEndpointSlice, slimSpeakerService } from './slim.js';
import { sliceEndpoints, sliceServiceKey, speakerService } from './transforms.js';

type Svc = ServiceLike & KubeObject;

/** Every Service field the speaker reads, from small value pools, plus noise it must ignore. */
const arbService = fc
  .record({
    name: fc.constantFrom('a', 'b'),
    namespace: fc.constantFrom('default', 'team', undefined),
    labels: fc.option(fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('web', 'db')), { nil: undefined }),
    annotations: fc.dictionary(fc.constantFrom('metallb.io/allow-shared-ip', 'metallb.universe.tf/allow-shared-ip', 'metallb.io/address-pool', 'example.com/x', 'kubectl.kubernetes.io/last-applied-configuration'), fc.constantFrom('', 'k', '{}')),
    type: fc.constantFrom('LoadBalancer', 'NodePort', undefined),
    loadBalancerClass: fc.constantFrom('metallb', 'other', undefined),
    externalTrafficPolicy: fc.constantFrom('Local', 'Cluster', undefined),
    ingress: fc.option(fc.array(fc.record({ ip: fc.constantFrom('198.51.100.1', '2001:db8::1', undefined), hostname: fc.constantFrom('h.example', undefined) }), { maxLength: 2 }), { nil: undefined }),
  })
  .map(
    (r) =>
      ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: r.name, namespace: r.namespace, uid: 'u', resourceVersion: '3', creationTimestamp: '2026-01-01T00:00:00Z', labels: r.labels, annotations: r.annotations, managedFields: [{ manager: 'm' }] },
        spec: { type: r.type, loadBalancerClass: r.loadBalancerClass, externalTrafficPolicy: r.externalTrafficPolicy, clusterIPs: ['10.96.0.1'], ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], selector: { app: 'x' } },
        status: r.ingress === undefined ? {} : { loadBalancer: { ingress: r.ingress }, conditions: [] },
      }) as unknown as Svc,
  );

const cond = fc.option(fc.boolean(), { nil: undefined });
const arbSlice = fc
  .record({
    service: fc.constantFrom('a', 'b', undefined),
    namespace: fc.constantFrom('default', 'team'),
    endpoints: fc.option(
      fc.array(fc.record({ addresses: fc.option(fc.array(fc.constantFrom('10.1.0.1', '10.1.0.2'), { maxLength: 2 }), { nil: undefined }), nodeName: fc.constantFrom('n1', 'n2', undefined), ready: cond, serving: cond, terminating: cond }), { maxLength: 3 }),
      { nil: undefined },
    ),
  })
  .map(
    (r) =>
      ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${r.service ?? 'x'}-abc`, namespace: r.namespace, uid: 'u', resourceVersion: '9', labels: { ...(r.service ? { 'kubernetes.io/service-name': r.service } : {}), 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }, managedFields: [{}] },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
        endpoints: r.endpoints?.map((e) => ({ addresses: e.addresses, nodeName: e.nodeName, conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating }, targetRef: { kind: 'Pod', name: 'p' }, zone: 'z' })),
      }) as unknown as KubeObject,
  );

describe('speaker informer transforms drop nothing the speaker reads (property)', () => {
  it('Services: the core input, the class filter, status IPs and the fields Events use are the same', () => {
    fc.assert(
      fc.property(arbService, (full) => {
        const slim = slimSpeakerService(full);
        expect(speakerService(slim, [])).toEqual(speakerService(full, []));
        for (const c of ['', 'metallb']) expect(servesClass(slim, c)).toBe(servesClass(full, c));
        expect(statusIPs(slim)).toEqual(statusIPs(full));
        expect(serviceKey(slim)).toBe(serviceKey(full));
        const id = (s: Svc) => ({ apiVersion: s.apiVersion, kind: s.kind, name: s.metadata.name, namespace: s.metadata.namespace, uid: s.metadata.uid, resourceVersion: s.metadata.resourceVersion });
        expect(id(slim)).toEqual(id(full));
      }),
      { numRuns: 300, seed: 20 },
    );
  });
  it('EndpointSlices: the Service key and the endpoints as the election reads them are the same', () => {
    fc.assert(
      fc.property(arbSlice, (full) => {
        const slim = slimEndpointSlice(full);
        expect(sliceServiceKey(slim)).toBe(sliceServiceKey(full));
        expect(sliceEndpoints(slim)).toEqual(sliceEndpoints(full));
        expect(slim.metadata.resourceVersion).toBe(full.metadata.resourceVersion);
      }),
      { numRuns: 300, seed: 20 },
    );
  });
  it('keeps only MetalLB annotations and drops what the speaker never reads', () => {
    const s = slimSpeakerService({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'a', namespace: 'd', annotations: { 'metallb.io/allow-shared-ip': 'k', 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, managedFields: [{}] },
      spec: { type: 'LoadBalancer', ports: [{ port: 80 }], selector: { a: 'b' } },
    } as unknown as Svc);
    expect(s).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'a', namespace: 'd', annotations: { 'metallb.io/allow-shared-ip': 'k' } }, spec: { type: 'LoadBalancer' } });
  });
});
