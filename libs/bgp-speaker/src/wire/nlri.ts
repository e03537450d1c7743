import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { ErrCode, UpdateSubcode } from './constants.js';
import { BgpDecodeError } from './errors.js';
import type { ByteReader, ByteWriter } from './reader.js';

/**
 * Reads a list of `<length, prefix>` NLRI entries (RFC 4271 §4.3) until `r` is empty.
 * A prefix longer than the family allows, or bytes missing, is an RFC 7606 §5.3 syntax error:
 * session reset with 3/10 (Invalid Network Field) — the NLRI cannot be located reliably.
 */
export function readPrefixes(r: ByteReader, bits: 32 | 128): Cidr[] {
  const out: Cidr[] = [];
  const bytes = bits / 8;
  while (r.remaining > 0) {
    const at = r.offset;
    const len = r.u8();
    if (len > bits) {
      throw new BgpDecodeError('bad-prefix', at, `prefix length ${len} exceeds ${bits}`, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.INVALID_NETWORK_FIELD });
    }
    const n = (len + 7) >> 3;
    if (r.remaining < n) {
      throw new BgpDecodeError('truncated', at, `prefix /${len} needs ${n} bytes, ${r.remaining} left`, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.INVALID_NETWORK_FIELD });
    }
    const raw = r.bytes(n);
    const full = new Uint8Array(bytes);
    full.set(raw);
    // Bits beyond the prefix length are irrelevant (RFC 4271 §4.3); Cidr.of masks them.
    out.push(Cidr.of(IPAddress.fromBytes(full), len));
  }
  return out;
}

/**
 * Writes one prefix as `<length, minimal bytes>`. Hot path (100,000s of prefixes): the bytes
 * come from one Number (IPv4) or one hex string (IPv6) instead of per-byte BigInt shifts.
 */
export function writePrefix(w: ByteWriter, p: Cidr): void {
  w.u8(p.prefix);
  const n = (p.prefix + 7) >> 3;
  if (n === 0) return;
  const v = p.network.value;
  if (p.network.isV4) {
    const x = Number(v);
    for (let i = 0; i < n; i++) w.u8(Math.floor(x / 2 ** (24 - 8 * i)) & 0xff);
    return;
  }
  const hex = v.toString(16).padStart(32, '0');
  for (let i = 0; i < n; i++) w.u8(parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** Encoded size of one prefix. */
export function prefixLength(p: Cidr): number {
  return 1 + ((p.prefix + 7) >> 3);
}
