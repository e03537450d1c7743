import { ManualClock } from '@metallb-ts/clock/testing';
import { describe, expect, it } from 'vitest';
import { answerAccess, routeSecureMetrics } from './http.js';
import { bearerToken, kubeReviewClient, MetricsAuthorizer, type JsonRequester } from './metrics-auth.js';
import { FakeReviewClient } from './testing/index.js';

const setup = (opts: { allowTtlMs?: number; denyTtlMs?: number; maxEntries?: number } = {}) => {
  const clock = new ManualClock();
  const reviews = new FakeReviewClient().addToken('prom-token', 'system:serviceaccount:monitoring:prometheus').addToken('nobody-token', 'system:serviceaccount:default:nobody');
  reviews.grant('system:serviceaccount:monitoring:prometheus');
  const auth = new MetricsAuthorizer({ reviews, clock, ...opts });
  return { clock, reviews, auth };
};

describe('bearerToken (RFC 6750 §2.1)', () => {
  it.each([
    [undefined, { kind: 'none', reason: 'no-token' }],
    ['', { kind: 'none', reason: 'no-token' }],
    ['   ', { kind: 'none', reason: 'no-token' }],
    ['Bearer abc.def', { kind: 'token', token: 'abc.def' }],
    ['bearer abc', { kind: 'token', token: 'abc' }],
    ['BEARER \tabc ', { kind: 'token', token: 'abc' }],
    ['Bearer', { kind: 'none', reason: 'not-bearer' }],
    ['Bearer ', { kind: 'none', reason: 'not-bearer' }],
    ['Bearer a b', { kind: 'none', reason: 'not-bearer' }],
    ['Basic dXNlcjpwYXNz', { kind: 'none', reason: 'not-bearer' }],
    ['Bearerabc', { kind: 'none', reason: 'not-bearer' }],
  ] as const)('%j → %j', (header, want) => {
    expect(bearerToken(header)).toEqual(want);
  });
});

