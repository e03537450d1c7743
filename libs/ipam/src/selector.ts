import type { LabelSelector } from './types.js';

/**
 * True when `labels` satisfy `selector`: every `matchLabels` entry and every `matchExpressions`
 * requirement (Kubernetes semantics; `NotIn` also matches when the key is absent). `{}` matches
 * everything.
 */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
  }
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, r.key);
    const values = r.values ?? [];
    switch (r.operator) {
      case 'In':
        if (!has || !values.includes(labels[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return assertNever(r.operator);
    }
  }
  return true;
}

/** True when `labels` match at least one selector of the list (a list is ORed). */
export function matchesAny(selectors: readonly LabelSelector[], labels: Readonly<Record<string, string>>): boolean {
  return selectors.some((s) => matchesSelector(s, labels));
}

/** Exhaustiveness check for switches over closed unions. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}
