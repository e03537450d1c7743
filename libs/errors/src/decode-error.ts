/**
 * The one shape of every codec's decode error across metallb-ts (ARP/NDP, BGP, memberlist):
 * a closed `reason` union of the codec's own (so drops can be counted by reason), the byte
 * `offset` where decoding stopped, and a human `detail` without the offset.
 *
 * Each codec library subclasses it with its own reason union and `name`, e.g.
 * `class DecodeError extends CodecDecodeError<DecodeReason>`. Stack capture is off: decode errors
 * are data, and a flood of garbage packets must not pay for a stack trace each.
 */
export class CodecDecodeError<R extends string = string> extends Error {
  override name = 'DecodeError';
  /** Machine-readable category from the codec's closed union. */
  readonly reason: R;
  /** Byte offset, from the start of the buffer given to the decoder, of the offending field. */
  readonly offset: number;
  /** What is wrong, without the offset. */
  readonly detail: string;

  constructor(reason: R, offset: number, detail: string, codec = 'decode') {
    const lim = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${codec} error at byte ${offset}: ${detail} (${reason})`);
    Error.stackTraceLimit = lim;
    this.reason = reason;
    this.offset = offset;
    this.detail = detail;
  }
}

/** True for any codec's decode error (whatever its library), for generic drop accounting. */
export function isCodecDecodeError(e: unknown): e is CodecDecodeError {
  return e instanceof CodecDecodeError;
}
