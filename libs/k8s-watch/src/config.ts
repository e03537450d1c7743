/**
 * Client configuration: where the API server is and how to authenticate, from a kubeconfig
 * file, `$KUBECONFIG`, or the in-cluster service account.
 *
 * The kubeconfig is read here (client-go's rules) rather than by `@kubernetes/client-node`'s
 * `KubeConfig`: loading client-node costs every process ~35 MiB of RSS (issue 20), for a few
 * dozen lines of logic. Supported: `token`, `tokenFile` (re-read, so rotated service-account
 * tokens are picked up), client certificates (`client-certificate[-data]`, `client-key[-data]`),
 * basic auth, `exec` credential plugins (`client.authentication.k8s.io` v1/v1beta1; token or
 * client certificate, cached until `expirationTimestamp`), `certificate-authority[-data]`,
 * `insecure-skip-tls-verify`, `tls-server-name`. Refused with a clear {@link ConfigError}:
 * `auth-provider` (removed from kubectl in 1.26; use an exec plugin) and `proxy-url`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { systemClock, type Clock } from '@metallb-ts/clock';
import { parse as parseYaml } from 'yaml';

/** Client-side request rate limit. client-go's 5/10 is too low for a controller; these match controller-runtime's 20/30. */
export const DEFAULT_QPS = 20;
/** @see DEFAULT_QPS */
export const DEFAULT_BURST = 30;

/** TLS material for the connection to the API server. */
export interface ClientTls {
  /** PEM CA bundle; undefined: the system roots. */
  ca?: string;
  /** Client certificate and key (PEM). */
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  servername?: string;
}

/** What one request carries to authenticate (resolved per request: tokens rotate, exec credentials expire). */
export interface RequestCredentials {
  /** The `Authorization` header value. */
  authorization?: string;
  /** A client certificate from an exec plugin (overrides {@link ClientTls.cert}/`key`). */
  cert?: string;
  key?: string;
}

/** How a configuration authenticates: `credentials()` before each request. */
export interface ClientAuth {
  /** What the user entry is (for logs): `none`, `token`, `tokenFile`, `basic`, `certificate`, `exec`. */
  readonly kind: 'none' | 'token' | 'tokenFile' | 'basic' | 'certificate' | 'exec';
  credentials(): Promise<RequestCredentials>;
}

/** A loaded configuration. */
export interface ClientConfig {
  /** The API server URL. */
  server: string;
  /** The context's namespace, or the service account's namespace in-cluster. */
  namespace: string;
  /** Where it came from. */
  source: 'explicit' | 'env' | 'in-cluster' | 'home';
  tls: ClientTls;
  auth: ClientAuth;
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
  /** Clock for token-file and exec-credential caching (tests). @default systemClock */
  clock?: Pick<Clock, 'now'>;
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
/** client-go re-reads a token file at most once a minute. */
const TOKEN_FILE_TTL_MS = 60_000;

type Dict = Record<string, unknown>;
interface Named {
  name: string;
  value: Dict;
  /** The kubeconfig file it came from (relative paths resolve against its directory). */
  file: string;
}
interface Merged {
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
  currentContext: string | undefined;
}

const isDict = (x: unknown): x is Dict => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parses one kubeconfig file and merges it into `into` with client-go's rule: the first file to define a name wins. */
function mergeFile(into: Merged, file: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`not a valid kubeconfig: ${(e as Error).message.split('\n')[0]}`, file);
  }
  if (doc === null || doc === undefined) return; // an empty file contributes nothing
  if (!isDict(doc)) throw new ConfigError('not a valid kubeconfig: the document is not a mapping', file);
  for (const [list, field, map] of [
    ['clusters', 'cluster', into.clusters],
    ['users', 'user', into.users],
    ['contexts', 'context', into.contexts],
  ] as const) {
    const items = doc[list];
    if (items === undefined || items === null) continue;
    if (!Array.isArray(items)) throw new ConfigError(`not a valid kubeconfig: "${list}" is not a list`, file);
    for (const it of items) {
      if (!isDict(it) || typeof it.name !== 'string' || it.name === '') throw new ConfigError(`not a valid kubeconfig: an entry of "${list}" has no name`, file);
      const value = it[field] ?? {};
      if (!isDict(value)) throw new ConfigError(`not a valid kubeconfig: ${list} entry "${it.name}" has no "${field}" mapping`, file);
      if (!map.has(it.name)) map.set(it.name, { name: it.name, value, file });
    }
  }
  const cur = doc['current-context'];
  if (into.currentContext === undefined && typeof cur === 'string' && cur !== '') into.currentContext = cur;
}

