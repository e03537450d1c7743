/**
 * Who may scrape `/metrics` when it is served securely, decided by the API server as MetalLB (and
 * controller-runtime's `filters.WithAuthenticationAndAuthorization`) does: the bearer token is
 * authenticated with a TokenReview, the user it names is authorised with a SubjectAccessReview
 * for the verb `get` on the non-resource URL `/metrics`. Missing or bad token: 401; no right: 403.
 *
 * Decisions are cached per token (by its SHA-256, the token itself is not kept) for a short time
 * and in a bounded table, so Prometheus scraping every few seconds costs the API server two
 * requests per token a minute, and a flood of bad tokens at most one pair per token in flight.
 */
import { systemClock, type Clock } from '@metallb-ts/clock';
import { isApiError } from '@metallb-ts/k8s-watch';
import { createHash } from 'node:crypto';

/** The user a TokenReview found (`authentication.k8s.io/v1` `UserInfo`). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** What a TokenReview said. */
export type TokenReviewOutcome = { authenticated: true; user: UserInfo } | { authenticated: false; error?: string };

/** What a SubjectAccessReview said. */
export interface AccessReviewOutcome {
  allowed: boolean;
  /** The authorizer's explanation, when it gave one. */
  reason?: string;
}

/** A request on a non-resource URL (`SubjectAccessReview.spec.nonResourceAttributes`). */
export interface NonResourceRequest {
  path: string;
  verb: string;
}

/**
 * The port to the API server's review APIs. {@link kubeReviewClient} talks to a real one; tests
 * use `FakeReviewClient` from `@metallb-ts/app-runtime/testing`.
 */
export interface ReviewClient {
  /** POSTs a TokenReview. Throws when the API server could not be asked (see {@link isApiError}). */
  reviewToken(token: string): Promise<TokenReviewOutcome>;
  /** POSTs a SubjectAccessReview for `user` on a non-resource URL. Throws like {@link reviewToken}. */
  reviewAccess(user: UserInfo, request: NonResourceRequest): Promise<AccessReviewOutcome>;
}

/** What {@link kubeReviewClient} needs: one JSON request (k8s-watch's `KubeClient` has it). */
export interface JsonRequester {
  request<T>(method: string, path: string, opts: { body?: unknown }): Promise<T>;
}

interface TokenReview {
  status?: { authenticated?: boolean; user?: UserInfo; error?: string };
}
interface SubjectAccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** A {@link ReviewClient} on the API server's `authentication.k8s.io/v1` and `authorization.k8s.io/v1`. */
export function kubeReviewClient(api: JsonRequester): ReviewClient {
  return {
    async reviewToken(token) {
      const r = await api.request<TokenReview>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      });
      const s = r?.status ?? {};
      if (s.authenticated && s.user?.username) return { authenticated: true, user: s.user };
      return { authenticated: false, ...(s.error ? { error: s.error } : {}) };
    },
    async reviewAccess(user, request) {
      const r = await api.request<SubjectAccessReview>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            ...(user.uid ? { uid: user.uid } : {}),
            ...(user.groups ? { groups: user.groups } : {}),
            ...(user.extra ? { extra: user.extra } : {}),
            nonResourceAttributes: { path: request.path, verb: request.verb },
          },
        },
      });
      const s = r?.status ?? {};
      const reason = s.reason || s.evaluationError;
      return { allowed: s.allowed === true && s.denied !== true, ...(reason ? { reason } : {}) };
    },
  };
}

/** Why a scrape was not authenticated. */
export type UnauthenticatedReason = 'no-token' | 'not-bearer' | 'token-rejected';

/** The decision on one scrape. */
export type MetricsAccess =
  | { kind: 'allowed'; user: string }
  /** 401: no bearer token, or the API server does not know it. */
  | { kind: 'unauthenticated'; reason: UnauthenticatedReason; detail: string }
  /** 403: the token's user may not `get` `/metrics`. */
  | { kind: 'forbidden'; user: string; detail: string }
  /**
   * The API server could not be asked. `status` is 0 for a transport failure, else its HTTP
   * status: 401/403 mean this process's own credentials may not create reviews.
   */
  | { kind: 'review-failed'; stage: 'token-review' | 'access-review'; status: number; detail: string };

/** The part of the `Authorization` header that matters. */
export type BearerToken = { kind: 'token'; token: string } | { kind: 'none'; reason: 'no-token' | 'not-bearer' };

/** Reads `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive). */
export function bearerToken(header: string | undefined): BearerToken {
  const h = (header ?? '').trim();
  if (h === '') return { kind: 'none', reason: 'no-token' };
  const m = /^bearer[ \t]+(\S+)$/i.exec(h);
  return m ? { kind: 'token', token: m[1]! } : { kind: 'none', reason: 'not-bearer' };
}

