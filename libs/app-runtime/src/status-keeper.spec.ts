import { ManualClock } from '@metallb-ts/clock/testing';
import { ApiError, type KubeObject, type ResourceRef, type WriteQuery } from '@metallb-ts/k8s-watch';
import { conflictError, FakeApiClient } from '@metallb-ts/k8s-watch/testing';
import { describe, expect, it } from 'vitest';
import { CORE_RESOURCES, METALLB_RESOURCES } from './resources.js';
import { STATUS_LABELS, StatusKeeper } from './status-keeper.js';

const NS = 'metallb-system';
const L2 = METALLB_RESOURCES.servicel2statuses;
const BGP = METALLB_RESOURCES.servicebgpstatuses;

/** The fake plus `metadata.generateName` (what the API server does on create). */
class GeneratingFake extends FakeApiClient {
  private n = 0;
  override create<T extends KubeObject>(r: ResourceRef, namespace: string | undefined, body: T, q?: WriteQuery): Promise<T> {
    const gen = body.metadata.generateName;
    if (!body.metadata.name && typeof gen === 'string') body = { ...body, metadata: { ...body.metadata, name: `${gen}${String(++this.n).padStart(5, '0')}` } };
    return super.create(r, namespace, body, q);
  }
}

const svc = { namespace: 'default', name: 'web' };
const labelled = (name: string, node: string, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name, namespace: NS, labels: { [STATUS_LABELS.node]: node, [STATUS_LABELS.serviceName]: 'web', [STATUS_LABELS.serviceNamespace]: 'default' }, creationTimestamp: `2026-01-01T00:00:0${name.slice(-1)}Z` },
  status: { node, serviceName: 'web', serviceNamespace: 'default', ...extra },
});