describe('MetricsAuthorizer', () => {
  it('no token or another scheme: 401 without asking the API server', async () => {
    const { reviews, auth } = setup();
    expect(await auth.authorize(undefined)).toEqual({ kind: 'unauthenticated', reason: 'no-token', detail: 'no bearer token' });
    expect(await auth.authorize('Basic dXNlcjpwYXNz')).toMatchObject({ kind: 'unauthenticated', reason: 'not-bearer' });
    expect(reviews.calls).toEqual([]);
  });

  it('an unknown token: 401 token-rejected after one TokenReview, no SubjectAccessReview', async () => {
    const { reviews, auth } = setup();
    expect(await auth.authorize('Bearer forged')).toEqual({ kind: 'unauthenticated', reason: 'token-rejected', detail: 'token rejected: invalid bearer token' });
    expect(reviews.calls).toEqual([{ kind: 'token', token: 'forged' }]);
  });

  it('a known token without the right: 403 naming the user; the access review asks get /metrics with the whole user', async () => {
    const { reviews, auth } = setup();
    const a = await auth.authorize('Bearer nobody-token');
    expect(a).toEqual({ kind: 'forbidden', user: 'system:serviceaccount:default:nobody', detail: 'user "system:serviceaccount:default:nobody" may not get /metrics: no RBAC policy matched' });
    expect(reviews.calls[1]).toEqual({
      kind: 'access',
      user: { username: 'system:serviceaccount:default:nobody', uid: 'uid-system:serviceaccount:default:nobody', groups: ['system:authenticated'] },
      request: { path: '/metrics', verb: 'get' },
    });
  });

  it('a token whose user may get /metrics: allowed', async () => {
    const { auth } = setup();
    expect(await auth.authorize('Bearer prom-token')).toEqual({ kind: 'allowed', user: 'system:serviceaccount:monitoring:prometheus' });
  });

  it('a grant of another verb or path is not enough', async () => {
    const { reviews, auth } = setup();
    reviews.grant('system:serviceaccount:default:nobody', 'get', '/healthz').grant('system:serviceaccount:default:nobody', 'post', '/metrics');
    expect((await auth.authorize('Bearer nobody-token')).kind).toBe('forbidden');
  });

  it('caches an allowed decision for allowTtlMs: a revoked grant still scrapes until then, not after', async () => {
    const { clock, reviews, auth } = setup({ allowTtlMs: 30_000 });
    expect((await auth.authorize('Bearer prom-token')).kind).toBe('allowed');
    reviews.revoke('system:serviceaccount:monitoring:prometheus');
    clock.advance(29_999);
    expect((await auth.authorize('Bearer prom-token')).kind).toBe('allowed');
    expect(reviews.count('token')).toBe(1);
    clock.advance(1);
    expect((await auth.authorize('Bearer prom-token')).kind).toBe('forbidden');
    expect(reviews.count('token')).toBe(2);
  });

  it('caches refusals for denyTtlMs (shorter): a new grant counts once it runs out', async () => {
    const { clock, reviews, auth } = setup({ denyTtlMs: 5_000 });
    expect((await auth.authorize('Bearer nobody-token')).kind).toBe('forbidden');
    expect((await auth.authorize('Bearer forged')).kind).toBe('unauthenticated');
    reviews.grant('system:serviceaccount:default:nobody').addToken('forged', 'late');
    clock.advance(4_999);
    expect((await auth.authorize('Bearer nobody-token')).kind).toBe('forbidden');
    expect((await auth.authorize('Bearer forged')).kind).toBe('unauthenticated');
    expect(reviews.count('token')).toBe(2);
    clock.advance(1);
    expect((await auth.authorize('Bearer nobody-token')).kind).toBe('allowed');
    expect((await auth.authorize('Bearer forged')).kind).toBe('forbidden');
  });

  it('keeps at most maxEntries tokens, dropping expired ones first, then the oldest', async () => {
    const { clock, reviews, auth } = setup({ maxEntries: 3, denyTtlMs: 1_000, allowTtlMs: 60_000 });
    await auth.authorize('Bearer prom-token'); // allowed, long-lived, oldest
    await auth.authorize('Bearer t1'); // refused, expires at +1 s
    clock.advance(2_000);
    await auth.authorize('Bearer t2');
    expect(auth.size).toBe(3);
    await auth.authorize('Bearer t3'); // full: the expired t1 goes
    expect(auth.size).toBe(3);
    const before = reviews.count('token');
    await auth.authorize('Bearer prom-token'); // still cached
    expect(reviews.count('token')).toBe(before);
    await auth.authorize('Bearer t4'); // full, none expired: the oldest (prom-token) goes
    expect(auth.size).toBe(3);
    await auth.authorize('Bearer prom-token');
    expect(reviews.count('token')).toBe(before + 2);
    for (let i = 0; i < 50; i++) await auth.authorize(`Bearer flood-${i}`);
    expect(auth.size).toBe(3);
  });

  it('concurrent scrapes with one token share one pair of reviews', async () => {
    const { reviews, auth } = setup();
    reviews.hold();
    const all = Promise.all([1, 2, 3, 4].map(() => auth.authorize('Bearer prom-token')));
    await Promise.resolve();
    reviews.release();
    expect((await all).map((a) => a.kind)).toEqual(['allowed', 'allowed', 'allowed', 'allowed']);
    expect(reviews.count('token')).toBe(1);
    expect(reviews.count('access')).toBe(1);
  });

  it('an API server that cannot be asked: review-failed with its status, never cached', async () => {
    const { reviews, auth } = setup();
    reviews.failNext('token', 0);
    expect(await auth.authorize('Bearer prom-token')).toMatchObject({ kind: 'review-failed', stage: 'token-review', status: 0, detail: 'connect ECONNREFUSED' });
    reviews.failNext('access', 403);
    expect(await auth.authorize('Bearer prom-token')).toMatchObject({ kind: 'review-failed', stage: 'access-review', status: 403 });
    expect(await auth.authorize('Bearer prom-token')).toMatchObject({ kind: 'allowed' });
    expect(reviews.count('token')).toBe(3);
  });

  it('does not keep tokens: the cache is keyed by their SHA-256', async () => {
    const { auth } = setup();
    await auth.authorize('Bearer prom-token');
    const keys = [...(auth as unknown as { cache: Map<string, unknown> }).cache.keys()];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(keys[0]).not.toContain('prom-token');
  });
});

