import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepEqual, jsonPatch, mergePatch, strategicMergePatch } from './patch.js';

describe('merge patch (RFC 7386 Appendix A)', () => {
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ])('%j + %j = %j', (target, patch, want) => {
    expect(mergePatch(target, patch)).toEqual(want);
  });

  it('never mutates its inputs', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const ca = structuredClone(a);
        const cb = structuredClone(b);
        mergePatch(a, b);
        return deepEqual(a, ca) && deepEqual(b, cb);
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (a, p) => deepEqual(mergePatch(mergePatch(a, p), p), mergePatch(a, p))));
  });
});

describe('json patch (RFC 6902)', () => {
  const doc = { spec: { ports: [{ port: 80 }], type: 'ClusterIP' }, metadata: { labels: { a: 'b' } } };
  it('adds, replaces, removes, moves, copies and tests', () => {
    const out = jsonPatch(doc, [
      { op: 'add', path: '/spec/ports/-', value: { port: 443 } },
      { op: 'replace', path: '/spec/type', value: 'LoadBalancer' },
      { op: 'remove', path: '/metadata/labels/a' },
      { op: 'add', path: '/metadata/labels/x~1y', value: 'z' },
      { op: 'copy', from: '/spec/type', path: '/spec/copied' },
      { op: 'move', from: '/spec/copied', path: '/spec/moved' },
      { op: 'test', path: '/spec/ports/1/port', value: 443 },
    ]);
    expect(out).toEqual({ spec: { ports: [{ port: 80 }, { port: 443 }], type: 'LoadBalancer', moved: 'LoadBalancer' }, metadata: { labels: { 'x/y': 'z' } } });
    expect(doc.spec.ports).toHaveLength(1);
  });
  it.each([
    [[{ op: 'test', path: '/spec/type', value: 'NodePort' }], 422],
    [[{ op: 'remove', path: '/spec/nothing' }], 422],
    [[{ op: 'replace', path: '/spec/nothing', value: 1 }], 422],
    [[{ op: 'add', path: '/spec/ports/5', value: 1 }], 422],
    [[{ op: 'frobnicate', path: '/spec' }], 400],
    [{ op: 'add' }, 400],
  ])('%j fails with %d', (ops, code) => {
    expect(() => jsonPatch(doc, ops)).toThrow(expect.objectContaining({ code }));
  });
});

describe('strategic merge patch', () => {
  const svc = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443 }], selector: { app: 'web' } }, metadata: { finalizers: ['a'] } };
  it('merges Service ports by port and keeps unnamed fields', () => {
    const out = strategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } });
    expect(out.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 9090 }, { name: 'https', port: 443 }]);
  });
  it('honours $patch: delete, $setElementOrder and $deleteFromPrimitiveList', () => {
    const out = strategicMergePatch(svc, {
      spec: { ports: [{ port: 443, $patch: 'delete' }, { port: 8443, name: 'alt' }], '$setElementOrder/ports': [{ port: 8443 }, { port: 80 }] },
      metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
    });
    expect(out.spec.ports).toEqual([{ port: 8443, name: 'alt' }, { name: 'http', port: 80, targetPort: 8080 }]);
    expect(out.metadata.finalizers).toEqual([]);
  });
  it('merges primitive sets (finalizers) and replaces other lists', () => {
    const out = strategicMergePatch({ metadata: { finalizers: ['a'] }, spec: { list: [1, 2] } }, { metadata: { finalizers: ['b'] }, spec: { list: [3] } });
    expect(out).toEqual({ metadata: { finalizers: ['a', 'b'] }, spec: { list: [3] } });
  });
  it('$patch: replace replaces a whole map', () => {
    expect(strategicMergePatch({ spec: { selector: { a: '1', b: '2' } } }, { spec: { selector: { $patch: 'replace', c: '3' } } })).toEqual({ spec: { selector: { c: '3' } } });
  });
});
