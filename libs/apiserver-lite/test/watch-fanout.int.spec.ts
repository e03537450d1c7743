/**
 * Issue 16: a change is serialised once for all the watchers that send the same line. Several
 * watchers of one change — same version, another served version of a CRD, a label selector
 * that turns MODIFIED into ADDED/DELETED, a Table watcher — each still get exactly their own
 * event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startApiServer, type RunningApiServer } from '../src/index.js';

const crds = fileURLToPath(new URL('./fixtures/crds/widgets.yaml', import.meta.url));

/** Reads one watch stream into `lines` (parsed) until `stop` is aborted. */
function watch(url: string, accept = 'application/json') {
  const lines: any[] = [];
  const stop = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: stop.signal, headers: { Accept: accept } });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError') throw e;
    }
  })().catch((e) => {
    if ((e as Error).name !== 'AbortError') throw e;
  });
  return { lines, close: async () => (stop.abort(), await done) };
}

async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('watch fan-out (issue 16)', () => {
  let api: RunningApiServer;
  beforeAll(async () => {
    api = await startApiServer({ crdsDir: crds });
    api.apply('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"widgets"}}');
  });
  afterAll(async () => {
    await api?.stop();
  });

  const call = async (method: string, path: string, body: unknown, contentType = 'application/json') => {
    const r = await fetch(`${api.url}${path}`, { method, body: JSON.stringify(body), headers: { 'Content-Type': contentType } });
    expect(r.status).toBeLessThan(300);
    return (await r.json()) as any;
  };

  it('every watcher gets its own event type, apiVersion and format for the same change', async () => {
    const rv = String(api.server.api.store.currentRv());
    const q = `watch=true&resourceVersion=${rv}`;
    const beta = [watch(`${api.url}/apis/test.metallb-ts.dev/v1beta1/namespaces/widgets/widgetpools?${q}`), watch(`${api.url}/apis/test.metallb-ts.dev/v1beta1/widgetpools?${q}`)];
    const alpha = watch(`${api.url}/apis/test.metallb-ts.dev/v1alpha1/namespaces/widgets/widgetpools?${q}`);
    const selected = watch(`${api.url}/apis/test.metallb-ts.dev/v1beta1/widgetpools?${q}&labelSelector=pick%3Dyes`);
    const table = watch(`${api.url}/apis/test.metallb-ts.dev/v1beta1/widgetpools?${q}`, 'application/json;as=Table;v=v1;g=meta.k8s.io');
    const all = [...beta, alpha, selected, table];
    await until(() => api.server.watchCount() === all.length, 'the watches to open');

    const base = '/apis/test.metallb-ts.dev/v1beta1/namespaces/widgets/widgetpools';
    await call('POST', base, { apiVersion: 'test.metallb-ts.dev/v1beta1', kind: 'WidgetPool', metadata: { name: 'w' }, spec: { addresses: ['198.51.100.0/24'] } });
    await call('PATCH', `${base}/w`, { metadata: { labels: { pick: 'yes' } } }, 'application/merge-patch+json');
    await call('PATCH', `${base}/w`, { metadata: { labels: { pick: null } } }, 'application/merge-patch+json');
    await until(() => beta.every((w) => w.lines.length === 3) && alpha.lines.length === 3 && selected.lines.length === 2 && table.lines.length === 3, 'every event');
    for (const w of all) await w.close();

    const summary = (w: { lines: any[] }) => w.lines.map((l) => `${l.type} ${l.object.apiVersion} ${l.object.kind}`);
    for (const w of beta) expect(summary(w)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED'].map((t) => `${t} test.metallb-ts.dev/v1beta1 WidgetPool`));
    expect(summary(alpha)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED'].map((t) => `${t} test.metallb-ts.dev/v1alpha1 WidgetPool`));
    expect(summary(selected)).toEqual(['ADDED test.metallb-ts.dev/v1beta1 WidgetPool', 'DELETED test.metallb-ts.dev/v1beta1 WidgetPool']);
    expect(summary(table)).toEqual(['ADDED', 'MODIFIED', 'MODIFIED'].map((t) => `${t} meta.k8s.io/v1 Table`));
    // The same change is the same object for every watcher of one version, apart from the labels it carries.
    expect(beta[0]!.lines).toEqual(beta[1]!.lines);
    expect(alpha.lines.map((l) => ({ ...l.object, apiVersion: undefined }))).toEqual(beta[0]!.lines.map((l) => ({ ...l.object, apiVersion: undefined })));
    expect(selected.lines[0].object.metadata.labels).toEqual({ pick: 'yes' });
    // As on kube-apiserver: leaving the selection is a DELETED of the last selected state, at the event's resourceVersion.
    expect(selected.lines[1].object.metadata.labels).toEqual({ pick: 'yes' });
    expect(selected.lines[1].object.metadata.resourceVersion).toBe(beta[0]!.lines[2].object.metadata.resourceVersion);
    expect(beta[0]!.lines.map((l) => l.object.metadata.resourceVersion)).toEqual([...new Set(beta[0]!.lines.map((l) => l.object.metadata.resourceVersion))]);
  });
});
