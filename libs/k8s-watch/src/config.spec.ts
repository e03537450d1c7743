import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_BURST, DEFAULT_QPS, loadClientConfig, tokenFileAuth } from './config.js';

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

const raw = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const CL = 'clusters: [{name: k, cluster: {server: "http://127.0.0.1:9"}}]\n';
const CTX = 'contexts: [{name: a, context: {cluster: k, user: u}}]\ncurrent-context: a\n';

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
    expect(c.auth.kind).toBe('tokenFile');
  });
  it('in-cluster: brackets an IPv6 service host, trusts ca.crt, sends the (rotating) service account token', async () => {
    const root = join(dir, 'root6');
    const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, 'token'), 'tok-1\n');
    writeFileSync(join(sa, 'ca.crt'), 'CA PEM');
    let t = 0;
    const c = loadClientConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, inClusterRoot: root, clock: { now: () => t } });
    expect(c.server).toBe('https://[fd00::1]:6443');
    expect(c.namespace).toBe('default');
    expect(c.tls).toEqual({ ca: 'CA PEM', rejectUnauthorized: true });
    expect(await c.auth.credentials()).toEqual({ authorization: 'Bearer tok-1' });
    writeFileSync(join(sa, 'token'), 'tok-2');
    t = 59_000;
    expect((await c.auth.credentials()).authorization).toBe('Bearer tok-1'); // re-read at most once a minute
    t = 60_000;
    expect((await c.auth.credentials()).authorization).toBe('Bearer tok-2');
    rmSync(join(sa, 'token'));
    t = 200_000;
    expect((await c.auth.credentials()).authorization).toBe('Bearer tok-2'); // a briefly missing file keeps the last token
  });
  it('a token file that never existed fails the request clearly', async () => {
    await expect(tokenFileAuth(join(dir, 'no-such-token')).credentials()).rejects.toThrow(/cannot read token file/);
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
  it('reads TLS material (inline data and files relative to the kubeconfig) and every kind of user', async () => {
    const sub = join(dir, 'tls');
    mkdirSync(join(sub, 'pki'), { recursive: true });
    writeFileSync(join(sub, 'pki', 'ca.crt'), 'CA FROM FILE');
    writeFileSync(join(sub, 'pki', 'c.crt'), 'CERT FROM FILE');
    writeFileSync(join(sub, 'pki', 'c.key'), 'KEY FROM FILE');
    writeFileSync(join(sub, 'tok'), ' file-token \n');
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    const p = join(sub, 'config');
    writeFileSync(
      p,
      `apiVersion: v1
kind: Config
clusters:
- {name: files, cluster: {server: "https://a.example:6443", certificate-authority: pki/ca.crt, tls-server-name: api.example}}
- {name: data, cluster: {server: "https://b.example:6443", certificate-authority-data: ${b64('CA FROM DATA')}}}
- {name: insecure, cluster: {server: "https://c.example:6443", insecure-skip-tls-verify: true}}
users:
- {name: certs-files, user: {client-certificate: pki/c.crt, client-key: pki/c.key}}
- {name: certs-data, user: {client-certificate-data: ${b64('CERT DATA')}, client-key-data: ${b64('KEY DATA')}}}
- {name: token, user: {token: abc}}
- {name: token-file, user: {tokenFile: tok}}
- {name: basic, user: {username: u, password: p}}
- {name: nobody, user: {}}
contexts:
- {name: a, context: {cluster: files, user: certs-files, namespace: x}}
- {name: b, context: {cluster: data, user: certs-data}}
- {name: c, context: {cluster: insecure, user: token}}
- {name: d, context: {cluster: insecure, user: token-file}}
- {name: e, context: {cluster: insecure, user: basic}}
- {name: f, context: {cluster: insecure, user: nobody}}
- {name: g, context: {cluster: insecure}}
current-context: a
`,
    );
    const a = loadClientConfig({ kubeconfig: p, env: {} });
    expect(a).toMatchObject({ server: 'https://a.example:6443', namespace: 'x', tls: { ca: 'CA FROM FILE', cert: 'CERT FROM FILE', key: 'KEY FROM FILE', rejectUnauthorized: true, servername: 'api.example' } });
    expect(a.auth.kind).toBe('certificate');
    expect(await a.auth.credentials()).toEqual({});
    const b = loadClientConfig({ kubeconfig: p, env: {}, context: 'b' });
    expect(b.tls).toEqual({ ca: 'CA FROM DATA', cert: 'CERT DATA', key: 'KEY DATA', rejectUnauthorized: true });
    const c = loadClientConfig({ kubeconfig: p, env: {}, context: 'c' });
    expect(c.tls).toEqual({ rejectUnauthorized: false });
    expect(await c.auth.credentials()).toEqual({ authorization: 'Bearer abc' });
    expect(await loadClientConfig({ kubeconfig: p, env: {}, context: 'd' }).auth.credentials()).toEqual({ authorization: 'Bearer file-token' });
    expect(await loadClientConfig({ kubeconfig: p, env: {}, context: 'e' }).auth.credentials()).toEqual({ authorization: `Basic ${b64('u:p')}` });
    for (const ctx of ['f', 'g']) {
      const n = loadClientConfig({ kubeconfig: p, env: {}, context: ctx });
      expect(n.auth.kind).toBe('none');
      expect(await n.auth.credentials()).toEqual({});
    }
  });
  it('merges $KUBECONFIG files client-go style: the first file to define a name wins', async () => {
    const a = join(dir, 'merge-a');
    const b = join(dir, 'merge-b');
    writeFileSync(a, `users: [{name: shared, user: {token: from-a}}]\n`);
    writeFileSync(b, `clusters: [{name: k, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: shared, user: {token: from-b}}]
contexts: [{name: k, context: {cluster: k, user: shared}}]
current-context: k
`);
    const c = loadClientConfig({ env: { KUBECONFIG: `${a}:${b}` } });
    expect(c.server).toBe('http://127.0.0.1:9');
    expect(await c.auth.credentials()).toEqual({ authorization: 'Bearer from-a' });
  });
  it('runs an exec credential plugin, caches its token until it expires, and says why it failed', async () => {
    const sub = join(dir, 'exec');
    mkdirSync(sub, { recursive: true });
    const counter = join(sub, 'runs');
    writeFileSync(counter, '');
    const plugin = join(sub, 'plugin.sh');
    // Prints a token numbered by how often it ran, expiring at EXP; checks the exec info and env it gets.
    writeFileSync(
      plugin,
      `#!/bin/sh
echo x >> "${counter}"
n=$(wc -l < "${counter}" | tr -d ' ')
case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "bad exec info" >&2; exit 3;; esac
[ "$EXTRA" = "yes" ] || { echo "env not passed" >&2; exit 4; }
[ "$1" = "--flag" ] || { echo "args not passed" >&2; exit 5; }
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-%s","expirationTimestamp":"2030-01-01T00:00:00Z"}}\\n' "$n"
`,
    );
    chmodSync(plugin, 0o755);
    writeFileSync(join(sub, 'fail.sh'), '#!/bin/sh\necho "no credentials for you" >&2\nexit 1\n');
    chmodSync(join(sub, 'fail.sh'), 0o755);
    const p = join(sub, 'config');
    writeFileSync(
      p,
      `clusters: [{name: k, cluster: {server: "http://127.0.0.1:9"}}]
users:
- {name: ok, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./plugin.sh, args: [--flag], env: [{name: EXTRA, value: "yes"}]}}}
- {name: bad, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./fail.sh}}}
contexts: [{name: ok, context: {cluster: k, user: ok}}, {name: bad, context: {cluster: k, user: bad}}]
current-context: ok
`,
    );
    let t = Date.parse('2029-12-31T23:00:00Z');
    const c = loadClientConfig({ kubeconfig: p, env: {}, clock: { now: () => t } });
    expect(c.auth.kind).toBe('exec');
    const [x, y] = await Promise.all([c.auth.credentials(), c.auth.credentials()]);
    expect(x).toEqual({ authorization: 'Bearer exec-1' });
    expect(y).toEqual(x); // one run for concurrent callers
    expect(await c.auth.credentials()).toEqual({ authorization: 'Bearer exec-1' }); // cached
    t = Date.parse('2030-01-01T00:00:00Z');
    expect(await c.auth.credentials()).toEqual({ authorization: 'Bearer exec-2' }); // expired: runs again
    await expect(loadClientConfig({ kubeconfig: p, env: {}, context: 'bad' }).auth.credentials()).rejects.toThrow(/exec credential plugin \.\/fail\.sh failed.*no credentials for you/);
  });
  it.each<[string, Parameters<typeof loadClientConfig>[0], RegExp]>([
    ['nothing at all', { env: {}, home: '/nonexistent' }, /no --kubeconfig, no \$KUBECONFIG/],
    ['a missing file', { kubeconfig: '/nonexistent/kc' }, /file does not exist/],
    ['an unknown context', { env: {}, kubeconfig: kubeconfig('x', 'http://127.0.0.1:5'), context: 'nope' }, /context "nope" not found/],
    ['in-cluster without a token', { env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, inClusterRoot: '/nonexistent' }, /no service account token/],
    ['a bad qps', { kubeconfig: kubeconfig('y', 'http://127.0.0.1:6'), qps: 0 }, /qps must be > 0/],
    ['YAML that does not parse', { kubeconfig: raw('bad-yaml', 'clusters: [\n'), env: {} }, /not a valid kubeconfig/],
    ['a list that is not a list', { kubeconfig: raw('bad-list', 'clusters: {a: 1}\n'), env: {} }, /"clusters" is not a list/],
    ['no current context', { kubeconfig: raw('no-ctx', 'clusters: []\n'), env: {} }, /no current-context/],
    ['a context naming a missing cluster', { kubeconfig: raw('no-cluster', 'contexts: [{name: a, context: {cluster: gone}}]\ncurrent-context: a\n'), env: {} }, /cluster "gone" of context "a" not found/],
    ['a context naming a missing user', { kubeconfig: raw('no-user', `${CL}contexts: [{name: a, context: {cluster: k, user: gone}}]\ncurrent-context: a\n`), env: {} }, /user "gone" of context "a" not found/],
    ['a server that is not a URL', { kubeconfig: raw('bad-url', 'clusters: [{name: k, cluster: {server: "not a url"}}]\ncontexts: [{name: a, context: {cluster: k}}]\ncurrent-context: a\n'), env: {} }, /is not a URL/],
    ['auth-provider', { kubeconfig: raw('ap', `${CL}users: [{name: u, user: {auth-provider: {name: oidc}}}]\n${CTX}`), env: {} }, /auth-provider.*not supported/],
    ['proxy-url', { kubeconfig: raw('proxy', 'clusters: [{name: k, cluster: {server: "http://127.0.0.1:9", proxy-url: "http://p:3128"}}]\n' + CTX), env: {} }, /proxy-url.*not supported/],
    ['a certificate without a key', { kubeconfig: raw('cert-only', `${CL}users: [{name: u, user: {client-certificate-data: QQ==}}]\n${CTX}`), env: {} }, /needs both client-certificate and client-key/],
    ['an unreadable CA file', { kubeconfig: raw('ca-missing', 'clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: /nonexistent/ca.crt}}]\n' + CTX.replace(', user: u', '')), env: {} }, /cannot read certificate-authority/],
    ['a token that is not a string', { kubeconfig: raw('tok-num', `${CL}users: [{name: u, user: {token: [1]}}]\n${CTX}`), env: {} }, /"token" must be a string/],
  ])('fails clearly on %s', (_n, opts, msg) => {
    expect(() => loadClientConfig(opts)).toThrow(ConfigError);
    expect(() => loadClientConfig(opts)).toThrow(msg);
  });
});
