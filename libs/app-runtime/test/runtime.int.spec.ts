/**
 * app-runtime against apiserver-lite (in-process, real HTTP, the real deploy/crds with schema and
 * CEL validation): the status-object keeper, the ConfigurationState writer, Events about list
 * items without apiVersion/kind, and the probe server over a real socket on 127.0.0.1.
 */
import { startApiServer, type RunningApiServer } from '@metallb-ts/apiserver-lite';
import { buildConfig, isConfigErrors } from '@metallb-ts/config';
import { EventRecorder, KubeClient, loadClientConfig, Informer, type KubeObject } from '@metallb-ts/k8s-watch';
import type { Server } from 'node:http';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppMetrics,
  closeServer,
  ConfigurationStateWriter,
  CORE_RESOURCES,
  K8sClientMetrics,
  METALLB_RESOURCES,
  stampTypeMeta,
  startProbeServer,
  StatusKeeper,
  typeMetaOf,
} from '../src/index.js';

const crds = new URL('../../../deploy/crds', import.meta.url).pathname;
const have = existsSync(crds);
if (!have) console.warn('SKIP app-runtime integration tests: deploy/crds is missing');
const NS = 'metallb-system';
const L2 = METALLB_RESOURCES.servicel2statuses;
const BGP = METALLB_RESOURCES.servicebgpstatuses;

