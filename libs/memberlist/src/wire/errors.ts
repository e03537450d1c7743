import { CodecDecodeError } from '@metallb-ts/errors';

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
 * Stack capture off, as in {@link CodecDecodeError}: "need more bytes" is control flow on the
 * stream path and must not pay for a stack trace.
 */
class NoStackError extends Error {
  constructor(message: string) {
    const lim = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = lim;
  }
}

/**
 * A malformed packet or stream: the shared codec error shape of `@metallb-ts/errors` —
 * `reason` from {@link DecodeReason} (the `drops{reason}` counter), `offset` inside the buffer
 * being decoded (the innermost layer) where decoding stopped, and `detail`. Stack capture is off.
 */
export class DecodeError extends CodecDecodeError<DecodeReason> {
  override readonly name = 'DecodeError';
  constructor(reason: DecodeReason, offset: number, detail: string) {
    super(reason, offset, detail, 'memberlist decode');
  }
}

/** Internal: a stream decoder ran out of bytes; callers of stream framers get `null` instead. */
export class NeedMoreError extends NoStackError {
  override readonly name = 'NeedMoreError';
  constructor(readonly offset: number) {
    super(`need more bytes at offset ${offset}`);
  }
}
