import { Allocator, type PoolSpec } from '@metallb-ts/ipam';
import { describe, expect, it } from 'vitest';
import { reconcileService, reprocessOrder, restoreFromStatus, type CoreState } from './core.js';
import type { ServiceLike } from '@metallb-ts/app-runtime';

function state(pools: PoolSpec[] | undefined): CoreState {
  const allocator = new Allocator();
  if (pools) {
    const r = allocator.setPools(pools);
    if (!r.ok) throw new Error(r.message);
  }
  return { allocator, pools };
}

let n = 0;
function svc(name: string, o: { ann?: Record<string, string>; spec?: Partial<NonNullable<ServiceLike['spec']>>; ips?: string[]; created?: string; ns?: string } = {}): ServiceLike {
  return {
    metadata: { name, namespace: o.ns ?? 'default', annotations: o.ann ?? {}, creationTimestamp: o.created ?? `2026-01-01T00:00:${String(n++ % 60).padStart(2, '0')}Z` },
    spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.1'], ports: [{ port: 80, protocol: 'TCP' }], ...o.spec },
    ...(o.ips ? { status: { loadBalancer: { ingress: o.ips.map((ip) => ({ ip })) } } } : {}),
  };
}

/** Applies an outcome to the service object as the API writer would. */
function apply(s: ServiceLike, out: ReturnType<typeof reconcileService>): ServiceLike {
  const annotations = { ...(s.metadata.annotations ?? {}) };
  for (const [k, v] of Object.entries(out.desired.annotations)) {
    if (v === null) delete annotations[k];
    else annotations[k] = v;
  }
  return { ...s, metadata: { ...s.metadata, annotations }, status: { loadBalancer: { ingress: out.desired.ingress.map((ip) => ({ ip })) } } };
}

const guide: PoolSpec[] = [{ name: 'first-pool', addresses: ['10.0.0.101-10.0.0.150'] }];

