/**
 * @packageDocumentation
 * `@metallb-ts/netaddr`: strict, immutable IPv4/IPv6 address, CIDR, range and MAC value types.
 *
 * - {@link IPAddress}: bigint-backed, strict parse (no octal, hex or short IPv4; no IPv6 zones),
 *   RFC 5952 output, arithmetic (`next`, `prev`, `add`) and ordering.
 * - {@link Cidr}: network + prefix, `contains`, `overlaps`, `first`/`last`/`size`.
 * - {@link IPRange}: inclusive `first-last` ranges, `toCidrs()` splitting.
 * - {@link MacAddress}: six bytes, lower-case colon text.
 * - {@link AddrParseError}: every parse failure, naming the bad input.
 */
export { AddrParseError } from './errors.js';
export { FAMILY_BITS, IPAddress, maxValue, type Family } from './ip.js';
export { Cidr, IPRange, type CidrParseOptions } from './cidr.js';
export { MacAddress } from './mac.js';
export { parseIPOrCidr, familyOf } from './util.js';
