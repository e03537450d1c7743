/**
 * The controller's Kubernetes `LeaseStore` on both servers: `@metallb-ts/election`'s executable
 * contract, plus what a real `coordination.k8s.io/v1` Lease looks like after the store wrote it
 * (MicroTime text, null holder on release). The store talks with the controller's identity (the
 * ServiceAccount and its Role on kube-apiserver), through the recorder.
 */
import { checkLeaseStoreContract } from '@metallb-ts/election/testing';
import { KubeClient, loadClientConfig, Resources, type KubeObject } from '@metallb-ts/k8s-watch';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { KubeLeaseStore } from '../src/lease-store.js';
import { auditRequests, matrix, MLB_NS, type Cluster } from './harness.js';

matrix('KubeLeaseStore', (backend) => {
  let c: Cluster;
  let asController: KubeClient;
  beforeAll(async () => {
    c = await backend.start();
    asController = new KubeClient(loadClientConfig({ kubeconfig: c.controllerKubeconfig }));
  }, 600_000);
  afterEach(async () => {
    const audit = await auditRequests(c);
    await c.reset();
    expect(audit.forbidden, 'requests RBAC refused').toEqual([]);
    expect(audit.uncovered, 'requests not derived from the sources').toEqual([]);
  }, 120_000);
  afterAll(async () => {
    asController?.close();
    await c?.stop();
  }, 60_000);

  it('passes the LeaseStore contract (create, conflict, get, update, stale update, release, delete)', async () => {
    const name = `contract-${process.pid}`;
    const store = new KubeLeaseStore(asController, MLB_NS, name);
    // Regression (both servers): the update of a Lease deleted meanwhile is `not-found`, though
    // kube-apiserver answers that PUT with 409 (UID precondition) where apiserver-lite answers 404.
    const failures = await checkLeaseStoreContract(store, { deleteLease: () => c.client.delete(Resources.leases, MLB_NS, name) });
    expect(failures).toEqual([]);
  });

  it('writes MicroTime text and the labels; a released Lease has no holder', async () => {
    const store = new KubeLeaseStore(asController, MLB_NS, 'shape');
    const t = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const created = await store.create({ holderIdentity: 'ctl-0', leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 });
    expect(created.kind).toBe('created');
    let o = await c.client.get<KubeObject>(Resources.leases, MLB_NS, 'shape');
    expect(o.spec).toMatchObject({ holderIdentity: 'ctl-0', leaseDurationSeconds: 15, acquireTime: '2026-01-02T03:04:05.678000Z', renewTime: '2026-01-02T03:04:05.678000Z', leaseTransitions: 0 });
    expect(o.metadata.labels).toEqual({ 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/part-of': 'metallb-ts' });
    if (created.kind !== 'created') return;
    expect((await store.update({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 1 }, created.lease.resourceVersion)).kind).toBe('updated');
    o = await c.client.get<KubeObject>(Resources.leases, MLB_NS, 'shape');
    expect(o.spec.holderIdentity ?? null).toBeNull();
    expect(o.spec.renewTime ?? null).toBeNull();
  });
});
