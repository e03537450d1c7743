/**
 * @kubernetes/client-node 2.0.1 (on Node 24) against apiserver-lite: typed APIs, status merge
 * patch through setHeaderOptions, 409 on a stale resourceVersion as ApiException, server-side
 * apply and reads through KubernetesObjectApi (which needs discovery), custom objects with
 * label selectors, the default JSON-patch content type.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../src/index.js';
import { REPO } from './kubectl-helpers.js';

describe('client-node against apiserver-lite', () => {
  let api: RunningApiServer;
  let kc: k8s.KubeConfig;
  beforeAll(async () => {
    api = await startApiServer({ crdsDir: `${REPO}deploy/crds` });
    api.apply('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"metallb-system"}}');
    kc = new k8s.KubeConfig();
    kc.loadFromFile(api.kubeconfigPath);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('runs on Node 24', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('core API: create, status merge patch, 409 on a stale update, JSON patch by default', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const svc = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web', labels: { app: 'web' } }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } } });
    expect(svc.spec!.clusterIP).toMatch(/^10\./);
    const patched = await core.patchNamespacedServiceStatus({ namespace: 'default', name: 'web', body: { status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    expect(patched.status!.loadBalancer!.ingress![0]!.ip).toBe('198.51.100.7');
    const last = api.server.requests.at(-1)!;
    expect([last.method, last.path, last.contentType]).toEqual(['PATCH', '/api/v1/namespaces/default/services/web/status', 'application/merge-patch+json']);
    const stale = { ...svc, status: { loadBalancer: { ingress: [{ ip: '198.51.100.8' }] } } };
    const err = await core.replaceNamespacedServiceStatus({ namespace: 'default', name: 'web', body: stale }).catch((e) => e);
    expect(err).toBeInstanceOf(k8s.ApiException);
    expect(err.code).toBe(409);
    expect(JSON.parse(err.body)).toMatchObject({ kind: 'Status', reason: 'Conflict' });
    await core.patchNamespacedService({ namespace: 'default', name: 'web', body: [{ op: 'add', path: '/metadata/labels/tier', value: 'front' }] });
    expect(api.server.requests.at(-1)!.contentType).toBe('application/json-patch+json');
    const list = await core.listServiceForAllNamespaces({ labelSelector: 'app in (web,x),tier=front', fieldSelector: 'metadata.namespace=default' });
    expect(list.items.map((s) => s.metadata!.name)).toEqual(['web']);
  });

  it('KubernetesObjectApi: server-side apply and read through discovery', async () => {
    const obj = k8s.KubernetesObjectApi.makeApiClient(kc);
    const pool = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool1', namespace: 'metallb-system', labels: { zone: 'a' } }, spec: { addresses: ['198.51.100.0/26'] } };
    await obj.patch(pool, undefined, undefined, 'metallb-ts', true, k8s.PatchStrategy.ServerSideApply);
    const read = await obj.read({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'pool1', namespace: 'metallb-system' } });
    expect((read as { spec: { autoAssign: boolean } }).spec.autoAssign).toBe(true);
    expect(api.server.requests.some((r) => r.path === '/apis/metallb.io/v1beta1' && r.method === 'GET')).toBe(true);
    const ssa = api.server.requests.find((r) => r.method === 'PATCH' && r.path.endsWith('/ipaddresspools/pool1'))!;
    expect(ssa.contentType).toBe('application/apply-patch+yaml');
    expect(ssa.query).toMatchObject({ fieldManager: 'metallb-ts', force: 'true' });
  });

  it('custom objects: list with a label selector, invalid objects give a 422 Status', async () => {
    const co = kc.makeApiClient(k8s.CustomObjectsApi);
    const l = (await co.listNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools', labelSelector: 'zone=a' })) as { items: { metadata: { name: string } }[] };
    expect(l.items.map((i) => i.metadata.name)).toEqual(['pool1']);
    const err = await co
      .createNamespacedCustomObject({ group: 'metallb.io', version: 'v1beta1', namespace: 'metallb-system', plural: 'ipaddresspools', body: { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bad' }, spec: { addresses: ['10.0.0.1/33'] } } })
      .catch((e) => e);
    expect(err.code).toBe(422);
    const status = JSON.parse(err.body);
    expect(status).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { name: 'bad', kind: 'IPAddressPool', causes: [{ field: 'spec.addresses[0]' }] } });
  });
});
