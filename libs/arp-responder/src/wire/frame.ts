import { MacAddress } from '@metallb-ts/netaddr';
import { arpLength, decodeArpAt, encodeArpInto } from './arp.js';
import { macBytes } from './bytes.js';
import { EtherType } from './constants.js';
import { DecodeError, EncodeError } from './errors.js';
import { decodeNdpAt, encodeNdpInto, ndpLength } from './ndp.js';
import type { Frame, FrameBody, VlanTag } from './types.js';

/** Largest number of stacked VLAN tags accepted (802.1ad QinQ uses two). */
export const MAX_VLAN_TAGS = 4;

/**
 * Decodes an Ethernet II frame (no FCS) carrying ARP or an ICMPv6 Neighbor Solicitation /
 * Advertisement, with up to {@link MAX_VLAN_TAGS} 802.1Q/802.1ad tags. Never throws anything
 * but {@link DecodeError}.
 * @throws {DecodeError} `unsupported` for other EtherTypes, other IPv6 or ICMPv6 content;
 *   `truncated`, `bad-*` for malformed content, with the offset of the bad field.
 */
export function decodeFrame(b: Uint8Array): Frame {
  if (b.length < 14) throw new DecodeError('truncated', b.length, `an Ethernet header needs 14 bytes, got ${b.length}`);
  const dst = MacAddress.fromBytes(b.subarray(0, 6));
  const src = MacAddress.fromBytes(b.subarray(6, 12));
  const vlans: VlanTag[] = [];
  let o = 12;
  let type = (b[o]! << 8) | b[o + 1]!;
  while (type === EtherType.VLAN || type === EtherType.QinQ) {
    if (vlans.length === MAX_VLAN_TAGS) throw new DecodeError('unsupported', o, `more than ${MAX_VLAN_TAGS} VLAN tags`);
    if (b.length < o + 6) throw new DecodeError('truncated', b.length, 'VLAN tag cut short');
    const tci = (b[o + 2]! << 8) | b[o + 3]!;
    vlans.push({ tpid: type, pcp: tci >> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff });
    o += 4;
    type = (b[o]! << 8) | b[o + 1]!;
  }
  o += 2;
  let body: FrameBody;
  let end: number;
  if (type === EtherType.ARP) {
    ({ packet: body, end } = decodeArpAt(b, o));
  } else if (type === EtherType.IPv6) {
    ({ packet: body, end } = decodeNdpAt(b, o));
  } else {
    throw new DecodeError('unsupported', o - 2, `EtherType 0x${type.toString(16).padStart(4, '0')} is neither ARP nor IPv6`);
  }
  return { dst, src, vlans, body, trailer: b.slice(end) };
}

/** Decodes like {@link decodeFrame} but returns the error instead of throwing it. */
export function tryDecodeFrame(b: Uint8Array): Frame | DecodeError {
  try {
    return decodeFrame(b);
  } catch (e) {
    if (e instanceof DecodeError) return e;
    throw e;
  }
}

/** Encoded size of a frame. */
export function frameLength(f: Frame): number {
  const body = f.body.kind === 'ndp' ? ndpLength(f.body) : arpLength(f.body);
  return 14 + 4 * f.vlans.length + body + f.trailer.length;
}

/**
 * Encodes a frame: the exact inverse of {@link decodeFrame} (lengths and the ICMPv6 checksum are
 * derived; the trailer is written as given). Never mutates `f`.
 * @throws {EncodeError} for a field out of range.
 */
export function encodeFrame(f: Frame): Uint8Array {
  if (f.vlans.length > MAX_VLAN_TAGS) throw new EncodeError('vlans', `has more than ${MAX_VLAN_TAGS} tags`);
  const out = new Uint8Array(frameLength(f));
  out.set(macBytes(f.dst), 0);
  out.set(macBytes(f.src), 6);
  let o = 12;
  f.vlans.forEach((t, i) => {
    if (t.tpid !== EtherType.VLAN && t.tpid !== EtherType.QinQ) throw new EncodeError(`vlans[${i}].tpid`, 'must be 0x8100 or 0x88a8');
    if (!Number.isInteger(t.pcp) || t.pcp < 0 || t.pcp > 7) throw new EncodeError(`vlans[${i}].pcp`, 'must be 0–7');
    if (!Number.isInteger(t.vid) || t.vid < 0 || t.vid > 4095) throw new EncodeError(`vlans[${i}].vid`, 'must be 0–4095');
    out[o] = t.tpid >> 8;
    out[o + 1] = t.tpid & 0xff;
    const tci = (t.pcp << 13) | (t.dei ? 0x1000 : 0) | t.vid;
    out[o + 2] = tci >> 8;
    out[o + 3] = tci & 0xff;
    o += 4;
  });
  const type = f.body.kind === 'ndp' ? EtherType.IPv6 : EtherType.ARP;
  out[o] = type >> 8;
  out[o + 1] = type & 0xff;
  o += 2;
  o = f.body.kind === 'ndp' ? encodeNdpInto(f.body, out, o) : encodeArpInto(f.body, out, o);
  out.set(f.trailer, o);
  return out;
}
