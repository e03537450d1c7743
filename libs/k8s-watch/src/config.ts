/**
 * Client configuration: where the API server is and how to authenticate, from a kubeconfig
 * file, `$KUBECONFIG`, or the in-cluster service account, parsed by client-node's `KubeConfig`.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Client-side request rate limit. client-go's 5/10 is too low for a controller; these match controller-runtime's 20/30. */
export const DEFAULT_QPS = 20;
/** @see DEFAULT_QPS */
export const DEFAULT_BURST = 30;

/** A loaded configuration. */
export interface ClientConfig {
  /** client-node's parsed configuration (auth, TLS). */
  kubeConfig: KubeConfig;
  /** The API server URL. */
  server: string;
  /** The context's namespace, or the service account's namespace in-cluster. */
  namespace: string;
  /** Where it came from. */
  source: 'explicit' | 'env' | 'in-cluster' | 'home';
  qps: number;
  burst: number;
  /** Sent as `User-Agent` (and so the default field manager). */
  userAgent: string;
}

/** Options of {@link loadClientConfig}. */
export interface LoadConfigOptions {
  /** `--kubeconfig`: takes precedence over everything. */
  kubeconfig?: string;
  /** A context other than `current-context`. */
  context?: string;
  /** Environment (for `KUBECONFIG`, `KUBERNETES_SERVICE_HOST`/`PORT`). @default process.env */
  env?: Record<string, string | undefined>;
  /** Root for the service account files (tests). @default '' (the real `/var/run/secrets/...`) */
  inClusterRoot?: string;
  /** @default DEFAULT_QPS */
  qps?: number;
  /** @default DEFAULT_BURST */
  burst?: number;
  /** @default 'metallb-ts' */
  userAgent?: string;
  /** Home directory for `~/.kube/config`. @default os.homedir() */
  home?: string;
}

/** No configuration could be found or it is unusable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly reason: string,
    readonly path?: string,
  ) {
    super(`cannot load Kubernetes client configuration${path ? ` from ${path}` : ''}: ${reason}`);
  }
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Loads configuration in client-go's order: `--kubeconfig`, then `$KUBECONFIG` (a `:`-separated
 * list, merged), then the in-cluster service account when `KUBERNETES_SERVICE_HOST` is set, then
 * `~/.kube/config`. Throws {@link ConfigError} when none applies.
 */
export function loadClientConfig(opts: LoadConfigOptions = {}): ClientConfig {
  const env = opts.env ?? process.env;
  const kc = new KubeConfig();
  let source: ClientConfig['source'];
  const loadFiles = (paths: string[], what: string) => {
    const files = paths.filter((p) => p !== '');
    for (const f of files) if (!existsSync(f)) throw new ConfigError('file does not exist', f);
    try {
      kc.loadFromFile(files[0]!);
      for (const f of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        kc.mergeConfig(more, true);
      }
    } catch (e) {
      throw new ConfigError((e as Error).message, what);
    }
  };
  const home = join(opts.home ?? homedir(), '.kube', 'config');
  if (opts.kubeconfig) {
    loadFiles([opts.kubeconfig], opts.kubeconfig);
    source = 'explicit';
  } else if (env.KUBECONFIG) {
    loadFiles(env.KUBECONFIG.split(':'), env.KUBECONFIG);
    source = 'env';
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    const root = opts.inClusterRoot ?? '';
    const tokenFile = join(root, SA_DIR, 'token');
    if (!existsSync(tokenFile)) throw new ConfigError('KUBERNETES_SERVICE_HOST is set but there is no service account token', tokenFile);
    const saved = { h: process.env.KUBERNETES_SERVICE_HOST, p: process.env.KUBERNETES_SERVICE_PORT };
    // client-node reads the service host and port from process.env.
    process.env.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST;
    process.env.KUBERNETES_SERVICE_PORT = env.KUBERNETES_SERVICE_PORT;
    try {
      kc.loadFromCluster(root || undefined);
    } finally {
      if (saved.h === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
      else process.env.KUBERNETES_SERVICE_HOST = saved.h;
      if (saved.p === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
      else process.env.KUBERNETES_SERVICE_PORT = saved.p;
    }
    source = 'in-cluster';
  } else if (existsSync(home)) {
    loadFiles([home], home);
    source = 'home';
  } else throw new ConfigError('no --kubeconfig, no $KUBECONFIG, not in a cluster, and no ~/.kube/config');
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) throw new ConfigError(`context "${opts.context}" not found`);
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new ConfigError('the current context has no cluster server');
  let namespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  if (source === 'in-cluster') {
    const nsFile = join(opts.inClusterRoot ?? '', SA_DIR, 'namespace');
    if (existsSync(nsFile)) namespace = readText(nsFile).trim() || namespace;
  }
  const qps = opts.qps ?? DEFAULT_QPS;
  const burst = opts.burst ?? DEFAULT_BURST;
  if (!(qps > 0) || !(burst >= 1)) throw new ConfigError(`qps must be > 0 and burst >= 1 (got ${qps}/${burst})`);
  return { kubeConfig: kc, server: cluster.server, namespace, source, qps, burst, userAgent: opts.userAgent ?? 'metallb-ts' };
}

function readText(p: string): string {
  return readFileSync(p, 'utf8');
}
