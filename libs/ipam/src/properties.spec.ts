/**
 * Property tests over random sequences of operations (fast-check): the sharing invariant, pool
 * membership, first-free agreement with a linear walk, restore∘snapshot = id, release→lowest
 * free, and determinism.
 */
import { IPAddress, IPRange } from '@metallb-ts/netaddr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Allocator } from './allocator.js';
import type { AllocateResult, Allocation, AllocationRecord, FamilyPolicy, PoolSpec, Port, ServiceRequest } from './types.js';

const POOLS = (avoid: boolean): PoolSpec[] => [
  { name: 'p1', addresses: ['198.51.100.0/29', '198.51.100.253-198.51.101.1'], avoidBuggyIPs: avoid },
  { name: 'p2', addresses: ['2001:db8::/125'] },
  { name: 'p3', addresses: ['203.0.113.0/30', '2001:db8:1::/126'], serviceAllocation: { namespaces: ['team'], priority: 1 } },
  { name: 'p4', addresses: ['203.0.113.8/31'], autoAssign: false },
];

const PORTS: Port[] = [
  { protocol: 'TCP', port: 80 },
  { protocol: 'UDP', port: 80 },
  { protocol: 'TCP', port: 443 },
];

const CANDIDATE_IPS = ['198.51.100.1', '198.51.100.7', '198.51.101.0', '2001:db8::3', '203.0.113.1', '2001:db8:1::1', '203.0.113.9', '192.0.2.1'];

type Op =
  | { op: 'alloc'; svc: number; ns: string; families: ('IPv4' | 'IPv6')[]; policy: FamilyPolicy; sharingKey: string; backendKey: string; ports: Port[]; requested?: string[]; pool?: string }
  | { op: 'release'; svc: number }
  | { op: 'upgrade'; svc: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        op: fc.constant('alloc' as const),
        svc: fc.nat(9),
        ns: fc.constantFrom('ns', 'team'),
        families: fc.constantFrom<('IPv4' | 'IPv6')[]>(['IPv4'], ['IPv6'], ['IPv4', 'IPv6'], ['IPv6', 'IPv4']),
        policy: fc.constantFrom<FamilyPolicy>('SingleStack', 'PreferDualStack', 'RequireDualStack'),
        sharingKey: fc.constantFrom('', 'a', 'b'),
        backendKey: fc.constantFrom('', 'x'),
        ports: fc.subarray(PORTS),
        requested: fc.subarray(CANDIDATE_IPS, { maxLength: 2 }),
        pool: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'nope'),
      },
      { requiredKeys: ['op', 'svc', 'ns', 'families', 'policy', 'sharingKey', 'backendKey', 'ports'] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), svc: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('upgrade' as const), svc: fc.nat(9) }) },
);

function toRequest(o: Extract<Op, { op: 'alloc' }>): ServiceRequest {
  const policy = o.families.length === 1 && o.policy === 'RequireDualStack' ? 'SingleStack' : o.policy;
  return {
    key: `${o.ns}/s${o.svc}`,
    namespace: o.ns,
    families: o.families,
    policy,
    sharingKey: o.sharingKey,
    backendKey: o.backendKey,
    ports: o.ports,
    ...(o.requested && o.requested.length > 0 ? { requestedIps: o.requested } : {}),
    ...(o.pool !== undefined ? { pool: o.pool } : {}),
  };
}

/** Runs ops; returns the JSON of every result (for determinism) and the last request per key. */
function run(a: Allocator, ops: readonly Op[], check?: (r: AllocateResult, req: ServiceRequest, before: Allocation | undefined) => void): { log: string[]; reqs: Map<string, ServiceRequest> } {
  const log: string[] = [];
  const reqs = new Map<string, ServiceRequest>();
  for (const o of ops) {
    if (o.op === 'alloc') {
      const r = toRequest(o);
      reqs.set(r.key, r);
      const before = a.get(r.key);
      const res = a.allocate(r);
      check?.(res, r, before);
      log.push(JSON.stringify(res));
    } else {
      // release/upgrade target whichever namespace holds svc N
      for (const key of [`ns/s${o.svc}`, `team/s${o.svc}`]) {
        if (o.op === 'release') log.push(JSON.stringify(a.release(key)));
        else {
          const last = reqs.get(key);
          if (last) log.push(JSON.stringify(a.addFamily({ ...last, requestedIps: undefined, pool: undefined })));
        }
      }
    }
  }
  return { log, reqs };
}

