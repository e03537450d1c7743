import { assertNever } from '@metallb-ts/errors';
import { LZW_ALGO, MAX_PUSH_NODES, MAX_STREAM_BYTES, MsgType } from './constants.js';
import { DecodeError } from './errors.js';
import { ipFromBytes, ipToBytes } from './ip.js';
import { MpReader, MpWriter, fBool, fBytes, fInt, fString, fUint, type MpValue } from './msgpack.js';

/*
 * The memberlist message bodies (memberlist-wire.md §5, §12), as plain readonly data.
 * Encoders write the Go field names in sorted order, exactly as the Go codec does; decoders
 * accept any key order, skip unknown keys and treat missing keys as Go zero values.
 */

/** `ping` (0x00): a probe. Empty `source*` fields are omitted on the wire (omitempty). */
export interface Ping {
  readonly type: 'ping';
  readonly seqNo: number;
  /** Name of the node we intend to ping ('' = any). */
  readonly node: string;
  /** Where to send the ack ('' = the UDP source address). */
  readonly sourceAddr: string;
  readonly sourcePort: number;
  readonly sourceNode: string;
}

/** `indirectPingReq` (0x01): ask an intermediary to probe `target`. */
export interface IndirectPing {
  readonly type: 'indirect-ping';
  readonly seqNo: number;
  readonly target: string;
  readonly port: number;
  readonly node: string;
  /** Ask for a nack when the target does not answer (intermediary PMax ≥ 4). */
  readonly nack: boolean;
  readonly sourceAddr: string;
  readonly sourcePort: number;
  readonly sourceNode: string;
}

/** `ackResp` (0x02). `payload` null is sent as msgpack nil, as Go does. */
export interface Ack {
  readonly type: 'ack';
  readonly seqNo: number;
  readonly payload: Uint8Array | null;
}

/** `nackResp` (0x0b). */
export interface Nack {
  readonly type: 'nack';
  readonly seqNo: number;
}

/** `suspect` (0x03): `from` suspects `node` at `incarnation`. */
export interface Suspect {
  readonly type: 'suspect';
  readonly incarnation: number;
  readonly node: string;
  readonly from: string;
}

/** `alive` (0x04): join announcement, refutation and metadata update. */
export interface Alive {
  readonly type: 'alive';
  readonly incarnation: number;
  readonly node: string;
  readonly addr: string;
  readonly port: number;
  /** Delegate metadata (≤ 512 bytes); null is written as nil, an empty array as ''. */
  readonly meta: Uint8Array | null;
  /** `[PMin, PMax, PCur, DMin, DMax, DCur]`, written as a 6-byte string. */
  readonly vsn: Uint8Array;
}

/** `dead` (0x05). `from === node` means the node left on purpose. */
export interface Dead {
  readonly type: 'dead';
  readonly incarnation: number;
  readonly node: string;
  readonly from: string;
}

/** `userMsg` (0x08) over UDP: opaque payload, no msgpack. */
export interface UserMsg {
  readonly type: 'user';
  readonly payload: Uint8Array;
}

/** `errResp` (0x0d): a stream server could not read the request. */
export interface ErrResp {
  readonly type: 'err';
  readonly error: string;
}

/** One entry of a push/pull node table (`pushNodeState`). */
export interface PushNodeState {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  readonly meta: Uint8Array | null;
  readonly incarnation: number;
  /** 0 alive, 1 suspect, 2 dead, 3 left ({@link NodeStateCode}). */
  readonly state: number;
  readonly vsn: Uint8Array;
}

/** `pushPullMsg` (0x06, streams only): full state exchange. */
export interface PushPull {
  readonly type: 'push-pull';
  readonly join: boolean;
  readonly nodes: readonly PushNodeState[];
  /** Raw delegate state (`UserStateLen` bytes). */
  readonly userState: Uint8Array;
}

/** Messages that travel alone in a UDP packet (after unwrapping compound/compress). */
export type PacketMessage = Ping | IndirectPing | Ack | Nack | Suspect | Alive | Dead | UserMsg | ErrResp;

/** Messages of a TCP stream (after unwrapping encryption/compress). */
export type StreamMessage = PushPull | Ping | Ack | UserMsg | ErrResp;

/** Any memberlist message we model. */
export type Message = PacketMessage | PushPull;

/* ------------------------------------------------------------------ encode */

