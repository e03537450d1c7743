import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@metallb-ts/clock/testing';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { Announcer, encodeFrame, icmpv6Checksum, solicitedNodeAddress, solicitedNodeMac, type ConflictEvent, type NdOption, type ReplyDecision } from './index.js';

const US = MacAddress.parse('02:00:00:00:01:01');
const macs = [US, MacAddress.parse('02:00:00:00:00:02'), MacAddress.parse('02:00:00:00:00:09'), MacAddress.BROADCAST, MacAddress.ZERO];
const v6 = ['2001:db8::10', '2001:db8::11', '2001:db8::12', '2001:db8::2', 'fe80::2', '::', 'ff02::1'].map((x) => IPAddress.parse(x));
const ips = ['198.51.100.10', '198.51.100.11', '198.51.100.12', '198.51.100.2', '198.51.100.3', '0.0.0.0'].map((s) => IPAddress.parse(s));

function make(fastPath: boolean) {
  const clock = new ManualClock(0);
  const sent: string[] = [];
  const conflicts: ConflictEvent[] = [];
  const a = new Announcer(clock, { send: (i, f) => sent.push(`${i} ${Buffer.from(f).toString('hex')}`), conflict: (e) => conflicts.push(e) }, { fastPath });
  a.setLinks([
    { name: 'eth0', mac: US, arp: true, ndp: true },
    { name: 'eth1', mac: US, arp: false, ndp: true },
  ]);
  a.announce('s1', ips[0]!); // everywhere
  a.announce('s2', ips[1]!, { interfaces: ['eth1'] }); // wrong-interface on eth0
  a.announce('s3', ips[3]!, { interfaces: ['eth0'] }); // a client's address: conflicts
  a.announce('s1', v6[0]!);
  a.announce('s2', v6[1]!, { interfaces: ['eth1'] });
  a.announce('s3', v6[3]!, { interfaces: ['eth0'] });
  return { clock, sent, conflicts, a };
}

const norm = (d: ReplyDecision) =>
  d.kind === 'reply'
    ? { kind: d.kind, proto: d.proto, ip: d.ip.toString(), req: `${d.requester.mac}/${d.requester.ip}`, frame: Buffer.from(encodeFrame(d.frame)).toString('hex') }
    : { kind: d.kind, reason: d.reason, ip: d.ip?.toString() };

/** ARP-ish frames: mostly valid Ethernet/IPv4 requests, with every field drawn from a few interesting values. */
const arpish = fc
  .record({
    dst: fc.constantFrom(...macs),
    src: fc.constantFrom(...macs),
    sha: fc.constantFrom(...macs),
    spa: fc.constantFrom(...ips),
    tha: fc.constantFrom(...macs),
    tpa: fc.constantFrom(...ips),
    op: fc.constantFrom(1, 1, 1, 2, 3),
    htype: fc.constantFrom(1, 1, 1, 6),
    vlan: fc.constantFrom(false, false, false, true),
    trailer: fc.uint8Array({ maxLength: 20 }),
    flip: fc.option(fc.tuple(fc.integer({ min: 12, max: 21 }), fc.integer({ min: 0, max: 255 })), { freq: 8 }),
  })
  .map((r) => {
    const b = encodeFrame({
      dst: r.dst,
      src: r.src,
      vlans: r.vlan ? [{ tpid: 0x8100, pcp: 0, dei: false, vid: 7 }] : [],
      body: { kind: 'arp', hardwareType: r.htype, operation: r.op, senderMac: r.sha, senderIp: r.spa, targetMac: r.tha, targetIp: r.tpa },
      trailer: r.trailer,
    });
    if (r.flip) b[r.flip[0]] = r.flip[1];
    return b;
  });

