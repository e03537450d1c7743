/**
 * Secure `/metrics` against a real kube-apiserver (`@metallb-ts/kube`: etcd, kube-apiserver with
 * RBAC, kube-controller-manager): the server runs as a ServiceAccount bound to
 * `system:auth-delegator`, scrapers bring ServiceAccount tokens from the TokenRequest API. No
 * token and a forged token are 401, a token without the right 403, one bound to a ClusterRole
 * with `nonResourceURLs: ["/metrics"], verbs: ["get"]` scrapes; a server whose own
 * ServiceAccount may not create reviews answers 500 saying so. TLS is checked by a client that
 * trusts only the self-signed certificate. Without a cluster: the certificate in
 * `--metrics-cert-dir` is reloaded when the files change.
 *
 * Skipped, with the reason in the title, where Go 1.26 (to build the control plane) is missing.
 */
import { KubeClient, loadClientConfig } from '@metallb-ts/k8s-watch';
import { down, goSkipReason, kubectl, serviceAccountKubeconfig, up } from '@metallb-ts/kube';
import { freePort, removeDir, tempDir, waitFor } from '@metallb-ts/test-lab';
import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { renameSync, writeFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppMetrics, createLogger, planServing, selfSignedCertificate, startServing, type Serving } from '../src/index.js';
import { FakeReviewClient } from '../src/testing/index.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  fingerprint256?: string;
}

/** One HTTPS GET trusting only `ca` (so the certificate, its SANs and its signature are checked). */
function scrape(port: number, ca: string, token?: string, path = '/metrics'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'GET', ca, agent: false, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint256: (res.socket as TLSSocket).getPeerCertificate().fingerprint256 }));
    });
    req.setTimeout(20_000, () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
    req.end();
  });
}

function plainGet(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function kubeDescribe(title: string, fn: () => void): void {
  const why = goSkipReason();
  if (why) describe.skip(`${title} [skipped: ${why}]`, fn);
  else describe(title, fn);
}

const RBAC = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'controller', namespace: 'metallb-system' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'undelegated', namespace: 'metallb-system' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prometheus', namespace: 'monitoring' } },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'stranger', namespace: 'monitoring' } },
  // The server's identity may ask the API server to review tokens and access (what MetalLB's
  // "-prometheus" manifests grant): create tokenreviews and subjectaccessreviews.
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'metallb-ts-controller-auth-delegator' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
    subjects: [{ kind: 'ServiceAccount', name: 'controller', namespace: 'metallb-system' }],
  },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'metallb-ts-metrics-reader' }, rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'prometheus-metallb-ts-metrics-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metallb-ts-metrics-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }],
  },
  // A right on another URL is not a right on /metrics.
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'healthz-reader' }, rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'stranger-healthz-reader' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'healthz-reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'stranger', namespace: 'monitoring' }],
  },
];

