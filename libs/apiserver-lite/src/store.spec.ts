import { ManualClock } from '@metallb-ts/clock/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryPersistence } from './snapshot-file.js';
import { ObjectStore, type ChangeEvent, type KObject } from './store.js';

const cm = (namespace: string | undefined, name: string, data = '') => ({ metadata: { name, ...(namespace ? { namespace } : {}) }, data: { d: data } }) as KObject;
const names = (l: KObject[]) => l.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);
const byteSorted = (ids: string[]) => [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

describe('ObjectStore lists from its index', () => {
  it('lists in byte order of namespace/name across namespaces, and per namespace', () => {
    const s = new ObjectStore({ clock: new ManualClock() });
    for (const [ns, n] of [['b', 'x'], ['a', 'y'], ['a-b', 'x'], ['a', 'X'], ['default', 'web']] as const) s.put('/configmaps', cm(ns, n));
    expect(names(s.list('/configmaps'))).toEqual(['a-b/x', 'a/X', 'a/y', 'b/x', 'default/web']);
    expect(names(s.list('/configmaps', 'a'))).toEqual(['a/X', 'a/y']);
    expect(s.list('/configmaps', 'nope')).toEqual([]);
    expect(s.list('/nothing')).toEqual([]);
    expect(s.count('/configmaps')).toBe(5);
    expect(s.count('/configmaps', 'a')).toBe(2);
  });

  it('commits, rollbacks, removals and recovery keep lists equal to sorting every object (model check)', () => {
    const ops = fc.array(
      fc.record({ ns: fc.constantFrom('a', 'a-b', 'b'), name: fc.constantFrom('p', 'q', 'r-1', 'S'), remove: fc.boolean(), fail: fc.boolean() }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(ops, (list) => {
        const persistence = new MemoryPersistence({ log: true });
        const s = new ObjectStore({ clock: new ManualClock(), persistence });
        const model = new Map<string, string>();
        for (const op of list) {
          const id = `${op.ns}/${op.name}`;
          const run = () => {
            if (op.remove) s.remove('/configmaps', op.ns, op.name);
            else s.put('/configmaps', cm(op.ns, op.name, String(s.currentRv())));
            if (op.fail) throw new Error('rolled back');
          };
          try {
            s.transaction(run);
          } catch {
            /* rolled back */
          }
          if (!op.fail) {
            if (op.remove) model.delete(id);
            else model.set(id, id);
          }
          expect(names(s.list('/configmaps'))).toEqual(byteSorted([...model.keys()]));
          for (const ns of ['a', 'a-b', 'b']) expect(names(s.list('/configmaps', ns))).toEqual(byteSorted([...model.keys()].filter((k) => k.startsWith(`${ns}/`))));
        }
        // A crash and a recovery from the log rebuild the same index.
        const again = new ObjectStore({ clock: new ManualClock(), persistence });
        expect(names(again.list('/configmaps'))).toEqual(names(s.list('/configmaps')));
        expect(again.keys()).toEqual(model.size ? ['/configmaps'] : []);
      }),
    );
  });

  it('a key disappears with its last object (keys() lists only keys with objects)', () => {
    const s = new ObjectStore({ clock: new ManualClock() });
    s.put('/configmaps', cm('a', 'x'));
    expect(s.keys()).toEqual(['/configmaps']);
    s.remove('/configmaps', 'a', 'x');
    expect(s.keys()).toEqual([]);
    s.put('/configmaps', cm('a', 'y'));
    expect(s.silentRemove('/configmaps', 'a', 'y')).toBe(true);
    expect(s.keys()).toEqual([]);
  });

  it('namespaceHasObjects looks at every resource but the excepted one', () => {
    const s = new ObjectStore({ clock: new ManualClock() });
    s.put('/namespaces', cm(undefined, 'a'));
    expect(s.namespaceHasObjects('a', '/namespaces')).toBe(false);
    s.put('/pods', cm('a', 'p'));
    s.put('/configmaps', cm('a', 'c'));
    expect(s.namespaceHasObjects('a', '/namespaces')).toBe(true);
    expect(s.namespaceHasObjects('a', '/pods')).toBe(true);
    s.remove('/configmaps', 'a', 'c');
    expect(s.namespaceHasObjects('a', '/pods')).toBe(false);
    expect(s.namespaceHasObjects('b')).toBe(false);
  });
});

describe('ObjectStore watchers', () => {
  it('a change reaches only the watchers of its resource (and namespace), in subscription order', () => {
    const s = new ObjectStore({ clock: new ManualClock() });
    const got: string[] = [];
    const sub = (tag: string, key: string, namespace?: string) => s.watch({ key, namespace, send: (e: ChangeEvent) => got.push(`${tag}:${e.type}:${e.object.metadata.name}`) }, s.currentRv());
    sub('all-1', '/configmaps');
    const stopNs = sub('ns-a', '/configmaps', 'a');
    sub('pods', '/pods');
    sub('all-2', '/configmaps');
    expect(s.watcherCount()).toBe(4);
    s.put('/configmaps', cm('a', 'x'));
    s.put('/configmaps', cm('b', 'y'));
    expect(got).toEqual(['all-1:ADDED:x', 'ns-a:ADDED:x', 'all-2:ADDED:x', 'all-1:ADDED:y', 'all-2:ADDED:y']);
    stopNs();
    stopNs();
    expect(s.watcherCount()).toBe(3);
    got.length = 0;
    s.remove('/configmaps', 'a', 'x');
    expect(got).toEqual(['all-1:DELETED:x', 'all-2:DELETED:x']);
  });

  it('a watcher that throws neither fails the write nor starves the others', () => {
    const s = new ObjectStore({ clock: new ManualClock() });
    const got: string[] = [];
    s.watch({ key: '/configmaps', send: () => { throw new Error('broken pipe'); } }, s.currentRv());
    s.watch({ key: '/configmaps', send: (e) => got.push(e.object.metadata.name) }, s.currentRv());
    expect(s.put('/configmaps', cm('a', 'x')).metadata.name).toBe('x');
    expect(got).toEqual(['x']);
  });

  it('a watcher may unsubscribe itself while a change is delivered', () => {
    const s = new ObjectStore({ clock: new ManualClock() });
    const got: string[] = [];
    const stop = s.watch({ key: '/configmaps', send: (e) => { got.push(`first:${e.object.metadata.name}`); stop(); } }, s.currentRv());
    s.watch({ key: '/configmaps', send: (e) => got.push(`second:${e.object.metadata.name}`) }, s.currentRv());
    s.put('/configmaps', cm('a', 'x'));
    s.put('/configmaps', cm('a', 'y'));
    expect(got).toEqual(['first:x', 'second:x', 'second:y']);
    expect(s.watcherCount()).toBe(1);
  });
});
