/**
 * The speaker's flag table: MetalLB's speaker flags and environment (§9.6) plus ours
 * (`--ml-preset`, `--interfaces-exclude-file`). The engine (`METALLB_<FLAG>` environment,
 * explicit aliases, `--help`, one-line errors, exit 2) is `@metallb-ts/app-runtime`'s. A flag on
 * the command line wins over the environment.
 */
import { checkChoice, checkPort, FlagError, LOG_LEVELS, planServing, parseFlags as parseTable, usage as tableUsage, type Env, type FlagSpec, type LogLevel, serviceAccountNamespace } from '@metallb-ts/app-runtime';
import { parseSelectorText } from '@metallb-ts/labels';
import { IPAddress } from '@metallb-ts/netaddr';

export { FlagError };

/** Memberlist timing presets the speaker offers (`--ml-preset`). */
export const ML_PRESETS = ['balanced', 'lan', 'fast'] as const;
export type MlPreset = (typeof ML_PRESETS)[number];

/** The parsed flags. */
export interface SpeakerFlags {
  nodeName: string;
  podName: string;
  namespace: string;
  kubeconfig?: string;
  mlBindAddr: string;
  mlBindPort: number;
  mlLabels: string;
  mlNamespace: string;
  mlSecretKeyPath: string;
  mlWanConfig: boolean;
  mlPreset: MlPreset;
  mlDeadOnRefused: boolean;
  port: number;
  metricsBindAddress: string;
  metricsSecure: boolean;
  metricsCertDir: string;
  healthProbePort: number;
  logLevel: LogLevel;
  lbClass: string;
  ignoreExcludeLb: boolean;
  host: string;
  interfacesExcludeFile: string;
}

/** MetalLB's mount of the `metallb-excludel2` ConfigMap. */
export const DEFAULT_EXCLUDE_FILE = '/etc/metallb/excludel2.yaml';

/** The speaker's listeners: host network, so its extra probe port stays on loopback (MetalLB). */
export const SERVING = { healthProbeHost: '127.0.0.1' } as const;

/** Every flag, in `--help` order. */
export const FLAGS: readonly FlagSpec<SpeakerFlags>[] = [
  { name: 'node-name', key: 'nodeName', type: 'string', help: 'this node (required; the memberlist member name)', default: '' },
  { name: 'pod-name', key: 'podName', type: 'string', help: 'own pod (owner of the status objects and ConfigurationState)', default: '' },
  { name: 'namespace', key: 'namespace', type: 'string', help: 'namespace of the MetalLB configuration objects', default: () => serviceAccountNamespace() ?? 'metallb-system' },
  { name: 'kubeconfig', key: 'kubeconfig', type: 'string', env: ['KUBECONFIG'], help: 'kubeconfig file; default: in-cluster service account, then ~/.kube/config' },
  { name: 'ml-bindaddr', key: 'mlBindAddr', type: 'string', env: ['METALLB_ML_BIND_ADDR'], help: 'memberlist bind address (memberlist runs when this and --ml-labels are set)', default: '' },
  { name: 'ml-bindport', key: 'mlBindPort', type: 'int', env: ['METALLB_ML_BIND_PORT'], help: 'memberlist port (TCP and UDP)', default: 7946 },
  { name: 'ml-labels', key: 'mlLabels', type: 'string', env: ['METALLB_ML_LABELS'], help: 'label selector of the speaker pods to join, e.g. app=metallb,component=speaker', default: '' },
  { name: 'ml-namespace', key: 'mlNamespace', type: 'string', help: 'namespace of the speaker pods (default: --namespace)', default: '' },
  { name: 'ml-secret-key-path', key: 'mlSecretKeyPath', type: 'string', env: ['METALLB_ML_SECRET_KEY_PATH'], help: 'directory holding the memberlist secret file "secretkey" (empty: unencrypted)', default: '' },
  { name: 'ml-wan-config', key: 'mlWanConfig', type: 'bool', help: 'memberlist WAN timings instead of LAN', default: false },
  { name: 'ml-preset', key: 'mlPreset', type: 'string', help: `memberlist failure detection: ${ML_PRESETS.join('|')} (balanced: a silent node is dead in 2–3 s on a small cluster; lan: memberlist's LAN timings as MetalLB, 5–6 s; fast: sub-second, every speaker must use it)`, default: 'balanced' },
  {
    name: 'ml-dead-on-refused',
    key: 'mlDeadOnRefused',
    type: 'bool',
    help: 'declare a speaker dead as soon as a failed probe finds its memberlist port closed on a host that answers (its process is gone) instead of suspecting it for seconds; needs TCP to the port open, as memberlist does anyway',
    default: true,
  },
  { name: 'port', key: 'port', type: 'int', help: 'HTTP port for /metrics, /healthz and /readyz (with --metrics-secure: the probes only); 0 disables', default: 7472 },
  {
    name: 'metrics-bind-address',
    key: 'metricsBindAddress',
    type: 'string',
    help: 'address of the --port server: an IP (127.0.0.1, ::1), HOST:PORT or :PORT (overrides --port), 0 disables; empty: every interface. With --metrics-secure: the HTTPS /metrics server (port 9120 when none is given), --port keeps the probes',
    default: '',
  },
  { name: 'metrics-secure', key: 'metricsSecure', type: 'bool', help: 'serve /metrics over HTTPS on --metrics-bind-address; each scrape needs a bearer token the API server authenticates (TokenReview) and allows to get /metrics (SubjectAccessReview)', default: false },
  { name: 'metrics-cert-dir', key: 'metricsCertDir', type: 'string', help: 'directory with tls.crt and tls.key for --metrics-secure (reloaded on change); empty: a self-signed certificate made at start-up', default: '' },
  { name: 'health-probe-port', key: 'healthProbePort', type: 'int', help: 'extra HTTP port for /healthz and /readyz on 127.0.0.1 (0: none)', default: 0 },
  { name: 'log-level', key: 'logLevel', type: 'string', help: `one of ${LOG_LEVELS.join('|')}`, default: 'info' },
  { name: 'lb-class', key: 'lbClass', type: 'string', help: 'load-balancer class to serve; empty: only Services without spec.loadBalancerClass', default: '' },
  { name: 'ignore-exclude-lb', key: 'ignoreExcludeLb', type: 'bool', help: 'ignore the node.kubernetes.io/exclude-from-external-load-balancers label', default: false },
  { name: 'host', key: 'host', type: 'string', help: 'accepted for MetalLB compatibility, unused', default: '' },
  {
    name: 'interfaces-exclude-file',
    key: 'interfacesExcludeFile',
    type: 'string',
    help: `YAML file with announcedInterfacesToExclude (regexes); the metallb-excludel2 ConfigMap in --namespace is read too`,
    default: DEFAULT_EXCLUDE_FILE,
  },
];

