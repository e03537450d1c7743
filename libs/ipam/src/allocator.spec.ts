import { IPAddress } from '@metallb-ts/netaddr';
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

  it('a key whose every IP already holds the port skips the group (saturated) and takes the first free IP', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/24'] }]);
    for (let i = 0; i < 50; i++) {
      expect(ips(a.allocate(req(`web${i}`, { sharingKey: 'shared', ports: [tcp(80), tcp(80)] })))).toEqual([`198.51.100.${i}`]);
    }
    expect(ips(a.allocate(req('tls', { sharingKey: 'shared', ports: [tcp(443)] })))).toEqual(['198.51.100.0']);
    a.release('ns/web7');
    expect(ips(a.allocate(req('web-next', { sharingKey: 'shared', ports: [tcp(80)] })))).toEqual(['198.51.100.7']);
    a.release('ns/web0'); // 198.51.100.0 keeps "tls" (TCP/443), so TCP/80 fits there again
    expect(ips(a.allocate(req('web-again', { sharingKey: 'shared', ports: [tcp(80)] })))).toEqual(['198.51.100.0']);
    expect(ips(a.allocate(req('tls2', { sharingKey: 'shared', ports: [tcp(443)] })))).toEqual(['198.51.100.1']);
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

describe('dual-stack (3.5 step 4)', () => {
  const dual = (name: string, extra: Partial<ServiceRequest> = {}) => req(name, { families: ['IPv4', 'IPv6'], ...extra });

  it('RequireDualStack takes IPv4 and IPv6 from the same pool, IPv4 first even when IPv6 is primary', () => {
    const a = make([{ name: 'p', addresses: ['2001:db8::/126', '198.51.100.0/30'] }]);
    expect(ips(a.allocate(dual('a', { families: ['IPv6', 'IPv4'], policy: 'RequireDualStack' })))).toEqual(['198.51.100.0', '2001:db8::']);
  });

  it('RequireDualStack skips pools that have only one family', () => {
    const a = make([
      { name: 'a-v4', addresses: ['198.51.100.0/30'] },
      { name: 'b-dual', addresses: ['198.51.100.4/30', '2001:db8::/126'] },
    ]);
    const r = a.allocate(dual('s', { policy: 'RequireDualStack' }));
    expect(r.ok && r.allocation.pool).toBe('b-dual');
    expect(r.considered.map((c) => [c.pool, c.verdict])).toEqual([
      ['a-v4', 'family-not-in-pool'],
      ['b-dual', 'chosen'],
    ]);
  });

  it('RequireDualStack fails when no pool has both families free', () => {
    const a = make([{ name: 'v4', addresses: ['198.51.100.0/30'] }, { name: 'v6', addresses: ['2001:db8::/126'] }]);
    expect(refusal(a.allocate(dual('s', { policy: 'RequireDualStack' })))).toBe('pool-exhausted');
  });

  it.each([
    ['IPv4 primary takes the first pool with IPv4', ['IPv4', 'IPv6'], 'b-v4', ['198.51.100.0']],
    ['IPv6 primary takes the first pool with IPv6', ['IPv6', 'IPv4'], 'a-v6', ['2001:db8::']],
  ] as const)('PreferDualStack with no dual pool: %s', (_n, families, pool, want) => {
    const a = make([
      { name: 'a-v6', addresses: ['2001:db8::/126'] },
      { name: 'b-v4', addresses: ['198.51.100.0/30'] },
    ]);
    const r = a.allocate(dual('s', { families: [...families], policy: 'PreferDualStack' }));
    expect(r.ok && r.allocation.pool).toBe(pool);
    expect(ips(r)).toEqual(want);
  });

  it('PreferDualStack prefers a later pool with both families over an earlier single-family pool', () => {
    const a = make([
      { name: 'a-v4', addresses: ['198.51.100.0/30'] },
      { name: 'b-dual', addresses: ['198.51.100.4/30', '2001:db8::/126'] },
    ]);
    expect(ips(a.allocate(dual('s', { policy: 'PreferDualStack' })))).toEqual(['198.51.100.4', '2001:db8::']);
  });

  it('PreferDualStack falls back to the secondary family when no pool has the primary', () => {
    const a = make([{ name: 'v6', addresses: ['2001:db8::/126'] }]);
    expect(ips(a.allocate(dual('s', { policy: 'PreferDualStack' })))).toEqual(['2001:db8::']);
  });

  it('a PreferDualStack single-family allocation is kept on the next reconcile', () => {
    const a = make([{ name: 'v4', addresses: ['198.51.100.0/30'] }]);
    ips(a.allocate(dual('s', { policy: 'PreferDualStack' })));
    const r = a.allocate(dual('s', { policy: 'PreferDualStack' }));
    expect(r.ok && r.changed).toBe(false);
  });

  it('a family change (single → RequireDualStack) re-allocates', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/30', '2001:db8::/126'] }]);
    ips(a.allocate(req('s')));
    const r = a.allocate(dual('s', { policy: 'RequireDualStack' }));
    expect(ips(r)).toEqual(['198.51.100.0', '2001:db8::']);
    expect(r.ok && r.previousInvalid?.reason).toBe('family-mismatch');
  });
});

