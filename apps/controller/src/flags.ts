/**
 * The controller's flag table. The engine (`METALLB_<FLAG>` environment, explicit aliases,
 * `--help`, one-line errors) is `@metallb-ts/app-runtime`'s; MetalLB's own env names
 * (`METALLB_NAMESPACE`, `METALLB_ML_SECRET_NAME`, `METALLB_DEPLOYMENT`, `METALLB_POD_NAME`) are
 * exactly the derived ones, and `KUBECONFIG` is an alias of `--kubeconfig`. A flag on the
 * command line wins over the environment.
 */
import { checkChoice, checkPort, FlagError, LOG_LEVELS, planServing, parseFlags as parseTable, usage as tableUsage, type Env, type FlagSpec, type LogLevel, serviceAccountNamespace } from '@metallb-ts/app-runtime';
import { hostname } from 'node:os';

export { FlagError };

/** The parsed flags. */
export interface ControllerFlags {
  kubeconfig?: string;
  namespace: string;
  lbClass: string;
  logLevel: LogLevel;
  port: number;
  metricsBindAddress: string;
  metricsSecure: boolean;
  metricsCertDir: string;
  healthProbePort: number;
  mlSecretName: string;
  deployment: string;
  podName: string;
  leaderElect: boolean;
  leaseName: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  identity: string;
  kubeApiQps: number;
  kubeApiBurst: number;
}

/** Every flag, in `--help` order. */
export const FLAGS: readonly FlagSpec<ControllerFlags>[] = [
  { name: 'kubeconfig', key: 'kubeconfig', type: 'string', env: ['KUBECONFIG'], help: 'kubeconfig file; default: in-cluster service account, then ~/.kube/config' },
  { name: 'namespace', key: 'namespace', type: 'string', help: 'namespace of the MetalLB configuration objects', default: () => serviceAccountNamespace() ?? 'metallb-system' },
  { name: 'lb-class', key: 'lbClass', type: 'string', help: 'load-balancer class to serve; empty: only Services without spec.loadBalancerClass', default: '' },
  { name: 'log-level', key: 'logLevel', type: 'string', help: `one of ${LOG_LEVELS.join('|')}`, default: 'info' },
  { name: 'port', key: 'port', type: 'int', help: 'HTTP port for /metrics, /healthz and /readyz (with --metrics-secure: the probes only); 0 disables', default: 7472 },
  {
    name: 'metrics-bind-address',
    key: 'metricsBindAddress',
    type: 'string',
    help: 'address of the --port server (and of --health-probe-port): an IP (127.0.0.1, ::1), HOST:PORT or :PORT (overrides --port), 0 disables; empty: every interface. With --metrics-secure: the HTTPS /metrics server (port 9120 when none is given), --port keeps the probes',
    default: '',
  },
  { name: 'metrics-secure', key: 'metricsSecure', type: 'bool', help: 'serve /metrics over HTTPS on --metrics-bind-address; each scrape needs a bearer token the API server authenticates (TokenReview) and allows to get /metrics (SubjectAccessReview)', default: false },
  { name: 'metrics-cert-dir', key: 'metricsCertDir', type: 'string', help: 'directory with tls.crt and tls.key for --metrics-secure (reloaded on change); empty: a self-signed certificate made at start-up', default: '' },
  { name: 'health-probe-port', key: 'healthProbePort', type: 'int', help: 'extra HTTP port for /healthz and /readyz only (0: none; they are always on --port)', default: 0 },
  { name: 'ml-secret-name', key: 'mlSecretName', type: 'string', help: 'memberlist secret to create in --namespace if missing (empty: none)', default: '' },
  { name: 'deployment', key: 'deployment', type: 'string', help: 'controller Deployment name (owner of the memberlist secret)', default: '' },
  { name: 'pod-name', key: 'podName', type: 'string', help: 'own pod name (ConfigurationState owner, default identity)', default: '' },
  { name: 'leader-elect', key: 'leaderElect', type: 'bool', help: 'run as one of several replicas; one leads through a coordination.k8s.io Lease', default: true },
  { name: 'lease-name', key: 'leaseName', type: 'string', help: 'name of the Lease in --namespace', default: 'metallb-ts-controller' },
  { name: 'lease-duration', key: 'leaseDurationSeconds', type: 'int', help: 'seconds a standby waits before taking over an unrenewed lease', default: 15 },
  { name: 'renew-deadline', key: 'renewDeadlineSeconds', type: 'int', help: 'seconds the leader keeps trying to renew before it steps down', default: 10 },
  { name: 'retry-period', key: 'retryPeriodSeconds', type: 'int', help: 'seconds between lease attempts', default: 2 },
  { name: 'kube-api-qps', key: 'kubeApiQps', type: 'int', help: 'sustained requests per second to the API server', default: 200 },
  { name: 'kube-api-burst', key: 'kubeApiBurst', type: 'int', help: 'request burst to the API server', default: 400 },
  { name: 'identity', key: 'identity', type: 'string', help: 'leader-election identity (default: pod name, else hostname_pid)' },
];

/** What `--help` says above the table. */
export const PROGRAM = { program: 'controller', description: 'The metallb-ts controller: assigns IPs to Services of type LoadBalancer.' } as const;

/** Cross-flag checks and derived defaults. @throws {FlagError} */
export function validateFlags(flags: ControllerFlags): void {
  checkChoice('log-level', flags.logLevel, LOG_LEVELS);
  checkPort('port', flags.port);
  checkPort('health-probe-port', flags.healthProbePort);
  planServing(flags);
  if (!flags.namespace) throw new FlagError('--namespace must not be empty');
  if (flags.leaseDurationSeconds <= flags.renewDeadlineSeconds) {
    throw new FlagError('--lease-duration must be greater than --renew-deadline');
  }
  if (flags.renewDeadlineSeconds <= flags.retryPeriodSeconds) {
    throw new FlagError('--renew-deadline must be greater than --retry-period');
  }
  if (flags.kubeApiQps < 1) throw new FlagError('--kube-api-qps must be at least 1');
  if (flags.kubeApiBurst < 1) throw new FlagError('--kube-api-burst must be at least 1');
  flags.identity ||= flags.podName || `${hostname()}_${process.pid}`;
}

/** The `--help` text. */
export function usage(): string {
  return tableUsage(FLAGS, PROGRAM);
}

/**
 * Parses argv (without node and script) and the environment.
 * @returns the flags, or `'help'` when `--help` was given.
 * @throws {FlagError} naming the bad flag and value.
 */
export function parseFlags(argv: readonly string[], env: Env = process.env): ControllerFlags | 'help' {
  return parseTable(FLAGS, argv, env, validateFlags);
}