/** A string field, or undefined; anything else is an error naming the field. */
function str(d: Dict, key: string, where: string, file: string): string | undefined {
  const v = d[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new ConfigError(`${where}: "${key}" must be a string`, file);
  return v;
}

function resolvePath(p: string, file: string): string {
  return isAbsolute(p) ? p : join(dirname(file), p);
}

/** PEM from `<key>-data` (base64) or the file `<key>`; undefined when neither is set. */
function pem(d: Dict, key: string, where: string, file: string): string | undefined {
  const data = str(d, `${key}-data`, where, file);
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  const path = str(d, key, where, file);
  if (path === undefined) return undefined;
  const full = resolvePath(path, file);
  try {
    return readFileSync(full, 'utf8');
  } catch (e) {
    throw new ConfigError(`${where}: cannot read ${key} ${full}: ${(e as Error).message}`, file);
  }
}

const NO_AUTH: ClientAuth = { kind: 'none', credentials: () => Promise.resolve({}) };

function staticAuth(kind: ClientAuth['kind'], c: RequestCredentials): ClientAuth {
  const p = Promise.resolve(c);
  return { kind, credentials: () => p };
}

/** A bearer token read from a file, re-read at most once a minute (service-account tokens rotate). */
export function tokenFileAuth(path: string, clock: Pick<Clock, 'now'> = systemClock): ClientAuth {
  let cached: { token: string; at: number } | undefined;
  return {
    kind: 'tokenFile',
    credentials: () => {
      const t = clock.now();
      if (!cached || t - cached.at >= TOKEN_FILE_TTL_MS) {
        try {
          cached = { token: readFileSync(path, 'utf8').trim(), at: t };
        } catch (e) {
          // Keep the last token if the file is briefly missing during a rotation.
          if (!cached) return Promise.reject(new ConfigError(`cannot read token file: ${(e as Error).message}`, path));
        }
      }
      return Promise.resolve({ authorization: `Bearer ${cached!.token}` });
    },
  };
}

/** Runs an exec credential plugin (client-go's `exec` user entry); caches its answer until it expires. */
function execAuth(exec: Dict, file: string, server: string, clock: Pick<Clock, 'now'>): ClientAuth {
  const where = 'user.exec';
  const command = str(exec, 'command', where, file);
  if (!command) throw new ConfigError(`${where}: "command" is required`, file);
  const apiVersion = str(exec, 'apiVersion', where, file) ?? 'client.authentication.k8s.io/v1';
  const args = exec.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new ConfigError(`${where}: "args" must be a list of strings`, file);
  const envList = exec.env ?? [];
  if (!Array.isArray(envList)) throw new ConfigError(`${where}: "env" must be a list`, file);
  const extraEnv: Record<string, string> = {};
  for (const e of envList) {
    if (!isDict(e) || typeof e.name !== 'string' || typeof e.value !== 'string') throw new ConfigError(`${where}: "env" entries need a name and a value`, file);
    extraEnv[e.name] = e.value;
  }
  // A command with a path separator is relative to the kubeconfig's directory (client-go).
  const cmd = command.includes('/') ? resolvePath(command, file) : command;
  const info = { apiVersion, kind: 'ExecCredential', spec: { interactive: false, ...(exec.provideClusterInfo === true ? { cluster: { server } } : {}) } };
  let cached: { creds: RequestCredentials; expires: number } | undefined;
  let running: Promise<RequestCredentials> | undefined;
  const run = () =>
    new Promise<RequestCredentials>((resolve, reject) => {
      execFile(cmd, args as string[], { env: { ...process.env, ...extraEnv, KUBERNETES_EXEC_INFO: JSON.stringify(info) }, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) {
          const how = typeof err.code === 'number' ? `exit code ${err.code}` : err.killed ? 'timed out' : err.message.split('\n')[0];
          const said = String(stderr).trim().replace(/\s*\n\s*/g, ' ').slice(0, 500);
          return reject(new ConfigError(`exec credential plugin ${command} failed (${how})${said ? `: ${said}` : ''}`, file));
        }
        let out: unknown;
        try {
          out = JSON.parse(String(stdout));
        } catch {
          return reject(new ConfigError(`exec credential plugin ${command} printed no ExecCredential JSON`, file));
        }
        const status = isDict(out) && isDict(out.status) ? out.status : undefined;
        if (!status) return reject(new ConfigError(`exec credential plugin ${command}: ExecCredential without status`, file));
        const creds: RequestCredentials = {};
        if (typeof status.token === 'string' && status.token) creds.authorization = `Bearer ${status.token}`;
        if (typeof status.clientCertificateData === 'string' && typeof status.clientKeyData === 'string') {
          creds.cert = status.clientCertificateData;
          creds.key = status.clientKeyData;
        }
        if (!creds.authorization && !creds.cert) return reject(new ConfigError(`exec credential plugin ${command}: neither a token nor a client certificate`, file));
        const exp = typeof status.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : NaN;
        cached = { creds, expires: Number.isFinite(exp) ? exp : Infinity };
        resolve(creds);
      });
    });
  return {
    kind: 'exec',
    credentials: () => {
      if (cached && clock.now() < cached.expires) return Promise.resolve(cached.creds);
      running ??= run().finally(() => (running = undefined));
      return running;
    },
  };
}