function sharingInvariant(snap: readonly AllocationRecord[]): void {
  const byIp = new Map<string, AllocationRecord[]>();
  for (const r of snap) for (const ip of r.ips) byIp.set(String(ip), [...(byIp.get(String(ip)) ?? []), r]);
  for (const [, users] of byIp) {
    for (let i = 0; i < users.length; i++) {
      for (let j = i + 1; j < users.length; j++) {
        const x = users[i]!;
        const y = users[j]!;
        expect(x.sharingKey).not.toBe('');
        expect(x.sharingKey).toBe(y.sharingKey);
        expect(x.backendKey).toBe(y.backendKey);
        for (const p of x.ports ?? []) {
          expect((y.ports ?? []).some((q) => q.port === p.port && q.protocol === p.protocol)).toBe(false);
        }
      }
    }
  }
}

const opsArb = fc.array(opArb, { maxLength: 60 });

describe('properties', () => {
  it('no IP is held by two services unless the sharing rules allow it', () => {
    fc.assert(
      fc.property(opsArb, fc.boolean(), (ops, avoid) => {
        const a = new Allocator();
        a.setPools(POOLS(avoid));
        run(a, ops);
        sharingInvariant(a.snapshot());
      }),
      { numRuns: 300 },
    );
  });

  it('allocations are always inside an allowed pool (owned, compatible, autoAssign respected)', () => {
    fc.assert(
      fc.property(opsArb, fc.boolean(), (ops, avoid) => {
        const a = new Allocator();
        a.setPools(POOLS(avoid));
        run(a, ops, (res, req, before) => {
          if (!res.ok) return;
          for (const ip of res.allocation.ips) expect(a.poolOf(ip)).toBe(res.allocation.pool);
          if (res.allocation.pool === 'p3') expect(req.namespace).toBe('team');
          // autoAssign: false only keeps automatic allocation out; an address the service already
          // holds from p4 (taken by annotation, then the annotation removed) is kept, as MetalLB does.
          const keptP4 = !res.changed && before?.pool === 'p4';
          if (res.allocation.pool === 'p4') expect(req.pool === 'p4' || (req.requestedIps?.length ?? 0) > 0 || keptP4).toBe(true);
          if (req.pool !== undefined && req.pool !== 'nope') expect(res.allocation.pool).toBe(req.pool);
          const fams = new Set(res.allocation.ips.map((i) => i.family));
          if (req.policy === 'RequireDualStack') expect(fams.size).toBe(2);
          for (const f of fams) expect(req.families).toContain(f);
          if (avoid) for (const ip of res.allocation.ips) if (ip.isV4 && res.allocation.pool === 'p1') expect([0n, 255n]).not.toContain(ip.value & 255n);
        });
        for (const r of a.snapshot()) for (const ip of r.ips) expect(a.poolOf(ip)).toBe(r.pool);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an address from an autoAssign: false pool when the address-pool annotation is removed (regression: fast-check seed 147198060)', () => {
    const a = new Allocator();
    a.setPools(POOLS(false));
    const base = { key: 'team/s0', namespace: 'team', families: ['IPv4' as const], policy: 'SingleStack' as const, sharingKey: '', backendKey: '', ports: [] };
    const first = a.allocate({ ...base, pool: 'p4' });
    expect(first.ok && first.allocation.pool).toBe('p4');
    const again = a.allocate(base);
    expect(again.ok && again.changed).toBe(false);
    expect(again.ok && again.allocation.ips.map(String)).toEqual(first.ok ? first.allocation.ips.map(String) : []);
    // a service that never held p4 is not placed there automatically
    const fresh = a.allocate({ ...base, key: 'team/s1' });
    expect(fresh.ok && fresh.allocation.pool).not.toBe('p4');
  });

  it('restore(snapshot(x)) equals x', () => {
    fc.assert(
      fc.property(opsArb, fc.boolean(), (ops, avoid) => {
        const a = new Allocator();
        a.setPools(POOLS(avoid));
        run(a, ops);
        const b = new Allocator();
        b.setPools(POOLS(avoid));
        const snap = a.snapshot();
        expect(b.restore(snap)).toEqual({ restored: snap.length, rejected: [] });
        expect(b.snapshot()).toEqual(snap);
        expect(b.allCounts()).toEqual(a.allCounts());
        // and both continue identically
        expect(run(b, ops.slice(0, 10)).log).toEqual(run(a, ops.slice(0, 10)).log);
      }),
      { numRuns: 200 },
    );
  });

  it('the same sequence of calls gives the same result every run', () => {
    fc.assert(
      fc.property(opsArb, (ops) => {
        const runOnce = () => {
          const a = new Allocator();
          a.setPools(POOLS(false));
          const { log } = run(a, ops);
          return [...log, JSON.stringify(a.snapshot()), JSON.stringify(a.allCounts(), (_k, v) => (typeof v === 'bigint' ? String(v) : v))];
        };
        expect(runOnce()).toEqual(runOnce());
      }),
      { numRuns: 100 },
    );
  });

  it('release then allocate returns the lowest free address (pool order, avoidBuggyIPs)', () => {
    const spec: PoolSpec = { name: 'p', addresses: ['198.51.100.250-198.51.101.5', '198.51.100.0/29'], avoidBuggyIPs: true };
    const order: string[] = [];
    for (const e of spec.addresses) {
      const r = IPRange.parse(e);
      for (let v = r.first.value; v <= r.last.value; v++) if ((v & 255n) !== 0n && (v & 255n) !== 255n) order.push(IPAddress.fromBigInt('IPv4', v).toString());
    }
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(40)), { maxLength: 80 }), (steps) => {
        const a = new Allocator();
        a.setPools([spec]);
        let next = 0;
        for (const [alloc, pick] of steps) {
          const held = a.snapshot();
          if (alloc || held.length === 0) {
            const used = new Set(held.map((r) => String(r.ips[0])));
            const want = order.find((ip) => !used.has(ip));
            const r = a.allocate({ key: `ns/n${next++}`, namespace: 'ns', families: ['IPv4'] });
            if (want === undefined) expect(r.ok).toBe(false);
            else expect(r.ok && r.allocation.ips.map(String)).toEqual([want]);
          } else {
            a.release(held[pick % held.length]!.key);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    ['a small pool', ['198.51.100.6/31', '198.51.100.0/30'], 11, 40],
    ['a 32-address pool with large (indexed) sharing groups', ['198.51.100.32/28', '198.51.100.0/28'], 60, 200],
  ] as const)('automatic allocation agrees with a linear walk over %s (with sharing)', (_n, addresses, services, steps) => {
    const spec: PoolSpec = { name: 'p', addresses: [...addresses] };
    const order: string[] = [];
    for (const e of spec.addresses) {
      const r = IPRange.parse(e);
      for (let v = r.first.value; v <= r.last.value; v++) order.push(IPAddress.fromBigInt('IPv4', v).toString());
    }
    // Mostly one key and mostly TCP/80, so that sharing groups grow past the indexing size and
    // releases leave IPs of the group that lack TCP/80 before the first free address.
    const reqArb = fc.record({
      svc: fc.nat(services),
      sharingKey: fc.constantFrom('a', 'a', 'a', '', 'b'),
      backendKey: fc.constantFrom('', '', '', 'x'),
      ports: fc.oneof(
        { weight: 3, arbitrary: fc.constant([PORTS[0]!]) },
        { weight: 1, arbitrary: fc.constant([PORTS[1]!]) },
        { weight: 1, arbitrary: fc.constant([PORTS[2]!]) },
        { weight: 1, arbitrary: fc.subarray(PORTS) },
      ),
      release: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(reqArb, { minLength: steps / 2, maxLength: steps }), (seq) => {
        const a = new Allocator();
        a.setPools([spec]);
        for (const s of seq) {
          const key = `ns/s${s.svc}`;
          if (s.release && a.get(key)) {
            a.release(key);
            continue;
          }
          if (a.get(key)) continue;
          const users = new Map<string, AllocationRecord[]>();
          for (const r of a.snapshot()) users.set(String(r.ips[0]), [...(users.get(String(r.ips[0])) ?? []), r]);
          const acceptable = (ip: string) => {
            const u = users.get(ip) ?? [];
            if (u.length === 0) return true;
            return u.every(
              (o) => o.sharingKey !== '' && o.sharingKey === s.sharingKey && o.backendKey === s.backendKey && !s.ports.some((p) => (o.ports ?? []).some((q) => q.port === p.port && q.protocol === p.protocol)),
            );
          };
          const want = order.find(acceptable);
          const r = a.allocate({ key, namespace: 'ns', families: ['IPv4'], sharingKey: s.sharingKey, backendKey: s.backendKey, ports: s.ports });
          if (want === undefined) expect(r.ok).toBe(false);
          else expect(r.ok && r.allocation.ips.map(String)).toEqual([want]);
        }
        // a reconfiguration rebuilds the groups; the next pick must still agree
        a.setPools([{ ...spec }]);
        const used = new Map<string, AllocationRecord[]>();
        for (const r of a.snapshot()) used.set(String(r.ips[0]), [...(used.get(String(r.ips[0])) ?? []), r]);
        const probe = { sharingKey: 'a', backendKey: '', ports: [PORTS[0]!] };
        const want = order.find((ip) => (used.get(ip) ?? []).every((o) => o.sharingKey === 'a' && o.backendKey === '' && !(o.ports ?? []).some((q) => q.port === 80 && q.protocol === 'TCP')));
        const r = a.allocate({ key: 'ns/probe', namespace: 'ns', families: ['IPv4'], ...probe });
        if (want === undefined) expect(r.ok).toBe(false);
        else expect(r.ok && r.allocation.ips.map(String)).toEqual([want]);
      }),
      { numRuns: 200 },
    );
  });
});