describe('addFamily: PreferDualStack upgrade (3.8, 4.2 step 8)', () => {
  const pools: PoolSpec[] = [
    { name: 'a-v4', addresses: ['198.51.100.0/30'] },
    { name: 'b-dual', addresses: ['198.51.101.0/30', '2001:db8::/126'] },
  ];
  const dual = (name: string) => req(name, { families: ['IPv4', 'IPv6'], policy: 'PreferDualStack' });

  it('adds the first free IP of the other family from the same pool, IPv4 first', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/32', '2001:db8::/126'] }]);
    a.allocate(req('x'));
    const s = req('s', { families: ['IPv6', 'IPv4'], policy: 'PreferDualStack' });
    expect(ips(a.allocate(s))).toEqual(['2001:db8::']);
    a.release('ns/x');
    const up = a.addFamily(s);
    expect(ips(up)).toEqual(['198.51.100.0', '2001:db8::']);
    expect(up.ok && up.changed).toBe(true);
  });

  it('refuses with family-unavailable when the pool has no address of the other family', () => {
    const b = make([pools[0]!]);
    ips(b.allocate(dual('t')));
    const up = b.addFamily(dual('t'));
    expect(!up.ok && up.reason).toBe('family-unavailable');
    expect(!up.ok && up.considered[0]!.verdict).toBe('family-not-in-pool');
    expect(!up.ok && up.current?.ips.map(String)).toEqual(['198.51.100.0']);
  });

  it('refuses a single-family service (quirk 11: no PreferDualStack oscillation)', () => {
    const a = make(pools);
    const s = req('s', { policy: 'PreferDualStack' }); // one clusterIP family
    ips(a.allocate(s));
    const up = a.addFamily(s);
    expect(!up.ok && up.reason).toBe('not-dual-stack');
    // and the single-family allocation stays valid on every reconcile
    const again = a.allocate(s);
    expect(again.ok && again.changed).toBe(false);
  });

  it('not-allocated when the service holds nothing; unchanged when it already has both', () => {
    const a = make(pools);
    expect(refusal(a.addFamily(dual('s')))).toBe('not-allocated');
    a.allocate(dual('s'));
    const up = a.addFamily(dual('s'));
    expect(up.ok && up.changed).toBe(false);
  });
});

