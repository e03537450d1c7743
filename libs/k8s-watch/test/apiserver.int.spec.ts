/**
 * Our informer, client-node's informer, the work queue + reconciler + writers, all against
 * apiserver-lite over real HTTP: closed watches, 410 Gone, dropped connections, bookmarks, and a
 * server restart from a snapshot (no event lost, no duplicate delivered).
 */
import * as k8s from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '@metallb-ts/apiserver-lite';
import { systemClock } from '@metallb-ts/clock';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createOrUpdate,
  EventRecorder,
  enqueueChanges,
  Informer,
  KubeClient,
  loadClientConfig,
  patchStatus,
  Resources,
  runReconciler,
  WorkQueue,
  type KubeObject,
} from '../src/index.js';
import { DeliveryLog, FAST_BACKOFF, versions } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'k8s-watch-int-'));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function server(opts: Parameters<typeof startApiServer>[0] = {}): Promise<RunningApiServer> {
  const s = await startApiServer({ bookmarkIntervalMs: 200, ...opts });
  cleanups.push(() => s.stop());
  return s;
}

function client(api: RunningApiServer): KubeClient {
  const c = new KubeClient(loadClientConfig({ kubeconfig: api.kubeconfigPath, env: {}, qps: 1000, burst: 1000 }));
  cleanups.push(() => c.close());
  return c;
}

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });
const CM = Resources.configMaps;

function ourInformer(c: KubeClient, log: DeliveryLog, extra: Partial<ConstructorParameters<typeof Informer>[0]> = {}) {
  const inf = new Informer<KubeObject>({ client: c, resource: CM, namespace: 'default', backoff: FAST_BACKOFF, ...extra });
  inf.addEventHandler({ onAdd: log.add, onUpdate: log.update, onDelete: log.remove });
  inf.start();
  cleanups.push(() => inf.stop());
  return inf;
}

const listRequests = (api: RunningApiServer) => api.server.requests.filter((r) => r.path === '/api/v1/namespaces/default/configmaps' && r.method === 'GET' && r.query.watch === undefined).length;

