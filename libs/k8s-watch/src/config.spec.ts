import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_BURST, DEFAULT_QPS, loadClientConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'k8s-watch-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const kubeconfig = (name: string, server: string, ns = 'default', extraContext = '') => {
  const p = join(dir, name);
  writeFileSync(
    p,
    `apiVersion: v1
kind: Config
clusters: [{name: c-${name}, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]
users: [{name: u-${name}, user: {token: t-${name}}}]
contexts:
- {name: ctx-${name}, context: {cluster: c-${name}, user: u-${name}, namespace: ${ns}}}
${extraContext}
current-context: ctx-${name}
`,
  );
  return p;
};

describe('loadClientConfig', () => {
  it('--kubeconfig wins over $KUBECONFIG', () => {
    const a = kubeconfig('a', 'http://127.0.0.1:1', 'ns-a');
    const b = kubeconfig('b', 'http://127.0.0.1:2');
    const c = loadClientConfig({ kubeconfig: a, env: { KUBECONFIG: b } });
    expect(c).toMatchObject({ server: 'http://127.0.0.1:1', namespace: 'ns-a', source: 'explicit', qps: DEFAULT_QPS, burst: DEFAULT_BURST });
  });
  it('$KUBECONFIG may list several files; the first one\'s current context wins', () => {
    const a = kubeconfig('a2', 'http://127.0.0.1:3');
    const b = kubeconfig('b2', 'http://127.0.0.1:4');
    const c = loadClientConfig({ env: { KUBECONFIG: `${a}:${b}` } });
    expect(c).toMatchObject({ server: 'http://127.0.0.1:3', source: 'env' });
    expect(loadClientConfig({ env: { KUBECONFIG: `${a}:${b}` }, context: 'ctx-b2' }).server).toBe('http://127.0.0.1:4');
  });
  it('uses the in-cluster service account when KUBERNETES_SERVICE_HOST is set', () => {
    const root = join(dir, 'root');
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'namespace'), 'metallb-system\n');
    writeFileSync(join(sa, 'ca.crt'), '');
    const c = loadClientConfig({ env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, inClusterRoot: root, qps: 50, burst: 100 });
    expect(c).toMatchObject({ server: 'https://10.96.0.1:443', namespace: 'metallb-system', source: 'in-cluster', qps: 50, burst: 100 });
  });
  it('falls back to ~/.kube/config', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    writeFileSync(join(home, '.kube', 'config'), `apiVersion: v1
kind: Config
clusters: [{name: h, cluster: {server: "https://h.example:6443"}}]
users: [{name: h, user: {token: x}}]
contexts: [{name: h, context: {cluster: h, user: h}}]
current-context: h
`);
    expect(loadClientConfig({ env: {}, home })).toMatchObject({ server: 'https://h.example:6443', namespace: 'default', source: 'home' });
  });
  it.each<[string, Parameters<typeof loadClientConfig>[0], RegExp]>([
    ['nothing at all', { env: {}, home: '/nonexistent' }, /no --kubeconfig, no \$KUBECONFIG/],
    ['a missing file', { kubeconfig: '/nonexistent/kc' }, /file does not exist/],
    ['an unknown context', { env: {}, kubeconfig: kubeconfig('x', 'http://127.0.0.1:5'), context: 'nope' }, /context "nope" not found/],
    ['in-cluster without a token', { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, inClusterRoot: '/nonexistent' }, /no service account token/],
    ['a bad qps', { kubeconfig: kubeconfig('y', 'http://127.0.0.1:6'), qps: 0 }, /qps must be > 0/],
  ])('fails clearly on %s', (_n, opts, msg) => {
    expect(() => loadClientConfig(opts)).toThrow(ConfigError);
    expect(() => loadClientConfig(opts)).toThrow(msg);
  });
});
