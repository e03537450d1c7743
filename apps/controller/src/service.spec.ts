import { describe, expect, it } from 'vitest';
import type { ServiceLike } from '@metallb-ts/app-runtime';
import { addressPool, backendKey, familyPolicy, primaryFamily, requestedIPs, serviceFamily, servicePorts, sharingKey } from './service.js';

// Annotation reading with the legacy fallback, status IPs and the --lb-class table moved with
// their code to libs/app-runtime/src/service.spec.ts.

const svc = (over: Partial<ServiceLike['spec']> = {}, annotations: Record<string, string> = {}): ServiceLike => ({
  metadata: { name: 'web', namespace: 'default', annotations },
  spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }], ...over },
});

describe('annotations', () => {
  it('pool annotation: new form first, then legacy; empty means none', () => {
    expect(addressPool(svc({}, { 'metallb.universe.tf/address-pool': 'old' }))).toBe('old');
    expect(addressPool(svc({}, { 'metallb.universe.tf/address-pool': 'old', 'metallb.io/address-pool': 'new' }))).toBe('new');
    expect(addressPool(svc({}, { 'metallb.io/address-pool': '' }))).toBeUndefined();
  });
  it('requested IPs read the legacy loadBalancerIPs annotation too', () => {
    const r = requestedIPs(svc({}, { 'metallb.universe.tf/loadBalancerIPs': '10.0.0.9' }));
    expect(r.ok && r.value.map(String)).toEqual(['10.0.0.9']);
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
  it('one frozen port list per distinct port set, shared by every Service (and allocation) with it', () => {
    const a = servicePorts(svc({ ports: [{ port: 80, protocol: 'tcp' }, { port: 443 }] }));
    const b = servicePorts(svc({ ports: [{ port: 80, protocol: 'TCP', name: 'x' }, { port: 443, protocol: 'TCP' }] }));
    expect(a).toBe(b);
    expect(a).toEqual([{ protocol: 'TCP', port: 80 }, { protocol: 'TCP', port: 443 }]);
    expect(Object.isFrozen(a) && a.every((p) => Object.isFrozen(p))).toBe(true);
    expect(servicePorts(svc({ ports: [{ port: 443 }, { port: 80 }] }))).toEqual([{ protocol: 'TCP', port: 443 }, { protocol: 'TCP', port: 80 }]); // order is kept
    expect(servicePorts(svc({ ports: [] }))).toEqual([]);
  });
});
