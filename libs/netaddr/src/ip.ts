import ipaddr from 'ipaddr.js';
import { AddrParseError } from './errors.js';

/** An IP address family, spelled as Kubernetes spells `spec.ipFamilies`. */
export type Family = 'IPv4' | 'IPv6';

/** Number of bits in an address of each family. */
export const FAMILY_BITS: Readonly<Record<Family, number>> = Object.freeze({ IPv4: 32, IPv6: 128 });

const MAX: Readonly<Record<Family, bigint>> = Object.freeze({
  IPv4: (1n << 32n) - 1n,
  IPv6: (1n << 128n) - 1n,
});

/** Largest address value of a family (all ones). */
export function maxValue(family: Family): bigint {
  return MAX[family];
}

const DECIMAL_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_CHARS = /^[0-9a-fA-F:.]+$/;

/**
 * An immutable IPv4 or IPv6 address backed by a `bigint`.
 *
 * Parsing is strict: IPv4 must be four decimal parts with no leading zeros (so `010.0.0.1`,
 * `0x0a.0.0.1` and `10.1` are refused instead of silently meaning something else), IPv6 must
 * not carry a zone (`fe80::1%eth0`). Output follows RFC 5952 (lower case, longest zero run
 * compressed, IPv4-mapped addresses with a dotted tail).
 */
export class IPAddress {
  private constructor(
    /** The address family. */
    readonly family: Family,
    /** The address as an unsigned integer (32 or 128 bits). */
    readonly value: bigint,
  ) {
    Object.freeze(this);
  }

  /**
   * Parses an address strictly.
   * @throws {AddrParseError} naming the input and what is wrong with it.
   */
  static parse(input: string): IPAddress {
    const r = IPAddress.parseResult(input);
    if (r instanceof AddrParseError) throw r;
    return r;
  }

  /** Like {@link IPAddress.parse} but returns `undefined` for bad input. */
  static tryParse(input: string): IPAddress | undefined {
    const r = IPAddress.parseResult(input);
    return r instanceof AddrParseError ? undefined : r;
  }

  /** Parses, returning the error instead of throwing it. */
  static parseResult(input: string): IPAddress | AddrParseError {
    if (typeof input !== 'string') return new AddrParseError(String(input), 'not a string');
    if (input.length === 0) return new AddrParseError(input, 'empty string');
    if (input !== input.trim()) return new AddrParseError(input, 'surrounding white space');
    if (input.includes(':')) return parseV6(input);
    return parseV4(input);
  }

  /** Builds an address from its integer value. @throws {RangeError} when out of range. */
  static fromBigInt(family: Family, value: bigint): IPAddress {
    if (value < 0n || value > MAX[family]) {
      throw new RangeError(`value ${value} is outside the ${family} address space`);
    }
    return new IPAddress(family, value);
  }

  /** Builds an address from 4 (IPv4) or 16 (IPv6) network-order bytes. */
  static fromBytes(bytes: Uint8Array): IPAddress {
    if (bytes.length !== 4 && bytes.length !== 16) {
      throw new RangeError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
    }
    let v = 0n;
    for (const b of bytes) v = (v << 8n) | BigInt(b);
    return new IPAddress(bytes.length === 4 ? 'IPv4' : 'IPv6', v);
  }

  /** Bit length of this address's family (32 or 128). */
  get bits(): number {
    return FAMILY_BITS[this.family];
  }

  /** True for IPv4. */
  get isV4(): boolean {
    return this.family === 'IPv4';
  }

  /** True for IPv6. */
  get isV6(): boolean {
    return this.family === 'IPv6';
  }

