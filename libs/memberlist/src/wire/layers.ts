import type { Rng } from '@metallb-ts/clock';
import type { Keyring } from '../security/keyring.js';
import { MAX_STREAM_BYTES, MsgType } from './constants.js';
import { crc32 } from './crc32.js';
import { DecodeError, NeedMoreError } from './errors.js';
import { lzwCompress, lzwDecompress } from './lzw.js';
import {
  decodeCompound,
  decodeCompressWrapper,
  decodeMessage,
  decodeStreamMessage,
  encodeCompressWrapper,
  encodeStreamMessage,
  type PacketMessage,
  type StreamMessage,
} from './messages.js';

/*
 * The layers around a message (memberlist-wire.md §2, §9, §10, §12): compression, CRC,
 * encryption and label for UDP packets; label, encryption and compression for TCP streams.
 */

/** Security settings shared by packets and streams. */
export interface WireSecurity {
  /** Cluster label ('' = none; MetalLB sets none). At most 255 bytes. */
  readonly label: string;
  /** Installed keys; undefined = no encryption. */
  readonly keyring?: Keyring | undefined;
  /** Refuse plaintext input when a keyring is set (`GossipVerifyIncoming`). */
  readonly verifyIncoming: boolean;
  /** Encrypt output when a keyring is set (`GossipVerifyOutgoing`). */
  readonly verifyOutgoing: boolean;
  /** Accept unlabelled input and assume our label for the AAD (`SkipInboundLabelCheck`). */
  readonly skipInboundLabelCheck?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function labelHeader(label: string): Uint8Array {
  if (label === '') return new Uint8Array(0);
  const b = enc.encode(label);
  if (b.length > 255) throw new RangeError('a label is at most 255 bytes');
  const out = new Uint8Array(2 + b.length);
  out[0] = MsgType.hasLabel;
  out[1] = b.length;
  out.set(b, 2);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Options of {@link sealPacket}. */
export interface SealPacketOptions extends WireSecurity {
  /** LZW-compress when that makes the message strictly shorter (`EnableCompression`). */
  readonly compress: boolean;
  /** Add the CRC layer (destination PMax ≥ 5). */
  readonly crc: boolean;
  /** Source of nonces. */
  readonly rng: Rng;
}

/** Wraps one message (or compound) for UDP: compress?, CRC?, encrypt?, label?. */
export function sealPacket(msg: Uint8Array, o: SealPacketOptions): Uint8Array {
  let buf = msg;
  if (o.compress) {
    const c = encodeCompressWrapper(lzwCompress(msg));
    if (c.length < msg.length) buf = c;
  }
  if (o.crc) {
    const out = new Uint8Array(5 + buf.length);
    out[0] = MsgType.hasCrc;
    new DataView(out.buffer).setUint32(1, crc32(buf));
    out.set(buf, 5);
    buf = out;
  }
  if (o.keyring && o.verifyOutgoing) buf = o.keyring.encrypt(buf, enc.encode(o.label), o.rng);
  return o.label === '' ? buf : concat(labelHeader(o.label), buf);
}

/**
 * Peels label, encryption and CRC off a received UDP datagram and returns the message bytes
 * (which may still be a compound or compress). Throws {@link DecodeError} to drop it.
 */
export function openPacket(buf: Uint8Array, o: WireSecurity): Uint8Array {
  let off = 0;
  let label = '';
  if (buf.length > 0 && buf[0] === MsgType.hasLabel) {
    if (buf.length < 2) throw new DecodeError('truncated', 1, 'label header truncated');
    const n = buf[1]!;
    if (n === 0) throw new DecodeError('bad-label', 1, 'empty label');
    if (buf.length < 2 + n) throw new DecodeError('truncated', 2, 'label truncated');
    label = dec.decode(buf.subarray(2, 2 + n));
    off = 2 + n;
  }
  if (label !== o.label) {
    if (!(label === '' && o.skipInboundLabelCheck)) {
      throw new DecodeError('bad-label', 0, `label "${label}" does not match ours "${o.label}"`);
    }
  }
  let body = buf.subarray(off);
  if (o.keyring) {
    try {
      body = o.keyring.decrypt(body, enc.encode(o.label));
    } catch (e) {
      if (o.verifyIncoming) throw e;
      // Rolling encryption in: accept plaintext when not verifying.
    }
  }
  if (body.length >= 5 && body[0] === MsgType.hasCrc) {
    const want = new DataView(body.buffer, body.byteOffset, body.length).getUint32(1);
    const rest = body.subarray(5);
    if (crc32(rest) !== want) throw new DecodeError('bad-crc', 1, 'CRC mismatch');
    body = rest;
  }
  if (body.length === 0) throw new DecodeError('truncated', off, 'empty packet');
  return body;
}

/** Result of {@link flattenPacket}: decoded messages plus the errors of parts that failed. */
export interface Flattened {
  readonly messages: PacketMessage[];
  readonly errors: DecodeError[];
}

const MAX_NESTING = 4;

/**
 * Decodes message bytes into plain messages, unwrapping compound and compress at any nesting
 * (Go sends compress(compound(...))). A bad compound part does not spoil its siblings.
 */
export function flattenPacket(buf: Uint8Array, depth = 0, into: Flattened = { messages: [], errors: [] }): Flattened {
  try {
    if (depth > MAX_NESTING) throw new DecodeError('too-deep', 0, 'compound/compress nested too deep');
    const t = buf[0];
    if (t === MsgType.compound) {
      const { parts, truncated } = decodeCompound(buf);
      for (const p of parts) flattenPacket(p, depth + 1, into);
      if (truncated > 0) into.errors.push(new DecodeError('truncated', buf.length, `${truncated} compound part(s) truncated`));
    } else if (t === MsgType.compress) {
      const { lzw, consumed } = decodeCompressWrapper(buf);
      if (consumed !== buf.length) throw new DecodeError('trailing-bytes', consumed, 'bytes after the compress message');
      const plain = lzwDecompress(lzw);
      if (plain.length === 0) throw new DecodeError('bad-compression', 0, 'decompressed to nothing');
      flattenPacket(plain, depth + 1, into);
    } else {
      into.messages.push(decodeMessage(buf));
    }
  } catch (e) {
    if (e instanceof DecodeError) into.errors.push(e);
    else throw e;
  }
  return into;
}

/** Options of {@link sealStream}. */
export interface SealStreamOptions extends WireSecurity {
  /** LZW-compress every stream message (`EnableCompression`), even if that grows it. */
  readonly compress: boolean;
  /** The connection initiator writes the label header; the responder does not. */
  readonly initiator: boolean;
  readonly rng: Rng;
}

/** Frames one stream message: `[label][0x0a L blob | 0x09 compress | message]`. */
export function sealStream(msg: StreamMessage, o: SealStreamOptions): Uint8Array {
  let buf = encodeStreamMessage(msg);
  if (o.compress) buf = encodeCompressWrapper(lzwCompress(buf));
  if (o.keyring && o.verifyOutgoing) {
    // The blob length is known before encrypting: 1 + 12 + len + 16 (version 1).
    const len = 29 + buf.length;
    const header = new Uint8Array(5);
    header[0] = MsgType.encrypt;
    new DataView(header.buffer).setUint32(1, len);
    const blob = o.keyring.encrypt(buf, concat(header, enc.encode(o.label)), o.rng);
    buf = concat(header, blob);
  }
  return o.initiator ? concat(labelHeader(o.label), buf) : buf;
}

/** Options of {@link openStream}. */
export interface OpenStreamOptions extends WireSecurity {
  /** True on the responder side: the request may begin with a label header. */
  readonly expectLabel: boolean;
}

/**
 * Reads one stream message from the bytes received so far. Returns `null` when more bytes are
 * needed, the message and the bytes consumed when complete, and throws {@link DecodeError}
 * when the stream can never become valid.
 */
export function openStream(buf: Uint8Array, o: OpenStreamOptions): { message: StreamMessage; consumed: number } | null {
  let off = 0;
  if (o.expectLabel) {
    if (buf.length === 0) return null;
    let label = '';
    if (buf[0] === MsgType.hasLabel) {
      if (buf.length < 2) return null;
      const n = buf[1]!;
      if (n === 0) throw new DecodeError('bad-label', 1, 'empty label');
      if (buf.length < 2 + n) return null;
      label = dec.decode(buf.subarray(2, 2 + n));
      off = 2 + n;
    }
    if (label !== o.label && !(label === '' && o.skipInboundLabelCheck)) {
      throw new DecodeError('bad-label', 0, `label "${label}" does not match ours "${o.label}"`);
    }
  }
  if (buf.length <= off) return null;
  const t = buf[off]!;
  if (t === MsgType.encrypt) {
    if (!o.keyring) throw new DecodeError('unexpected-encryption', off, 'remote state is encrypted and encryption is not configured');
    if (buf.length < off + 5) return null;
    const len = new DataView(buf.buffer, buf.byteOffset + off + 1, 4).getUint32(0);
    if (len > MAX_STREAM_BYTES) throw new DecodeError('too-large', off + 1, `encrypted stream of ${len} bytes`);
    if (buf.length < off + 5 + len) return null;
    const aad = concat(buf.subarray(off, off + 5), enc.encode(o.label));
    const plain = o.keyring.decrypt(buf.subarray(off + 5, off + 5 + len), aad);
    const r = openPlainStream(plain, false);
    if (r === null) throw new DecodeError('truncated', plain.length, 'encrypted stream message is incomplete');
    return { message: r.message, consumed: off + 5 + len };
  }
  if (o.keyring && o.verifyIncoming) {
    throw new DecodeError('not-encrypted', off, 'encryption is configured but the remote stream is not encrypted');
  }
  const r = openPlainStream(buf.subarray(off), true);
  return r === null ? null : { message: r.message, consumed: off + r.consumed };
}

function openPlainStream(buf: Uint8Array, streaming: boolean): { message: StreamMessage; consumed: number } | null {
  if (buf.length === 0) return null;
  if (buf[0] === MsgType.compress) {
    let w: { lzw: Uint8Array; consumed: number };
    try {
      w = decodeCompressWrapper(buf, streaming);
    } catch (e) {
      if (e instanceof NeedMoreError) return null;
      throw e;
    }
    const plain = lzwDecompress(w.lzw);
    const r = decodeStreamMessage(plain);
    if (r === null) throw new DecodeError('truncated', plain.length, 'compressed stream message is incomplete');
    return { message: r.message, consumed: w.consumed };
  }
  return decodeStreamMessage(buf);
}
