/**
 * Issue 15 §6: a token written into the kubeconfig is required (401 `Unauthorized` Status
 * without it); without a token the kubeconfig carries none; a non-loopback `--host` needs
 * `--token` or `--insecure-allow-remote`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { startApiServer } from '../src/index.js';
import { REPO } from './kubectl-helpers.js';

const userOf = (kubeconfig: string) => (parse(readFileSync(kubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] }).users[0]!.user;

describe('apiserver-lite authentication', () => {
  it('requires the token it writes into the kubeconfig: 401 Unauthorized Status without it, 200 with it', async () => {
    const api = await startApiServer({ token: 't0ken' });
    try {
      expect(userOf(api.kubeconfigPath)).toEqual({ token: 't0ken' });
      for (const headers of [{}, { Authorization: 'Bearer wrong' }, { Authorization: 't0ken' }]) {
        const r = await fetch(`${api.url}/api/v1/namespaces`, { headers });
        expect(r.status).toBe(401);
        expect(await r.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
      }
      expect((await fetch(`${api.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer t0ken' } })).status).toBe(200);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(api.kubeconfigPath);
      const ns = await kc.makeApiClient(k8s.CoreV1Api).listNamespace();
      expect(ns.items.map((n) => n.metadata!.name)).toContain('default');
    } finally {
      await api.stop();
    }
  });

  it('a kubeconfigToken alone is required too (the kubeconfig never carries a token the server ignores)', async () => {
    const api = await startApiServer({ kubeconfigToken: 'written' });
    try {
      expect((await fetch(`${api.url}/api/v1/namespaces`)).status).toBe(401);
      expect((await fetch(`${api.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer written' } })).status).toBe(200);
    } finally {
      await api.stop();
    }
  });

  it('without a token, the kubeconfig has no credentials and client-node still works', async () => {
    const api = await startApiServer({});
    try {
      expect(userOf(api.kubeconfigPath)).toEqual({});
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(api.kubeconfigPath);
      expect((await kc.makeApiClient(k8s.CoreV1Api).listNamespace()).items.length).toBeGreaterThan(0);
    } finally {
      await api.stop();
    }
  });

  it('npx apiserver-lite --host 0.0.0.0 without --token exits 2 with one clear line', () => {
    const env = { ...process.env, PATH: `${join(REPO, 'node_modules/.bin')}:${process.env.PATH}` };
    const r = spawnSync('npx', ['apiserver-lite', '--host', '0.0.0.0', '--port', '0'], { cwd: REPO, encoding: 'utf8', env, timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual(['apiserver-lite: --host 0.0.0.0 is reachable from other machines: add --token TOKEN (or --insecure-allow-remote to serve without authentication)']);
  });
});
