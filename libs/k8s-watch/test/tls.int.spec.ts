/**
 * KubeClient over HTTPS with the kubeconfig read by our own loader (no client-node): the CA from
 * the kubeconfig verifies the server, a bearer token (inline or from a file) authenticates, a
 * wrong CA is refused, `insecure-skip-tls-verify` skips verification, and a missing token is 401.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '@metallb-ts/apiserver-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { isApiError, KubeClient, loadClientConfig, Resources } from '../src/index.js';

const openssl = spawnSync('openssl', ['version']).status === 0;
if (!openssl) console.warn('SKIP TLS tests: openssl is missing');
const dir = mkdtempSync(join(tmpdir(), 'k8s-watch-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return { cert, key };
}

describe.skipIf(!openssl)('KubeClient over HTTPS, configured by loadClientConfig', () => {
  it('verifies the server with the kubeconfig CA and authenticates with a token or a token file', async () => {
    const server = selfSigned('server');
    selfSigned('other'); // a CA that did not sign the server's certificate
    const api = await startApiServer({ tls: { cert: readFileSync(server.cert), key: readFileSync(server.key) }, token: 's3cret' });
    try {
      const names = async (kubeconfig: string) => (await new KubeClient(loadClientConfig({ kubeconfig, env: {} })).list(Resources.namespaces)).items.map((n) => n.metadata.name);
      // The kubeconfig apiserver-lite writes: certificate-authority-data and an inline token.
      expect(await names(api.kubeconfigPath)).toContain('kube-system');
      const write = (name: string, cluster: string, user: string) => {
        const p = join(dir, name);
        writeFileSync(p, `clusters: [{name: c, cluster: {server: "${api.url}", ${cluster}}}]\nusers: [{name: u, user: {${user}}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
        return p;
      };
      writeFileSync(join(dir, 'token'), 's3cret\n');
      expect(await names(write('file-ca-token-file', `certificate-authority: server.crt`, 'tokenFile: token'))).toContain('default');
      expect(await names(write('insecure', 'insecure-skip-tls-verify: true', 'token: s3cret'))).toContain('default');
      await expect(names(write('wrong-ca', 'certificate-authority: other.crt', 'token: s3cret'))).rejects.toThrow(/Transport|certificate/);
      const anon = names(write('no-token', 'certificate-authority: server.crt', ''));
      await expect(anon).rejects.toSatisfy((e: unknown) => isApiError(e, 401));
    } finally {
      await api.stop();
    }
  });
});
