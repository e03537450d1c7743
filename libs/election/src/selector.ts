/** A Kubernetes-style label map (`metadata.labels`), as plain data. */
export type Labels = Readonly<Record<string, string>>;

/** One `matchExpressions` element of a label selector. */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  /** Required (non-empty) for `In`/`NotIn`, must be empty for `Exists`/`DoesNotExist`. */
  readonly values?: readonly string[];
}

/**
 * A label selector with the semantics of `metav1.LabelSelector`, as plain data: `matchLabels` and
 * `matchExpressions` are ANDed; an empty selector `{}` matches everything.
 *
 * Structurally compatible with the Kubernetes object, so callers can pass a parsed
 * `spec.nodeSelectors[i]` unchanged; no Kubernetes type is imported.
 */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/**
 * Whether `labels` satisfy `selector` (metav1 semantics). `NotIn` matches when the key is absent,
 * like Kubernetes. Never throws: a malformed requirement (unknown operator, empty `values` for
 * `In`/`NotIn`, non-empty `values` for `Exists`/`DoesNotExist`) selects nothing, since
 * `metav1.LabelSelectorAsSelector` refuses such selectors and MetalLB's config validation
 * rejects them before they reach the election.
 */
export function selectorMatches(selector: LabelSelector, labels: Labels | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(l, k) || l[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (values.length === 0 || !has || !values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (values.length === 0) return false;
        if (has && values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (values.length > 0 || !has) return false;
        break;
      case 'DoesNotExist':
        if (values.length > 0 || has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/**
 * MetalLB's "list of selectors" rule: an empty list means "no restriction" (matches), otherwise
 * the object matches when any selector matches.
 */
export function anySelectorMatches(selectors: readonly LabelSelector[] | undefined, labels: Labels | undefined): boolean {
  if (!selectors || selectors.length === 0) return true;
  return selectors.some((s) => selectorMatches(s, labels));
}
