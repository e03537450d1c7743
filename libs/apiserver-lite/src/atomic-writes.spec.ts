/**
 * Issue 15 §3: a request that answers an error changes nothing; built-in kinds are type-checked
 * (422 `Invalid` shaped like kube-apiserver's); over-deep bodies are a 400; a malformed object
 * already in the store does not make lists fail.
 */
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { Api } from './api.js';
import { MAX_DEPTH, exceedsDepth } from './depth.js';
import { StatusError } from './errors.js';
import { PATCH_TYPES } from './patch-types.js';
import type { ChangeEvent, KObject } from './store.js';
import { toTable } from './table.js';

function setup() {
  const api = new Api({ clock: new ManualClock(), rng: new SeededRng(7) });
  const svc = api.mustType('', 'v1', 'services');
  const pods = api.mustType('', 'v1', 'pods');
  const slices = api.mustType('discovery.k8s.io', 'v1', 'endpointslices');
  const events: ChangeEvent[] = [];
  api.store.watch({ key: '/services', send: (e) => events.push(e) }, api.store.currentRv());
  return { api, svc, pods, slices, events };
}

const service = (name: string, spec: Record<string, unknown> = { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80 }] }) => ({ metadata: { name }, spec });

/** The thrown StatusError of `fn`. */
function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

/** Deeply nested `{a:{a:…}}`. */
function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
}

