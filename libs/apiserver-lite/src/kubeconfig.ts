import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/** Options of {@link kubeconfigYaml}. */
export interface KubeconfigOptions {
  /** The server URL, `http://127.0.0.1:PORT`. */
  server: string;
  /** Bearer token; without one the user has no credentials (for a server that requires none). */
  token?: string;
  /** Default namespace of the context. @default 'default' */
  namespace?: string;
  /** Context/cluster/user name. @default 'apiserver-lite' */
  name?: string;
  /** PEM CA certificate for an https server (otherwise TLS verification is skipped). */
  caData?: string;
}

/**
 * A kubeconfig that kubectl and client-node accept. For an `http://` server it sets
 * `insecure-skip-tls-verify: true`: client-node refuses plain HTTP without it.
 */
export function kubeconfigYaml(o: KubeconfigOptions): string {
  const name = o.name ?? 'apiserver-lite';
  const cluster: Record<string, unknown> = { server: o.server };
  if (o.caData) cluster['certificate-authority-data'] = Buffer.from(o.caData).toString('base64');
  else cluster['insecure-skip-tls-verify'] = true;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user: o.token === undefined ? {} : { token: o.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: o.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}

/** Writes {@link kubeconfigYaml} to `path` (mode 0600, directories created). */
export function writeKubeconfig(path: string, o: KubeconfigOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(o), { mode: 0o600 });
}