describe('reconcileService', () => {
  // Regression (MetalLB conformance c03): a Service that asks for another IP moves with IPAllocated
  // only; ClearAssignment is for a held IP the configuration no longer allows.
  it.each([
    ['another requested IP', { 'metallb.io/loadBalancerIPs': '10.0.0.120' }, false],
    ['another pool', { 'metallb.io/address-pool': 'second-pool' }, false],
  ])('moving to %s emits no ClearAssignment', (_what, ann, clear) => {
    const st = state([...guide, { name: 'second-pool', addresses: ['10.0.1.0/24'] }]);
    const s = apply(svc('a'), reconcileService(st, svc('a')));
    const out = reconcileService(st, { ...s, metadata: { ...s.metadata, annotations: { ...s.metadata.annotations, ...ann } } });
    expect(out.changed).toBe(true);
    expect(out.events.some((e) => e.reason === 'ClearAssignment')).toBe(clear);
    expect(out.events.map((e) => e.reason)).toContain('IPAllocated');
  });

  it('a held IP the configuration no longer allows for the Service emits Normal ClearAssignment', () => {
    const st = state([...guide, { name: 'second-pool', addresses: ['10.0.1.0/24'] }]);
    const s = apply(svc('a'), reconcileService(st, svc('a')));
    expect(s.status?.loadBalancer?.ingress?.[0]?.ip).toBe('10.0.0.101');
    const narrowed = st.allocator.setPools([{ ...guide[0]!, serviceAllocation: { namespaces: ['other'] } }, { name: 'second-pool', addresses: ['10.0.1.0/24'] }]);
    expect(narrowed.ok).toBe(true);
    const out = reconcileService(st, s);
    expect(out.desired.ingress).toEqual(['10.0.1.0']);
    expect(out.events.find((e) => e.reason === 'ClearAssignment')).toMatchObject({ type: 'Normal' });
  });

  it('the seed guide: myapp-svc gets 10.0.0.101 and the pool annotation', () => {
    const st = state(guide);
    const out = reconcileService(st, svc('myapp-svc'));
    expect(out.desired.ingress).toEqual(['10.0.0.101']);
    expect(out.desired.annotations['metallb.io/ip-allocated-from-pool']).toBe('first-pool');
    expect(out.events).toEqual([{ type: 'Normal', reason: 'IPAllocated', message: 'Assigned IP [10.0.0.101]' }]);
    expect(out.changed).toBe(true);
  });

  it('is idempotent: a second reconcile of the written object changes nothing', () => {
    const st = state(guide);
    const s = apply(svc('a'), reconcileService(st, svc('a')));
    const again = reconcileService(st, s);
    expect(again.changed).toBe(false);
    expect(again.events).toEqual([]);
  });

  it('non-LoadBalancer services are cleared and their IP released', () => {
    const st = state(guide);
    const s = apply(svc('a'), reconcileService(st, svc('a')));
    const out = reconcileService(st, { ...s, spec: { ...s.spec, type: 'ClusterIP' } });
    expect(out.desired.ingress).toEqual([]);
    expect(out.desired.annotations['metallb.io/ip-allocated-from-pool']).toBeNull();
    expect(out.freedIPs).toBe(true);
    expect(st.allocator.get('default/a')).toBeUndefined();
  });

  it('no configuration: nothing allocated, the reason explained', () => {
    const out = reconcileService(state(undefined), svc('a'));
    expect(out.desired.ingress).toEqual([]);
    expect(out.failure?.reason).toBe('no-pools');
  });

  it('requested IP via annotation and spec.loadBalancerIP', () => {
    const st = state(guide);
    expect(reconcileService(st, svc('a', { ann: { 'metallb.io/loadBalancerIPs': '10.0.0.120' } })).desired.ingress).toEqual(['10.0.0.120']);
    expect(reconcileService(st, svc('b', { spec: { loadBalancerIP: '10.0.0.121' } })).desired.ingress).toEqual(['10.0.0.121']);
  });

  it('malformed annotation: clear warning, no crash, no IP', () => {
    const st = state(guide);
    const out = reconcileService(st, svc('a', { ann: { 'metallb.io/loadBalancerIPs': '10.0.0.1,foo' } }));
    expect(out.desired.ingress).toEqual([]);
    expect(out.events[0]).toMatchObject({ type: 'Warning', reason: 'AllocationFailed' });
    expect(out.events[0]!.message).toContain('invalid requested IP "foo"');
  });

  it('malformed annotation on a service that has an IP: keeps it and warns LoadBalancerFailed', () => {
    const st = state(guide);
    const s = apply(svc('a'), reconcileService(st, svc('a')));
    const bad = { ...s, metadata: { ...s.metadata, annotations: { ...s.metadata.annotations, 'metallb.io/loadBalancerIPs': 'nope' } } };
    const out = reconcileService(st, bad);
    expect(out.desired.ingress).toEqual(['10.0.0.101']);
    expect(out.events[0]!.reason).toBe('LoadBalancerFailed');
  });

  it('IP outside every pool: AllocationFailed naming the problem', () => {
    const st = state(guide);
    const out = reconcileService(st, svc('a', { ann: { 'metallb.io/loadBalancerIPs': '203.0.113.9' } }));
    expect(out.desired.ingress).toEqual([]);
    expect(out.failure?.reason).toBe('ip-not-in-any-pool');
    expect(out.events.at(-1)!.message).toMatch(/203\.0\.113\.9/);
  });

  it('sharing: same key, disjoint ports share one IP; overlapping ports are refused with the other service named', () => {
    const st = state(guide);
    const k = { 'metallb.io/allow-shared-ip': 'dns' };
    const a = reconcileService(st, svc('dns-tcp', { ann: { ...k, 'metallb.io/loadBalancerIPs': '10.0.0.110' }, spec: { ports: [{ port: 53, protocol: 'TCP' }] } }));
    const b = reconcileService(st, svc('dns-udp', { ann: { ...k, 'metallb.io/loadBalancerIPs': '10.0.0.110' }, spec: { ports: [{ port: 53, protocol: 'UDP' }] } }));
    expect(a.desired.ingress).toEqual(['10.0.0.110']);
    expect(b.desired.ingress).toEqual(['10.0.0.110']);
    const c = reconcileService(st, svc('dns-tcp2', { ann: { ...k, 'metallb.io/loadBalancerIPs': '10.0.0.110' }, spec: { ports: [{ port: 53, protocol: 'TCP' }] } }));
    expect(c.desired.ingress).toEqual([]);
    expect(c.failure?.reason).toBe('port-conflict');
    expect(c.events.at(-1)!.message).toContain('default/dns-tcp');
  });

  it('address-pool annotation picks that pool; unknown pool is explained', () => {
    const st = state([...guide, { name: 'second', addresses: ['198.51.100.0/30'] }]);
    const a = reconcileService(st, svc('a', { ann: { 'metallb.io/address-pool': 'second' } }));
    expect(a.desired.ingress).toEqual(['198.51.100.0']);
    expect(a.desired.annotations['metallb.io/ip-allocated-from-pool']).toBe('second');
    const b = reconcileService(st, svc('b', { ann: { 'metallb.io/address-pool': 'nope' } }));
    expect(b.failure?.reason).toBe('unknown-pool');
  });

  it('pool exhaustion: the failure lists the pools considered', () => {
    const st = state([{ name: 'tiny', addresses: ['198.51.100.10/32'] }]);
    reconcileService(st, svc('a'));
    const out = reconcileService(st, svc('b'));
    expect(out.desired.ingress).toEqual([]);
    expect(out.failure?.pools.map((p) => p.pool)).toContain('tiny');
    expect(out.desired.annotations['metallb-ts.io/allocation-failure']).toContain('tiny');
  });

  it('dual-stack: RequireDualStack gets IPv4 then IPv6; single clusterIP is refused', () => {
    const st = state([{ name: 'ds', addresses: ['198.51.100.0/24', '2001:db8::/64'] }]);
    const out = reconcileService(st, svc('a', { spec: { clusterIPs: ['10.96.0.1', 'fd00::1'], ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] } }));
    expect(out.desired.ingress).toEqual(['198.51.100.0', '2001:db8::']);
    const bad = reconcileService(st, svc('b', { spec: { ipFamilyPolicy: 'RequireDualStack' } }));
    expect(bad.events[0]!.reason).toBe('not enough clusterips');
  });

  it('PreferDualStack falls back to one family and upgrades later from the same pool', () => {
    const st = state([{ name: 'v4only', addresses: ['198.51.100.0/30'] }]);
    const s0 = svc('a', { spec: { clusterIPs: ['10.96.0.1', 'fd00::1'], ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] } });
    const s1 = apply(s0, reconcileService(st, s0));
    expect(s1.status?.loadBalancer?.ingress?.map((i) => i.ip)).toEqual(['198.51.100.0']);
    st.allocator.setPools([{ name: 'v4only', addresses: ['198.51.100.0/30', '2001:db8::/126'] }]);
    const up = reconcileService(st, s1);
    expect(up.desired.ingress).toEqual(['198.51.100.0', '2001:db8::']);
    expect(up.events.some((e) => e.reason === 'IPAllocated' && e.message.includes('additional'))).toBe(true);
  });

  it('pool shrink: a service whose IP left the pool is re-allocated inside it', () => {
    const st = state([{ name: 'p', addresses: ['198.51.100.0/29'] }]);
    const s = apply(svc('a', { ann: { 'metallb.io/loadBalancerIPs': '198.51.100.6' } }), reconcileService(st, svc('a', { ann: { 'metallb.io/loadBalancerIPs': '198.51.100.6' } })));
    const plain = { ...s, metadata: { ...s.metadata, annotations: { 'metallb.io/ip-allocated-from-pool': 'p' } } };
    st.pools = [{ name: 'p', addresses: ['198.51.100.0/30'] }];
    st.allocator.setPools(st.pools);
    const out = reconcileService(st, plain);
    expect(out.desired.ingress).toEqual(['198.51.100.0']);
  });

  it('a requested IP that is taken keeps the service on its old IP (MetalLB quirk 17 fixed)', () => {
    const st = state(guide);
    reconcileService(st, svc('owner', { ann: { 'metallb.io/loadBalancerIPs': '10.0.0.140' } }));
    const s = apply(svc('b'), reconcileService(st, svc('b')));
    const moved = { ...s, metadata: { ...s.metadata, annotations: { ...s.metadata.annotations, 'metallb.io/loadBalancerIPs': '10.0.0.140' } } };
    const out = reconcileService(st, moved);
    expect(out.desired.ingress).toEqual(['10.0.0.101']);
    expect(out.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'AllocationFailed' });
    expect(out.events.at(-1)!.message).toContain('keeping [10.0.0.101]');
  });

  it('legacy annotations are honoured and warned about when the service is written', () => {
    const st = state(guide);
    const out = reconcileService(st, svc('a', { ann: { 'metallb.universe.tf/loadBalancerIPs': '10.0.0.130' } }));
    expect(out.desired.ingress).toEqual(['10.0.0.130']);
    expect(out.events.some((e) => e.reason === 'deprecatedAnnotation' && e.message.includes('metallb.universe.tf/loadBalancerIPs'))).toBe(true);
  });
});

