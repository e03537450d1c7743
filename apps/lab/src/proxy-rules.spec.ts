import { describe, expect, it } from 'vitest';
import { endpointsFromSlice, proxyRuleset, serviceFromObject, PROXY_TABLE, type ProxyEndpoint } from './proxy-rules.js';

const svc = (name: string, o: { local?: boolean; ingress?: string[]; type?: string } = {}) =>
  serviceFromObject({
    metadata: { name, namespace: 'default' },
    spec: { type: o.type ?? 'LoadBalancer', externalTrafficPolicy: o.local ? 'Local' : 'Cluster', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] },
    status: { loadBalancer: { ingress: (o.ingress ?? ['198.51.100.101']).map((ip) => ({ ip })) } },
  });

const slice = (eps: { a: string; node: string; ready?: boolean }[]) =>
  endpointsFromSlice({ endpoints: eps.map((e) => ({ addresses: [e.a], nodeName: e.node, conditions: { ready: e.ready ?? true } })), ports: [{ name: 'http', port: 8080 }] });

const eps = (m: Record<string, ProxyEndpoint[]>) => new Map(Object.entries(m));

describe('serviceFromObject / endpointsFromSlice', () => {
  it('reads LoadBalancer Services only, with their ingress IPs and policy', () => {
    expect(svc('a', { type: 'ClusterIP' })).toBeUndefined();
    expect(svc('a', { local: true })).toMatchObject({ name: 'a', local: true, ingress: ['198.51.100.101'] });
    expect(slice([{ a: '203.0.113.17', node: 'n1', ready: false }])).toEqual([{ address: '203.0.113.17', nodeName: 'n1', ready: false, ports: { http: 8080 } }]);
  });
});

describe('proxyRuleset', () => {
  const two = slice([{ a: '203.0.113.17', node: 'n1' }, { a: '203.0.113.33', node: 'n2' }]);

  it('replaces its own table atomically', () => {
    const r = proxyRuleset('n1', [], eps({}));
    expect(r.split('\n').slice(0, 3)).toEqual([`table inet ${PROXY_TABLE}`, `delete table inet ${PROXY_TABLE}`, `table inet ${PROXY_TABLE} {`]);
  });

  it('Cluster: DNATs to every ready endpoint and marks for masquerade', () => {
    const r = proxyRuleset('n3', [svc('web')!], eps({ 'default/web': [...two, ...slice([{ a: '203.0.113.49', node: 'n3', ready: false }])] }));
    expect(r).toContain('ip daddr 198.51.100.101 tcp dport 80 jump svc-default-web-v4-tcp-80');
    expect(r).toContain('meta mark set meta mark | 0x4000');
    expect(r).toContain('dnat ip to numgen random mod 2 map { 0 : 203.0.113.17 . 8080, 1 : 203.0.113.33 . 8080 }');
    expect(r).not.toContain('203.0.113.49');
  });

  it('Local: only this node endpoints, no masquerade, and a drop where there is none', () => {
    const s = svc('web', { local: true })!;
    const onN2 = proxyRuleset('n2', [s], eps({ 'default/web': two }));
    expect(onN2).toContain('dnat ip to numgen random mod 1 map { 0 : 203.0.113.33 . 8080 }');
    expect(onN2).not.toContain('meta mark set');
    const onN3 = proxyRuleset('n3', [s], eps({ 'default/web': two }));
    expect(onN3).toContain('ip daddr 198.51.100.101 tcp dport 80 drop');
    expect(onN3).not.toContain('dnat');
  });

  it('dual-stack: each family goes to endpoints of its own family', () => {
    const s = svc('web', { ingress: ['198.51.100.101', '2001:db8::100:1'] })!;
    const r = proxyRuleset('n1', [s], eps({ 'default/web': [...two, ...slice([{ a: '2001:db8:1:1::1', node: 'n1' }])] }));
    expect(r).toContain('ip6 daddr 2001:db8::100:1 tcp dport 80 jump svc-default-web-v6-tcp-80');
    expect(r).toContain('dnat ip6 to numgen random mod 1 map { 0 : 2001:db8:1:1::1 . 8080 }');
    expect(r).toContain('dnat ip to numgen random mod 2');
  });

  it('a Service without an IP yet gets no rule', () => {
    const s = svc('web', { ingress: [] })!;
    expect(proxyRuleset('n1', [s], eps({ 'default/web': two }))).not.toContain('daddr');
  });
});
