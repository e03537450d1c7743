/**
 * The one label-selector matcher of metallb-ts, with Kubernetes semantics
 * (`metav1.LabelSelectorAsSelector` then `Selector.Matches`).
 */
import { parseLabelSelector } from './parse.js';
import type { LabelSelector, Labels } from './types.js';

// Selectors are immutable values (the types are readonly): validity is computed once per object.
const wellFormed = new WeakMap<object, boolean>();

function isWellFormed(selector: LabelSelector): boolean {
  if (typeof selector !== 'object') return false;
  let ok = wellFormed.get(selector);
  if (ok === undefined) {
    ok = parseLabelSelector(selector).ok;
    wellFormed.set(selector, ok);
  }
  return ok;
}

/**
 * Whether `labels` satisfy `selector`, as Kubernetes decides:
 * - every `matchLabels` entry and every `matchExpressions` requirement must hold;
 * - `In`: the key is present with one of the values; `NotIn`: the key is absent, or its value
 *   is none of the values; `Exists` / `DoesNotExist`: the key is present / absent;
 * - the empty selector `{}` matches everything (`labels.Everything()`);
 * - an absent selector (`undefined`/`null`, Go's nil) matches **nothing** (`labels.Nothing()`);
 * - a malformed selector (one `parseLabelSelector` refuses: `In` without values, `Exists` with
 *   values, an unknown operator, a bad key or value) matches nothing: `LabelSelectorAsSelector`
 *   fails on it, and Kubernetes controllers then select no object.
 *
 * Only own properties of `labels` count (`toString` is not a label). Absent labels are `{}`.
 */
export function selectorMatches(selector: LabelSelector | null | undefined, labels: Labels | null | undefined): boolean {
  if (selector === undefined || selector === null || !isWellFormed(selector)) return false;
  const l = labels ?? {};
  for (const k in selector.matchLabels) {
    if (!Object.hasOwn(selector.matchLabels, k)) continue;
    if (!Object.hasOwn(l, k) || l[k] !== selector.matchLabels[k]) return false;
  }
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !r.values!.includes(l[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && r.values!.includes(l[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * Whether `labels` match at least one selector of the list (a list of selectors is ORed). The
 * empty list matches nothing. For MetalLB's "empty list = no restriction" fields use
 * {@link selectorListAllows}.
 */
export function anySelectorMatches(selectors: readonly LabelSelector[], labels: Labels | null | undefined): boolean {
  return selectors.some((s) => selectorMatches(s, labels));
}

/**
 * MetalLB's rule for selector-list fields such as `nodeSelectors` and `serviceSelectors`: an
 * absent or empty list is no restriction (allows every object), otherwise any selector must
 * match ({@link anySelectorMatches}).
 */
export function selectorListAllows(selectors: readonly LabelSelector[] | null | undefined, labels: Labels | null | undefined): boolean {
  return selectors === undefined || selectors === null || selectors.length === 0 || anySelectorMatches(selectors, labels);
}
