/**
 * ConfigurationState helpers (§2.5): the condition a component reports after loading its
 * configuration, and the aggregate `result`/`errorSummary` computed from all conditions.
 */
import type { Config } from './config.js';
import { ConfigErrors } from './errors.js';
import type { Condition } from './types.js';

/** Condition types MetalLB's components use. */
export const CONDITION_TYPES = {
  /** The controller's pool reconciler. */
  controller: 'poolReconcilerValid',
  /** The speaker's config reconciler. */
  speaker: 'configReconcilerValid',
} as const;

/** Condition reasons. */
export const CONDITION_REASONS = {
  reconciled: 'Reconciled',
  configurationError: 'ConfigurationError',
  unknownError: 'UnknownError',
} as const;

/** A non-configuration failure (e.g. the API server was unreachable). */
export interface UnknownFailure {
  readonly unknownError: string;
}

/**
 * The condition for one reconcile outcome: `True`/`Reconciled` with an empty message on success,
 * `False`/`ConfigurationError` with `configuration error: …` for a rejected configuration
 * (transient problems included, as MetalLB does), `False`/`UnknownError` otherwise.
 * `now` is the RFC 3339 time to stamp (MetalLB refreshes it on every reconcile, quirk 31).
 */
export function configCondition(type: string, outcome: Config | ConfigErrors | UnknownFailure, now: string, observedGeneration?: number): Condition {
  const base = { type, lastTransitionTime: now, ...(observedGeneration === undefined ? {} : { observedGeneration }) };
  if (outcome instanceof ConfigErrors) return { ...base, status: 'False', reason: CONDITION_REASONS.configurationError, message: outcome.message };
  if ('unknownError' in outcome) return { ...base, status: 'False', reason: CONDITION_REASONS.unknownError, message: outcome.unknownError };
  return { ...base, status: 'True', reason: CONDITION_REASONS.reconciled, message: '' };
}

/**
 * ConfigurationState's aggregate: `Unknown` without conditions, `Invalid` when any condition is
 * `False` with reason `ConfigurationError`, else `Valid`; `errorSummary` joins those conditions'
 * messages with newlines.
 */
export function summarizeConditions(conditions: readonly Condition[]): { result: 'Valid' | 'Invalid' | 'Unknown'; errorSummary: string } {
  if (conditions.length === 0) return { result: 'Unknown', errorSummary: '' };
  const failing = conditions.filter((c) => c.status === 'False' && c.reason === CONDITION_REASONS.configurationError);
  return failing.length > 0 ? { result: 'Invalid', errorSummary: failing.map((c) => c.message).join('\n') } : { result: 'Valid', errorSummary: '' };
}
