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

/** A log that counts appends and syncs, and can be told to fail its next sync. */
function countingLog() {
  const mem = new MemoryPersistence({ log: true });
  const calls: string[] = [];
  let failNext = false;
  const p = {
    load: () => mem.load(),
    save: (s: Parameters<MemoryPersistence['save']>[0]) => mem.save(s),
    loadLog: () => mem.loadLog(),
    append: (r: Parameters<NonNullable<MemoryPersistence['append']>>[0]) => {
      calls.push(`append ${r.seq}`);
      mem.append!(r);
    },
    sync: () => {
      calls.push('sync');
      if (failNext) {
        failNext = false;
        throw new Error('EIO');
      }
    },
  };
  return { p, calls, failSync: () => (failNext = true) };
}
const turn = () => new Promise<void>((r) => setImmediate(r));

describe('group commit (issue 16: one sync per event-loop turn)', () => {
  it('without it, every commit is synced before transaction returns and published at once', () => {
    const { p, calls } = countingLog();
    const s = new ObjectStore({ clock: new ManualClock(), persistence: p });
    calls.length = 0;
    const got: string[] = [];
    s.watch({ key: '/configmaps', send: (e) => got.push(e.object.metadata.name) }, s.currentRv());
    s.put('/configmaps', cm('a', 'x'));
    s.put('/configmaps', cm('a', 'y'));
    expect(calls).toEqual(['append 1', 'sync', 'append 2', 'sync']);
    expect(got).toEqual(['x', 'y']);
    expect(s.whenDurable()).toBeUndefined();
  });

  it('the commits of one turn share one sync; watchers and callers hear of them after it', async () => {
    const { p, calls } = countingLog();
    const s = new ObjectStore({ clock: new ManualClock(), persistence: p, groupCommit: true });
    calls.length = 0;
    const got: string[] = [];
    const before = s.currentRv();
    s.watch({ key: '/configmaps', send: (e) => got.push(e.object.metadata.name) }, before);
    expect(s.whenDurable()).toBeUndefined();
    s.put('/configmaps', cm('a', 'x'));
    s.put('/configmaps', cm('a', 'y'));
    s.transaction(() => {
      s.put('/configmaps', cm('a', 'z'));
      s.remove('/configmaps', 'a', 'x');
    });
    // Applied and logged, not yet published.
    expect(names(s.list('/configmaps'))).toEqual(['a/y', 'a/z']);
    expect(calls).toEqual(['append 1', 'append 2', 'append 3']);
    expect(got).toEqual([]);
    expect(s.publishedRv()).toBe(before);
    const durable = s.whenDurable()!;
    await durable;
    expect(calls).toEqual(['append 1', 'append 2', 'append 3', 'sync']);
    expect(got).toEqual(['x', 'y', 'z', 'x']);
    expect(s.publishedRv()).toBe(s.currentRv());
    expect(s.whenDurable()).toBeUndefined();
    // The history has them too: a watch from the old version replays all four.
    const replay: string[] = [];
    s.watch({ key: '/configmaps', send: (e) => replay.push(`${e.type} ${e.object.metadata.name}`) }, before)();
    expect(replay).toEqual(['ADDED x', 'ADDED y', 'ADDED z', 'DELETED x']);
  });

  it('a watcher that starts while changes pend gets those after its version only, in order', async () => {
    const { p } = countingLog();
    const s = new ObjectStore({ clock: new ManualClock(), persistence: p, groupCommit: true });
    const v0 = s.currentRv();
    s.put('/configmaps', cm('a', 'x'));
    const v1 = s.currentRv();
    s.put('/configmaps', cm('a', 'y'));
    const fromNow: string[] = [];
    const fromV1: string[] = [];
    const fromV0: string[] = [];
    s.watch({ key: '/configmaps', send: (e) => fromNow.push(e.object.metadata.name) }, s.currentRv());
    s.watch({ key: '/configmaps', send: (e) => fromV1.push(e.object.metadata.name) }, v1);
    s.watch({ key: '/configmaps', send: (e) => fromV0.push(e.object.metadata.name) }, v0);
    await s.whenDurable();
    expect(fromNow).toEqual([]);
    expect(fromV1).toEqual(['y']);
    expect(fromV0).toEqual(['x', 'y']);
    s.put('/configmaps', cm('a', 'z'));
    await s.whenDurable();
    expect(fromNow).toEqual(['z']);
  });

  it('a failed sync answers 500 to the waiting callers; the changes stay and are published', async () => {
    const { p, failSync } = countingLog();
    const s = new ObjectStore({ clock: new ManualClock(), persistence: p, groupCommit: true });
    const got: string[] = [];
    s.watch({ key: '/configmaps', send: (e) => got.push(e.object.metadata.name) }, s.currentRv());
    failSync();
    s.put('/configmaps', cm('a', 'x'));
    await expect(s.whenDurable()).rejects.toMatchObject({ code: 500, message: expect.stringContaining('could not be made durable: EIO') });
    expect(got).toEqual(['x']);
    s.put('/configmaps', cm('a', 'y'));
    await expect(s.whenDurable()).resolves.toBeUndefined();
  });

  it('a snapshot, compact and silentRemove publish pending changes first', async () => {
    const { p } = countingLog();
    const s = new ObjectStore({ clock: new ManualClock(), persistence: p, groupCommit: true });
    const v0 = s.currentRv();
    s.put('/configmaps', cm('a', 'x'));
    s.flush();
    expect(s.whenDurable()).toBeUndefined();
    const restored = new ObjectStore({ clock: new ManualClock(), persistence: p });
    const replay: string[] = [];
    restored.watch({ key: '/configmaps', send: (e) => replay.push(e.object.metadata.name) }, v0);
    expect(replay).toEqual(['x']);
    s.put('/configmaps', cm('a', 'y'));
    s.compact();
    expect(s.publishedRv()).toBe(s.currentRv());
    s.put('/configmaps', cm('a', 'z'));
    expect(s.silentRemove('/configmaps', 'a', 'x')).toBe(true);
    expect(s.whenDurable()).toBeUndefined();
    await turn();
  });

  it('without a sync to share (memory, or a log without sync) group commit changes nothing', () => {
    const s = new ObjectStore({ clock: new ManualClock(), groupCommit: true });
    const got: string[] = [];
    s.watch({ key: '/configmaps', send: (e) => got.push(e.object.metadata.name) }, s.currentRv());
    s.put('/configmaps', cm('a', 'x'));
    expect(got).toEqual(['x']);
    expect(s.whenDurable()).toBeUndefined();
  });
});
