import { MacAddress } from '@metallb-ts/netaddr';
import { ipAt, ipBytes, macBytes } from './bytes.js';
import { EtherType } from './constants.js';
import { DecodeError, EncodeError } from './errors.js';
import type { ArpPacket, ArpRawPacket } from './types.js';

/** Size of an Ethernet/IPv4 ARP packet: 8 fixed bytes + 2·6 + 2·4. */
export const ARP_IPV4_LENGTH = 28;

/**
 * Decodes an ARP packet (RFC 826) starting at `start`. Returns the packet and the offset just
 * after it; bytes beyond that are not looked at.
 * @throws {DecodeError} `truncated` when the fixed part or the addresses are cut short.
 */
export function decodeArpAt(b: Uint8Array, start: number): { packet: ArpPacket | ArpRawPacket; end: number } {
  if (b.length - start < 8) throw new DecodeError('truncated', b.length, 'ARP header needs 8 bytes');
  const hardwareType = (b[start]! << 8) | b[start + 1]!;
  const protocolType = (b[start + 2]! << 8) | b[start + 3]!;
  const hlen = b[start + 4]!;
  const plen = b[start + 5]!;
  const operation = (b[start + 6]! << 8) | b[start + 7]!;
  const end = start + 8 + 2 * hlen + 2 * plen;
  if (end > b.length) {
    throw new DecodeError('truncated', b.length, `ARP addresses need ${2 * hlen + 2 * plen} bytes (hlen ${hlen}, plen ${plen})`);
  }
  const o = start + 8;
  if (hlen === 6 && plen === 4 && protocolType === EtherType.IPv4) {
    return {
      packet: {
        kind: 'arp',
        hardwareType,
        operation,
        senderMac: MacAddress.fromBytes(b.subarray(o, o + 6)),
        senderIp: ipAt(b, o + 6, 4),
        targetMac: MacAddress.fromBytes(b.subarray(o + 10, o + 16)),
        targetIp: ipAt(b, o + 16, 4),
      },
      end,
    };
  }
  const sha = b.slice(o, o + hlen);
  const spa = b.slice(o + hlen, o + hlen + plen);
  const tha = b.slice(o + hlen + plen, o + 2 * hlen + plen);
  const tpa = b.slice(o + 2 * hlen + plen, end);
  return {
    packet: {
      kind: 'arp-raw',
      hardwareType,
      protocolType,
      operation,
      senderHardware: sha,
      senderProtocol: spa,
      targetHardware: tha,
      targetProtocol: tpa,
    },
    end,
  };
}

/** Decodes a whole buffer as one ARP packet; trailing bytes are ignored. @throws {DecodeError} */
export function decodeArp(bytes: Uint8Array): ArpPacket | ArpRawPacket {
  return decodeArpAt(bytes, 0).packet;
}

/** Encoded size of an ARP packet. */
export function arpLength(p: ArpPacket | ArpRawPacket): number {
  return p.kind === 'arp'
    ? ARP_IPV4_LENGTH
    : 8 + 2 * p.senderHardware.length + 2 * p.senderProtocol.length;
}

function u16(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new EncodeError(field, `must be an integer 0–65535, got ${v}`);
  return v;
}

/** Writes `p` into `out` at `start`; returns the offset after it. @throws {EncodeError} */
export function encodeArpInto(p: ArpPacket | ArpRawPacket, out: Uint8Array, start: number): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let o = start;
  dv.setUint16(o, u16('hardwareType', p.hardwareType));
  if (p.kind === 'arp') {
    if (!p.senderIp.isV4 || !p.targetIp.isV4) throw new EncodeError('senderIp/targetIp', 'must be IPv4 addresses');
    dv.setUint16(o + 2, EtherType.IPv4);
    out[o + 4] = 6;
    out[o + 5] = 4;
    dv.setUint16(o + 6, u16('operation', p.operation));
    o += 8;
    for (const part of [macBytes(p.senderMac), ipBytes(p.senderIp), macBytes(p.targetMac), ipBytes(p.targetIp)]) {
      out.set(part, o);
      o += part.length;
    }
    return o;
  }
  const hlen = p.senderHardware.length;
  const plen = p.senderProtocol.length;
  if (p.targetHardware.length !== hlen || hlen > 255) throw new EncodeError('senderHardware/targetHardware', 'must have the same length, at most 255');
  if (p.targetProtocol.length !== plen || plen > 255) throw new EncodeError('senderProtocol/targetProtocol', 'must have the same length, at most 255');
  dv.setUint16(o + 2, u16('protocolType', p.protocolType));
  out[o + 4] = hlen;
  out[o + 5] = plen;
  dv.setUint16(o + 6, u16('operation', p.operation));
  o += 8;
  for (const part of [p.senderHardware, p.senderProtocol, p.targetHardware, p.targetProtocol]) {
    out.set(part, o);
    o += part.length;
  }
  return o;
}

/** Encodes one ARP packet on its own. @throws {EncodeError} */
export function encodeArp(p: ArpPacket | ArpRawPacket): Uint8Array {
  const out = new Uint8Array(arpLength(p));
  encodeArpInto(p, out, 0);
  return out;
}
