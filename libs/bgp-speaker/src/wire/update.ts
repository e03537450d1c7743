import { assertNever } from '@metallb-ts/errors';
import { IPAddress } from '@metallb-ts/netaddr';
import type { Cidr } from '@metallb-ts/netaddr';
import { Afi, AsPathSegmentType, AttrFlag, AttrType, ErrCode, Safi, UpdateSubcode } from './constants.js';
import { largeCommunity } from './community.js';
import { BgpDecodeError, type DecodeReason, type ErrorHandling } from './errors.js';
import { readPrefixes, writePrefix } from './nlri.js';
import { ByteReader, ByteWriter, plain } from './reader.js';
import type { AsPathSegment, CodecContext, PathAttribute, Update } from './types.js';

/** An UPDATE and the non-fatal RFC 7606 problems found while decoding it. */
export interface DecodedUpdate {
  update: Update;
  /**
   * Problems handled without a session reset: `treat-as-withdraw` (every NLRI of the UPDATE
   * must be treated as withdrawn) or `attribute-discard` (the attribute is absent from `update`).
   */
  issues: BgpDecodeError[];
}

/** Expected Optional/Transitive flag bits of each known attribute (RFC 4271 §5 and extensions). */
const EXPECTED_FLAGS: Readonly<Record<number, number>> = {
  [AttrType.ORIGIN]: AttrFlag.TRANSITIVE,
  [AttrType.AS_PATH]: AttrFlag.TRANSITIVE,
  [AttrType.NEXT_HOP]: AttrFlag.TRANSITIVE,
  [AttrType.MULTI_EXIT_DISC]: AttrFlag.OPTIONAL,
  [AttrType.LOCAL_PREF]: AttrFlag.TRANSITIVE,
  [AttrType.ATOMIC_AGGREGATE]: AttrFlag.TRANSITIVE,
  [AttrType.AGGREGATOR]: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  [AttrType.COMMUNITIES]: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  [AttrType.MP_REACH_NLRI]: AttrFlag.OPTIONAL,
  [AttrType.MP_UNREACH_NLRI]: AttrFlag.OPTIONAL,
  [AttrType.AS4_PATH]: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  [AttrType.AS4_AGGREGATOR]: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
  [AttrType.LARGE_COMMUNITY]: AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE,
};

/**
 * RFC 7606 §7 handling of a malformed known attribute: the session survives unless the
 * attribute carries NLRI (MP_REACH/MP_UNREACH), whose loss would desynchronise the RIBs.
 */
function malformedHandling(type: number): ErrorHandling {
  switch (type) {
    case AttrType.MP_REACH_NLRI:
    case AttrType.MP_UNREACH_NLRI:
      return 'session-reset';
    case AttrType.ATOMIC_AGGREGATE: // §7.6
    case AttrType.AGGREGATOR: // §7.7
    case AttrType.AS4_PATH: // RFC 6793 §6
    case AttrType.AS4_AGGREGATOR:
      return 'attribute-discard';
    default:
      return 'treat-as-withdraw'; // §7.1–7.5, §7.8, RFC 8092 §6
  }
}

/** The attribute bytes (flags, type, length, value) for NOTIFICATION data (RFC 4271 §6.3). */
function attrData(flags: number, type: number, value: Uint8Array): Uint8Array {
  const ext = value.length > 255 || (flags & AttrFlag.EXTENDED_LENGTH) !== 0;
  const w = new ByteWriter(value.length + 4).u8(flags).u8(type);
  if (ext) w.u16(value.length);
  else w.u8(value.length);
  return w.bytes(value).finish();
}

/**
 * Decodes an UPDATE body (after the 19-byte header).
 * @param base absolute offset of `body[0]`, for error offsets.
 * @throws {BgpDecodeError} with `handling: 'session-reset'` for errors that make the message
 *   unusable (RFC 7606 §3–§5); other problems are returned in {@link DecodedUpdate.issues}.
 */
