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
