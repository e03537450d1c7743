import { describe, expect, it } from 'vitest';
import { IPAddress } from '@metallb-ts/netaddr';
import { BgpDecodeError, decodeMessage, validateOpen, type DecodeReason, type ErrorHandling, type Open } from '../index.js';
import { hex, MARKER } from '../../test/hex.js';

/** Builds an UPDATE from hex parts: withdrawn routes, path attributes, NLRI. */
function update(attrs: string, nlri = '20 cb00710a', withdrawn = ''): Uint8Array {
  const w = hex(withdrawn);
  const a = hex(attrs);
  const n = hex(nlri);
  const len = 19 + 2 + w.length + 2 + a.length + n.length;
  return hex(MARKER, len.toString(16).padStart(4, '0'), '02', w.length.toString(16).padStart(4, '0'), Buffer.from(w).toString('hex'), a.length.toString(16).padStart(4, '0'), Buffer.from(a).toString('hex'), Buffer.from(n).toString('hex'));
}

const ORIGIN = '40 01 01 00';
const AS_PATH = '40 02 06 02 01 0000fbf0';
const NEXT_HOP = '40 03 04 c6336401';
const BASE = ORIGIN + AS_PATH + NEXT_HOP;

interface Case {
  name: string;
  rfc: string;
  bytes: Uint8Array;
  code: number;
  subcode: number;
  handling: ErrorHandling;
  /** The decode error's closed reason. */
  reason: DecodeReason;
  /** Attribute types still present after decoding (for non-fatal cases). */
  kept?: string[];
}

