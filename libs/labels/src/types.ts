/**
 * The metav1 label-selector types as plain data (`k8s.io/apimachinery/pkg/apis/meta/v1`), with
 * no Kubernetes client imported. These are the only `LabelSelector` declarations in the
 * workspace (lint forbids others): every library takes and returns these.
 */

/** A label map (`metadata.labels`), as plain data. */
export type Labels = Readonly<Record<string, string>>;

/** The operators of `metav1.LabelSelectorRequirement`. */
export type LabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** The operators, as a list (in declaration order). */
export const LABEL_SELECTOR_OPERATORS: readonly LabelSelectorOperator[] = Object.freeze(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** One `matchExpressions` element of a label selector (`metav1.LabelSelectorRequirement`). */
export interface LabelSelectorRequirement {
  /** Label key: a qualified name, optionally with a DNS-subdomain prefix (`example.com/zone`). */
  readonly key: string;
  /**
   * `In`/`NotIn` compare the label value with `values` (`NotIn` also matches an absent key);
   * `Exists`/`DoesNotExist` test the key only.
   */
  readonly operator: LabelSelectorOperator;
  /** At least one value for `In`/`NotIn`; none (absent or empty) for `Exists`/`DoesNotExist`. */
  readonly values?: readonly string[];
}

/**
 * A label selector with the semantics of `metav1.LabelSelector`: every `matchLabels` entry and
 * every `matchExpressions` requirement must hold. The empty selector `{}` matches everything; an
 * absent (nil) selector matches nothing (see `selectorMatches`).
 *
 * Structurally the Kubernetes object, so a decoded `spec.nodeSelectors[i]` passes unchanged.
 */
export interface LabelSelector {
  /** Every entry must be present with exactly this value (same as `In` with one value). */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Every requirement must hold. */
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}

/** The selector that matches everything, `{}` (frozen). */
export const EVERYTHING: LabelSelector = Object.freeze({});
