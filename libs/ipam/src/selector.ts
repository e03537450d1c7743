/**
 * Label selector matching for pools' `serviceSelectors`: the one matcher of `@metallb-ts/labels`
 * (Kubernetes semantics), under the names ipam has always exported.
 */
export {
  /** True when `labels` satisfy the selector (`{}` matches everything; a malformed selector nothing). */
  selectorMatches as matchesSelector,
  /** True when `labels` match at least one selector of the list (a list is ORed; `[]` matches nothing). */
  anySelectorMatches as matchesAny,
} from '@metallb-ts/labels';
