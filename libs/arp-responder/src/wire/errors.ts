import { CodecDecodeError } from '@metallb-ts/errors';

/** Why a frame could not be decoded. A closed set, so callers can count drops by reason. */
export type DecodeReason =
  /** The bytes end before a field or a declared length. */
  | 'truncated'
  /** A well-formed frame of a kind this library does not decode (other EtherType, IPv6 extension headers, other ICMPv6 types). */
  | 'unsupported'
  /** IPv6 version field is not 6. */
  | 'bad-version'
  /** A declared length contradicts the data (IPv6 payload shorter than the ICMPv6 message, …). */
  | 'bad-length'
  /** A Neighbor Discovery option has length 0 or runs past the message (RFC 4861 §4.6). */
  | 'bad-option-length'
  /** The ICMPv6 checksum does not match the pseudo-header and message (RFC 4443 §2.3). */
  | 'bad-checksum';

/** The former name of {@link DecodeReason}. @deprecated use {@link DecodeReason}. */
export type DecodeErrorCode = DecodeReason;

/**
 * The one error every decoder throws: the shared codec error shape of `@metallb-ts/errors`.
 * `reason` is from {@link DecodeReason}; `offset` is the byte offset, from the start of the
 * buffer given to the decoder, of the field that was wrong or missing; `detail` says what.
 */
export class DecodeError extends CodecDecodeError<DecodeReason> {
  override readonly name = 'DecodeError';

  constructor(reason: DecodeReason, offset: number, detail: string) {
    super(reason, offset, detail, 'ARP/NDP decode');
  }

  /** The former name of {@link CodecDecodeError.reason}. @deprecated use `reason`. */
  get code(): DecodeReason {
    return this.reason;
  }
}

/**
 * Thrown by encoders for a message that cannot be put on the wire (a field out of range).
 * Messages produced by the decoders always encode.
 */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';

  constructor(
    /** Dotted path of the offending field, e.g. `body.message.options[0].data`. */
    readonly field: string,
    /** What is wrong with it. */
    readonly reason: string,
  ) {
    super(`cannot encode frame: ${field} ${reason}`);
  }
}
