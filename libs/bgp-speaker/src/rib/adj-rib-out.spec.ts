import fc from 'fast-check';
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { AdjRibOut, cidrFromPrefixKey, prefixKey, parseRouteSpec, announcedPrefixes, buildUpdates, encodeMessage, parseRouteCommunity, parseLargeCommunity, formatLargeCommunity, standardCommunity, largeCommunity, communityValue, WellKnownCommunity, type StandardCommunity, pathAttributes, RouteParseError, withdrawnPrefixes, type PeerContext, type Route } from '../index.js';

const ctx: PeerContext = { localAsn: 64512, ibgp: false, fourOctetAs: true, families: [{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }] };
const v4 = (i: number, nh = '198.51.100.10'): Route => ({ prefix: Cidr.of(IPAddress.fromBigInt('IPv4', 0xcb007100n + BigInt(i % 256)), 32), nextHop: IPAddress.parse(nh) });
const v6 = (i: number): Route => ({ prefix: Cidr.of(IPAddress.fromBigInt('IPv6', (0x20010db8n << 96n) + BigInt(i)), 128), nextHop: IPAddress.parse('2001:db8::10') });

describe('Adj-RIB-Out', () => {
  it('packs 10,000 IPv6 /128s with equal attributes into few UPDATEs of at most 4096 bytes', () => {
    const routes = Array.from({ length: 10_000 }, (_, i) => v6(i));
    const ups = buildUpdates({ announce: routes, withdraw: [] }, ctx);
    const sizes = ups.map((u) => encodeMessage(u, ctx).length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    expect(ups.length).toBeLessThanOrEqual(Math.ceil((10_000 * 17) / 3900) + 1);
    expect(ups.flatMap(announcedPrefixes).length).toBe(10_000);
  });

  it('withdrawals are packed too, IPv4 in the classic field and IPv6 in MP_UNREACH_NLRI', () => {
    const w = [...Array.from({ length: 256 }, (_, i) => v4(i).prefix), ...Array.from({ length: 3000 }, (_, i) => v6(i).prefix)];
    const ups = buildUpdates({ announce: [], withdraw: w }, ctx);
    for (const u of ups) expect(encodeMessage(u, ctx).length).toBeLessThanOrEqual(4096);
    expect(ups.flatMap(withdrawnPrefixes).length).toBe(w.length);
    expect(ups[0]!.withdrawn.length).toBe(256);
  });

  it('attributes: eBGP prepends our ASN and sends no LOCAL_PREF; iBGP sends the LOCAL_PREF set and an empty AS_PATH', () => {
    const r: Route = { ...v4(1), communities: [parseLargeCommunity('64512:1:2'), parseRouteCommunity('64512:20'), parseRouteCommunity('64512:3'), parseRouteCommunity('64512:3')] };
    expect(pathAttributes(r, ctx).map((a) => a.type)).toEqual(['origin', 'as-path', 'next-hop', 'communities', 'large-communities']);
    const ib = pathAttributes({ ...r, localPref: 100 }, { ...ctx, ibgp: true });
    expect(ib).toContainEqual({ type: 'local-pref', localPref: 100 });
    expect(ib).toContainEqual({ type: 'as-path', segments: [] });
    expect(ib).toContainEqual({ type: 'communities', communities: [64512 * 65536 + 3, 64512 * 65536 + 20] });
    expect(ib).toContainEqual({ type: 'large-communities', communities: [largeCommunity(64512, 1, 2)] });
  });

  it('a 4-octet local ASN toward a 2-octet eBGP peer: AS_TRANS in AS_PATH, the real ASN in AS4_PATH (RFC 6793)', () => {
    const attrs = pathAttributes(v4(1), { ...ctx, localAsn: 65540, fourOctetAs: false });
    expect(attrs).toContainEqual({ type: 'as-path', segments: [{ kind: 'sequence', asns: [23456] }] });
    expect(attrs).toContainEqual({ type: 'as4-path', segments: [{ kind: 'sequence', asns: [65540] }] });
  });

  it.each([
    ['iBGP, unset → DEFAULT_LOCAL_PREF 100 (mandatory on iBGP: FRR withdraws an UPDATE without it)', true, undefined, 100],
    ['iBGP, 0 → LOCAL_PREF 0 (a real value)', true, 0, 0],
    ['iBGP, 200 → LOCAL_PREF 200', true, 200, 200],
    ['eBGP, 0 → none', false, 0, undefined],
    ['eBGP, 200 → none', false, 200, undefined],
  ])('LOCAL_PREF: %s', (_name, ibgp, localPref, want) => {
    const r: Route = { ...v4(1), ...(localPref !== undefined ? { localPref } : {}) };
    const lp = pathAttributes(r, { ...ctx, ibgp }).find((a) => a.type === 'local-pref');
    expect(lp && lp.type === 'local-pref' ? lp.localPref : undefined).toBe(want);
  });

  it('LOCAL_PREF unset and 0 are different attributes: changing one to the other is re-announced', () => {
    const rib = new AdjRibOut();
    const ib = { ...ctx, ibgp: true };
    rib.setDesired([v4(1)]);
    rib.commit(rib.pending(ib), ib);
    rib.setDesired([{ ...v4(1), localPref: 0 }]);
    expect(rib.pending(ib).announce.map((r) => r.localPref)).toEqual([0]);
    rib.commit(rib.pending(ib), ib);
    rib.setDesired([v4(1)]);
    expect(rib.pending(ib).announce.length).toBe(1);
    // On eBGP LOCAL_PREF is not sent, so the change is not an UPDATE.
    rib.commit(rib.pending(ctx), ctx);
    rib.setDesired([{ ...v4(1), localPref: 0 }]);
    expect(rib.pending(ctx).announce.length).toBe(0);
  });

  it('the diff converges: after committing pending(), nothing is pending (property)', () => {
    const routeArb = fc.record({ i: fc.integer({ min: 0, max: 40 }), nh: fc.constantFrom('198.51.100.10', '198.51.100.11'), lp: fc.option(fc.integer({ min: 0, max: 300 }), { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(fc.array(routeArb, { maxLength: 30 }), { minLength: 1, maxLength: 5 }), (sets) => {
        const rib = new AdjRibOut();
        for (const set of sets) {
          const routes = set.map((x) => ({ ...v4(x.i, x.nh), ...(x.lp !== undefined ? { localPref: x.lp } : {}) }));
          rib.setDesired(routes);
          const d = rib.pending({ ...ctx, ibgp: true });
          rib.commit(d, { ...ctx, ibgp: true });
          const again = rib.pending({ ...ctx, ibgp: true });
          expect(again.announce.length + again.withdraw.length).toBe(0);
          expect(rib.advertisedCount).toBe(new Set(routes.map((r) => r.prefix.toString())).size);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('prefix keys are compact, distinct per prefix and turn back into the same prefix (property)', () => {
    const arb = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })).map(([v, l]) => Cidr.of(IPAddress.fromBigInt('IPv4', BigInt(v)), l)),
      fc.tuple(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), fc.integer({ min: 0, max: 128 })).map(([v, l]) => Cidr.of(IPAddress.fromBigInt('IPv6', v), l)),
    );
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        expect(cidrFromPrefixKey(prefixKey(a))).toEqual(a);
        expect(prefixKey(a) === prefixKey(b)).toBe(a.equals(b));
        expect(prefixKey(a).length).toBe(a.network.isV4 ? 4 : 10);
      }),
      { numRuns: 2000 },
    );
  });

  it('routes of a family the peer did not negotiate stay pending', () => {
    const rib = new AdjRibOut();
    rib.setDesired([v4(1), v6(1)]);
    const d = rib.pending({ ...ctx, families: [{ afi: 1, safi: 1 }] });
    expect(d.announce.map((r) => r.prefix.toString())).toEqual(['203.0.113.1/32']);
  });

  it('community parsing: A:B, well-known names, large G:L1:L2; bad input gets a clear error', () => {
    expect(parseRouteCommunity('65535:65281')).toEqual(standardCommunity(65535, 65281));
    expect(communityValue(parseRouteCommunity('65535:65281') as StandardCommunity)).toBe(0xffffff01);
    expect(parseRouteCommunity('no-export')).toEqual(standardCommunity(65535, 65281));
    expect(parseRouteCommunity('large:1:2:3')).toEqual(largeCommunity(1, 2, 3));
    expect(parseLargeCommunity('4294967295:0:1')).toEqual({ kind: 'large', global: 4294967295, local1: 0, local2: 1 });
    expect(formatLargeCommunity(parseLargeCommunity('4294967295:0:1'))).toBe('4294967295:0:1');
    expect(() => parseRouteCommunity('65536:1')).toThrow(RouteParseError);
    expect(() => parseRouteCommunity('1:2:3')).toThrow(/A:B/);
    expect(() => parseLargeCommunity('1:2')).toThrow(/G:L1:L2/);
  });
});

describe('parseRouteSpec (the --route syntax of metallb-ts bgp announce)', () => {
  it('parses every option', () => {
    const r = parseRouteSpec('203.0.113.0/24,next-hop=198.51.100.1,local-pref=200,med=5,communities=64512:1;no-export,large-communities=64512:1:2;64512:3:4');
    expect(r.prefix.toString()).toBe('203.0.113.0/24');
    expect(r.nextHop?.toString()).toBe('198.51.100.1');
    expect([r.localPref, r.med]).toEqual([200, 5]);
    expect(r.communities).toEqual([standardCommunity(64512, 1), WellKnownCommunity['no-export'], largeCommunity(64512, 1, 2), largeCommunity(64512, 3, 4)]);
    expect(parseRouteSpec('2001:db8:ffff::10/128,next-hop=2001:db8::10').prefix.family).toBe('IPv6');
  });

  it.each([
    ['203.0.113.0/33,next-hop=198.51.100.1', /prefix/],
    ['203.0.113.1/24,next-hop=198.51.100.1', /host bits/],
    ['203.0.113.0/24', /next-hop=IP is required/],
    ['203.0.113.0/24,next-hop=2001:db8::1', /not IPv4/],
    ['203.0.113.0/24,next-hop=198.51.100.1,local-pref=-1', /not a decimal number/],
    ['203.0.113.0/24,next-hop=198.51.100.1,communities=65536:1', /exceeds 65535/],
    ['203.0.113.0/24,next-hop=198.51.100.1,colour=red', /unknown option "colour"/],
    ['203.0.113.0/24,next-hop=198.51.100.1,med=1,med=2', /twice/],
  ])('%s → one clear error', (text, re) => {
    expect(() => parseRouteSpec(text)).toThrow(RouteParseError);
    expect(() => parseRouteSpec(text)).toThrow(re);
  });
});
