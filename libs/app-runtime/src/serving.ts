/**
 * Every HTTP listener of an app, from its flags: {@link planServing} turns `--port`,
 * `--metrics-bind-address`, `--metrics-secure`, `--metrics-cert-dir` and `--health-probe-port`
 * into a list of listeners (pure, so `--help`-time validation and tests see the same decision),
 * {@link startServing} starts them.
 *
 * - Without `--metrics-secure` (the default) nothing changes: one plain HTTP server on
 *   `--metrics-bind-address` (an IP, `HOST:PORT` or `:PORT` overriding `--port`, `0` disabling)
 *   serves `/metrics` and the probes; `--health-probe-port` adds a probes-only server.
 * - With `--metrics-secure`, `/metrics` moves to an HTTPS server on `--metrics-bind-address`
 *   (port 9120, MetalLB's `metricshttps`, when the value has none), where every scrape is
 *   authenticated and authorised by the API server (`metrics-auth.ts`); the plain `--port`
 *   server keeps only `/healthz` `/livez` `/readyz` for the kubelet's probes. The certificate
 *   comes from `--metrics-cert-dir` (`tls.crt`, `tls.key`, reloaded when they change) or is
 *   self-signed at start-up.
 */
import { systemClock, systemRng, type Clock, type Rng } from '@metallb-ts/clock';
import { assertNever } from '@metallb-ts/errors';
import { IPAddress } from '@metallb-ts/netaddr';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FlagError } from './flags.js';
import { BindAddressError, closeServer, parseBindAddress, startProbeServer, startSecureMetricsServer, type ReadinessProbe } from './http.js';
import { ThrottledLog } from './informers.js';
import type { Logger } from './log.js';
import { kubeReviewClient, MetricsAuthorizer, type JsonRequester, type MetricsAccess, type MetricsAuthCacheOptions, type ReviewClient } from './metrics-auth.js';
import type { MetricsSource } from './metrics.js';
import { selfSignedCertificate, type TlsMaterial } from './self-signed.js';

/** The serving flags of an app's flag table, by these exact keys. */
export interface ServingFlags {
  /** `--port`: the plain HTTP server. */
  port: number;
  /** `--metrics-bind-address`. */
  metricsBindAddress: string;
  /** `--metrics-secure`. */
  metricsSecure: boolean;
  /** `--metrics-cert-dir` (empty: self-signed). */
  metricsCertDir: string;
  /** `--health-probe-port` (0: none). */
  healthProbePort: number;
}

/** MetalLB's `metricshttps` port: the HTTPS `/metrics` port when `--metrics-bind-address` names none. */
export const DEFAULT_SECURE_METRICS_PORT = 9120;

/** The files read from `--metrics-cert-dir`. */
export const CERT_DIR_FILES = { cert: 'tls.crt', key: 'tls.key' } as const;

/** One listener of the plan. */
export type Listener =
  /** Plain HTTP: `/metrics` (unless `probes`) and `/healthz` `/livez` `/readyz`. */
  | { kind: 'http'; serves: 'metrics-and-probes' | 'probes'; host: string; port: number }
  /** HTTPS, `/metrics` only, every scrape authenticated and authorised. */
  | { kind: 'https-metrics'; host: string; port: number };

/** What {@link planServing} decided. */
export interface ServingPlan {
  readonly listeners: readonly Listener[];
  /** Where `tls.crt` and `tls.key` are; empty: a self-signed certificate. */
  readonly certDir: string;
}

/** Options of {@link planServing}. */
export interface ServingPlanOptions {
  /**
   * Address of the `--health-probe-port` server. @default the `--metrics-bind-address` host
   * (every interface when that is empty or disabled)
   */
  healthProbeHost?: string;
}

function bindFlag(value: string, defaultPort: number) {
  try {
    return parseBindAddress(value, defaultPort);
  } catch (e) {
    if (e instanceof BindAddressError) throw new FlagError(`--metrics-bind-address: ${e.message}`);
    throw e;
  }
}

/**
 * The listeners the serving flags ask for.
 * @throws {FlagError} for a bad `--metrics-bind-address`, `--metrics-cert-dir` without
 *   `--metrics-secure`, or an HTTPS port equal to `--port` or `--health-probe-port`.
 */
