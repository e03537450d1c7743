import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import type { AllocateResult, PoolSpec, ServiceRequest } from './types.js';

/** Builds a request with defaults: namespace "ns", single-stack IPv4. */
function req(name: string, extra: Partial<ServiceRequest> = {}): ServiceRequest {
  return { key: `${extra.namespace ?? 'ns'}/${name}`, namespace: 'ns', families: ['IPv4'], ...extra };
}

function make(pools: PoolSpec[]): Allocator {
  const a = new Allocator();
  const r = a.setPools(pools);
  if (!r.ok) throw new Error(r.message);
  return a;
}

function ips(r: AllocateResult): string[] {
  if (!r.ok) throw new Error(`expected success, got ${r.reason}: ${r.message}`);
  return r.allocation.ips.map(String);
}

function refusal(r: AllocateResult): string {
  if (r.ok) throw new Error(`expected a refusal, got ${r.allocation.ips.join(',')}`);
  return r.reason;
}

describe('address enumeration (3.2)', () => {
  it('walks spec.addresses in order, CIDRs from the network address, ranges ascending', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.8/31', '198.51.100.2-198.51.100.3', '198.51.100.0/32'] }]);
    const got = [1, 2, 3, 4, 5].map((i) => ips(a.allocate(req(`s${i}`))));
    expect(got).toEqual([['198.51.100.8'], ['198.51.100.9'], ['198.51.100.2'], ['198.51.100.3'], ['198.51.100.0']]);
    expect(refusal(a.allocate(req('s6')))).toBe('pool-exhausted');
  });

  it('masks host bits of a CIDR entry (10.20.30.40/24 → 10.20.30.0/24)', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.77/24'] }]);
    expect(ips(a.allocate(req('a')))).toEqual(['198.51.100.0']);
  });

  it('avoidBuggyIPs skips .0 and .255 in every CIDR, whatever its length', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.254/31', '198.51.101.0/30'], avoidBuggyIPs: true }]);
    const got = [1, 2, 3, 4].map((i) => ips(a.allocate(req(`s${i}`))));
    expect(got).toEqual([['198.51.100.254'], ['198.51.101.1'], ['198.51.101.2'], ['198.51.101.3']]);
    expect(refusal(a.allocate(req('s5')))).toBe('pool-exhausted');
  });

  it('IPv6 starts at the first address of the CIDR', () => {
    const a = make([{ name: 'p', addresses: ['2001:db8::/64'], avoidBuggyIPs: true }]);
    expect(ips(a.allocate(req('a', { families: ['IPv6'] })))).toEqual(['2001:db8::']);
    expect(ips(a.allocate(req('b', { families: ['IPv6'] })))).toEqual(['2001:db8::1']);
  });

  it('release then allocate returns the lowest free address', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/29'] }]);
    for (let i = 0; i < 5; i++) a.allocate(req(`s${i}`));
    a.release('ns/s3');
    a.release('ns/s1');
    expect(ips(a.allocate(req('x')))).toEqual(['198.51.100.1']);
    expect(ips(a.allocate(req('y')))).toEqual(['198.51.100.3']);
    expect(ips(a.allocate(req('z')))).toEqual(['198.51.100.5']);
  });
});