describe.skipIf(!have)('app-runtime against apiserver-lite', () => {
  let api: RunningApiServer;
  let client: KubeClient;
  beforeAll(async () => {
    api = await startApiServer({ crdsDir: crds });
    api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }));
    api.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'speaker-n1', namespace: NS }, spec: { containers: [{ name: 's', image: 'x' }] } }));
    client = new KubeClient(loadClientConfig({ kubeconfig: api.kubeconfigPath, env: {}, qps: 1000, burst: 1000 }));
  });
  afterAll(async () => {
    client?.close();
    await api?.stop();
  });

  const list = async (r: typeof L2) => (await client.list<KubeObject>(r, { namespace: NS })).items;

  it('L2 keeper: generateName l2-, pod owner, /status written; a takeover deletes the old node\'s object; remove cleans up', async () => {
    const pod = await client.get<KubeObject>(CORE_RESOURCES.pods, NS, 'speaker-n1');
    const keeper = (node: string) =>
      new StatusKeeper({ client, resource: L2, namespace: NS, node, generateName: 'l2-', exclusive: true, owner: { kind: 'pod', namespace: NS, name: 'speaker-n1' } });
    const svc = { namespace: 'default', name: 'web' };
    const k1 = keeper('n1');
    const a = await k1.keep(svc, { interfaces: [{ name: 'eth0' }] });
    expect(a.kind).toBe('created');
    expect(a.name).toMatch(/^l2-.+/);
    let objs = await list(L2);
    expect(objs).toHaveLength(1);
    expect(objs[0]!.metadata.labels).toEqual({ 'metallb.io/node': 'n1', 'metallb.io/service-name': 'web', 'metallb.io/service-namespace': 'default' });
    expect(objs[0]!.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Pod', name: 'speaker-n1', uid: pod.metadata.uid }]);
    expect(objs[0]!.status).toEqual({ node: 'n1', serviceName: 'web', serviceNamespace: 'default', interfaces: [{ name: 'eth0' }] });

    expect(await k1.keep(svc, { interfaces: [{ name: 'eth0' }] })).toEqual({ kind: 'unchanged', name: a.name, deleted: [] });
    expect((await k1.keep(svc, {})).kind).toBe('updated');
    expect((await list(L2))[0]!.status.interfaces).toBeUndefined();

    const b = await keeper('n2').keep(svc);
    expect(b).toMatchObject({ kind: 'created', deleted: [a.name] });
    objs = await list(L2);
    expect(objs.map((o) => o.status.node)).toEqual(['n2']);

    expect(await keeper('n1').remove(svc)).toEqual({ kind: 'none', deleted: [] });
    expect(await keeper('n2').remove(svc)).toEqual({ kind: 'removed', deleted: [b.name] });
    expect(await list(L2)).toEqual([]);
  });

  it('BGP keeper: one object per node and service, peers in status, other nodes untouched', async () => {
    const keeper = (node: string) => new StatusKeeper({ client, resource: BGP, namespace: NS, node, generateName: 'bgp-', exclusive: false });
    const svc = { namespace: 'apps', name: 'dns' };
    await keeper('n1').keep(svc, { peers: ['peer-a', 'peer-b'] });
    await keeper('n2').keep(svc, { peers: ['peer-a'] });
    await keeper('n1').keep(svc, { peers: ['peer-b'] });
    const objs = await list(BGP);
    expect(objs.map((o) => [o.status.node, o.status.peers, o.metadata.name.startsWith('bgp-')]).sort()).toEqual([
      ['n1', ['peer-b'], true],
      ['n2', ['peer-a'], true],
    ]);
    await keeper('n1').remove(svc);
    await keeper('n2').remove(svc);
    expect(await list(BGP)).toEqual([]);
  });

  it('the server\'s CEL rule holds: the keeper never rewrites status.node of an object (it makes its own)', async () => {
    const svc = { namespace: 'default', name: 'cel' };
    await new StatusKeeper({ client, resource: L2, namespace: NS, node: 'n1', generateName: 'l2-', exclusive: false }).keep(svc);
    const r = await new StatusKeeper({ client, resource: L2, namespace: NS, node: 'n2', generateName: 'l2-', exclusive: true }).keep(svc);
    expect(r.kind).toBe('created');
    expect(r.deleted).toHaveLength(1);
    await new StatusKeeper({ client, resource: L2, namespace: NS, node: 'n2', generateName: 'l2-', exclusive: true }).remove(svc);
  });

  it('ConfigurationState: created with labels and pod owner; Valid, then Invalid with the summary', async () => {
    const w = new ConfigurationStateWriter({ client, namespace: NS, component: { type: 'speaker', node: 'n1' }, fieldManager: 'metallb-ts-speaker', owner: { kind: 'pod', namespace: NS, name: 'speaker-n1' } });
    const pool = (name: string, a: string) => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec: { addresses: [a] } });
    const ok = buildConfig([pool('a', '198.51.100.0/28')], { namespace: NS });
    expect(isConfigErrors(ok)).toBe(false);
    expect((await w.report(ok)).kind).toBe('written');
    let o = await client.get<KubeObject>(METALLB_RESOURCES.configurationstates, NS, 'speaker-n1');
    expect(o.metadata.labels).toEqual({ 'metallb.io/component-type': 'speaker', 'metallb.io/node-name': 'n1' });
    expect((o.metadata.ownerReferences as { kind: string }[] | undefined)?.[0]).toMatchObject({ kind: 'Pod', name: 'speaker-n1' });
    expect(o.status).toMatchObject({ result: 'Valid', errorSummary: '', conditions: [{ type: 'configReconcilerValid', status: 'True', reason: 'Reconciled' }] });
    const bad = buildConfig([pool('a', '198.51.100.0/28'), pool('b', '198.51.100.0/29')], { namespace: NS });
    expect(isConfigErrors(bad)).toBe(true);
    expect((await w.report(bad)).kind).toBe('written');
    o = await client.get<KubeObject>(METALLB_RESOURCES.configurationstates, NS, 'speaker-n1');
    expect(o.status.result).toBe('Invalid');
    expect(o.status.errorSummary).toMatch(/overlap/i);
    expect(o.status.conditions).toHaveLength(1);
  });

  it('Events about informer items: stamped with apiVersion/kind, and the recorder is told the kind', async () => {
    await client.create(CORE_RESOURCES.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ev', namespace: 'default' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    const inf = new Informer<KubeObject>({ client, resource: CORE_RESOURCES.services, transform: stampTypeMeta(CORE_RESOURCES.services) });
    inf.start();
    try {
      await inf.waitForSync();
      const svc = inf.store.get('default/ev')!;
      expect([svc.apiVersion, svc.kind]).toEqual(['v1', 'Service']);
      const rec = new EventRecorder({ client, component: 'metallb-controller' });
      expect(await rec.record(svc, typeMetaOf(CORE_RESOURCES.services), 'Normal', 'IPAllocated', 'Assigned IP [198.51.100.1]')).toBe('created');
      const ev = (await client.list<KubeObject>(CORE_RESOURCES.events, { namespace: 'default' })).items.find((e) => e.involvedObject?.name === 'ev')!;
      expect(ev.involvedObject).toMatchObject({ apiVersion: 'v1', kind: 'Service', uid: svc.metadata.uid });
    } finally {
      await inf.stop();
    }
  });
});