describe('kubeReviewClient', () => {
  const api = (answers: Record<string, unknown>) => {
    const sent: { method: string; path: string; body: any }[] = [];
    const client: JsonRequester = {
      async request<T>(method: string, path: string, opts: { body?: unknown }) {
        sent.push({ method, path, body: opts.body });
        return answers[path] as T;
      },
    };
    return { client, sent };
  };

  it('POSTs a TokenReview and a SubjectAccessReview with the user and the non-resource URL', async () => {
    const { client, sent } = api({
      '/apis/authentication.k8s.io/v1/tokenreviews': { status: { authenticated: true, user: { username: 'u', uid: '1', groups: ['g'], extra: { scopes: ['s'] } } } },
      '/apis/authorization.k8s.io/v1/subjectaccessreviews': { status: { allowed: true } },
    });
    const r = kubeReviewClient(client);
    const t = await r.reviewToken('tok');
    expect(t).toEqual({ authenticated: true, user: { username: 'u', uid: '1', groups: ['g'], extra: { scopes: ['s'] } } });
    expect(await r.reviewAccess((t as { user: any }).user, { path: '/metrics', verb: 'get' })).toEqual({ allowed: true });
    expect(sent).toEqual([
      { method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'tok' } } },
      {
        method: 'POST',
        path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: { user: 'u', uid: '1', groups: ['g'], extra: { scopes: ['s'] }, nonResourceAttributes: { path: '/metrics', verb: 'get' } },
        },
      },
    ]);
  });

  it('reads refusals: unauthenticated with the error, denied even when allowed is set, reason or evaluationError', async () => {
    const cases: [unknown, unknown, unknown, unknown][] = [
      [{ status: { authenticated: false, error: 'expired' } }, { authenticated: false, error: 'expired' }, { status: { allowed: false, reason: 'no' } }, { allowed: false, reason: 'no' }],
      [{ status: { authenticated: true, user: { username: '' } } }, { authenticated: false }, { status: { allowed: true, denied: true } }, { allowed: false }],
      [{}, { authenticated: false }, { status: { allowed: false, evaluationError: 'webhook down' } }, { allowed: false, reason: 'webhook down' }],
      [undefined, { authenticated: false }, undefined, { allowed: false }],
    ];
    for (const [tr, want, sar, wantSar] of cases) {
      const { client } = api({ '/apis/authentication.k8s.io/v1/tokenreviews': tr, '/apis/authorization.k8s.io/v1/subjectaccessreviews': sar });
      const r = kubeReviewClient(client);
      expect(await r.reviewToken('t')).toEqual(want);
      expect(await r.reviewAccess({ username: 'u' }, { path: '/metrics', verb: 'get' })).toEqual(wantSar);
    }
  });
});

describe('the secure metrics answers', () => {
  it('routing: GET/HEAD /metrics need a decision; other paths 404 and other methods 405 without one', () => {
    for (const m of ['GET', 'HEAD']) {
      expect(routeSecureMetrics(m, '/metrics')).toEqual({ kind: 'authorize' });
      expect(routeSecureMetrics(m, '/metrics?x=1')).toEqual({ kind: 'authorize' });
      for (const p of ['/healthz', '/readyz', '/livez', '/', '/metricsx']) expect(routeSecureMetrics(m, p)).toMatchObject({ kind: 'text', status: 404 });
    }
    for (const m of ['POST', 'PUT', 'DELETE', 'get', undefined]) expect(routeSecureMetrics(m, '/metrics')).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
  });

  it('decisions → statuses: 200 metrics, 401 with a Bearer challenge, 403, 500 for our own missing RBAC, 503 for an unreachable API server', () => {
    expect(answerAccess({ kind: 'allowed', user: 'u' })).toEqual({ kind: 'metrics' });
    expect(answerAccess({ kind: 'unauthenticated', reason: 'no-token', detail: 'no bearer token' })).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="metallb-ts"' },
      body: 'unauthorized: no bearer token\n',
    });
    expect(answerAccess({ kind: 'unauthenticated', reason: 'token-rejected', detail: 'token rejected' })).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="metallb-ts", error="invalid_token"' },
    });
    expect(answerAccess({ kind: 'forbidden', user: 'u', detail: 'user "u" may not get /metrics' })).toMatchObject({ status: 403, body: 'forbidden: user "u" may not get /metrics\n' });
    const own = answerAccess({ kind: 'review-failed', stage: 'token-review', status: 403, detail: 'forbidden' });
    expect(own).toMatchObject({ status: 500 });
    expect((own as { body: string }).body).toMatch(/may not create tokenreviews\.authentication\.k8s\.io.*system:auth-delegator/);
    expect((answerAccess({ kind: 'review-failed', stage: 'access-review', status: 401, detail: 'x' }) as { body: string }).body).toMatch(/subjectaccessreviews\.authorization\.k8s\.io/);
    expect(answerAccess({ kind: 'review-failed', stage: 'access-review', status: 0, detail: 'ECONNREFUSED' })).toMatchObject({ status: 503 });
    expect(answerAccess({ kind: 'review-failed', stage: 'token-review', status: 500, detail: 'etcd' })).toMatchObject({ status: 503 });
  });
});
