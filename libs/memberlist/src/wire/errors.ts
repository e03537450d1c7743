/**
 * Why a packet or stream could not be decoded. A closed union so that drops can be counted by
 * reason in a metric.
 */
export type DecodeReason =
  | 'truncated'
  | 'trailing-bytes'
  | 'bad-msgpack'
  | 'bad-field'
  | 'unknown-type'
  | 'too-large'
  | 'bad-crc'
  | 'bad-compression'
  | 'bad-label'
  | 'decrypt-failed'
  | 'not-encrypted'
  | 'unexpected-encryption'
  | 'too-deep';

/**
 * Base of the decode errors: constructed with V8 stack capture off, because decode errors are
 * data (reason + offset) and a flood of garbage packets should not pay for a stack trace each.
 */
class DecodeErrorBase extends Error {
  constructor(message: string) {
    const lim = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = lim;
  }
}

/** A malformed packet or stream: carries the byte offset where decoding stopped and a reason. */
export class DecodeError extends DecodeErrorBase {
  override readonly name = 'DecodeError';
  constructor(
    /** Machine-readable category, used for the `drops{reason}` counter. */
    readonly reason: DecodeReason,
    /** Byte offset inside the buffer being decoded (the innermost layer). */
    readonly offset: number,
    detail: string,
  ) {
    super(`memberlist decode error (${reason}) at offset ${offset}: ${detail}`);
  }
}

/** Internal: a stream decoder ran out of bytes; callers of stream framers get `null` instead. */
export class NeedMoreError extends DecodeErrorBase {
  override readonly name = 'NeedMoreError';
  constructor(readonly offset: number) {
    super(`need more bytes at offset ${offset}`);
  }
}
