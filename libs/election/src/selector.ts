/**
 * Label selectors are `@metallb-ts/labels`' (the metav1 type, Kubernetes semantics), re-exported
 * so callers of the election need no second import. MetalLB's selector-list fields
 * (`nodeSelectors`, `serviceSelectors`) use {@link selectorListAllows}: empty or absent = no
 * restriction.
 */
export {
  selectorMatches,
  anySelectorMatches,
  selectorListAllows,
  type Labels,
  type LabelSelector,
  type LabelSelectorRequirement,
} from '@metallb-ts/labels';
