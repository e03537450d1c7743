/**
 * HTTPS and bearer-token authentication: a self-signed certificate for 127.0.0.1 made with
 * openssl; kubectl and client-node verify it through the CA data in the written kubeconfig.
 */
import { spawnSync } from 'node:child_process';
import { get } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../src/index.js';
import { findKubectl, kubectlRunner } from './kubectl-helpers.js';

const openssl = spawnSync('openssl', ['version']).status === 0;
if (!openssl) console.warn('SKIP TLS tests: openssl is missing');
const dir = mkdtempSync(join(tmpdir(), 'apiserver-lite-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!openssl)('HTTPS with a token', () => {
  it('kubectl and client-node talk to it over verified TLS; a missing token is 401', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=apiserver-lite', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const api = await startApiServer({ tls: { cert: readFileSync(cert), key: readFileSync(key) }, token: 's3cret' });
    try {
      expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(api.kubeconfigPath);
      const ns = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
      expect(ns.items.map((n) => n.metadata!.name)).toContain('kube-system');
      // Without the token: 401 with a Status body (TLS verified against our certificate).
      const anon = await new Promise<{ code: number; body: string }>((resolve, reject) => {
        get(`${api.url}/api/v1/namespaces`, { ca: readFileSync(cert) }, (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
      expect(anon.code).toBe(401);
      expect(JSON.parse(anon.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      const kubectl = findKubectl();
      if (kubectl) {
        const out = await kubectlRunner(kubectl, api.kubeconfigPath)(['get', 'namespaces', '-o', 'name']);
        expect(out.stdout).toMatch(/namespace\/default/);
      }
      expect(api.server.requests.every((q) => q.authorization === 'Bearer s3cret' || q.status === 401)).toBe(true);
    } finally {
      await api.stop();
    }
  });
});
