import { describe, expect, it } from 'vitest';
import { validateBuiltin } from './builtin-schemas.js';

const msgs = (key: string, obj: Record<string, unknown>) => validateBuiltin(key, obj).map((c) => `${c.field}: ${c.message}`);

describe('validateBuiltin', () => {
  it('ConfigMap and Secret keys follow IsConfigMapKey', () => {
    expect(msgs('/configmaps', { data: { 'ok.key_1-x': 'v' }, binaryData: { 'bad key': 'eA==' } })).toEqual([
      "binaryData[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    expect(msgs('/secrets', { data: { 'a/b': 'eA==' } })).toHaveLength(1);
    expect(msgs('/secrets', { data: { ['x'.repeat(254)]: 'eA==' } })[0]).toMatch(/must be no more than 253 characters/);
  });

  it('a legacy Event (no eventTime) is in the namespace of its object, or in default for a cluster-scoped one', () => {
    const ev = (ns: string, refNs?: string) => ({ metadata: { name: 'e', namespace: ns }, involvedObject: { kind: 'X', name: 'x', ...(refNs ? { namespace: refNs } : {}) }, reason: 'R', type: 'Bogus' });
    expect(msgs('/events', ev('a', 'a'))).toEqual([]);
    expect(msgs('/events', ev('a', 'b'))).toEqual(['involvedObject.namespace: Invalid value: "b": does not match event.namespace']);
    expect(msgs('/events', ev('default'))).toEqual([]);
    expect(msgs('/events', ev('a'))).toEqual(['involvedObject.namespace: Invalid value: "": does not match event.namespace']);
  });

  it('an Event with eventTime needs its reporting fields, action and reason', () => {
    expect(msgs('/events', { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n' }, eventTime: '2026-01-01T00:00:00.000000Z' })).toEqual([
      'reportingComponent: Required value',
      'reportingInstance: Required value',
      'action: Required value',
      'reason: Required value',
    ]);
  });

  it('events.k8s.io/v1 requires eventTime and a Normal or Warning type', () => {
    expect(msgs('events.k8s.io/events', { metadata: { name: 'e', namespace: 'a' }, regarding: { kind: 'X', name: 'x', namespace: 'a' }, reason: 'R', type: 'Normal' })).toEqual(['eventTime: Required value']);
    expect(msgs('events.k8s.io/events', { metadata: { name: 'e', namespace: 'a' }, regarding: { namespace: 'a' }, eventTime: 't', reportingController: 'c', reportingInstance: 'i', action: 'A', reason: 'R', type: 'Odd' })).toEqual(['type: Invalid value: "": has invalid value: Odd']);
  });

  it('other kinds have no extra checks', () => {
    expect(msgs('/services', { spec: 'anything' })).toEqual([]);
  });
});
