import { AddrParseError } from './errors.js';

const MAC_COLON = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;
const MAC_DASH = /^[0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2}){5}$/;

/** An immutable 48-bit IEEE 802 MAC address. Text form: lower case, colon separated. */
export class MacAddress {
  private readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    Object.freeze(this);
  }

  /** `ff:ff:ff:ff:ff:ff`. */
  static readonly BROADCAST = MacAddress.fromBytes(new Uint8Array([255, 255, 255, 255, 255, 255]));
  /** `00:00:00:00:00:00`. */
  static readonly ZERO = MacAddress.fromBytes(new Uint8Array(6));

  /**
   * Parses `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` (either case).
   * @throws {AddrParseError} naming the input.
   */
  static parse(input: string): MacAddress {
    const r = MacAddress.tryParse(input);
    if (!r) {
      throw new AddrParseError(String(input), 'a MAC address is six hex pairs separated by ":" or "-"');
    }
    return r;
  }

  /** Like {@link MacAddress.parse} but returns `undefined` for bad input. */
  static tryParse(input: string): MacAddress | undefined {
    if (typeof input !== 'string' || !(MAC_COLON.test(input) || MAC_DASH.test(input))) return undefined;
    return new MacAddress(new Uint8Array(input.split(/[:-]/).map((h) => parseInt(h, 16))));
  }

  /** From six bytes (copied). */
  static fromBytes(bytes: Uint8Array): MacAddress {
    if (bytes.length !== 6) throw new RangeError(`a MAC address has 6 bytes, got ${bytes.length}`);
    return new MacAddress(bytes.slice());
  }

  /** A copy of the six bytes. */
  toBytes(): Uint8Array {
    return this.bytes.slice();
  }

  /** True for `ff:ff:ff:ff:ff:ff`. */
  isBroadcast(): boolean {
    return this.bytes.every((b) => b === 0xff);
  }

  /** True when the group bit (least significant bit of the first byte) is set. */
  isMulticast(): boolean {
    return ((this.bytes[0] ?? 0) & 1) === 1;
  }

  /** Same six bytes. */
  equals(other: MacAddress): boolean {
    for (let i = 0; i < 6; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }

  /** `aa:bb:cc:dd:ee:ff`. */
  toString(): string {
    return Array.from(this.bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
  }

  /** JSON form is the text form. */
  toJSON(): string {
    return this.toString();
  }
}
