import { DecodeError } from './errors.js';

/**
 * A bounds-checked cursor over a byte slice. Every read past the end throws a `truncated`
 * {@link DecodeError} (or the error made by `fail`) with the absolute offset.
 */
export class ByteReader {
  private pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
    /** Absolute offset of `buf[0]` in the outer message, for error offsets. */
    readonly base = 0,
    /** Makes the error for a read past the end (reason `truncated`; the NOTIFICATION is the caller's). */
    private readonly fail: (offset: number, detail: string) => Error = (o, d) => new DecodeError('truncated', o, d),
  ) {
    this.pos = start;
  }

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.base + this.pos;
  }
  /** Bytes left. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) throw this.fail(this.offset, `truncated ${what}: need ${n} bytes, have ${this.end - this.pos}`);
  }
  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }
  u16(what = 'u16'): number {
    this.need(2, what);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  u32(what = 'u32'): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }
  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A sub-reader over the next `n` bytes, advancing this one past them. */
  sub(n: number, what = 'field', fail?: (offset: number, detail: string) => Error): ByteReader {
    this.need(n, what);
    const r = new ByteReader(this.buf, this.pos, this.pos + n, this.base, fail ?? this.fail);
    this.pos += n;
    return r;
  }
}

/** A growable byte writer used by the encoders. */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;
  constructor(initial = 64) {
    this.buf = new Uint8Array(initial);
  }
  get length(): number {
    return this.len;
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  /** Overwrites a 16-bit value at `at` (for lengths known only after the body). */
  patchU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }
  /** The written bytes (a copy sized exactly). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * The same bytes as a plain Uint8Array view. A Node Buffer's `slice()` returns a view, not a
 * copy, so decoders normalise their input to keep only detached copies of what they store.
 */
export function plain(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