const cases: Case[] = [
  { name: 'marker not all ones', rfc: '4271 §6.1', bytes: hex('fe' + MARKER.slice(2), '0013', '04'), code: 1, subcode: 1, handling: 'session-reset', reason: 'bad-marker' },
  { name: 'length below 19', rfc: '4271 §6.1', bytes: hex(MARKER, '0012', '04'), code: 1, subcode: 2, handling: 'session-reset', reason: 'bad-length' },
  { name: 'KEEPALIVE longer than 19', rfc: '4271 §6.1', bytes: hex(MARKER, '0014', '04', '00'), code: 1, subcode: 2, handling: 'session-reset', reason: 'bad-length' },
  { name: 'unknown message type 9', rfc: '4271 §6.1', bytes: hex(MARKER, '0013', '09'), code: 1, subcode: 3, handling: 'session-reset', reason: 'bad-type' },
  { name: 'withdrawn routes length overruns the message', rfc: '7606 §4', bytes: hex(MARKER, '0017', '02', '0010', '0000'), code: 3, subcode: 1, handling: 'session-reset', reason: 'truncated' },
  { name: 'total attribute length overruns the message', rfc: '7606 §4', bytes: hex(MARKER, '0017', '02', '0000', '0010'), code: 3, subcode: 1, handling: 'session-reset', reason: 'truncated' },
  { name: 'NLRI prefix length 33', rfc: '7606 §5.3', bytes: update(BASE, '21 cb00710a00'), code: 3, subcode: 10, handling: 'session-reset', reason: 'bad-prefix' },
  { name: 'NLRI truncated', rfc: '7606 §5.3', bytes: update(BASE, '20 cb0071'), code: 3, subcode: 10, handling: 'session-reset', reason: 'truncated' },
  { name: 'attribute overruns the attribute area', rfc: '7606 §4', bytes: update(BASE + 'c0 08 08 0000fbf0'), code: 3, subcode: 5, handling: 'treat-as-withdraw', reason: 'bad-attribute-length', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'two trailing bytes in the attribute area', rfc: '7606 §4', bytes: update(BASE + 'c0 08'), code: 3, subcode: 1, handling: 'treat-as-withdraw', reason: 'truncated', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'ORIGIN value 3', rfc: '7606 §7.1', bytes: update('40 01 01 03' + AS_PATH + NEXT_HOP), code: 3, subcode: 6, handling: 'treat-as-withdraw', reason: 'bad-origin', kept: ['as-path', 'next-hop'] },
  { name: 'ORIGIN length 2', rfc: '7606 §7.1', bytes: update('40 01 02 0000' + AS_PATH + NEXT_HOP), code: 3, subcode: 5, handling: 'treat-as-withdraw', reason: 'bad-attribute-length', kept: ['as-path', 'next-hop'] },
  { name: 'AS_PATH segment overruns', rfc: '7606 §7.2', bytes: update(ORIGIN + '40 02 06 02 02 0000fbf0' + NEXT_HOP), code: 3, subcode: 11, handling: 'treat-as-withdraw', reason: 'bad-as-path', kept: ['origin', 'next-hop'] },
  { name: 'AS_PATH segment type 5', rfc: '7606 §7.2', bytes: update(ORIGIN + '40 02 06 05 01 0000fbf0' + NEXT_HOP), code: 3, subcode: 11, handling: 'treat-as-withdraw', reason: 'bad-as-path', kept: ['origin', 'next-hop'] },
  { name: 'NEXT_HOP length 5', rfc: '7606 §7.3', bytes: update(ORIGIN + AS_PATH + '40 03 05 c633640100'), code: 3, subcode: 5, handling: 'treat-as-withdraw', reason: 'bad-attribute-length', kept: ['origin', 'as-path'] },
  { name: 'MED length 3', rfc: '7606 §7.4', bytes: update(BASE + '80 04 03 000005'), code: 3, subcode: 5, handling: 'treat-as-withdraw', reason: 'bad-attribute-length', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'LOCAL_PREF length 2', rfc: '7606 §7.5', bytes: update(BASE + '40 05 02 0064'), code: 3, subcode: 5, handling: 'treat-as-withdraw', reason: 'bad-attribute-length', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'ATOMIC_AGGREGATE length 1', rfc: '7606 §7.6', bytes: update(BASE + '40 06 01 00'), code: 3, subcode: 5, handling: 'attribute-discard', reason: 'bad-attribute-length', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'AGGREGATOR length 6 in a 4-octet session', rfc: '7606 §7.7', bytes: update(BASE + 'c0 07 06 fbf0 c6336401'), code: 3, subcode: 5, handling: 'attribute-discard', reason: 'bad-attribute-length', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'COMMUNITIES length 5', rfc: '7606 §7.8', bytes: update(BASE + 'c0 08 05 0000fbf000'), code: 3, subcode: 5, handling: 'treat-as-withdraw', reason: 'bad-attribute-length', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'LARGE_COMMUNITY length 8', rfc: '8092 §6', bytes: update(BASE + 'c0 20 08 0000fbf000000001'), code: 3, subcode: 5, handling: 'treat-as-withdraw', reason: 'bad-attribute-length', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'AS4_PATH malformed', rfc: '6793 §6 / 7606 §7.?', bytes: update(BASE + 'c0 11 03 020100'), code: 3, subcode: 11, handling: 'attribute-discard', reason: 'bad-as-path', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'COMMUNITIES with well-known flags', rfc: '7606 §3(c)', bytes: update(BASE + '40 08 04 0000fbf0'), code: 3, subcode: 4, handling: 'treat-as-withdraw', reason: 'bad-attribute-flags', kept: ['origin', 'as-path', 'next-hop'] },
  { name: 'ORIGIN marked optional', rfc: '7606 §3(c)', bytes: update('c0 01 01 00' + AS_PATH + NEXT_HOP), code: 3, subcode: 4, handling: 'treat-as-withdraw', reason: 'bad-attribute-flags', kept: ['as-path', 'next-hop'] },
  { name: 'missing NEXT_HOP with NLRI', rfc: '7606 §3(d)', bytes: update(ORIGIN + AS_PATH), code: 3, subcode: 3, handling: 'treat-as-withdraw', reason: 'missing-attribute', kept: ['origin', 'as-path'] },
  { name: 'missing ORIGIN with MP_REACH', rfc: '7606 §3(d)', bytes: update(AS_PATH + '80 0e 1e 0002 01 10 20010db8000000000000000000000001 00 40 20010db8ffff0000', ''), code: 3, subcode: 3, handling: 'treat-as-withdraw', reason: 'missing-attribute', kept: ['as-path', 'mp-reach'] },
  { name: 'duplicate MED keeps the first', rfc: '7606 §3(g)', bytes: update(BASE + '80 04 04 00000005' + '80 04 04 00000006'), code: 3, subcode: 1, handling: 'attribute-discard', reason: 'duplicate-attribute', kept: ['origin', 'as-path', 'next-hop', 'med'] },
  { name: 'duplicate MP_REACH_NLRI', rfc: '7606 §3(g)', bytes: update(BASE + '80 0e 15 0002 01 10 20010db8000000000000000000000001 00'.repeat(2)), code: 3, subcode: 1, handling: 'session-reset', reason: 'duplicate-attribute' },
  { name: 'MP_REACH_NLRI next hop length 5', rfc: '7606 §7.11', bytes: update(BASE + '80 0e 0a 0002 01 05 2001db8000 00 00'), code: 3, subcode: 9, handling: 'session-reset', reason: 'bad-next-hop' },
  { name: 'MP_REACH_NLRI prefix length 129', rfc: '7606 §5.3', bytes: update(BASE + '80 0e 16 0002 01 10 20010db8000000000000000000000001 00 81'), code: 3, subcode: 10, handling: 'session-reset', reason: 'bad-prefix' },
  { name: 'MP_UNREACH_NLRI with transitive flags', rfc: '7606 §3(c)', bytes: update(BASE + 'c0 0f 03 0002 01'), code: 3, subcode: 4, handling: 'session-reset', reason: 'bad-attribute-flags' },
  { name: 'unrecognized well-known attribute 99', rfc: '4271 §6.3', bytes: update(BASE + '40 63 01 00'), code: 3, subcode: 2, handling: 'session-reset', reason: 'unrecognized-attribute' },
  { name: 'OPEN truncated', rfc: '4271 §6.2', bytes: hex(MARKER, '001d', '01', '04 fbf0 005a c6336401 05'), code: 2, subcode: 0, handling: 'session-reset', reason: 'bad-length' },
  { name: 'ROUTE-REFRESH of 5 body bytes', rfc: '7313 §5', bytes: hex(MARKER, '0018', '05', '0001 00 01 00'), code: 7, subcode: 1, handling: 'session-reset', reason: 'bad-length' },
];

