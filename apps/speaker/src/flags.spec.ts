import { parseCommandLine } from '@metallb-ts/app-runtime';
import { describe, expect, it } from 'vitest';
import { bgpTypeProblem, FlagError, FLAGS, memberlistEnabled, parseFlags, PROGRAM, usage, validateFlags, type SpeakerFlags } from './flags.js';

const run = (argv: string[], env: Record<string, string> = {}) => parseFlags(argv, env) as SpeakerFlags;

describe('speaker flags', () => {
  it('defaults: MetalLB\'s ports and a disabled memberlist', () => {
    const f = run(['--node-name', 'n1', '--namespace', 'metallb-system']);
    expect(f).toMatchObject({ nodeName: 'n1', port: 7472, mlBindPort: 7946, healthProbePort: 0, logLevel: 'info', mlPreset: 'balanced', mlNamespace: 'metallb-system', lbClass: '', ignoreExcludeLb: false });
    expect(memberlistEnabled(f)).toBe(false);
  });

  it('--ml-dead-on-refused is on by default; =false or its environment variable turns it off; junk is refused', () => {
    expect(run(['--node-name', 'n1']).mlDeadOnRefused).toBe(true);
    expect(run(['--node-name', 'n1', '--ml-dead-on-refused=false']).mlDeadOnRefused).toBe(false);
    expect(run(['--node-name', 'n1'], { METALLB_ML_DEAD_ON_REFUSED: 'false' }).mlDeadOnRefused).toBe(false);
    expect(() => run(['--node-name', 'n1', '--ml-dead-on-refused=maybe'])).toThrow(FlagError);
  });

  it('MetalLB\'s environment names, command line wins', () => {
    const env = {
      METALLB_NODE_NAME: 'n2',
      METALLB_POD_NAME: 'speaker-abc',
      METALLB_NAMESPACE: 'mlb',
      KUBECONFIG: '/kc',
      METALLB_ML_BIND_ADDR: '198.51.100.12',
      METALLB_ML_BIND_PORT: '7947',
      METALLB_ML_LABELS: 'app=metallb,component=speaker',
      METALLB_ML_SECRET_KEY_PATH: '/etc/ml_secret_key',
      METALLB_HOST: 'ignored',
    };
    const f = run([], env);
    expect(f).toMatchObject({ nodeName: 'n2', podName: 'speaker-abc', namespace: 'mlb', kubeconfig: '/kc', mlBindAddr: '198.51.100.12', mlBindPort: 7947, mlLabels: 'app=metallb,component=speaker', mlSecretKeyPath: '/etc/ml_secret_key', mlNamespace: 'mlb', host: 'ignored' });
    expect(memberlistEnabled(f)).toBe(true);
    expect(run(['--node-name=n9', '--ml-bindport', '8000'], env)).toMatchObject({ nodeName: 'n9', mlBindPort: 8000 });
  });

  it.each([
    [[], '--node-name (or METALLB_NODE_NAME) is required'],
    [['--node-name', 'n1', '--port', 'abc'], '--port: "abc" is not a non-negative integer'],
    [['--node-name', 'n1', '--port', '70000'], 'not a TCP port'],
    [['--node-name', 'n1', '--log-level', 'chatty'], 'not one of'],
    [['--node-name', 'n1', '--ml-preset', 'slow'], 'not one of'],
    [['--node-name', 'n1', '--ml-bindaddr', 'node-1'], '--ml-bindaddr: "node-1" is not an IP address'],
    [['--node-name', 'n1', '--ml-labels', 'app in (a'], '--ml-labels'],
    [['--node-name', 'n1', '--ml-wan-config', '--ml-preset', 'fast'], 'contradict'],
    [['--node-name', 'n1', '--ignore-exclude-lb=maybe'], 'not a boolean'],
    [['--node-name', 'n1', '--nope'], 'unknown flag --nope'],
    [['--node-name', 'n1', '--metrics-bind-address', 'node-1:9120'], '--metrics-bind-address: bind address "node-1:9120"'],
    [['--node-name', 'n1', '--metrics-cert-dir', '/certs'], '--metrics-cert-dir is only read with --metrics-secure'],
    [['--node-name', 'n1', '--metrics-secure', '--port', '9120'], 'the HTTPS metrics port 9120 is also --port'],
    [['--node-name', 'n1', '--metrics-secure=perhaps'], 'not a boolean'],
  ])('%j → one clear line', (argv, msg) => {
    expect(() => parseFlags(argv, {})).toThrow(FlagError);
    expect(() => parseFlags(argv, {})).toThrow(msg);
  });

  it('metrics flags: --metrics-bind-address (as the controller\'s), --metrics-secure, --metrics-cert-dir; METALLB_METRICS_* too', () => {
    expect(run(['--node-name', 'n1'])).toMatchObject({ metricsBindAddress: '', metricsSecure: false, metricsCertDir: '' });
    expect(run(['--node-name', 'n1', '--metrics-bind-address', '127.0.0.1:7473'])).toMatchObject({ metricsBindAddress: '127.0.0.1:7473' });
    const env = { METALLB_NODE_NAME: 'n1', METALLB_METRICS_SECURE: 'true', METALLB_METRICS_BIND_ADDRESS: ':9120', METALLB_METRICS_CERT_DIR: '/certs' };
    expect(run([], env)).toMatchObject({ metricsSecure: true, metricsBindAddress: ':9120', metricsCertDir: '/certs' });
    expect(run(['--metrics-secure=false', '--metrics-cert-dir='], env)).toMatchObject({ metricsSecure: false, metricsCertDir: '' });
  });

  it('bad values exit 2 with one line; --help exits 0 and lists every flag with its environment name', () => {
    const err: string[] = [];
    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
    const bad = parseCommandLine({ ...PROGRAM, table: FLAGS, argv: ['--port', 'x'], env: { METALLB_NODE_NAME: 'n1' }, validate: validateFlags, ...io });
    expect(bad).toMatchObject({ kind: 'exit', code: 2 });
    expect(err.join('').trim().split('\n')).toHaveLength(1);
    const help = parseCommandLine({ ...PROGRAM, table: FLAGS, argv: ['--help'], env: {}, validate: validateFlags, ...io });
    expect(help).toMatchObject({ kind: 'exit', code: 0 });
    const u = usage();
    for (const f of ['--node-name', '--pod-name', '--namespace', '--kubeconfig', '--ml-bindaddr', '--ml-bindport', '--ml-labels', '--ml-namespace', '--ml-secret-key-path', '--ml-wan-config', '--ml-preset', '--port', '--health-probe-port', '--log-level', '--lb-class', '--ignore-exclude-lb', '--host', '--interfaces-exclude-file', '--metrics-bind-address', '--metrics-secure', '--metrics-cert-dir', 'METALLB_METRICS_SECURE', 'METALLB_ML_BIND_ADDR', 'METALLB_NODE_NAME', 'KUBECONFIG']) {
      expect(u).toContain(f);
    }
  });

  it('METALLB_BGP_TYPE: native or unset only', () => {
    expect(bgpTypeProblem({})).toBeUndefined();
    expect(bgpTypeProblem({ METALLB_BGP_TYPE: 'native' })).toBeUndefined();
    expect(bgpTypeProblem({ METALLB_BGP_TYPE: 'frr' })).toMatch(/METALLB_BGP_TYPE=frr is not supported/);
    expect(bgpTypeProblem({ METALLB_BGP_TYPE: 'frr-k8s' })).toMatch(/native/);
  });
});