/** Cache bounds of {@link MetricsAuthorizer}. */
export interface MetricsAuthCacheOptions {
  /** How long an `allowed` decision is reused. @default 60_000 */
  allowTtlMs?: number;
  /** How long `unauthenticated` and `forbidden` decisions are reused. @default 10_000 */
  denyTtlMs?: number;
  /** At most this many tokens remembered; the oldest go first. @default 1024 */
  maxEntries?: number;
}

/** The defaults of {@link MetricsAuthCacheOptions}. */
export const DEFAULT_METRICS_AUTH_CACHE = { allowTtlMs: 60_000, denyTtlMs: 10_000, maxEntries: 1024 } as const satisfies Required<MetricsAuthCacheOptions>;

/** The request every scrape is authorised for. */
export const METRICS_REQUEST: NonResourceRequest = { path: '/metrics', verb: 'get' };

/** Options of {@link MetricsAuthorizer}. */
export interface MetricsAuthorizerOptions extends MetricsAuthCacheOptions {
  reviews: ReviewClient;
  /** @default systemClock */
  clock?: Clock;
  /** What is authorised. @default METRICS_REQUEST */
  request?: NonResourceRequest;
}

type Entry = { access: MetricsAccess; expires: number };

/** Authenticates and authorises scrapes, caching decisions per token. */
export class MetricsAuthorizer {
  private readonly reviews: ReviewClient;
  private readonly clock: Clock;
  private readonly request: NonResourceRequest;
  private readonly allowTtlMs: number;
  private readonly denyTtlMs: number;
  private readonly maxEntries: number;
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<MetricsAccess>>();

  constructor(opts: MetricsAuthorizerOptions) {
    this.reviews = opts.reviews;
    this.clock = opts.clock ?? systemClock;
    this.request = opts.request ?? METRICS_REQUEST;
    this.allowTtlMs = opts.allowTtlMs ?? DEFAULT_METRICS_AUTH_CACHE.allowTtlMs;
    this.denyTtlMs = opts.denyTtlMs ?? DEFAULT_METRICS_AUTH_CACHE.denyTtlMs;
    this.maxEntries = Math.max(1, opts.maxEntries ?? DEFAULT_METRICS_AUTH_CACHE.maxEntries);
  }

  /** Tokens whose decision is remembered now (expired ones included until evicted). */
  get size(): number {
    return this.cache.size;
  }

  /** The decision for a request with this `Authorization` header. Never throws. */
  async authorize(authorization: string | undefined): Promise<MetricsAccess> {
    const t = bearerToken(authorization);
    if (t.kind === 'none') {
      const detail = t.reason === 'no-token' ? 'no bearer token' : 'the Authorization header is not "Bearer <token>"';
      return { kind: 'unauthenticated', reason: t.reason, detail };
    }
    const key = createHash('sha256').update(t.token).digest('hex');
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.clock.monotonic()) return hit.access;
    if (hit) this.cache.delete(key);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const p = this.decide(t.token).then((access) => {
      this.inFlight.delete(key);
      this.remember(key, access);
      return access;
    });
    this.inFlight.set(key, p);
    return p;
  }

  private remember(key: string, access: MetricsAccess): void {
    // Failures to ask are not decisions: the next scrape asks again.
    if (access.kind === 'review-failed') return;
    const ttl = access.kind === 'allowed' ? this.allowTtlMs : this.denyTtlMs;
    if (ttl <= 0) return;
    const now = this.clock.monotonic();
    if (this.cache.size >= this.maxEntries) {
      for (const [k, e] of this.cache) if (e.expires <= now) this.cache.delete(k);
      // Map iteration is insertion order: the first keys are the oldest.
      for (const k of this.cache.keys()) {
        if (this.cache.size < this.maxEntries) break;
        this.cache.delete(k);
      }
    }
    this.cache.set(key, { access, expires: now + ttl });
  }

  private async decide(token: string): Promise<MetricsAccess> {
    let review: TokenReviewOutcome;
    try {
      review = await this.reviews.reviewToken(token);
    } catch (e) {
      return failed('token-review', e);
    }
    if (!review.authenticated) {
      return { kind: 'unauthenticated', reason: 'token-rejected', detail: review.error ? `token rejected: ${review.error}` : 'token rejected' };
    }
    const user = review.user.username;
    let access: AccessReviewOutcome;
    try {
      access = await this.reviews.reviewAccess(review.user, this.request);
    } catch (e) {
      return failed('access-review', e);
    }
    if (access.allowed) return { kind: 'allowed', user };
    const why = access.reason ? `: ${access.reason}` : '';
    return { kind: 'forbidden', user, detail: `user "${user}" may not ${this.request.verb} ${this.request.path}${why}` };
  }
}

function failed(stage: 'token-review' | 'access-review', e: unknown): MetricsAccess {
  const status = isApiError(e) ? e.code : 0;
  return { kind: 'review-failed', stage, status, detail: e instanceof Error ? e.message : String(e) };
}