export function decodeUpdate(input: Uint8Array, ctx: CodecContext, base = 0): DecodedUpdate {
  const body = plain(input);
  const malformedList = (o: number, detail: string) =>
    new BgpDecodeError('truncated', o, detail, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST });
  const r = new ByteReader(body, 0, body.length, base, malformedList);
  const wlen = r.u16('withdrawn routes length');
  const withdrawn = readPrefixes(r.sub(wlen, 'withdrawn routes'), 32);
  const alen = r.u16('total path attribute length');
  const ar = r.sub(alen, 'path attributes');
  const nlri = readPrefixes(r, 32);
  const issues: BgpDecodeError[] = [];
  const attributes: PathAttribute[] = [];
  const seen = new Set<number>();

  while (ar.remaining > 0) {
    const at = ar.offset;
    if (ar.remaining < 3) {
      // RFC 7606 §4: an incomplete attribute header → treat-as-withdraw.
      issues.push(new BgpDecodeError('truncated', at, `${ar.remaining} trailing bytes are not an attribute`, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, handling: 'treat-as-withdraw' }));
      break;
    }
    const flags = ar.u8();
    const type = ar.u8();
    const len = flags & AttrFlag.EXTENDED_LENGTH ? (ar.remaining >= 2 ? ar.u16() : -1) : ar.u8();
    if (len < 0 || len > ar.remaining) {
      // RFC 7606 §4: the attribute overruns the attribute area. MP_* attributes cannot be located.
      const handling: ErrorHandling = type === AttrType.MP_REACH_NLRI || type === AttrType.MP_UNREACH_NLRI ? 'session-reset' : 'treat-as-withdraw';
      const e = new BgpDecodeError('bad-attribute-length', at, `attribute ${type} length ${len} overruns the ${ar.remaining} bytes left`, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.ATTRIBUTE_LENGTH_ERROR, handling });
      if (handling === 'session-reset') throw e;
      issues.push(e);
      break;
    }
    const value = ar.bytes(len);
    const valueAt = ar.offset - len;
    const expected = EXPECTED_FLAGS[type];
    if (seen.has(type)) {
      // RFC 7606 §3(g): MP_* twice → session reset; other duplicates: keep the first.
      const e = new BgpDecodeError('duplicate-attribute', at, `attribute ${type} appears twice`, {
        code: ErrCode.UPDATE_MESSAGE,
        subcode: UpdateSubcode.MALFORMED_ATTRIBUTE_LIST,
        handling: type === AttrType.MP_REACH_NLRI || type === AttrType.MP_UNREACH_NLRI ? 'session-reset' : 'attribute-discard',
      });
      if (e.handling === 'session-reset') throw e;
      issues.push(e);
      continue;
    }
    seen.add(type);
    if (expected === undefined) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        // RFC 4271 §6.3: an unrecognised well-known attribute.
        throw new BgpDecodeError('unrecognized-attribute', at, `unrecognized well-known attribute ${type}`, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE, data: attrData(flags, type, value) });
      }
      attributes.push({ type: 'unknown', code: type, flags: flags & ~AttrFlag.EXTENDED_LENGTH, value: value.slice() });
      continue;
    }
    const handling = malformedHandling(type);
    if ((flags & (AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE)) !== expected) {
      // RFC 7606 §3(c).
      const e = new BgpDecodeError('bad-attribute-flags', at, `attribute ${type} has flags 0x${flags.toString(16)}`, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.ATTRIBUTE_FLAGS_ERROR, data: attrData(flags, type, value), handling });
      if (handling === 'session-reset') throw e;
      issues.push(e);
      continue;
    }
    if ((type === AttrType.MP_REACH_NLRI || type === AttrType.MP_UNREACH_NLRI) && value.length >= 3 &&
        familyBits((value[0]! << 8) | value[1]!, value[2]!) === undefined) {
      // A family we do not route: kept raw, like any attribute we do not interpret.
      attributes.push({ type: 'unknown', code: type, flags: flags & ~AttrFlag.EXTENDED_LENGTH, value: value.slice() });
      continue;
    }
    try {
      attributes.push(decodeAttribute(type, value, valueAt, ctx));
    } catch (err) {
      if (!(err instanceof BgpDecodeError)) throw err;
      const e = new BgpDecodeError(err.reason, err.offset, err.detail, { code: err.code, subcode: err.subcode, data: err.data.length > 0 ? err.data : attrData(flags, type, value), handling });
      if (handling === 'session-reset') throw e;
      issues.push(e);
    }
  }

  // RFC 7606 §3(d): missing well-known mandatory attributes → treat-as-withdraw.
  const reach = attributes.some((a) => a.type === 'mp-reach');
  if (nlri.length > 0 || reach) {
    const need: number[] = [AttrType.ORIGIN, AttrType.AS_PATH];
    if (nlri.length > 0) need.push(AttrType.NEXT_HOP);
    for (const t of need) {
      if (!seen.has(t)) {
        issues.push(new BgpDecodeError('missing-attribute', base + 2 + wlen + 2, `missing well-known attribute ${t}`, { code: ErrCode.UPDATE_MESSAGE, subcode: UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE, data: Uint8Array.of(t), handling: 'treat-as-withdraw' }));
      }
    }
  }
  return { update: { type: 'update', withdrawn, attributes, nlri }, issues };
}