describe('StatusKeeper (unit, fake API)', () => {
  it('creates one object with generateName, labels and owner, then writes /status', async () => {
    const fake = new GeneratingFake(new ManualClock());
    fake.upsert(CORE_RESOURCES.pods, { metadata: { name: 'speaker-x', namespace: NS, uid: 'u-pod' } });
    const k = new StatusKeeper({ client: fake, resource: L2, namespace: NS, node: 'n1', generateName: 'l2-', exclusive: true, owner: { kind: 'pod', namespace: NS, name: 'speaker-x' } });
    const r = await k.keep(svc, { interfaces: [{ name: 'eth0' }] });
    expect(r).toEqual({ kind: 'created', name: 'l2-00001', deleted: [] });
    const create = fake.calls.find((c) => c.op === 'create' && c.resource === 'metallb.io/servicel2statuses')!;
    expect(create.body).toMatchObject({
      apiVersion: 'metallb.io/v1beta1',
      kind: 'ServiceL2Status',
      metadata: { generateName: 'l2-', labels: { 'metallb.io/node': 'n1', 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' }, ownerReferences: [{ kind: 'Pod', name: 'speaker-x', uid: 'u-pod' }] },
    });
    expect(fake.calls.find((c) => c.op === 'update')).toMatchObject({ subresource: 'status' });
    expect(fake.objectsOf(L2)[0]!.status).toEqual({ node: 'n1', serviceName: 'web', serviceNamespace: 'default', interfaces: [{ name: 'eth0' }] });
  });

  it('writes only when the status differs (key order ignored)', async () => {
    const fake = new GeneratingFake(new ManualClock());
    const k = new StatusKeeper({ client: fake, resource: BGP, namespace: NS, node: 'n1', generateName: 'bgp-', exclusive: false });
    await k.keep(svc, { peers: ['a', 'b'] });
    const writes = () => fake.calls.filter((c) => c.op === 'update').length;
    expect(writes()).toBe(1);
    expect(await k.keep(svc, { peers: ['a', 'b'] })).toEqual({ kind: 'unchanged', name: 'bgp-00001', deleted: [] });
    expect(writes()).toBe(1);
    expect(await k.keep(svc, { peers: ['a'] })).toEqual({ kind: 'updated', name: 'bgp-00001', deleted: [] });
    expect(fake.objectsOf(BGP)[0]!.status.peers).toEqual(['a']);
  });

  it('exclusive (L2): keeps the oldest of its own, deletes its duplicates and every other node\'s', async () => {
    const fake = new GeneratingFake(new ManualClock());
    fake.upsert(L2, labelled('l2-2', 'n1'));
    fake.upsert(L2, labelled('l2-1', 'n1'));
    fake.upsert(L2, labelled('l2-3', 'n2'));
    fake.upsert(L2, { ...labelled('l2-4', 'n2'), metadata: { ...labelled('l2-4', 'n2').metadata, labels: { [STATUS_LABELS.node]: 'n2', [STATUS_LABELS.serviceName]: 'other', [STATUS_LABELS.serviceNamespace]: 'default' } } });
    const k = new StatusKeeper({ client: fake, resource: L2, namespace: NS, node: 'n1', generateName: 'l2-', exclusive: true });
    const r = await k.keep(svc);
    expect(r).toEqual({ kind: 'unchanged', name: 'l2-1', deleted: ['l2-2', 'l2-3'] });
    expect(fake.objectsOf(L2).map((o) => o.metadata.name).sort()).toEqual(['l2-1', 'l2-4']);
  });

  it('exclusive: false for one call keeps this node\'s object and leaves the other nodes\' alone', async () => {
    const fake = new GeneratingFake(new ManualClock());
    fake.upsert(L2, labelled('l2-3', 'n2'));
    const k = new StatusKeeper({ client: fake, resource: L2, namespace: NS, node: 'n1', generateName: 'l2-', exclusive: true });
    const r = await k.keep(svc, {}, { exclusive: false });
    expect(r.kind).toBe('created');
    expect(r.deleted).toEqual([]);
    expect(fake.objectsOf(L2).map((o) => o.metadata.labels?.[STATUS_LABELS.node]).sort()).toEqual(['n1', 'n2']);
    expect((await k.keep(svc)).deleted).toEqual(['l2-3']);
  });

  it('non-exclusive (BGP): other nodes keep their objects', async () => {
    const fake = new GeneratingFake(new ManualClock());
    fake.upsert(BGP, labelled('bgp-1', 'n2', { peers: ['p'] }));
    const k = new StatusKeeper({ client: fake, resource: BGP, namespace: NS, node: 'n1', generateName: 'bgp-', exclusive: false });
    expect((await k.keep(svc, { peers: ['p'] })).kind).toBe('created');
    expect(fake.objectsOf(BGP)).toHaveLength(2);
  });

  it('remove deletes only this node\'s objects for the service; a vanished object is fine', async () => {
    const fake = new GeneratingFake(new ManualClock());
    fake.upsert(L2, labelled('l2-1', 'n1'));
    fake.upsert(L2, labelled('l2-2', 'n2'));
    const k = new StatusKeeper({ client: fake, resource: L2, namespace: NS, node: 'n1', generateName: 'l2-', exclusive: true });
    fake.inject({ op: 'delete', error: new ApiError(404, 'NotFound', 'gone') });
    expect(await k.remove(svc)).toEqual({ kind: 'none', deleted: [] });
    expect(await k.remove(svc)).toEqual({ kind: 'removed', deleted: ['l2-1'] });
    expect(await k.remove(svc)).toEqual({ kind: 'none', deleted: [] });
    expect(fake.objectsOf(L2).map((o) => o.metadata.name)).toEqual(['l2-2']);
  });

  it('a stale resourceVersion on the status write starts over with a fresh list', async () => {
    const clock = new ManualClock();
    const fake = new GeneratingFake(clock);
    fake.upsert(L2, labelled('l2-1', 'n1'));
    const k = new StatusKeeper({ client: fake, resource: L2, namespace: NS, node: 'n1', generateName: 'l2-', exclusive: true });
    fake.inject({ op: 'update', error: conflictError(L2, 'l2-1') });
    const p = k.keep(svc, { interfaces: [{ name: 'eth1' }] });
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setImmediate(r));
      await clock.advanceAsync(20);
    }
    expect(await p).toEqual({ kind: 'updated', name: 'l2-1', deleted: [] });
    expect(fake.calls.filter((c) => c.op === 'list')).toHaveLength(2);
  });

  it('other API errors are thrown for the caller to retry', async () => {
    const fake = new GeneratingFake(new ManualClock());
    const k = new StatusKeeper({ client: fake, resource: L2, namespace: NS, node: 'n1', generateName: 'l2-', exclusive: true });
    fake.inject({ op: 'list', error: new ApiError(503, 'ServiceUnavailable', 'down') });
    await expect(k.keep(svc)).rejects.toMatchObject({ code: 503 });
  });
});
