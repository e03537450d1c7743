import { describe, expect, it } from 'vitest';
import { defaultNamespace, defaultPodStatus, defaultSecret, defaultService, prepareBuiltin, ServiceAllocator } from './defaults.js';
import type { KObject } from './store.js';

const svc = (spec: Record<string, unknown>, status?: unknown): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec, ...(status ? { status } : {}) });

describe('Service defaults', () => {
  it('a create starts with an empty status, whatever the request said', () => {
    const out = defaultService(svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }, { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } }), undefined, new ServiceAllocator());
    expect(out.status).toEqual({ loadBalancer: {} });
  });

  it('ingress IPs of a LoadBalancer get ipMode VIP on update; hostnames and other types do not', () => {
    const alloc = new ServiceAllocator();
    const old = defaultService(svc({ type: 'LoadBalancer', ports: [{ port: 80 }] }), undefined, alloc);
    const st = { loadBalancer: { ingress: [{ ip: '203.0.113.1' }, { hostname: 'lb.example' }, { ip: '203.0.113.2', ipMode: 'Proxy' }] } };
    expect(defaultService({ ...old, status: st }, old, alloc).status.loadBalancer.ingress).toEqual([{ ip: '203.0.113.1', ipMode: 'VIP' }, { hostname: 'lb.example' }, { ip: '203.0.113.2', ipMode: 'Proxy' }]);
    const cip = defaultService(svc({ ports: [{ port: 80 }] }), undefined, alloc);
    expect(defaultService({ ...cip, status: st }, cip, alloc).status.loadBalancer.ingress[0]).toEqual({ ip: '203.0.113.1' });
  });

  it('externalTrafficPolicy Local on a LoadBalancer allocates a health-check node port, kept on update, dropped with Cluster', () => {
    const alloc = new ServiceAllocator();
    const a = defaultService(svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] }), undefined, alloc);
    expect(a.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(a.spec.healthCheckNodePort).not.toBe(a.spec.ports[0].nodePort);
    const b = defaultService({ ...a, spec: { ...a.spec, healthCheckNodePort: undefined } }, a, alloc);
    expect(b.spec.healthCheckNodePort).toBe(a.spec.healthCheckNodePort);
    expect(defaultService({ ...a, spec: { ...a.spec, externalTrafficPolicy: 'Cluster' } }, a, alloc).spec.healthCheckNodePort).toBeUndefined();
  });

  it('a released health-check port is free again; an observed one is not handed out', () => {
    const alloc = new ServiceAllocator();
    const a = defaultService(svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }), undefined, alloc);
    const fresh = new ServiceAllocator();
    fresh.observe(a);
    expect(fresh.port()).not.toBe(a.spec.healthCheckNodePort);
    alloc.release(a);
    alloc.rewind({ v4: 10, v6: 10, nodePort: a.spec.healthCheckNodePort });
    expect(alloc.port()).toBe(a.spec.healthCheckNodePort);
  });
});

describe('other built-in kinds', () => {
  it('Namespaces get the metadata.name label and the kubernetes finalizer', () => {
    const ns = defaultNamespace({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { a: 'b', 'kubernetes.io/metadata.name': 'forged' } } });
    expect(ns.metadata.labels).toEqual({ a: 'b', 'kubernetes.io/metadata.name': 'team' });
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    expect(defaultNamespace({ ...ns, spec: { finalizers: ['example.com/x'] } }).spec.finalizers).toEqual(['example.com/x', 'kubernetes']);
  });

  it('Secrets: stringData is base64 in data (winning over data), dropped; type defaults to Opaque', () => {
    const s = defaultSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { pw: 'eA==', user: 'dQ==' }, stringData: { pw: 'hunter2', 'ü': 'ä' } });
    expect(s).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { pw: 'aHVudGVyMg==', user: 'dQ==', 'ü': Buffer.from('ä').toString('base64') } });
    expect(defaultSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'e' }, type: 'kubernetes.io/tls' })).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'e' }, type: 'kubernetes.io/tls' });
  });

  it('a new Pod is Pending with the QoS class of its resources', () => {
    const pod = (resources: unknown[]) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })) }, status: { phase: 'Running' } });
    expect(defaultPodStatus(pod([{}])).status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(defaultPodStatus(pod([{ requests: { cpu: '1' } }])).status.qosClass).toBe('Burstable');
    expect(defaultPodStatus(pod([{ limits: { cpu: '1', memory: '1Gi' } }])).status.qosClass).toBe('Guaranteed');
    expect(defaultPodStatus(pod([{ limits: { cpu: '1', memory: '1Gi' } }, {}])).status.qosClass).toBe('Burstable');
  });

  it('prepareBuiltin dispatches by storage key and leaves other kinds alone', () => {
    const alloc = new ServiceAllocator();
    const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] }, status: { phase: 'Running' } };
    expect(prepareBuiltin('/pods', pod, undefined, alloc).status.phase).toBe('Pending');
    expect(prepareBuiltin('/pods', pod, pod, alloc)).toBe(pod);
    const cm: KObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, stringData: { a: 'b' } };
    expect(prepareBuiltin('/configmaps', cm, undefined, alloc)).toBe(cm);
    expect(prepareBuiltin('/secrets', { ...cm, kind: 'Secret' }, undefined, alloc).data).toEqual({ a: 'Yg==' });
  });
});
