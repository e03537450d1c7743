import { describe, expect, it } from 'vitest';
import { byServiceName, Cache, compareResourceVersions, decideEvent, diffRelist } from './cache.js';
import type { KubeObject } from './types.js';

const obj = (name: string, rv: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({ metadata: { name, namespace: 'default', resourceVersion: rv, uid: `u-${name}`, ...extra } });

describe('compareResourceVersions', () => {
  it.each<[string | undefined, string | undefined, number | undefined]>([
    ['1', '2', -1],
    ['10', '9', 1],
    ['5', '5', 0],
    ['abc', 'abd', undefined],
    ['abc', 'abc', 0],
    [undefined, '1', undefined],
    ['18446744073709551617', '18446744073709551616', 1],
  ])('%s vs %s = %s', (a, b, want) => expect(compareResourceVersions(a, b)).toBe(want));
});

describe('decideEvent (transition table)', () => {
  const cached = obj('a', '5');
  it.each<[string, KubeObject | undefined, 'ADDED' | 'MODIFIED' | 'DELETED', KubeObject, string]>([
    ['new object', undefined, 'ADDED', obj('a', '5'), 'add'],
    ['MODIFIED for an unknown object', undefined, 'MODIFIED', obj('a', '5'), 'add'],
    ['newer version', cached, 'MODIFIED', obj('a', '6'), 'update'],
    ['ADDED again but newer', cached, 'ADDED', obj('a', '6'), 'update'],
    ['same version again', cached, 'MODIFIED', obj('a', '5'), 'ignore:duplicate'],
    ['older version (out of order)', cached, 'MODIFIED', obj('a', '4'), 'ignore:stale'],
    ['delete of a cached object', cached, 'DELETED', obj('a', '7'), 'delete'],
    ['delete older than the cached object', cached, 'DELETED', obj('a', '3'), 'ignore:stale'],
    ['delete of an unknown object', undefined, 'DELETED', obj('a', '7'), 'ignore:unknown-delete'],
    ['opaque versions that differ', obj('a', 'x'), 'MODIFIED', obj('a', 'y'), 'update'],
  ])('%s → %s', (_name, c, type, o, want) => {
    const d = decideEvent(c, type, o);
    expect(d.kind === 'ignore' ? `ignore:${d.reason}` : d.kind).toBe(want);
  });
});

describe('diffRelist', () => {
  it('adds, updates changed versions, and deletes vanished objects as finalStateUnknown', () => {
    const cached = new Map([
      ['default/a', obj('a', '1')],
      ['default/b', obj('b', '2')],
      ['default/c', obj('c', '3')],
    ]);
    const d = diffRelist(cached, [obj('a', '1'), obj('b', '9'), obj('d', '4')]);
    expect(d.map((x) => `${x.kind}:${x.object.metadata.name}${x.kind === 'delete' ? `:${x.finalStateUnknown}` : ''}`)).toEqual(['update:b', 'add:d', 'delete:c:true']);
  });
  it('treats a recreated object (new uid, same version) as an update', () => {
    const d = diffRelist(new Map([['default/a', obj('a', '1')]]), [obj('a', '1', { uid: 'other' })]);
    expect(d.map((x) => x.kind)).toEqual(['update']);
  });
});

describe('Cache', () => {
  it('keeps namespace, label and custom indexes in step with changes', () => {
    const c = new Cache<KubeObject>({ service: byServiceName });
    const slice = (name: string, svc: string, ns = 'default') => ({ metadata: { name, namespace: ns, resourceVersion: '1', labels: { 'kubernetes.io/service-name': svc } } });
    c.apply({ kind: 'add', object: slice('s1', 'web') });
    c.apply({ kind: 'add', object: slice('s2', 'web') });
    c.apply({ kind: 'add', object: slice('s3', 'db', 'other') });
    expect(c.byIndex('service', 'default/web').map((o) => o.metadata.name).sort()).toEqual(['s1', 's2']);
    expect(c.byNamespace('other').map((o) => o.metadata.name)).toEqual(['s3']);
    c.apply({ kind: 'update', old: slice('s2', 'web'), object: slice('s2', 'db') });
    expect(c.byIndex('service', 'default/web').map((o) => o.metadata.name)).toEqual(['s1']);
    expect(c.byLabels({ 'kubernetes.io/service-name': 'db' }).map((o) => o.metadata.name).sort()).toEqual(['s2', 's3']);
    c.apply({ kind: 'delete', object: slice('s1', 'web'), finalStateUnknown: false });
    expect(c.byIndex('service', 'default/web')).toEqual([]);
    expect(c.size()).toBe(2);
    expect(() => c.byIndex('nope', 'x')).toThrow(/no index "nope"/);
  });
  it('snapshots are isolated from later changes', () => {
    const c = new Cache<KubeObject>();
    c.apply({ kind: 'add', object: obj('a', '1') });
    const snap = c.snapshot();
    c.apply({ kind: 'add', object: obj('b', '1') });
    expect(snap.keys()).toEqual(['default/a']);
    expect(snap.byNamespace('default')).toHaveLength(1);
  });
  it('builds an index on its first query only, then keeps it in step', () => {
    const c = new Cache<KubeObject>({ app: (o) => [o.metadata.labels?.app ?? ''] });
    for (let i = 0; i < 3; i++) c.apply({ kind: 'add', object: obj(`s${i}`, '1', { labels: { app: `a${i}`, tier: 'web' } }) });
    expect(c.builtIndexes()).toEqual([]); // nobody asked: no Set per label value
    expect(c.byLabels({ tier: 'web' })).toHaveLength(3);
    expect(c.builtIndexes()).toEqual(['label']);
    c.apply({ kind: 'update', old: obj('s0', '1', { labels: { app: 'a0', tier: 'web' } }), object: obj('s0', '2', { labels: { app: 'a0', tier: 'db' } }) });
    c.apply({ kind: 'add', object: obj('s9', '1', { labels: { app: 'a9', tier: 'web' } }) });
    expect(c.byLabels({ tier: 'web' }).map((o) => o.metadata.name).sort()).toEqual(['s1', 's2', 's9']);
    expect(c.byLabels({ tier: 'db' }).map((o) => o.metadata.name)).toEqual(['s0']);
    expect(c.byIndex('app', 'a9')).toHaveLength(1);
    expect(c.builtIndexes().sort()).toEqual(['app', 'label']);
    c.apply({ kind: 'delete', object: obj('s9', '1'), finalStateUnknown: false });
    expect(c.byIndex('app', 'a9')).toEqual([]);
    expect(c.byLabels({ tier: 'web' })).toHaveLength(2);
    c.addIndex('app', (o) => [`x-${o.metadata.labels?.app ?? ''}`]); // replaced: rebuilt on the next query
    expect(c.byIndex('app', 'x-a1')).toHaveLength(1);
  });
  it('addIndex indexes existing objects', () => {
    const c = new Cache<KubeObject>();
    c.apply({ kind: 'add', object: obj('a', '1', { labels: { app: 'x' } }) });
    c.addIndex('app', (o) => [o.metadata.labels?.app ?? '']);
    expect(c.byIndex('app', 'x')).toHaveLength(1);
  });
});