describe('regression: a write that answers an error is not stored (issue 15 §3)', () => {
  it('merge patch spec.ports:"x" on a Service is a 422 Invalid with the field cause, and the Service is unchanged', () => {
    const { api, svc, events } = setup();
    const before = api.create(svc, 'default', service('bad'));
    const rv = api.store.currentRv();
    const n = events.length;
    const err = statusOf(() => api.patch(svc, 'default', 'bad', PATCH_TYPES.merge, { spec: { ports: 'x' } }));
    expect(err.code).toBe(422);
    expect(err.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Service "bad" is invalid: spec.ports: Invalid value: "string": spec.ports in body must be of type array: "string"',
      reason: 'Invalid',
      details: { name: 'bad', kind: 'Service', causes: [{ reason: 'FieldValueTypeInvalid', field: 'spec.ports', message: 'Invalid value: "string": spec.ports in body must be of type array: "string"' }] },
      code: 422,
    });
    expect(api.get(svc, 'default', 'bad')).toEqual(before);
    expect(api.store.currentRv()).toBe(rv);
    expect(events.length).toBe(n);
    // Lists (plain and as kubectl's Table) keep working.
    const { items } = api.list(svc, 'default', api.selection());
    expect(() => toTable(svc, items, { now: 0, version: 'v1', include: 'Metadata' })).not.toThrow();
  });

  it('a create that a simulated controller fails on is rolled back: no object, no event, no resourceVersion, no allocation', () => {
    const { api, svc, events } = setup();
    let fail = true;
    api.onChange((key) => {
      if (key === '/services' && fail) throw new Error('controller exploded');
    });
    const rv = api.store.currentRv();
    expect(() => api.create(svc, 'default', service('web'))).toThrow('controller exploded');
    expect(() => api.get(svc, 'default', 'web')).toThrow(expect.objectContaining({ code: 404 }));
    expect(api.store.currentRv()).toBe(rv);
    expect(events).toEqual([]);
    fail = false;
    // The cluster IP and node port of the rolled-back create were freed: the next create gets them.
    const ok = api.create(svc, 'default', service('web'));
    expect(ok.spec.clusterIP).toBe('10.96.0.10');
    expect(ok.spec.ports[0].nodePort).toBe(30000);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED web']);
  });

  it('a Service write and the EndpointSlices it causes commit together, or not at all', () => {
    const { api, svc, pods, slices } = setup();
    api.create(pods, 'default', { metadata: { name: 'p', labels: { app: 'web' } }, spec: {}, status: { podIP: '10.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] } });
    let fail = false;
    api.onChange((key) => {
      if (key === 'discovery.k8s.io/endpointslices' && fail) throw new Error('slice hook failed');
    });
    api.create(svc, 'default', service('web'));
    expect(api.list(slices, 'default', api.selection()).items.map((s) => s.metadata.name)).toEqual(['web-v4']);
    const rv = api.store.currentRv();
    fail = true;
    // The hook runs only for the outermost write, so make the Service write itself fail later:
    // a second hook on services throws after the slice controller already wrote.
    api.onChange((key) => {
      if (key === '/services' && fail) throw new Error('late failure');
    });
    expect(() => api.patch(svc, 'default', 'web', PATCH_TYPES.merge, { spec: { ports: [{ port: 81 }] } })).toThrow('late failure');
    expect(api.store.currentRv()).toBe(rv);
    expect(api.get(svc, 'default', 'web').spec.ports[0].port).toBe(80);
    expect(api.get(slices, 'default', 'web-v4').ports[0].port).toBe(80);
  });

  it('dryRun=All leaves no trace, not even an allocated cluster IP', () => {
    const { api, svc, events } = setup();
    const dry = api.create(svc, 'default', service('a'), { dryRun: true });
    expect(dry.spec.clusterIP).toBe('10.96.0.10');
    expect(events).toEqual([]);
    expect(api.create(svc, 'default', service('a')).spec.clusterIP).toBe('10.96.0.10');
  });
});

describe('built-in kinds are type-checked (422 Invalid, kube-apiserver wording)', () => {
  const cases: [plural: string, group: string, body: Record<string, unknown>, field: string, message: string][] = [
    ['services', '', { spec: { type: 'Bogus' } }, 'spec.type', 'Unsupported value: "Bogus": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    ['services', '', { spec: { selector: 'app=x' } }, 'spec.selector', 'Invalid value: "string": spec.selector in body must be of type object: "string"'],
    ['services', '', { spec: { ports: [{ port: '80' }] } }, 'spec.ports[0].port', 'Invalid value: "string": spec.ports[0].port in body must be of type integer: "string"'],
    ['services', '', { spec: { clusterIPs: '10.96.0.1' } }, 'spec.clusterIPs', 'Invalid value: "string": spec.clusterIPs in body must be of type array: "string"'],
    ['services', '', { spec: { ipFamilies: ['IPv5'] } }, 'spec.ipFamilies[0]', 'Unsupported value: "IPv5": supported values: "IPv4", "IPv6"'],
    ['services', '', { spec: { ipFamilyPolicy: 1 } }, 'spec.ipFamilyPolicy', 'Invalid value: "integer": spec.ipFamilyPolicy in body must be of type string: "integer"'],
    ['services', '', { spec: { externalTrafficPolicy: 'Nearby' } }, 'spec.externalTrafficPolicy', 'Unsupported value: "Nearby": supported values: "Cluster", "Local"'],
    ['services', '', { spec: { loadBalancerIP: ['198.51.100.1'] } }, 'spec.loadBalancerIP', 'Invalid value: "array": spec.loadBalancerIP in body must be of type string: "array"'],
    ['services', '', { spec: { loadBalancerClass: {} } }, 'spec.loadBalancerClass', 'Invalid value: "object": spec.loadBalancerClass in body must be of type string: "object"'],
    ['services', '', { spec: { allocateLoadBalancerNodePorts: 'no' } }, 'spec.allocateLoadBalancerNodePorts', 'Invalid value: "string": spec.allocateLoadBalancerNodePorts in body must be of type boolean: "string"'],
    ['services', '', { spec: {}, status: { loadBalancer: { ingress: { ip: '198.51.100.1' } } } }, 'status.loadBalancer.ingress', 'Invalid value: "object": status.loadBalancer.ingress in body must be of type array: "object"'],
    ['endpointslices', 'discovery.k8s.io', { addressType: 'IPv4', endpoints: [{ addresses: '10.0.0.1' }] }, 'endpoints[0].addresses', 'Invalid value: "string": endpoints[0].addresses in body must be of type array: "string"'],
    ['endpointslices', 'discovery.k8s.io', { addressType: 'IPv7' }, 'addressType', 'Unsupported value: "IPv7": supported values: "FQDN", "IPv4", "IPv6"'],
    ['endpointslices', 'discovery.k8s.io', { addressType: 'IPv4', ports: [{ port: 'http' }] }, 'ports[0].port', 'Invalid value: "string": ports[0].port in body must be of type integer: "string"'],
    ['configmaps', '', { data: { k: 1 } }, 'data.k', 'Invalid value: "integer": data.k in body must be of type string: "integer"'],
    ['secrets', '', { stringData: ['x'] }, 'stringData', 'Invalid value: "array": stringData in body must be of type object: "array"'],
    ['leases', 'coordination.k8s.io', { spec: { leaseDurationSeconds: '15' } }, 'spec.leaseDurationSeconds', 'Invalid value: "string": spec.leaseDurationSeconds in body must be of type integer: "string"'],
    ['pods', '', { spec: {}, status: { podIPs: '10.0.0.1' } }, 'status.podIPs', 'Invalid value: "string": status.podIPs in body must be of type array: "string"'],
    ['nodes', '', { status: { addresses: [{ address: 7 }] } }, 'status.addresses[0].address', 'Invalid value: "integer": status.addresses[0].address in body must be of type string: "integer"'],
    ['events', '', { involvedObject: 'svc/web' }, 'involvedObject', 'Invalid value: "string": involvedObject in body must be of type object: "string"'],
    ['events', 'events.k8s.io', { regarding: { name: 1 } }, 'regarding.name', 'Invalid value: "integer": regarding.name in body must be of type string: "integer"'],
    ['configmaps', '', { metadata: { name: 'x', labels: { app: 1 } } }, 'metadata.labels.app', 'Invalid value: "integer": metadata.labels.app in body must be of type string: "integer"'],
    ['configmaps', '', { metadata: { name: 'x', finalizers: 'a' } }, 'metadata.finalizers', 'Invalid value: "string": metadata.finalizers in body must be of type array: "string"'],
  ];
  it.each(cases)('%s (%s) %j → 422 at %s', (plural, group, body, field, message) => {
    const { api } = setup();
    const t = api.mustType(group, 'v1', plural);
    const namespaced = t.namespaced ? 'default' : undefined;
    const obj = { metadata: { name: 'x' }, ...body };
    const err = statusOf(() => api.create(t, namespaced, obj));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.details?.causes).toContainEqual(expect.objectContaining({ field, message }));
    expect(err.message).toBe(`${t.group ? `${t.kind}.${t.group}` : t.kind} "x" is invalid: ${field}: ${message}`);
    expect(api.store.get(`${group}/${plural}`, namespaced, 'x')).toBeUndefined();
  });

  it('accepts well-typed objects, nulls (Go zero values) and unknown fields', () => {
    const { api, svc } = setup();
    const o = api.create(svc, 'default', { metadata: { name: 'ok', creationTimestamp: null, labels: { app: 'ok' } }, spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 'http', name: 'http' }], loadBalancerIP: null, futureField: { x: 1 } } });
    expect(o.spec.futureField).toEqual({ x: 1 });
  });
});