describe('malformed input → reason, NOTIFICATION code/subcode and RFC 7606 handling', () => {
  it.each(cases)('$name (RFC $rfc) → $reason, $code/$subcode $handling', (c) => {
    const ctx = { fourOctetAs: true };
    if (c.handling === 'session-reset') {
      let err: unknown;
      try {
        decodeMessage(c.bytes, ctx);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BgpDecodeError);
      const e = err as BgpDecodeError;
      expect([e.reason, e.code, e.subcode, e.handling]).toEqual([c.reason, c.code, c.subcode, c.handling]);
      expect(e.offset).toBeGreaterThanOrEqual(0);
      expect(e.offset).toBeLessThanOrEqual(c.bytes.length);
      return;
    }
    const { message, issues } = decodeMessage(c.bytes, ctx);
    expect(issues.map((i) => [i.reason, i.code, i.subcode, i.handling])).toContainEqual([c.reason, c.code, c.subcode, c.handling]);
    expect(message.type === 'update' && message.attributes.map((a) => a.type)).toEqual(c.kept);
  });

  it('NOTIFICATION data carries the offending attribute (RFC 4271 §6.3)', () => {
    const { issues } = decodeMessage(update(BASE + 'c0 08 05 0000fbf000'), { fourOctetAs: true });
    expect(Buffer.from(issues[0]!.data).toString('hex')).toBe('c008050000fbf000');
  });

  it('bad message length NOTIFICATION carries the length (RFC 4271 §6.1)', () => {
    try {
      decodeMessage(hex(MARKER, '0014', '04', '00'), { fourOctetAs: true });
      expect.unreachable();
    } catch (e) {
      expect(Buffer.from((e as BgpDecodeError).data).toString('hex')).toBe('0014');
    }
  });
});

describe('a received OPEN that is refused → reason and NOTIFICATION (RFC 4271 §6.2)', () => {
  const open: Open = {
    type: 'open', version: 4, myAs: 64513, holdTime: 90, bgpId: IPAddress.parse('198.51.100.2'),
    capabilities: [{ code: 'four-octet-as', asn: 64513 }], otherParameters: [],
  };
  const exp = { localAsn: 64512, peerAsn: 64513, localId: IPAddress.parse('198.51.100.1') };
  it.each<[string, Partial<Open>, DecodeReason, number]>([
    ['version 3', { version: 3 }, 'bad-version', 1],
    ['peer ASN 64999', { capabilities: [{ code: 'four-octet-as', asn: 64999 }] }, 'bad-peer-as', 2],
    ['BGP identifier 0.0.0.0', { bgpId: IPAddress.parse('0.0.0.0') }, 'bad-bgp-identifier', 3],
    ['an optional parameter of type 1', { otherParameters: [{ type: 1, value: new Uint8Array(2) }] }, 'unsupported-parameter', 4],
    ['hold time 2', { holdTime: 2 }, 'bad-hold-time', 6],
  ])('%s → %s, 2/%i', (_name, over, reason, subcode) => {
    const e = validateOpen({ ...open, ...over }, exp);
    expect(e).toBeInstanceOf(BgpDecodeError);
    expect([e?.reason, e?.code, e?.subcode, e?.handling]).toEqual([reason, 2, subcode, 'session-reset']);
  });
  it('a capability of the wrong length → bad-capability, 2/0', () => {
    // OPEN with one Capabilities parameter holding 4-octet AS of length 2.
    const bytes = hex(MARKER, '0023', '01', '04 fbf1 005a c6336402 06', '02 04 41 02 fbf1');
    let err: unknown;
    try {
      decodeMessage(bytes, { fourOctetAs: false });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ name: 'BgpDecodeError', reason: 'bad-capability', code: 2, subcode: 0, offset: 31 });
  });
});