describe('setPools (3.9)', () => {
  it('keeps, moves (rename) and drops (removed, shrunk, newly buggy) allocations', () => {
    const a = make([
      { name: 'keep', addresses: ['198.51.100.0/30'] },
      { name: 'old', addresses: ['198.51.100.4/30'] },
      { name: 'gone', addresses: ['198.51.100.8/30'] },
      { name: 'shrink', addresses: ['198.51.100.12/30'] },
      { name: 'buggy', addresses: ['198.51.101.0/30'] },
    ]);
    a.allocate(req('k', { requestedIps: ['198.51.100.1'] }));
    a.allocate(req('m', { requestedIps: ['198.51.100.5'] }));
    a.allocate(req('g', { requestedIps: ['198.51.100.9'] }));
    a.allocate(req('s', { requestedIps: ['198.51.100.15'] }));
    a.allocate(req('b', { requestedIps: ['198.51.101.0'] }));
    const r = a.setPools([
      { name: 'keep', addresses: ['198.51.100.0/30'] },
      { name: 'new', addresses: ['198.51.100.4/30'] },
      { name: 'shrink', addresses: ['198.51.100.12/31'] },
      { name: 'buggy', addresses: ['198.51.101.0/30'], avoidBuggyIPs: true },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.kept).toBe(1);
    expect(r.moved).toEqual([{ key: 'ns/m', from: 'old', to: 'new' }]);
    expect(r.dropped.map((d) => [d.key, d.reason])).toEqual([
      ['ns/g', 'pool-removed'],
      ['ns/s', 'ip-not-in-any-pool'],
      ['ns/b', 'ip-not-in-any-pool'],
    ]);
    expect(a.get('ns/m')!.pool).toBe('new');
    expect(a.get('ns/g')).toBeUndefined();
    expect(a.counts('new')!.ipv4InUse).toBe(1n);
    expect(a.counts('gone')).toBeUndefined();
    // the moved IP stays taken, the pool hands out the others
    expect(ips(a.allocate(req('x', { pool: 'new' })))).toEqual(['198.51.100.4']);
    expect(ips(a.allocate(req('y', { pool: 'new' })))).toEqual(['198.51.100.6']);
  });

  it('a split pool moves each allocation to the pool that owns it now', () => {
    const a = make([{ name: 'big', addresses: ['198.51.100.0/29'] }]);
    for (let i = 0; i < 8; i++) a.allocate(req(`s${i}`));
    const r = a.setPools([
      { name: 'low', addresses: ['198.51.100.0/30'] },
      { name: 'high', addresses: ['198.51.100.4/30'] },
    ]);
    expect(r.ok && r.moved.length).toBe(8);
    expect(a.counts('low')!.services).toBe(4);
    expect(a.counts('high')!.services).toBe(4);
  });

  it('shared IPs stay shared across a reconfiguration', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/30'] }]);
    a.allocate(req('a', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 80 }] }));
    a.allocate(req('b', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 81 }] }));
    a.setPools([{ name: 'q', addresses: ['198.51.100.0/29'] }]);
    expect(a.usersOf('198.51.100.0')).toEqual(['ns/a', 'ns/b']);
    expect(refusal(a.allocate(req('c', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 80 }], requestedIps: ['198.51.100.0'] })))).toBe('port-conflict');
    expect(ips(a.allocate(req('d', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 82 }] })))).toEqual(['198.51.100.0']);
  });

  it('compatibility is not re-checked by setPools, but by the next allocate', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/30'] }]);
    a.allocate(req('s'));
    const r = a.setPools([
      { name: 'p', addresses: ['198.51.100.0/30'], serviceAllocation: { namespaces: ['other'] } },
      { name: 'q', addresses: ['198.51.100.4/30'] },
    ]);
    expect(r.ok && r.kept).toBe(1);
    expect(refusal(a.validate(req('s')))).toBe('pool-not-allowed-for-service');
    const again = a.allocate(req('s'));
    expect(again.ok && again.allocation.pool).toBe('q');
    expect(again.ok && again.previousInvalid?.reason).toBe('pool-not-allowed-for-service');
  });

  it.each([
    ['empty name', [{ name: '', addresses: ['198.51.100.0/24'] }], 'invalid-name'],
    ['duplicate name', [{ name: 'a', addresses: ['198.51.100.0/25'] }, { name: 'a', addresses: ['198.51.100.128/25'] }], 'duplicate-name'],
    ['no addresses', [{ name: 'a', addresses: [] }], 'no-addresses'],
    ['bad CIDR', [{ name: 'a', addresses: ['198.51.100.0/33'] }], 'invalid-address'],
    ['bad range', [{ name: 'a', addresses: ['198.51.100.9-198.51.100.1'] }], 'invalid-address'],
    ['mixed-family range', [{ name: 'a', addresses: ['198.51.100.1-2001:db8::1'] }], 'invalid-address'],
    ['overlap across pools', [{ name: 'a', addresses: ['198.51.100.0/24'] }, { name: 'b', addresses: ['198.51.100.128/25'] }], 'overlap'],
    ['overlap inside a pool', [{ name: 'a', addresses: ['198.51.100.0/24', '198.51.100.10-198.51.100.20'] }], 'overlap'],
    ['fractional priority', [{ name: 'a', addresses: ['198.51.100.0/24'], serviceAllocation: { priority: 1.5 } }], 'invalid-priority'],
  ] as const)('refuses an invalid set as a whole: %s', (_n, pools, reason) => {
    const a = make([{ name: 'p', addresses: ['203.0.113.0/24'] }]);
    a.allocate(req('s'));
    const r = a.setPools(pools as unknown as PoolSpec[]);
    expect(!r.ok && r.errors.map((e) => e.reason)).toContain(reason);
    expect(a.poolNames()).toEqual(['p']);
    expect(a.get('ns/s')!.pool).toBe('p');
  });
});

