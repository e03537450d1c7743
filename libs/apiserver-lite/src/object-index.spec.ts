import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResourceObjects, SortedIds } from './object-index.js';
import type { KObject } from './store.js';

const obj = (namespace: string | undefined, name: string, v = 0): KObject => ({ metadata: { name, ...(namespace === undefined ? {} : { namespace }) }, v });
const idOf = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
/** The order the store always had: every object, filtered, then sorted by id with `<`. */
const naiveList = (m: Map<string, KObject>, ns?: string) =>
  [...m.entries()]
    .filter(([, o]) => ns === undefined || o.metadata.namespace === ns)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, o]) => o);

describe('SortedIds', () => {
  it('lists ids in byte order however adds, deletes and reads interleave (model check)', () => {
    const op = fc.oneof(fc.record({ kind: fc.constant('add' as const), id: fc.string({ maxLength: 3 }) }), fc.record({ kind: fc.constant('delete' as const), id: fc.string({ maxLength: 3 }) }), fc.constant({ kind: 'read' as const, id: '' }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const s = new SortedIds();
        const model = new Set<string>();
        for (const o of ops) {
          if (o.kind === 'add' && !model.has(o.id)) {
            s.add(o.id);
            model.add(o.id);
          } else if (o.kind === 'delete' && model.has(o.id)) {
            s.delete(o.id);
            model.delete(o.id);
          } else if (o.kind === 'read') expect(s.sorted()).toEqual([...model].sort());
          expect(s.size).toBe(model.size);
        }
        expect(s.sorted()).toEqual([...model].sort());
      }),
    );
  });

  it('sorts by UTF-16 code units, as etcd keys of ASCII names sort by bytes ("a-b/x" before "a/x")', () => {
    const s = new SortedIds();
    for (const id of ['a/x', 'a-b/x', 'b/a', '/cluster', 'a/X']) s.add(id);
    expect(s.sorted()).toEqual(['/cluster', 'a-b/x', 'a/X', 'a/x', 'b/a']);
  });
});

describe('ResourceObjects', () => {
  const namespaces = [undefined, 'a', 'a-b', 'b', 'default'] as const;
  const names = ['x', 'x-1', 'y', 'web', 'Z'];

  it('list(), list(ns), countIn and get match filtering and sorting everything (model check)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), ns: fc.constantFrom(...namespaces), name: fc.constantFrom(...names), v: fc.nat(5) }),
      fc.record({ kind: fc.constant('delete' as const), ns: fc.constantFrom(...namespaces), name: fc.constantFrom(...names), v: fc.constant(0) }),
      fc.record({ kind: fc.constant('list' as const), ns: fc.constantFrom(...namespaces), name: fc.constant(''), v: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
        const r = new ResourceObjects();
        const model = new Map<string, KObject>();
        for (const o of ops) {
          if (o.kind === 'set') {
            const x = obj(o.ns, o.name, o.v);
            r.set(idOf(x), x);
            model.set(idOf(x), x);
          } else if (o.kind === 'delete') {
            const id = `${o.ns ?? ''}/${o.name}`;
            expect(r.delete(id)).toBe(model.delete(id));
          } else expect(r.list(o.ns)).toEqual(naiveList(model, o.ns));
          expect(r.size).toBe(model.size);
        }
        expect(r.list()).toEqual(naiveList(model));
        for (const ns of namespaces) {
          expect(r.list(ns)).toEqual(naiveList(model, ns));
          if (ns !== undefined) expect(r.countIn(ns)).toBe(naiveList(model, ns).length);
        }
        for (const [id, o] of model) expect(r.get(id)).toBe(o);
      }),
    );
  });

  it('replacing an object keeps one entry and lists the new version', () => {
    const r = new ResourceObjects();
    r.set('a/x', obj('a', 'x', 1));
    expect(r.list('a')).toEqual([obj('a', 'x', 1)]);
    r.set('a/x', obj('a', 'x', 2));
    expect(r.list()).toEqual([obj('a', 'x', 2)]);
    expect(r.countIn('a')).toBe(1);
  });

  it('an object whose namespace is not a string is listed without a namespace filter only (as before)', () => {
    const r = new ResourceObjects();
    const odd = { metadata: { name: 'odd', namespace: 7 as unknown as string } };
    r.set('7/odd', odd);
    expect(r.list()).toEqual([odd]);
    expect(r.list('7')).toEqual([]);
    expect(r.delete('7/odd')).toBe(true);
    expect(r.size).toBe(0);
  });

  it('list returns a new array each time: changing it changes nothing stored', () => {
    const r = new ResourceObjects();
    r.set('a/x', obj('a', 'x'));
    r.list().pop();
    expect(r.list()).toHaveLength(1);
  });
});