/** A malformed attribute value: 3/`subcode`; the caller adds the data and the RFC 7606 handling. */
function attrError(reason: DecodeReason, offset: number, detail: string, subcode: number = UpdateSubcode.ATTRIBUTE_LENGTH_ERROR): BgpDecodeError {
  return new BgpDecodeError(reason, offset, detail, { code: ErrCode.UPDATE_MESSAGE, subcode });
}

function readSegments(v: ByteReader, asnBytes: 2 | 4): AsPathSegment[] {
  const segs: AsPathSegment[] = [];
  while (v.remaining > 0) {
    const at = v.offset;
    const t = v.u8();
    const n = v.u8();
    if (n === 0 || v.remaining < n * asnBytes) throw attrError('bad-as-path', at, `AS_PATH segment of ${n} ASNs does not fit`, UpdateSubcode.MALFORMED_AS_PATH);
    const kind = segmentKind(t);
    if (!kind) throw attrError('bad-as-path', at, `AS_PATH segment type ${t}`, UpdateSubcode.MALFORMED_AS_PATH);
    const asns: number[] = [];
    for (let i = 0; i < n; i++) asns.push(asnBytes === 4 ? v.u32() : v.u16());
    segs.push({ kind, asns });
  }
  return segs;
}

function segmentKind(t: number): AsPathSegment['kind'] | undefined {
  switch (t) {
    case AsPathSegmentType.AS_SET:
      return 'set';
    case AsPathSegmentType.AS_SEQUENCE:
      return 'sequence';
    case AsPathSegmentType.AS_CONFED_SEQUENCE:
      return 'confed-sequence';
    case AsPathSegmentType.AS_CONFED_SET:
      return 'confed-set';
    default:
      return undefined;
  }
}

const SEGMENT_CODE: Record<AsPathSegment['kind'], number> = {
  set: AsPathSegmentType.AS_SET,
  sequence: AsPathSegmentType.AS_SEQUENCE,
  'confed-sequence': AsPathSegmentType.AS_CONFED_SEQUENCE,
  'confed-set': AsPathSegmentType.AS_CONFED_SET,
};