describe('restore and snapshot', () => {
  const pools: PoolSpec[] = [
    { name: 'p', addresses: ['198.51.100.0/24', '2001:db8::/64'] },
    { name: 'team', addresses: ['203.0.113.0/24'], serviceAllocation: { namespaces: ['team'] } },
  ];

  it('re-establishes every valid record exactly, in any order, without moving anybody', () => {
    const a = make(pools);
    const r = a.restore([
      { key: 'ns/c', namespace: 'ns', ips: ['198.51.100.77'] },
      { key: 'ns/a', namespace: 'ns', ips: ['2001:db8::5', '198.51.100.5'] },
      { key: 'team/t', namespace: 'team', ips: [IPAddress.parse('203.0.113.9')] },
    ]);
    expect(r).toEqual({ restored: 3, rejected: [] });
    expect(a.get('ns/a')!.ips.map(String)).toEqual(['2001:db8::5', '198.51.100.5']);
    expect(ips(a.allocate(req('n')))).toEqual(['198.51.100.0']);
  });

  it.each([
    ['an IP outside every pool', { key: 'ns/x', namespace: 'ns', ips: ['192.0.2.1'] }, 'ip-not-in-any-pool'],
    ['a restricted pool of another namespace', { key: 'ns/x', namespace: 'ns', ips: ['203.0.113.1'] }, 'pool-not-allowed-for-service'],
    ['an unparsable IP', { key: 'ns/x', namespace: 'ns', ips: ['nope'] }, 'invalid-ip'],
    ['no IP', { key: 'ns/x', namespace: 'ns', ips: [] }, 'invalid-request'],
    ['a conflict with an earlier record', { key: 'ns/x', namespace: 'ns', ips: ['198.51.100.1'] }, 'ip-in-use'],
  ] as const)('rejects %s with a reason', (_n, rec, reason) => {
    const a = make(pools);
    const r = a.restore([{ key: 'ns/first', namespace: 'ns', ips: ['198.51.100.1'] }, rec]);
    expect(r.restored).toBe(1);
    expect(r.rejected.map((x) => x.reason)).toEqual([reason]);
    expect(a.get('ns/x')).toBeUndefined();
  });

  it('restore on top of live allocations keeps the free set exact (lowest free next)', () => {
    const a = make(pools);
    a.allocate(req('a')); // 198.51.100.0
    a.allocate(req('b')); // 198.51.100.1
    const r = a.restore([
      { key: 'ns/c', namespace: 'ns', ips: ['198.51.100.3'] },
      { key: 'ns/b', namespace: 'ns', ips: ['198.51.100.2'] }, // replaces b's allocation
      { key: 'ns/d', namespace: 'ns', ips: ['198.51.100.3'] }, // conflict, rejected
    ]);
    expect(r.restored).toBe(2);
    expect(r.rejected.map((x) => x.key)).toEqual(['ns/d']);
    expect(ips(a.allocate(req('e')))).toEqual(['198.51.100.1']);
    expect(ips(a.allocate(req('f')))).toEqual(['198.51.100.4']);
    expect(a.counts('p')!.ipv4InUse).toBe(5n);
  });

  it('restore(snapshot()) rebuilds the same state, including shared IPs and counts', () => {
    const a = make(pools);
    a.allocate(req('a', { sharingKey: 'k', ports: [{ protocol: 'TCP', port: 80 }] }));
    a.allocate(req('b', { sharingKey: 'k', ports: [{ protocol: 'UDP', port: 80 }] }));
    a.allocate(req('c', { families: ['IPv6', 'IPv4'], policy: 'RequireDualStack' }));
    a.allocate(req('t', { namespace: 'team', key: 'team/t', labels: { x: 'y' } }));
    const b = make(pools);
    expect(b.restore(a.snapshot())).toEqual({ restored: 4, rejected: [] });
    expect(b.snapshot()).toEqual(a.snapshot());
    expect(b.allCounts()).toEqual(a.allCounts());
  });
});

