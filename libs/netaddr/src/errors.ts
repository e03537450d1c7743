/**
 * Raised (or returned, by the `*Result` parsers) when text is not a valid address, CIDR,
 * range or MAC. The message names the bad input and says what is wrong with it.
 */
export class AddrParseError extends Error {
  override readonly name = 'AddrParseError';

  constructor(
    /** The text that failed to parse, as given. */
    readonly input: string,
    /** What is wrong with it, without the input. */
    readonly reason: string,
  ) {
    super(`invalid address "${input}": ${reason}`);
  }
}
