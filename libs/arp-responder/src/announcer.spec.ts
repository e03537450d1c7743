import { describe, expect, it } from 'vitest';
import { ManualClock } from '@metallb-ts/clock/testing';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import {
  Announcer,
  arpRequest,
  decodeFrame,
  encodeFrame,
  gratuitousArp,
  neighborAdvertisement,
  neighborSolicitation,
  type AnnounceLink,
  type ConflictEvent,
  type Frame,
} from './index.js';

const US = MacAddress.parse('02:00:00:00:00:01');
const US1 = MacAddress.parse('02:00:00:00:01:01');
const CLIENT = MacAddress.parse('02:00:00:00:00:02');
const FOREIGN = MacAddress.parse('02:00:00:00:00:09');
const ip = (s: string) => IPAddress.parse(s);
const V4 = ip('198.51.100.10');
const V6 = ip('2001:db8::10');
const ETH0: AnnounceLink = { name: 'eth0', mac: US, arp: true, ndp: true };
const ETH1: AnnounceLink = { name: 'eth1', mac: US1, arp: true, ndp: true };

function setup(opts: ConstructorParameters<typeof Announcer>[2] = {}) {
  const clock = new ManualClock(0);
  const sent: { at: number; ifName: string; frame: Frame }[] = [];
  const conflicts: ConflictEvent[] = [];
  const a = new Announcer(
    clock,
    { send: (ifName, bytes) => sent.push({ at: clock.monotonic(), ifName, frame: decodeFrame(bytes) }), conflict: (e) => conflicts.push(e) },
    opts,
  );
  a.setLinks([ETH0, ETH1]);
  return { clock, sent, conflicts, a };
}

const roundTimes = (sent: { at: number }[]) => [...new Set(sent.map((s) => s.at))];

describe('gratuitous schedule (MetalLB §6.7)', () => {
  it('a takeover sends a round at once, then every 1.1 s until 5 s after the announcement', () => {
    const { clock, sent, a } = setup();
    a.announce('svc', V4, { interfaces: ['eth0'] });
    clock.advance(10_000);
    expect(roundTimes(sent)).toEqual([0, 1100, 2200, 3300, 4400]);
    expect(sent).toHaveLength(10); // request and reply form each round
    const [req, rep] = sent;
    expect(req!.frame.body).toMatchObject({ kind: 'arp', operation: 1, senderIp: V4, targetIp: V4, senderMac: US, targetMac: MacAddress.BROADCAST });
    expect(rep!.frame.body).toMatchObject({ kind: 'arp', operation: 2, senderIp: V4, targetIp: V4 });
    expect(req!.frame.dst.isBroadcast()).toBe(true);
    expect(a.tickerRunning).toBe(false);
    expect(a.stats().gratuitous).toBe(10);
  });

  it('re-announcing extends the window without an extra immediate round', () => {
    const { clock, sent, a } = setup();
    a.announce('svc', V4, { interfaces: ['eth0'] });
    clock.advance(3000);
    a.announce('svc', V4, { interfaces: ['eth0'] });
    clock.advance(10_000);
    expect(roundTimes(sent)).toEqual([0, 1100, 2200, 3300, 4400, 5500, 6600, 7700]);
  });

  it('re-announcing after the window closed starts over with an immediate round', () => {
    const { clock, sent, a } = setup();
    a.announce('svc', V4, { interfaces: ['eth0'] });
    clock.advance(6000);
    sent.length = 0;
    a.announce('svc', V4, { interfaces: ['eth0'] });
    expect(roundTimes(sent)).toEqual([6000]);
  });

  it('IPv6: one unsolicited NA per round to all nodes with O=1, S=0', () => {
    const { clock, sent, a } = setup();
    a.announce('svc', V6, { interfaces: ['eth0'] });
    clock.advance(10_000);
    expect(sent).toHaveLength(5);
    const f = sent[0]!.frame;
    expect(f.dst.toString()).toBe('33:33:00:00:00:01');
    expect(f.body).toMatchObject({ kind: 'ndp', ip: { hopLimit: 255, src: V6, dst: ip('ff02::1') }, message: { type: 'na', override: true, solicited: false, router: false, target: V6 } });
  });

  it('a round goes out on every allowed interface; restricted addresses only where allowed', () => {
    const { sent, a } = setup();
    a.announce('all', V4);
    expect(sent.map((s) => s.ifName)).toEqual(['eth0', 'eth0', 'eth1', 'eth1']);
    expect(sent[2]!.frame.src.equals(US1)).toBe(true);
    sent.length = 0;
    a.announce('one', ip('198.51.100.11'), { interfaces: ['eth1'] });
    expect(sent.map((s) => s.ifName)).toEqual(['eth1', 'eth1']);
  });

  it('links without ARP or NDP get no frames of that family', () => {
    const { sent, a } = setup();
    a.setLinks([{ ...ETH0, ndp: false }, { ...ETH1, arp: false }]);
    a.announce('s', V4);
    a.announce('s', V6);
    expect(sent.map((s) => `${s.ifName}:${s.frame.body.kind}`)).toEqual(['eth0:arp', 'eth0:arp', 'eth1:ndp']);
  });

  it('withdrawing stops the rounds and the answers; the ticker stops when nothing is scheduled', () => {
    const { clock, sent, a } = setup();
    a.announce('svc', V4, { interfaces: ['eth0'] });
    clock.advance(1500);
    a.withdraw('svc');
    expect(a.tickerRunning).toBe(false);
    const before = sent.length;
    clock.advance(5000);
    expect(sent.length).toBe(before);
    const d = a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)));
    expect(d).toMatchObject({ kind: 'drop', reason: 'not-owned' });
  });
});

