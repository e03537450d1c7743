/**
 * The apps' HTTP endpoints: `/metrics` (when given a source), `/healthz` and `/livez` (200 unless
 * the liveness probe objects: 503 with the reason), `/readyz` (200 when the readiness probe has no
 * objection, else 503 with the reason). Anything else is 404; any method but GET and HEAD is 405
 * with `Allow: GET, HEAD` (the server is read-only).
 *
 * The secure variant ({@link startSecureMetricsServer}) serves only `/metrics`, over HTTPS, to
 * scrapers whose bearer token the API server authenticates and authorises (`metrics-auth.ts`).
 */
import { assertNever } from '@metallb-ts/errors';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { MetricsAccess } from './metrics-auth.js';
import type { MetricsSource } from './metrics.js';
import type { TlsMaterial } from './self-signed.js';

/** Readiness (and optionally liveness) as the app sees it. */
export interface ReadinessProbe {
  /** Why the process is not ready, or undefined when ready. */
  notReady(): string | undefined;
  /**
   * Why the process is not live — it will not recover without a restart — or undefined. Absent:
   * always live.
   */
  notLive?(): string | undefined;
}

/** Methods the probe server answers; everything else is 405. */
export const PROBE_METHODS = ['GET', 'HEAD'] as const;

/** The statuses the servers answer with. */
export type AnswerStatus = 200 | 401 | 403 | 404 | 405 | 500 | 503;

/** What the probe server answers to one request, before any I/O. */
export type ProbeAnswer =
  | { kind: 'text'; status: AnswerStatus; headers: Record<string, string>; body: string }
  /** Serve the metrics exposition text. */
  | { kind: 'metrics' };

const text = (status: AnswerStatus, body: string, extra: Record<string, string> = {}): ProbeAnswer & { kind: 'text' } => ({
  kind: 'text',
  status,
  headers: { 'content-type': 'text/plain', ...extra },
  body,
});

/** The probe server's routing as a pure function of method, URL and probe state. */
export function answerProbe(method: string | undefined, url: string | undefined, probe: ReadinessProbe, hasMetrics: boolean): ProbeAnswer {
  if (!PROBE_METHODS.includes((method ?? '') as (typeof PROBE_METHODS)[number])) {
    return text(405, `method ${method ?? ''} not allowed: use ${PROBE_METHODS.join(' or ')}\n`, { allow: PROBE_METHODS.join(', ') });
  }
  const path = (url ?? '/').split('?')[0];
  if (path === '/healthz' || path === '/livez') {
    const why = probe.notLive?.();
    return why ? text(503, `not live: ${why}\n`) : text(200, 'ok\n');
  }
  if (path === '/readyz') {
    const why = probe.notReady();
    return why ? text(503, `not ready: ${why}\n`) : text(200, 'ok\n');
  }
  if (path === '/metrics' && hasMetrics) return { kind: 'metrics' };
  return text(404, 'not found\n');
}

/** Options of {@link startProbeServer}. */
export interface ProbeServerOptions {
  /** TCP port (0: any free port). */
  port: number;
  /** Address to bind (see {@link parseBindAddress}). @default '0.0.0.0' */
  host?: string;
  /** Serves `/metrics` from here; omit for a probes-only port. */
  metrics?: MetricsSource;
  probe: ReadinessProbe;
}

/** Starts listening; resolves once bound, rejects when the port cannot be bound. */
export function startProbeServer(opts: ProbeServerOptions): Promise<Server> {
  const { metrics, probe } = opts;
  const server = createServer((req, res) => {
    const a = answerProbe(req.method, req.url, probe, metrics !== undefined);
    if (a.kind === 'text') {
      // Node leaves the body out of HEAD responses on its own.
      res.writeHead(a.status, a.headers).end(a.body);
      return;
    }
    metrics!.text().then(
      (t) => res.writeHead(200, { 'content-type': metrics!.contentType }).end(t),
      (e: Error) => res.writeHead(500).end(e.message),
    );
  });
  return listen(server, opts.port, opts.host);
}

/** What the secure metrics server does with one request before asking who sent it. */
export type SecureMetricsRoute = (ProbeAnswer & { kind: 'text' }) | { kind: 'authorize' };

/**
 * The secure metrics server's routing: GET/HEAD `/metrics` needs a decision
 * ({@link answerAccess}); other methods are 405 and other paths 404, without asking the API server.
 */
export function routeSecureMetrics(method: string | undefined, url: string | undefined): SecureMetricsRoute {
  if (!PROBE_METHODS.includes((method ?? '') as (typeof PROBE_METHODS)[number])) {
    return text(405, `method ${method ?? ''} not allowed: use ${PROBE_METHODS.join(' or ')}\n`, { allow: PROBE_METHODS.join(', ') });
  }
  const path = (url ?? '/').split('?')[0];
  return path === '/metrics' ? { kind: 'authorize' } : text(404, 'not found: this port serves only /metrics\n');
}

/** The realm in `WWW-Authenticate` challenges (RFC 6750 §3). */
export const METRICS_REALM = 'metallb-ts';

/**
 * The answer to an authorised-or-not scrape: `allowed` → the metrics; `unauthenticated` → 401
 * with a Bearer challenge (`error="invalid_token"` when the API server rejected the token);
 * `forbidden` → 403; the API server refusing this process's own reviews (401/403) → 500 naming
 * the RBAC it lacks; the API server unreachable or failing → 503.
 */