/** The auth of a kubeconfig user entry. */
function userAuth(user: Named | undefined, server: string, clock: Pick<Clock, 'now'>): { auth: ClientAuth; cert?: string; key?: string } {
  if (!user) return { auth: NO_AUTH };
  const u = user.value;
  const where = `user "${user.name}"`;
  if (u['auth-provider'] !== undefined) throw new ConfigError(`${where}: "auth-provider" is not supported (removed from kubectl in 1.26); use an exec credential plugin`, user.file);
  const cert = pem(u, 'client-certificate', where, user.file);
  const key = pem(u, 'client-key', where, user.file);
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError(`${where}: a client certificate needs both client-certificate and client-key`, user.file);
  const tls = cert !== undefined ? { cert, key } : {};
  const token = str(u, 'token', where, user.file);
  if (token !== undefined) return { auth: staticAuth('token', { authorization: `Bearer ${token}` }), ...tls };
  const tokenFile = str(u, 'tokenFile', where, user.file);
  if (tokenFile !== undefined) return { auth: tokenFileAuth(resolvePath(tokenFile, user.file), clock), ...tls };
  const username = str(u, 'username', where, user.file);
  if (username !== undefined) return { auth: staticAuth('basic', { authorization: `Basic ${Buffer.from(`${username}:${str(u, 'password', where, user.file) ?? ''}`).toString('base64')}` }), ...tls };
  if (isDict(u.exec)) return { auth: execAuth(u.exec, user.file, server, clock), ...tls };
  if (u.exec !== undefined) throw new ConfigError(`${where}: "exec" must be a mapping`, user.file);
  return { auth: cert !== undefined ? staticAuth('certificate', {}) : NO_AUTH, ...tls };
}

/** `host:port` with brackets around an IPv6 host (Go's net.JoinHostPort). */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Loads configuration in client-go's order: `--kubeconfig`, then `$KUBECONFIG` (a `:`-separated
 * list, merged: the first file to define a name or a current context wins), then the in-cluster
 * service account when `KUBERNETES_SERVICE_HOST` is set, then `~/.kube/config`. Throws
 * {@link ConfigError} when none applies or the one that applies is unusable.
 */