function decodeAttribute(type: number, value: Uint8Array, base: number, ctx: CodecContext): PathAttribute {
  const v = new ByteReader(value, 0, value.length, base, (o, d) => attrError('bad-attribute-length', o, d));
  const wantLen = (n: number, subcode: number = UpdateSubcode.ATTRIBUTE_LENGTH_ERROR) => {
    if (value.length !== n) throw attrError('bad-attribute-length', base, `attribute ${type} has length ${value.length}, want ${n}`, subcode);
  };
  switch (type) {
    case AttrType.ORIGIN: {
      wantLen(1);
      const o = v.u8();
      if (o > 2) throw attrError('bad-origin', base, `ORIGIN value ${o}`, UpdateSubcode.INVALID_ORIGIN);
      return { type: 'origin', origin: o as 0 | 1 | 2 };
    }
    case AttrType.AS_PATH:
      return { type: 'as-path', segments: readSegments(v, ctx.fourOctetAs ? 4 : 2) };
    case AttrType.AS4_PATH:
      return { type: 'as4-path', segments: readSegments(v, 4) };
    case AttrType.NEXT_HOP:
      wantLen(4);
      return { type: 'next-hop', nextHop: IPAddress.fromBytes(value.slice()) };
    case AttrType.MULTI_EXIT_DISC:
      wantLen(4);
      return { type: 'med', med: v.u32() };
    case AttrType.LOCAL_PREF:
      wantLen(4);
      return { type: 'local-pref', localPref: v.u32() };
    case AttrType.ATOMIC_AGGREGATE:
      wantLen(0);
      return { type: 'atomic-aggregate' };
    case AttrType.AGGREGATOR: {
      wantLen(ctx.fourOctetAs ? 8 : 6);
      const asn = ctx.fourOctetAs ? v.u32() : v.u16();
      return { type: 'aggregator', asn, address: IPAddress.fromBytes(v.bytes(4).slice()) };
    }
    case AttrType.AS4_AGGREGATOR:
      wantLen(8);
      return { type: 'as4-aggregator', asn: v.u32(), address: IPAddress.fromBytes(v.bytes(4).slice()) };
    case AttrType.COMMUNITIES: {
      if (value.length % 4 !== 0 || value.length === 0) throw attrError('bad-attribute-length', base, `COMMUNITIES length ${value.length} is not a positive multiple of 4`);
      const communities: number[] = [];
      while (v.remaining > 0) communities.push(v.u32());
      return { type: 'communities', communities };
    }
    case AttrType.LARGE_COMMUNITY: {
      if (value.length % 12 !== 0 || value.length === 0) throw attrError('bad-attribute-length', base, `LARGE_COMMUNITY length ${value.length} is not a positive multiple of 12`);
      const communities = [];
      while (v.remaining > 0) communities.push(largeCommunity(v.u32(), v.u32(), v.u32()));
      return { type: 'large-communities', communities };
    }
    case AttrType.MP_REACH_NLRI: {
      const afi = v.u16();
      const safi = v.u8();
      const nhLen = v.u8();
      const nh = v.bytes(nhLen, 'next hop');
      v.u8('reserved');
      const bits = familyBits(afi, safi);
      if (bits === undefined) throw attrError('unsupported-family', base, `MP_REACH_NLRI for unsupported AFI ${afi} SAFI ${safi}`, UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR);
      let nextHop: IPAddress;
      let linkLocal: IPAddress | undefined;
      if (nhLen === 4 || nhLen === 16) nextHop = IPAddress.fromBytes(nh.slice());
      else if (nhLen === 32) {
        nextHop = IPAddress.fromBytes(nh.slice(0, 16));
        linkLocal = IPAddress.fromBytes(nh.slice(16));
      } else throw attrError('bad-next-hop', base + 3, `MP_REACH_NLRI next hop length ${nhLen}`, UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR);
      const nlri = readPrefixes(v, bits);
      return linkLocal ? { type: 'mp-reach', afi, safi, nextHop, linkLocal, nlri } : { type: 'mp-reach', afi, safi, nextHop, nlri };
    }
    case AttrType.MP_UNREACH_NLRI: {
      const afi = v.u16();
      const safi = v.u8();
      const bits = familyBits(afi, safi);
      if (bits === undefined) throw attrError('unsupported-family', base, `MP_UNREACH_NLRI for unsupported AFI ${afi} SAFI ${safi}`, UpdateSubcode.OPTIONAL_ATTRIBUTE_ERROR);
      return { type: 'mp-unreach', afi, safi, withdrawn: readPrefixes(v, bits) };
    }
    default:
      throw new Error(`no decoder for attribute ${type}`);
  }
}

