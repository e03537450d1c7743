/**
 * Keeping the last valid configuration: {@link ConfigTracker} runs the pipeline on each change
 * and only replaces its current `Config` when the new one is valid, different, and not vetoed by
 * the component (MetalLB §2.5: the speaker refuses a configuration that would drop an address it
 * announces, and retries). The outcome is a named value, so the component can set its metrics and
 * ConfigurationState accordingly.
 */
import type { IPAddress } from '@metallb-ts/netaddr';
import { buildConfig, type BuildOptions } from './build.js';
import { configsEqual } from './compare.js';
import type { Config } from './config.js';
import { ConfigErrors } from './errors.js';

/** Why a component refuses a valid configuration. A closed set (labels logs and conditions). */
export type VetoReason =
  /**
   * An address the component announces lies in no pool of the new configuration (MetalLB §2.5,
   * speaker `SetConfig`). MetalLB keeps the old configuration and retries with back-off: the
   * controller moves the Service off the address, and the next attempt passes.
   */
  | 'drops-announced-ip'
  /**
   * A protocol handler refused the configuration (MetalLB §2.5: native BGP with BFD profiles or
   * bgp extras, a BGP session that cannot be created). Not retried: waits for the next change.
   */
  | 'handler-refused';

/** One reason to refuse a configuration. */
export interface ConfigVeto {
  /** What kind of refusal. */
  readonly reason: VetoReason;
  /** One line saying what is wrong and what to change (logged, and the ConfigurationState message). */
  readonly message: string;
  /** Whether the refusal is retried with back-off (MetalLB: only `drops-announced-ip`). */
  readonly retry: boolean;
}

/**
 * The component's say on a valid, changed configuration: the reasons to refuse it (empty =
 * accept). Called by {@link ConfigTracker.propose} with the candidate and the configuration in
 * force. Must not throw.
 */
export type VetoPredicate = (next: Config, current: Config | undefined) => readonly ConfigVeto[];

/** What a reload did. */
export type ReloadOutcome =
  /** The new configuration is valid and differs: it is now current (reprocess services). */
  | { readonly kind: 'applied'; readonly config: Config; readonly previous: Config | undefined }
  /** The new configuration is valid and equal to the current one: nothing to do. */
  | { readonly kind: 'unchanged'; readonly config: Config }
  /** Invalid: the last valid configuration (if any) stays in force; wait for the next change. */
  | { readonly kind: 'rejected'; readonly errors: ConfigErrors; readonly kept: Config | undefined }
  /** Only transient problems (missing Secret, BFDProfile, alias, Node): keep the last config, retry later. */
  | { readonly kind: 'pending'; readonly errors: ConfigErrors; readonly kept: Config | undefined }
  /**
   * Valid, but the component refused it (see {@link ConfigVeto}); the last configuration stays in
   * force. `retry`: try again with back-off ({@link ConfigTracker.retry}); `attempt` counts the
   * consecutive retrying vetoes (1, 2, …) for the back-off.
   */
  | {
      readonly kind: 'vetoed';
      readonly config: Config;
      readonly reasons: readonly ConfigVeto[];
      readonly retry: boolean;
      readonly attempt: number;
      readonly kept: Config | undefined;
    };

/** What {@link ConfigTracker.propose} found. Nothing changes until {@link ConfigTracker.commit}. */
export type ProposeOutcome =
  /**
   * Valid and not vetoed. `changed` false: equal to the current configuration (MetalLB: a no-op,
   * no veto asked). Call {@link ConfigTracker.commit} to make it current, or
   * {@link ConfigTracker.refuse} when a handler refuses it afterwards.
   */
  | {
      readonly kind: 'accept';
      readonly config: Config;
      readonly previous: Config | undefined;
      readonly changed: boolean;
      readonly reasons: readonly [];
    }
  /** Valid, changed, and vetoed: nothing to commit (same fields as the `vetoed` {@link ReloadOutcome}). */
  | {
      readonly kind: 'veto';
      readonly config: Config;
      readonly reasons: readonly ConfigVeto[];
      readonly retry: boolean;
      readonly attempt: number;
      readonly kept: Config | undefined;
    }
  /** Invalid (see the `rejected` {@link ReloadOutcome}). */
  | { readonly kind: 'rejected'; readonly errors: ConfigErrors; readonly kept: Config | undefined }
  /** Only transient problems (see the `pending` {@link ReloadOutcome}). */
  | { readonly kind: 'pending'; readonly errors: ConfigErrors; readonly kept: Config | undefined };

