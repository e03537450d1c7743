import { ManualClock } from '@metallb-ts/clock/testing';
import { buildConfig, isConfigErrors, type Config, type ConfigErrors } from '@metallb-ts/config';
import { ApiError, type KubeObject } from '@metallb-ts/k8s-watch';
import { FakeApiClient } from '@metallb-ts/k8s-watch/testing';
import { describe, expect, it } from 'vitest';
import { ConfigurationStateWriter, configurationStateMeta } from './configuration-state.js';
import { CORE_RESOURCES, METALLB_RESOURCES } from './resources.js';

const NS = 'metallb-system';
const CS = METALLB_RESOURCES.configurationstates;
const pool = (name: string, addresses: string[]) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec: { addresses } });

function valid(): Config {
  const c = buildConfig([pool('a', ['198.51.100.0/28'])], { namespace: NS });
  if (isConfigErrors(c)) throw c;
  return c;
}
function invalid(): ConfigErrors {
  const c = buildConfig([pool('a', ['198.51.100.0/28']), pool('b', ['198.51.100.8/29'])], { namespace: NS });
  if (!isConfigErrors(c)) throw new Error('expected errors');
  return c;
}

describe('ConfigurationState writer', () => {
  it('names and labels per component', () => {
    expect(configurationStateMeta({ type: 'controller' })).toEqual({ name: 'controller', labels: { 'metallb.io/component-type': 'controller' } });
    expect(configurationStateMeta({ type: 'speaker', node: 'n1' })).toEqual({ name: 'speaker-n1', labels: { 'metallb.io/component-type': 'speaker', 'metallb.io/node-name': 'n1' } });
  });

  it('controller: creates the object, then applies the condition and the aggregate to /status', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0, 500));
    const fake = new FakeApiClient(clock);
    const w = new ConfigurationStateWriter({ client: fake, namespace: NS, component: { type: 'controller' }, fieldManager: 'metallb-ts-controller', clock });
    const r = await w.report(valid());
    expect(r.kind).toBe('written');
    const create = fake.calls.find((c) => c.op === 'create')!;
    expect(create.body).toEqual({ apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState', metadata: { name: 'controller', namespace: NS, labels: { 'metallb.io/component-type': 'controller' } } });
    const apply = fake.calls.find((c) => c.op === 'patch')!;
    expect(apply).toMatchObject({ subresource: 'status', patchType: 'application/apply-patch+yaml', options: { fieldManager: 'metallb-ts-controller', force: true } });
    const [o] = fake.objectsOf(CS);
    expect(o!.status).toEqual({
      result: 'Valid',
      errorSummary: '',
      conditions: [{ type: 'poolReconcilerValid', status: 'True', reason: 'Reconciled', message: '', lastTransitionTime: '2026-01-01T12:00:00Z' }],
    });
  });

  it('warning conditions ride along a valid configuration: result stays Valid; a later report without them removes them', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const fake = new FakeApiClient(clock);
    const w = new ConfigurationStateWriter({ client: fake, namespace: NS, component: { type: 'controller' }, fieldManager: 'f', clock });
    const warning = w.warningCondition('advertisementPoolsFound', 'PoolNotFound', 'L2Advertisement x names a pool that does not exist ("b")');
    expect(warning).toEqual({ type: 'advertisementPoolsFound', status: 'False', reason: 'PoolNotFound', message: 'L2Advertisement x names a pool that does not exist ("b")', lastTransitionTime: '2026-01-01T12:00:00Z' });
    await w.report(valid(), [warning]);
    let [o] = fake.objectsOf(CS);
    expect(o!.status.result).toBe('Valid');
    expect(o!.status.conditions.map((c: { type: string; status: string }) => [c.type, c.status])).toEqual([
      ['poolReconcilerValid', 'True'],
      ['advertisementPoolsFound', 'False'],
    ]);
    await w.report(valid());
    [o] = fake.objectsOf(CS);
    expect(o!.status.conditions.map((c: { type: string }) => c.type)).toEqual(['poolReconcilerValid']);
  });

  it('an invalid configuration: False/ConfigurationError, result Invalid, errorSummary = the condition message (MetalLB)', async () => {
    const fake = new FakeApiClient(new ManualClock());
    const w = new ConfigurationStateWriter({ client: fake, namespace: NS, component: { type: 'speaker', node: 'n1' }, fieldManager: 'f' });
    await w.report(valid());
    const errs = invalid();
    const r = await w.report(errs);
    expect(r.kind).toBe('written');
    const [o] = fake.objectsOf(CS);
    expect(o!.metadata.name).toBe('speaker-n1');
    expect(o!.status.result).toBe('Invalid');
    expect(o!.status.errorSummary).toBe(errs.message);
    expect(o!.status.errorSummary).toMatch(/^configuration error: .*overlap/i);
    expect(o!.status.conditions).toMatchObject([{ type: 'configReconcilerValid', status: 'False', reason: 'ConfigurationError' }]);
    expect(fake.calls.filter((c) => c.op === 'create')).toHaveLength(2); // the second create is a 409, ignored
  });

  it('an unknown failure is UnknownError and keeps result Valid (only configuration errors invalidate)', async () => {
    const fake = new FakeApiClient(new ManualClock());
    const w = new ConfigurationStateWriter({ client: fake, namespace: NS, component: { type: 'controller' }, fieldManager: 'f' });
    await w.report({ unknownError: 'apiserver unreachable' });
    expect(fake.objectsOf(CS)[0]!.status).toMatchObject({ result: 'Valid', conditions: [{ status: 'False', reason: 'UnknownError', message: 'apiserver unreachable' }] });
  });

  it('cuts condition messages to 32768 characters', async () => {
    const fake = new FakeApiClient(new ManualClock());
    const w = new ConfigurationStateWriter({ client: fake, namespace: NS, component: { type: 'controller' }, fieldManager: 'f' });
    const r = await w.reportCondition({ type: w.conditionType, status: 'False', reason: 'ConfigurationError', message: 'x'.repeat(40000), lastTransitionTime: '2026-01-01T00:00:00Z' });
    expect(r.condition.message).toHaveLength(32768);
    expect(fake.objectsOf(CS)[0]!.status.errorSummary).toHaveLength(32768);
  });

  it('owner reference: the writing pod, looked up once by name', async () => {
    const fake = new FakeApiClient(new ManualClock());
    fake.upsert(CORE_RESOURCES.pods, { metadata: { name: 'controller-abc', namespace: NS, uid: 'pod-uid-1' } });
    const w = new ConfigurationStateWriter({ client: fake, namespace: NS, component: { type: 'controller' }, fieldManager: 'f', owner: { kind: 'pod', namespace: NS, name: 'controller-abc' } });
    await w.report(valid());
    await w.report(valid());
    expect(fake.objectsOf(CS)[0]!.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'controller-abc', uid: 'pod-uid-1' }]);
    expect(fake.calls.filter((c) => c.op === 'get' && c.resource === '/pods')).toHaveLength(1);
  });

  it('a missing pod means no owner reference; a write failure is an outcome, not an exception', async () => {
    const fake = new FakeApiClient(new ManualClock());
    const w = new ConfigurationStateWriter({ client: fake, namespace: NS, component: { type: 'controller' }, fieldManager: 'f', owner: { kind: 'pod', namespace: NS, name: 'gone' } });
    fake.inject({ op: 'patch', error: new ApiError(500, 'InternalError', 'down') });
    const r = await w.report(valid());
    expect(r.kind).toBe('failed');
    expect(r.kind === 'failed' && r.error.message).toBe('down');
    expect((fake.objectsOf(CS)[0] as KubeObject).metadata.ownerReferences).toBeUndefined();
  });
});