describe('pool order (3.5)', () => {
  const pools: PoolSpec[] = [
    { name: 'gen-b', addresses: ['198.51.100.0/30'] },
    { name: 'gen-a', addresses: ['198.51.100.4/30'] },
    { name: 'prio0', addresses: ['198.51.100.8/30'], serviceAllocation: { namespaces: ['team'] } },
    { name: 'prio2', addresses: ['198.51.100.12/30'], serviceAllocation: { priority: 2, namespaces: ['team'] } },
    { name: 'prio1', addresses: ['198.51.100.16/30'], serviceAllocation: { priority: 1, serviceSelectors: [{ matchLabels: { tier: 'web' } }] } },
  ];

  it.each([
    ['a service of another namespace without labels uses generic pools, by name', { namespace: 'other' }, 'gen-a'],
    ['namespace-pinned pools come first, lower positive priority first', { namespace: 'team' }, 'prio2'],
    ['a selector-pinned pool with priority 1 beats priority 2', { namespace: 'team', labels: { tier: 'web' } }, 'prio1'],
    ['selector match alone pins the service', { namespace: 'other', labels: { tier: 'web' } }, 'prio1'],
  ])('%s', (_n, extra, pool) => {
    const a = make(pools);
    const r = a.allocate(req('s', extra as Partial<ServiceRequest>));
    expect(r.ok && r.allocation.pool).toBe(pool);
  });

  it('priority 0 comes after every non-zero priority, then generic pools', () => {
    const a = make(pools);
    const order: string[] = [];
    for (let i = 0; i < 13; i++) {
      const r = a.allocate(req(`s${i}`, { namespace: 'team', key: `team/s${i}` }));
      if (r.ok) order.push(r.allocation.pool);
    }
    expect([...new Set(order)]).toEqual(['prio2', 'prio0', 'gen-a', 'gen-b']);
  });

  it('equal priorities are ordered by name (MetalLB: arbitrary)', () => {
    const a = make([
      { name: 'zeta', addresses: ['198.51.100.0/32'], serviceAllocation: { priority: 3, namespaces: ['ns'] } },
      { name: 'alpha', addresses: ['198.51.100.1/32'], serviceAllocation: { priority: 3, namespaces: ['ns'] } },
    ]);
    expect(a.allocate(req('a')).ok && a.get('ns/a')!.pool).toBe('alpha');
    expect(a.allocate(req('b')).ok && a.get('ns/b')!.pool).toBe('zeta');
  });

  it('autoAssign: false pools are skipped automatically but usable by annotation and requested IP', () => {
    const a = make([{ name: 'manual', addresses: ['198.51.100.0/30'], autoAssign: false }]);
    const r = a.allocate(req('a'));
    expect(refusal(r)).toBe('no-eligible-pool');
    expect(!r.ok && r.considered.map((c) => c.verdict)).toEqual(['auto-assign-disabled']);
    expect(ips(a.allocate(req('b', { pool: 'manual' })))).toEqual(['198.51.100.0']);
    expect(ips(a.allocate(req('c', { requestedIps: ['198.51.100.3'] })))).toEqual(['198.51.100.3']);
  });

  it('a serviceAllocation block with empty lists matches every service, by priority', () => {
    const a = make([
      { name: 'gen', addresses: ['198.51.100.0/30'] },
      { name: 'all', addresses: ['198.51.100.4/30'], serviceAllocation: { priority: 5 } },
    ]);
    expect(a.allocate(req('x', { namespace: 'any', key: 'any/x' })).ok && a.get('any/x')!.pool).toBe('all');
  });

  it('namespace selectors matching nothing and no service selectors: explicit requests only', () => {
    const a = make([{ name: 'sel', addresses: ['198.51.100.0/30'], serviceAllocation: { hasNamespaceSelectors: true } }]);
    const r = a.allocate(req('a'));
    expect(refusal(r)).toBe('no-eligible-pool');
    expect(!r.ok && r.considered[0]!.verdict).toBe('no-namespace-matched');
    expect(ips(a.allocate(req('b', { pool: 'sel' })))).toEqual(['198.51.100.0']);
  });

  it('a pool listed for the namespace is still refused when its service selectors do not match', () => {
    const a = make([
      { name: 'gen', addresses: ['198.51.100.0/30'] },
      { name: 'pin', addresses: ['198.51.100.4/30'], serviceAllocation: { namespaces: ['ns'], serviceSelectors: [{ matchLabels: { a: 'b' } }] } },
    ]);
    const r = a.allocate(req('a'));
    expect(r.ok && r.allocation.pool).toBe('gen');
    expect(r.considered.map((c) => [c.pool, c.verdict])).toEqual([
      ['pin', 'not-allowed-for-service'],
      ['gen', 'chosen'],
    ]);
  });
});

