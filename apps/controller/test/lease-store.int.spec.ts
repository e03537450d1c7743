/**
 * The controller's Kubernetes `LeaseStore` against apiserver-lite (in-process, real HTTP):
 * `@metallb-ts/election`'s executable contract, plus what a real `coordination.k8s.io/v1` Lease
 * looks like after the store wrote it (MicroTime text, null holder on release).
 */
import { checkLeaseStoreContract } from '@metallb-ts/election/testing';
import { Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeLeaseStore } from '../src/lease-store.js';
import { startCluster, type Cluster } from './harness.js';

describe('KubeLeaseStore against apiserver-lite', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster();
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('passes the LeaseStore contract (create, conflict, get, update, stale update, release, delete)', async () => {
    const name = `contract-${process.pid}`;
    const store = new KubeLeaseStore(c.client, 'metallb-system', name);
    const failures = await checkLeaseStoreContract(store, { deleteLease: () => c.client.delete(Resources.leases, 'metallb-system', name) });
    expect(failures).toEqual([]);
  });

  it('writes MicroTime text and the labels; a released Lease has no holder', async () => {
    const store = new KubeLeaseStore(c.client, 'metallb-system', 'shape');
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const created = await store.create({ holderIdentity: 'ctl-0', leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 });
    expect(created.kind).toBe('created');
    let o = await c.client.get<KubeObject>(Resources.leases, 'metallb-system', 'shape');
    expect(o.spec).toMatchObject({ holderIdentity: 'ctl-0', leaseDurationSeconds: 15, acquireTime: '2026-01-02T03:04:05.678000Z', renewTime: '2026-01-02T03:04:05.678000Z', leaseTransitions: 0 });
    expect(o.metadata.labels).toEqual({ 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/part-of': 'metallb-ts' });
    if (created.kind !== 'created') return;
    expect((await store.update({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 1 }, created.lease.resourceVersion)).kind).toBe('updated');
    o = await c.client.get<KubeObject>(Resources.leases, 'metallb-system', 'shape');
    expect(o.spec.holderIdentity ?? null).toBeNull();
    expect(o.spec.renewTime ?? null).toBeNull();
  });
});
