import { assertNever } from '@metallb-ts/errors';
import { ErrCode, HeaderSubcode, MsgType, Wire } from './constants.js';
import { BgpDecodeError } from './errors.js';
import { decodeOpen, encodeOpenBody } from './open.js';
import { ByteReader, ByteWriter, plain } from './reader.js';
import type { BgpMessage, CodecContext, Notification, RouteRefresh } from './types.js';
import { decodeUpdate, encodeUpdateBody } from './update.js';

/** A decoded message plus the non-fatal RFC 7606 issues (UPDATE only). */
export interface DecodedMessage {
  message: BgpMessage;
  issues: BgpDecodeError[];
}

const MIN_LEN: Readonly<Record<number, number>> = {
  [MsgType.OPEN]: Wire.OPEN_MIN_LEN,
  [MsgType.UPDATE]: Wire.UPDATE_MIN_LEN,
  [MsgType.NOTIFICATION]: Wire.NOTIFICATION_MIN_LEN,
  [MsgType.KEEPALIVE]: Wire.KEEPALIVE_LEN,
  [MsgType.ROUTE_REFRESH]: Wire.ROUTE_REFRESH_LEN,
};

/**
 * Checks a message header (RFC 4271 §6.1) and returns the declared length and type.
 * @throws {BgpDecodeError} 1/1 (marker), 1/2 (length, data = the length), 1/3 (type, data = the type).
 */
export function checkHeader(buf: Uint8Array, at = 0): { length: number; type: number } {
  for (let i = 0; i < Wire.MARKER_LEN; i++) {
    if (buf[at + i] !== 0xff) throw new BgpDecodeError('bad-marker', at + i, 'marker is not all ones', { code: ErrCode.MESSAGE_HEADER, subcode: HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED });
  }
  const length = (buf[at + 16]! << 8) | buf[at + 17]!;
  const type = buf[at + 18]!;
  const min = MIN_LEN[type];
  if (min === undefined) throw new BgpDecodeError('bad-type', at + 18, `unknown message type ${type}`, { code: ErrCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_TYPE, data: Uint8Array.of(type) });
  if (length < min || length > Wire.MAX_MESSAGE_LEN || (type === MsgType.KEEPALIVE && length !== Wire.KEEPALIVE_LEN)) {
    throw new BgpDecodeError('bad-length', at + 16, `bad length ${length} for message type ${type}`, { code: ErrCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH, data: Uint8Array.of(length >> 8, length & 0xff) });
  }
  return { length, type };
}

/** A body shorter than its fixed fields: 1/2 with the declared length (RFC 4271 §6.1). */
const headerLengthError = (length: number) => (offset: number, detail: string) =>
  new BgpDecodeError('truncated', offset, detail, { code: ErrCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH, data: Uint8Array.of(length >> 8, length & 0xff) });

/**
 * Decodes one whole message (header included).
 * @throws {BgpDecodeError} carrying the NOTIFICATION to send; never any other error type.
 */
export function decodeMessage(input: Uint8Array, ctx: CodecContext): DecodedMessage {
  // A Node Buffer's slice() is a view, not a copy: decode from a plain Uint8Array view so every
  // value we keep (capability bytes, unknown attributes) is a real, detached Uint8Array.
  const frame = plain(input);
  if (frame.length < Wire.HEADER_LEN) throw new BgpDecodeError('truncated', frame.length, `${frame.length} bytes are shorter than a header`, { code: ErrCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH, data: Uint8Array.of(frame.length >> 8, frame.length & 0xff) });
  const { length, type } = checkHeader(frame);
  if (length !== frame.length) {
    throw new BgpDecodeError('bad-length', 16, `header says ${length} bytes, frame has ${frame.length}`, { code: ErrCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_LENGTH, data: Uint8Array.of(length >> 8, length & 0xff) });
  }
  const body = frame.subarray(Wire.HEADER_LEN);
  switch (type) {
    case MsgType.OPEN:
      return { message: decodeOpen(body, Wire.HEADER_LEN), issues: [] };
    case MsgType.UPDATE: {
      const { update, issues } = decodeUpdate(body, ctx, Wire.HEADER_LEN);
      return { message: update, issues };
    }
    case MsgType.NOTIFICATION: {
      const r = new ByteReader(body, 0, body.length, Wire.HEADER_LEN, headerLengthError(length));
      return { message: { type: 'notification', code: r.u8(), subcode: r.u8(), data: r.bytes(r.remaining).slice() }, issues: [] };
    }
    case MsgType.KEEPALIVE:
      return { message: { type: 'keepalive' }, issues: [] };
    case MsgType.ROUTE_REFRESH: {
      const r = new ByteReader(body, 0, body.length, Wire.HEADER_LEN, headerLengthError(length));
      if (body.length !== 4) {
        // RFC 7313 §5: ROUTE-REFRESH Message Error, Invalid Message Length, data = the message.
        throw new BgpDecodeError('bad-length', Wire.HEADER_LEN, `ROUTE-REFRESH body of ${body.length} bytes`, { code: ErrCode.ROUTE_REFRESH, subcode: 1, data: frame.slice() });
      }
      const afi = r.u16();
      const subtype = r.u8();
      return { message: { type: 'route-refresh', afi, subtype, safi: r.u8() }, issues: [] };
    }
    default:
      throw new BgpDecodeError('bad-type', 18, `unknown message type ${type}`, { code: ErrCode.MESSAGE_HEADER, subcode: HeaderSubcode.BAD_MESSAGE_TYPE, data: Uint8Array.of(type) });
  }
}

