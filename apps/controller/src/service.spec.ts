import { describe, expect, it } from 'vitest';
import {
  annotation,
  backendKey,
  familyPolicy,
  legacyAnnotations,
  primaryFamily,
  requestedIPs,
  servesClass,
  serviceFamily,
  servicePorts,
  sharingKey,
  statusIPs,
  type ServiceLike,
} from './service.js';

const svc = (over: Partial<ServiceLike['spec']> = {}, annotations: Record<string, string> = {}): ServiceLike => ({
  metadata: { name: 'web', namespace: 'default', annotations },
  spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }], ...over },
});

describe('annotations', () => {
  it('reads metallb.io first, legacy metallb.universe.tf as fallback', () => {
    expect(annotation(svc({}, { 'metallb.universe.tf/address-pool': 'old' }), 'metallb.io/address-pool')).toBe('old');
    expect(
      annotation(svc({}, { 'metallb.universe.tf/address-pool': 'old', 'metallb.io/address-pool': 'new' }), 'metallb.io/address-pool'),
    ).toBe('new');
    expect(legacyAnnotations(svc({}, { 'metallb.universe.tf/allow-shared-ip': 'k', x: 'y' }))).toEqual(['metallb.universe.tf/allow-shared-ip']);
  });
  it('sharing key: present-but-empty counts as empty', () => {
    expect(sharingKey(svc({}, { 'metallb.io/allow-shared-ip': '' }))).toBe('');
    expect(sharingKey(svc({}, { 'metallb.io/allow-shared-ip': 'dns' }))).toBe('dns');
    expect(sharingKey(svc())).toBe('');
  });
});

describe('requested IPs', () => {
  it.each([
    [{}, { 'metallb.io/loadBalancerIPs': '10.0.0.5' }, ['10.0.0.5']],
    [{}, { 'metallb.io/loadBalancerIPs': ' 10.0.0.5 , 2001:db8::5 ' }, ['10.0.0.5', '2001:db8::5']],
    [{ loadBalancerIP: '10.0.0.7' }, {}, ['10.0.0.7']],
    [{}, {}, []],
  ])('accepts %j %j', (spec, ann, want) => {
    const r = requestedIPs(svc(spec, ann));
    expect(r.ok && r.value.map(String)).toEqual(want);
  });
  it.each([
    [{ loadBalancerIP: '10.0.0.7' }, { 'metallb.io/loadBalancerIPs': '10.0.0.5' }, 'can not have both'],
    [{}, { 'metallb.io/loadBalancerIPs': '10.0.0.1,foo' }, 'invalid requested IP "foo"'],
    [{}, { 'metallb.io/loadBalancerIPs': '10.0.0.1,10.0.0.2' }, 'different families'],
    [{}, { 'metallb.io/loadBalancerIPs': '10.0.0.1,::1,::2' }, 'at most two'],
    [{ loadBalancerIP: '010.0.0.1' }, {}, 'leading zero'],
  ])('rejects %j %j', (spec, ann, msg) => {
    const r = requestedIPs(svc(spec, ann));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toContain(msg);
  });
});

describe('family and policy', () => {
  it('derives the family from clusterIPs, falling back to clusterIP', () => {
    expect(serviceFamily(svc())).toEqual({ ok: true, value: 'IPv4' });
    expect(serviceFamily(svc({ clusterIPs: ['10.96.0.1', 'fd00::1'] }))).toEqual({ ok: true, value: 'dual' });
    expect(serviceFamily(svc({ clusterIPs: undefined, clusterIP: 'fd00::1' }))).toEqual({ ok: true, value: 'IPv6' });
    expect(serviceFamily(svc({ clusterIPs: [], clusterIP: undefined }))).toEqual({ ok: true, value: undefined });
    expect(serviceFamily(svc({ clusterIPs: ['None'] }))).toEqual({ ok: true, value: undefined });
    expect(serviceFamily(svc({ clusterIPs: ['10.96.0.1', '10.96.0.2'] })).ok).toBe(false);
  });
  it('policy defaults to SingleStack; primary family from ipFamilies[0]', () => {
    expect(familyPolicy(svc())).toBe('SingleStack');
    expect(familyPolicy(svc({ ipFamilyPolicy: 'PreferDualStack' }))).toBe('PreferDualStack');
    expect(primaryFamily(svc({ ipFamilies: ['IPv6', 'IPv4'] }))).toBe('IPv6');
    expect(primaryFamily(svc())).toBe('IPv4');
  });
});

describe('keys, ports, status', () => {
  it('backend key is the sorted selector only for Local services', () => {
    expect(backendKey(svc({ externalTrafficPolicy: 'Local', selector: { b: '2', a: '1' } }))).toBe('a=1,b=2');
    expect(backendKey(svc({ externalTrafficPolicy: 'Cluster', selector: { a: '1' } }))).toBe('');
  });
  it('ports default to TCP', () => {
    expect(servicePorts(svc({ ports: [{ port: 53 }, { port: 53, protocol: 'udp' }] }))).toEqual([
      { protocol: 'TCP', port: 53 },
      { protocol: 'UDP', port: 53 },
    ]);
  });
  it('status IPs ignore hostname-only entries', () => {
    const s = svc();
    s.status = { loadBalancer: { ingress: [{ hostname: 'x' }, { ip: '10.0.0.1' }] } };
    expect(statusIPs(s)).toEqual(['10.0.0.1']);
  });
});

describe('load-balancer class (MetalLB 4.5 table)', () => {
  it.each([
    [undefined, '', true],
    [undefined, 'foo', false],
    ['foo', '', false],
    ['foo', 'bar', false],
    ['foo', 'foo', true],
  ])('class %j with --lb-class %j → %j', (cls, flag, want) => {
    expect(servesClass(svc({ loadBalancerClass: cls }), flag)).toBe(want);
  });
});
