/**
 * `@metallb-ts/config`: the metallb.io API as TypeScript types, and the pure configuration
 * pipeline `objects → Config | ConfigErrors` implementing MetalLB's validation rules.
 *
 * @packageDocumentation
 */
export * from './types.js';
export type * from './config.js';
export { buildConfig, isConfigErrors, DEFAULT_BUILD_OPTIONS, type BuildOptions } from './build.js';
export type { BgpType } from './context.js';
export { ConfigErrors, RULES, formatIssue, formatRef, type ConfigIssue, type ConfigWarning, type ObjectRef, type RuleId, type Severity } from './errors.js';
export * from './community.js';
export { parseDuration, formatDuration } from './duration.js';
export { parseAddressEntry, type EntryResult } from './pools.js';
export { convertBGPPeerV1beta1, resolveTimers, type TimerResult } from './peers.js';
export { localPrefConflict, aggregationProblem, l2Equivalent, l2DedupKey } from './advertisements.js';
export {
  compileSelectors,
  resolveSelectors,
  resolveNamespaceSelectors,
  resolveNodeSelectors,
  resolveServiceSelectors,
  allocationAllows,
  poolAllowsService,
  peersForNode,
  type LabelledObject,
  type ServiceRef,
} from './resolve.js';
export { parseManifests, type ManifestError, type ManifestResult } from './manifest.js';
export { CRD_FILES, type Crd, type CrdVersion } from './crd/crds.js';
export { checkSchema, type SchemaViolation, type SchemaViolationKind } from './crd/check.js';
export type { Schema, Rule as CelRule, PrinterColumn } from './crd/schema-builders.js';
export { configToJSON, configsEqual } from './compare.js';
export { configCondition, summarizeConditions, CONDITION_TYPES, CONDITION_REASONS, type UnknownFailure } from './state.js';
export {
  ConfigTracker,
  ConfigCommitError,
  announcedOutsidePools,
  vetoDroppedAnnouncements,
  type AnnouncedService,
  type ConfigVeto,
  type ProposeOutcome,
  type ReloadOutcome,
  type TrackerOptions,
  type VetoPredicate,
  type VetoReason,
} from './tracker.js';