/** Prefix width of the unicast families we speak, or undefined. */
export function familyBits(afi: number, safi: number): 32 | 128 | undefined {
  if (safi !== Safi.UNICAST) return undefined;
  if (afi === Afi.IPV4) return 32;
  if (afi === Afi.IPV6) return 128;
  return undefined;
}

function writeSegments(w: ByteWriter, segs: AsPathSegment[], asnBytes: 2 | 4): void {
  for (const s of segs) {
    if (s.asns.length === 0 || s.asns.length > 255) throw new RangeError(`an AS_PATH segment holds 1..255 ASNs, got ${s.asns.length}`);
    w.u8(SEGMENT_CODE[s.kind]).u8(s.asns.length);
    for (const a of s.asns) {
      if (asnBytes === 2 && a > 0xffff) throw new RangeError(`ASN ${a} needs 4 octets; use AS_TRANS with AS4_PATH`);
      if (asnBytes === 2) w.u16(a);
      else w.u32(a);
    }
  }
}

/** Encodes one path attribute: flags, type, length (extended when > 255), value. */
export function encodeAttribute(w: ByteWriter, a: PathAttribute, ctx: CodecContext): void {
  const v = new ByteWriter(32);
  let flags: number;
  let code: number;
  switch (a.type) {
    case 'origin':
      [flags, code] = [AttrFlag.TRANSITIVE, AttrType.ORIGIN];
      v.u8(a.origin);
      break;
    case 'as-path':
      [flags, code] = [AttrFlag.TRANSITIVE, AttrType.AS_PATH];
      writeSegments(v, a.segments, ctx.fourOctetAs ? 4 : 2);
      break;
    case 'as4-path':
      [flags, code] = [AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, AttrType.AS4_PATH];
      writeSegments(v, a.segments, 4);
      break;
    case 'next-hop':
      if (!a.nextHop.isV4) throw new RangeError('NEXT_HOP must be IPv4; use MP_REACH_NLRI for IPv6');
      [flags, code] = [AttrFlag.TRANSITIVE, AttrType.NEXT_HOP];
      v.bytes(a.nextHop.toBytes());
      break;
    case 'med':
      [flags, code] = [AttrFlag.OPTIONAL, AttrType.MULTI_EXIT_DISC];
      v.u32(a.med);
      break;
    case 'local-pref':
      [flags, code] = [AttrFlag.TRANSITIVE, AttrType.LOCAL_PREF];
      v.u32(a.localPref);
      break;
    case 'atomic-aggregate':
      [flags, code] = [AttrFlag.TRANSITIVE, AttrType.ATOMIC_AGGREGATE];
      break;
    case 'aggregator':
      [flags, code] = [AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, AttrType.AGGREGATOR];
      if (ctx.fourOctetAs) v.u32(a.asn);
      else if (a.asn > 0xffff) throw new RangeError(`AGGREGATOR ASN ${a.asn} needs 4 octets`);
      else v.u16(a.asn);
      v.bytes(a.address.toBytes());
      break;
    case 'as4-aggregator':
      [flags, code] = [AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, AttrType.AS4_AGGREGATOR];
      v.u32(a.asn).bytes(a.address.toBytes());
      break;
    case 'communities':
      [flags, code] = [AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, AttrType.COMMUNITIES];
      for (const c of a.communities) v.u32(c);
      break;
    case 'large-communities':
      [flags, code] = [AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE, AttrType.LARGE_COMMUNITY];
      for (const c of a.communities) v.u32(c.global).u32(c.local1).u32(c.local2);
      break;
    case 'mp-reach': {
      [flags, code] = [AttrFlag.OPTIONAL, AttrType.MP_REACH_NLRI];
      const nh = a.linkLocal ? [...a.nextHop.toBytes(), ...a.linkLocal.toBytes()] : [...a.nextHop.toBytes()];
      v.u16(a.afi).u8(a.safi).u8(nh.length).bytes(Uint8Array.from(nh)).u8(0);
      for (const p of a.nlri) writePrefix(v, p);
      break;
    }
    case 'mp-unreach':
      [flags, code] = [AttrFlag.OPTIONAL, AttrType.MP_UNREACH_NLRI];
      v.u16(a.afi).u8(a.safi);
      for (const p of a.withdrawn) writePrefix(v, p);
      break;
    case 'unknown':
      [flags, code] = [a.flags & ~AttrFlag.EXTENDED_LENGTH, a.code];
      v.bytes(a.value);
      break;
    default:
      assertNever(a, 'path attribute type');
  }
  const body = v.finish();
  if (body.length > 0xffff) throw new RangeError(`attribute ${code} is longer than 65535 bytes`);
  if (body.length > 255) w.u8(flags | AttrFlag.EXTENDED_LENGTH).u8(code).u16(body.length);
  else w.u8(flags).u8(code).u8(body.length);
  w.bytes(body);
}