function putSource(w: MpWriter, m: { sourceAddr: string; sourcePort: number; sourceNode: string }): void {
  if (m.sourceAddr !== '') w.str('SourceAddr').str(ipToBytes(m.sourceAddr));
  if (m.sourceNode !== '') w.str('SourceNode').str(m.sourceNode);
  if (m.sourcePort !== 0) w.str('SourcePort').uint(m.sourcePort);
}

function sourceCount(m: { sourceAddr: string; sourcePort: number; sourceNode: string }): number {
  return (m.sourceAddr !== '' ? 1 : 0) + (m.sourceNode !== '' ? 1 : 0) + (m.sourcePort !== 0 ? 1 : 0);
}

function writeAliveLike(w: MpWriter, nameKey: 'Node' | 'Name', m: Alive | PushNodeState, state?: number): void {
  const name = 'node' in m ? m.node : m.name;
  w.mapHeader(state === undefined ? 6 : 7);
  w.str('Addr').str(ipToBytes(m.addr));
  w.str('Incarnation').uint(m.incarnation);
  w.str('Meta').str(m.meta);
  w.str(nameKey).str(name);
  w.str('Port').uint(m.port);
  if (state !== undefined) w.str('State').int(state);
  w.str('Vsn').str(m.vsn);
}

/** Writes the msgpack body (no type byte) of a struct message. */
function writeBody(w: MpWriter, m: Exclude<Message, UserMsg | PushPull>): void {
  switch (m.type) {
    case 'ping':
      w.mapHeader(2 + sourceCount(m));
      w.str('Node').str(m.node);
      w.str('SeqNo').uint(m.seqNo);
      putSource(w, m);
      return;
    case 'indirect-ping':
      w.mapHeader(5 + sourceCount(m));
      w.str('Nack').bool(m.nack);
      w.str('Node').str(m.node);
      w.str('Port').uint(m.port);
      w.str('SeqNo').uint(m.seqNo);
      putSource(w, m);
      w.str('Target').str(ipToBytes(m.target));
      return;
    case 'ack':
      w.mapHeader(2).str('Payload').str(m.payload).str('SeqNo').uint(m.seqNo);
      return;
    case 'nack':
      w.mapHeader(1).str('SeqNo').uint(m.seqNo);
      return;
    case 'suspect':
    case 'dead':
      w.mapHeader(3).str('From').str(m.from).str('Incarnation').uint(m.incarnation).str('Node').str(m.node);
      return;
    case 'alive':
      writeAliveLike(w, 'Node', m);
      return;
    case 'err':
      w.mapHeader(1).str('Error').str(m.error);
      return;
    default:
      assertNever(m, 'memberlist struct message type');
  }
}

const TYPE_BYTE: Record<Message['type'], number> = {
  ping: MsgType.ping,
  'indirect-ping': MsgType.indirectPing,
  ack: MsgType.ack,
  nack: MsgType.nack,
  suspect: MsgType.suspect,
  alive: MsgType.alive,
  dead: MsgType.dead,
  user: MsgType.user,
  err: MsgType.err,
  'push-pull': MsgType.pushPull,
};

/**
 * Encodes a message as it goes inside a UDP packet: type byte + body. A user message is the
 * type byte + raw payload. Never mutates `m`.
 */
export function encodeMessage(m: PacketMessage): Uint8Array {
  const w = new MpWriter().byte(TYPE_BYTE[m.type]);
  if (m.type === 'user') return w.raw(m.payload).bytes();
  writeBody(w, m);
  return w.bytes();
}

/**
 * Encodes a message as it goes on a TCP stream (before compression/encryption): push/pull with
 * its header, node states and user state; user messages with their `userMsgHeader`.
 */
export function encodeStreamMessage(m: StreamMessage): Uint8Array {
  const w = new MpWriter().byte(TYPE_BYTE[m.type]);
  if (m.type === 'push-pull') {
    w.mapHeader(3).str('Join').bool(m.join).str('Nodes').int(m.nodes.length).str('UserStateLen').int(m.userState.length);
    for (const n of m.nodes) writeAliveLike(w, 'Name', n, n.state);
    return w.raw(m.userState).bytes();
  }
  if (m.type === 'user') {
    w.mapHeader(1).str('UserMsgLen').int(m.payload.length);
    return w.raw(m.payload).bytes();
  }
  writeBody(w, m);
  return w.bytes();
}

