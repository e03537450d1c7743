import { Cidr, IPRange } from './cidr.js';
import { AddrParseError } from './errors.js';
import { IPAddress, type Family } from './ip.js';

/**
 * Parses an address, a CIDR or an `a-b` range into an {@link IPRange}. A bare address becomes
 * a one-address range.
 * @throws {AddrParseError} naming the input.
 */
export function parseIPOrCidr(input: string): IPRange {
  if (typeof input === 'string' && !input.includes('/') && !input.includes('-')) {
    const a = IPAddress.parseResult(input.trim());
    if (a instanceof AddrParseError) throw a;
    return IPRange.of(a, a);
  }
  return IPRange.parse(input);
}

/** The family of an address, CIDR or range. */
export function familyOf(x: IPAddress | Cidr | IPRange): Family {
  return x.family;
}
