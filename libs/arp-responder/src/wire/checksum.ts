/**
 * The Internet checksum (RFC 1071) over the IPv6 pseudo-header (RFC 8200 §8.1) and an upper-layer
 * message, as ICMPv6 uses it (RFC 4443 §2.3). `message` must have its checksum field zeroed
 * when computing, or left as is when verifying (the result is then 0 for a correct checksum).
 */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, message: Uint8Array, nextHeader = 58): number {
  let sum = 0;
  for (let i = 0; i < 16; i += 2) sum += ((src[i]! << 8) | src[i + 1]!) + ((dst[i]! << 8) | dst[i + 1]!);
  const len = message.length;
  sum += (len >>> 16) + (len & 0xffff) + nextHeader;
  const even = len & ~1;
  for (let i = 0; i < even; i += 2) sum += (message[i]! << 8) | message[i + 1]!;
  if (len & 1) sum += message[len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
