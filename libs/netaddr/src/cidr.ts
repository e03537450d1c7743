import { AddrParseError } from './errors.js';
import { FAMILY_BITS, IPAddress, maxValue, type Family } from './ip.js';

/** Options for {@link Cidr.parse}. */
export interface CidrParseOptions {
  /**
   * Refuse host bits set below the prefix (`10.0.0.1/24`). When false the address is masked
   * to its network, as Go's `net.ParseCIDR` does.
   * @default false
   */
  strict?: boolean;
}

const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/;

/** Mask with the top `prefix` bits of a `bits`-wide address set. */
function netmask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** An immutable CIDR block: a network address and a prefix length. */
export class Cidr {
  private constructor(
    /** The network (first) address. */
    readonly network: IPAddress,
    /** The prefix length. */
    readonly prefix: number,
  ) {
    Object.freeze(this);
  }

  /**
   * Parses `address/prefix`.
   * @throws {AddrParseError} for a bad address, a missing or out-of-range prefix, or (strict)
   *   host bits set.
   */
  static parse(input: string, options: CidrParseOptions = {}): Cidr {
    const r = Cidr.parseResult(input, options);
    if (r instanceof AddrParseError) throw r;
    return r;
  }

  /** Like {@link Cidr.parse} but returns `undefined` for bad input. */
  static tryParse(input: string, options: CidrParseOptions = {}): Cidr | undefined {
    const r = Cidr.parseResult(input, options);
    return r instanceof AddrParseError ? undefined : r;
  }

  /** Parses, returning the error instead of throwing it. */
  static parseResult(input: string, options: CidrParseOptions = {}): Cidr | AddrParseError {
    if (typeof input !== 'string') return new AddrParseError(String(input), 'not a string');
    const slash = input.indexOf('/');
    if (slash < 0) return new AddrParseError(input, 'a CIDR needs a "/prefix" part');
    const addr = IPAddress.parseResult(input.slice(0, slash));
    if (addr instanceof AddrParseError) return new AddrParseError(input, addr.reason);
    const p = input.slice(slash + 1);
    if (!PREFIX.test(p)) return new AddrParseError(input, `prefix "${p}" is not a decimal number`);
    const prefix = Number(p);
    if (prefix > addr.bits) {
      return new AddrParseError(input, `prefix /${prefix} is longer than ${addr.bits} bits`);
    }
    const mask = netmask(addr.bits, prefix);
    if (options.strict && (addr.value & mask) !== addr.value) {
      return new AddrParseError(input, `host bits are set; the network is ${IPAddress.fromBigInt(addr.family, addr.value & mask)}/${prefix}`);
    }
    return new Cidr(IPAddress.fromBigInt(addr.family, addr.value & mask), prefix);
  }

  /** The CIDR of the given prefix that contains `addr`. */
  static of(addr: IPAddress, prefix: number): Cidr {
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > addr.bits) {
      throw new RangeError(`prefix ${prefix} is invalid for ${addr.family}`);
    }
    const mask = netmask(addr.bits, prefix);
    return new Cidr(IPAddress.fromBigInt(addr.family, addr.value & mask), prefix);
  }

  /** The address family. */
  get family(): Family {
    return this.network.family;
  }

  /** First address (the network address). */
  first(): IPAddress {
    return this.network;
  }

  /** Last address (the broadcast address for IPv4). */
  last(): IPAddress {
    const host = (1n << BigInt(FAMILY_BITS[this.family] - this.prefix)) - 1n;
    return IPAddress.fromBigInt(this.family, this.network.value | host);
  }

  /** Number of addresses in the block. */
  size(): bigint {
    return 1n << BigInt(FAMILY_BITS[this.family] - this.prefix);
  }

  /** True when `x` (an address or a whole CIDR) lies inside this block. */
  contains(x: IPAddress | Cidr): boolean {
    if (x instanceof Cidr) {
      return x.family === this.family && x.prefix >= this.prefix && this.contains(x.network);
    }
    return x.family === this.family && (x.value & netmask(x.bits, this.prefix)) === this.network.value;
  }

  /** True when the two blocks share at least one address. */
  overlaps(other: Cidr): boolean {
    return this.contains(other) || other.contains(this);
  }

  /** The block as an inclusive range. */
  toRange(): IPRange {
    return IPRange.of(this.first(), this.last());
  }

  /** Same family, network and prefix. */
  equals(other: Cidr): boolean {
    return this.prefix === other.prefix && this.network.equals(other.network);
  }

  /** `network/prefix`. */
  toString(): string {
    return `${this.network}/${this.prefix}`;
  }

  /** JSON form is the text form. */
  toJSON(): string {
    return this.toString();
  }
}

