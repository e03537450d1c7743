/** Pure kubeconfig rendering (YAML is JSON's superset, so kubeconfigs are written as JSON). */

/** How a kubeconfig's user authenticates. */
export type KubeconfigUser =
  | { readonly kind: 'cert'; readonly certFile: string; readonly keyFile: string }
  | { readonly kind: 'token'; readonly token: string };

/** Options of {@link renderKubeconfig}. */
export interface KubeconfigOptions {
  /** `https://host:port`. */
  server: string;
  /** The CA that signed the server's certificate. */
  caFile: string;
  user: KubeconfigUser;
  /** Names of the cluster, user and context. @default 'kube-lab' */
  name?: string;
  /** The context's default namespace. */
  namespace?: string;
}

/** A kubeconfig with one cluster, one user and one current context. */
export function renderKubeconfig(o: KubeconfigOptions): string {
  const name = o.name ?? 'kube-lab';
  const user = o.user.kind === 'cert' ? { 'client-certificate': o.user.certFile, 'client-key': o.user.keyFile } : { token: o.user.token };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kube-lab', cluster: { server: o.server, 'certificate-authority': o.caFile } }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: 'kube-lab', user: name, ...(o.namespace ? { namespace: o.namespace } : {}) } }],
    'current-context': name,
    preferences: {},
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
