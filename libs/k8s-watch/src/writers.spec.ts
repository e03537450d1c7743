import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { conflictError, FakeApiClient } from './testing/fake-api-client.js';
import { ApiError, PatchType, Resources, type KubeObject } from './types.js';
import { applyObject, applyStatus, createOrUpdate, EventRecorder, isConflict, patchStatus, retryOnConflict } from './writers.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};
const S = Resources.services;
const POOLS = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' };

/** Runs `p` while advancing the manual clock so sleeps inside it complete. */
async function drive<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => {});
  for (let i = 0; i < 100 && !done; i++) {
    await settle();
    await clock.advanceAsync(50);
  }
  return p;
}

describe('retryOnConflict', () => {
  it('retries conflicts and returns the first success', async () => {
    const clock = new ManualClock();
    let n = 0;
    const r = await drive(clock, retryOnConflict(async () => {
      if (n++ < 2) throw conflictError(S, 'web');
      return 'ok';
    }, { clock, rng: new SeededRng(1) }));
    expect([r, n]).toEqual(['ok', 3]);
  });
  it('gives up after the attempts and never retries other errors', async () => {
    const clock = new ManualClock();
    let n = 0;
    await expect(drive(clock, retryOnConflict(async () => { n++; throw conflictError(S, 'web'); }, { clock, attempts: 3 }))).rejects.toMatchObject({ code: 409 });
    expect(n).toBe(3);
    n = 0;
    await expect(retryOnConflict(async () => { n++; throw new ApiError(500, 'InternalError', 'x'); }, { clock })).rejects.toMatchObject({ code: 500 });
    expect(n).toBe(1);
  });
  it('an apply field conflict is not an optimistic-concurrency conflict', () => {
    expect(isConflict(conflictError(S, 'x'))).toBe(true);
    expect(isConflict(new ApiError(409, 'Conflict', 'Apply failed', { details: { causes: [{ reason: 'FieldManagerConflict' }] } }))).toBe(false);
    expect(isConflict(new ApiError(409, 'AlreadyExists', 'x'))).toBe(false);
  });
});

describe('status and apply writers', () => {
  it('patchStatus merge-patches the status subresource', async () => {
    const fake = new FakeApiClient(new ManualClock());
    fake.upsert(S, { metadata: { name: 'web', namespace: 'default' }, spec: {} });
    const out = await patchStatus(fake, S, 'default', 'web', { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } }, 'metallb-controller');
    expect(fake.calls.at(-1)).toMatchObject({ op: 'patch', patchType: PatchType.merge, subresource: 'status', options: { fieldManager: 'metallb-controller' }, body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } } });
    expect(out.status.loadBalancer.ingress[0].ip).toBe('198.51.100.1');
  });
  it('applyObject and applyStatus send server-side apply with a field manager and force', async () => {
    const fake = new FakeApiClient(new ManualClock());
    await applyObject(fake, POOLS, { kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/24'] } }, 'metallb-ts');
    expect(fake.calls.at(-1)).toMatchObject({ op: 'patch', patchType: PatchType.apply, options: { fieldManager: 'metallb-ts', force: true }, body: { apiVersion: 'metallb.io/v1beta1' } });
    await applyStatus(fake, POOLS, { kind: 'IPAddressPool', metadata: { name: 'p', namespace: 'metallb-system' }, status: { assignedIPv4: 1 } }, 'metallb-ts');
    expect(fake.calls.at(-1)).toMatchObject({ subresource: 'status', body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', status: { assignedIPv4: 1 } } });
  });
});

describe('createOrUpdate', () => {
  const cm = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data });
  it('creates, updates with the read resourceVersion, and skips no-ops', async () => {
    const fake = new FakeApiClient(new ManualClock());
    const a = await createOrUpdate(fake, Resources.configMaps, 'default', 'c', () => cm({ a: '1' }));
    expect(a.op).toBe('created');
    const b = await createOrUpdate(fake, Resources.configMaps, 'default', 'c', (cur) => ({ ...cur!, data: { a: '2' } }));
    expect(b.op).toBe('updated');
    expect(fake.calls.find((c) => c.op === 'update')!.body).toMatchObject({ metadata: { resourceVersion: a.object.metadata.resourceVersion } });
    const c = await createOrUpdate(fake, Resources.configMaps, 'default', 'c', (cur) => cur!);
    expect(c.op).toBe('unchanged');
  });
  it('starts over with a fresh read on a conflict', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    fake.upsert(Resources.configMaps, cm({ n: '0' }));
    fake.inject({ op: 'update', error: conflictError(Resources.configMaps, 'c') });
    const r = await drive(clock, createOrUpdate(fake, Resources.configMaps, 'default', 'c', (cur) => ({ ...cur!, data: { n: String(Number(cur!.data.n) + 1) } }), { clock }));
    expect(r.op).toBe('updated');
    expect(r.object.data).toEqual({ n: '1' });
    expect(fake.calls.filter((c) => c.op === 'get')).toHaveLength(2);
  });
  it('a racing create becomes an update', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    fake.inject({ op: 'create', error: new ApiError(409, 'AlreadyExists', 'exists') });
    fake.inject({ op: 'get', error: new ApiError(404, 'NotFound', 'nope') });
    // After the failed create the object "appears" (the fake has it only once we upsert):
    const p = drive(clock, createOrUpdate(fake, Resources.configMaps, 'default', 'c', (cur) => (cur ? { ...cur, data: { won: 'later' } } : cm({ won: 'first' })), { clock }));
    fake.upsert(Resources.configMaps, cm({ won: 'other' }));
    const r = await p;
    expect(r.op).toBe('updated');
    expect(r.object.data).toEqual({ won: 'later' });
  });
});