describe('probe server on 127.0.0.1', () => {
  let server: Server | undefined;
  let probes: Server | undefined;
  afterAll(async () => {
    if (server) await closeServer(server);
    if (probes) await closeServer(probes);
  });
  it('/healthz and /livez 200, /readyz follows the probe, /metrics only where given, 404 otherwise', async () => {
    let why: string | undefined = 'informers not synced';
    const metrics = new AppMetrics();
    new K8sClientMetrics(metrics).configLoaded.set(1);
    server = await startProbeServer({ port: 0, host: '127.0.0.1', metrics, probe: { notReady: () => why } });
    probes = await startProbeServer({ port: 0, host: '127.0.0.1', probe: { notReady: () => why } });
    const url = (s: Server, p: string) => `http://127.0.0.1:${(s.address() as { port: number }).port}${p}`;
    for (const p of ['/healthz', '/livez', '/healthz?verbose']) expect((await fetch(url(server, p))).status).toBe(200);
    let r = await fetch(url(server, '/readyz'));
    expect([r.status, await r.text()]).toEqual([503, 'not ready: informers not synced\n']);
    why = undefined;
    r = await fetch(url(server, '/readyz'));
    expect([r.status, await r.text()]).toEqual([200, 'ok\n']);
    r = await fetch(url(server, '/metrics'));
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('metallb_k8s_client_config_loaded_bool 1');
    expect((await fetch(url(probes, '/metrics'))).status).toBe(404);
    expect((await fetch(url(probes, '/readyz'))).status).toBe(200);
    expect((await fetch(url(server, '/nope'))).status).toBe(404);
  });
  it('anything but GET/HEAD is 405 with Allow; HEAD has no body; a failing liveness probe is 503 with its reason', async () => {
    let live: string | undefined;
    const s = await startProbeServer({ port: 0, host: '127.0.0.1', metrics: new AppMetrics(), probe: { notReady: () => undefined, notLive: () => live } });
    try {
      const url = (p: string) => `http://127.0.0.1:${(s.address() as { port: number }).port}${p}`;
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
        const r = await fetch(url('/metrics'), { method, ...(method === 'OPTIONS' ? {} : { body: 'x' }) });
        expect([method, r.status, r.headers.get('allow')]).toEqual([method, 405, 'GET, HEAD']);
      }
      const h = await fetch(url('/readyz'), { method: 'HEAD' });
      expect([h.status, await h.text()]).toEqual([200, '']);
      live = 'stuck';
      const r = await fetch(url('/healthz'));
      expect([r.status, await r.text()]).toEqual([503, 'not live: stuck\n']);
    } finally {
      await closeServer(s);
    }
  });
  it('a port in use is a rejected start, not a crash', async () => {
    const a = await startProbeServer({ port: 0, host: '127.0.0.1', probe: { notReady: () => undefined } });
    try {
      await expect(startProbeServer({ port: (a.address() as { port: number }).port, host: '127.0.0.1', probe: { notReady: () => undefined } })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await closeServer(a);
    }
  });
});