describe('our informer against apiserver-lite', () => {
  it('syncs, follows changes, resumes closed and cut watches without relisting, relists on 410', async () => {
    const api = await server();
    const c = client(api);
    for (const n of ['a', 'b', 'c']) await c.create(CM, 'default', cm(n));
    const log = new DeliveryLog();
    const inf = ourInformer(c, log);
    await inf.waitForSync();
    expect([...log.view.keys()].sort()).toEqual(['a', 'b', 'c']);
    await c.create(CM, 'default', cm('d'));
    await expect.poll(() => log.view.has('d')).toBe(true);
    // The server closes every watch: the informer resumes from its resourceVersion.
    await expect.poll(() => api.server.watchCount()).toBeGreaterThan(0);
    api.server.closeWatches();
    await c.create(CM, 'default', cm('e'));
    await expect.poll(() => log.view.has('e')).toBe(true);
    // The connection is cut mid-stream.
    await expect.poll(() => api.server.watchCount()).toBeGreaterThan(0);
    api.server.dropWatches();
    await c.patch(CM, 'default', 'a', 'application/merge-patch+json', { data: { x: '1' } });
    await expect.poll(() => log.view.get('a')).toBe((await c.get(CM, 'default', 'a')).metadata.resourceVersion);
    expect(listRequests(api)).toBe(1);
    // History lost and an object deleted without an event: 410 → relist → synthesised delete.
    api.server.api.store.silentRemove('/configmaps', 'default', 'b');
    api.server.closeWatches();
    await expect.poll(() => log.view.has('b'), { timeout: 10_000 }).toBe(false);
    expect(log.lines.some((l) => l.startsWith('delete:default/b@'))).toBe(true);
    expect(listRequests(api)).toBe(2);
    expect(log.duplicates).toEqual([]);
    expect(log.view).toEqual(versions((await c.list<KubeObject>(CM, { namespace: 'default' })).items));
  });

  it('advances its resourceVersion on bookmarks', async () => {
    const api = await server();
    const c = client(api);
    const log = new DeliveryLog();
    const inf = ourInformer(c, log);
    await inf.waitForSync();
    await c.create(Resources.secrets, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' } });
    const rv = String(api.server.api.store.currentRv());
    await expect.poll(() => inf.lastResourceVersion(), { timeout: 5000 }).toBe(rv);
    expect(api.server.requests.some((r) => r.query.allowWatchBookmarks === 'true')).toBe(true);
  });

  it('survives a server restart from a snapshot: no event lost, none duplicated', async () => {
    const snapshotFile = join(tmp, 'restart.json');
    const a = await startApiServer({ snapshotFile });
    const port = Number(new URL(a.url).port);
    const kubeconfigPath = a.kubeconfigPath;
    const c = new KubeClient(loadClientConfig({ kubeconfig: kubeconfigPath, env: {}, qps: 1000, burst: 1000 }));
    cleanups.push(() => c.close());
    for (const n of ['x1', 'x2', 'x3']) await c.create(CM, 'default', cm(n));
    const log = new DeliveryLog();
    const inf = ourInformer(c, log);
    await inf.waitForSync();
    // A change the informer may or may not have seen before the server goes down.
    await c.create(CM, 'default', cm('x4'));
    await a.server.close();
    const b = await startApiServer({ snapshotFile, port, kubeconfigPath: join(tmp, 'kc-b') });
    cleanups.push(() => b.stop());
    const cb = client(b);
    await cb.create(CM, 'default', cm('x5'));
    await cb.patch(CM, 'default', 'x1', 'application/merge-patch+json', { data: { after: 'restart' } });
    await cb.delete(CM, 'default', 'x2');
    const want = versions((await cb.list<KubeObject>(CM, { namespace: 'default' })).items);
    await expect.poll(() => log.view, { timeout: 15_000 }).toEqual(want);
    expect(log.duplicates).toEqual([]);
    expect(log.lines.filter((l) => l.startsWith('add:default/x4'))).toHaveLength(1);
    // The informer resumed from history restored from the snapshot: it never had to relist.
    expect(b.server.requests.filter((r) => r.path.endsWith('/configmaps') && r.query.watch === undefined && r.method === 'GET').length).toBe(1); // cb.list above
  });
});

describe('a server restart that loses everything (no snapshot)', () => {
  it('our informer relists (410 for a resourceVersion from the future) and drops what vanished', async () => {
    const a = await startApiServer({});
    const port = Number(new URL(a.url).port);
    const c = new KubeClient(loadClientConfig({ kubeconfig: a.kubeconfigPath, env: {}, qps: 1000, burst: 1000 }));
    cleanups.push(() => c.close());
    for (const n of ['old1', 'old2', 'old3']) await c.create(CM, 'default', cm(n));
    const log = new DeliveryLog();
    const inf = ourInformer(c, log);
    await inf.waitForSync();
    await a.stop();
    // The new server's clock runs a day behind, as after the wall clock stepped back between the
    // two servers: a fresh store starts its resourceVersions at the clock, so the informer's old
    // version is "from the future" for it and must get 410 either way. (Regression: with the real
    // clock this case depended on the clock never stepping back; it failed once on a fresh
    // machine whose clock was being synchronised.)
    const behind = { ...systemClock, now: () => systemClock.now() - 86_400_000 };
    const b = await startApiServer({ port, kubeconfigPath: join(tmp, 'kc-reset'), clock: behind });
    cleanups.push(() => b.stop());
    const cb = client(b);
    await cb.create(CM, 'default', cm('fresh'));
    await expect.poll(() => [...log.view.keys()].sort(), { timeout: 15_000 }).toEqual(['fresh']);
    expect(log.lines.filter((l) => l.startsWith('delete:')).map((l) => l.split('@')[0])).toEqual(['delete:default/old1', 'delete:default/old2', 'delete:default/old3']);
    expect(log.duplicates).toEqual([]);
  });
});

describe("client-node's informer against apiserver-lite", () => {
  function cnInformer(kubeconfig: string, log: DeliveryLog) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const inf = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    inf.on('add', (o) => log.add(o as KubeObject));
    inf.on('update', (o) => log.update(o as KubeObject, o as KubeObject));
    inf.on('delete', (o) => log.remove(o as KubeObject));
    let stopped = false;
    // client-node's informer stays stopped after an error: restart it (the documented workaround).
    inf.on('error', () => {
      if (!stopped) systemClock.setTimer(200, () => void (stopped ? undefined : inf.start().catch(() => {})));
    });
    cleanups.push(async () => {
      stopped = true;
      await inf.stop();
    });
    return inf;
  }

  it('follows changes, resumes a closed watch, relists on 410', async () => {
    const api = await server();
    const c = client(api);
    await c.create(CM, 'default', cm('a'));
    await c.create(CM, 'default', cm('b'));
    const log = new DeliveryLog();
    const inf = cnInformer(api.kubeconfigPath, log);
    await inf.start();
    await expect.poll(() => log.view.size).toBe(2);
    await expect.poll(() => api.server.watchCount()).toBeGreaterThan(0);
    api.server.closeWatches();
    await c.create(CM, 'default', cm('c'));
    await expect.poll(() => log.view.has('c'), { timeout: 15_000 }).toBe(true);
    const watchRvs = api.server.requests.filter((r) => r.query.watch === 'true').map((r) => r.query.resourceVersion);
    expect(watchRvs.length).toBeGreaterThanOrEqual(2);
    expect(listRequests(api)).toBe(1);
    api.server.api.store.silentRemove('/configmaps', 'default', 'a');
    await expect.poll(() => api.server.watchCount()).toBeGreaterThan(0);
    api.server.closeWatches();
    await expect.poll(() => log.view.has('a'), { timeout: 15_000 }).toBe(false);
    expect(listRequests(api)).toBe(2);
    expect(log.duplicates).toEqual([]);
  });

  it('survives a server restart from a snapshot', async () => {
    const snapshotFile = join(tmp, 'restart-cn.json');
    const a = await startApiServer({ snapshotFile });
    const port = Number(new URL(a.url).port);
    const c = new KubeClient(loadClientConfig({ kubeconfig: a.kubeconfigPath, env: {}, qps: 1000, burst: 1000 }));
    cleanups.push(() => c.close());
    await c.create(CM, 'default', cm('y1'));
    await c.create(CM, 'default', cm('y2'));
    const log = new DeliveryLog();
    const inf = cnInformer(a.kubeconfigPath, log);
    await inf.start();
    await expect.poll(() => log.view.size).toBe(2);
    await a.server.close();
    const b = await startApiServer({ snapshotFile, port, kubeconfigPath: join(tmp, 'kc-cn-b') });
    cleanups.push(() => b.stop());
    const cb = client(b);
    await cb.create(CM, 'default', cm('y3'));
    await cb.delete(CM, 'default', 'y1');
    const want = versions((await cb.list<KubeObject>(CM, { namespace: 'default' })).items);
    await expect.poll(() => log.view, { timeout: 40_000, interval: 200 }).toEqual(want);
    expect(log.duplicates).toEqual([]);
  }, 60_000);
});

