import type { Clock, Rng, TimerHandle } from '@metallb-ts/clock';
import { decideLease, leaseValid, releasedRecord, renewedRecord } from './decide.js';
import type { LeaseStore, StoredLease } from './store.js';

/**
 * Timing and identity of a {@link LeaderElector}, with client-go's meaning
 * (`k8s.io/client-go/tools/leaderelection`).
 */
export interface LeaderElectionInit {
  /** This candidate's identity, written to `holderIdentity` (e.g. the pod name). Non-empty. */
  readonly identity: string;
  /**
   * How long followers wait, from the moment they last saw the Lease change, before taking it
   * over. Written to the Lease as whole seconds, so it must be a multiple of 1000.
   * @default 15000
   */
  readonly leaseDurationMs?: number;
  /**
   * The leader steps down when this long has passed since it *sent* its last successful
   * renewal. Must be < leaseDurationMs. @default 10000
   */
  readonly renewDeadlineMs?: number;
  /**
   * Pause between attempts. Followers retry every retryPeriod·(1 + U[0, 1.2)) (client-go's
   * `JitterFactor` 1.2); the leader renews every retryPeriod. renewDeadlineMs must exceed
   * 1.2·retryPeriodMs. @default 2000
   */
  readonly retryPeriodMs?: number;
  /** Release the Lease (empty holder, 1 s duration) when leadership ends. @default true */
  readonly releaseOnCancel?: boolean;
}

/** The client-go defaults used by controller-runtime managers: 15 s / 10 s / 2 s. */
export const DEFAULT_LEADER_ELECTION = Object.freeze({
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  releaseOnCancel: true,
});

/** client-go's `JitterFactor`: followers wait retryPeriod plus up to 1.2 retryPeriods. */
export const JITTER_FACTOR = 1.2;

/** Dependencies of a {@link LeaderElector}. */
export interface LeaderElectionComponents {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly store: LeaseStore;
}

/** Why leadership ended. */
export type StoppedLeadingReason =
  /** No successful renewal within renewDeadline (store unreachable, lease lost to a conflict…). */
  | 'renewDeadlineExceeded'
  /** `stop()` was called. */
  | 'stopped';

/** Events, in the order they happen. */
export type LeaderEvent =
  /** This candidate leads; `signal` aborts when leadership ends (client-go's context). */
  | { readonly type: 'started-leading'; readonly signal: AbortSignal }
  | { readonly type: 'stopped-leading'; readonly reason: StoppedLeadingReason }
  /** The observed holder changed (`undefined` = released). client-go's `OnNewLeader`. */
  | { readonly type: 'new-leader'; readonly identity: string | undefined }
  /** A store call failed (transport error); the elector retries on its own. */
  | { readonly type: 'store-error'; readonly error: unknown };

/** Lifecycle of a {@link LeaderElector}. */
export type ElectorState = 'idle' | 'acquiring' | 'leading' | 'stopped';

/** A timing combination that cannot give one leader at a time. */
export class LeaderElectionConfigError extends Error {
  override readonly name = 'LeaderElectionConfigError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`invalid leader election config ${field}: ${reason}`);
  }
}

type Resolved = Required<LeaderElectionInit>;

/**
 * Validates timings like client-go's `NewLeaderElector`, plus the whole-seconds rule of the Lease
 * API. @throws {LeaderElectionConfigError}
 */