/** Encodes an UPDATE body (without the header). */
export function encodeUpdateBody(m: Update, ctx: CodecContext): Uint8Array {
  const w = new ByteWriter(256);
  const wAt = w.length;
  w.u16(0);
  for (const p of m.withdrawn) {
    if (!p.network.isV4) throw new RangeError('classic withdrawn routes are IPv4; use MP_UNREACH_NLRI');
    writePrefix(w, p);
  }
  w.patchU16(wAt, w.length - wAt - 2);
  const aAt = w.length;
  w.u16(0);
  for (const a of m.attributes) encodeAttribute(w, a, ctx);
  w.patchU16(aAt, w.length - aAt - 2);
  for (const p of m.nlri) {
    if (!p.network.isV4) throw new RangeError('classic NLRI are IPv4; use MP_REACH_NLRI');
    writePrefix(w, p);
  }
  return w.finish();
}

/** The family an UPDATE marks End-of-RIB for (RFC 4724 §2), or undefined. */
export function endOfRibFamily(u: Update): { afi: number; safi: number } | undefined {
  if (u.withdrawn.length === 0 && u.nlri.length === 0 && u.attributes.length === 0) return { afi: Afi.IPV4, safi: Safi.UNICAST };
  const [a] = u.attributes;
  if (u.withdrawn.length === 0 && u.nlri.length === 0 && u.attributes.length === 1 && a?.type === 'mp-unreach' && a.withdrawn.length === 0) {
    return { afi: a.afi, safi: a.safi };
  }
  return undefined;
}

/** The End-of-RIB marker UPDATE for a family (RFC 4724 §2). */
export function endOfRib(afi: number, safi: number): Update {
  if (afi === Afi.IPV4 && safi === Safi.UNICAST) return { type: 'update', withdrawn: [], attributes: [], nlri: [] };
  return { type: 'update', withdrawn: [], attributes: [{ type: 'mp-unreach', afi, safi, withdrawn: [] }], nlri: [] };
}

/** Every prefix an UPDATE announces (classic and MP_REACH). */
export function announcedPrefixes(u: Update): Cidr[] {
  const out = [...u.nlri];
  for (const a of u.attributes) if (a.type === 'mp-reach') out.push(...a.nlri);
  return out;
}

/** Every prefix an UPDATE withdraws (classic and MP_UNREACH). */
export function withdrawnPrefixes(u: Update): Cidr[] {
  const out = [...u.withdrawn];
  for (const a of u.attributes) if (a.type === 'mp-unreach') out.push(...a.withdrawn);
  return out;
}