describe('sharing (3.7)', () => {
  const pools: PoolSpec[] = [{ name: 'p', addresses: ['198.51.100.0/30'] }];
  const tcp = (port: number) => ({ protocol: 'TCP', port });
  const udp = (port: number) => ({ protocol: 'UDP', port });

  it.each([
    ['same key, disjoint ports: shared', { sharingKey: 'k', ports: [tcp(80)] }, { sharingKey: 'k', ports: [tcp(443)] }, 'shared'],
    ['TCP and UDP on one port coexist', { sharingKey: 'k', ports: [tcp(53)] }, { sharingKey: 'k', ports: [udp(53)] }, 'shared'],
    ['same key, same port: port-conflict', { sharingKey: 'k', ports: [tcp(80)] }, { sharingKey: 'k', ports: [tcp(80)] }, 'port-conflict'],
    ['different keys: sharing-key-mismatch', { sharingKey: 'k', ports: [tcp(80)] }, { sharingKey: 'j', ports: [tcp(443)] }, 'sharing-key-mismatch'],
    ['existing has no key: ip-in-use', { ports: [tcp(80)] }, { sharingKey: 'k', ports: [tcp(443)] }, 'ip-in-use'],
    ['new has no key: ip-in-use', { sharingKey: 'k', ports: [tcp(80)] }, { ports: [tcp(443)] }, 'ip-in-use'],
    ['same key, other backend key: backend-key-mismatch', { sharingKey: 'k', backendKey: 'app=a' }, { sharingKey: 'k', backendKey: 'app=b' }, 'backend-key-mismatch'],
    ['same key, same backend key: shared', { sharingKey: 'k', backendKey: 'app=a' }, { sharingKey: 'k', backendKey: 'app=a' }, 'shared'],
    ['Local with empty selector shares with Cluster (quirk 14 kept)', { sharingKey: 'k', backendKey: '' }, { sharingKey: 'k', backendKey: '' }, 'shared'],
  ] as const)('requested IP: %s', (_n, first, second, want) => {
    const a = make(pools);
    expect(ips(a.allocate(req('a', { ...first, requestedIps: ['198.51.100.1'] })))).toEqual(['198.51.100.1']);
    const r = a.allocate(req('b', { ...second, requestedIps: ['198.51.100.1'] }));
    if (want === 'shared') {
      expect(ips(r)).toEqual(['198.51.100.1']);
      expect(a.usersOf('198.51.100.1')).toEqual(['ns/a', 'ns/b']);
    } else {
      expect(refusal(r)).toBe(want);
      expect(!r.ok && r.conflict?.service).toBe('ns/a');
      expect(!r.ok && r.conflict?.ip.toString()).toBe('198.51.100.1');
      expect(a.get('ns/b')).toBeUndefined();
    }
  });

  it('port-conflict names the other service and the port', () => {
    const a = make(pools);
    a.allocate(req('a', { sharingKey: 'k', ports: [tcp(80), tcp(81)], requestedIps: ['198.51.100.2'] }));
    const r = a.allocate(req('b', { sharingKey: 'k', ports: [tcp(81)], requestedIps: ['198.51.100.2'] }));
    expect(!r.ok && r.conflict).toMatchObject({ service: 'ns/a', port: { protocol: 'TCP', port: 81 } });
    expect(!r.ok && r.message).toContain('TCP/81');
    expect(!r.ok && r.message).toContain('ns/a');
  });

  it('automatic allocation puts a sharing-compatible service on its siblings\' IP, not on a free one', () => {
    const a = make(pools);
    ips(a.allocate(req('x')));
    expect(ips(a.allocate(req('a', { sharingKey: 'k', ports: [tcp(80)] })))).toEqual(['198.51.100.1']);
    expect(ips(a.allocate(req('b', { sharingKey: 'k', ports: [tcp(443)] })))).toEqual(['198.51.100.1']);
    // a port clash moves the next sibling to the next acceptable address
    expect(ips(a.allocate(req('c', { sharingKey: 'k', ports: [tcp(80)] })))).toEqual(['198.51.100.2']);
    expect(ips(a.allocate(req('d', { sharingKey: 'k', ports: [tcp(80)] })))).toEqual(['198.51.100.3']);
    expect(ips(a.allocate(req('e', { sharingKey: 'k', ports: [tcp(443)] })))).toEqual(['198.51.100.2']);
    expect(a.counts('p')!.ipv4InUse).toBe(4n);
    expect(a.counts('p')!.services).toBe(6);
  });

  it('a shared IP returns to the free set only when its last user leaves', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/31'] }]);
    a.allocate(req('a', { sharingKey: 'k' }));
    a.allocate(req('b', { sharingKey: 'k' }));
    a.release('ns/a');
    expect(ips(a.allocate(req('c')))).toEqual(['198.51.100.1']);
    a.release('ns/b');
    expect(ips(a.allocate(req('d')))).toEqual(['198.51.100.0']);
  });

  it('a service may change its own sharing key while it is the only user', () => {
    const a = make(pools);
    a.allocate(req('a', { sharingKey: 'k' }));
    const r = a.allocate(req('a', { sharingKey: 'other' }));
    expect(r.ok && !r.changed).toBe(true);
    expect(a.get('ns/a')!.sharingKey).toBe('other');
  });

  it('a service cannot change its key away from its siblings\' key: it moves to another IP', () => {
    const a = make(pools);
    a.allocate(req('a', { sharingKey: 'k' }));
    a.allocate(req('b', { sharingKey: 'k' }));
    const r = a.allocate(req('b', { sharingKey: 'j' }));
    expect(ips(r)).toEqual(['198.51.100.1']);
    expect(r.ok && r.previousInvalid?.reason).toBe('sharing-key-mismatch');
  });

  it('new ports that clash with a sibling make the current IP invalid (validate) and allocate moves it', () => {
    const a = make(pools);
    a.allocate(req('a', { sharingKey: 'k', ports: [tcp(80)] }));
    a.allocate(req('b', { sharingKey: 'k', ports: [tcp(81)] }));
    const clash = req('b', { sharingKey: 'k', ports: [tcp(80)] });
    const v = a.validate(clash);
    expect(!v.ok && v.reason).toBe('port-conflict');
    expect(a.get('ns/b')!.ports).toEqual([tcp(81)]); // validate changes nothing
    expect(ips(a.allocate(clash))).toEqual(['198.51.100.1']);
  });
});

