import { IPAddress, type MacAddress } from '@metallb-ts/netaddr';

// Hot-path helpers. (A WeakMap cache of byte forms was tried and was slower: most objects on
// the hot path are fresh from the decoder, and short-lived WeakMap keys are costly for the GC.)

/** The six bytes of `mac`. */
export function macBytes(mac: MacAddress): Uint8Array {
  return mac.toBytes();
}

/** The 4 or 16 bytes of `ip`, without going through the byte-by-byte bigint path. */
export function ipBytes(ip: IPAddress): Uint8Array {
  if (ip.isV4) {
    const v = Number(ip.value);
    return new Uint8Array([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  }
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, ip.value >> 64n);
  dv.setBigUint64(8, ip.value & 0xffffffffffffffffn);
  return out;
}

/** Same six bytes. */
export function macEquals(a: MacAddress, b: MacAddress): boolean {
  if (a === b) return true;
  const x = macBytes(a);
  const y = macBytes(b);
  for (let i = 0; i < 6; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** An address from 4 or 16 bytes at `off` (a faster path than building the bigint byte by byte). */
export function ipAt(b: Uint8Array, off: number, len: 4 | 16): IPAddress {
  const dv = new DataView(b.buffer, b.byteOffset + off, len);
  if (len === 4) return IPAddress.fromBigInt('IPv4', BigInt(dv.getUint32(0)));
  return IPAddress.fromBigInt('IPv6', (dv.getBigUint64(0) << 64n) | dv.getBigUint64(8));
}