describe('fast path (ARP requests, Neighbor Solicitations)', () => {
  it('gives exactly what the general path gives: decisions, frames sent, counters, requesters, conflicts', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('eth0', 'eth1', 'eth9'), arpish), { minLength: 1, maxLength: 40 }), (frames) => {
        const fast = make(true);
        const slow = make(false);
        for (const [ifName, bytes] of frames) {
          expect(norm(fast.a.receive(ifName, bytes))).toEqual(norm(slow.a.receive(ifName, bytes)));
          fast.clock.advance(100);
          slow.clock.advance(100);
        }
        expect(fast.sent).toEqual(slow.sent);
        expect(fast.a.stats()).toEqual(slow.a.stats());
        expect(fast.conflicts).toEqual(slow.conflicts);
        for (const ip of ips) expect(fast.a.recentRequesters(ip)).toEqual(slow.a.recentRequesters(ip));
      }),
      { numRuns: 2000 },
    );
  });

  it('really is taken for plain requests (and is cheaper)', () => {
    const fast = make(true);
    const req = encodeFrame({
      dst: MacAddress.BROADCAST,
      src: macs[1]!,
      vlans: [],
      body: { kind: 'arp', hardwareType: 1, operation: 1, senderMac: macs[1]!, senderIp: ips[4]!, targetMac: MacAddress.ZERO, targetIp: ips[0]! },
      trailer: new Uint8Array(0),
    });
    const d = fast.a.receive('eth0', req);
    expect(d.kind).toBe('reply');
    // the lazily built frame model is only there for consumers that ask for it
    expect(Object.getOwnPropertyDescriptor(Object.getPrototypeOf(d), 'frame')?.get).toBeTypeOf('function');
    expect(d.kind === 'reply' && d.frame.body).toMatchObject({ kind: 'arp', operation: 2, targetIp: ips[4] });
  });

  it('NDP: gives exactly what the general path gives for Neighbor Solicitations of every kind', () => {
    const target = fc.constantFrom(...v6.slice(0, 4), v6[6]!);
    const nsish = fc
      .record({
        target,
        src: fc.constantFrom(...v6.slice(2, 6)),
        dstKind: fc.constantFrom('snm', 'snm', 'target', 'all-nodes', 'other'),
        dstMac: fc.constantFrom('group', 'group', 'us', 'other', 'broadcast'),
        srcMac: fc.constantFrom(...macs.slice(0, 3)),
        hop: fc.constantFrom(255, 255, 255, 64),
        code: fc.constantFrom(0, 0, 0, 1),
        options: fc.array(
          fc.oneof(
            fc.constantFrom(...macs.slice(0, 3)).map((m): NdOption => ({ type: 'source-lla', mac: m })),
            fc.constantFrom(...macs.slice(0, 3)).map((m): NdOption => ({ type: 'target-lla', mac: m })),
            fc.uint8Array({ minLength: 6, maxLength: 6 }).map((d): NdOption => ({ type: 'raw', code: 14, data: d })),
          ),
          { maxLength: 3 },
        ),
        vlan: fc.constantFrom(false, false, false, true),
        trailer: fc.uint8Array({ maxLength: 8 }),
        flip: fc.option(fc.tuple(fc.integer({ min: 12, max: 100 }), fc.integer({ min: 0, max: 255 }), fc.boolean()), { freq: 6 }),
      })
      .map((r) => {
        const dst = r.dstKind === 'snm' ? solicitedNodeAddress(r.target) : r.dstKind === 'target' ? r.target : r.dstKind === 'all-nodes' ? v6[6]! : v6[2]!;
        const dstMac = r.dstMac === 'group' ? solicitedNodeMac(r.target) : r.dstMac === 'us' ? US : r.dstMac === 'broadcast' ? MacAddress.BROADCAST : macs[2]!;
        const b = encodeFrame({
          dst: dstMac,
          src: r.srcMac,
          vlans: r.vlan ? [{ tpid: 0x8100, pcp: 0, dei: false, vid: 7 }] : [],
          body: { kind: 'ndp', ip: { trafficClass: 0, flowLabel: 0, hopLimit: r.hop, src: r.src, dst }, message: { type: 'ns', code: r.code, reserved: 0, target: r.target, options: r.options } },
          trailer: r.trailer,
        });
        if (r.flip && r.flip[0] < b.length) {
          b[r.flip[0]] = r.flip[1];
          if (r.flip[2] && !r.vlan && b.length >= 78) {
            // repair the checksum so that the mutation reaches the later checks
            const pl = (b[18]! << 8) | b[19]!;
            if (54 + pl <= b.length && pl >= 4) {
              b[56] = 0;
              b[57] = 0;
              const sum = icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b.subarray(54, 54 + pl));
              b[56] = sum >> 8;
              b[57] = sum & 0xff;
            }
          }
        }
        return b;
      });
    let replies = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('eth0', 'eth0', 'eth1'), nsish), { minLength: 1, maxLength: 30 }), (frames) => {
        const fast = make(true);
        const slow = make(false);
        for (const [ifName, bytes] of frames) {
          const d = fast.a.receive(ifName, bytes);
          if (d.kind === 'reply') replies++;
          expect(norm(d)).toEqual(norm(slow.a.receive(ifName, bytes)));
          fast.clock.advance(100);
          slow.clock.advance(100);
        }
        expect(fast.sent).toEqual(slow.sent);
        expect(fast.a.stats()).toEqual(slow.a.stats());
        expect(fast.conflicts).toEqual(slow.conflicts);
        for (const ip of v6) expect(fast.a.recentRequesters(ip)).toEqual(slow.a.recentRequesters(ip));
      }),
      { numRuns: 2000 },
    );
    expect(replies).toBeGreaterThan(100); // the reply path itself was exercised
  });
});
