/** Why a label selector (object or text form) was refused: a closed union, for counting and tests. */
export type LabelSelectorErrorReason =
  /** The selector, or one of its `matchExpressions`, is not a JSON object. */
  | 'not-an-object'
  /** A field other than the ones metav1 defines (often a typo such as `matchLabel`). */
  | 'unknown-field'
  /** A field of the wrong JSON type, or a required field missing. */
  | 'wrong-type'
  /** A label key that is not a qualified name (`[prefix/]name`). */
  | 'bad-key'
  /** A label value that is not a valid label value. */
  | 'bad-value'
  /** An operator other than In, NotIn, Exists, DoesNotExist (text form: also Gt, Lt). */
  | 'bad-operator'
  /** `In`/`NotIn` without any value (text form: `Gt`/`Lt` need exactly one). */
  | 'values-required'
  /** `Exists`/`DoesNotExist` with values. */
  | 'values-forbidden'
  /** `Gt`/`Lt` with a value that is not a 64-bit integer (text form only). */
  | 'not-an-integer'
  /** The text form does not parse (`a in b`, `a=b,`, `=x`). */
  | 'syntax';

/**
 * One problem of a label selector, returned as a value by `parseLabelSelector` and
 * `parseSelectorText` (never thrown by them). It is an `Error` so callers that must throw can;
 * stack capture is off, as for decode errors: refusals are data.
 */
export class LabelSelectorError extends Error {
  override readonly name = 'LabelSelectorError';
  /** The category, from a closed union. */
  readonly reason: LabelSelectorErrorReason;
  /** Field path of the offending part, e.g. `spec.nodeSelectors[0].matchExpressions[1].values`. */
  readonly path: string;
  /** What is wrong, without the path. */
  readonly detail: string;
  /** What to change. */
  readonly hint: string;

  constructor(reason: LabelSelectorErrorReason, path: string, detail: string, hint: string) {
    const lim = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${path}: ${detail}; ${hint}`);
    Error.stackTraceLimit = lim;
    this.reason = reason;
    this.path = path;
    this.detail = detail;
    this.hint = hint;
  }
}
