import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { Api } from './api.js';
import { startGarbageCollector } from './controllers.js';
import type { KObject } from './store.js';

/** An Api without the default controllers, with the garbage collector started by hand. */
function setup() {
  const api = new Api({ clock: new ManualClock(), rng: new SeededRng(3), simulateControllers: false });
  const stop = startGarbageCollector(api);
  const cms = api.mustType('', 'v1', 'configmaps');
  const cm = (name: string, owners: KObject[] = [], extra: Record<string, unknown> = {}) =>
    api.create(cms, 'default', { metadata: { name, ownerReferences: owners.map((o) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name, uid: o.metadata.uid })), ...extra } });
  const ownerNames = (o: KObject) => ((o.metadata.ownerReferences ?? []) as { name: string }[]).map((r) => r.name);
  const names = () => api.list(cms, 'default', api.selection()).items.map((o) => `${o.metadata.name}${ownerNames(o).length ? `(${ownerNames(o).join('+')})` : ''}`);
  return { api, cms, cm, names, stop };
}

describe('garbage collector', () => {
  it('deletes the dependents of a deleted owner, transitively', () => {
    const { api, cms, cm, names } = setup();
    const a = cm('a');
    const b = cm('b', [a]);
    cm('c', [b]);
    cm('free');
    api.delete(cms, 'default', 'a');
    expect(names()).toEqual(['free']);
  });

  it('drops the reference to a deleted owner when another owner still exists', () => {
    const { api, cms, cm, names } = setup();
    const a = cm('a');
    const b = cm('b');
    cm('two', [a, b]);
    api.delete(cms, 'default', 'a');
    expect(names()).toEqual(['b', 'two(b)']);
  });

  it('deletes an object written with owners that are all gone (same name, other uid counts as gone)', () => {
    const { api, cms, cm, names } = setup();
    const a = cm('a');
    api.delete(cms, 'default', 'a');
    cm('a');
    cm('late', [a]);
    expect(names()).toEqual(['a']);
  });

  it('leaves dependents of kinds it cannot resolve alone, and respects finalizers', () => {
    const { api, cms, cm, names } = setup();
    const a = cm('a');
    api.create(cms, 'default', { metadata: { name: 'alien', ownerReferences: [{ apiVersion: 'example.com/v1', kind: 'Gadget', name: 'g', uid: 'u' }] } });
    cm('held', [a], { finalizers: ['example.com/hold'] });
    api.delete(cms, 'default', 'a');
    expect(names()).toEqual(['alien(g)', 'held(a)']);
    expect(api.get(cms, 'default', 'held').metadata.deletionTimestamp).toBeDefined();
  });

  it('collects across kinds: a status object owned by a Pod goes with the Pod', () => {
    const { api } = setup();
    const pods = api.mustType('', 'v1', 'pods');
    const pod = api.create(pods, 'default', { metadata: { name: 'speaker-n1' }, spec: { containers: [{ name: 's', image: 'x' }] } });
    const leases = api.mustType('coordination.k8s.io', 'v1', 'leases');
    api.create(leases, 'default', { metadata: { name: 'l', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid }] }, spec: {} });
    api.delete(pods, 'default', 'speaker-n1');
    expect(() => api.get(leases, 'default', 'l')).toThrow(expect.objectContaining({ code: 404 }));
  });

  it('does nothing once stopped', () => {
    const { api, cms, cm, names, stop } = setup();
    const a = cm('a');
    cm('b', [a]);
    stop();
    api.delete(cms, 'default', 'a');
    expect(names()).toEqual(['b(a)']);
  });
});