/** Options of {@link ConfigTracker} beyond the pipeline's. */
export interface TrackerOptions {
  /** The component's veto, asked for every valid changed configuration. @default undefined (never veto) */
  veto?: VetoPredicate;
}

/** {@link ConfigTracker.commit} or {@link ConfigTracker.refuse} without an accepted proposal: a bug in the caller. */
export class ConfigCommitError extends Error {
  override readonly name = 'ConfigCommitError';
}

/** A Service and the addresses a component announces for it (input of {@link announcedOutsidePools}). */
export interface AnnouncedService {
  /** `namespace/name`. */
  readonly service: string;
  /** The addresses announced for it. */
  readonly ips: readonly IPAddress[];
}

/**
 * MetalLB's speaker veto (§2.5, §5.4): one `drops-announced-ip` veto (retrying) per announced
 * Service having an address that no pool of `next` contains. Pure.
 */
export function announcedOutsidePools(next: Config, announced: Iterable<AnnouncedService>): ConfigVeto[] {
  const pools = [...next.pools.values()];
  const out: ConfigVeto[] = [];
  for (const a of announced) {
    const lost = a.ips.filter((ip) => !pools.some((p) => p.cidrs.some((c) => c.contains(ip))));
    if (lost.length === 0) continue;
    const list = lost.map((ip) => ip.toString()).join(', ');
    out.push({
      reason: 'drops-announced-ip',
      retry: true,
      message:
        `service ${a.service} is announced with ${list}, which no IPAddressPool of the new configuration contains; ` +
        `the previous configuration stays in force and the new one is retried until the Service gets an address from a pool ` +
        `(or restore a pool containing ${list})`,
    });
  }
  return out;
}

/**
 * A {@link VetoPredicate} for a speaker: refuse a configuration dropping any address that
 * `announced()` (read at each proposal) returns ({@link announcedOutsidePools}).
 */
export function vetoDroppedAnnouncements(announced: () => Iterable<AnnouncedService>): VetoPredicate {
  return (next) => announcedOutsidePools(next, announced());
}

/**
 * Holds the last valid configuration of one component.
 *
 * One step, for components without a veto (the controller): `reload(objects)`. Two steps, for
 * the speaker (MetalLB §2.5): `propose(objects)` builds and asks the veto; on `accept` the caller
 * hands the config to its protocol handlers and then calls `commit()` (or `refuse(...)` when a
 * handler says no); on a retrying `veto` it calls `retry()` after a back-off.
 *
 * ```ts
 * const tracker = new ConfigTracker({ bgpType: 'native', node }, { veto: vetoDroppedAnnouncements(() => announcer.services()) });
 * const p = tracker.propose(objects);
 * if (p.kind === 'accept') {
 *   const refusal = p.changed ? handlers.check(p.config) : undefined;
 *   if (refusal) tracker.refuse([{ reason: 'handler-refused', message: refusal, retry: false }]);
 *   else if (tracker.commit().kind === 'applied') reprocessAll();
 * } else if (p.kind === 'veto' && p.retry) clock.setTimer(backoff(p.attempt), () => handle(tracker.retry()));
 * ```
 */
export class ConfigTracker {
  private last: Config | undefined;
  private staleFlag = false;
  private accepted: { config: Config; changed: boolean; objects: readonly unknown[] } | undefined;
  private vetoed: { objects: readonly unknown[]; attempt: number } | undefined;

  constructor(
    private readonly options: BuildOptions = {},
    private readonly tracking: TrackerOptions = {},
  ) {}

  /** The configuration in force, or undefined before the first valid one. */
  get current(): Config | undefined {
    return this.last;
  }

  /**
   * True after a rejected, pending, vetoed or refused configuration, until the next committed
   * one (MetalLB's `config_stale_bool`).
   */
  get stale(): boolean {
    return this.staleFlag;
  }

  /** True while the last proposal was vetoed with `retry`: {@link ConfigTracker.retry} has something to do. */
  get retryPending(): boolean {
    return this.vetoed !== undefined;
  }