describe('counts and status (3.10)', () => {
  it('counts distinct in-use IPs per family (a shared IP once) and MaxInt64 for huge IPv6 pools', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/24', '2001:db8::/64'], avoidBuggyIPs: true }]);
    a.allocate(req('a', { sharingKey: 'k' }));
    a.allocate(req('b', { sharingKey: 'k' }));
    a.allocate(req('c', { families: ['IPv6'] }));
    expect(a.counts('p')).toEqual({
      pool: 'p',
      total: (1n << 63n) - 1n,
      ipv4Total: 254n,
      ipv6Total: (1n << 63n) - 1n,
      inUse: 2n,
      ipv4InUse: 1n,
      ipv6InUse: 1n,
      services: 3,
    });
    expect(a.status('p')).toEqual({ assignedIPv4: 1n, assignedIPv6: 1n, availableIPv4: 253n, availableIPv6: (1n << 63n) - 2n });
    expect(a.status('nope')).toBeUndefined();
  });
});

describe('bad input never throws', () => {
  it.each([
    ['null request', null],
    ['no key', { namespace: 'ns', families: ['IPv4'] }],
    ['no families', { key: 'ns/a', namespace: 'ns', families: [] }],
    ['three families', { key: 'ns/a', namespace: 'ns', families: ['IPv4', 'IPv6', 'IPv4'] }],
    ['same family twice', { key: 'ns/a', namespace: 'ns', families: ['IPv4', 'IPv4'] }],
    ['unknown family', { key: 'ns/a', namespace: 'ns', families: ['IPX'] }],
    ['unknown policy', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], policy: 'Maybe' }],
    ['RequireDualStack with one family', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], policy: 'RequireDualStack' }],
    ['port out of range', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], ports: [{ protocol: 'TCP', port: 70000 }] }],
    ['port without protocol', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], ports: [{ port: 80 }] }],
    ['requestedIps not an array', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], requestedIps: '198.51.100.1' }],
  ])('%s → invalid-request', (_n, r) => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/24'] }]);
    for (const op of [a.allocate, a.validate, a.addFamily] as const) {
      const res = op.call(a, r as unknown as ServiceRequest);
      expect(!res.ok && res.reason).toBe('invalid-request');
    }
    expect(a.size).toBe(0);
  });

  it('setPools with garbage returns errors', () => {
    const a = new Allocator();
    expect(a.setPools(null as unknown as PoolSpec[]).ok).toBe(false);
    expect(a.setPools([{ name: 'a', addresses: 'x' } as unknown as PoolSpec]).ok).toBe(false);
    expect(a.setPools([null as unknown as PoolSpec]).ok).toBe(false);
  });

  it('no pools at all: no-eligible-pool naming the fix', () => {
    const r = new Allocator().allocate(req('a'));
    expect(refusal(r)).toBe('no-eligible-pool');
    expect(!r.ok && r.message).toContain('no address pools are configured');
  });

  it('release of an unknown key is a no-op', () => {
    expect(new Allocator().release('ns/x')).toEqual({ released: false });
  });
});

