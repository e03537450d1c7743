import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { Api } from './api.js';
import { PATCH_TYPES } from './patch-types.js';
import { MemoryPersistence } from './snapshot-file.js';
import type { ChangeEvent } from './store.js';

const fixtureCrds = readFileSync(new URL('../test/fixtures/crds/widgets.yaml', import.meta.url), 'utf8');

function setup(persistence?: MemoryPersistence) {
  const clock = new ManualClock();
  const api = new Api({ clock, rng: new SeededRng(1), persistence });
  api.applyManifests(fixtureCrds);
  api.applyManifests('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"widgets"}}');
  const svc = api.mustType('', 'v1', 'services');
  const wp = api.mustType('test.metallb-ts.dev', 'v1beta1', 'widgetpools');
  const wpAlpha = api.mustType('test.metallb-ts.dev', 'v1alpha1', 'widgetpools');
  const pods = api.mustType('', 'v1', 'pods');
  const slices = api.mustType('discovery.k8s.io', 'v1', 'endpointslices');
  return { clock, api, svc, wp, wpAlpha, pods, slices };
}

const pool = (name: string, spec: Record<string, unknown> = { addresses: ['198.51.100.0/24'] }) => ({ apiVersion: 'test.metallb-ts.dev/v1beta1', kind: 'WidgetPool', metadata: { name }, spec });

function events(api: Api, key: string, from = api.store.oldestWatchableRv()): ChangeEvent[] {
  const out: ChangeEvent[] = [];
  const stop = api.store.watch({ key, send: (e) => out.push(e) }, from);
  stop();
  return out;
}

describe('create and read', () => {
  it('sets uid, creationTimestamp, generation, resourceVersion and defaults', () => {
    const { api, wp, clock } = setup();
    const o = api.create(wp, 'widgets', pool('a'));
    expect(o.metadata).toMatchObject({ name: 'a', namespace: 'widgets', generation: 1, creationTimestamp: new Date(clock.now()).toISOString().replace('.000', '') });
    expect(o.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number(o.metadata.resourceVersion)).toBe(api.store.currentRv());
    expect(o.spec).toEqual({ addresses: ['198.51.100.0/24'], autoAssign: true, avoidBuggyIPs: false });
    expect(api.get(wp, 'widgets', 'a')).toEqual(o);
  });
  it('refuses duplicates, missing namespaces, bad names and invalid specs with Kubernetes errors', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    expect(() => api.create(wp, 'widgets', pool('a'))).toThrow(expect.objectContaining({ code: 409, reason: 'AlreadyExists', message: 'widgetpools.test.metallb-ts.dev "a" already exists' }));
    expect(() => api.create(wp, 'nope', pool('b'))).toThrow(expect.objectContaining({ code: 404, message: 'namespaces "nope" not found' }));
    expect(() => api.create(wp, 'widgets', pool('Bad_Name'))).toThrow(expect.objectContaining({ code: 422 }));
    expect(() => api.create(wp, 'widgets', pool('c', {}))).toThrow(expect.objectContaining({ code: 422, message: 'WidgetPool.test.metallb-ts.dev "c" is invalid: [spec.addresses: Required value, <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]' }));
  });
  it('serves every version of a CRD from one storage', () => {
    const { api, wp, wpAlpha } = setup();
    api.create(wp, 'widgets', pool('a'));
    expect(api.get(wpAlpha, 'widgets', 'a').apiVersion).toBe('test.metallb-ts.dev/v1alpha1');
  });
  it('generateName makes a unique name', () => {
    const { api, wp } = setup();
    const o = api.create(wp, 'widgets', { ...pool(''), metadata: { generateName: 'gen-' } });
    expect(o.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });
});