  /**
   * Validates `objects` and asks the veto (`veto` overrides the one of the options). Changes
   * nothing but the stale flag (set on `rejected`, `pending` and `veto`) until
   * {@link ConfigTracker.commit}. A new proposal replaces an accepted one not yet committed.
   */
  propose(objects: readonly unknown[], veto: VetoPredicate | undefined = this.tracking.veto): ProposeOutcome {
    this.accepted = undefined;
    const r = buildConfig(objects, this.options);
    if (r instanceof ConfigErrors) {
      this.staleFlag = true;
      this.vetoed = undefined; // MetalLB: a configuration error is not retried, it waits for the next change
      return { kind: r.transient ? 'pending' : 'rejected', errors: r, kept: this.last };
    }
    if (this.last && configsEqual(this.last, r)) {
      this.accepted = { config: this.last, changed: false, objects };
      return { kind: 'accept', config: this.last, previous: this.last, changed: false, reasons: [] };
    }
    const reasons = veto ? veto(r, this.last) : [];
    if (reasons.length > 0) {
      this.staleFlag = true;
      const retry = reasons.every((v) => v.retry);
      const attempt = retry ? (this.vetoed?.attempt ?? 0) + 1 : 0;
      this.vetoed = retry ? { objects, attempt } : undefined;
      return { kind: 'veto', config: r, reasons, retry, attempt, kept: this.last };
    }
    this.accepted = { config: r, changed: true, objects };
    return { kind: 'accept', config: r, previous: this.last, changed: true, reasons: [] };
  }

  /**
   * Proposes the last vetoed (retrying) objects again; `undefined` when there is nothing to
   * retry (a later proposal superseded it, or it was committed).
   */
  retry(veto?: VetoPredicate): ProposeOutcome | undefined {
    const v = this.vetoed;
    return v ? this.propose(v.objects, veto ?? this.tracking.veto) : undefined;
  }

  /**
   * Makes the accepted proposal current: `applied` when it changed, `unchanged` otherwise; clears
   * the stale flag and any pending retry.
   * @throws {ConfigCommitError} without an accepted proposal (call `propose` first; it said `accept`).
   */
  commit(): Extract<ReloadOutcome, { kind: 'applied' | 'unchanged' }> {
    const a = this.takeAccepted('commit');
    this.staleFlag = false;
    this.vetoed = undefined;
    if (!a.changed) return { kind: 'unchanged', config: a.config };
    const previous = this.last;
    this.last = a.config;
    return { kind: 'applied', config: a.config, previous };
  }

  /**
   * Refuses the accepted proposal after all (a protocol handler said no): the last configuration
   * stays, the tracker is stale; retried with {@link ConfigTracker.retry} only when every reason
   * says `retry`.
   * @throws {ConfigCommitError} without an accepted proposal.
   */
  refuse(reasons: readonly ConfigVeto[]): Extract<ReloadOutcome, { kind: 'vetoed' }> {
    const a = this.takeAccepted('refuse');
    this.staleFlag = true;
    const retry = reasons.length > 0 && reasons.every((v) => v.retry);
    const attempt = retry ? (this.vetoed?.attempt ?? 0) + 1 : 0;
    this.vetoed = retry ? { objects: a.objects, attempt } : undefined;
    return { kind: 'vetoed', config: a.config, reasons, retry, attempt, kept: this.last };
  }

  /**
   * One step: {@link ConfigTracker.propose}, then {@link ConfigTracker.commit} when accepted.
   * Without a veto this is the original behaviour (`applied`, `unchanged`, `rejected`, `pending`).
   */
  reload(objects: readonly unknown[], veto?: VetoPredicate): ReloadOutcome {
    const p = this.propose(objects, veto ?? this.tracking.veto);
    switch (p.kind) {
      case 'accept':
        return this.commit();
      case 'veto':
        return { kind: 'vetoed', config: p.config, reasons: p.reasons, retry: p.retry, attempt: p.attempt, kept: p.kept };
      case 'rejected':
      case 'pending':
        return p;
    }
  }

  private takeAccepted(what: string): { config: Config; changed: boolean; objects: readonly unknown[] } {
    const a = this.accepted;
    if (!a) throw new ConfigCommitError(`ConfigTracker.${what}() without an accepted proposal: call propose() first and ${what} only when it returned kind "accept"`);
    this.accepted = undefined;
    return a;
  }
}
