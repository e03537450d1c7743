/**
 * MetalLB's BGP router-ID fallback (native speaker, `internal/bgp/native`): the configured
 * `routerID`; else the session's local IPv4 address (for an IPv6 session, the first IPv4
 * address of the interface that owns the local IPv6 address); else the CRC-32 (IEEE) of the
 * node name written little-endian into 4 bytes (`node1` → 64.37.239.133). Pure.
 */
import { IPAddress } from '@metallb-ts/netaddr';

let table: Uint32Array | undefined;

/** CRC-32 with the IEEE 802.3 polynomial (as zlib and Go's `hash/crc32.ChecksumIEEE`), unsigned. */
export function crc32(bytes: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The router ID MetalLB derives from a node name: CRC-32 (IEEE) of its UTF-8 bytes, little-endian. */
export function routerIdFromNodeName(nodeName: string): IPAddress {
  const c = crc32(new TextEncoder().encode(nodeName));
  return IPAddress.fromBytes(Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24));
}

/** Where a router ID came from. */
export type RouterIdSource = 'configured' | 'local-ipv4' | 'node-name';

/** Inputs of {@link routerIdFor}; addresses as text or parsed. */
export interface RouterIdInputs {
  /** The configured router ID (BGPPeer `routerID`), if any. */
  configured?: string | IPAddress | undefined;
  /** The session's local IPv4 address (or, on an IPv6 session, the first IPv4 of its interface). */
  localIPv4?: string | IPAddress | undefined;
  /** This node's name. */
  nodeName?: string | undefined;
}

const asAddr = (x: string | IPAddress | undefined): IPAddress | undefined => (x === undefined || x === '' ? undefined : typeof x === 'string' ? IPAddress.tryParse(x) : x);

/**
 * MetalLB's router ID choice: `configured`, else `localIPv4`, else the CRC-32 of `nodeName`.
 * A configured value that is not IPv4 and an IPv6 (or unparsable) `localIPv4` are skipped.
 * Returns undefined when nothing applies. The IPv4-mapped form (`::ffff:a.b.c.d`) counts as IPv4.
 */
export function routerIdFor(o: RouterIdInputs): { id: IPAddress; source: RouterIdSource } | undefined {
  const v4 = (a: IPAddress | undefined) => (a?.isV4 ? a : a?.isIPv4Mapped() ? IPAddress.fromBigInt('IPv4', a.value & 0xffffffffn) : undefined);
  const configured = v4(asAddr(o.configured));
  if (configured) return { id: configured, source: 'configured' };
  const local = v4(asAddr(o.localIPv4));
  if (local) return { id: local, source: 'local-ipv4' };
  if (o.nodeName !== undefined && o.nodeName !== '') return { id: routerIdFromNodeName(o.nodeName), source: 'node-name' };
  return undefined;
}
