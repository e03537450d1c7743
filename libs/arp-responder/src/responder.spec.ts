import { describe, expect, it } from 'vitest';
import { ManualClock } from '@metallb-ts/clock/testing';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import {
  Responder,
  TransportError,
  arpRequest,
  decodeFrame,
  encodeFrame,
  neighborSolicitation,
  qualifyLink,
  type ConflictEvent,
} from './index.js';
import { MemorySegment, MemoryTransport } from './testing/index.js';

const ip = (s: string) => IPAddress.parse(s);
const CLIENT = MacAddress.parse('02:00:00:00:00:02');
const R1 = '02:00:00:00:01:01';
const R2 = '02:00:00:00:01:02';
const VIP = ip('198.51.100.100');
const VIP6 = ip('2001:db8::100');

function lan() {
  const clock = new ManualClock(0);
  const seg = new MemorySegment();
  const client = seg.endpoint('client', CLIENT);
  const host = (name: string, mac: string) => new MemoryTransport(name).addLink({ name: 'eth0', mac, segment: seg });
  return { clock, seg, client, host };
}

describe('Responder over the in-memory transport', () => {
  it('opens sockets only on qualifying interfaces (MetalLB §6.4)', () => {
    const t = new MemoryTransport()
      .addLink({ name: 'eth0', mac: R1 })
      .addLink({ name: 'down0', mac: '02:00:00:00:02:01', up: false })
      .addLink({ name: 'slave0', mac: '02:00:00:00:02:02', hasMaster: true })
      .addLink({ name: 'noarp0', mac: '02:00:00:00:02:03', noArp: true })
      .addLink({ name: 'v4only', mac: '02:00:00:00:02:04', addresses: ['198.51.100.5/24'] })
      .addLink({ name: 'ptp0', mac: '02:00:00:00:02:05', broadcast: false, addresses: [] })
      .addLink({ name: 'skip-me', mac: '02:00:00:00:02:06' });
    const r = Responder.start({ transport: t, clock: new ManualClock(0), excludeInterfaces: [/^skip-/] });
    expect(r.activeInterfaces().sort()).toEqual(['eth0', 'v4only']);
    expect(r.announcer.getLinks().find((l) => l.name === 'v4only')).toMatchObject({ arp: true, ndp: false });
    r.close();
    expect(t.openSockets('eth0')).toBe(0);
  });

  it('qualifyLink: NDP needs a link-local address, ARP the BROADCAST flag', () => {
    const base = { name: 'x', index: 2, mac: MacAddress.parse(R1), up: true, broadcast: false, noArp: false, loopback: false, hasMaster: false };
    expect(qualifyLink({ ...base, addresses: [{ ip: ip('fe80::1'), prefix: 64 }] })).toMatchObject({ arp: false, ndp: true });
    expect(qualifyLink({ ...base, addresses: [{ ip: ip('2001:db8::1'), prefix: 64 }] })).toBeUndefined();
    expect(qualifyLink({ ...base, loopback: true, broadcast: true, addresses: [] })).toBeUndefined();
  });

  it('answers a client on the segment and keeps solicited-node groups in step', () => {
    const { clock, client, host } = lan();
    const t = host('r1', R1);
    const r = Responder.start({ transport: t, clock });
    r.announce('svc', VIP);
    r.announce('svc', VIP6);
    expect(t.joinedGroups('eth0')).toEqual(['33:33:ff:00:01:00']);
    client.take();
    client.send(encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), VIP)));
    client.send(encodeFrame(neighborSolicitation(CLIENT, ip('2001:db8::2'), VIP6)));
    const got = client.take().map(decodeFrame);
    expect(got.map((f) => [f.src.toString(), f.body.kind])).toEqual([
      [R1, 'arp'],
      [R1, 'ndp'],
    ]);
    r.withdraw('svc', VIP6);
    expect(t.joinedGroups('eth0')).toEqual([]);
    r.withdraw('svc');
    client.send(encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), VIP)));
    expect(client.take()).toEqual([]);
    r.close();
  });

  it('takeover: the new owner announces and unicasts to the clients that asked, the old one reports the conflict', () => {
    const { clock, client, host } = lan();
    const conflicts: ConflictEvent[] = [];
    const r1 = Responder.start({ transport: host('r1', R1), clock, onConflict: (e) => conflicts.push(e) });
    const r2 = Responder.start({ transport: host('r2', R2), clock });
    r1.announce('svc', VIP);
    client.send(encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), VIP)));
    clock.advance(2000);
    client.take();
    r2.announce('svc', VIP); // r1 has not noticed yet: both answer for a moment
    const frames = client.take().map(decodeFrame);
    const fromR2 = frames.filter((f) => f.src.toString() === R2);
    expect(fromR2.filter((f) => f.dst.isBroadcast())).toHaveLength(2);
    expect(fromR2.filter((f) => f.dst.equals(CLIENT))).toHaveLength(1);
    expect(conflicts.map((c) => [c.ip.toString(), c.mac.toString()])).toContainEqual([VIP.toString(), R2]);
    r1.close();
    r2.close();
  });

  it('reports interface-down and interface-gone, and closes the sockets of such interfaces', () => {
    const { clock, host } = lan();
    const t = host('r1', R1).addLink({ name: 'eth1', mac: '02:00:00:00:01:11' }).addLink({ name: 'eth3', mac: '02:00:00:00:01:13' });
    const errors: TransportError[] = [];
    const r = Responder.start({ transport: t, clock, onError: (e) => errors.push(e) });
    t.setUp('eth1', false);
    t.removeLink('eth3');
    expect(errors.map((e) => [e.kind, e.ifName])).toEqual([
      ['interface-down', 'eth1'],
      ['interface-gone', 'eth3'],
    ]);
    expect(r.activeInterfaces()).toEqual(['eth0']);
    expect([t.openSockets('eth1'), t.openSockets('eth3')]).toEqual([0, 0]);
    t.setUp('eth1', true);
    expect(r.activeInterfaces()).toEqual(['eth0', 'eth1']);
    t.addLink({ name: 'eth2', mac: '02:00:00:00:01:12' });
    expect(r.activeInterfaces().sort()).toEqual(['eth0', 'eth1', 'eth2']); // the change notification re-scanned
    r.close();
  });

  it('without change notifications, the periodic scan picks up new interfaces', () => {
    const { clock, host } = lan();
    const t = host('r1', R1);
    const r = Responder.start({ transport: t, clock, watchLinks: false });
    t.addLink({ name: 'eth2', mac: '02:00:00:00:01:12' });
    expect(r.activeInterfaces()).toEqual(['eth0']);
    clock.advance(10_000);
    expect(r.activeInterfaces().sort()).toEqual(['eth0', 'eth2']);
    r.close();
    t.addLink({ name: 'eth3', mac: '02:00:00:00:01:13' });
    expect(t.openSockets('eth3')).toBe(0);
  });

  it('fails to start with a clear error without CAP_NET_RAW or with a missing named interface', () => {
    const t = new MemoryTransport().addLink({ name: 'eth0', mac: R1 });
    t.failOpen = new TransportError('permission', 'eth0', 'opening an AF_PACKET socket on "eth0" needs CAP_NET_RAW', 'EPERM');
    expect(() => Responder.start({ transport: t, clock: new ManualClock(0) })).toThrow(/CAP_NET_RAW/);
    t.failOpen = undefined;
    expect(() => Responder.start({ transport: t, clock: new ManualClock(0), interfaces: ['eth9'] })).toThrow(/interface "eth9" does not exist/);
  });

  it('a send failure becomes an error event, not an exception', () => {
    const { clock, host } = lan();
    const t = host('r1', R1);
    const errors: TransportError[] = [];
    const r = Responder.start({ transport: t, clock, onError: (e) => errors.push(e), scanIntervalMs: 0, watchLinks: false });
    t.setUp('eth0', false);
    errors.length = 0;
    expect(() => r.announce('svc', VIP)).not.toThrow();
    expect(errors.map((e) => e.kind)).toEqual(['interface-down', 'interface-down']);
    r.close();
  });

  it('software VLANs: tagged requests are answered tagged, restrictions name the VLAN, other VLANs are dropped', () => {
    const { clock, client, host } = lan();
    const t = host('r1', R1);
    const decisions: string[] = [];
    const r = Responder.start({
      transport: t,
      clock,
      vlans: [{ name: 'eth0.100', parent: 'eth0', vid: 100 }],
      onDecision: (ifName, d) => decisions.push(`${ifName}:${d.kind === 'drop' ? d.reason : 'reply'}`),
    });
    expect(r.activeInterfaces()).toEqual(['eth0', 'eth0.100']);
    client.take();
    r.announce('svc', ip('203.0.113.100'), { interfaces: ['eth0.100'] });
    const garp = client.take().map(decodeFrame);
    expect(garp.map((f) => f.vlans.map((v) => v.vid))).toEqual([[100], [100]]);
    const tag = (vid: number) => [{ tpid: 0x8100, pcp: 0, dei: false, vid }];
    client.send(encodeFrame(arpRequest(CLIENT, ip('203.0.113.2'), ip('203.0.113.100'), { vlans: tag(100) })));
    client.send(encodeFrame(arpRequest(CLIENT, ip('203.0.113.2'), ip('203.0.113.100'), { vlans: tag(200) })));
    client.send(encodeFrame(arpRequest(CLIENT, ip('203.0.113.2'), ip('203.0.113.100'))));
    const replies = client.take().map(decodeFrame);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.vlans).toEqual(tag(100));
    expect(replies[0]!.body).toMatchObject({ kind: 'arp', operation: 2, senderMac: MacAddress.parse(R1) });
    expect(decisions).toEqual(['eth0.100:reply', 'eth0:unknown-vlan', 'eth0:wrong-interface']);
    expect(r.stats().drops['unknown-vlan']).toBe(1);
    r.announce('svc', ip('2001:db8:100::100'), { interfaces: ['eth0.100'] });
    expect(t.joinedGroups('eth0')).toEqual(['33:33:ff:00:01:00']);
    r.close();
  });
});
