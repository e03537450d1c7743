/**
 * Configuration problems: what is wrong, where (kind/namespace/name and field path), and what to
 * change. A problem is either `invalid` (the configuration must be fixed) or `transient` (it
 * depends on creation order, e.g. a referenced Secret not seen yet, and may resolve by itself).
 */

/** Whether a problem needs a fix or may resolve itself once other objects appear. */
export type Severity = 'invalid' | 'transient';

/** Stable identifiers of every rule; used in tests, logs and docs (README "Rules"). */
export const RULES = {
  // Object shape (any kind)
  malformed: 'malformed',
  unknownField: 'unknown-field',
  wrongType: 'wrong-type',
  missingField: 'missing-field',
  outOfRange: 'out-of-range',
  badValue: 'bad-value',
  unsupportedVersion: 'unsupported-version',
  duplicateObject: 'duplicate-object',
  duplicateEntry: 'duplicate-entry',
  badSelector: 'bad-selector',
  // Pools (§2.2 P1-P7)
  poolNoAddresses: 'pool-no-addresses',
  poolBadCidr: 'pool-bad-cidr',
  poolBadRange: 'pool-bad-range',
  poolOverlap: 'pool-overlap',
  // Peers (§2.2 P8-P11)
  peerAsn: 'peer-asn',
  peerAddress: 'peer-address',
  peerTimers: 'peer-timers',
  peerMultihop: 'peer-ebgp-multihop',
  peerPassword: 'peer-password',
  peerSecretMissing: 'peer-secret-missing',
  peerSecretInvalid: 'peer-secret-invalid',
  peerBfdMissing: 'peer-bfd-missing',
  peerDuplicate: 'peer-duplicate',
  bfdEchoIPv6: 'bfd-echo-ipv6',
  // Communities (C1-C4)
  communityValue: 'community-value',
  communityAliasMissing: 'community-alias-missing',
  // Advertisements (A1-A6)
  advSelectorsAggregation: 'adv-selectors-aggregation',
  advAggregationTooShort: 'adv-aggregation-too-short',
  advLocalPrefConflict: 'adv-localpref-conflict',
  // Mode-specific (§2.3)
  nativeUnsupported: 'native-unsupported',
  frrRouterId: 'frr-router-id',
  frrPeerIdentifier: 'frr-peer-identifier',
  frrMyAsn: 'frr-my-asn',
} as const;

/** One of {@link RULES}. */
export type RuleId = (typeof RULES)[keyof typeof RULES];

/** Which object a problem is about. */
export interface ObjectRef {
  /** The kind, e.g. `IPAddressPool`. */
  kind: string;
  /** Namespace, or `''` for cluster-scoped objects and objects without one. */
  namespace: string;
  /** Name, or `''` when the object has none. */
  name: string;
}

/** One configuration problem. */
export interface ConfigIssue {
  /** `invalid` or `transient`. */
  severity: Severity;
  /** The rule that fired. */
  rule: RuleId;
  /** The object at fault. */
  object: ObjectRef;
  /** Field path inside the object, kubectl style: `spec.addresses[1]`. `''` = the whole object. */
  field: string;
  /** What is wrong. */
  message: string;
  /** What to change. */
  hint: string;
}

/** A non-fatal remark about an accepted configuration (deprecations, ignored fields). */
export interface ConfigWarning {
  /** The object concerned. */
  object: ObjectRef;
  /** Field path, or `''`. */
  field: string;
  /** The remark. */
  message: string;
}

/** `IPAddressPool metallb-system/first-pool` style reference. */
export function formatRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name || '<unnamed>'}`;
}

/** One line per issue: `IPAddressPool metallb-system/a spec.addresses[0]: <message>; <hint>`. */
export function formatIssue(i: ConfigIssue): string {
  const where = `${formatRef(i.object)}${i.field ? ` ${i.field}` : ''}`;
  return `${where}: ${i.message}${i.hint ? `; ${i.hint}` : ''}${i.severity === 'transient' ? ' (transient)' : ''}`;
}

/**
 * The configuration was rejected. Returned (never thrown) by `buildConfig`. `transient` is true
 * when every issue is transient: the caller should retry when the referenced objects appear
 * rather than report a broken configuration.
 */
export class ConfigErrors extends Error {
  override readonly name = 'ConfigErrors';
  /** Every problem found, in a deterministic order (kind, then name, then field). */
  readonly issues: readonly ConfigIssue[];
  /** Warnings gathered before the rejection. */
  readonly warnings: readonly ConfigWarning[];

  constructor(issues: readonly ConfigIssue[], warnings: readonly ConfigWarning[] = []) {
    super(
      issues.length === 1
        ? `configuration error: ${formatIssue(issues[0]!)}`
        : `configuration error: ${issues.length} problems:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`,
    );
    this.issues = issues;
    this.warnings = warnings;
  }

  /** True when every issue is transient (fix may come from objects not seen yet). */
  get transient(): boolean {
    return this.issues.length > 0 && this.issues.every((i) => i.severity === 'transient');
  }

  /** The issues that need a fix. */
  get invalid(): readonly ConfigIssue[] {
    return this.issues.filter((i) => i.severity === 'invalid');
  }

  /** All messages joined by newlines, as MetalLB's `ConfigurationState.errorSummary` shows. */
  summary(): string {
    return this.issues.map(formatIssue).join('\n');
  }
}

/** Collects issues while parsing one object. */
export class IssueSink {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigWarning[] = [];

  /** Records an invalid-configuration issue. */
  invalid(rule: RuleId, object: ObjectRef, field: string, message: string, hint: string): void {
    this.issues.push({ severity: 'invalid', rule, object, field, message, hint });
  }

  /** Records a transient issue. */
  transient(rule: RuleId, object: ObjectRef, field: string, message: string, hint: string): void {
    this.issues.push({ severity: 'transient', rule, object, field, message, hint });
  }

  /** Records a warning. */
  warn(object: ObjectRef, field: string, message: string): void {
    this.warnings.push({ object, field, message });
  }

  /** Number of issues so far (to tell whether a sub-parse added any). */
  get count(): number {
    return this.issues.length;
  }
}