describe('ownership (MetalLB §6.3)', () => {
  it('is reference counted across services', () => {
    const { a } = setup();
    a.announce('a', V4);
    a.announce('b', V4);
    a.withdraw('a');
    expect(a.ownership(V4, 'eth0')).toBe('owned');
    a.withdraw('b');
    expect(a.ownership(V4, 'eth0')).toBe('not-owned');
    expect(a.announced()).toEqual([]);
  });

  it('an interface restriction gives wrong-interface elsewhere; re-announcing replaces it', () => {
    const { a } = setup();
    a.announce('a', V4, { interfaces: ['eth1'] });
    expect([a.ownership(V4, 'eth0'), a.ownership(V4, 'eth1')]).toEqual(['wrong-interface', 'owned']);
    a.announce('a', V4);
    expect(a.ownership(V4, 'eth0')).toBe('owned');
  });

  it('withdraw(key, ip) drops just that address', () => {
    const { a } = setup();
    a.announce('a', V4);
    a.announce('a', V6);
    a.withdraw('a', V4);
    expect(a.announced().map(String)).toEqual(['2001:db8::10']);
  });

  it('lists the solicited-node groups to join per interface', () => {
    const { a } = setup();
    a.announce('a', V6, { interfaces: ['eth1'] });
    a.announce('a', V4);
    expect(a.multicastGroups('eth0').map(String)).toEqual([]);
    expect(a.multicastGroups('eth1').map(String)).toEqual(['33:33:ff:00:00:10']);
  });
});

describe('answering', () => {
  it('answers requests for owned addresses and counts drops by reason', () => {
    const { sent, a } = setup();
    a.announce('svc', V4, { interfaces: ['eth0'] });
    sent.length = 0;
    expect(a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4))).kind).toBe('reply');
    expect(a.receive('eth1', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)))).toMatchObject({ reason: 'wrong-interface' });
    expect(a.receive('eth9', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)))).toMatchObject({ reason: 'wrong-interface' });
    expect(a.receive('eth0', new Uint8Array(3))).toMatchObject({ reason: 'malformed' });
    expect(sent).toHaveLength(1);
    expect(sent[0]!.frame.dst.equals(CLIENT)).toBe(true);
    const s = a.stats();
    expect([s.responses, s.drops['wrong-interface'], s.drops.malformed]).toEqual([1, 2, 1]);
  });

  it('does not answer ARP on an NDP-only link', () => {
    const { sent, a } = setup();
    a.setLinks([{ ...ETH0, arp: false }]);
    a.announce('svc', V4);
    expect(a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)))).toMatchObject({ kind: 'drop', reason: 'unsupported' });
    expect(sent).toHaveLength(0);
  });
});

