import { MAX_DECOMPRESSED_BYTES } from './constants.js';
import { DecodeError } from './errors.js';

/*
 * LZW exactly as Go's compress/lzw with LSB order and literal width 8 (memberlist-wire.md §7):
 * codes 0..255 literals, 256 clear, 257 end; width 9..12 bits packed LSB-first; the encoder
 * writes a leading clear code and emits a clear when the next slot reaches 4095.
 */

const CLEAR = 256;
const EOF_CODE = 257;
const MAX_WIDTH = 12;
// Scratch tables of the decoder, reused across calls (decoding is synchronous, never re-entered).
const PREFIX = new Uint16Array(1 << MAX_WIDTH);
const SUFFIX = new Uint8Array(1 << MAX_WIDTH);
const STACK = new Uint8Array(1 << MAX_WIDTH);

/** Compresses `input` byte for byte as Go 1.17+ `lzw.NewWriter(w, lzw.LSB, 8)` does. */
export function lzwCompress(input: Uint8Array): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let nBits = 0;
  let width = 9;
  let hi = EOF_CODE;
  let overflow = 1 << width;
  const table = new Map<number, number>();
  const put = (c: number) => {
    bits |= c << nBits;
    nBits += width;
    while (nBits >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
  };
  // Advances the next free slot; returns false when the code space was reset by a clear code.
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === (1 << MAX_WIDTH) - 1) {
      put(CLEAR);
      width = 9;
      hi = EOF_CODE;
      overflow = 1 << width;
      table.clear();
      return false;
    }
    return true;
  };
  put(CLEAR);
  if (input.length > 0) {
    let code = input[0]!;
    for (let i = 1; i < input.length; i++) {
      const b = input[i]!;
      const key = (code << 8) | b;
      const t = table.get(key);
      if (t !== undefined) {
        code = t;
        continue;
      }
      put(code);
      code = b;
      if (incHi()) table.set(key, hi);
    }
    put(code);
    incHi();
  }
  put(EOF_CODE);
  if (nBits > 0) out.push(bits & 0xff);
  return Uint8Array.from(out);
}

/**
 * Decompresses Go LZW (LSB, 8). Accepts streams with or without a leading clear code. Throws a
 * `bad-compression` {@link DecodeError} on an invalid code or a missing end code, and
 * `too-large` past `limit` output bytes.
 */
export function lzwDecompress(input: Uint8Array, limit = MAX_DECOMPRESSED_BYTES): Uint8Array {
  let width = 9;
  let hi = EOF_CODE;
  let overflow = 1 << width;
  let last = -1;
  let bits = 0;
  let nBits = 0;
  let p = 0;
  const prefix = PREFIX;
  const suffix = SUFFIX;
  let out = new Uint8Array(Math.min(limit, Math.max(64, input.length * 4)));
  let n = 0;
  const stack = STACK;
  const emit = (b: number) => {
    if (n >= out.length) {
      if (n >= limit) throw new DecodeError('too-large', p, `decompressed data exceeds ${limit} bytes`);
      const grown = new Uint8Array(Math.min(limit, out.length * 2));
      grown.set(out);
      out = grown;
    }
    out[n++] = b;
  };
  for (;;) {
    while (nBits < width) {
      if (p >= input.length) throw new DecodeError('bad-compression', p, 'LZW stream ends without the end code');
      bits |= input[p++]! << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;
    if (code === CLEAR) {
      width = 9;
      hi = EOF_CODE;
      overflow = 1 << width;
      last = -1;
      continue;
    }
    if (code === EOF_CODE) break;
    if (code < CLEAR) {
      emit(code);
      if (last !== -1) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code <= hi) {
      if (last === -1 && code >= hi) throw new DecodeError('bad-compression', p, `LZW code ${code} before any literal`);
      let sp = 0;
      let c = code;
      if (code === hi) {
        // KwKwK: the code being defined right now; its last byte is the first byte of `last`.
        let h = last;
        while (h >= CLEAR) h = prefix[h]!;
        stack[sp++] = h;
        c = last;
      }
      while (c >= CLEAR) {
        stack[sp++] = suffix[c]!;
        c = prefix[c]!;
      }
      stack[sp++] = c;
      for (let i = sp - 1; i >= 0; i--) emit(stack[i]!);
      if (last !== -1) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new DecodeError('bad-compression', p, `invalid LZW code ${code}`);
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = -1;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
  return out.slice(0, n);
}
