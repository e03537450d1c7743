import { describe, expect, it } from 'vitest';
import { answerProbe, BindAddressError, parseBindAddress, type ReadinessProbe } from './http.js';

const ok: ReadinessProbe = { notReady: () => undefined };

describe('answerProbe', () => {
  it('GET and HEAD: /healthz /livez /readyz, /metrics only with a source, 404 otherwise', () => {
    for (const m of ['GET', 'HEAD']) {
      expect(answerProbe(m, '/healthz', ok, false)).toMatchObject({ status: 200, body: 'ok\n' });
      expect(answerProbe(m, '/livez?verbose', ok, false)).toMatchObject({ status: 200 });
      expect(answerProbe(m, '/readyz', ok, false)).toMatchObject({ status: 200 });
      expect(answerProbe(m, '/metrics', ok, true)).toEqual({ kind: 'metrics' });
      expect(answerProbe(m, '/metrics', ok, false)).toMatchObject({ status: 404 });
      expect(answerProbe(m, '/nope', ok, true)).toMatchObject({ status: 404 });
    }
  });

  it('any other method is 405 with Allow: GET, HEAD, on every path', () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'get', undefined]) {
      for (const p of ['/healthz', '/readyz', '/metrics', '/nope']) {
        const a = answerProbe(m, p, ok, true);
        expect(a).toMatchObject({ kind: 'text', status: 405, headers: { allow: 'GET, HEAD' } });
      }
    }
  });

  it('readiness and liveness say why they fail', () => {
    const probe: ReadinessProbe = { notReady: () => 'informers not synced', notLive: () => 'stuck' };
    expect(answerProbe('GET', '/readyz', probe, false)).toMatchObject({ status: 503, body: 'not ready: informers not synced\n' });
    expect(answerProbe('GET', '/healthz', probe, false)).toMatchObject({ status: 503, body: 'not live: stuck\n' });
    expect(answerProbe('GET', '/livez', probe, false)).toMatchObject({ status: 503 });
    expect(answerProbe('GET', '/healthz', { notReady: () => 'x', notLive: () => undefined }, false)).toMatchObject({ status: 200 });
  });
});

describe('parseBindAddress', () => {
  it.each([
    ['', 7472, { kind: 'listen', host: '0.0.0.0', port: 7472 }],
    ['127.0.0.1', 7472, { kind: 'listen', host: '127.0.0.1', port: 7472 }],
    ['::1', 7472, { kind: 'listen', host: '::1', port: 7472 }],
    ['[::1]', 7472, { kind: 'listen', host: '::1', port: 7472 }],
    ['[::]:9090', 7472, { kind: 'listen', host: '::', port: 9090 }],
    [':8080', 7472, { kind: 'listen', host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:8080', 7472, { kind: 'listen', host: '127.0.0.1', port: 8080 }],
    ['localhost:8080', 7472, { kind: 'listen', host: '127.0.0.1', port: 8080 }],
    ['0', 7472, { kind: 'disabled' }],
    [':0', 7472, { kind: 'disabled' }],
    ['127.0.0.1', 0, { kind: 'disabled' }],
  ])('%j with --port %d', (v, port, want) => {
    expect(parseBindAddress(v, port)).toEqual(want);
  });

  it.each(['example.com', '1.2.3', '127.0.0.1:http', '127.0.0.1:70000', '[::1]:x', '300.1.1.1'])('%j is refused with the accepted forms', (v) => {
    expect(() => parseBindAddress(v, 7472)).toThrow(BindAddressError);
    expect(() => parseBindAddress(v, 7472)).toThrow(/HOST:PORT/);
  });
});
