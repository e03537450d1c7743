import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { announcedPrefixes, decodeMessage, encodeMessage, endOfRibFamily, type BgpMessage, type Open, type Update } from '../index.js';

const dir = new URL('../../test/vectors/', import.meta.url).pathname;
const files = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
const load = (f: string): BgpMessage => decodeMessage(readFileSync(dir + f), { fourOctetAs: true }).message;
const ctx = { fourOctetAs: true };

/** Byte-identical re-encoding is expected except where the daemon chose another valid layout. */
const LAYOUT_DIFFERS = new Set(['frr-open.bin', 'frr-update-3.bin', 'frr-update-4.bin', 'bird-update-3.bin']);

describe('captured messages from gobgpd, BIRD and FRR', () => {
  it('there are captures from all three daemons', () => {
    for (const d of ['gobgp', 'bird', 'frr']) expect(files.filter((f) => f.startsWith(`${d}-`)).length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s decodes without issues and re-encodes to the same model', (f) => {
    const bytes = readFileSync(dir + f);
    const { message, issues } = decodeMessage(bytes, ctx);
    expect(issues).toEqual([]);
    const again = encodeMessage(message, ctx);
    expect(decodeMessage(again, ctx).message).toEqual(message);
    if (!LAYOUT_DIFFERS.has(f)) expect(Buffer.from(again).toString('hex')).toBe(bytes.toString('hex'));
  });

  it('OPENs: ASN, hold time, identifier and capabilities (unknown ones kept raw)', () => {
    const g = load('gobgp-open.bin') as Open;
    expect([g.myAs, g.holdTime, g.bgpId.toString()]).toEqual([64512, 90, '127.0.30.7']);
    expect(g.capabilities.map((c) => (c.code === 'unknown' ? c.type : c.code))).toEqual(['route-refresh', 73, 'multiprotocol', 'multiprotocol', 'four-octet-as', 'graceful-restart', 5]);
    const b = load('bird-open.bin') as Open;
    expect(b.capabilities).toContainEqual({ code: 'graceful-restart', restarting: false, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: false }, { afi: 2, safi: 1, forwardingPreserved: false }] });
    const f = load('frr-open.bin') as Open;
    expect(f.capabilities).toContainEqual({ code: 'graceful-restart', restarting: true, notification: true, restartTime: 120, families: [] });
    expect(f.capabilities).toContainEqual({ code: 'four-octet-as', asn: 64512 });
  });

  it('UPDATEs carry the originated routes with their communities and large communities', () => {
    const g = load('gobgp-update-3.bin') as Update;
    expect(announcedPrefixes(g).map(String)).toEqual(['203.0.113.50/32']);
    expect(g.attributes).toContainEqual({ type: 'med', med: 10 });
    expect(g.attributes).toContainEqual({ type: 'communities', communities: [64512 * 65536 + 5] });
    expect(g.attributes).toContainEqual({ type: 'large-communities', communities: [{ kind: 'large', global: 64512, local1: 5, local2: 6 }] });
    const g6 = load('gobgp-update-1.bin') as Update;
    expect(g6.attributes.find((a) => a.type === 'mp-reach')).toMatchObject({ afi: 2, safi: 1, nlri: [expect.objectContaining({ prefix: 64 })] });
    expect(announcedPrefixes(load('bird-update-1.bin') as Update).map(String)).toEqual(['203.0.113.51/32']);
    expect(announcedPrefixes(load('bird-update-3.bin') as Update).map(String)).toEqual(['2001:db8:51::/64']);
    const f6 = load('frr-update-4.bin') as Update;
    const mp = f6.attributes.find((a) => a.type === 'mp-reach');
    expect(mp?.type === 'mp-reach' && mp.nextHop.toString()).toBe('::ffff:127.0.30.9');
  });

  it('End-of-RIB markers from every daemon are recognised', () => {
    const eors = files.filter((f) => f.includes('update')).map((f) => [f, endOfRibFamily(load(f) as Update)] as const).filter(([, e]) => e);
    for (const d of ['gobgp', 'bird', 'frr']) {
      expect(eors.filter(([f]) => f.startsWith(d)).map(([, e]) => e)).toEqual(expect.arrayContaining([{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]));
    }
  });

  it('shutdown NOTIFICATIONs are Cease', () => {
    expect(load('gobgp-notification.bin')).toMatchObject({ type: 'notification', code: 6, subcode: 3 });
    expect(load('bird-notification.bin')).toMatchObject({ type: 'notification', code: 6, subcode: 2 });
  });
});
