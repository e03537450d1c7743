/**
 * Test doubles for `@metallb-ts/app-runtime`: {@link FakeReviewClient}, an in-memory API server
 * for TokenReviews and SubjectAccessReviews (the port of the secure metrics endpoint).
 */
import { ApiError } from '@metallb-ts/k8s-watch';
import type { AccessReviewOutcome, NonResourceRequest, ReviewClient, TokenReviewOutcome, UserInfo } from '../metrics-auth.js';

/** One call the fake received. */
export type ReviewCall = { kind: 'token'; token: string } | { kind: 'access'; user: UserInfo; request: NonResourceRequest };

/**
 * Tokens map to users; users hold grants of `verb path`. Unknown tokens are not authenticated.
 * `failNext(stage, code)` makes the next review of that kind throw an `ApiError` (0: transport).
 * `hold()` parks every review until `release()`, to observe concurrent requests.
 */
export class FakeReviewClient implements ReviewClient {
  /** Every review asked, in order. */
  readonly calls: ReviewCall[] = [];
  private readonly tokens = new Map<string, UserInfo>();
  private readonly grants = new Map<string, Set<string>>();
  private readonly failures: { stage: 'token' | 'access'; code: number }[] = [];
  private held: (() => void)[] | undefined;

  /** `token` authenticates as `user` (a name or a full {@link UserInfo}). */
  addToken(token: string, user: string | UserInfo): this {
    this.tokens.set(token, typeof user === 'string' ? { username: user, uid: `uid-${user}`, groups: ['system:authenticated'] } : user);
    return this;
  }

  /** `token` no longer authenticates. */
  revokeToken(token: string): this {
    this.tokens.delete(token);
    return this;
  }

  /** `user` may `verb` the non-resource URL `path` (default: get /metrics). */
  grant(user: string, verb = 'get', path = '/metrics'): this {
    const g = this.grants.get(user) ?? new Set<string>();
    g.add(`${verb} ${path}`);
    this.grants.set(user, g);
    return this;
  }

  /** Takes every grant of `user` away. */
  revoke(user: string): this {
    this.grants.delete(user);
    return this;
  }

  /** The next review of this kind throws an `ApiError` with `code` (0: a transport failure). */
  failNext(stage: 'token' | 'access', code: number): this {
    this.failures.push({ stage, code });
    return this;
  }

  /** Parks every review until {@link release}. */
  hold(): this {
    this.held ??= [];
    return this;
  }

  /** Lets parked reviews go on, and stops parking. */
  release(): void {
    const h = this.held ?? [];
    this.held = undefined;
    for (const go of h) go();
  }

  /** Reviews of this kind asked so far. */
  count(kind: ReviewCall['kind']): number {
    return this.calls.filter((c) => c.kind === kind).length;
  }

  private async gate(stage: 'token' | 'access'): Promise<void> {
    if (this.held) await new Promise<void>((go) => this.held!.push(go));
    const i = this.failures.findIndex((f) => f.stage === stage);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw new ApiError(f!.code, f!.code === 0 ? 'Transport' : 'Forbidden', f!.code === 0 ? 'connect ECONNREFUSED' : `HTTP ${f!.code} from the fake`);
    }
  }

  async reviewToken(token: string): Promise<TokenReviewOutcome> {
    this.calls.push({ kind: 'token', token });
    await this.gate('token');
    const user = this.tokens.get(token);
    return user ? { authenticated: true, user } : { authenticated: false, error: 'invalid bearer token' };
  }

  async reviewAccess(user: UserInfo, request: NonResourceRequest): Promise<AccessReviewOutcome> {
    this.calls.push({ kind: 'access', user, request });
    await this.gate('access');
    const ok = this.grants.get(user.username)?.has(`${request.verb} ${request.path}`) ?? false;
    return ok ? { allowed: true } : { allowed: false, reason: 'no RBAC policy matched' };
  }
}