export function loadClientConfig(opts: LoadConfigOptions = {}): ClientConfig {
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? systemClock;
  const qps = opts.qps ?? DEFAULT_QPS;
  const burst = opts.burst ?? DEFAULT_BURST;
  if (!(qps > 0) || !(burst >= 1)) throw new ConfigError(`qps must be > 0 and burst >= 1 (got ${qps}/${burst})`);
  const common = { qps, burst, userAgent: opts.userAgent ?? 'metallb-ts' };
  const home = join(opts.home ?? homedir(), '.kube', 'config');
  let files: string[];
  let source: ClientConfig['source'];
  if (opts.kubeconfig) {
    files = [opts.kubeconfig];
    source = 'explicit';
  } else if (env.KUBECONFIG) {
    files = env.KUBECONFIG.split(':').filter((p) => p !== '');
    source = 'env';
  } else if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) {
    const root = opts.inClusterRoot ?? '';
    const tokenFile = join(root, SA_DIR, 'token');
    if (!existsSync(tokenFile)) throw new ConfigError('KUBERNETES_SERVICE_HOST is set but there is no service account token', tokenFile);
    if (opts.context) throw new ConfigError(`context "${opts.context}" not found (in-cluster configuration has no contexts)`);
    const caFile = join(root, SA_DIR, 'ca.crt');
    const ca = existsSync(caFile) ? readFileSync(caFile, 'utf8') : '';
    const nsFile = join(root, SA_DIR, 'namespace');
    const namespace = (existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : '') || 'default';
    return {
      server: `https://${joinHostPort(env.KUBERNETES_SERVICE_HOST, env.KUBERNETES_SERVICE_PORT)}`,
      namespace,
      source: 'in-cluster',
      tls: { ...(ca.trim() ? { ca } : {}), rejectUnauthorized: true },
      auth: tokenFileAuth(tokenFile, clock),
      ...common,
    };
  } else if (existsSync(home)) {
    files = [home];
    source = 'home';
  } else throw new ConfigError('no --kubeconfig, no $KUBECONFIG, not in a cluster, and no ~/.kube/config');
  const what = opts.kubeconfig ?? (source === 'env' ? env.KUBECONFIG : home);
  if (files.length === 0) throw new ConfigError('$KUBECONFIG names no file', what);
  for (const f of files) if (!existsSync(f)) throw new ConfigError('file does not exist', f);
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map(), currentContext: undefined };
  for (const f of files) mergeFile(merged, f);
  const contextName = opts.context ?? merged.currentContext;
  if (!contextName) throw new ConfigError('no current-context', what);
  const context = merged.contexts.get(contextName);
  if (!context) throw new ConfigError(`context "${contextName}" not found`, what);
  const cf = context.file;
  const clusterName = str(context.value, 'cluster', `context "${contextName}"`, cf);
  const cluster = clusterName !== undefined ? merged.clusters.get(clusterName) : undefined;
  if (!cluster) throw new ConfigError(clusterName ? `cluster "${clusterName}" of context "${contextName}" not found` : `context "${contextName}" names no cluster`, what);
  const cw = `cluster "${cluster.name}"`;
  const server = str(cluster.value, 'server', cw, cluster.file);
  if (!server) throw new ConfigError('the current context has no cluster server', what);
  try {
    new URL(server);
  } catch {
    throw new ConfigError(`${cw}: server "${server}" is not a URL`, cluster.file);
  }
  if (cluster.value['proxy-url'] !== undefined) throw new ConfigError(`${cw}: "proxy-url" is not supported`, cluster.file);
  const userName = str(context.value, 'user', `context "${contextName}"`, cf);
  const user = userName !== undefined ? merged.users.get(userName) : undefined;
  if (userName !== undefined && !user) throw new ConfigError(`user "${userName}" of context "${contextName}" not found`, what);
  const ca = pem(cluster.value, 'certificate-authority', cw, cluster.file);
  const servername = str(cluster.value, 'tls-server-name', cw, cluster.file);
  const { auth, cert, key } = userAuth(user, server, clock);
  const tls: ClientTls = {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert, key } : {}),
    rejectUnauthorized: cluster.value['insecure-skip-tls-verify'] !== true,
    ...(servername !== undefined ? { servername } : {}),
  };
  return { server, namespace: str(context.value, 'namespace', `context "${contextName}"`, cf) ?? 'default', source, tls, auth, ...common };
}
