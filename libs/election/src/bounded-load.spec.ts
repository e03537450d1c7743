import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { announcerOrder, ElectionInputError, placeBoundedLoad, rankAnnouncers } from './index.js';

const NODES = ['n1', 'n2', 'n3'];
const ips = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`);

describe('placeBoundedLoad', () => {
  it('large epsilon = plain MetalLB winners', () => {
    const entries = ips(20).map((ip) => ({ ip, order: announcerOrder(ip, NODES) }));
    const r = placeBoundedLoad(entries, { epsilon: 10 });
    for (const p of r.placements) {
      expect(p.kind).toBe('preferred');
      expect(p.node).toBe(announcerOrder(p.ip, NODES)[0]);
    }
  });

  it('epsilon 0 spreads exactly evenly: bound = ⌈m/n⌉', () => {
    const entries = ips(9).map((ip) => ({ ip, order: rankAnnouncers(ip, NODES) }));
    const r = placeBoundedLoad(entries, { epsilon: 0 });
    expect(r.bound).toBe(3);
    expect([...r.loads.values()].sort()).toEqual([3, 3, 3]);
  });

  it('a displaced IP goes to the next node in its own MetalLB order', () => {
    // Four IPs that all prefer the same node, bound 2 (ε=0.5, m=4, n=3 → ⌈2⌉).
    const preferring: string[] = [];
    for (let i = 1; preferring.length < 4; i++) {
      const ip = `203.0.113.${i}`;
      if (announcerOrder(ip, NODES)[0] === 'n1') preferring.push(ip);
    }
    const r = placeBoundedLoad(
      preferring.map((ip) => ({ ip, order: announcerOrder(ip, NODES) })),
      { epsilon: 0.5 },
    );
    expect(r.bound).toBe(2);
    // processing order is ascending IP: the first two keep n1
    const sorted = [...preferring].sort((a, b) => Number(a.split('.')[3]) - Number(b.split('.')[3]));
    expect(r.placements.map((p) => p.ip)).toEqual(sorted);
    expect(r.placements.slice(0, 2).map((p) => [p.node, p.kind])).toEqual([
      ['n1', 'preferred'],
      ['n1', 'preferred'],
    ]);
    for (const p of r.placements.slice(2)) {
      expect(p.kind).toBe('displaced');
      expect(p.skipped).toEqual(['n1']);
      expect(p.node).toBe(announcerOrder(p.ip, NODES)[1]);
    }
  });

  it('overflow only when candidate sets differ, and it is reported', () => {
    const r = placeBoundedLoad(
      [
        { ip: '198.51.100.1', order: ['n1'] },
        { ip: '198.51.100.2', order: ['n1'] },
        { ip: '198.51.100.3', order: ['n1'] },
        { ip: '198.51.100.4', order: ['n2'] },
      ],
      { epsilon: 0 },
    );
    expect(r.bound).toBe(2);
    expect(r.placements.map((p) => p.kind)).toEqual(['preferred', 'preferred', 'overflow', 'preferred']);
  });

  it('an IP without candidates is placed nowhere', () => {
    const r = placeBoundedLoad([{ ip: '198.51.100.1', order: [] }]);
    expect(r.placements).toEqual([{ ip: '198.51.100.1', node: undefined, preferred: undefined, kind: 'none', skipped: [] }]);
    expect(r.bound).toBe(0);
  });

  it('float noise does not raise the bound', () => {
    const nodes = Array.from({ length: 11 }, (_, i) => `n${i}`);
    const r = placeBoundedLoad(ips(10).map((ip) => ({ ip, order: announcerOrder(ip, nodes) })), { epsilon: 0.1 });
    expect(r.bound).toBe(1);
  });

  it('bad input', () => {
    expect(() => placeBoundedLoad([{ ip: '198.51.100.1', order: ['a'] }, { ip: '::ffff:198.51.100.1', order: ['a'] }])).toThrow(/appears twice/);
    expect(() => placeBoundedLoad([], { epsilon: -1 })).toThrow(ElectionInputError);
    expect(() => placeBoundedLoad([{ ip: 'x', order: [] }])).toThrow(/entries\[0\]\.ip/);
  });
});

describe('properties', () => {
  const arb = fc.record({
    ipCount: fc.integer({ min: 0, max: 60 }),
    nodes: fc.uniqueArray(fc.stringMatching(/^n[0-9]{1,2}$/), { minLength: 1, maxLength: 9 }),
    epsilon: fc.double({ min: 0, max: 3, noNaN: true }),
    offset: fc.integer({ min: 0, max: 150 }),
  });

  it('with one shared candidate set, no node ever exceeds ⌈(1+ε)·m/n⌉', () => {
    fc.assert(
      fc.property(arb, ({ ipCount, nodes, epsilon, offset }) => {
        const entries = Array.from({ length: ipCount }, (_, i) => {
          const ip = `10.0.${Math.floor((i + offset) / 250)}.${((i + offset) % 250) + 1}`;
          return { ip, order: announcerOrder(ip, nodes) };
        });
        const r = placeBoundedLoad(entries, { epsilon });
        const bound = ipCount === 0 ? 0 : Math.ceil(((1 + epsilon) * ipCount) / nodes.length - 1e-9);
        expect(r.bound).toBe(Math.max(bound, ipCount === 0 ? 0 : 1));
        for (const load of r.loads.values()) expect(load).toBeLessThanOrEqual(r.bound);
        expect(r.placements.every((p) => p.kind !== 'overflow')).toBe(true);
        // MetalLB's order is kept otherwise: every skipped node was full
        for (const p of r.placements) {
          const order = announcerOrder(p.ip, nodes);
          expect(order.slice(0, p.skipped.length)).toEqual(p.skipped);
          expect(order[p.skipped.length]).toBe(p.node);
        }
      }),
    );
  });

  it('with arbitrary candidate sets, only reported overflows exceed the bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.subarray(['a', 'b', 'c', 'd', 'e']), { maxLength: 40 }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        (sets, epsilon) => {
          const entries = sets.map((s, i) => ({ ip: `198.51.100.${i + 1}`, order: s }));
          const r = placeBoundedLoad(entries, { epsilon });
          const nonOverflow = new Map<string, number>();
          for (const p of r.placements) {
            if (p.node && p.kind !== 'overflow') nonOverflow.set(p.node, (nonOverflow.get(p.node) ?? 0) + 1);
            if (p.kind === 'none') expect(p.node).toBeUndefined();
            else expect(entries.find((e) => e.ip === p.ip)!.order).toContain(p.node);
          }
          for (const v of nonOverflow.values()) expect(v).toBeLessThanOrEqual(r.bound);
        },
      ),
    );
  });

  it('input order does not matter', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.ipV4(), { maxLength: 30 }), fc.func(fc.integer()), (list, keyer) => {
        const entries = list.map((ip) => ({ ip, order: announcerOrder(ip, NODES) }));
        const shuffled = [...entries].sort((a, b) => keyer(a.ip) - keyer(b.ip));
        expect(placeBoundedLoad(shuffled, { epsilon: 0.2 })).toEqual(placeBoundedLoad(entries, { epsilon: 0.2 }));
      }),
    );
  });
});