export function answerAccess(access: MetricsAccess): ProbeAnswer {
  switch (access.kind) {
    case 'allowed':
      return { kind: 'metrics' };
    case 'unauthenticated': {
      const challenge = `Bearer realm="${METRICS_REALM}"${access.reason === 'token-rejected' ? ', error="invalid_token"' : ''}`;
      return text(401, `unauthorized: ${access.detail}\n`, { 'www-authenticate': challenge });
    }
    case 'forbidden':
      return text(403, `forbidden: ${access.detail}\n`);
    case 'review-failed': {
      const what = access.stage === 'token-review' ? 'tokenreviews.authentication.k8s.io' : 'subjectaccessreviews.authorization.k8s.io';
      if (access.status === 401 || access.status === 403) {
        return text(500, `cannot check the scrape: this process may not create ${what} (HTTP ${access.status}: ${access.detail}); bind its ServiceAccount to the ClusterRole system:auth-delegator\n`);
      }
      return text(503, `cannot check the scrape: the API server did not answer the ${access.stage} (${access.detail})\n`);
    }
    default:
      return assertNever(access);
  }
}

/** Options of {@link startSecureMetricsServer}. */
export interface SecureMetricsServerOptions {
  /** TCP port (0: any free port). */
  port: number;
  /** Address to bind. @default '0.0.0.0' */
  host?: string;
  metrics: MetricsSource;
  /** The certificate served (see `selfSignedCertificate`, {@link readCertDir}). */
  tls: TlsMaterial;
  /** Decides each scrape from its `Authorization` header (a `MetricsAuthorizer`). */
  authorizer: { authorize(authorization: string | undefined): Promise<MetricsAccess> };
  /** Told every decision (for logging). */
  onAccess?(access: MetricsAccess, remote: string | undefined): void;
}

/** Starts the HTTPS `/metrics` server; resolves once bound, rejects when the port cannot be bound. */
export function startSecureMetricsServer(opts: SecureMetricsServerOptions): Promise<HttpsServer> {
  const { metrics, authorizer } = opts;
  const server = createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    const route = routeSecureMetrics(req.method, req.url);
    if (route.kind === 'text') {
      res.writeHead(route.status, route.headers).end(route.body);
      return;
    }
    void authorizer.authorize(req.headers.authorization).then(async (access) => {
      opts.onAccess?.(access, req.socket.remoteAddress);
      const a = answerAccess(access);
      if (a.kind === 'text') {
        res.writeHead(a.status, a.headers).end(a.body);
        return;
      }
      try {
        const t = await metrics.text();
        res.writeHead(200, { 'content-type': metrics.contentType }).end(t);
      } catch (e) {
        res.writeHead(500).end((e as Error).message);
      }
    });
  });
  return listen(server, opts.port, opts.host);
}

function listen<S extends Server | HttpsServer>(server: S, port: number, host: string | undefined): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Closes `server`, resolving once every connection is gone. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}

/** Where to listen, from a bind-address flag. */
export type BindAddress = { kind: 'listen'; host: string; port: number } | { kind: 'disabled' };

/** A bind-address flag value that is not an address. */
export class BindAddressError extends Error {
  override readonly name = 'BindAddressError';
  constructor(
    readonly value: string,
    readonly reason: string,
  ) {
    super(`bind address ${JSON.stringify(value)}: ${reason}; use an IP address (127.0.0.1, ::1, 0.0.0.0), HOST:PORT, [IPv6]:PORT, :PORT or 0`);
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;

function checkHost(value: string, host: string): string {
  if (host === '' || host === '*') return '0.0.0.0';
  if (host === 'localhost') return '127.0.0.1';
  if (IPV4.test(host) || (host.includes(':') && IPV6.test(host))) return host;
  throw new BindAddressError(value, `${JSON.stringify(host)} is not an IP address`);
}

function checkPort(value: string, port: string): number {
  const n = Number(port);
  if (!/^\d+$/.test(port) || n > 65535) throw new BindAddressError(value, `port ${JSON.stringify(port)} is not 0..65535`);
  return n;
}

/**
 * Reads a bind-address flag with controller-runtime's `--metrics-bind-address` forms, plus a bare
 * address: `0` disables the server; `:8080` and `HOST:8080` / `[::1]:8080` give the port; a bare
 * `127.0.0.1` or `::1` binds that address on `defaultPort` (the app's `--port`). Empty means
 * every interface on `defaultPort`. `defaultPort` 0 with no port in the value disables.
 * @throws {BindAddressError} naming the value and the forms accepted.
 */
export function parseBindAddress(value: string, defaultPort: number): BindAddress {
  const v = value.trim();
  if (v === '0') return { kind: 'disabled' };
  let host: string;
  let port = defaultPort;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(v);
  if (bracketed) {
    host = checkHost(value, bracketed[1]!);
    if (bracketed[2] !== undefined) port = checkPort(value, bracketed[2]);
  } else if ((v.match(/:/g) ?? []).length === 1) {
    const i = v.indexOf(':');
    host = checkHost(value, v.slice(0, i));
    port = checkPort(value, v.slice(i + 1));
  } else {
    host = checkHost(value, v);
  }
  if (port === 0) return { kind: 'disabled' };
  return { kind: 'listen', host, port };
}
