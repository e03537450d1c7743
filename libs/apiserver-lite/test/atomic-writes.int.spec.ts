/**
 * Issue 15 §3 over HTTP, as reported: `kubectl patch svc bad --type merge -p '{"spec":{"ports":"x"}}'`
 * answered 500 yet stored the object, and every later list of Services in the namespace answered
 * 500. Now it is a 422 `Invalid` that changes nothing, lists keep working, and a body nested
 * 10,000 levels deep is a 400 (never a 500 from a stack overflow).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../src/index.js';
import { findKubectl, kubectlRunner } from './kubectl-helpers.js';

const kubectlBin = findKubectl();
if (!kubectlBin) console.warn('SKIP the kubectl half of the atomic-writes tests: no kubectl');

describe('apiserver-lite never answers an error and keeps the write', () => {
  let api: RunningApiServer;
  beforeAll(async () => {
    api = await startApiServer({});
  });
  afterAll(async () => {
    await api?.stop();
  });

  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bad' }, spec: { type: 'LoadBalancer', selector: { app: 'bad' }, ports: [{ port: 80 }] } };
  const call = async (method: string, path: string, body?: string, contentType = 'application/json') => {
    const r = await fetch(`${api.url}${path}`, { method, body, headers: body ? { 'Content-Type': contentType } : {} });
    return { status: r.status, body: (await r.json()) as any };
  };

  it.skipIf(!kubectlBin)('kubectl patch with spec.ports:"x" is refused with 422 and the Service and its lists are unchanged', async () => {
    const k = kubectlRunner(kubectlBin!, api.kubeconfigPath);
    expect((await k(['create', '-f', '-'], JSON.stringify(svc))).code).toBe(0);
    const before = await call('GET', '/api/v1/namespaces/default/services/bad');
    const r = await k(['patch', 'svc', 'bad', '--type', 'merge', '-p', '{"spec":{"ports":"x"}}']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Service "bad" is invalid: spec.ports: Invalid value: "string": spec.ports in body must be of type array: "string"');
    expect(api.server.requests.filter((q) => q.method === 'PATCH').at(-1)?.status).toBe(422);
    expect((await call('GET', '/api/v1/namespaces/default/services/bad')).body).toEqual(before.body);
    const get = await k(['get', 'svc', '-n', 'default']);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/bad\s+LoadBalancer/);
  });

  it('a JSON body nested 10,000 levels deep is a 400 BadRequest Status, for create and patch', async () => {
    await call('POST', '/api/v1/namespaces/default/services', JSON.stringify({ ...svc, metadata: { name: 'deep-target' } }));
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const c = await call('POST', '/api/v1/namespaces/default/configmaps', `{"metadata":{"name":"deep"},"data":${deep}}`);
    expect(c.status).toBe(400);
    expect(c.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    const p = await call('PATCH', '/api/v1/namespaces/default/services/deep-target', `{"spec":${deep}}`, 'application/merge-patch+json');
    expect(p.status).toBe(400);
    const y = await call('PATCH', '/api/v1/namespaces/default/services/deep-target?fieldManager=t', `spec: ${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'application/apply-patch+yaml');
    expect(y.status).toBe(400);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/deep')).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/default/services')).status).toBe(200);
  });
});
