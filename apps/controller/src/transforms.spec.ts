import { describe, expect, it } from 'vitest';
import { slim, slimService, type Svc } from './transforms.js';

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