export function resolveLeaderElection(init: LeaderElectionInit): Resolved {
  const r: Resolved = { ...DEFAULT_LEADER_ELECTION, ...stripUndefined(init), identity: init.identity };
  if (typeof r.identity !== 'string' || r.identity.length === 0) throw new LeaderElectionConfigError('identity', 'must be a non-empty string (e.g. the pod name)');
  for (const f of ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs'] as const) {
    if (!Number.isFinite(r[f]) || r[f] <= 0) throw new LeaderElectionConfigError(f, `must be a positive number, got ${r[f]}`);
  }
  if (r.leaseDurationMs % 1000 !== 0) {
    throw new LeaderElectionConfigError('leaseDurationMs', `must be whole seconds (Lease.spec.leaseDurationSeconds is an integer), got ${r.leaseDurationMs}`);
  }
  if (r.leaseDurationMs <= r.renewDeadlineMs) {
    throw new LeaderElectionConfigError('renewDeadlineMs', `leaseDurationMs (${r.leaseDurationMs}) must be greater than renewDeadlineMs (${r.renewDeadlineMs})`);
  }
  if (r.renewDeadlineMs <= JITTER_FACTOR * r.retryPeriodMs) {
    throw new LeaderElectionConfigError('retryPeriodMs', `renewDeadlineMs (${r.renewDeadlineMs}) must be greater than ${JITTER_FACTOR} × retryPeriodMs (${r.retryPeriodMs})`);
  }
  return r;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

type Attempt = { ok: true; sentAt: number } | { ok: false };

/**
 * Lease-based leader election with client-go's semantics, over a {@link LeaseStore} port.
 *
 * - **Acquire**: every retryPeriod (jittered) read the Lease; take it when it is absent, released
 *   (empty holder), ours, or unchanged for the *recorded* `leaseDurationSeconds` as measured on
 *   our own monotonic clock since we last saw it change. Writes are conditional on
 *   resourceVersion, so two candidates cannot both win from the same version.
 * - **Renew**: the leader rewrites `renewTime` every retryPeriod (optimistic fast path with the
 *   last known version, falling back to read-then-write).
 * - **Step down**: when renewDeadline has passed since the *send time* of the last successful
 *   renewal, the leader stops leading at once (a timer, not the next loop turn), aborts its
 *   in-flight call, and releases the Lease if `releaseOnCancel`. Like client-go's `Run`, the
 *   elector then stays `stopped`; call `start()` again to rejoin.
 * - **Clock skew**: no node compares another node's timestamps with its own clock. Wall-clock
 *   offsets are harmless; rate differences are tolerated while the ratio of clock rates stays
 *   below leaseDuration / renewDeadline (1.5 with the defaults).
 */
export class LeaderElector {
  private readonly cfg: Resolved;
  private readonly clock: Clock;
  private readonly rng: Rng;
  private readonly store: LeaseStore;
  private st: ElectorState = 'idle';
  private observed: StoredLease | undefined;
  private observedAt = 0;
  private reportedLeader: string | undefined;
  private roundTimer: TimerHandle | undefined;
  private deadlineTimer: TimerHandle | undefined;
  private inflight: AbortController | undefined;
  private term: AbortController | undefined;
  private epoch = 0;
  private readonly listeners = new Set<(e: LeaderEvent) => void>();

  /** @throws {LeaderElectionConfigError} for unsafe timings. */
  constructor(init: LeaderElectionInit, components: LeaderElectionComponents) {
    this.cfg = resolveLeaderElection(init);
    this.clock = components.clock;
    this.rng = components.rng;
    this.store = components.store;
  }

  /** The identity this elector writes. */
  get identity(): string {
    return this.cfg.identity;
  }

  /** The lifecycle state. */
  get state(): ElectorState {
    return this.st;
  }

  /** True while this candidate leads (between `started-leading` and `stopped-leading`). */
  isLeader(): boolean {
    return this.st === 'leading';
  }

  /** The holder seen in the last read or write, if its lease is still valid by our clock. */
  leader(): string | undefined {
    const o = this.observed;
    if (!o || o.record.holderIdentity === '' || !this.leaseValid()) return undefined;
    return o.record.holderIdentity;
  }

  /** The last Lease seen (for status and debugging). */
  observedLease(): StoredLease | undefined {
    return this.observed;
  }

  /** Subscribes to events; returns the unsubscribe function. Listeners must not throw. */
  on(listener: (e: LeaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts (or restarts after `stopped`) trying to acquire the Lease. Idempotent while running. */
  start(): void {
    if (this.st === 'acquiring' || this.st === 'leading') return;
    this.st = 'acquiring';
    this.epoch++;
    this.schedule(0);
  }

  /**
   * Stops: ends leadership (`stopped-leading` with reason `stopped`), cancels timers and the
   * in-flight call, then releases the Lease if `releaseOnCancel` and we are its holder.
   * Resolves when the release attempt is done (it never rejects).
   */
  async stop(): Promise<void> {
    if (this.st === 'idle' || this.st === 'stopped') return;
    this.halt('stopped');
    if (this.cfg.releaseOnCancel) await this.release();
  }

  private emit(e: LeaderEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  private schedule(ms: number): void {
    this.roundTimer?.cancel();
    this.roundTimer = this.clock.setTimer(ms, () => void this.round());
  }

  private halt(reason: StoppedLeadingReason): void {
    const wasLeading = this.st === 'leading';
    this.epoch++;
    this.st = 'stopped';
    this.roundTimer?.cancel();
    this.deadlineTimer?.cancel();
    this.inflight?.abort();
    this.inflight = undefined;
    if (wasLeading) {
      this.term?.abort();
      this.term = undefined;
      this.emit({ type: 'stopped-leading', reason });
    }
  }

  private async round(): Promise<void> {
    const epoch = this.epoch;
    const ac = new AbortController();
    this.inflight = ac;
    let attempt: Attempt;
    try {
      attempt = await this.tryAcquireOrRenew(ac.signal, epoch);
    } catch (error) {
      if (epoch !== this.epoch) return;
      this.emit({ type: 'store-error', error });
      attempt = { ok: false };
    }
    if (epoch !== this.epoch) return;
    this.inflight = undefined;
    this.maybeReportTransition();
    if (attempt.ok) {
      const left = attempt.sentAt + this.cfg.renewDeadlineMs - this.clock.monotonic();
      // A write that took longer than renewDeadline proves nothing about the present.
      if (left > 0) {
        this.deadlineTimer?.cancel();
        this.deadlineTimer = this.clock.setTimer(left, () => this.onDeadline(epoch));
        if (this.st === 'acquiring') {
          this.st = 'leading';
          this.term = new AbortController();
          this.emit({ type: 'started-leading', signal: this.term.signal });
          if (epoch !== this.epoch) return; // a listener stopped us
        }
      }
    }
    if (this.st === 'leading') this.schedule(this.cfg.retryPeriodMs);
    else this.schedule(this.cfg.retryPeriodMs * (1 + this.rng.next() * JITTER_FACTOR));
  }

  private onDeadline(epoch: number): void {
    if (epoch !== this.epoch || this.st !== 'leading') return;
    this.halt('renewDeadlineExceeded');
    if (this.cfg.releaseOnCancel) void this.release();
  }

  private leaseValid(): boolean {
    return !!this.observed && leaseValid(this.observed, this.observedAt, this.clock.monotonic());
  }

  private holderIsMe(): boolean {
    return this.observed?.record.holderIdentity === this.cfg.identity;
  }

  /** Records what we saw; the lease timer restarts only when the object changed. */
  private setObserved(lease: StoredLease): void {
    if (!this.observed || this.observed.resourceVersion !== lease.resourceVersion) this.observedAt = this.clock.monotonic();
    this.observed = lease;
  }

  /** client-go `maybeReportTransition`: only changes of the observed holder are reported. */
  private maybeReportTransition(): void {
    const holder = this.observed?.record.holderIdentity || undefined;
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    this.emit({ type: 'new-leader', identity: holder });
  }

  /** One client-go `tryAcquireOrRenew`; the decision itself is {@link decideLease}. */
  private async tryAcquireOrRenew(signal: AbortSignal, epoch: number): Promise<Attempt> {
    const nowWall = this.clock.now();
    const durationS = this.cfg.leaseDurationMs / 1000;
    // 1. Fast path: we hold a valid lease, write with the version we know.
    if (this.holderIsMe() && this.leaseValid()) {
      const old = this.observed!;
      const sentAt = this.clock.monotonic();
      try {
        const r = await this.store.update(renewedRecord(old.record, nowWall, durationS), old.resourceVersion, signal);
        if (epoch !== this.epoch) return { ok: false };
        if (r.kind === 'updated') {
          this.setObserved(r.lease);
          return { ok: true, sentAt };
        }
      } catch (error) {
        if (epoch !== this.epoch) return { ok: false };
        this.emit({ type: 'store-error', error });
      }
    }
    // 2.–4. Read, then create, wait, renew or take over.
    const got = await this.store.get(signal);
    if (epoch !== this.epoch) return { ok: false };
    if (got.kind === 'found') this.setObserved(got.lease);
    const d = decideLease(got.kind === 'found' ? got.lease : undefined, {
      identity: this.cfg.identity,
      leaseDurationSeconds: durationS,
      nowWall,
      nowMono: this.clock.monotonic(),
      observedAt: this.observedAt,
    });
    if (d.kind === 'wait') return { ok: false };
    const sentAt = this.clock.monotonic();
    const w = d.kind === 'create' ? await this.store.create(d.record, signal) : await this.store.update(d.record, d.resourceVersion, signal);
    if (epoch !== this.epoch || (w.kind !== 'created' && w.kind !== 'updated')) return { ok: false };
    this.setObserved(w.lease);
    return { ok: true, sentAt };
  }

  /** client-go's `release`: empty holder, 1 s duration, same transitions. */
  private async release(): Promise<void> {
    const o = this.observed;
    if (!o || !this.holderIsMe()) return;
    try {
      const r = await this.store.update(releasedRecord(o.record, this.clock.now()), o.resourceVersion);
      if (r.kind === 'updated' && this.st === 'stopped') this.setObserved(r.lease);
    } catch (error) {
      this.emit({ type: 'store-error', error });
    }
  }
}
