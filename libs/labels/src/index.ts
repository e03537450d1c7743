/**
 * @packageDocumentation
 * `@metallb-ts/labels`: Kubernetes label selectors, written once for every metallb-ts library.
 *
 * - {@link LabelSelector}: the `metav1.LabelSelector` type (the only one in the workspace);
 * - {@link parseLabelSelector}: strict parsing of untrusted JSON, problems returned as values;
 * - {@link selectorMatches}, {@link anySelectorMatches}, {@link selectorListAllows}: the one
 *   matcher, with Kubernetes semantics (`{}` = everything, absent = nothing);
 * - {@link parseSelectorText}, {@link formatRequirements}, {@link formatLabelSelector}: the text
 *   form of `?labelSelector=` (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), and canonical keys.
 */
export { EVERYTHING, LABEL_SELECTOR_OPERATORS, type Labels, type LabelSelector, type LabelSelectorOperator, type LabelSelectorRequirement } from './types.js';
export { labelKeyProblem, labelValueProblem, LABEL_VALUE_MAX_LENGTH, LABEL_PREFIX_MAX_LENGTH } from './syntax.js';
export { LabelSelectorError, type LabelSelectorErrorReason } from './error.js';
export { parseLabelSelector, isLabelSelector, type LabelSelectorResult } from './parse.js';
export { selectorMatches, anySelectorMatches, selectorListAllows } from './match.js';
export {
  labelSelectorRequirements,
  normalizeRequirements,
  requirementMatches,
  requirementsMatch,
  formatRequirements,
  formatLabelSelector,
  parseInt64,
  type Requirement,
  type RequirementOperator,
} from './requirement.js';
export { parseSelectorText, type SelectorTextResult } from './text.js';