describe('requested IPs (4.3 step 2, 3.6)', () => {
  const pools: PoolSpec[] = [
    { name: 'v4', addresses: ['198.51.100.0/24'] },
    { name: 'v6', addresses: ['2001:db8::/120'] },
    { name: 'dual', addresses: ['203.0.113.0/24', '2001:db8:1::/120'] },
    { name: 'buggy', addresses: ['198.51.101.0/24'], avoidBuggyIPs: true },
    { name: 'team', addresses: ['198.51.102.0/24'], serviceAllocation: { namespaces: ['team'] } },
  ];

  it.each([
    ['one IPv4', { requestedIps: ['198.51.100.7'] }, 'ok'],
    ['spaces are trimmed', { requestedIps: [' 198.51.100.7 '] }, 'ok'],
    ['IPv4-mapped IPv6 counts as IPv4', { requestedIps: ['::ffff:198.51.100.7'] }, 'ok'],
    ['invalid text', { requestedIps: ['198.51.100.300'] }, 'invalid-ip'],
    ['octal is refused', { requestedIps: ['198.51.100.07'] }, 'invalid-ip'],
    ['three IPs', { requestedIps: ['198.51.100.1', '2001:db8::1', '198.51.100.2'] }, 'too-many-ips'],
    ['two IPv4', { requestedIps: ['198.51.100.1', '198.51.100.2'] }, 'duplicate-family'],
    ['IPv6 for an IPv4 service', { requestedIps: ['2001:db8::1'] }, 'family-mismatch'],
    ['dual request on a single-stack service', { requestedIps: ['203.0.113.1', '2001:db8:1::1'] }, 'family-mismatch'],
    ['single IP on a dual-stack service', { families: ['IPv4', 'IPv6'], requestedIps: ['203.0.113.1'] }, 'family-mismatch'],
    ['outside every pool', { requestedIps: ['192.0.2.1'] }, 'ip-not-in-any-pool'],
    ['.0 of an avoidBuggyIPs pool is not in the pool', { requestedIps: ['198.51.101.0'] }, 'ip-not-in-any-pool'],
    ['.255 of an avoidBuggyIPs pool is not in the pool', { requestedIps: ['198.51.101.255'] }, 'ip-not-in-any-pool'],
    ['the two IPs in different pools', { families: ['IPv4', 'IPv6'], requestedIps: ['198.51.100.1', '2001:db8::1'] }, 'ip-not-in-any-pool'],
    ['restricted pool of another namespace', { requestedIps: ['198.51.102.1'] }, 'pool-not-allowed-for-service'],
    ['IP outside the annotated pool', { requestedIps: ['198.51.100.1'], pool: 'dual' }, 'ip-not-in-requested-pool'],
    ['IP with an unknown annotated pool', { requestedIps: ['198.51.100.1'], pool: 'nope' }, 'unknown-pool'],
    ['IP inside the annotated pool', { requestedIps: ['203.0.113.9'], pool: 'dual' }, 'ok'],
  ] as const)('%s', (_n, extra, want) => {
    const a = make(pools);
    const r = a.allocate(req('s', extra as unknown as Partial<ServiceRequest>));
    if (want === 'ok') expect(r.ok).toBe(true);
    else {
      expect(refusal(r)).toBe(want);
      expect(!r.ok && r.message.length).toBeGreaterThan(20);
    }
  });

  it('dual-stack requested IPs keep the requested order', () => {
    const a = make(pools);
    expect(ips(a.allocate(req('s', { families: ['IPv6', 'IPv4'], requestedIps: ['2001:db8:1::5', '203.0.113.5'] })))).toEqual([
      '2001:db8:1::5',
      '203.0.113.5',
    ]);
  });

  it('a refused request leaves the previous allocation in place (quirk 17 fixed; release() first to reproduce MetalLB)', () => {
    const a = make(pools);
    a.allocate(req('x', { requestedIps: ['198.51.100.9'] }));
    expect(ips(a.allocate(req('s')))).toEqual(['198.51.101.1']); // generic pools by name: "buggy" first
    const r = a.allocate(req('s', { requestedIps: ['198.51.100.9'] }));
    expect(refusal(r)).toBe('ip-in-use');
    expect(!r.ok && r.current?.ips.map(String)).toEqual(['198.51.101.1']);
    expect(a.get('ns/s')!.ips.map(String)).toEqual(['198.51.101.1']);
  });

  it('changing the requested IP moves the service and reports the previous allocation', () => {
    const a = make(pools);
    a.allocate(req('s', { requestedIps: ['198.51.100.1'] }));
    const r = a.allocate(req('s', { requestedIps: ['198.51.100.2'] }));
    expect(ips(r)).toEqual(['198.51.100.2']);
    expect(r.ok && r.changed && r.previous?.ips.map(String)).toEqual(['198.51.100.1']);
    expect(r.ok && r.previousInvalid?.reason).toBe('requested-ips-changed');
    expect(a.usersOf('198.51.100.1')).toEqual([]);
  });

  it('the same requested IPs in another order are the same allocation', () => {
    const a = make(pools);
    a.allocate(req('s', { families: ['IPv4', 'IPv6'], requestedIps: ['203.0.113.5', '2001:db8:1::5'] }));
    const r = a.allocate(req('s', { families: ['IPv4', 'IPv6'], requestedIps: ['2001:db8:1::5', '203.0.113.5'] }));
    expect(r.ok && r.changed).toBe(false);
  });
});