export function planServing(flags: ServingFlags, opts: ServingPlanOptions = {}): ServingPlan {
  if (flags.metricsCertDir && !flags.metricsSecure) {
    throw new FlagError('--metrics-cert-dir is only read with --metrics-secure; set --metrics-secure or leave --metrics-cert-dir empty');
  }
  const listeners: Listener[] = [];
  if (!flags.metricsSecure) {
    const bind = bindFlag(flags.metricsBindAddress, flags.port);
    const host = bind.kind === 'listen' ? bind.host : '0.0.0.0';
    if (bind.kind === 'listen') listeners.push({ kind: 'http', serves: 'metrics-and-probes', host, port: bind.port });
    if (flags.healthProbePort) listeners.push({ kind: 'http', serves: 'probes', host: opts.healthProbeHost ?? host, port: flags.healthProbePort });
    return { listeners, certDir: '' };
  }
  const bind = bindFlag(flags.metricsBindAddress, DEFAULT_SECURE_METRICS_PORT);
  const host = bind.kind === 'listen' ? bind.host : '0.0.0.0';
  if (bind.kind === 'listen') {
    for (const [flag, port] of [['port', flags.port], ['health-probe-port', flags.healthProbePort]] as const) {
      if (port === bind.port) {
        throw new FlagError(`--metrics-bind-address: the HTTPS metrics port ${bind.port} is also --${flag}; with --metrics-secure, --${flag} serves plain probes, so give them different ports`);
      }
    }
  }
  if (flags.port) listeners.push({ kind: 'http', serves: 'probes', host, port: flags.port });
  if (flags.healthProbePort) listeners.push({ kind: 'http', serves: 'probes', host: opts.healthProbeHost ?? host, port: flags.healthProbePort });
  if (bind.kind === 'listen') listeners.push({ kind: 'https-metrics', host, port: bind.port });
  return { listeners, certDir: flags.metricsCertDir };
}

/** `--metrics-cert-dir` does not hold a usable certificate and key. */
export class ServingCertificateError extends Error {
  override readonly name = 'ServingCertificateError';
  constructor(
    readonly dir: string,
    readonly reason: string,
  ) {
    super(`--metrics-cert-dir ${dir}: ${reason}; put a PEM certificate in ${CERT_DIR_FILES.cert} and its PEM private key in ${CERT_DIR_FILES.key}, or leave --metrics-cert-dir empty for a self-signed certificate`);
  }
}

/**
 * Reads and checks `tls.crt` and `tls.key` of `dir`: both PEM, the key belonging to the first
 * certificate.
 * @throws {ServingCertificateError} naming the file and what is wrong.
 */
