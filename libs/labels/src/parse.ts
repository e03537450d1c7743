/**
 * Strict parsing of an untrusted JSON value into a {@link LabelSelector}, with the checks of
 * `metav1validation.ValidateLabelSelector`: qualified-name keys, valid label values, known
 * operators, `In`/`NotIn` with at least one value, `Exists`/`DoesNotExist` with none. Also
 * refuses unknown fields and wrong JSON types. JSON `null` counts as absent for the optional
 * fields, as Kubernetes' decoder does.
 */
import { LabelSelectorError } from './error.js';
import { labelKeyProblem, labelValueProblem } from './syntax.js';
import { LABEL_SELECTOR_OPERATORS, type LabelSelector, type LabelSelectorOperator, type LabelSelectorRequirement } from './types.js';

/** Result of {@link parseLabelSelector}: the selector, or every problem found. */
export type LabelSelectorResult =
  | { readonly ok: true; readonly selector: LabelSelector }
  | { readonly ok: false; readonly errors: readonly LabelSelectorError[] };

const SELECTOR_FIELDS = new Set(['matchLabels', 'matchExpressions']);
const REQUIREMENT_FIELDS = new Set(['key', 'operator', 'values']);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * Parses `value` (decoded JSON/YAML) as a `metav1.LabelSelector`. Never throws. On success the
 * selector is a frozen copy in the form written (`matchLabels` stay `matchLabels`); absent and
 * `null` fields are left out. On failure every problem is listed, each with its field path under
 * `path`.
 *
 * @param path Field path of `value`, prefixed to every error path. @default 'selector'
 *
 * @example
 * const r = parseLabelSelector(obj.spec.nodeSelectors[0], 'spec.nodeSelectors[0]');
 * if (!r.ok) for (const e of r.errors) console.error(e.message);
 */
export function parseLabelSelector(value: unknown, path = 'selector'): LabelSelectorResult {
  const errors: LabelSelectorError[] = [];
  const bad = (reason: LabelSelectorError['reason'], at: string, detail: string, hint: string) => errors.push(new LabelSelectorError(reason, at, detail, hint));
  if (!isObject(value)) {
    bad('not-an-object', path, `a label selector must be an object, got ${typeName(value)}`, 'write {} to select everything, or {matchLabels: {...}} / {matchExpressions: [...]}; leave the selector out to select nothing');
    return { ok: false, errors };
  }
  for (const k of Object.keys(value)) {
    if (!SELECTOR_FIELDS.has(k)) bad('unknown-field', `${path}.${k}`, `unknown field "${k}"`, 'a label selector has only matchLabels and matchExpressions');
  }
  const out: { matchLabels?: Readonly<Record<string, string>>; matchExpressions?: readonly LabelSelectorRequirement[] } = {};
  const ml = value.matchLabels;
  if (ml !== undefined && ml !== null) {
    if (!isObject(ml)) {
      bad('wrong-type', `${path}.matchLabels`, `matchLabels must be an object of strings, got ${typeName(ml)}`, 'write matchLabels as key: value pairs');
    } else {
      const copy: Record<string, string> = {};
      for (const [k, v] of Object.entries(ml)) {
        const at = `${path}.matchLabels[${k}]`;
        const kp = labelKeyProblem(k);
        if (kp) bad('bad-key', at, kp, 'use a valid label key such as app or example.com/zone');
        if (typeof v !== 'string') {
          bad('wrong-type', at, `the value of label "${k}" must be a string, got ${typeName(v)}`, 'quote the value');
          continue;
        }
        const vp = labelValueProblem(v);
        if (vp) bad('bad-value', at, vp, 'use a valid label value');
        copy[k] = v;
      }
      out.matchLabels = Object.freeze(copy);
    }
  }
  const me = value.matchExpressions;
  if (me !== undefined && me !== null) {
    if (!Array.isArray(me)) {
      bad('wrong-type', `${path}.matchExpressions`, `matchExpressions must be a list, got ${typeName(me)}`, 'write matchExpressions as a list of {key, operator, values}');
    } else {
      out.matchExpressions = Object.freeze(me.map((e, i) => parseRequirement(e, `${path}.matchExpressions[${i}]`, bad)).filter((r) => r !== undefined));
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, selector: Object.freeze(out) };
}

function parseRequirement(
  e: unknown,
  at: string,
  bad: (reason: LabelSelectorError['reason'], at: string, detail: string, hint: string) => void,
): LabelSelectorRequirement | undefined {
  if (!isObject(e)) {
    bad('not-an-object', at, `a match expression must be an object, got ${typeName(e)}`, 'write {key, operator, values}');
    return undefined;
  }
  for (const k of Object.keys(e)) {
    if (!REQUIREMENT_FIELDS.has(k)) bad('unknown-field', `${at}.${k}`, `unknown field "${k}"`, 'a match expression has only key, operator and values');
  }
  let ok = true;
  if (typeof e.key !== 'string') {
    bad('wrong-type', `${at}.key`, e.key === undefined || e.key === null ? 'key is required' : `key must be a string, got ${typeName(e.key)}`, 'set key to a label key');
    ok = false;
  } else {
    const kp = labelKeyProblem(e.key);
    if (kp) {
      bad('bad-key', `${at}.key`, kp, 'use a valid label key such as app or example.com/zone');
      ok = false;
    }
  }
  if (typeof e.operator !== 'string' || !(LABEL_SELECTOR_OPERATORS as readonly string[]).includes(e.operator)) {
    bad('bad-operator', `${at}.operator`, `unsupported operator ${JSON.stringify(e.operator ?? null)}`, 'use In, NotIn, Exists or DoesNotExist');
    return undefined;
  }
  const operator = e.operator as LabelSelectorOperator;
  let values: string[] = [];
  if (e.values !== undefined && e.values !== null) {
    if (!Array.isArray(e.values) || !e.values.every((v) => typeof v === 'string')) {
      bad('wrong-type', `${at}.values`, 'values must be a list of strings', 'write values as a list of label values');
      return undefined;
    }
    values = e.values as string[];
  }
  const needsValues = operator === 'In' || operator === 'NotIn';
  if (needsValues && values.length === 0) {
    bad('values-required', `${at}.values`, `operator ${operator} needs at least one value`, 'add values, or use Exists/DoesNotExist');
    ok = false;
  }
  if (!needsValues && values.length > 0) {
    bad('values-forbidden', `${at}.values`, `operator ${operator} takes no values`, 'remove values, or use In/NotIn');
    ok = false;
  }
  values.forEach((v, j) => {
    const vp = labelValueProblem(v);
    if (vp) {
      bad('bad-value', `${at}.values[${j}]`, vp, 'use a valid label value');
      ok = false;
    }
  });
  if (!ok) return undefined;
  const r: { key: string; operator: LabelSelectorOperator; values?: readonly string[] } = { key: e.key as string, operator };
  if (e.values !== undefined && e.values !== null) r.values = Object.freeze([...values]);
  return Object.freeze(r);
}

/** Whether `value` is a valid label selector ({@link parseLabelSelector} succeeds). */
export function isLabelSelector(value: unknown): value is LabelSelector {
  return parseLabelSelector(value).ok;
}
