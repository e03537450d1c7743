import { assertNever } from '@metallb-ts/errors';
import { IPAddress } from '@metallb-ts/netaddr';
import { CapCode, ErrCode, OpenSubcode, OptParamType } from './constants.js';
import { BgpDecodeError } from './errors.js';
import { ByteReader, ByteWriter, plain } from './reader.js';
import type { Capability, Open } from './types.js';

const openErr = (subcode: number) => (offset: number, detail: string) =>
  new BgpDecodeError('truncated', offset, detail, { code: ErrCode.OPEN_MESSAGE, subcode });

/**
 * Decodes an OPEN body (the bytes after the 19-byte header). Syntax only: any well-formed OPEN
 * is returned; semantic checks (version, peer AS, hold time) are {@link validateOpen}'s.
 * @param base absolute offset of `body[0]` for error offsets (19 inside a whole message).
 * @throws {BgpDecodeError} 2/0 on truncation, 2/4 on a malformed optional parameter area.
 */
export function decodeOpen(input: Uint8Array, base = 0): Open {
  const body = plain(input);
  const r = new ByteReader(body, 0, body.length, base, openErr(OpenSubcode.UNSPECIFIC));
  const version = r.u8('version');
  const myAs = r.u16('my AS');
  const holdTime = r.u16('hold time');
  const bgpId = IPAddress.fromBytes(r.bytes(4, 'BGP identifier').slice());
  const optLen = r.u8('optional parameters length');
  if (optLen !== r.remaining) {
    throw new BgpDecodeError('bad-length', r.offset - 1, `optional parameters length ${optLen} but ${r.remaining} bytes follow`, { code: ErrCode.OPEN_MESSAGE, subcode: OpenSubcode.UNSPECIFIC });
  }
  const capabilities: Capability[] = [];
  const otherParameters: Open['otherParameters'] = [];
  while (r.remaining > 0) {
    const type = r.u8('parameter type');
    const len = r.u8('parameter length');
    const pr = r.sub(len, 'optional parameter', openErr(OpenSubcode.UNSPECIFIC));
    if (type === OptParamType.CAPABILITIES) {
      while (pr.remaining > 0) capabilities.push(decodeCapability(pr));
    } else {
      otherParameters.push({ type, value: pr.bytes(pr.remaining).slice() });
    }
  }
  return { type: 'open', version, myAs, holdTime, bgpId, capabilities, otherParameters };
}

function decodeCapability(r: ByteReader): Capability {
  const at = r.offset;
  const code = r.u8('capability code');
  const len = r.u8('capability length');
  const v = r.sub(len, 'capability value');
  const bad = (what: string) => new BgpDecodeError('bad-capability', at, `capability ${code}: ${what}`, { code: ErrCode.OPEN_MESSAGE, subcode: OpenSubcode.UNSPECIFIC });
  switch (code) {
    case CapCode.MULTIPROTOCOL: {
      if (len !== 4) throw bad(`length ${len}, want 4`);
      const afi = v.u16();
      v.u8(); // reserved
      return { code: 'multiprotocol', afi, safi: v.u8() };
    }
    case CapCode.ROUTE_REFRESH:
      if (len !== 0) throw bad(`length ${len}, want 0`);
      return { code: 'route-refresh' };
    case CapCode.FOUR_OCTET_AS:
      if (len !== 4) throw bad(`length ${len}, want 4`);
      return { code: 'four-octet-as', asn: v.u32() };
    case CapCode.GRACEFUL_RESTART: {
      if (len < 2 || (len - 2) % 4 !== 0) throw bad(`length ${len}, want 2 + 4n`);
      const w = v.u16();
      const families = [];
      while (v.remaining > 0) {
        const afi = v.u16();
        const safi = v.u8();
        families.push({ afi, safi, forwardingPreserved: (v.u8() & 0x80) !== 0 });
      }
      return { code: 'graceful-restart', restarting: (w & 0x8000) !== 0, notification: (w & 0x4000) !== 0, restartTime: w & 0x0fff, families };
    }
    default:
      return { code: 'unknown', type: code, value: v.bytes(v.remaining).slice() };
  }
}

function encodeCapability(w: ByteWriter, c: Capability): void {
  switch (c.code) {
    case 'multiprotocol':
      w.u8(CapCode.MULTIPROTOCOL).u8(4).u16(c.afi).u8(0).u8(c.safi);
      return;
    case 'route-refresh':
      w.u8(CapCode.ROUTE_REFRESH).u8(0);
      return;
    case 'four-octet-as':
      w.u8(CapCode.FOUR_OCTET_AS).u8(4).u32(c.asn);
      return;
    case 'graceful-restart': {
      if (c.restartTime < 0 || c.restartTime > 0xfff) throw new RangeError(`graceful restart time ${c.restartTime} is outside 0..4095`);
      w.u8(CapCode.GRACEFUL_RESTART).u8(2 + 4 * c.families.length);
      w.u16((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | c.restartTime);
      for (const f of c.families) w.u16(f.afi).u8(f.safi).u8(f.forwardingPreserved ? 0x80 : 0);
      return;
    }
    case 'unknown':
      if (c.value.length > 255) throw new RangeError(`capability ${c.type} value is longer than 255 bytes`);
      w.u8(c.type).u8(c.value.length).bytes(c.value);
      return;
    default:
      assertNever(c, 'capability code');
  }
}

/** Encodes an OPEN body (without the header). All capabilities go in one parameter (RFC 5492). */
export function encodeOpenBody(m: Open): Uint8Array {
  if (!m.bgpId.isV4) throw new RangeError('the BGP identifier must be an IPv4 address');
  const w = new ByteWriter(64);
  w.u8(m.version).u16(m.myAs).u16(m.holdTime).bytes(m.bgpId.toBytes());
  const params = new ByteWriter(64);
  if (m.capabilities.length > 0) {
    const caps = new ByteWriter(64);
    for (const c of m.capabilities) encodeCapability(caps, c);
    const body = caps.finish();
    if (body.length > 255) throw new RangeError('capabilities exceed 255 bytes');
    params.u8(OptParamType.CAPABILITIES).u8(body.length).bytes(body);
  }
  for (const p of m.otherParameters) params.u8(p.type).u8(p.value.length).bytes(p.value);
  const pb = params.finish();
  if (pb.length > 255) throw new RangeError('optional parameters exceed 255 bytes');
  w.u8(pb.length).bytes(pb);
  return w.finish();
}