describe('address-pool annotation (3.8)', () => {
  const pools: PoolSpec[] = [
    { name: 'gen', addresses: ['198.51.100.0/24'] },
    { name: 'manual', addresses: ['203.0.113.0/31', '2001:db8::/127'], autoAssign: false },
    { name: 'v6only', addresses: ['2001:db8:1::/127'] },
    { name: 'team', addresses: ['198.51.102.0/24'], serviceAllocation: { namespaces: ['team'] } },
  ];

  it.each([
    ['unknown pool', { pool: 'nope' }, 'unknown-pool', undefined],
    ['ignores autoAssign', { pool: 'manual' }, 'ok', ['203.0.113.0']],
    ['single family missing from the pool', { pool: 'v6only' }, 'family-unavailable', undefined],
    ['not allowed for the service', { pool: 'team' }, 'pool-not-allowed-for-service', undefined],
    ['RequireDualStack takes both, IPv4 first', { pool: 'manual', families: ['IPv6', 'IPv4'], policy: 'RequireDualStack' }, 'ok', ['203.0.113.0', '2001:db8::']],
    ['RequireDualStack without IPv4 in the pool', { pool: 'v6only', families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' }, 'family-unavailable', undefined],
    ['PreferDualStack takes the one family available', { pool: 'v6only', families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' }, 'ok', ['2001:db8:1::']],
  ] as const)('%s', (_n, extra, want, got) => {
    const a = make(pools);
    const r = a.allocate(req('s', extra as unknown as Partial<ServiceRequest>));
    if (want === 'ok') expect(ips(r)).toEqual(got);
    else expect(refusal(r)).toBe(want);
  });

  it('an exhausted named pool is pool-exhausted', () => {
    const a = make(pools);
    a.allocate(req('a', { pool: 'manual' }));
    a.allocate(req('b', { pool: 'manual' }));
    expect(refusal(a.allocate(req('c', { pool: 'manual' })))).toBe('pool-exhausted');
  });

  it('changing the annotation moves the service to the new pool', () => {
    const a = make(pools);
    a.allocate(req('s'));
    const r = a.allocate(req('s', { pool: 'manual' }));
    expect(r.ok && r.allocation.pool).toBe('manual');
    expect(r.ok && r.previousInvalid?.reason).toBe('requested-pool-changed');
  });
});