describe('updates', () => {
  it('refuses a stale resourceVersion with 409 Conflict', () => {
    const { api, wp } = setup();
    const a = api.create(wp, 'widgets', pool('a'));
    api.update(wp, 'widgets', 'a', { ...a, spec: { ...a.spec, autoAssign: false } });
    expect(() => api.update(wp, 'widgets', 'a', { ...a, spec: { ...a.spec, mode: 'bgp' } })).toThrow(
      expect.objectContaining({ code: 409, message: 'Operation cannot be fulfilled on widgetpools.test.metallb-ts.dev "a": the object has been modified; please apply your changes to the latest version and try again' }),
    );
  });
  it('bumps generation on spec changes only, and ignores status on the main resource', () => {
    const { api, wp } = setup();
    const a = api.create(wp, 'widgets', pool('a'));
    const b = api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { spec: { autoAssign: false }, status: { assigned: 3 } });
    expect(b.metadata.generation).toBe(2);
    expect(b.status).toBeUndefined();
    const c = api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { status: { assigned: 3 } }, {}, 'status');
    expect(c.metadata.generation).toBe(2);
    expect(c.status).toEqual({ assigned: 3 });
    const d = api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { metadata: { labels: { x: 'y' } } });
    expect(d.metadata.generation).toBe(2);
    expect(Number(d.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
  });
  it('a status write cannot change the spec', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    const s = api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { spec: { autoAssign: false }, status: { assigned: 1 } }, {}, 'status');
    expect(s.spec.autoAssign).toBe(true);
  });
  it('a no-op update keeps the resourceVersion and emits no event', () => {
    const { api, wp } = setup();
    const a = api.create(wp, 'widgets', pool('a'));
    const rv = api.store.currentRv();
    const b = api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { spec: { autoAssign: true } });
    expect(b.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(api.store.currentRv()).toBe(rv);
  });
  it('a merge patch carrying a resourceVersion is conditional', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    expect(() => api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { metadata: { resourceVersion: '1' }, spec: { autoAssign: false } })).toThrow(expect.objectContaining({ code: 409 }));
  });
  it('strategic merge patch is refused for custom resources', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    expect(() => api.patch(wp, 'widgets', 'a', PATCH_TYPES.strategic, { spec: {} })).toThrow(expect.objectContaining({ code: 415 }));
  });
  it('CEL transition rules see the old object', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    expect(() => api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { spec: { avoidBuggyIPs: true } })).toThrow(expect.objectContaining({ code: 422, message: 'WidgetPool.test.metallb-ts.dev "a" is invalid: spec: Invalid value: "object": avoidBuggyIPs is immutable' }));
  });
});

describe('deletion', () => {
  it('with finalizers sets deletionTimestamp; removing the last finalizer deletes', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', { ...pool('a'), metadata: { name: 'a', finalizers: ['test/hold'] } });
    const d = api.delete(wp, 'widgets', 'a');
    expect(d.metadata.deletionTimestamp).toBeDefined();
    expect(api.get(wp, 'widgets', 'a').metadata.deletionTimestamp).toBeDefined();
    api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { metadata: { finalizers: null } });
    expect(() => api.get(wp, 'widgets', 'a')).toThrow(expect.objectContaining({ code: 404 }));
    expect(events(api, 'test.metallb-ts.dev/widgetpools').map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });
  it('deleting a namespace deletes its contents', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    api.delete(api.mustType('', 'v1', 'namespaces'), undefined, 'widgets');
    expect(api.store.list('test.metallb-ts.dev/widgetpools')).toEqual([]);
    expect(api.store.get('/namespaces', undefined, 'widgets')).toBeUndefined();
  });
  it('deleting a CRD removes its type and objects', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    api.delete(api.mustType('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), undefined, 'widgetpools.test.metallb-ts.dev');
    expect(api.types.get('test.metallb-ts.dev', 'v1beta1', 'widgetpools')).toBeUndefined();
    expect(api.store.list('test.metallb-ts.dev/widgetpools')).toEqual([]);
  });
  it('delete preconditions are checked', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    expect(() => api.delete(wp, 'widgets', 'a', { preconditions: { uid: 'other' } })).toThrow(expect.objectContaining({ code: 409 }));
  });
});

