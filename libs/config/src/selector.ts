/**
 * Label selectors: strict parsing into a normalised, comparable form, and matching.
 * Semantics are Kubernetes' (`metav1.LabelSelectorAsSelector`): `matchLabels` entries become
 * `In` requirements with one value; all requirements are ANDed; `{}` matches everything.
 */
import type { LabelSelector } from './types.js';

/** A requirement after normalisation (values sorted and unique). */
export interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

/** A parsed selector: requirements sorted by key, operator, values. */
export interface Selector {
  readonly requirements: readonly Requirement[];
  /** Canonical text, equal for semantically equal selectors (`app in (web),tier!=x`). */
  readonly key: string;
}

/** The selector that matches everything (`{}`). */
export const MATCH_ALL: Selector = Object.freeze({ requirements: Object.freeze([]), key: '' });

const OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Why a label key is invalid, or undefined when it is valid. */
export function labelKeyProblem(key: string): string | undefined {
  if (key === '') return 'a label key must not be empty';
  const slash = key.lastIndexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !PREFIX.test(prefix))) {
    return `label key prefix "${prefix}" must be a DNS subdomain (lower-case, dots, at most 253 characters)`;
  }
  if (!NAME.test(name)) {
    return `label key name "${name}" must be 1-63 characters of [-A-Za-z0-9_.], starting and ending alphanumeric`;
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid. */
export function labelValueProblem(value: string): string | undefined {
  return VALUE.test(value) ? undefined : `label value "${value}" must be at most 63 characters of [-A-Za-z0-9_.], starting and ending alphanumeric`;
}

/** A problem found while parsing a selector, relative to the selector. */
export interface SelectorProblem {
  /** Sub-path such as `matchExpressions[0].values`. */
  path: string;
  message: string;
  hint: string;
}

/**
 * Parses a (shape-checked) label selector. Returns the selector, or the problems: bad keys or
 * values, an operator that needs values without any (or the reverse), repeated expressions or
 * values.
 */
export function parseSelector(sel: LabelSelector): Selector | SelectorProblem[] {
  const problems: SelectorProblem[] = [];
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    const kp = labelKeyProblem(k);
    if (kp) problems.push({ path: `matchLabels[${k}]`, message: kp, hint: 'use a valid label key' });
    const vp = labelValueProblem(v);
    if (vp) problems.push({ path: `matchLabels[${k}]`, message: vp, hint: 'use a valid label value' });
    reqs.push({ key: k, operator: 'In', values: [v] });
  }
  const seen = new Set<string>();
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const at = `matchExpressions[${i}]`;
    const kp = labelKeyProblem(e.key);
    if (kp) problems.push({ path: `${at}.key`, message: kp, hint: 'use a valid label key' });
    if (!OPERATORS.includes(e.operator)) {
      problems.push({ path: `${at}.operator`, message: `unsupported operator ${JSON.stringify(e.operator)}`, hint: 'use In, NotIn, Exists or DoesNotExist' });
      return;
    }
    const values = e.values ?? [];
    const needsValues = e.operator === 'In' || e.operator === 'NotIn';
    if (needsValues && values.length === 0) {
      problems.push({ path: `${at}.values`, message: `operator ${e.operator} needs at least one value`, hint: 'add values, or use Exists/DoesNotExist' });
    }
    if (!needsValues && values.length > 0) {
      problems.push({ path: `${at}.values`, message: `operator ${e.operator} takes no values`, hint: 'remove values, or use In/NotIn' });
    }
    if (new Set(values).size !== values.length) {
      problems.push({ path: `${at}.values`, message: 'duplicate values in one expression', hint: 'list each value once' });
    }
    values.forEach((v, j) => {
      const vp = labelValueProblem(v);
      if (vp) problems.push({ path: `${at}.values[${j}]`, message: vp, hint: 'use a valid label value' });
    });
    const r: Requirement = { key: e.key, operator: e.operator, values: [...new Set(values)].sort() };
    const rk = requirementText(r);
    if (seen.has(rk)) problems.push({ path: at, message: 'duplicate match expression', hint: 'list each expression once' });
    seen.add(rk);
    reqs.push(r);
  });
  if (problems.length > 0) return problems;
  reqs.sort((a, b) => cmp(requirementText(a), requirementText(b)));
  // Identical requirements (e.g. matchLabels a=b and expression a In (b)) are one requirement.
  const unique = reqs.filter((r, i) => i === 0 || requirementText(r) !== requirementText(reqs[i - 1]!));
  return Object.freeze({ requirements: Object.freeze(unique), key: unique.map(requirementText).join(',') });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function requirementText(r: Requirement): string {
  switch (r.operator) {
    case 'In':
      return `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return `${r.key} notin (${r.values.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    default:
      return assertNever(r.operator);
  }
}

function assertNever(x: never): never {
  throw new Error(`unexpected operator ${String(x)}`);
}

/** Whether `labels` satisfy every requirement of `sel`. */
export function selectorMatches(sel: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return sel.requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case 'In':
        return has && r.values.includes(l[r.key]!);
      case 'NotIn':
        return !has || !r.values.includes(l[r.key]!);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return assertNever(r.operator);
    }
  });
}

/** Whether `labels` match any selector of a list (MetalLB lists are ORed). */
export function anySelectorMatches(sels: readonly Selector[], labels: Readonly<Record<string, string>> | undefined): boolean {
  return sels.some((s) => selectorMatches(s, labels));
}

/** Canonical text of a selector, for logs (`<all>` for the empty selector). */
export function selectorToString(sel: Selector): string {
  return sel.key === '' ? '<all>' : sel.key;
}