/** Wraps parts in a compound message (`[0x07][n][n × u16 len][parts]`), at most 255 parts. */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > 255) throw new RangeError('a compound holds at most 255 parts');
  let total = 2 + 2 * parts.length;
  for (const p of parts) {
    if (p.length > 0xffff) throw new RangeError('a compound part is limited to 65535 bytes');
    total += p.length;
  }
  const out = new Uint8Array(total);
  out[0] = MsgType.compound;
  out[1] = parts.length;
  let off = 2;
  for (const p of parts) {
    out[off++] = p.length >> 8;
    out[off++] = p.length & 0xff;
  }
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Encodes a compress wrapper `[0x09]{Algo: 0, Buf}` around already LZW-compressed bytes. */
export function encodeCompressWrapper(lzw: Uint8Array): Uint8Array {
  return new MpWriter().byte(MsgType.compress).mapHeader(2).str('Algo').uint(LZW_ALGO).str('Buf').str(lzw).bytes();
}

/* ------------------------------------------------------------------ decode */

function source(m: Map<string, MpValue>, at: number) {
  return {
    sourceAddr: ipFromBytes(fBytes(m, 'SourceAddr', at), 'SourceAddr', at),
    sourcePort: fUint(m, 'SourcePort', at, 16),
    sourceNode: fString(m, 'SourceNode', at),
  };
}

function vsnOf(m: Map<string, MpValue>, at: number): Uint8Array {
  return fBytes(m, 'Vsn', at) ?? new Uint8Array(0);
}

function decodeNodeState(m: Map<string, MpValue>, at: number): PushNodeState {
  return {
    name: fString(m, 'Name', at),
    addr: ipFromBytes(fBytes(m, 'Addr', at), 'Addr', at),
    port: fUint(m, 'Port', at, 16),
    meta: copyOrNull(fBytes(m, 'Meta', at)),
    incarnation: fUint(m, 'Incarnation', at, 32),
    state: fInt(m, 'State', at, 0x7fffffff),
    vsn: vsnOf(m, at).slice(),
  };
}

function copyOrNull(b: Uint8Array | null): Uint8Array | null {
  return b === null ? null : b.slice();
}

/** Decodes the body of a struct message whose type byte was `type`. */
function decodeBody(type: number, r: MpReader): Exclude<PacketMessage, UserMsg> {
  const at = r.pos;
  const m = r.struct();
  switch (type) {
    case MsgType.ping:
      return { type: 'ping', seqNo: fUint(m, 'SeqNo', at, 32), node: fString(m, 'Node', at), ...source(m, at) };
    case MsgType.indirectPing:
      return {
        type: 'indirect-ping',
        seqNo: fUint(m, 'SeqNo', at, 32),
        target: ipFromBytes(fBytes(m, 'Target', at), 'Target', at),
        port: fUint(m, 'Port', at, 16),
        node: fString(m, 'Node', at),
        nack: fBool(m, 'Nack', at),
        ...source(m, at),
      };
    case MsgType.ack:
      return { type: 'ack', seqNo: fUint(m, 'SeqNo', at, 32), payload: copyOrNull(fBytes(m, 'Payload', at)) };
    case MsgType.nack:
      return { type: 'nack', seqNo: fUint(m, 'SeqNo', at, 32) };
    case MsgType.suspect:
    case MsgType.dead:
      return {
        type: type === MsgType.suspect ? 'suspect' : 'dead',
        incarnation: fUint(m, 'Incarnation', at, 32),
        node: fString(m, 'Node', at),
        from: fString(m, 'From', at),
      };
    case MsgType.alive:
      return {
        type: 'alive',
        incarnation: fUint(m, 'Incarnation', at, 32),
        node: fString(m, 'Node', at),
        addr: ipFromBytes(fBytes(m, 'Addr', at), 'Addr', at),
        port: fUint(m, 'Port', at, 16),
        meta: copyOrNull(fBytes(m, 'Meta', at)),
        vsn: vsnOf(m, at).slice(),
      };
    case MsgType.err:
      return { type: 'err', error: fString(m, 'Error', at) };
    default:
      throw new DecodeError('unknown-type', 0, `message type ${type} has no struct body`);
  }
}

/**
 * Decodes one plain packet message (type byte + body). Compound, compress, CRC and encryption
 * are layers handled by `packet.ts`; this throws `unknown-type` for them.
 * Trailing bytes after the body are an error: Go's decoder would ignore them, but no Go sender
 * writes any, so they mark a corrupted packet.
 */
