import { describe, expect, it } from 'vitest';
import { annotation, hasAnnotation, legacyAnnotations, servesClass, serviceKey, statusIPs, type ServiceLike } from './service.js';

const svc = (over: Partial<NonNullable<ServiceLike['spec']>> = {}, annotations: Record<string, string> = {}): ServiceLike => ({
  metadata: { name: 'web', namespace: 'default', annotations },
  spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, protocol: 'TCP' }], ...over },
});

describe('annotations', () => {
  it('reads metallb.io first, legacy metallb.universe.tf as fallback', () => {
    expect(annotation(svc({}, { 'metallb.universe.tf/address-pool': 'old' }), 'metallb.io/address-pool')).toBe('old');
    expect(annotation(svc({}, { 'metallb.universe.tf/address-pool': 'old', 'metallb.io/address-pool': 'new' }), 'metallb.io/address-pool')).toBe('new');
    expect(annotation(svc({}, { 'metallb.io/address-pool': '' }), 'metallb.io/address-pool')).toBe('');
    expect(annotation(svc(), 'metallb.io/address-pool')).toBeUndefined();
    expect(legacyAnnotations(svc({}, { 'metallb.universe.tf/allow-shared-ip': 'k', x: 'y' }))).toEqual(['metallb.universe.tf/allow-shared-ip']);
  });
  it('presence counts, even with an empty value, in either form', () => {
    expect(hasAnnotation(svc({}, { 'metallb.io/allow-shared-ip': '' }), 'metallb.io/allow-shared-ip')).toBe(true);
    expect(hasAnnotation(svc({}, { 'metallb.universe.tf/allow-shared-ip': '' }), 'metallb.io/allow-shared-ip')).toBe(true);
    expect(hasAnnotation(svc(), 'metallb.io/allow-shared-ip')).toBe(false);
  });
});

describe('keys and status', () => {
  it('service key is namespace/name; MetalLB form /name without a namespace', () => {
    expect(serviceKey(svc())).toBe('default/web');
    expect(serviceKey({ metadata: { name: 'web' } })).toBe('/web');
    expect(serviceKey({ metadata: { name: 'web', namespace: '' } })).toBe('/web');
  });
  it('status IPs ignore hostname-only entries', () => {
    const s = svc();
    s.status = { loadBalancer: { ingress: [{ hostname: 'x' }, { ip: '10.0.0.1' }] } };
    expect(statusIPs(s)).toEqual(['10.0.0.1']);
    expect(statusIPs(svc())).toEqual([]);
  });
});

describe('load-balancer class (MetalLB 4.5 table)', () => {
  it.each([
    [undefined, '', true],
    [undefined, 'foo', false],
    ['', '', true],
    ['foo', '', false],
    ['foo', 'bar', false],
    ['foo', 'foo', true],
  ])('class %j with --lb-class %j → %j', (cls, flag, want) => {
    expect(servesClass(svc({ loadBalancerClass: cls }), flag)).toBe(want);
  });
});