describe('restart safety', () => {
  it('restore keeps every existing IP; the older of two claimants keeps a contested IP', () => {
    const st = state(guide);
    const services = [
      svc('new', { ips: ['10.0.0.105'], created: '2026-02-01T00:00:00Z' }),
      svc('old', { ips: ['10.0.0.105'], created: '2026-01-01T00:00:00Z' }),
      svc('c', { ips: ['10.0.0.149'], created: '2026-01-05T00:00:00Z' }),
    ];
    const r = restoreFromStatus(st, services, () => true);
    expect(r.restored).toBe(2);
    expect(r.rejected.map((x) => x.key)).toEqual(['default/new']);
    expect(st.allocator.get('default/old')?.ips.map(String)).toEqual(['10.0.0.105']);
    const outs = reprocessOrder(services).map((s) => reconcileService(st, s));
    const byKey = Object.fromEntries(outs.map((o) => [o.key, o.desired.ingress]));
    expect(byKey['default/old']).toEqual(['10.0.0.105']);
    expect(byKey['default/c']).toEqual(['10.0.0.149']);
    expect(byKey['default/new']).toEqual(['10.0.0.101']);
  });

  it('reprocess order: more IPs first, then oldest', () => {
    const a = svc('a', { created: '2026-01-03T00:00:00Z' });
    const b = svc('b', { ips: ['10.0.0.1'], created: '2026-01-04T00:00:00Z' });
    const c = svc('c', { created: '2026-01-01T00:00:00Z' });
    expect(reprocessOrder([a, b, c]).map((s) => s.metadata.name)).toEqual(['b', 'c', 'a']);
  });
});