export function readCertDir(dir: string): TlsMaterial {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch (e) {
      throw new ServingCertificateError(dir, `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  };
  const cert = read(CERT_DIR_FILES.cert);
  const key = read(CERT_DIR_FILES.key);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new ServingCertificateError(dir, `${CERT_DIR_FILES.cert} is not a PEM certificate (${(e as Error).message})`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new ServingCertificateError(dir, `${CERT_DIR_FILES.key} is not a PEM private key (${(e as Error).message})`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new ServingCertificateError(dir, `${CERT_DIR_FILES.key} is not the key of the certificate in ${CERT_DIR_FILES.cert}`);
  return { cert, key };
}

/** Names and addresses of the self-signed certificate for a listener on `host`. */
export function selfSignedNames(host: string, node = hostname()): { dnsNames: string[]; ipAddresses: string[] } {
  // dNSName is an IA5String (RFC 5280 §4.2.1.6): ASCII only.
  const dnsNames = [...new Set([node, 'localhost'].filter((n) => n && /^[\x21-\x7e]+$/.test(n)))];
  const ipAddresses = ['127.0.0.1', '::1'];
  const ip = IPAddress.tryParse(host);
  if (ip && !ip.equals(IPAddress.parse('0.0.0.0')) && !ip.equals(IPAddress.parse('::')) && !ipAddresses.includes(ip.toString())) ipAddresses.push(ip.toString());
  return { dnsNames, ipAddresses };
}

/** Options of {@link startServing}. */
export interface ServingOptions {
  plan: ServingPlan;
  metrics: MetricsSource;
  probe: ReadinessProbe;
  /** The program, e.g. `controller` (the self-signed certificate's CN is `metallb-ts-<program>`). */
  program: string;
  log: Logger;
  /** The API client the TokenReviews and SubjectAccessReviews go through (k8s-watch's `KubeClient`). */
  api?: JsonRequester;
  /** Reviews from here instead of `api` (tests). */
  reviews?: ReviewClient;
  /** Decision cache bounds. @default DEFAULT_METRICS_AUTH_CACHE */
  authCache?: MetricsAuthCacheOptions;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemRng */
  rng?: Rng;
}

/** Where a started listener is. */
export interface Endpoint {
  kind: Listener['kind'];
  serves: 'metrics-and-probes' | 'probes' | 'metrics';
  /** e.g. `https://0.0.0.0:9120/metrics`, `http://127.0.0.1:7472/` (the bound port, also for port 0). */
  url: string;
  port: number;
}

/** The running listeners. */
export interface Serving {
  readonly servers: readonly Server[];
  readonly endpoints: readonly Endpoint[];
  /** The certificate the HTTPS server started with (undefined without one). */
  readonly certificate: { source: 'self-signed' | 'cert-dir'; x509: X509Certificate } | undefined;
  /** Stops watching the certificate directory and closes every server. */
  close(): Promise<void>;
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * Starts the planned listeners. On failure (a port taken, an unusable `--metrics-cert-dir`) it
 * closes what it started and rethrows.
 * @throws {ServingCertificateError} for an unusable certificate directory.
 * @throws {Error} when a plan with an HTTPS listener has neither `api` nor `reviews`.
 */
export async function startServing(opts: ServingOptions): Promise<Serving> {
  const { plan, metrics, probe, log } = opts;
  const clock = opts.clock ?? systemClock;
  const servers: Server[] = [];
  const endpoints: Endpoint[] = [];
  let watcher: FSWatcher | undefined;
  let certificate: Serving['certificate'];
  const close = async () => {
    watcher?.close();
    await Promise.all(servers.map(closeServer));
  };
  try {
    for (const l of plan.listeners) {
      if (l.kind === 'http') {
        const s = await startProbeServer({ port: l.port, host: l.host, probe, ...(l.serves === 'metrics-and-probes' ? { metrics } : {}) });
        servers.push(s);
        const port = (s.address() as AddressInfo).port;
        endpoints.push({ kind: 'http', serves: l.serves, port, url: `http://${urlHost(l.host)}:${port}/` });
        continue;
      }
      const reviews = opts.reviews ?? (opts.api ? kubeReviewClient(opts.api) : undefined);
      if (!reviews) throw new Error('startServing: an HTTPS metrics listener needs an API client (api) for its TokenReviews and SubjectAccessReviews');
      const tls = plan.certDir
        ? readCertDir(plan.certDir)
        : selfSignedCertificate({ commonName: `metallb-ts-${opts.program}`, ...selfSignedNames(l.host), clock, rng: opts.rng ?? systemRng });
      certificate = { source: plan.certDir ? 'cert-dir' : 'self-signed', x509: new X509Certificate(tls.cert) };
      const authorizer = new MetricsAuthorizer({ reviews, clock, ...(opts.authCache ?? {}) });
      const throttled = new ThrottledLog({ log, clock });
      const s = await startSecureMetricsServer({
        port: l.port,
        host: l.host,
        metrics,
        tls,
        authorizer,
        onAccess: (a, remote) => logAccess(log, throttled, a, remote),
      });
      servers.push(s);
      const port = (s.address() as AddressInfo).port;
      endpoints.push({ kind: 'https-metrics', serves: 'metrics', port, url: `https://${urlHost(l.host)}:${port}/metrics` });
      log.info('serving /metrics over HTTPS; scrapes need a bearer token allowed to get /metrics', {
        op: 'startup',
        address: `${urlHost(l.host)}:${port}`,
        certificate: plan.certDir ? `${plan.certDir}/${CERT_DIR_FILES.cert}` : 'self-signed',
        fingerprint256: certificate.x509.fingerprint256,
        notAfter: certificate.x509.validTo,
      });
      if (plan.certDir) watcher = watchCertDir(plan.certDir, s, tls, log);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { servers, endpoints, certificate, close };
}

function logAccess(log: Logger, throttled: ThrottledLog, a: MetricsAccess, remote: string | undefined): void {
  switch (a.kind) {
    case 'allowed':
      log.debug('metrics scrape allowed', { op: 'metrics', user: a.user, remote });
      return;
    case 'unauthenticated':
      throttled.line('info', `metrics:401:${a.reason}`, 'metrics scrape refused: not authenticated', { op: 'metrics', status: 401, reason: a.reason, detail: a.detail, remote });
      return;
    case 'forbidden':
      throttled.line('info', `metrics:403:${a.user}`, 'metrics scrape refused: not authorised', { op: 'metrics', status: 403, user: a.user, detail: a.detail, remote });
      return;
    case 'review-failed':
      throttled.warn(`metrics:review:${a.stage}`, 'metrics scrape not checked: the API server review failed', { op: 'metrics', stage: a.stage, status: a.status, error: a.detail, remote });
      return;
    default:
      assertNever(a);
  }
}

/** The part of a TLS server that swaps certificates. */
interface SecureContextHolder {
  setSecureContext(options: { cert: string; key: string }): void;
}

/**
 * Reloads the certificate when `dir` changes (cert-manager and Secret volumes replace the files,
 * a Secret volume by swapping its `..data` link, which shows as events on the directory). A
 * half-written or mismatched pair is skipped and the served certificate kept; the next event
 * tries again.
 */
function watchCertDir(dir: string, server: SecureContextHolder, initial: TlsMaterial, log: Logger): FSWatcher | undefined {
  let current = initial;
  try {
    const w = watch(dir, { persistent: false }, () => {
      let next: TlsMaterial;
      try {
        next = readCertDir(dir);
      } catch (e) {
        log.warn('metrics certificate not reloaded; serving the previous one', { op: 'metrics', error: (e as Error).message });
        return;
      }
      if (next.cert === current.cert && next.key === current.key) return;
      server.setSecureContext(next);
      current = next;
      log.info('metrics certificate reloaded', { op: 'metrics', fingerprint256: new X509Certificate(next.cert).fingerprint256 });
    });
    w.on('error', (e) => log.warn('cannot watch the metrics certificate directory; changes need a restart', { op: 'metrics', dir, error: e.message }));
    return w;
  } catch (e) {
    log.warn('cannot watch the metrics certificate directory; changes need a restart', { op: 'metrics', dir, error: (e as Error).message });
    return undefined;
  }
}
