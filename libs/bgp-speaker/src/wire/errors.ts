import { ErrCode } from './constants.js';

/** A byte sequence that is not a well-formed value; `offset` is where decoding stopped. */
export class DecodeError extends Error {
  override name = 'DecodeError';
  constructor(
    /** Byte offset (within the decoded buffer) where the problem was found. */
    readonly offset: number,
    /** Human-readable reason. */
    readonly reason: string,
  ) {
    super(`decode error at byte ${offset}: ${reason}`);
  }
}

/**
 * How a receiver handles a malformed message (RFC 7606 §2):
 * - `session-reset`: send the NOTIFICATION and drop the session;
 * - `treat-as-withdraw`: keep the session, treat every NLRI of the UPDATE as withdrawn;
 * - `attribute-discard`: keep the session, drop just the bad attribute.
 */
export type ErrorHandling = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

/**
 * A BGP decode error that carries the NOTIFICATION to send (`code`, `subcode`, `data`) and the
 * RFC 7606 handling. The FSM turns a `session-reset` error into that NOTIFICATION directly.
 */
export class BgpDecodeError extends DecodeError {
  override name = 'BgpDecodeError';
  constructor(
    offset: number,
    reason: string,
    /** NOTIFICATION error code ({@link ErrCode}). */
    readonly code: number,
    /** NOTIFICATION error subcode. */
    readonly subcode: number,
    /** NOTIFICATION data. */
    readonly data: Uint8Array = new Uint8Array(0),
    /** RFC 7606 handling. */
    readonly handling: ErrorHandling = 'session-reset',
  ) {
    super(offset, reason);
    this.message = `BGP decode error at byte ${offset} (${code}/${subcode}, ${handling}): ${reason}`;
  }
}

/** Names of the NOTIFICATION error codes, for logs. */
export function errorCodeName(code: number): string {
  for (const [k, v] of Object.entries(ErrCode)) if (v === code) return k.toLowerCase().replaceAll('_', '-');
  return `code-${code}`;
}
