/**
 * Command-line flags of the controller. Every flag can also be given through the environment as
 * `METALLB_<FLAG>` (upper snake case: `--lb-class` → `METALLB_LB_CLASS`); MetalLB's own env names
 * (`METALLB_NAMESPACE`, `METALLB_ML_SECRET_NAME`, `METALLB_DEPLOYMENT`, `METALLB_POD_NAME`) are
 * exactly these, and `KUBECONFIG` is honoured for `--kubeconfig`. A flag on the command line
 * wins over the environment.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export type LogLevel = 'all' | 'debug' | 'info' | 'warn' | 'error' | 'none';
const LOG_LEVELS: readonly LogLevel[] = ['all', 'debug', 'info', 'warn', 'error', 'none'];

export interface ControllerFlags {
  kubeconfig?: string;
  namespace: string;
  lbClass: string;
  logLevel: LogLevel;
  port: number;
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

interface FlagSpec {
  name: string;
  key: keyof ControllerFlags;
  type: 'string' | 'int' | 'bool';
  help: string;
  env?: string[];
  def: (env: NodeJS.ProcessEnv) => string | number | boolean | undefined;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function saNamespace(): string | undefined {
  try {
    return readFileSync(SA_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export const FLAGS: readonly FlagSpec[] = [
  { name: 'kubeconfig', key: 'kubeconfig', type: 'string', env: ['KUBECONFIG'], help: 'kubeconfig file; default: in-cluster service account, then ~/.kube/config', def: () => undefined },
  { name: 'namespace', key: 'namespace', type: 'string', help: 'namespace of the MetalLB configuration objects', def: () => saNamespace() ?? 'metallb-system' },
  { name: 'lb-class', key: 'lbClass', type: 'string', help: 'load-balancer class to serve; empty: only Services without spec.loadBalancerClass', def: () => '' },
  { name: 'log-level', key: 'logLevel', type: 'string', help: `one of ${LOG_LEVELS.join('|')}`, def: () => 'info' },
  { name: 'port', key: 'port', type: 'int', help: 'HTTP port for /metrics, /healthz and /readyz (0 disables)', def: () => 7472 },
  { name: 'health-probe-port', key: 'healthProbePort', type: 'int', help: 'extra HTTP port for /healthz and /readyz only (0: none; they are always on --port)', def: () => 0 },
  { name: 'ml-secret-name', key: 'mlSecretName', type: 'string', help: 'memberlist secret to create in --namespace if missing (empty: none)', def: () => '' },
  { name: 'deployment', key: 'deployment', type: 'string', help: 'controller Deployment name (owner of the memberlist secret)', def: () => '' },
  { name: 'pod-name', key: 'podName', type: 'string', help: 'own pod name (ConfigurationState owner, default identity)', def: () => '' },
  { name: 'leader-elect', key: 'leaderElect', type: 'bool', help: 'run as one of several replicas; one leads through a coordination.k8s.io Lease', def: () => true },
  { name: 'lease-name', key: 'leaseName', type: 'string', help: 'name of the Lease in --namespace', def: () => 'metallb-ts-controller' },
  { name: 'lease-duration', key: 'leaseDurationSeconds', type: 'int', help: 'seconds a standby waits before taking over an unrenewed lease', def: () => 15 },
  { name: 'renew-deadline', key: 'renewDeadlineSeconds', type: 'int', help: 'seconds the leader keeps trying to renew before it steps down', def: () => 10 },
  { name: 'retry-period', key: 'retryPeriodSeconds', type: 'int', help: 'seconds between lease attempts', def: () => 2 },
  { name: 'kube-api-qps', key: 'kubeApiQps', type: 'int', help: 'sustained requests per second to the API server', def: () => 200 },
  { name: 'kube-api-burst', key: 'kubeApiBurst', type: 'int', help: 'request burst to the API server', def: () => 400 },
  { name: 'identity', key: 'identity', type: 'string', help: 'leader-election identity (default: pod name, else hostname_pid)', def: () => undefined },
];

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

function envName(flag: string): string {
  return `METALLB_${flag.toUpperCase().replace(/-/g, '_')}`;
}

function convert(spec: FlagSpec, raw: string, from: string): string | number | boolean {
  if (spec.type === 'string') return raw;
  if (spec.type === 'int') {
    if (!/^(0|[1-9][0-9]*)$/.test(raw.trim())) throw new FlagError(`${from}: "${raw}" is not a non-negative integer`);
    return Number(raw.trim());
  }
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new FlagError(`${from}: "${raw}" is not a boolean (true|false)`);
}

/** The `--help` text. */
export function usage(): string {
  const lines = ['Usage: controller [flags]', '', 'The metallb-ts controller: assigns IPs to Services of type LoadBalancer.', '', 'Flags (each also read from the environment variable shown):'];
  for (const f of FLAGS) {
    const env = [envName(f.name), ...(f.env ?? [])].join(', ');
    const d = f.def({});
    lines.push(`  --${f.name}${f.type === 'bool' ? '[=true|false]' : ` ${f.type === 'int' ? 'N' : 'VALUE'}`}`);
    lines.push(`      ${f.help}${d !== undefined && d !== '' ? ` (default ${d})` : ''} [env ${env}]`);
  }
  lines.push('  --help', '      print this help and exit');
  return lines.join('\n');
}

/**
 * Parses argv (without node and script) and the environment.
 * @returns the flags, or `'help'` when `--help` was given.
 * @throws {FlagError} naming the bad flag and value.
 */
export function parseFlags(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ControllerFlags | 'help' {
  const byName = new Map(FLAGS.map((f) => [f.name, f]));
  const out: Record<string, unknown> = {};
  for (const f of FLAGS) {
    const names = [envName(f.name), ...(f.env ?? [])];
    const hit = names.find((n) => env[n] !== undefined && env[n] !== '');
    out[f.key] = hit ? convert(f, env[hit]!, `environment ${hit}`) : f.def(env);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    if (!a.startsWith('--')) throw new FlagError(`unexpected argument "${a}" (flags start with --; see --help)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new FlagError(`unknown flag --${name} (see --help)`);
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new FlagError(`flag --${name} needs a value`);
      raw = next;
      i++;
    }
    out[spec.key] = convert(spec, raw, `--${name}`);
  }
  const flags = out as unknown as ControllerFlags;
  if (!LOG_LEVELS.includes(flags.logLevel)) {
    throw new FlagError(`--log-level: "${flags.logLevel}" is not one of ${LOG_LEVELS.join('|')}`);
  }
  if (flags.port > 65535) throw new FlagError(`--port: ${flags.port} is not a TCP port`);
  if (flags.healthProbePort > 65535) throw new FlagError(`--health-probe-port: ${flags.healthProbePort} is not a TCP port`);
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
  return flags;
}
