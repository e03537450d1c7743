import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FlagError } from './flags.js';
import { selfSignedCertificate } from './self-signed.js';
import { DEFAULT_SECURE_METRICS_PORT, planServing, readCertDir, selfSignedNames, ServingCertificateError, type ServingFlags } from './serving.js';

const flags = (f: Partial<ServingFlags> = {}): ServingFlags => ({ port: 7472, metricsBindAddress: '', metricsSecure: false, metricsCertDir: '', healthProbePort: 0, ...f });

describe('planServing without --metrics-secure (unchanged behaviour)', () => {
  it.each([
    [{}, [{ kind: 'http', serves: 'metrics-and-probes', host: '0.0.0.0', port: 7472 }]],
    [{ metricsBindAddress: '127.0.0.1' }, [{ kind: 'http', serves: 'metrics-and-probes', host: '127.0.0.1', port: 7472 }]],
    [{ metricsBindAddress: ':8080' }, [{ kind: 'http', serves: 'metrics-and-probes', host: '0.0.0.0', port: 8080 }]],
    [{ metricsBindAddress: '0' }, []],
    [{ port: 0 }, []],
    [
      { healthProbePort: 17472, metricsBindAddress: '[::1]:9000' },
      [
        { kind: 'http', serves: 'metrics-and-probes', host: '::1', port: 9000 },
        { kind: 'http', serves: 'probes', host: '::1', port: 17472 },
      ],
    ],
    [{ metricsBindAddress: '0', healthProbePort: 17472 }, [{ kind: 'http', serves: 'probes', host: '0.0.0.0', port: 17472 }]],
  ] as const)('%j → %j', (f, want) => {
    expect(planServing(flags(f))).toEqual({ listeners: want, certDir: '' });
  });

  it('the health-probe host can be fixed by the app (the speaker: loopback)', () => {
    expect(planServing(flags({ healthProbePort: 17472 }), { healthProbeHost: '127.0.0.1' }).listeners[1]).toEqual({ kind: 'http', serves: 'probes', host: '127.0.0.1', port: 17472 });
  });
});

describe('planServing with --metrics-secure', () => {
  it.each([
    [
      {},
      [
        { kind: 'http', serves: 'probes', host: '0.0.0.0', port: 7472 },
        { kind: 'https-metrics', host: '0.0.0.0', port: DEFAULT_SECURE_METRICS_PORT },
      ],
    ],
    [
      { metricsBindAddress: ':8443' },
      [
        { kind: 'http', serves: 'probes', host: '0.0.0.0', port: 7472 },
        { kind: 'https-metrics', host: '0.0.0.0', port: 8443 },
      ],
    ],
    [
      { metricsBindAddress: '198.51.100.7:9120', healthProbePort: 17472 },
      [
        { kind: 'http', serves: 'probes', host: '198.51.100.7', port: 7472 },
        { kind: 'http', serves: 'probes', host: '198.51.100.7', port: 17472 },
        { kind: 'https-metrics', host: '198.51.100.7', port: 9120 },
      ],
    ],
    [{ metricsBindAddress: '0' }, [{ kind: 'http', serves: 'probes', host: '0.0.0.0', port: 7472 }]],
    [{ port: 0, metricsBindAddress: ':9443' }, [{ kind: 'https-metrics', host: '0.0.0.0', port: 9443 }]],
  ] as const)('%j: /metrics only on HTTPS, probes stay plain', (f, want) => {
    expect(planServing(flags({ metricsSecure: true, ...f })).listeners).toEqual(want);
  });

  it('keeps the certificate directory', () => {
    expect(planServing(flags({ metricsSecure: true, metricsCertDir: '/certs' })).certDir).toBe('/certs');
  });

  it('refuses an HTTPS port equal to --port or --health-probe-port, naming both flags', () => {
    expect(() => planServing(flags({ metricsSecure: true, metricsBindAddress: ':7472' }))).toThrow(FlagError);
    expect(() => planServing(flags({ metricsSecure: true, metricsBindAddress: ':7472' }))).toThrow(/--metrics-bind-address: .*7472 is also --port/);
    expect(() => planServing(flags({ metricsSecure: true, port: 9120 }))).toThrow(/9120 is also --port/);
    expect(() => planServing(flags({ metricsSecure: true, healthProbePort: 9120 }))).toThrow(/is also --health-probe-port/);
    expect(() => planServing(flags({ metricsSecure: true, metricsBindAddress: '0', port: 9120 }))).not.toThrow();
  });
});

describe('planServing refusals', () => {
  it('a bad bind address is a FlagError naming the flag, in both modes', () => {
    for (const metricsSecure of [false, true]) {
      expect(() => planServing(flags({ metricsSecure, metricsBindAddress: 'example.org:9' }))).toThrow(/^--metrics-bind-address: bind address "example.org:9"/);
      expect(() => planServing(flags({ metricsSecure, metricsBindAddress: ':99999' }))).toThrow(FlagError);
    }
  });
  it('--metrics-cert-dir without --metrics-secure', () => {
    expect(() => planServing(flags({ metricsCertDir: '/certs' }))).toThrow(/--metrics-cert-dir is only read with --metrics-secure/);
  });
});

describe('selfSignedNames', () => {
  it('names the node and localhost; loopback addresses plus a specific bind address', () => {
    expect(selfSignedNames('0.0.0.0', 'node-1')).toEqual({ dnsNames: ['node-1', 'localhost'], ipAddresses: ['127.0.0.1', '::1'] });
    expect(selfSignedNames('::', 'localhost')).toEqual({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });
    expect(selfSignedNames('198.51.100.7', 'n')).toEqual({ dnsNames: ['n', 'localhost'], ipAddresses: ['127.0.0.1', '::1', '198.51.100.7'] });
    expect(selfSignedNames('127.0.0.1', 'nœud')).toEqual({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] });
  });
});

describe('readCertDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certdir-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const a = selfSignedCertificate({ commonName: 'a' });
  const b = selfSignedCertificate({ commonName: 'b' });
  const put = (cert: string | undefined, key: string | undefined) => {
    rmSync(join(dir, 'tls.crt'), { force: true });
    rmSync(join(dir, 'tls.key'), { force: true });
    if (cert !== undefined) writeFileSync(join(dir, 'tls.crt'), cert);
    if (key !== undefined) writeFileSync(join(dir, 'tls.key'), key);
  };

  it('reads a matching pair', () => {
    put(a.cert, a.key);
    expect(readCertDir(dir)).toEqual(a);
  });

  it.each([
    ['a missing certificate', undefined, 'key', /cannot read tls\.crt \(ENOENT\)/],
    ['a missing key', 'cert', undefined, /cannot read tls\.key \(ENOENT\)/],
    ['garbage in tls.crt', 'not pem', 'key', /tls\.crt is not a PEM certificate/],
    ['garbage in tls.key', 'cert', 'not pem', /tls\.key is not a PEM private key/],
    ['a key of another certificate', 'cert', 'other', /tls\.key is not the key of the certificate in tls\.crt/],
  ] as const)('refuses %s with what to change', (_what, c, k, msg) => {
    const real = (v: string | undefined) => (v === 'cert' ? a.cert : v === 'key' ? a.key : v === 'other' ? b.key : v);
    put(real(c), real(k));
    let err: unknown;
    try {
      readCertDir(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ServingCertificateError);
    expect((err as Error).message).toMatch(msg);
    expect((err as Error).message).toMatch(/or leave --metrics-cert-dir empty for a self-signed certificate$/);
    expect((err as ServingCertificateError).dir).toBe(dir);
  });
});
