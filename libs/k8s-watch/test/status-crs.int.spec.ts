/**
 * Writers against the real metallb.io CRDs (deploy/crds) served by apiserver-lite: status CRs
 * created and updated through the status subresource (create-or-update), server-side apply of
 * status, and the server's validation of what a speaker writes (CEL immutability of status.node).
 */
import { startApiServer, type RunningApiServer } from '@metallb-ts/apiserver-lite';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyObject, applyStatus, createOrUpdate, Informer, KubeClient, loadClientConfig, type KubeObject } from '../src/index.js';
import { FAST_BACKOFF } from './support.js';

const crds = new URL('../../../deploy/crds', import.meta.url).pathname;
const have = existsSync(crds);
if (!have) console.warn('SKIP status CR tests: deploy/crds is missing');
const L2 = { group: 'metallb.io', version: 'v1beta1', plural: 'servicel2statuses' };
const POOLS = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools' };

describe.skipIf(!have)('status CRs against deploy/crds', () => {
  let api: RunningApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    api = await startApiServer({ crdsDir: crds });
    api.apply('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"metallb-system"}}');
    client = new KubeClient(loadClientConfig({ kubeconfig: api.kubeconfigPath, env: {}, qps: 1000, burst: 1000 }));
  });
  afterAll(async () => {
    client?.close();
    await api?.stop();
  });

  const desired = (ifaces: string[]): KubeObject => ({
    apiVersion: 'metallb.io/v1beta1',
    kind: 'ServiceL2Status',
    metadata: { name: 'l2-web', namespace: 'metallb-system', labels: { 'metallb.io/node': 'node-1', 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' } },
    status: { node: 'node-1', serviceName: 'web', serviceNamespace: 'default', interfaces: ifaces.map((name) => ({ name })) },
  });

  it('createOrUpdate with subresource status creates, then updates only the status', async () => {
    const merge = (cur: KubeObject | undefined, want: KubeObject) => (cur ? { ...cur, status: want.status } : want);
    const a = await createOrUpdate<KubeObject>(client, L2, 'metallb-system', 'l2-web', (cur) => merge(cur, desired(['eth0'])), { subresource: 'status', fieldManager: 'speaker' });
    expect(a.op).toBe('created');
    expect(a.object.status.interfaces).toEqual([{ name: 'eth0' }]);
    const b = await createOrUpdate<KubeObject>(client, L2, 'metallb-system', 'l2-web', (cur) => merge(cur, desired(['eth0', 'eth1'])), { subresource: 'status', fieldManager: 'speaker' });
    expect(b.op).toBe('updated');
    expect(b.object.status.interfaces).toEqual([{ name: 'eth0' }, { name: 'eth1' }]);
    const c = await createOrUpdate<KubeObject>(client, L2, 'metallb-system', 'l2-web', (cur) => merge(cur, desired(['eth0', 'eth1'])), { subresource: 'status', fieldManager: 'speaker' });
    expect(c.op).toBe('unchanged');
  });

  it('the server enforces the CRD rules on status writes (status.node is immutable)', async () => {
    const err = await createOrUpdate<KubeObject>(client, L2, 'metallb-system', 'l2-web', (cur) => ({ ...cur!, status: { ...cur!.status, node: 'node-2' } }), { subresource: 'status' }).catch((e) => e);
    expect(err).toMatchObject({ code: 422, reason: 'Invalid' });
    expect(err.message).toMatch(/status\.node/);
  });

  it('server-side apply of an object and of its status, seen by an informer', async () => {
    const inf = new Informer<KubeObject>({ client, resource: POOLS, namespace: 'metallb-system', backoff: FAST_BACKOFF });
    inf.start();
    await inf.waitForSync();
    try {
      await applyObject(client, POOLS, { kind: 'IPAddressPool', metadata: { name: 'ssa-pool', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/28'] } }, 'metallb-ts');
      await expect.poll(() => inf.store.get('metallb-system/ssa-pool')?.spec.autoAssign).toBe(true); // defaulted by the schema
      const status = { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 15, availableIPv6: 0 };
      await applyStatus(client, POOLS, { kind: 'IPAddressPool', metadata: { name: 'ssa-pool', namespace: 'metallb-system' }, status }, 'metallb-controller');
      await expect.poll(() => inf.store.get('metallb-system/ssa-pool')?.status).toEqual(status);
      const o = await client.get<KubeObject>(POOLS, 'metallb-system', 'ssa-pool');
      expect((o.metadata.managedFields as { manager: string; subresource?: string }[]).map((m: { manager: string; subresource?: string }) => `${m.manager}${m.subresource ? `/${m.subresource}` : ''}`).sort()).toEqual(['metallb-controller/status', 'metallb-ts']);
      await expect(applyObject(client, POOLS, { kind: 'IPAddressPool', metadata: { name: 'bad', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.1/33'] } }, 'metallb-ts')).rejects.toMatchObject({ code: 422 });
    } finally {
      await inf.stop();
    }
  });
});
