import { DecodeError, NeedMoreError } from './errors.js';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/*
 * The subset of msgpack that hashicorp/memberlist uses, written the way Go's go-msgpack
 * `MsgpackHandle{}` writes it (memberlist-wire.md §4): maps with sorted keys, strings and
 * []byte both in the "str" family (fixstr, str16, str32; never str8 or bin), nil as 0xc0,
 * unsigned ints in the shortest unsigned form and positive signed ints > 127 as int16/32/64
 * (go-msgpack/v2). The decoder is lenient: every int width, str8 and bin, arrays for Vsn.
 */

/** A decoded msgpack value. Strings and binaries both decode to bytes (Go does not tell them apart). */
export type MpValue = null | boolean | number | Uint8Array | MpValue[] | Map<string, MpValue>;

/** Appends msgpack items to a growable buffer. */
export class MpWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.len++] = b;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  private be(v: number, n: number): void {
    this.ensure(n);
    for (let i = n - 1; i >= 0; i--) {
      this.buf[this.len + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.len += n;
  }

  /** A map header for `n` entries (fixmap; all memberlist structs have ≤ 15 fields). */
  mapHeader(n: number): this {
    if (n < 16) return this.byte(0x80 | n);
    this.byte(0xde);
    this.be(n, 2);
    return this;
  }

  /** A str-family item (Go `string` and `[]byte`); `null` writes nil (0xc0). */
  str(v: Uint8Array | string | null): this {
    if (v === null) return this.byte(0xc0);
    const b = typeof v === 'string' ? utf8Encoder.encode(v) : v;
    const n = b.length;
    if (n < 32) this.byte(0xa0 | n);
    else if (n < 65536) {
      this.byte(0xda);
      this.be(n, 2);
    } else {
      this.byte(0xdb);
      this.be(n, 4);
    }
    return this.raw(b);
  }

  /** An unsigned Go integer (uint8/16/32), shortest unsigned form. */
  uint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`not a uint32: ${v}`);
    if (v <= 0x7f) return this.byte(v);
    if (v <= 0xff) return this.byte(0xcc).byte(v);
    if (v <= 0xffff) {
      this.byte(0xcd);
      this.be(v, 2);
      return this;
    }
    this.byte(0xce);
    this.be(v, 4);
    return this;
  }

  /** A signed Go `int` the way go-msgpack/v2 writes it (memberlist ≥ 0.5.1). Non-negative only. */
  int(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a non-negative int: ${v}`);
    if (v <= 0x7f) return this.byte(v);
    if (v <= 0x7fff) {
      this.byte(0xd1);
      this.be(v, 2);
      return this;
    }
    if (v <= 0x7fffffff) {
      this.byte(0xd2);
      this.be(v, 4);
      return this;
    }
    this.byte(0xd3);
    this.be(v, 8);
    return this;
  }

  bool(v: boolean): this {
    return this.byte(v ? 0xc3 : 0xc2);
  }

  /** The bytes written so far (a copy). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Nesting limit for the generic decoder (memberlist structs are flat; Vsn may be an array). */
const MAX_DEPTH = 8;

/**
 * Reads msgpack items from `buf` starting at `pos`. Running past the end throws
 * {@link NeedMoreError} when `streaming`, otherwise a `truncated` {@link DecodeError}.
 */
export class MpReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly streaming = false,
  ) {
    this.pos = pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      if (this.streaming) throw new NeedMoreError(this.buf.length);
      throw new DecodeError('truncated', this.buf.length, `need ${n} more byte(s) at ${this.pos}`);
    }
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private beU(n: number): number {
    this.need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this.buf[this.pos + i]!;
    this.pos += n;
    return v;
  }

  private beS(n: number): number {
    const v = this.beU(n);
    const half = 2 ** (8 * n - 1);
    return v >= half ? v - 2 * half : v;
  }

  private bytesOf(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Decodes one item of any type. */
  value(depth = 0): MpValue {
    if (depth > MAX_DEPTH) throw new DecodeError('too-deep', this.pos, 'msgpack nesting too deep');
    const at = this.pos;
    const t = this.u8();
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 256;
    if ((t & 0xf0) === 0x80) return this.mapBody(t & 0x0f, depth);
    if ((t & 0xf0) === 0x90) return this.arrBody(t & 0x0f, depth);
    if ((t & 0xe0) === 0xa0) return this.bytesOf(t & 0x1f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xd9:
        return this.bytesOf(this.beU(1));
      case 0xc5:
      case 0xda:
        return this.bytesOf(this.beU(2));
      case 0xc6:
      case 0xdb:
        return this.bytesOf(this.beU(4));
      case 0xcc:
        return this.beU(1);
      case 0xcd:
        return this.beU(2);
      case 0xce:
        return this.beU(4);
      case 0xcf:
        return this.beU(8);
      case 0xd0:
        return this.beS(1);
      case 0xd1:
        return this.beS(2);
      case 0xd2:
        return this.beS(4);
      case 0xd3:
        return this.beS(8);
      case 0xca:
        this.need(4);
        this.pos += 4;
        return Number.NaN;
      case 0xcb:
        this.need(8);
        this.pos += 8;
        return Number.NaN;
      case 0xdc:
        return this.arrBody(this.beU(2), depth);
      case 0xdd:
        return this.arrBody(this.beU(4), depth);
      case 0xde:
        return this.mapBody(this.beU(2), depth);
      case 0xdf:
        return this.mapBody(this.beU(4), depth);
      default:
        throw new DecodeError('bad-msgpack', at, `unsupported msgpack type byte 0x${t.toString(16)}`);
    }
  }

  private arrBody(n: number, depth: number): MpValue[] {
    // Every item takes at least one byte: refuse impossible counts before allocating.
    this.need(Math.min(n, 1 << 20));
    const out: MpValue[] = [];
    for (let i = 0; i < n; i++) out.push(this.value(depth + 1));
    return out;
  }

  private mapBody(n: number, depth: number): Map<string, MpValue> {
    this.need(Math.min(2 * n, 1 << 20));
    const m = new Map<string, MpValue>();
    for (let i = 0; i < n; i++) {
      const at = this.pos;
      const k = this.value(depth + 1);
      if (!(k instanceof Uint8Array)) throw new DecodeError('bad-msgpack', at, 'map key is not a string');
      m.set(latin1(k), this.value(depth + 1));
    }
    return m;
  }

  /** Decodes one item that must be a map (a Go struct). */
  struct(): Map<string, MpValue> {
    const at = this.pos;
    const v = this.value();
    if (!(v instanceof Map)) throw new DecodeError('bad-msgpack', at, 'expected a msgpack map (Go struct)');
    return v;
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/* Field accessors with Go's zero-value semantics: a missing key is the zero value. */

/** A Go `[]byte` field: nil/missing → `null`, str/bin → bytes; an int array is accepted (Vsn). */
export function fBytes(m: Map<string, MpValue>, key: string, at: number): Uint8Array | null {
  const v = m.get(key);
  if (v === undefined || v === null) return null;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 255)) {
    return Uint8Array.from(v as number[]);
  }
  throw new DecodeError('bad-field', at, `field ${key} is not bytes`);
}

/** A Go `string` field (UTF-8), nil/missing → ''. */
export function fString(m: Map<string, MpValue>, key: string, at: number): string {
  const b = fBytes(m, key, at);
  return b === null ? '' : utf8Decoder.decode(b);
}

/** An unsigned Go integer field of `bits` width; missing → 0. */
export function fUint(m: Map<string, MpValue>, key: string, at: number, bits: 8 | 16 | 32): number {
  const v = m.get(key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** bits) {
    throw new DecodeError('bad-field', at, `field ${key} is not a uint${bits}`);
  }
  return v;
}

/** A signed Go `int` field that must be non-negative and ≤ `max`; missing → 0. */
export function fInt(m: Map<string, MpValue>, key: string, at: number, max: number): number {
  const v = m.get(key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new DecodeError('bad-field', at, `field ${key} is not an int in [0, ${max}]`);
  }
  return v;
}

/** A Go `bool` field; missing → false. */
export function fBool(m: Map<string, MpValue>, key: string, at: number): boolean {
  const v = m.get(key);
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new DecodeError('bad-field', at, `field ${key} is not a bool`);
  return v;
}