describe('over-deep bodies are a 400, never a stack overflow', () => {
  it('exceedsDepth counts nesting iteratively (a million levels do not overflow)', () => {
    expect(exceedsDepth(nested(MAX_DEPTH))).toBe(false);
    expect(exceedsDepth(nested(MAX_DEPTH + 1))).toBe(true);
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(exceedsDepth(deep)).toBe(true);
    expect(exceedsDepth('scalar')).toBe(false);
  });

  it('create and patch with a body nested 10,000 levels answer 400 BadRequest and store nothing', () => {
    const { api, svc } = setup();
    const cm = api.mustType('', 'v1', 'configmaps');
    const rv = api.store.currentRv();
    const e1 = statusOf(() => api.create(cm, 'default', { metadata: { name: 'deep' }, data: nested(10_000) }));
    expect([e1.code, e1.reason]).toEqual([400, 'BadRequest']);
    expect(e1.message).toMatch(/deeper than 100 levels/);
    api.create(svc, 'default', service('s'));
    const rv2 = api.store.currentRv();
    expect(rv2).toBeGreaterThan(rv);
    const e2 = statusOf(() => api.patch(svc, 'default', 's', PATCH_TYPES.merge, { spec: { x: nested(10_000) } }));
    expect(e2.code).toBe(400);
    expect(api.store.currentRv()).toBe(rv2);
  });
});

describe('a malformed object already in the store does not break reads', () => {
  it('list, Table conversion and the EndpointSlice controller survive a Service whose spec.ports is a string', () => {
    const { api, svc, pods } = setup();
    api.create(svc, 'default', service('good'));
    // As if restored from an old snapshot, written before the type checks existed.
    api.store.put('/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'poisoned', namespace: 'default', uid: 'u' }, spec: { ports: 'x', selector: { app: 'p' }, ipFamilies: 'IPv4' } } as KObject);
    const { items } = api.list(svc, 'default', api.selection());
    expect(items.map((o) => o.metadata.name)).toEqual(['good', 'poisoned']);
    const table = toTable(svc, items, { now: 0, version: 'v1', include: 'Metadata' }) as { rows: { cells: unknown[] }[] };
    expect(table.rows.map((r) => r.cells[0])).toEqual(['good', 'poisoned']);
    // A Pod write in the namespace makes the controller walk every Service, the poisoned one too.
    expect(() => api.create(pods, 'default', { metadata: { name: 'p', labels: { app: 'p' } }, spec: {}, status: { podIP: '10.0.0.2', conditions: [{ type: 'Ready', status: 'True' }] } })).not.toThrow();
  });
});