export function decodeMessage(buf: Uint8Array): PacketMessage {
  if (buf.length < 1) throw new DecodeError('truncated', 0, 'empty message');
  const t = buf[0]!;
  if (t === MsgType.user) return { type: 'user', payload: buf.slice(1) };
  if (!STRUCT_TYPES.has(t)) throw new DecodeError('unknown-type', 0, `unknown or misplaced message type ${t}`);
  const r = new MpReader(buf, 1);
  const msg = decodeBody(t, r);
  if (r.pos !== buf.length) throw new DecodeError('trailing-bytes', r.pos, `${buf.length - r.pos} byte(s) after the body`);
  return msg;
}

const STRUCT_TYPES = new Set<number>([
  MsgType.ping,
  MsgType.indirectPing,
  MsgType.ack,
  MsgType.nack,
  MsgType.suspect,
  MsgType.alive,
  MsgType.dead,
  MsgType.err,
]);

/**
 * Decodes a compound message into its parts (each a full message starting with its type byte).
 * Like Go, parts whose declared length runs past the buffer are dropped and reported in
 * `truncated`; the parts before them are still returned.
 */
export function decodeCompound(buf: Uint8Array): { parts: Uint8Array[]; truncated: number } {
  if (buf.length < 2 || buf[0] !== MsgType.compound) throw new DecodeError('truncated', 0, 'compound header missing');
  const n = buf[1]!;
  if (buf.length < 2 + 2 * n) throw new DecodeError('truncated', 2, `compound of ${n} parts has no room for its lengths`);
  const parts: Uint8Array[] = [];
  let off = 2 + 2 * n;
  for (let i = 0; i < n; i++) {
    const len = (buf[2 + 2 * i]! << 8) | buf[3 + 2 * i]!;
    if (off + len > buf.length) return { parts, truncated: n - i };
    parts.push(buf.subarray(off, off + len));
    off += len;
  }
  return { parts, truncated: 0 };
}

/** Decodes `[0x09]{Algo, Buf}` and returns the LZW bytes; `Algo` other than 0 is an error. */
export function decodeCompressWrapper(buf: Uint8Array, streaming = false): { lzw: Uint8Array; consumed: number } {
  if (buf.length < 1 || buf[0] !== MsgType.compress) throw new DecodeError('bad-compression', 0, 'not a compress message');
  const r = new MpReader(buf, 1, streaming);
  const at = r.pos;
  const m = r.struct();
  const algo = fUint(m, 'Algo', at, 8);
  if (algo !== LZW_ALGO) throw new DecodeError('bad-compression', at, `unknown compression algorithm ${algo}`);
  const lzw = fBytes(m, 'Buf', at);
  if (lzw === null || lzw.length === 0) throw new DecodeError('bad-compression', at, 'empty compressed buffer');
  return { lzw, consumed: r.pos };
}

/**
 * Decodes one stream message from the (decrypted, decompressed) buffer. Returns `null` when
 * more bytes are needed; throws {@link DecodeError} when the bytes can never be valid.
 */
export function decodeStreamMessage(buf: Uint8Array): { message: StreamMessage; consumed: number } | null {
  if (buf.length < 1) return null;
  const t = buf[0]!;
  const r = new MpReader(buf, 1, true);
  try {
    switch (t) {
      case MsgType.pushPull: {
        const at = r.pos;
        const h = r.struct();
        const n = fInt(h, 'Nodes', at, MAX_PUSH_NODES);
        const userLen = fInt(h, 'UserStateLen', at, MAX_STREAM_BYTES);
        const join = fBool(h, 'Join', at);
        const nodes: PushNodeState[] = [];
        for (let i = 0; i < n; i++) {
          const p = r.pos;
          nodes.push(decodeNodeState(r.struct(), p));
        }
        if (r.pos + userLen > buf.length) return null;
        const userState = buf.slice(r.pos, r.pos + userLen);
        return { message: { type: 'push-pull', join, nodes, userState }, consumed: r.pos + userLen };
      }
      case MsgType.user: {
        const at = r.pos;
        const h = r.struct();
        const len = fInt(h, 'UserMsgLen', at, MAX_STREAM_BYTES);
        if (r.pos + len > buf.length) return null;
        return { message: { type: 'user', payload: buf.slice(r.pos, r.pos + len) }, consumed: r.pos + len };
      }
      case MsgType.ping:
      case MsgType.ack:
      case MsgType.err: {
        const msg = decodeBody(t, r) as Ping | Ack | ErrResp;
        return { message: msg, consumed: r.pos };
      }
      default:
        throw new DecodeError('unknown-type', 0, `unexpected stream message type ${t}`);
    }
  } catch (e) {
    if (e instanceof Error && e.name === 'NeedMoreError') return null;
    throw e;
  }
}