describe('explain', () => {
  it('a failed allocation lists every pool and why it was refused', () => {
    const a = make([
      { name: 'full', addresses: ['198.51.100.0/32'] },
      { name: 'manual', addresses: ['198.51.100.1/32'], autoAssign: false },
      { name: 'other-ns', addresses: ['198.51.100.2/32'], serviceAllocation: { namespaces: ['team'] } },
      { name: 'v6', addresses: ['2001:db8::/126'] },
    ]);
    a.allocate(req('x'));
    const r = a.allocate(req('s'));
    expect(refusal(r)).toBe('pool-exhausted');
    expect(r.considered.map((c) => [c.pool, c.stage, c.verdict])).toEqual([
      ['other-ns', 'not-eligible', 'not-allowed-for-service'],
      ['manual', 'not-eligible', 'auto-assign-disabled'],
      ['full', 'generic', 'pool-exhausted'],
      ['v6', 'generic', 'family-not-in-pool'],
    ]);
    expect(JSON.parse(JSON.stringify(r)).considered[2]).toEqual({
      pool: 'full',
      stage: 'generic',
      verdict: 'pool-exhausted',
      message: expect.stringContaining('no available IPs in pool "full"'),
    });
    expect(!r.ok && r.message).toContain('"full"');
  });

  it('allocations serialise as plain JSON with text IPs', () => {
    const a = make([{ name: 'p', addresses: ['198.51.100.0/24'] }]);
    const r = a.allocate(req('s'));
    expect(JSON.parse(JSON.stringify(r.ok && r.allocation))).toEqual({
      key: 'ns/s',
      pool: 'p',
      ips: ['198.51.100.0'],
      namespace: 'ns',
      labels: {},
      ports: [],
      sharingKey: '',
      backendKey: '',
    });
  });
});

describe('huge pools', () => {
  it('offsets beyond 2^30 (IPv6 /64 and 8000::/1) share, release and count like small ones', () => {
    const a = make([
      { name: 'v6', addresses: ['2001:db8::/64'] },
      { name: 'all', addresses: ['8000::/1'] },
    ]);
    const far = '2001:db8::ffff:ffff:ffff:fffe';
    expect(ips(a.allocate(req('a', { families: ['IPv6'], sharingKey: 'k', requestedIps: [far] })))).toEqual([far]);
    expect(ips(a.allocate(req('b', { families: ['IPv6'], sharingKey: 'k', pool: 'v6' })))).toEqual(['2001:db8::']);
    // siblings land on the first IP of their sharing group in pool order
    expect(ips(a.allocate(req('c', { families: ['IPv6'], sharingKey: 'k', pool: 'v6', ports: [{ protocol: 'TCP', port: 1 }] })))).toEqual(['2001:db8::']);
    expect(a.usersOf(far)).toEqual(['ns/a']);
    const top = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    expect(ips(a.allocate(req('d', { families: ['IPv6'], requestedIps: [top] })))).toEqual([top]);
    expect(a.poolOf(top)).toBe('all');
    expect(a.counts('all')!.ipv6Total).toBe((1n << 63n) - 1n);
    a.release('ns/a');
    a.release('ns/d');
    expect(a.usersOf(far)).toEqual([]);
    expect(a.counts('v6')!.ipv6InUse).toBe(1n);
    expect(a.counts('all')!.ipv6InUse).toBe(0n);
    const b = make([{ name: 'v6', addresses: ['2001:db8::/64'] }, { name: 'all', addresses: ['8000::/1'] }]);
    expect(b.restore(a.snapshot()).restored).toBe(2);
    expect(b.snapshot()).toEqual(a.snapshot());
  });
});
