/** Per-address counters and the event hook (metallb_layer2_* metrics, failover latency), conflicts rate-limited. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@metallb-ts/clock/testing';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import {
  Announcer,
  arpRequest,
  encodeFrame,
  gratuitousArp,
  neighborSolicitation,
  type AnnounceLink,
  type AnnouncerEvent,
  type AnnouncerOptions,
  type ConflictEvent,
} from './index.js';

const US = MacAddress.parse('02:00:00:00:00:01');
const US1 = MacAddress.parse('02:00:00:00:01:01');
const CLIENT = MacAddress.parse('02:00:00:00:00:02');
const FOREIGN = MacAddress.parse('02:00:00:00:00:09');
const FOREIGN2 = MacAddress.parse('02:00:00:00:00:0a');
const ip = (s: string) => IPAddress.parse(s);
const V4 = ip('198.51.100.10');
const V6 = ip('2001:db8::10');
const ETH0: AnnounceLink = { name: 'eth0', mac: US, arp: true, ndp: true };
const ETH1: AnnounceLink = { name: 'eth1', mac: US1, arp: true, ndp: true };

function setup(opts: Partial<AnnouncerOptions> = {}, links: AnnounceLink[] = [ETH0, ETH1]) {
  const clock = new ManualClock(0);
  const events: AnnouncerEvent[] = [];
  const conflicts: ConflictEvent[] = [];
  const a = new Announcer(clock, { send: () => {}, conflict: (e) => conflicts.push(e), event: (e) => events.push(e) }, opts);
  a.setLinks(links);
  return { clock, events, conflicts, a };
}

const kinds = (events: AnnouncerEvent[]) => events.map((e) => `${e.kind}:${'ifName' in e ? e.ifName : ''}:${'ip' in e ? e.ip.toString() : ''}`);

describe('events and per-address counters', () => {
  it.each([
    ['fast path', true],
    ['general path', false],
  ])('requests and responses are reported per address (%s)', (_n, fastPath) => {
    const { events, a } = setup({ fastPath });
    a.announce('svc', V4, { interfaces: ['eth0'] });
    a.announce('svc', V6, { interfaces: ['eth0'] });
    events.length = 0;
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)));
    a.receive('eth0', encodeFrame(neighborSolicitation(CLIENT, ip('2001:db8::2'), V6)));
    a.receive('eth1', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4))); // wrong interface: not counted (MetalLB §6.3)
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), ip('198.51.100.99')))); // not ours
    expect(kinds(events)).toEqual([
      'request-received:eth0:198.51.100.10',
      'response-sent:eth0:198.51.100.10',
      'request-received:eth0:2001:db8::10',
      'response-sent:eth0:2001:db8::10',
    ]);
    expect(events[0]).toMatchObject({ proto: 'arp', requester: { mac: CLIENT, ip: ip('198.51.100.2') }, at: 0 });
    expect(events[2]).toMatchObject({ proto: 'ndp', requester: { mac: CLIENT, ip: ip('2001:db8::2') } });
    expect(a.ipStats(V4)).toMatchObject({ requests: 1, responses: 1, gratuitous: 2, announced: true });
    expect(a.ipStats(V6)).toMatchObject({ requests: 1, responses: 1, gratuitous: 1 });
    expect(a.stats()).toMatchObject({ requests: 2, responses: 2 });
    expect(a.ipStats(ip('198.51.100.99'))).toBeUndefined();
  });

  it('a request on a link that cannot answer it is received but not answered', () => {
    const { events, a } = setup({}, [{ ...ETH0, arp: false }]);
    a.announce('svc', V4);
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)));
    expect(events.map((e) => e.kind)).toEqual(['request-received']);
    expect(a.ipStats(V4)).toMatchObject({ requests: 1, responses: 0, gratuitous: 0 });
  });

  it('gratuitous frames: one event per frame (ARP 2 per round, NDP 1), the first after a takeover marked', () => {
    const { clock, events, a } = setup();
    clock.advance(1000);
    a.announce('svc', V4); // takeover at 1000
    a.announce('svc', V6, { interfaces: ['eth1'] });
    clock.advance(10_000);
    const g = events.filter((e) => e.kind === 'gratuitous-sent');
    // V4: 5 rounds × 2 links × 2 frames; V6: 5 rounds × 1 link × 1 frame
    expect(g.filter((e) => e.ip.equals(V4))).toHaveLength(20);
    expect(g.filter((e) => e.ip.equals(V6))).toHaveLength(5);
    expect(g.filter((e) => e.first).map((e) => [e.ip.toString(), e.ifName, e.proto, e.at, e.announcedAt])).toEqual([
      ['198.51.100.10', 'eth0', 'arp', 1000, 1000],
      ['2001:db8::10', 'eth1', 'ndp', 1000, 1000],
    ]);
    expect(a.ipStats(V4)).toMatchObject({ gratuitous: 20, announcedAt: 1000, firstGratuitousAt: 1000 });
    expect(a.stats().gratuitous).toBe(25);
  });

  it('no usable link at takeover: the first gratuitous frame goes out when one appears (refreshLink)', () => {
    const { clock, events, a } = setup({}, []);
    a.announce('svc', V4);
    expect(a.ipStats(V4)).toMatchObject({ announcedAt: 0, firstGratuitousAt: undefined, gratuitous: 0 });
    clock.advance(7000); // past the 5 s window
    a.setLinks([ETH0]);
    expect(a.refreshLink('eth0').map(String)).toEqual(['198.51.100.10']);
    expect(a.ipStats(V4)).toMatchObject({ firstGratuitousAt: 7000, gratuitous: 2 });
    expect(events.filter((e) => e.kind === 'gratuitous-sent' && e.first)).toMatchObject([{ at: 7000, announcedAt: 0 }]);
    clock.advance(10_000); // a new window: 4 more rounds on the ticker
    expect(a.ipStats(V4)?.gratuitous).toBe(10);
    expect(a.refreshLink('eth9')).toEqual([]);
  });

  it('refreshLink skips addresses restricted to other links or of a family the link cannot do', () => {
    const { a } = setup({}, [ETH0, { ...ETH1, ndp: false }]);
    a.announce('svc', V4, { interfaces: ['eth0'] });
    a.announce('svc', V6);
    expect(a.refreshLink('eth1')).toEqual([]);
    expect(a.refreshLink('eth0').map(String)).toEqual(['198.51.100.10', '2001:db8::10']);
  });

  it('counters survive a withdrawal; a new takeover restarts announcedAt and firstGratuitousAt; forgetIpStats', () => {
    const { clock, a } = setup();
    a.announce('svc', V4);
    a.withdraw('svc');
    expect(a.ipStats(V4)).toMatchObject({ announced: false, gratuitous: 4, firstGratuitousAt: 0 });
    expect(a.ipStats().map((s) => s.ip.toString())).toEqual(['198.51.100.10']);
    clock.advance(3000);
    a.announce('other', V4);
    expect(a.ipStats(V4)).toMatchObject({ announced: true, gratuitous: 8, announcedAt: 3000, firstGratuitousAt: 3000 });
    expect(a.forgetIpStats(V4)).toBe(false); // announced
    a.withdraw('other');
    expect(a.forgetIpStats(V4)).toBe(true);
    expect(a.ipStats()).toEqual([]);
  });

  it('re-announcing an owned address is not a takeover (first stays with the first frame)', () => {
    const { clock, events, a } = setup();
    a.announce('svc', V4);
    clock.advance(8000);
    a.announce('svc', V4); // MetalLB §12.27: every reconcile restarts the burst
    expect(events.filter((e) => e.kind === 'gratuitous-sent' && e.first)).toHaveLength(1);
    expect(a.ipStats(V4)).toMatchObject({ announcedAt: 0, firstGratuitousAt: 0 });
  });

  it('takeover unicasts are reported', () => {
    const { events, a } = setup();
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)));
    a.announce('svc', V4);
    expect(events.filter((e) => e.kind === 'takeover-unicast-sent')).toMatchObject([{ ip: V4, ifName: 'eth0', requester: { mac: CLIENT } }]);
    expect(a.ipStats(V4)?.takeoverUnicasts).toBe(1);
  });

  it('without a listener nothing is built, and the counters are the same', () => {
    const clock = new ManualClock(0);
    const a = new Announcer(clock, { send: () => {} });
    a.setLinks([ETH0]);
    a.announce('svc', V4);
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)));
    expect(a.ipStats(V4)).toMatchObject({ requests: 1, responses: 1, gratuitous: 2 });
  });
});

describe('conflicts: once per address and MAC per hold-down, with what was suppressed', () => {
  it('reports once, counts the suppressed detections, and reports again after the hold-down', () => {
    const { clock, events, conflicts, a } = setup({ conflictHoldDownMs: 10_000 });
    a.announce('svc', V4);
    const claim = (mac: MacAddress) => encodeFrame({ ...gratuitousArp(mac, V4, 'reply'), dst: CLIENT });
    a.receive('eth0', claim(FOREIGN));
    clock.advance(1000);
    a.receive('eth0', claim(FOREIGN));
    a.receive('eth1', claim(FOREIGN)); // same address and MAC, other interface: still the same conflict
    a.receive('eth0', claim(FOREIGN2)); // another MAC: its own report
    clock.advance(9000);
    a.receive('eth0', claim(FOREIGN));
    expect(conflicts.map((c) => [c.mac.toString(), c.at, c.suppressed])).toEqual([
      ['02:00:00:00:00:09', 0, 0],
      ['02:00:00:00:00:0a', 1000, 0],
      ['02:00:00:00:00:09', 10_000, 2],
    ]);
    expect(events.filter((e) => e.kind === 'conflict')).toHaveLength(3);
    expect(a.ipStats(V4)?.conflicts).toBe(3);
  });

  it('the bound on remembered conflicts forgets the least recently reported first', () => {
    const { clock, conflicts, a } = setup({ conflictHoldDownMs: 1_000_000 });
    a.announce('svc', V4);
    const macAt = (i: number) => MacAddress.fromBytes(Uint8Array.from([2, 0, 0, 0, i >> 8, i & 0xff]));
    const claim = (mac: MacAddress) => encodeFrame({ ...gratuitousArp(mac, V4, 'reply'), dst: CLIENT });
    for (let i = 1; i <= 1024; i++) a.receive('eth0', claim(macAt(i)));
    clock.advance(2_000_000);
    a.receive('eth0', claim(macAt(1))); // hold-down over: reported again, now the most recent
    clock.advance(1);
    a.receive('eth0', claim(macAt(5000))); // 1025 remembered: the oldest (mac 2) is forgotten, not mac 1
    conflicts.length = 0;
    a.receive('eth0', claim(macAt(1)));
    expect(conflicts).toHaveLength(0);
  });
});