/** An immutable, inclusive range of addresses of one family. */
export class IPRange {
  private constructor(
    /** First address of the range. */
    readonly first: IPAddress,
    /** Last address of the range (inclusive). */
    readonly last: IPAddress,
  ) {
    Object.freeze(this);
  }

  /**
   * Builds a range from its ends.
   * @throws {RangeError} when the families differ or `last` is before `first`.
   */
  static of(first: IPAddress, last: IPAddress): IPRange {
    if (first.family !== last.family) {
      throw new RangeError(`range ends have different families: ${first} and ${last}`);
    }
    if (last.value < first.value) throw new RangeError(`range ${first}-${last} is reversed`);
    return new IPRange(first, last);
  }

  /**
   * Parses `a-b` (spaces around the dash allowed, as MetalLB allows) or a CIDR.
   * @throws {AddrParseError} naming the input.
   */
  static parse(input: string): IPRange {
    const r = IPRange.parseResult(input);
    if (r instanceof AddrParseError) throw r;
    return r;
  }

  /** Like {@link IPRange.parse} but returns `undefined` for bad input. */
  static tryParse(input: string): IPRange | undefined {
    const r = IPRange.parseResult(input);
    return r instanceof AddrParseError ? undefined : r;
  }

  /** Parses, returning the error instead of throwing it. */
  static parseResult(input: string): IPRange | AddrParseError {
    if (typeof input !== 'string') return new AddrParseError(String(input), 'not a string');
    if (input.includes('/')) {
      const c = Cidr.parseResult(input.trim());
      return c instanceof AddrParseError ? new AddrParseError(input, c.reason) : c.toRange();
    }
    const dash = input.indexOf('-');
    if (dash < 0) return new AddrParseError(input, 'expected a CIDR "a/n" or a range "first-last"');
    const a = IPAddress.parseResult(input.slice(0, dash).trim());
    if (a instanceof AddrParseError) return new AddrParseError(input, `first address: ${a.reason}`);
    const b = IPAddress.parseResult(input.slice(dash + 1).trim());
    if (b instanceof AddrParseError) return new AddrParseError(input, `last address: ${b.reason}`);
    if (a.family !== b.family) {
      return new AddrParseError(input, `the two ends are of different families (${a.family}, ${b.family})`);
    }
    if (b.value < a.value) return new AddrParseError(input, `the range is reversed: ${b} comes before ${a}`);
    return new IPRange(a, b);
  }

  /** The address family. */
  get family(): Family {
    return this.first.family;
  }

  /** Number of addresses in the range. */
  size(): bigint {
    return this.last.value - this.first.value + 1n;
  }

  /** True when `x` (an address or a whole range/CIDR) lies inside this range. */
  contains(x: IPAddress | IPRange | Cidr): boolean {
    if (x instanceof IPAddress) {
      return x.family === this.family && x.value >= this.first.value && x.value <= this.last.value;
    }
    const r = x instanceof Cidr ? x.toRange() : x;
    return this.contains(r.first) && this.contains(r.last);
  }

  /** True when the two share at least one address. */
  overlaps(other: IPRange | Cidr): boolean {
    const r = other instanceof Cidr ? other.toRange() : other;
    return r.family === this.family && r.first.value <= this.last.value && this.first.value <= r.last.value;
  }

  /**
   * The shortest list of CIDRs that covers exactly this range, in address order.
   * `10.0.0.1-10.0.0.6` → `10.0.0.1/32, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6/32`.
   */
  toCidrs(): Cidr[] {
    const bits = FAMILY_BITS[this.family];
    const out: Cidr[] = [];
    let cur = this.first.value;
    const end = this.last.value;
    const max = maxValue(this.family);
    while (cur <= end) {
      // The largest block aligned at `cur` that does not run past `end`.
      let size = cur === 0n ? 1n << BigInt(bits) : cur & -cur;
      while (size > end - cur + 1n) size >>= 1n;
      let prefix = bits;
      for (let s = size; s > 1n; s >>= 1n) prefix--;
      out.push(Cidr.of(IPAddress.fromBigInt(this.family, cur), prefix));
      if (cur + size - 1n >= max) break;
      cur += size;
    }
    return out;
  }

  /** Same ends. */
  equals(other: IPRange): boolean {
    return this.first.equals(other.first) && this.last.equals(other.last);
  }

  /** `first-last`. */
  toString(): string {
    return `${this.first}-${this.last}`;
  }

  /** JSON form is the text form. */
  toJSON(): string {
    return this.toString();
  }
}
