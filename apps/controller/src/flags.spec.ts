import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags, usage } from './flags.js';

describe('controller flags', () => {
  it('parses the documented command line', () => {
    const f = parseFlags(['--kubeconfig', '/tmp/kc', '--namespace', 'metallb-system', '--port', '7472'], {});
    expect(f).toMatchObject({ kubeconfig: '/tmp/kc', namespace: 'metallb-system', port: 7472, lbClass: '', logLevel: 'info', leaderElect: true });
  });
  it('reads every flag from METALLB_* env, command line wins', () => {
    const env = { METALLB_LB_CLASS: 'x', METALLB_PORT: '9000', KUBECONFIG: '/k', METALLB_LEADER_ELECT: 'false', METALLB_NAMESPACE: 'ns' };
    expect(parseFlags([], env)).toMatchObject({ lbClass: 'x', port: 9000, kubeconfig: '/k', leaderElect: false, namespace: 'ns' });
    expect(parseFlags(['--port=1234', '--lb-class='], env)).toMatchObject({ port: 1234, lbClass: '' });
  });
  it.each([
    [['--port', 'abc'], '--port: "abc" is not a non-negative integer'],
    [['--port', '70000'], 'not a TCP port'],
    [['--log-level', 'chatty'], 'not one of'],
    [['--nope'], 'unknown flag --nope'],
    [['stray'], 'unexpected argument "stray"'],
    [['--namespace'], 'needs a value'],
    [['--leader-elect=maybe'], 'not a boolean'],
    [['--lease-duration', '5', '--renew-deadline', '10'], 'greater than --renew-deadline'],
    [['--metrics-bind-address', 'example.com'], '--metrics-bind-address: bind address "example.com": "example.com" is not an IP address'],
    [['--metrics-bind-address', '127.0.0.1:99999'], 'is not 0..65535'],
  ])('%j → clear error', (argv, msg) => {
    expect(() => parseFlags(argv, {})).toThrow(FlagError);
    expect(() => parseFlags(argv, {})).toThrow(msg);
  });
  it('--metrics-bind-address: an IP, HOST:PORT, :PORT or 0 (controller-runtime forms); METALLB_METRICS_BIND_ADDRESS too', () => {
    expect(parseFlags([], {})).toMatchObject({ metricsBindAddress: '' });
    expect(parseFlags(['--metrics-bind-address', '127.0.0.1'], {})).toMatchObject({ metricsBindAddress: '127.0.0.1' });
    expect(parseFlags([], { METALLB_METRICS_BIND_ADDRESS: ':8080' })).toMatchObject({ metricsBindAddress: ':8080' });
    expect(parseFlags(['--metrics-bind-address=0'], {})).toMatchObject({ metricsBindAddress: '0' });
  });
  it('--metrics-secure and --metrics-cert-dir: off by default, from flags or METALLB_METRICS_SECURE / METALLB_METRICS_CERT_DIR', () => {
    expect(parseFlags([], {})).toMatchObject({ metricsSecure: false, metricsCertDir: '' });
    expect(parseFlags(['--metrics-secure', '--metrics-bind-address', ':9120'], {})).toMatchObject({ metricsSecure: true, metricsBindAddress: ':9120' });
    expect(parseFlags([], { METALLB_METRICS_SECURE: 'true', METALLB_METRICS_CERT_DIR: '/certs' })).toMatchObject({ metricsSecure: true, metricsCertDir: '/certs' });
    expect(parseFlags(['--metrics-secure=false'], { METALLB_METRICS_SECURE: 'true' })).toMatchObject({ metricsSecure: false });
  });
  it.each([
    [['--metrics-cert-dir', '/certs'], '--metrics-cert-dir is only read with --metrics-secure'],
    [['--metrics-secure', '--metrics-bind-address', ':7472'], 'the HTTPS metrics port 7472 is also --port'],
    [['--metrics-secure', '--health-probe-port', '9120'], 'is also --health-probe-port'],
    [['--metrics-secure', '--metrics-bind-address', 'metrics.local:9120'], 'is not an IP address'],
    [['--metrics-secure=sure'], 'not a boolean'],
  ])('secure metrics: %j → clear error', (argv, msg) => {
    expect(() => parseFlags(argv, {})).toThrow(FlagError);
    expect(() => parseFlags(argv, {})).toThrow(msg);
  });
  it('--help lists every flag with its env name', () => {
    expect(parseFlags(['--help'], {})).toBe('help');
    const u = usage();
    for (const f of ['--kubeconfig', '--namespace', '--lb-class', '--log-level', '--port', '--metrics-bind-address', '--metrics-secure', '--metrics-cert-dir', 'METALLB_LB_CLASS', 'METALLB_METRICS_SECURE', 'METALLB_METRICS_CERT_DIR', 'KUBECONFIG']) expect(u).toContain(f);
  });
});
