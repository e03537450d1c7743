/**
 * Leadership of the controller: a `@metallb-ts/election` {@link LeaderElector} driving the
 * controller's `activate`/`deactivate`, and what leadership means for the probes.
 *
 * A replica that loses leadership (no successful renewal within `--renew-deadline`, e.g. during
 * an API server outage) stops allocating, waits until its last reconcile is done, and stands
 * again as a candidate: it never stays out for good (issue 15 §1). It does not exit: a restart
 * would drop warm caches, relist everything, and — repeated over a long outage — push the pod
 * into CrashLoopBackOff, whose delay (up to 5 minutes) would outlast the outage itself.
 */
import type { Logger } from '@metallb-ts/app-runtime';
import type { Clock } from '@metallb-ts/clock';
import { assertNever } from '@metallb-ts/errors';
import type { LeaderElector, LeaderEvent } from '@metallb-ts/election';

/** What leadership switches on and off. */
export interface LeadershipTarget {
  /** Starts allocating (rejections are logged). */
  activate(): Promise<void>;
  /** Stops allocating; resolves once no reconcile is running any more. */
  deactivate(): Promise<void>;
}

/** Options of {@link Leadership}. */
export interface LeadershipOptions {
  elector: LeaderElector;
  target: LeadershipTarget;
  log: Logger;
  clock: Clock;
  /** Set to 1 while leading, 0 otherwise. */
  leaderGauge?: { set(v: number): void };
  /** Store errors (the API server unreachable…): logged at warn by this, rate-limited by the caller. */
  onStoreError?(error: unknown): void;
  /** How long the elector may stay stopped (not a candidate) before `/healthz` fails. @default 30000 */
  stuckAfterMs?: number;
}

/** Where a replica stands. */
export type LeadershipPhase =
  /** Not started yet. */
  | 'idle'
  /** A candidate: trying to acquire the Lease. */
  | 'candidate'
  /** Leads and allocates. */
  | 'leading'
  /** Lost leadership; finishing its last reconciles before standing again. */
  | 'stepping-down'
  /** Shut down (SIGTERM). */
  | 'stopped';

/** Runs a {@link LeaderElector} for the controller and rejoins after every lost term. */
export class Leadership {
  private readonly opts: LeadershipOptions;
  private phase: LeadershipPhase = 'idle';
  private since = 0;
  private terms = 0;
  private unsubscribe: (() => void) | undefined;
  private rejoining: Promise<void> | undefined;

  constructor(opts: LeadershipOptions) {
    this.opts = opts;
  }

  /** The current phase. */
  get state(): LeadershipPhase {
    return this.phase;
  }

  /** Terms led so far (for tests and logs). */
  get termsLed(): number {
    return this.terms;
  }

  /** Subscribes to the elector and starts campaigning. */
  start(): void {
    if (this.phase !== 'idle') return;
    this.unsubscribe = this.opts.elector.on((e) => this.onEvent(e));
    this.set('candidate');
    this.opts.elector.start();
  }

  /** Stops campaigning for good (shutdown): deactivates, releases the Lease. Never rejects. */
  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    this.set('stopped');
    await this.opts.target.deactivate().catch(() => undefined);
    await this.opts.elector.stop().catch(() => undefined);
    await this.rejoining;
    this.unsubscribe?.();
  }

  /**
   * Why the process is not live (`/healthz`), or undefined: stepping down must end in standing
   * again; a replica stuck outside the election would never allocate again.
   */
  notLive(): string | undefined {
    if (this.phase !== 'stepping-down') return undefined;
    const stuck = this.opts.clock.monotonic() - this.since;
    const limit = this.opts.stuckAfterMs ?? 30_000;
    return stuck >= limit ? `lost leadership ${Math.round(stuck / 1000)} s ago and not standing again as a candidate` : undefined;
  }

  /** Why the replica is not ready (`/readyz`), or undefined: it is ready while leading or a candidate. */
  notReady(): string | undefined {
    if (this.phase === 'stepping-down') return 'lost leadership; finishing the last reconciles before standing again';
    if (this.phase === 'stopped') return 'shutting down';
    return undefined;
  }

  private set(p: LeadershipPhase): void {
    this.phase = p;
    this.since = this.opts.clock.monotonic();
  }

  private onEvent(e: LeaderEvent): void {
    const { log, target } = this.opts;
    switch (e.type) {
      case 'started-leading':
        if (this.phase === 'stopped') return;
        this.terms++;
        this.set('leading');
        this.opts.leaderGauge?.set(1);
        log.info('became leader', { op: 'leaderElection', identity: this.opts.elector.identity, term: this.terms });
        void target.activate().catch((err: unknown) => log.error('activation failed', { op: 'leaderElection', error: err }));
        return;
      case 'stopped-leading':
        this.opts.leaderGauge?.set(0);
        if (e.reason === 'stopped' || this.phase === 'stopped') return;
        this.set('stepping-down');
        log.warn('lost leadership, standing again as a candidate once the last reconciles are done', { op: 'leaderElection', reason: e.reason });
        this.rejoining = this.rejoin();
        return;
      case 'new-leader':
        log.info('leader observed', { op: 'leaderElection', leader: e.identity ?? '' });
        return;
      case 'store-error':
        this.opts.onStoreError?.(e.error);
        return;
      default:
        assertNever(e, 'leader election event');
    }
  }

  /** Waits until no reconcile runs any more (no write of the old term after a new leader's), then campaigns again. */
  private async rejoin(): Promise<void> {
    await this.opts.target.deactivate().catch((err: unknown) => this.opts.log.error('deactivation failed', { op: 'leaderElection', error: err }));
    if (this.phase !== 'stepping-down') return;
    this.set('candidate');
    this.opts.elector.start();
    this.opts.log.info('standing as a candidate again', { op: 'leaderElection', identity: this.opts.elector.identity });
  }
}