function frameOf(type: number, body: Uint8Array): Uint8Array {
  const len = Wire.HEADER_LEN + body.length;
  if (len > Wire.MAX_MESSAGE_LEN) throw new RangeError(`message of ${len} bytes exceeds ${Wire.MAX_MESSAGE_LEN}`);
  const out = new Uint8Array(len);
  out.fill(0xff, 0, Wire.MARKER_LEN);
  out[16] = len >> 8;
  out[17] = len & 0xff;
  out[18] = type;
  out.set(body, Wire.HEADER_LEN);
  return out;
}

/**
 * Encodes one whole message. Never mutates `m`.
 * @throws {RangeError} when the message cannot be represented (too long, 4-octet ASN in a
 *   2-octet session, IPv6 in a classic field).
 */
export function encodeMessage(m: BgpMessage, ctx: CodecContext): Uint8Array {
  switch (m.type) {
    case 'open':
      return frameOf(MsgType.OPEN, encodeOpenBody(m));
    case 'update':
      return frameOf(MsgType.UPDATE, encodeUpdateBody(m, ctx));
    case 'notification':
      return frameOf(MsgType.NOTIFICATION, new ByteWriter(2 + m.data.length).u8(m.code).u8(m.subcode).bytes(m.data).finish());
    case 'keepalive':
      return frameOf(MsgType.KEEPALIVE, new Uint8Array(0));
    case 'route-refresh':
      return frameOf(MsgType.ROUTE_REFRESH, new ByteWriter(4).u16(m.afi).u8(m.subtype).u8(m.safi).finish());
    default:
      return assertNever(m, 'BGP message type');
  }
}

/** A NOTIFICATION built from a decode error (RFC 7606: only for `session-reset`). */
export function notificationFor(e: BgpDecodeError): Notification {
  return { type: 'notification', code: e.code, subcode: e.subcode, data: e.data };
}

/** A ROUTE-REFRESH request for a family (RFC 2918). */
export function routeRefresh(afi: number, safi: number): RouteRefresh {
  return { type: 'route-refresh', afi, safi, subtype: 0 };
}

/**
 * Splits a TCP byte stream into whole BGP messages. `push` returns the complete frames
 * (copies) and keeps the rest; a bad header throws a {@link BgpDecodeError} (the stream is then
 * unusable: RFC 4271 §6.1 says drop the session). Never throws to say "need more bytes".
 */
export class Framer {
  private pending: Uint8Array = new Uint8Array(0);

  /** Bytes waiting for the rest of their message. */
  get buffered(): number {
    return this.pending.length;
  }

  push(input: Uint8Array): Uint8Array[] {
    const chunk = plain(input);
    let buf: Uint8Array;
    if (this.pending.length === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
    }
    const frames: Uint8Array[] = [];
    let at = 0;
    while (buf.length - at >= Wire.HEADER_LEN) {
      const { length } = checkHeader(buf, at);
      if (buf.length - at < length) break;
      frames.push(buf.slice(at, at + length));
      at += length;
    }
    this.pending = buf.slice(at);
    return frames;
  }
}

/** Pure form of the framer: the complete frames in `buf` and the leftover bytes. */
export function splitFrames(buf: Uint8Array): { frames: Uint8Array[]; rest: Uint8Array } {
  const f = new Framer();
  const frames = f.push(buf);
  return { frames, rest: buf.subarray(buf.length - f.buffered) };
}