describe('takeover: unicast to recent requesters', () => {
  it('replies to clients that asked for the address before we owned it', () => {
    const { clock, sent, a } = setup();
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)));
    a.receive('eth0', encodeFrame(neighborSolicitation(CLIENT, ip('2001:db8::2'), V6)));
    expect(a.recentRequesters(V4)).toEqual([{ ifName: 'eth0', mac: CLIENT, ip: ip('198.51.100.2') }]);
    clock.advance(1000);
    a.announce('svc', V4, { interfaces: ['eth0'] });
    a.announce('svc', V6, { interfaces: ['eth0'] });
    const unicast = sent.filter((s) => !s.frame.dst.isMulticast());
    expect(unicast).toHaveLength(2);
    expect(unicast[0]!.frame.dst.equals(CLIENT)).toBe(true);
    expect(unicast[0]!.frame.body).toMatchObject({ kind: 'arp', operation: 2, senderMac: US, senderIp: V4, targetMac: CLIENT, targetIp: ip('198.51.100.2') });
    expect(unicast[1]!.frame.body).toMatchObject({ kind: 'ndp', ip: { src: V6, dst: ip('2001:db8::2') }, message: { type: 'na', override: true, solicited: false } });
    expect(a.stats().takeoverUnicasts).toBe(2);
  });

  it('forgets requesters after the TTL, and re-announcing an owned address is not a takeover', () => {
    const { clock, sent, a } = setup({ requesterTtlMs: 5000 });
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), V4)));
    clock.advance(6000);
    a.announce('svc', V4);
    expect(sent.filter((s) => !s.frame.dst.isMulticast())).toHaveLength(0);
    a.receive('eth0', encodeFrame(arpRequest(FOREIGN, ip('198.51.100.3'), V4)));
    sent.length = 0;
    a.announce('svc2', V4);
    expect(sent.filter((s) => !s.frame.dst.isMulticast())).toHaveLength(0);
  });

  it('does not remember probes, gratuitous frames or our own frames; bounds the memory', () => {
    const { a } = setup({ maxRequestersPerIp: 2, maxTrackedIps: 2 });
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('0.0.0.0'), V4)));
    a.receive('eth0', encodeFrame(gratuitousArp(CLIENT, V4, 'request')));
    a.receive('eth0', encodeFrame(arpRequest(US, ip('198.51.100.1'), V4)));
    expect(a.recentRequesters(V4)).toEqual([]);
    for (const n of [2, 3, 4]) a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip(`198.51.100.${n}`), V4)));
    expect(a.recentRequesters(V4).map((r) => r.ip.toString())).toEqual(['198.51.100.3', '198.51.100.4']);
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), ip('198.51.100.50'))));
    a.receive('eth0', encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), ip('198.51.100.51'))));
    expect(a.recentRequesters(V4)).toEqual([]);
  });
});

describe('conflict detection', () => {
  it('reports a foreign ARP reply, gratuitous ARP and NA for an owned address, once per hold-down', () => {
    const { clock, conflicts, a } = setup({ conflictHoldDownMs: 10_000 });
    a.announce('svc', V4);
    a.announce('svc', V6);
    const foreignReply = encodeFrame({ ...gratuitousArp(FOREIGN, V4, 'reply'), dst: CLIENT });
    a.receive('eth0', foreignReply);
    a.receive('eth0', foreignReply);
    a.receive('eth1', encodeFrame(neighborAdvertisement(FOREIGN, V6, { mac: CLIENT, ip: ip('2001:db8::2') }, { solicited: true, override: false })));
    expect(conflicts.map((c) => [c.ip.toString(), c.ifName, c.mac.toString(), c.via])).toEqual([
      ['198.51.100.10', 'eth0', '02:00:00:00:00:09', 'arp-gratuitous'],
      ['2001:db8::10', 'eth1', '02:00:00:00:00:09', 'ndp-advertisement'],
    ]);
    clock.advance(10_000);
    a.receive('eth0', encodeFrame(arpRequest(FOREIGN, V4, ip('198.51.100.2'))));
    expect(conflicts.at(-1)?.via).toBe('arp-request');
    expect(a.stats().conflicts).toBe(3);
  });

  it('our own frames and addresses we do not own raise nothing', () => {
    const { conflicts, a } = setup();
    a.announce('svc', V4, { interfaces: ['eth0'] });
    a.receive('eth0', encodeFrame(gratuitousArp(US, V4, 'reply')));
    a.receive('eth0', encodeFrame(gratuitousArp(FOREIGN, ip('198.51.100.99'), 'reply')));
    a.receive('eth1', encodeFrame(gratuitousArp(FOREIGN, V4, 'reply'))); // not announced on eth1
    expect(conflicts).toEqual([]);
  });
});