  /** Network-order bytes (4 or 16). */
  toBytes(): Uint8Array {
    const n = this.bits / 8;
    const out = new Uint8Array(n);
    let v = this.value;
    for (let i = n - 1; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  }

  /** True when both have the same family and value. */
  equals(other: IPAddress): boolean {
    return this.family === other.family && this.value === other.value;
  }

  /** Total order: IPv4 before IPv6, then by value. Returns -1, 0 or 1. */
  compare(other: IPAddress): -1 | 0 | 1 {
    if (this.family !== other.family) return this.family === 'IPv4' ? -1 : 1;
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0;
  }

  /** The address `n` after this one, or `undefined` past the end of the family's space. */
  add(n: bigint): IPAddress | undefined {
    const v = this.value + n;
    return v < 0n || v > MAX[this.family] ? undefined : new IPAddress(this.family, v);
  }

  /** The next address, or `undefined` after the last one. */
  next(): IPAddress | undefined {
    return this.add(1n);
  }

  /** The previous address, or `undefined` before the first one. */
  prev(): IPAddress | undefined {
    return this.add(-1n);
  }

  /** True for an IPv6 address in `::ffff:0:0/96`. */
  isIPv4Mapped(): boolean {
    return this.family === 'IPv6' && this.value >> 32n === 0xffffn;
  }

  /** RFC 5952 text form for IPv6, dotted decimal for IPv4. */
  toString(): string {
    return this.family === 'IPv4' ? formatV4(this.value) : formatV6(this.value);
  }

  /** JSON form is the text form. */
  toJSON(): string {
    return this.toString();
  }
}

function parseV4(input: string): IPAddress | AddrParseError {
  const parts = input.split('.');
  if (parts.length !== 4) {
    return new AddrParseError(input, `IPv4 needs four dot-separated decimal parts, found ${parts.length}`);
  }
  let v = 0n;
  for (const p of parts) {
    if (!DECIMAL_OCTET.test(p)) {
      const why = /^0[0-9]+$/.test(p)
        ? `part "${p}" has a leading zero (octal is ambiguous and not accepted)`
        : `part "${p}" is not a decimal number from 0 to 255`;
      return new AddrParseError(input, why);
    }
    const n = Number(p);
    if (n > 255) return new AddrParseError(input, `part "${p}" is greater than 255`);
    v = (v << 8n) | BigInt(n);
  }
  return IPAddress.fromBigInt('IPv4', v);
}

function parseV6(input: string): IPAddress | AddrParseError {
  if (input.includes('%')) {
    return new AddrParseError(input, 'IPv6 zone identifiers (%zone) are not accepted here');
  }
  if (!IPV6_CHARS.test(input)) return new AddrParseError(input, 'invalid character in IPv6 address');
  let text = input;
  if (input.includes('.')) {
    // An embedded IPv4 tail must itself be strict dotted decimal. It is turned into two hex
    // groups here: ipaddr.js reads `::a.b.c.d` as IPv4-mapped (`::ffff:a.b.c.d`), which is
    // wrong (RFC 4291 §2.2: the tail is just the low 32 bits; Go agrees).
    const cut = input.lastIndexOf(':') + 1;
    const t = parseV4(input.slice(cut));
    if (t instanceof AddrParseError) {
      return new AddrParseError(input, `embedded IPv4 part is invalid: ${t.reason}`);
    }
    text = `${input.slice(0, cut)}${(t.value >> 16n).toString(16)}:${(t.value & 0xffffn).toString(16)}`;
  }
  if (!ipaddr.IPv6.isValid(text)) return new AddrParseError(input, 'not a valid IPv6 address');
  let parsed: ipaddr.IPv6;
  try {
    parsed = ipaddr.IPv6.parse(text);
  } catch {
    return new AddrParseError(input, 'not a valid IPv6 address');
  }
  let v = 0n;
  for (const part of parsed.parts) v = (v << 16n) | BigInt(part);
  return IPAddress.fromBigInt('IPv6', v);
}

function formatV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)).join('.');
}

function formatV6(v: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (v >> 32n === 0xffffn) return `::ffff:${formatV4(v & 0xffffffffn)}`;
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}
