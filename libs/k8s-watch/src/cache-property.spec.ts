/**
 * Property: `decideEvent` applied to arbitrary event sequences (repeats, reorderings, deletes of
 * unknown objects) never throws and never moves a cached object back to an older version.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cache, decideEvent } from './cache.js';
import type { KubeObject } from './types.js';

describe('decideEvent over arbitrary event sequences', () => {
  it('keeps at most one object per key, always the newest version seen', () => {
    const ev = fc.record({ type: fc.constantFrom('ADDED' as const, 'MODIFIED' as const, 'DELETED' as const), name: fc.constantFrom('a', 'b'), rv: fc.integer({ min: 1, max: 20 }) });
    fc.assert(
      fc.property(fc.array(ev, { maxLength: 40 }), (evs) => {
        const c = new Cache<KubeObject>();
        for (const e of evs) {
          const o: KubeObject = { metadata: { name: e.name, namespace: 'd', resourceVersion: String(e.rv) } };
          const d = decideEvent(c.get(`d/${e.name}`), e.type, o);
          const before = c.get(`d/${e.name}`);
          c.apply(d);
          const after = c.get(`d/${e.name}`);
          // The cached version never goes backwards while the object exists.
          if (before && after) expect(Number(after.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(before.metadata.resourceVersion));
        }
        expect(c.size()).toBeLessThanOrEqual(2);
        return true;
      }),
    );
  });
});
