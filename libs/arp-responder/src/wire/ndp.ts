import { assertNever } from '@metallb-ts/errors';
import { MacAddress } from '@metallb-ts/netaddr';
import { ipAt, ipBytes, macBytes } from './bytes.js';
import { icmpv6Checksum } from './checksum.js';
import { Icmp6Type, IpProtocol, NdOptionType } from './constants.js';
import { DecodeError, EncodeError } from './errors.js';
import type { Ipv6Header, NdOption, NdpPacket, NeighborAdvertisement, NeighborSolicitation } from './types.js';

/** IPv6 fixed header size (RFC 8200 §3). */
export const IPV6_HEADER_LENGTH = 40;
/** NS and NA share this fixed size before their options: type, code, checksum, flags/reserved, target. */
const ND_FIXED = 24;

function decodeOptions(b: Uint8Array, start: number, end: number): NdOption[] {
  const opts: NdOption[] = [];
  let o = start;
  while (o < end) {
    if (end - o < 2) throw new DecodeError('bad-option-length', o, 'an option needs at least its type and length bytes');
    const code = b[o]!;
    const units = b[o + 1]!;
    // RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an option with length zero."
    if (units === 0) throw new DecodeError('bad-option-length', o + 1, `option type ${code} has length 0`);
    const next = o + units * 8;
    if (next > end) throw new DecodeError('bad-option-length', o + 1, `option type ${code} of ${units * 8} bytes runs past the message`);
    if (units === 1 && code === NdOptionType.SOURCE_LINK_LAYER_ADDRESS) {
      opts.push({ type: 'source-lla', mac: MacAddress.fromBytes(b.subarray(o + 2, o + 8)) });
    } else if (units === 1 && code === NdOptionType.TARGET_LINK_LAYER_ADDRESS) {
      opts.push({ type: 'target-lla', mac: MacAddress.fromBytes(b.subarray(o + 2, o + 8)) });
    } else {
      opts.push({ type: 'raw', code, data: b.slice(o + 2, next) });
    }
    o = next;
  }
  return opts;
}

/**
 * Decodes an IPv6 packet that carries an ICMPv6 Neighbor Solicitation or Advertisement,
 * starting at `start`. The ICMPv6 checksum is verified. Returns the packet and the offset just
 * after the IPv6 payload.
 * @throws {DecodeError} with the offset of the bad field.
 */
