import { describe, expect, it } from 'vitest';
import { fieldPaths, fromFieldsV1, serverSideApply, toFieldsV1 } from './apply.js';
import type { KObject } from './store.js';

const obj = (extra: Record<string, unknown>, labels?: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x', ...(labels ? { labels } : {}) }, ...extra });
const owned = (o: KObject) => (o.metadata.managedFields ?? []).map((e: any) => `${e.manager}: ${[...fromFieldsV1(e.fieldsV1)].map((p) => JSON.parse(p).join('.')).sort().join(' ')}`);
const req = (live: KObject | undefined, applied: KObject, manager: string, more: Partial<Parameters<typeof serverSideApply>[0]> = {}) => serverSideApply({ live, applied, manager, force: false, apiVersion: 'v1', time: 't', ...more });

describe('server-side apply', () => {
  it('FieldsV1 round-trips field paths (generateName is owned, system metadata is not)', () => {
    const paths = fieldPaths({ metadata: { name: 'n', generateName: 'g-', uid: 'u', labels: { a: 'b' } }, spec: { x: 1, y: [1, 2] } });
    expect([...paths].map((p) => JSON.parse(p).join('.')).sort()).toEqual(['metadata.generateName', 'metadata.labels.a', 'spec.x', 'spec.y']);
    expect(fromFieldsV1(toFieldsV1(paths))).toEqual(paths);
  });

  it('a label the manager stops applying is removed when nobody else owns it (regression: it came back from the live metadata)', () => {
    const first = req(undefined, obj({ data: { x: '1' } }, { l: 'v' }), 'a');
    const second = req(first, obj({ data: { x: '1' } }), 'a');
    expect(second.metadata.labels).toBeUndefined();
    expect(owned(second)).toEqual(['a: data.x']);
  });

  it('through /status a manager owns only status; on the main resource of a kind with the subresource, nothing under status', () => {
    const live = req(undefined, obj({ spec: { a: 1 } }), 'main', { statusSubresource: true });
    const st = req(live, obj({ spec: { a: 2 }, status: { s: 1 } }), 'st', { subresource: 'status' });
    expect(owned(st)).toEqual(['main: spec.a', 'st: status.s']);
    const main = req({ ...st, status: { s: 1 } }, obj({ spec: { a: 1 }, status: { s: 9 } }), 'main', { statusSubresource: true });
    expect(owned(main)).toEqual(['st: status.s', 'main: spec.a']);
  });

  it('a conflict names each field and manager; force takes the field over', () => {
    const live = req(undefined, obj({ data: { x: '1' } }), 'a');
    expect(() => req(live, obj({ data: { x: '2' } }), 'b')).toThrow(expect.objectContaining({ code: 409, message: 'Apply failed with 1 conflict: conflict with "a": .data.x' }));
    expect(owned(req(live, obj({ data: { x: '2' } }), 'b', { force: true }))).toEqual(['b: data.x']);
  });
});