describe('EventRecorder', () => {
  const SVC = { apiVersion: 'v1', kind: 'Service' };
  const pod = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'u1' } };
  it('creates an Event, then counts repeats on it', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const rec = new EventRecorder({ client: fake, component: 'metallb-controller', clock, rng: new SeededRng(3) });
    expect(await rec.record(pod, SVC, 'Normal', 'IPAllocated', 'Assigned IP ["198.51.100.1"]')).toBe('created');
    clock.advance(1000);
    expect(await rec.record(pod, SVC, 'Normal', 'IPAllocated', 'Assigned IP ["198.51.100.1"]')).toBe('updated');
    expect(await rec.record(pod, SVC, 'Warning', 'AllocationFailed', 'no pool')).toBe('created');
    const events = fake.objectsOf(Resources.events);
    expect(events).toHaveLength(2);
    const first = events.find((e) => e.reason === 'IPAllocated')!;
    expect(first).toMatchObject({ count: 2, type: 'Normal', involvedObject: { kind: 'Service', name: 'web', uid: 'u1' }, source: { component: 'metallb-controller' } });
    expect(first.lastTimestamp).not.toBe(first.firstTimestamp);
  });
  it('rate-limits per object and reports failures without throwing', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const errors: Error[] = [];
    const rec = new EventRecorder({ client: fake, component: 'c', clock, burst: 3, qps: 1 / 300, onError: (e) => errors.push(e) });
    const out = [];
    for (let i = 0; i < 5; i++) out.push(await rec.record(pod, SVC, 'Normal', 'R', `m${i}`));
    expect(out).toEqual(['created', 'created', 'created', 'rate-limited', 'rate-limited']);
    clock.advance(300_000);
    fake.inject({ op: 'create', error: new ApiError(500, 'InternalError', 'down') });
    expect(await rec.record(pod, SVC, 'Normal', 'R', 'm9')).toBe('failed');
    expect(errors).toHaveLength(1);
  });
  it('takes the involved kind explicitly: a list item without apiVersion/kind still names its type', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const rec = new EventRecorder({ client: fake, component: 'metallb-controller', host: 'ctl-0', clock, rng: new SeededRng(3) });
    const fromList = { metadata: { name: 'web', namespace: 'default', uid: 'u1', resourceVersion: '7' } };
    expect(await rec.record(fromList, SVC, 'Normal', 'IPAllocated', 'x')).toBe('created');
    const cs = { apiVersion: 'wrong/v0', kind: 'Wrong', metadata: { name: 'controller', namespace: 'metallb-system' } };
    expect(await rec.record(cs, { apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState' }, 'Warning', 'ConfigurationError', 'y')).toBe('created');
    const [a, b] = fake.objectsOf(Resources.events).sort((x, y) => x.reason.localeCompare(y.reason));
    expect(a).toMatchObject({ reason: 'ConfigurationError', involvedObject: { apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState', name: 'controller', namespace: 'metallb-system' } });
    expect(b).toMatchObject({ reason: 'IPAllocated', involvedObject: { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'u1', resourceVersion: '7' }, reportingInstance: 'ctl-0' });
    expect(b!.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
  it('client-go aggregation: identical events recorded at once give one Event with a count, not several Events (issue 15 §5)', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const rec = new EventRecorder({ client: fake, component: 'metallb-controller', clock, rng: new SeededRng(5) });
    // A slow API server: the first create is still in flight when the repeats arrive.
    fake.inject({ op: 'create', delayMs: 100 });
    const msg = 'Failed to allocate IP for "default/d": no available IPs';
    const outs = drive(clock, Promise.all([1, 2, 3].map(() => rec.record(pod, SVC, 'Warning', 'AllocationFailed', msg))));
    expect(await outs).toEqual(['created', 'updated', 'updated']);
    const events = fake.objectsOf(Resources.events);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'Warning', reason: 'AllocationFailed', message: msg, count: 3 });
  });
  it('a repeat waiting on a create that fails creates the Event itself', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const errors: Error[] = [];
    const rec = new EventRecorder({ client: fake, component: 'c', clock, rng: new SeededRng(6), onError: (e) => errors.push(e) });
    fake.inject({ op: 'create', delayMs: 100, error: new ApiError(503, 'ServiceUnavailable', 'down') });
    const outs = await drive(clock, Promise.all([rec.record(pod, SVC, 'Warning', 'R', 'm'), rec.record(pod, SVC, 'Warning', 'R', 'm')]));
    expect(outs).toEqual(['failed', 'created']);
    expect(errors).toHaveLength(1);
    expect(fake.objectsOf(Resources.events)).toMatchObject([{ reason: 'R', count: 1 }]);
  });
  it('the same name and uid under two kinds are two objects for de-duplication', async () => {
    const clock = new ManualClock();
    const fake = new FakeApiClient(clock);
    const rec = new EventRecorder({ client: fake, component: 'c', clock, rng: new SeededRng(4) });
    const o = { metadata: { name: 'x', namespace: 'default', uid: 'u' } };
    expect(await rec.record(o, SVC, 'Normal', 'R', 'm')).toBe('created');
    expect(await rec.record(o, { apiVersion: 'v1', kind: 'Pod' }, 'Normal', 'R', 'm')).toBe('created');
    expect(await rec.record(o, SVC, 'Normal', 'R', 'm')).toBe('updated');
  });
});