describe('server-side apply', () => {
  it('creates, records the manager, and conflicts with another manager on a different value', () => {
    const { api, wp } = setup();
    const a = api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a', { addresses: ['198.51.100.0/24'], mode: 'layer2' }), { fieldManager: 'alice' });
    expect(a.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'alice', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:addresses': {}, 'f:mode': {} } } })]);
    // Same value from another manager: shared ownership, no conflict.
    api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a', { addresses: ['198.51.100.0/24'], mode: 'layer2' }), { fieldManager: 'bob' });
    expect(() => api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a', { addresses: ['198.51.100.0/24'], mode: 'bgp' }), { fieldManager: 'bob' })).toThrow(
      expect.objectContaining({ code: 409, message: 'Apply failed with 1 conflict: conflict with "alice": .spec.mode' }),
    );
    const forced = api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a', { addresses: ['198.51.100.0/24'], mode: 'bgp', port: 1 }), { fieldManager: 'bob', force: true });
    expect(forced.spec.mode).toBe('bgp');
    expect(forced.metadata.managedFields!.find((e: any) => e.manager === 'alice').fieldsV1).toEqual({ 'f:spec': { 'f:addresses': {} } });
  });
  it('removes fields a manager stops applying', () => {
    const { api, wp } = setup();
    api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a', { addresses: ['198.51.100.0/24'], mode: 'layer2' }), { fieldManager: 'alice' });
    const b = api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a', { addresses: ['198.51.100.0/24'] }), { fieldManager: 'alice' });
    expect(b.spec.mode).toBeUndefined();
  });
  it('applying to the status of a missing object is a 404', () => {
    const { api, wp } = setup();
    expect(() => api.patch(wp, 'widgets', 'nope', PATCH_TYPES.apply, { ...pool('nope'), status: { assigned: 1 } }, { fieldManager: 'c' }, 'status')).toThrow(expect.objectContaining({ code: 404 }));
  });
  it('requires a fieldManager', () => {
    const { api, wp } = setup();
    expect(() => api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a'), {})).toThrow(expect.objectContaining({ code: 422 }));
  });
  it('conflicts with an Update manager that changed the field', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'), { fieldManager: 'kubectl-edit' });
    api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { spec: { mode: 'layer2' } }, { fieldManager: 'kubectl-edit' });
    expect(() => api.patch(wp, 'widgets', 'a', PATCH_TYPES.apply, pool('a', { addresses: ['198.51.100.0/24'], mode: 'bgp', port: 1 }), { fieldManager: 'ctl' })).toThrow(
      expect.objectContaining({ code: 409, message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using test.metallb-ts.dev/v1beta1: .spec.mode' }),
    );
  });
});

describe('Services and the EndpointSlice simulation', () => {
  it('defaults Services and allocates cluster IPs and node ports that survive updates', () => {
    const { api, svc } = setup();
    const s = api.create(svc, 'default', { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    expect(s.spec).toMatchObject({ type: 'LoadBalancer', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', externalTrafficPolicy: 'Cluster' });
    expect(s.spec.ports[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30000 });
    const u = api.update(svc, 'default', 'web', { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], selector: { app: 'web' } } });
    expect(u.spec.clusterIP).toBe('10.96.0.10');
    expect(u.spec.ports[0].nodePort).toBe(30000);
    const d = api.create(svc, 'default', { metadata: { name: 'dual' }, spec: { ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6'], ports: [{ port: 1 }] } });
    expect(d.spec.ipFamilies).toEqual(['IPv6', 'IPv4']);
    expect(d.spec.clusterIPs).toHaveLength(2);
  });
  it('reports a full node port range like the real server', () => {
    const { api, svc } = setup();
    for (let i = 0; i < 2768; i++) api.create(svc, 'default', { metadata: { name: `s${i}` }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    expect(() => api.create(svc, 'default', { metadata: { name: 'one-too-many' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } })).toThrow(
      expect.objectContaining({ code: 500, message: 'Internal error occurred: failed to allocate a nodePort: range is full' }),
    );
    // Without node ports a LoadBalancer Service still fits.
    expect(api.create(svc, 'default', { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] } }).spec.ports[0].nodePort).toBeUndefined();
  });
  it('keeps an EndpointSlice of ready pods for a Service selector', () => {
    const { api, svc, pods, slices } = setup();
    api.create(svc, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } });
    // As on kube-apiserver, a Pod's status comes through /status (a create drops it).
    const pod = (name: string, labels: Record<string, string>, spec: Record<string, unknown>, status: Record<string, unknown>) => {
      api.create(pods, 'default', { metadata: { name, labels }, spec });
      api.patch(pods, 'default', name, PATCH_TYPES.merge, { status }, {}, 'status');
    };
    pod('p1', { app: 'web' }, { nodeName: 'n1' }, { podIP: '10.244.0.5', conditions: [{ type: 'Ready', status: 'True' }] });
    pod('p2', { app: 'web' }, { nodeName: 'n2' }, { podIP: '10.244.0.6', conditions: [{ type: 'Ready', status: 'False' }] });
    pod('other', { app: 'db' }, {}, { podIP: '10.244.0.7' });
    const list = api.list(slices, 'default', api.selection('kubernetes.io/service-name=web')).items;
    expect(list).toHaveLength(1);
    expect(list[0]!.endpoints.map((e: any) => [e.addresses[0], e.nodeName, e.conditions.ready])).toEqual([
      ['10.244.0.5', 'n1', true],
      ['10.244.0.6', 'n2', false],
    ]);
    expect(list[0]!.ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    api.delete(svc, 'default', 'web');
    expect(api.list(slices, 'default', api.selection()).items).toEqual([]);
  });
});

describe('history, watch resumption and persistence', () => {
  it('replays history after a resourceVersion and answers 410 once compacted', () => {
    const { api, wp } = setup();
    const a = api.create(wp, 'widgets', pool('a'));
    api.create(wp, 'widgets', pool('b'));
    expect(events(api, 'test.metallb-ts.dev/widgetpools', Number(a.metadata.resourceVersion)).map((e) => e.object.metadata.name)).toEqual(['b']);
    api.store.compact();
    expect(() => events(api, 'test.metallb-ts.dev/widgetpools', Number(a.metadata.resourceVersion))).toThrow(expect.objectContaining({ code: 410 }));
  });
  it('a resourceVersion from the future (server reset) is 410 Gone', () => {
    const { api } = setup();
    expect(() => events(api, 'test.metallb-ts.dev/widgetpools', api.store.currentRv() + 1)).toThrow(expect.objectContaining({ code: 410, message: expect.stringMatching(/too large resource version/) }));
    expect(events(api, 'test.metallb-ts.dev/widgetpools', api.store.currentRv())).toEqual([]);
  });
  it('bounded history expires old resourceVersions', () => {
    const clock = new ManualClock();
    const api = new Api({ clock, rng: new SeededRng(2), historySize: 3, simulateControllers: false });
    const cm = api.mustType('', 'v1', 'configmaps');
    for (let i = 0; i < 6; i++) api.create(cm, 'default', { metadata: { name: `c${i}` } });
    // History is trimmed in batches: between historySize and 110 % of it is kept.
    for (let i = 6; i < 40; i++) api.create(cm, 'default', { metadata: { name: `c${i}` } });
    const kept = api.store.currentRv() - api.store.oldestWatchableRv();
    expect(kept).toBeGreaterThanOrEqual(3);
    expect(kept).toBeLessThanOrEqual(4);
    expect(() => api.store.watch({ key: '/configmaps', send: () => {} }, api.store.oldestWatchableRv() - 1)).toThrow(expect.objectContaining({ code: 410 }));
  });
  it('restores objects, resourceVersion, CRDs and history from a snapshot', () => {
    const persistence = new MemoryPersistence();
    const first = setup(persistence);
    const a = first.api.create(first.wp, 'widgets', pool('a'));
    first.api.create(first.wp, 'widgets', pool('b'));
    first.api.store.flush();
    const second = setup(persistence);
    expect(second.api.get(second.wp, 'widgets', 'a')).toEqual(a);
    expect(second.api.store.currentRv()).toBe(first.api.store.currentRv());
    expect(events(second.api, 'test.metallb-ts.dev/widgetpools', Number(a.metadata.resourceVersion)).map((e) => e.object.metadata.name)).toEqual(['b']);
    const c = second.api.create(second.wp, 'widgets', pool('c'));
    expect(Number(c.metadata.resourceVersion)).toBe(first.api.store.currentRv() + 1);
  });
  it('writes snapshots debounced on the clock', () => {
    const persistence = new MemoryPersistence();
    const { api, wp, clock } = setup(persistence);
    api.create(wp, 'widgets', pool('z'));
    expect(persistence.load()).toBeUndefined();
    clock.advance(50);
    expect(persistence.load()!.objects.some((o) => o.object.metadata.name === 'z')).toBe(true);
  });
});

describe('rolled-back writes (issue 16: O(1) unless they allocated)', () => {
  const lb = (name: string) => ({ metadata: { name }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });

  it('a 404, a 409 or a refused create of a Service reads no other Service, and allocations stay right', () => {
    const { api, svc } = setup();
    api.create(svc, 'default', lb('a'));
    const list = vi.spyOn(api.store, 'list');
    expect(() => api.patch(svc, 'default', 'missing', PATCH_TYPES.merge, { metadata: { annotations: { x: 'y' } } })).toThrow(expect.objectContaining({ code: 404 }));
    expect(() => api.update(svc, 'default', 'a', { ...lb('a'), metadata: { name: 'a', resourceVersion: '1' } })).toThrow(expect.objectContaining({ code: 409 }));
    expect(() => api.create(svc, 'default', lb('a'))).toThrow(expect.objectContaining({ code: 409, reason: 'AlreadyExists' }));
    expect(list.mock.calls.filter(([key]) => key === '/services')).toEqual([]);
    list.mockRestore();
    expect(api.create(svc, 'default', lb('b')).spec).toMatchObject({ clusterIP: '10.96.0.11', ports: [expect.objectContaining({ nodePort: 30001 })] });
  });

  it('a rolled-back Service deletion keeps its cluster IP and node port taken', () => {
    const { api, svc } = setup();
    api.create(svc, 'default', lb('a'));
    api.onChange((key, _o, deleted) => {
      if (key === '/services' && deleted) throw new Error('refused');
    });
    expect(() => api.delete(svc, 'default', 'a')).toThrow('refused');
    expect(api.get(svc, 'default', 'a').spec.clusterIP).toBe('10.96.0.10');
    const b = api.create(svc, 'default', lb('b'));
    expect(b.spec.clusterIP).toBe('10.96.0.11');
    expect(b.spec.ports[0].nodePort).toBe(30001);
  });

  it('a Service create refused after its allocation (a bad name) frees what it took', () => {
    const { api, svc } = setup();
    expect(() => api.create(svc, 'default', lb('Bad_Name'))).toThrow(expect.objectContaining({ code: 422 }));
    expect(api.create(svc, 'default', lb('good')).spec.clusterIP).toBe('10.96.0.10');
  });

  it('a rolled-back CRD deletion keeps its type served', () => {
    const { api, wp } = setup();
    api.create(wp, 'widgets', pool('a'));
    const crds = api.mustType('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    api.onChange((key, _o, deleted) => {
      if (key === 'apiextensions.k8s.io/customresourcedefinitions' && deleted) throw new Error('refused');
    });
    expect(() => api.delete(crds, undefined, 'widgetpools.test.metallb-ts.dev')).toThrow('refused');
    expect(api.get(api.mustType('test.metallb-ts.dev', 'v1beta1', 'widgetpools'), 'widgets', 'a').metadata.name).toBe('a');
  });

  it('a namespace being deleted goes when its last object goes (found through the per-namespace counts)', () => {
    const { api, wp } = setup();
    const nsType = api.mustType('', 'v1', 'namespaces');
    api.create(wp, 'widgets', { ...pool('a'), metadata: { name: 'a', finalizers: ['x/y'] } });
    api.delete(nsType, undefined, 'widgets');
    expect(api.get(nsType, undefined, 'widgets').metadata.deletionTimestamp).toBeDefined();
    api.patch(wp, 'widgets', 'a', PATCH_TYPES.merge, { metadata: { finalizers: null } });
    expect(() => api.get(nsType, undefined, 'widgets')).toThrow(expect.objectContaining({ code: 404 }));
  });
});

describe('serialiseOnly (the HTTP layer: no defensive copies, issue 16)', () => {
  const run = (serialiseOnly: boolean) => {
    const { api, svc, wp } = setup();
    const o = { serialiseOnly, fieldManager: 'm' };
    const out: unknown[] = [];
    const keep = (x: unknown) => out.push(JSON.parse(JSON.stringify(x)));
    keep(api.create(svc, 'default', { metadata: { name: 'web' }, spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] } }, o));
    keep(api.patch(svc, 'default', 'web', PATCH_TYPES.merge, { metadata: { annotations: { a: 'b' } } }, o));
    keep(api.patch(svc, 'default', 'web', PATCH_TYPES.merge, { status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } }, o, 'status'));
    keep(api.patch(svc, 'default', 'web', PATCH_TYPES.merge, { metadata: { annotations: { a: 'b' } } }, o)); // no-op
    keep(api.update(svc, 'default', 'web', { ...api.get(svc, 'default', 'web'), spec: { ...api.get(svc, 'default', 'web').spec, ports: [{ port: 81 }] } }, o));
    keep(api.patch(wp, 'widgets', 'p', PATCH_TYPES.apply, pool('p'), { ...o, fieldManager: 'ssa' }));
    keep(api.create(wp, 'widgets', { ...pool('f'), metadata: { name: 'f', finalizers: ['x/y'] } }, o));
    keep(api.delete(wp, 'widgets', 'f', {}, o));
    keep(api.delete(svc, 'default', 'web', {}, o));
    const state = api.store.keys().flatMap((k) => api.store.list(k)).map((x) => JSON.stringify(x));
    return { out, state };
  };

  it('answers and stores exactly what the copying path does', () => {
    expect(run(true)).toEqual(run(false));
  });

  it('without it, changing a body after the call or a returned object changes nothing stored', () => {
    const { api, svc } = setup();
    const body = { metadata: { name: 'web', labels: { a: 'b' } }, spec: { ports: [{ port: 80 }] } };
    const got = api.create(svc, 'default', body);
    body.metadata.labels.a = 'changed';
    got.spec.ports[0].port = 1;
    got.metadata.labels!.a = 'also-changed';
    const stored = api.store.get('/services', 'default', 'web')!;
    expect(stored.metadata.labels).toEqual({ a: 'b' });
    expect(stored.spec.ports[0].port).toBe(80);
  });

  it('merge and /status patches share unchanged parts with the stored version but never modify it', () => {
    const { api, svc } = setup();
    api.create(svc, 'default', { metadata: { name: 'web', labels: { a: 'b' }, annotations: { x: 'y' } }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }], selector: { app: 'web' } } });
    const before = api.store.get('/services', 'default', 'web')!;
    const snapshot = structuredClone(before);
    for (const serialiseOnly of [true, false]) {
      api.patch(svc, 'default', 'web', PATCH_TYPES.merge, { metadata: { labels: { a: `c-${serialiseOnly}` } }, spec: { selector: { app: null, tier: 'x' } } }, { serialiseOnly });
      api.patch(svc, 'default', 'web', PATCH_TYPES.merge, { status: { loadBalancer: { ingress: [{ ip: '203.0.113.1' }] } } }, { serialiseOnly }, 'status');
    }
    expect(before).toEqual(snapshot);
    const after = api.store.get('/services', 'default', 'web')!;
    expect(after.metadata.labels).toEqual({ a: 'c-false' });
    expect(after.spec.selector).toEqual({ tier: 'x' });
    expect(after.spec.ports).toEqual(snapshot.spec.ports);
    expect(after.status.loadBalancer.ingress).toEqual([{ ip: '203.0.113.1', ipMode: 'VIP' }]);
  });
});
