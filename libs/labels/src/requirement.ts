/**
 * Requirements: the `k8s.io/apimachinery/pkg/labels` form of a selector, which the text form
 * (`?labelSelector=`) parses to and a `metav1.LabelSelector` converts to
 * (`LabelSelectorAsSelector`). All requirements are ANDed.
 */
import { assertNever } from '@metallb-ts/errors';
import type { LabelSelector, LabelSelectorOperator, Labels } from './types.js';

/** The operators of a requirement: metav1's four, plus `Gt`/`Lt` of the text form (`n>4`). */
export type RequirementOperator = LabelSelectorOperator | 'Gt' | 'Lt';

/**
 * One requirement (`labels.Requirement`). `values`: one or more for `In`/`NotIn`, none for
 * `Exists`/`DoesNotExist`, exactly one integer for `Gt`/`Lt`.
 */
export interface Requirement {
  readonly key: string;
  readonly operator: RequirementOperator;
  readonly values: readonly string[];
}

const OPERATOR_RANK: Readonly<Record<RequirementOperator, number>> = { In: 0, NotIn: 1, Exists: 2, DoesNotExist: 3, Gt: 4, Lt: 5 };

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareRequirements(a: Requirement, b: Requirement): number {
  const k = cmp(a.key, b.key);
  if (k !== 0) return k;
  if (a.operator !== b.operator) return OPERATOR_RANK[a.operator] - OPERATOR_RANK[b.operator];
  const n = Math.min(a.values.length, b.values.length);
  for (let i = 0; i < n; i++) {
    const v = cmp(a.values[i]!, b.values[i]!);
    if (v !== 0) return v;
  }
  return a.values.length - b.values.length;
}

/**
 * The canonical form of a requirement list: values sorted and unique within each requirement,
 * requirements sorted (key, operator, values) and unique. Semantically equal lists written
 * differently (order, repeats, `matchLabels` vs `In`) normalise to equal lists.
 */
export function normalizeRequirements(reqs: readonly Requirement[]): readonly Requirement[] {
  const sorted = reqs
    .map((r): Requirement => Object.freeze({ key: r.key, operator: r.operator, values: Object.freeze([...new Set(r.values)].sort(cmp)) }))
    .sort(compareRequirements);
  return Object.freeze(sorted.filter((r, i) => i === 0 || compareRequirements(r, sorted[i - 1]!) !== 0));
}

/**
 * A `metav1.LabelSelector` as normalised requirements (`matchLabels` entries become `In` with one
 * value), like `metav1.LabelSelectorAsSelector`. Structural only: validate untrusted input with
 * `parseLabelSelector` first.
 */
export function labelSelectorRequirements(selector: LabelSelector): readonly Requirement[] {
  const reqs: Requirement[] = [];
  for (const [key, v] of Object.entries(selector.matchLabels ?? {})) reqs.push({ key, operator: 'In', values: [v] });
  for (const e of selector.matchExpressions ?? []) reqs.push({ key: e.key, operator: e.operator, values: e.values ?? [] });
  return normalizeRequirements(reqs);
}

const INT64 = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The value as a signed 64-bit integer (Go's `strconv.ParseInt(s, 10, 64)`), or undefined. */
export function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/** Whether `labels` satisfy one requirement (Kubernetes semantics: `NotIn` matches an absent key). */
export function requirementMatches(r: Requirement, labels: Labels | null | undefined): boolean {
  const l = labels ?? {};
  const has = Object.hasOwn(l, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(l[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(l[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || r.values.length !== 1) return false;
      const have = parseInt64(l[r.key]!);
      const want = parseInt64(r.values[0]!);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return assertNever(r.operator, 'label requirement operator');
  }
}

/** Whether `labels` satisfy every requirement (the empty list matches everything). */
export function requirementsMatch(reqs: readonly Requirement[], labels: Labels | null | undefined): boolean {
  return reqs.every((r) => requirementMatches(r, labels));
}

function requirementText(r: Requirement): string {
  switch (r.operator) {
    case 'In':
      return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'Gt':
      return `${r.key}>${r.values[0] ?? ''}`;
    case 'Lt':
      return `${r.key}<${r.values[0] ?? ''}`;
    default:
      return assertNever(r.operator, 'label requirement operator');
  }
}

/**
 * The text form of requirements, as `?labelSelector=` takes it (`a=b,c!=d,e in (x,y),f,!g`),
 * in the order given. One-valued `In`/`NotIn` are written `=`/`!=`. Parses back with
 * `parseSelectorText` to the same requirements when they are normalised.
 */
export function formatRequirements(reqs: readonly Requirement[]): string {
  return reqs.map(requirementText).join(',');
}

/**
 * The canonical text of a `metav1.LabelSelector` (normalised requirements): equal for
 * semantically equal selectors, `''` for `{}`. Use it as a map key and in logs.
 *
 * @example formatLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }) // 'app=web,!tier'
 */
export function formatLabelSelector(selector: LabelSelector): string {
  return formatRequirements(labelSelectorRequirements(selector));
}