describe('controller plumbing against apiserver-lite', () => {
  it('informer → work queue → reconcile → status patch and Events', async () => {
    const api = await server();
    const c = client(api);
    const services = new Informer<KubeObject>({ client: c, resource: Resources.services, backoff: FAST_BACKOFF });
    const queue = new WorkQueue({ clock: systemClock });
    enqueueChanges(services, queue);
    const recorder = new EventRecorder({ client: c, component: 'metallb-test' });
    let next = 1;
    const runner = runReconciler({
      queue,
      concurrency: 2,
      reconcile: async (key) => {
        const svc = services.store.get(key);
        if (!svc || svc.spec?.type !== 'LoadBalancer' || svc.status?.loadBalancer?.ingress?.length) return;
        const ip = `198.51.100.${next++}`;
        await patchStatus(c, Resources.services, svc.metadata.namespace, svc.metadata.name, { loadBalancer: { ingress: [{ ip }] } }, 'metallb-test');
        await recorder.record(svc, { apiVersion: 'v1', kind: 'Service' }, 'Normal', 'IPAllocated', `Assigned IP ["${ip}"]`);
      },
    });
    services.start();
    cleanups.push(async () => {
      await runner.stop();
      await services.stop();
    });
    await services.waitForSync();
    await c.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    await c.create(Resources.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'plain', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    await expect.poll(async () => (await c.get<KubeObject>(Resources.services, 'default', 'lb')).status?.loadBalancer?.ingress?.[0]?.ip).toBe('198.51.100.1');
    expect((await c.get<KubeObject>(Resources.services, 'default', 'plain')).status?.loadBalancer?.ingress).toBeUndefined();
    const events = await c.list<KubeObject>(Resources.events, { namespace: 'default' });
    expect(events.items.map((e) => [e.reason, e.involvedObject.kind, e.involvedObject.apiVersion, e.involvedObject.name, e.count])).toEqual([['IPAllocated', 'Service', 'v1', 'lb', 1]]);
  });

  it('createOrUpdate converges under concurrent writers (409 retries)', async () => {
    const api = await server();
    const c = client(api);
    const bump = () => createOrUpdate<KubeObject>(c, CM, 'default', 'counter', (cur) => (cur ? { ...cur, data: { n: String(Number(cur.data.n) + 1) } } : cm('counter', { n: '1' })), { attempts: 20 });
    await Promise.all(Array.from({ length: 6 }, bump));
    expect((await c.get<KubeObject>(CM, 'default', 'counter')).data.n).toBe('6');
    expect(api.server.requests.some((r) => r.status === 409)).toBe(true);
  });

  it('KubeClient maps API errors to ApiError with the Status body', async () => {
    const api = await server();
    const c = client(api);
    await expect(c.get(CM, 'default', 'missing')).rejects.toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "missing" not found' });
    await c.create(CM, 'default', cm('dup'));
    await expect(c.create(CM, 'default', cm('dup'))).rejects.toMatchObject({ code: 409, reason: 'AlreadyExists' });
    await expect(c.list(CM, { labelSelector: 'in valid' })).rejects.toMatchObject({ code: 400 });
  });
});