export function decodeNdpAt(b: Uint8Array, start: number): { packet: NdpPacket; end: number } {
  if (b.length - start < IPV6_HEADER_LENGTH) throw new DecodeError('truncated', b.length, 'IPv6 header needs 40 bytes');
  const version = b[start]! >> 4;
  if (version !== 6) throw new DecodeError('bad-version', start, `IP version is ${version}, not 6`);
  const trafficClass = ((b[start]! & 0x0f) << 4) | (b[start + 1]! >> 4);
  const flowLabel = ((b[start + 1]! & 0x0f) << 16) | (b[start + 2]! << 8) | b[start + 3]!;
  const payloadLength = (b[start + 4]! << 8) | b[start + 5]!;
  const nextHeader = b[start + 6]!;
  const hopLimit = b[start + 7]!;
  if (nextHeader !== IpProtocol.ICMPv6) {
    throw new DecodeError('unsupported', start + 6, `next header ${nextHeader} is not ICMPv6 (58)`);
  }
  const srcBytes = b.subarray(start + 8, start + 24);
  const dstBytes = b.subarray(start + 24, start + 40);
  const p = start + IPV6_HEADER_LENGTH;
  const end = p + payloadLength;
  if (end > b.length) {
    throw new DecodeError('truncated', b.length, `IPv6 payload length ${payloadLength} runs past the frame (${b.length - p} bytes left)`);
  }
  if (payloadLength < 1) throw new DecodeError('bad-length', start + 4, 'empty ICMPv6 message');
  const type = b[p]!;
  if (type !== Icmp6Type.NEIGHBOR_SOLICITATION && type !== Icmp6Type.NEIGHBOR_ADVERTISEMENT) {
    throw new DecodeError('unsupported', p, `ICMPv6 type ${type} is neither NS (135) nor NA (136)`);
  }
  if (payloadLength < ND_FIXED) {
    throw new DecodeError('bad-length', start + 4, `ICMPv6 type ${type} needs ${ND_FIXED} bytes, payload length is ${payloadLength}`);
  }
  // A correct sender never writes 0xffff (the complement of a sum that includes next header 58
  // cannot be 0), so refusing it keeps encode∘decode the identity on bytes.
  if (icmpv6Checksum(srcBytes, dstBytes, b.subarray(p, end)) !== 0 || (b[p + 2] === 0xff && b[p + 3] === 0xff)) {
    throw new DecodeError('bad-checksum', p + 2, 'ICMPv6 checksum does not match');
  }
  const code = b[p + 1]!;
  const word = ((b[p + 4]! << 24) | (b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!) >>> 0;
  const target = ipAt(b, p + 8, 16);
  const options = decodeOptions(b, p + ND_FIXED, end);
  const ip: Ipv6Header = {
    trafficClass,
    flowLabel,
    hopLimit,
    src: ipAt(b, start + 8, 16),
    dst: ipAt(b, start + 24, 16),
  };
  const message: NeighborSolicitation | NeighborAdvertisement =
    type === Icmp6Type.NEIGHBOR_SOLICITATION
      ? { type: 'ns', code, reserved: word, target, options }
      : {
          type: 'na',
          code,
          router: (word & 0x80000000) !== 0,
          solicited: (word & 0x40000000) !== 0,
          override: (word & 0x20000000) !== 0,
          reserved: word & 0x1fffffff,
          target,
          options,
        };
  return { packet: { kind: 'ndp', ip, message }, end };
}

/** Decodes a whole buffer as one IPv6 NDP packet; bytes after the payload are ignored. @throws {DecodeError} */
export function decodeNdp(bytes: Uint8Array): NdpPacket {
  return decodeNdpAt(bytes, 0).packet;
}

function optionLength(opt: NdOption): number {
  switch (opt.type) {
    case 'raw':
      return opt.data.length + 2;
    case 'source-lla':
    case 'target-lla':
      return 8;
    default:
      return assertNever(opt, 'NDP option type');
  }
}

/** Encoded size of an NDP packet, IPv6 header included. */
export function ndpLength(p: NdpPacket): number {
  let n = IPV6_HEADER_LENGTH + ND_FIXED;
  for (const o of p.message.options) n += optionLength(o);
  return n;
}

function checkInt(field: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(field, `must be an integer 0–${max}, got ${v}`);
  return v;
}

/** Writes `p` (IPv6 header + ICMPv6, checksum computed) into `out` at `start`; returns the end offset. @throws {EncodeError} */
export function encodeNdpInto(p: NdpPacket, out: Uint8Array, start: number): number {
  const { ip, message: m } = p;
  if (!ip.src.isV6 || !ip.dst.isV6 || !m.target.isV6) throw new EncodeError('ip.src/ip.dst/target', 'must be IPv6 addresses');
  const total = ndpLength(p);
  const payloadLength = total - IPV6_HEADER_LENGTH;
  if (payloadLength > 0xffff) throw new EncodeError('message.options', 'make the payload longer than 65535 bytes');
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const tc = checkInt('ip.trafficClass', ip.trafficClass, 0xff);
  const fl = checkInt('ip.flowLabel', ip.flowLabel, 0xfffff);
  dv.setUint32(start, ((6 << 28) | (tc << 20) | fl) >>> 0);
  dv.setUint16(start + 4, payloadLength);
  out[start + 6] = IpProtocol.ICMPv6;
  out[start + 7] = checkInt('ip.hopLimit', ip.hopLimit, 0xff);
  out.set(ipBytes(ip.src), start + 8);
  out.set(ipBytes(ip.dst), start + 24);
  const p0 = start + IPV6_HEADER_LENGTH;
  out[p0] = m.type === 'ns' ? Icmp6Type.NEIGHBOR_SOLICITATION : Icmp6Type.NEIGHBOR_ADVERTISEMENT;
  out[p0 + 1] = checkInt('message.code', m.code, 0xff);
  dv.setUint16(p0 + 2, 0);
  let word: number;
  if (m.type === 'ns') {
    word = checkInt('message.reserved', m.reserved, 0xffffffff);
  } else {
    word =
      ((m.router ? 0x80000000 : 0) | (m.solicited ? 0x40000000 : 0) | (m.override ? 0x20000000 : 0) | checkInt('message.reserved', m.reserved, 0x1fffffff)) >>> 0;
  }
  dv.setUint32(p0 + 4, word);
  out.set(ipBytes(m.target), p0 + 8);
  let o = p0 + ND_FIXED;
  m.options.forEach((opt, i) => {
    switch (opt.type) {
      case 'raw': {
        const len = opt.data.length + 2;
        if (len % 8 !== 0 || len > 255 * 8) {
          throw new EncodeError(`message.options[${i}].data`, `must be 8·n − 2 bytes long (n = 1…255), got ${opt.data.length}`);
        }
        out[o] = checkInt(`message.options[${i}].code`, opt.code, 0xff);
        out[o + 1] = len / 8;
        out.set(opt.data, o + 2);
        o += len;
        return;
      }
      case 'source-lla':
      case 'target-lla':
        out[o] = opt.type === 'source-lla' ? NdOptionType.SOURCE_LINK_LAYER_ADDRESS : NdOptionType.TARGET_LINK_LAYER_ADDRESS;
        out[o + 1] = 1;
        out.set(macBytes(opt.mac), o + 2);
        o += 8;
        return;
      default:
        assertNever(opt, 'NDP option type');
    }
  });
  const sum = icmpv6Checksum(out.subarray(start + 8, start + 24), out.subarray(start + 24, start + 40), out.subarray(p0, o));
  dv.setUint16(p0 + 2, sum);
  return o;
}

/** Encodes one NDP packet (IPv6 header included) on its own. @throws {EncodeError} */
export function encodeNdp(p: NdpPacket): Uint8Array {
  const out = new Uint8Array(ndpLength(p));
  encodeNdpInto(p, out, 0);
  return out;
}