kubeDescribe('secure /metrics on a real kube-apiserver (TokenReview + SubjectAccessReview)', () => {
  const dir = tempDir('app-runtime-kube');
  const clients: KubeClient[] = [];
  const servings: Serving[] = [];
  const lines: Record<string, unknown>[] = [];
  const tokens: Record<string, string> = {};
  let serving: Serving;
  let ca: string;
  let httpsPort: number;
  let probePort: number;

  const clientAs = async (namespace: string, name: string) => {
    const c = new KubeClient(loadClientConfig({ kubeconfig: await serviceAccountKubeconfig({ dir, namespace, name, create: false }), env: {} }));
    clients.push(c);
    return c;
  };
  const start = async (api: KubeClient) => {
    httpsPort = await freePort();
    probePort = await freePort();
    const metrics = new AppMetrics();
    metrics.counter('metallb_ts_int_scrapes_total', 'A metric only this test registers.').inc(3);
    const s = await startServing({
      plan: planServing({ port: probePort, metricsBindAddress: `127.0.0.1:${httpsPort}`, metricsSecure: true, metricsCertDir: '', healthProbePort: 0 }),
      metrics,
      probe: { notReady: () => undefined },
      program: 'controller',
      log: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) }),
      api,
    });
    servings.push(s);
    return s;
  };

  beforeAll(async () => {
    // Builds the binaries on a machine's first run (minutes); later runs start in seconds.
    await up({ dir, log: (l) => console.log(l) });
    const applied = await kubectl(['apply', '-f', '-'], { dir, input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: RBAC }) });
    expect(applied.code, applied.stderr).toBe(0);
    for (const [ns, sa] of [['monitoring', 'prometheus'], ['monitoring', 'stranger']] as const) {
      const r = await kubectl(['create', 'token', sa, '-n', ns, '--duration=3600s'], { dir });
      expect(r.code, r.stderr).toBe(0);
      tokens[sa] = r.stdout.trim();
    }
    serving = await start(await clientAs('metallb-system', 'controller'));
    ca = serving.certificate!.x509.toString();
  }, 3_600_000);

  afterAll(async () => {
    for (const s of servings) await s.close();
    for (const c of clients) c.close();
    await down({ dir, graceMs: 5000 });
    removeDir(dir);
  });

  it('no token: 401 with a Bearer challenge', async () => {
    const a = await scrape(httpsPort, ca);
    expect(a.status).toBe(401);
    expect(a.headers['www-authenticate']).toBe('Bearer realm="metallb-ts"');
    expect(a.body).toBe('unauthorized: no bearer token\n');
  });

  it('a forged token: 401 invalid_token (the TokenReview says not authenticated)', async () => {
    const forged = `${tokens.prometheus!.slice(0, -8)}AAAAAAAA`;
    const a = await scrape(httpsPort, ca, forged);
    expect(a.status).toBe(401);
    expect(a.headers['www-authenticate']).toBe('Bearer realm="metallb-ts", error="invalid_token"');
    expect((await scrape(httpsPort, ca, 'not-a-token')).status).toBe(401);
  });

  it('a ServiceAccount without the right (it may get /healthz, not /metrics): 403 naming it', async () => {
    const a = await scrape(httpsPort, ca, tokens.stranger);
    expect(a.status).toBe(403);
    expect(a.body).toMatch(/^forbidden: user "system:serviceaccount:monitoring:stranger" may not get \/metrics/);
    expect(lines.some((l) => l.msg === 'metrics scrape refused: not authorised' && l.user === 'system:serviceaccount:monitoring:stranger' && l.status === 403)).toBe(true);
  });

  it('a ServiceAccount bound to nonResourceURLs ["/metrics"] verbs ["get"]: 200 with the metrics', async () => {
    const a = await scrape(httpsPort, ca, tokens.prometheus);
    expect(a.status, a.body).toBe(200);
    expect(a.headers['content-type']).toMatch(/^text\/plain/);
    expect(a.body).toContain('metallb_ts_int_scrapes_total 3');
    expect(lines.some((l) => l.msg === 'metrics scrape allowed' && l.user === 'system:serviceaccount:monitoring:prometheus')).toBe(true);
  });

  it('TLS: the client trusting only the self-signed certificate verifies it (SAN 127.0.0.1), and it is the one served', async () => {
    const a = await scrape(httpsPort, ca, tokens.prometheus);
    expect(a.fingerprint256).toBe(serving.certificate!.x509.fingerprint256);
    expect(serving.certificate!.source).toBe('self-signed');
    const other = selfSignedCertificate({ commonName: 'someone-else', ipAddresses: ['127.0.0.1'] }).cert;
    await expect(scrape(httpsPort, other, tokens.prometheus)).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
  });

  it('probes stay plain on --port; /metrics is not there, and the HTTPS port serves nothing else', async () => {
    expect(await plainGet(probePort, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await plainGet(probePort, '/healthz')).toMatchObject({ status: 200 });
    expect((await plainGet(probePort, '/metrics')).status).toBe(404);
    expect((await scrape(httpsPort, ca, tokens.prometheus, '/readyz')).status).toBe(404);
    expect(serving.endpoints.map((e) => [e.kind, e.serves])).toEqual([
      ['http', 'probes'],
      ['https-metrics', 'metrics'],
    ]);
  });

  it('a server whose ServiceAccount may not create TokenReviews answers 500 saying which RBAC it lacks', async () => {
    const s = await start(await clientAs('metallb-system', 'undelegated'));
    const a = await scrape(httpsPort, s.certificate!.x509.toString(), tokens.prometheus);
    expect(a.status).toBe(500);
    expect(a.body).toMatch(/may not create tokenreviews\.authentication\.k8s\.io \(HTTP 403.*system:auth-delegator/);
    expect(lines.some((l) => l.msg === 'metrics scrape not checked: the API server review failed' && l.status === 403 && l.stage === 'token-review')).toBe(true);
  });
});

describe('--metrics-cert-dir: the served certificate follows the files', () => {
  const dir = tempDir('app-runtime-certs');
  let serving: Serving | undefined;
  afterAll(async () => {
    await serving?.close();
    removeDir(dir);
  });

  it('starts with tls.crt/tls.key and serves a new pair once the directory changes (atomic rename, as Secret volumes do)', async () => {
    const first = selfSignedCertificate({ commonName: 'first', ipAddresses: ['127.0.0.1'] });
    const second = selfSignedCertificate({ commonName: 'second', ipAddresses: ['127.0.0.1'] });
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    writeFileSync(join(dir, 'tls.key'), first.key);
    const port = await freePort();
    const reviews = new FakeReviewClient().addToken('t', 'prom').grant('prom');
    const logged: Record<string, unknown>[] = [];
    serving = await startServing({
      plan: planServing({ port: 0, metricsBindAddress: `127.0.0.1:${port}`, metricsSecure: true, metricsCertDir: dir, healthProbePort: 0 }),
      metrics: new AppMetrics(),
      probe: { notReady: () => undefined },
      program: 'speaker',
      log: createLogger({ level: 'debug', write: (l) => logged.push(JSON.parse(l) as Record<string, unknown>) }),
      reviews,
    });
    expect(serving.certificate!.source).toBe('cert-dir');
    expect((await scrape(port, first.cert, 't')).status).toBe(200);
    // The key first, then the certificate: between the two the pair does not match and the old one stays served.
    writeFileSync(join(dir, 'tls.key.new'), second.key);
    renameSync(join(dir, 'tls.key.new'), join(dir, 'tls.key'));
    await waitFor('the watcher to refuse the mismatched pair', () => logged.find((l) => l.msg === 'metrics certificate not reloaded; serving the previous one'), { timeoutMs: 20_000, everyMs: 50 });
    expect(logged.find((l) => l.msg === 'metrics certificate not reloaded; serving the previous one')!.error).toMatch(/tls\.key is not the key of the certificate/);
    expect((await scrape(port, first.cert, 't')).status).toBe(200);
    writeFileSync(join(dir, 'tls.crt.new'), second.cert);
    renameSync(join(dir, 'tls.crt.new'), join(dir, 'tls.crt'));
    const fp = await waitFor(
      'the second certificate to be served',
      async () => {
        const a = await scrape(port, second.cert, 't').catch(() => undefined);
        return a?.status === 200 ? a.fingerprint256 : undefined;
      },
      { timeoutMs: 20_000, everyMs: 100 },
    );
    expect(fp).toBe(new X509Certificate(second.cert).fingerprint256);
    expect(logged.some((l) => l.msg === 'metrics certificate reloaded' && l.fingerprint256 === fp)).toBe(true);
  });
});
