/**
 * KubeClient + Informer against a misbehaving HTTP server: 500s, slow answers, a 410 status,
 * connections cut mid-stream, garbage on the stream, a silent (half-open) watch, duplicated and
 * out-of-order events. The informer must end with the server's state, each change delivered once.
 */
import { systemClock } from '@metallb-ts/clock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Informer, KubeClient, loadClientConfig, Resources, type InformerEvent, type KubeObject } from '../src/index.js';
import { FakeApiClient, ScriptedApiServer } from '../src/testing/index.js';
import { DeliveryLog, FAST_BACKOFF, versions } from './support.js';

const tmp = mkdtempSync(join(tmpdir(), 'k8s-watch-scripted-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const S = Resources.services;
const svc = (name: string, n = 0): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { n } });

async function setup() {
  const fake = new FakeApiClient(systemClock);
  const srv = new ScriptedApiServer(fake);
  const url = await srv.listen();
  const kc = join(tmp, `kc-${Math.floor(systemClock.now())}-${url.split(':').pop()}`);
  writeFileSync(kc, `apiVersion: v1\nkind: Config\nclusters: [{name: s, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\nusers: [{name: s, user: {token: t}}]\ncontexts: [{name: s, context: {cluster: s, user: s}}]\ncurrent-context: s\n`);
  const client = new KubeClient(loadClientConfig({ kubeconfig: kc, env: {}, qps: 1000, burst: 1000 }));
  const log = new DeliveryLog();
  const events: InformerEvent[] = [];
  const inf = new Informer<KubeObject>({ client, resource: S, backoff: FAST_BACKOFF, inactivityTimeoutMs: 800, onEvent: (e) => events.push(e) });
  inf.addEventHandler({ onAdd: log.add, onUpdate: log.update, onDelete: log.remove });
  return {
    fake,
    srv,
    client,
    log,
    events,
    inf,
    done: async () => {
      await inf.stop();
      client.close();
      await srv.close();
    },
  };
}

describe('Informer over HTTP against a misbehaving server', () => {
  it('syncs despite failing and slow lists', async () => {
    const t = await setup();
    t.fake.upsert(S, svc('a'));
    t.srv.inject({ op: 'list', status: 500 }, { op: 'list', status: 503 }, { op: 'list', delayMs: 300 });
    t.inf.start();
    await t.inf.waitForSync();
    expect(t.srv.requests.filter((r) => !r.includes('watch=true'))).toHaveLength(3);
    expect(t.events.filter((e) => e.kind === 'error').map((e) => (e as unknown as { error: { code: number } }).error.code)).toEqual([500, 503]);
    expect([...t.log.view.keys()]).toEqual(['a']);
    await t.done();
  });

  it('recovers from cut connections, garbage, a silent watch, 500 and 410 on the watch', async () => {
    const t = await setup();
    t.fake.upsert(S, svc('a'));
    t.inf.start();
    await t.inf.waitForSync();
    const watches = () => t.srv.requests.filter((r) => r.includes('watch=true')).length;
    // Every scripted fault hits the next watch request, in order.
    t.srv.inject({ op: 'watch', cutAfter: 0 }, { op: 'watch', garbageAfter: 0 }, { op: 'watch', silent: true }, { op: 'watch', status: 500 }, { op: 'watch', status: 410 });
    await expect.poll(watches).toBeGreaterThan(0);
    for (let i = 1; i <= 6; i++) {
      t.fake.upsert(S, svc(`s${i}`));
      await expect.poll(() => t.log.view.has(`s${i}`), { timeout: 10_000 }).toBe(true);
      t.fake.closeWatches(); // move on to the next scripted watch
    }
    t.fake.upsert(S, svc('a', 1));
    t.fake.remove(S, 'default', 's1');
    await expect.poll(() => t.log.view, { timeout: 10_000 }).toEqual(versions(t.fake.objectsOf(S)));
    expect(t.log.duplicates).toEqual([]);
    const kinds = t.events.map((e) => e.kind);
    expect(kinds).toContain('expired');
    expect(t.events.some((e) => e.kind === 'error' && e.error.name === 'WatchDecodeError')).toBe(true);
    expect(t.events.some((e) => e.kind === 'error' && e.error.name === 'InactivityTimeout')).toBe(true);
    expect(t.events.some((e) => e.kind === 'error' && (e.error as { reason?: string }).reason === 'Transport')).toBe(true);
    await t.done();
  }, 60_000);

  it('ignores duplicated and out-of-order events from the server', async () => {
    const t = await setup();
    const a1 = t.fake.upsert(S, svc('a'));
    t.inf.start();
    await t.inf.waitForSync();
    await expect.poll(() => t.fake.openWatches()).toBe(1);
    const a2 = t.fake.upsert(S, svc('a', 2));
    t.fake.pushRaw(S, { type: 'MODIFIED', object: a2 });
    t.fake.pushRaw(S, { type: 'MODIFIED', object: a1 });
    t.fake.pushRaw(S, { type: 'DELETED', object: a1 });
    t.fake.upsert(S, svc('b'));
    await expect.poll(() => t.log.view.has('b')).toBe(true);
    expect(t.log.view.get('a')).toBe(a2.metadata.resourceVersion);
    expect(t.events.filter((e) => e.kind === 'ignored')).toHaveLength(3);
    expect(t.log.duplicates).toEqual([]);
    await t.done();
  });
});
