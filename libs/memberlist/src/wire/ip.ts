import { IPAddress } from '@metallb-ts/netaddr';
import { DecodeError } from './errors.js';

/** Encodes an IP string as Go's raw `net.IP` bytes (4 for IPv4, 16 for IPv6); '' → null. */
export function ipToBytes(ip: string): Uint8Array | null {
  if (ip === '') return null;
  return IPAddress.parse(ip).toBytes();
}

/**
 * Decodes raw `net.IP` bytes: 4 or 16 bytes, `::ffff:a.b.c.d` becomes IPv4; null/empty → ''.
 */
export function ipFromBytes(b: Uint8Array | null, field: string, at: number): string {
  if (b === null || b.length === 0) return '';
  if (b.length === 4) return IPAddress.fromBytes(b).toString();
  if (b.length === 16) {
    const a = IPAddress.fromBytes(b);
    if (a.isIPv4Mapped()) return IPAddress.fromBytes(b.subarray(12)).toString();
    return a.toString();
  }
  throw new DecodeError('bad-field', at, `field ${field} has ${b.length} bytes, want 4 or 16`);
}