/** What `--help` says above the table. */
export const PROGRAM = {
  program: 'speaker',
  description: 'The metallb-ts speaker: answers ARP/NDP for LoadBalancer IPs (Layer 2) and advertises them to BGP peers. METALLB_BGP_TYPE must be "native" or unset.',
} as const;

/** Cross-flag checks and derived defaults. @throws {FlagError} */
export function validateFlags(flags: SpeakerFlags): void {
  if (!flags.nodeName) throw new FlagError('--node-name (or METALLB_NODE_NAME) is required');
  checkChoice('log-level', flags.logLevel, LOG_LEVELS);
  checkChoice('ml-preset', flags.mlPreset, ML_PRESETS);
  checkPort('port', flags.port);
  checkPort('health-probe-port', flags.healthProbePort);
  checkPort('ml-bindport', flags.mlBindPort);
  planServing(flags, SERVING);
  if (!flags.namespace) throw new FlagError('--namespace must not be empty');
  if (flags.mlBindAddr && !IPAddress.tryParse(flags.mlBindAddr)) throw new FlagError(`--ml-bindaddr: "${flags.mlBindAddr}" is not an IP address`);
  if (flags.mlLabels) {
    const r = parseSelectorText(flags.mlLabels, 'ml-labels');
    if (!r.ok) throw new FlagError(`--ml-labels: ${r.error.message}`);
  }
  if (flags.mlWanConfig && flags.mlPreset === 'fast') throw new FlagError('--ml-wan-config and --ml-preset fast contradict each other');
  flags.mlNamespace ||= flags.namespace;
}

/**
 * MetalLB's `METALLB_BGP_TYPE` (§9.6): we have one native speaker, so anything else is refused.
 * @returns the line to print, or undefined when acceptable.
 */
export function bgpTypeProblem(env: Env): string | undefined {
  const t = env['METALLB_BGP_TYPE'];
  if (t === undefined || t === '' || t === 'native') return undefined;
  return `METALLB_BGP_TYPE=${t} is not supported: metallb-ts has one BGP implementation, the native speaker; unset it or set it to "native"`;
}

/** Memberlist runs only with both a bind address and a pod label selector (§8). */
export function memberlistEnabled(flags: SpeakerFlags): boolean {
  return flags.mlBindAddr !== '' && flags.mlLabels !== '';
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
export function parseFlags(argv: readonly string[], env: Env = process.env): SpeakerFlags | 'help' {
  return parseTable(FLAGS, argv, env, validateFlags);
}
