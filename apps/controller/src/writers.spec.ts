import { ManualClock } from '@metallb-ts/clock/testing';
import { ApiError, Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { FakeApiClient } from '@metallb-ts/k8s-watch/testing';
import { describe, expect, it } from 'vitest';
import type { Svc } from './transforms.js';
import { createMemberlistSecret, FIELD_MANAGER, poolStatusBody, writePoolStatus, writeService } from './writers.js';

const POOLS = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' };
const svc = (annotations: Record<string, string> = {}, ips: string[] = []): Svc => ({
  metadata: { name: 'web', namespace: 'default', annotations },
  spec: { type: 'LoadBalancer' },
  ...(ips.length ? { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } } : {}),
});

describe('controller writers', () => {
  it('writeService: annotation merge patch of what differs, then the status; nothing when equal', async () => {
    const fake = new FakeApiClient(new ManualClock());
    const s = svc({ 'metallb-ts.io/allocation-failure': '{}' });
    fake.upsert(Resources.services, s);
    expect(await writeService(fake, s, { ingress: ['198.51.100.1'], annotations: { 'metallb.io/ip-allocated-from-pool': 'p', 'metallb-ts.io/allocation-failure': null } })).toBe('written');
    const [ann, st] = fake.calls.filter((c) => c.op === 'patch');
    expect(ann).toMatchObject({ body: { metadata: { annotations: { 'metallb.io/ip-allocated-from-pool': 'p', 'metallb-ts.io/allocation-failure': null } } }, options: { fieldManager: FIELD_MANAGER } });
    expect(st).toMatchObject({ subresource: 'status', body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }] } } } });
    const now = fake.objectsOf(Resources.services)[0] as Svc;
    expect(await writeService(fake, now, { ingress: ['198.51.100.1'], annotations: { 'metallb.io/ip-allocated-from-pool': 'p', 'metallb-ts.io/allocation-failure': null } })).toBe('unchanged');
    expect(fake.calls.filter((c) => c.op === 'patch')).toHaveLength(2);
  });
  it('writeService: clearing writes ingress null; only the status when the annotations already match', async () => {
    const fake = new FakeApiClient(new ManualClock());
    const s = svc({}, ['198.51.100.1']);
    fake.upsert(Resources.services, s);
    await writeService(fake, s, { ingress: [], annotations: { 'metallb.io/ip-allocated-from-pool': null } });
    expect(fake.calls.filter((c) => c.op === 'patch')).toEqual([expect.objectContaining({ subresource: 'status', body: { status: { loadBalancer: { ingress: null } } } })]);
  });
  it('writeService: a Service deleted meanwhile is gone, other errors are thrown', async () => {
    const fake = new FakeApiClient(new ManualClock());
    expect(await writeService(fake, svc(), { ingress: ['198.51.100.1'], annotations: {} })).toBe('gone');
    fake.upsert(Resources.services, svc());
    fake.inject({ op: 'patch', error: new ApiError(500, 'InternalError', 'down') });
    await expect(writeService(fake, svc(), { ingress: ['198.51.100.1'], annotations: {} })).rejects.toMatchObject({ code: 500 });
  });
  it('pool status: clamped to 2^53-1; a deleted pool is gone', async () => {
    expect(poolStatusBody({ assignedIPv4: 1n, assignedIPv6: 2n ** 64n, availableIPv4: 49n, availableIPv6: 2n ** 53n } as never)).toEqual({
      assignedIPv4: 1,
      assignedIPv6: Number.MAX_SAFE_INTEGER,
      availableIPv4: 49,
      availableIPv6: Number.MAX_SAFE_INTEGER,
    });
    const fake = new FakeApiClient(new ManualClock());
    const st = { assignedIPv4: 1n, assignedIPv6: 0n, availableIPv4: 49n, availableIPv6: 0n } as never;
    expect(await writePoolStatus(fake, 'metallb-system', 'p', st)).toBe('gone');
    fake.upsert(POOLS, { metadata: { name: 'p', namespace: 'metallb-system' }, spec: {} });
    expect(await writePoolStatus(fake, 'metallb-system', 'p', st)).toBe('written');
    expect(fake.objectsOf(POOLS)[0]!.status).toEqual({ assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 49, availableIPv6: 0 });
  });
  it('memberlist secret: 16 bytes as unpadded base64 (22 characters) under secretkey; an existing one is kept', async () => {
    const fake = new FakeApiClient(new ManualClock());
    expect(await createMemberlistSecret(fake, 'metallb-system', 'memberlist', new Uint8Array(16).fill(0xab))).toEqual({ kind: 'created' });
    const s = fake.objectsOf(Resources.secrets)[0] as KubeObject;
    const key = Buffer.from(s.data.secretkey, 'base64').toString();
    expect(key).toBe(Buffer.from(new Uint8Array(16).fill(0xab)).toString('base64').replace(/=+$/, ''));
    expect(key).toHaveLength(22);
    expect(await createMemberlistSecret(fake, 'metallb-system', 'memberlist', new Uint8Array(16))).toEqual({ kind: 'exists' });
    expect((fake.objectsOf(Resources.secrets)[0] as KubeObject).data.secretkey).toBe(s.data.secretkey);
    fake.inject({ op: 'create', error: new ApiError(403, 'Forbidden', 'no') });
    expect((await createMemberlistSecret(fake, 'metallb-system', 'other', new Uint8Array(16))).kind).toBe('failed');
  });
});
