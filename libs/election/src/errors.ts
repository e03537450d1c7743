/**
 * Thrown when an election input is malformed (an unparsable IP, an empty node name, a score that
 * is not a finite number, a duplicate placement key …). Ordinary refusals ("this node does not
 * announce") are never errors: they are values with a reason.
 */
export class ElectionInputError extends Error {
  override readonly name = 'ElectionInputError';
  constructor(
    /** Which input is wrong, e.g. `"ip"`, `"nodes[2]"`, `"scores.node-a"`. */
    readonly field: string,
    /** What is wrong with it and what to change. */
    readonly reason: string,
  ) {
    super(`invalid election input ${field}: ${reason}`);
  }
}
