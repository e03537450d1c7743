import { CodecDecodeError } from '@metallb-ts/errors';
import { ErrCode } from './constants.js';

/**
 * Why BGP bytes could not be decoded or an OPEN was refused: a closed union (count drops and
 * resets by it), one member per problem the decoders detect. The NOTIFICATION each maps to is
 * on {@link BgpDecodeError} (`code`/`subcode`).
 */
export type DecodeReason =
  /** A field, or the length it declares, runs past the bytes available (header, body, parameter, attribute area, prefix). */
  | 'truncated'
  /** The 16-byte header marker is not all ones (1/1). */
  | 'bad-marker'
  /** A declared length is impossible: the header length (1/2), a ROUTE-REFRESH body (7/1), the OPEN optional parameters length (2/0). */
  | 'bad-length'
  /** Unknown message type (1/3). */
  | 'bad-type'
  /** OPEN version other than 4 (2/1). */
  | 'bad-version'
  /** The peer's ASN is not the one configured (2/2). */
  | 'bad-peer-as'
  /** BGP identifier 0, or ours on an iBGP session (2/3). */
  | 'bad-bgp-identifier'
  /** An OPEN optional parameter other than Capabilities (2/4). */
  | 'unsupported-parameter'
  /** Hold time 1 or 2 seconds (2/6). */
  | 'bad-hold-time'
  /** A known capability with the wrong length (2/0). */
  | 'bad-capability'
  /** The same path attribute twice (3/1). */
  | 'duplicate-attribute'
  /** A well-known attribute we do not know (3/2). */
  | 'unrecognized-attribute'
  /** ORIGIN, AS_PATH or NEXT_HOP missing where required (3/3). */
  | 'missing-attribute'
  /** Optional/Transitive flags that contradict the attribute type (3/4). */
  | 'bad-attribute-flags'
  /** An attribute value of the wrong length (3/5). */
  | 'bad-attribute-length'
  /** ORIGIN value above 2 (3/6). */
  | 'bad-origin'
  /** An MP_REACH_NLRI next hop of an impossible length (3/9). */
  | 'bad-next-hop'
  /** MP_REACH/MP_UNREACH_NLRI of a family we cannot parse (3/9). */
  | 'unsupported-family'
  /** A prefix length beyond the family's width (3/10). */
  | 'bad-prefix'
  /** A malformed AS_PATH or AS4_PATH segment (3/11). */
  | 'bad-as-path';

/**
 * A byte sequence that is not a well-formed BGP value: the shared codec error shape of
 * `@metallb-ts/errors` (`reason` from {@link DecodeReason}, `offset` where decoding stopped,
 * `detail`). The decoders throw its subclass {@link BgpDecodeError}.
 */
export class DecodeError extends CodecDecodeError<DecodeReason> {
  override name = 'DecodeError';
  constructor(reason: DecodeReason, offset: number, detail: string) {
    super(reason, offset, detail, 'BGP decode');
  }
}

/**
 * How a receiver handles a malformed message (RFC 7606 §2):
 * - `session-reset`: send the NOTIFICATION and drop the session;
 * - `treat-as-withdraw`: keep the session, treat every NLRI of the UPDATE as withdrawn;
 * - `attribute-discard`: keep the session, drop just the bad attribute.
 */
export type ErrorHandling = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

/** The NOTIFICATION a {@link BgpDecodeError} asks for, and its RFC 7606 handling. */
export interface NotificationSpec {
  /** NOTIFICATION error code ({@link ErrCode}). */
  code: number;
  /** NOTIFICATION error subcode. */
  subcode: number;
  /** NOTIFICATION data. @default empty */
  data?: Uint8Array;
  /** RFC 7606 handling. @default 'session-reset' */
  handling?: ErrorHandling;
}

/**
 * A BGP decode error that carries the NOTIFICATION to send (`code`, `subcode`, `data`) and the
 * RFC 7606 handling. The FSM turns a `session-reset` error into that NOTIFICATION directly.
 */
export class BgpDecodeError extends DecodeError {
  override name = 'BgpDecodeError';
  /** NOTIFICATION error code ({@link ErrCode}). */
  readonly code: number;
  /** NOTIFICATION error subcode. */
  readonly subcode: number;
  /** NOTIFICATION data. */
  readonly data: Uint8Array;
  /** RFC 7606 handling. */
  readonly handling: ErrorHandling;

  constructor(reason: DecodeReason, offset: number, detail: string, notification: NotificationSpec) {
    super(reason, offset, detail);
    this.code = notification.code;
    this.subcode = notification.subcode;
    this.data = notification.data ?? new Uint8Array(0);
    this.handling = notification.handling ?? 'session-reset';
    this.message = `BGP decode error at byte ${offset}: ${detail} (${reason}; NOTIFICATION ${this.code}/${this.subcode}, ${this.handling})`;
  }
}

/** Names of the NOTIFICATION error codes, for logs. */
export function errorCodeName(code: number): string {
  for (const [k, v] of Object.entries(ErrCode)) if (v === code) return k.toLowerCase().replaceAll('_', '-');
  return `code-${code}`;
}
