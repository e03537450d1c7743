/** The responder's scanned links, link events, carrier, re-announce on a link coming back, and its onEvent hook. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '@metallb-ts/clock/testing';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { Responder, arpRequest, decodeFrame, encodeFrame, linkUse, type LinkInfo, type ResponderEvent } from './index.js';
import { MemorySegment, MemoryTransport } from './testing/index.js';

const ip = (s: string) => IPAddress.parse(s);
const CLIENT = MacAddress.parse('02:00:00:00:00:02');
const R1 = '02:00:00:00:01:01';
const VIP = ip('198.51.100.100');

function host() {
  const clock = new ManualClock(0);
  const seg = new MemorySegment();
  const client = seg.endpoint('client', CLIENT);
  const t = new MemoryTransport('r1').addLink({ name: 'eth0', mac: R1, segment: seg, addresses: ['198.51.100.1/24', 'fe80::1/64', '2001:db8::1/64'] });
  const events: ResponderEvent[] = [];
  return { clock, seg, client, t, events };
}
const linkChanges = (events: ResponderEvent[]) => events.flatMap((e) => (e.kind === 'link' ? [`${e.link.name}:${e.change}`] : []));

describe('linkUse (MetalLB §6.4 with reasons)', () => {
  const base: LinkInfo = { name: 'eth0', index: 2, mac: MacAddress.parse(R1), up: true, carrier: true, broadcast: true, noArp: false, loopback: false, hasMaster: false, addresses: [{ ip: ip('fe80::1'), prefix: 64 }] };
  it.each([
    ['answering, both protocols', {}, {}, { kind: 'answering', arp: true, ndp: true }],
    ['ARP only without a link-local address', { addresses: [{ ip: ip('2001:db8::1'), prefix: 64 }] }, {}, { kind: 'answering', arp: true, ndp: false }],
    ['excluded first', { up: false }, { exclude: [/^eth/] }, { kind: 'skipped', reason: 'excluded' }],
    ['not selected', {}, { interfaces: ['eth1'] }, { kind: 'skipped', reason: 'not-selected' }],
    ['loopback', { loopback: true }, {}, { kind: 'skipped', reason: 'loopback' }],
    ['down', { up: false }, {}, { kind: 'skipped', reason: 'down' }],
    ['no carrier', { carrier: false }, {}, { kind: 'skipped', reason: 'no-carrier' }],
    ['carrier unknown counts as present', { carrier: undefined }, {}, { kind: 'answering' }],
    ['enslaved', { hasMaster: true }, {}, { kind: 'skipped', reason: 'enslaved' }],
    ['NOARP', { noArp: true }, {}, { kind: 'skipped', reason: 'no-arp' }],
    ['neither protocol', { broadcast: false, addresses: [] }, {}, { kind: 'skipped', reason: 'no-protocol' }],
  ] as const)('%s', (_n, patch, filter, want) => {
    expect(linkUse({ ...base, ...patch } as LinkInfo, filter)).toMatchObject(want);
  });
});

describe('Responder.links() and link events', () => {
  it('lists every scanned interface with index, MAC, up, carrier, addresses and use', () => {
    const { clock, t } = host();
    t.addLink({ name: 'down0', mac: '02:00:00:00:02:01', up: false }).addLink({ name: 'skip-me', mac: '02:00:00:00:02:02' });
    const r = Responder.start({ transport: t, clock, excludeInterfaces: [/^skip-/], vlans: [{ name: 'eth0.7', parent: 'eth0', vid: 7 }] });
    const links = r.links();
    expect(links.map((l) => [l.name, l.use.kind === 'answering' ? 'answering' : l.use.reason])).toEqual([
      ['eth0', 'answering'],
      ['down0', 'down'],
      ['skip-me', 'excluded'],
      ['eth0.7', 'answering'],
    ]);
    expect(links[0]).toMatchObject({ index: 2, mac: MacAddress.parse(R1), up: true, carrier: true, use: { arp: true, ndp: true } });
    expect(links[0]!.addresses.map((a) => `${a.ip}/${a.prefix}`)).toEqual(['198.51.100.1/24', 'fe80::1/64', '2001:db8::1/64']);
    expect(links[3]).toMatchObject({ parent: 'eth0', addresses: [] });
    r.close();
  });

  it('emits added at start, then carrier-down/silent and carrier-up/answering, and re-announces on carrier up', () => {
    const { clock, client, t, events } = host();
    const r = Responder.start({ transport: t, clock, onEvent: (e) => events.push(e) });
    expect(linkChanges(events)).toEqual(['eth0:added', 'eth0:answering']);
    r.announce('svc', VIP);
    clock.advance(10_000);
    client.take();
    events.length = 0;
    t.setCarrier('eth0', false);
    expect(linkChanges(events)).toEqual(['eth0:carrier-down', 'eth0:silent']);
    expect(r.links()[0]).toMatchObject({ carrier: false, use: { kind: 'skipped', reason: 'no-carrier' } });
    expect(r.activeInterfaces()).toEqual([]);
    expect(t.openSockets('eth0')).toBe(0);
    events.length = 0;
    clock.advance(3000);
    t.setCarrier('eth0', true);
    expect(linkChanges(events)).toEqual(['eth0:carrier-up', 'eth0:answering']);
    // re-announced at once on the link that came back: a gratuitous round, then the 5 s window
    const g = events.filter((e) => e.kind === 'gratuitous-sent');
    expect(g.map((e) => [e.ifName, e.at, e.first])).toEqual([
      ['eth0', 13_000, false],
      ['eth0', 13_000, false],
    ]);
    expect(client.take().map(decodeFrame).filter((f) => f.dst.isBroadcast())).toHaveLength(2);
    clock.advance(10_000);
    expect(client.take()).toHaveLength(8);
    r.close();
  });

  it('down/up, address changes, MAC changes and removal are reported; a new MAC re-announces', () => {
    const { clock, t, events } = host();
    const r = Responder.start({ transport: t, clock, onEvent: (e) => events.push(e) });
    r.announce('svc', VIP);
    clock.advance(10_000);
    events.length = 0;
    t.setUp('eth0', false);
    t.setUp('eth0', true);
    t.setAddresses('eth0', ['fe80::1/64']);
    expect(linkChanges(events)).toEqual(['eth0:down', 'eth0:silent', 'eth0:up', 'eth0:answering', 'eth0:addresses-changed']);
    events.length = 0;
    t.removeLink('eth0');
    t.addLink({ name: 'eth0', mac: '02:00:00:00:01:99' });
    expect(linkChanges(events)).toEqual(['eth0:silent', 'eth0:removed', 'eth0:added', 'eth0:answering']);
    const removed = events.find((e) => e.kind === 'link' && e.change === 'removed');
    expect(removed).toMatchObject({ link: { use: { kind: 'skipped', reason: 'gone' } } });
    const g = events.filter((e) => e.kind === 'gratuitous-sent');
    expect(g).toHaveLength(2); // announced with the new MAC
    r.close();
  });

  it('setExcludeInterfaces re-scans at once and stops answering on newly excluded interfaces', () => {
    const { clock, t, events } = host();
    const r = Responder.start({ transport: t, clock, onEvent: (e) => events.push(e) });
    events.length = 0;
    expect(r.setExcludeInterfaces([/^eth0$/])).toEqual([]);
    expect(linkChanges(events)).toEqual(['eth0:silent']);
    expect(r.links()[0]!.use).toEqual({ kind: 'skipped', reason: 'excluded' });
    r.setExcludeInterfaces([]);
    expect(r.activeInterfaces()).toEqual(['eth0']);
    r.close();
  });

  it('onEvent carries the per-frame events and Responder.ipStats the per-address counters', () => {
    const { clock, client, t, events } = host();
    const r = Responder.start({ transport: t, clock, onEvent: (e) => events.push(e) });
    r.announce('svc', VIP);
    client.send(encodeFrame(arpRequest(CLIENT, ip('198.51.100.2'), VIP)));
    expect(events.filter((e) => e.kind !== 'link').map((e) => e.kind)).toEqual(['gratuitous-sent', 'gratuitous-sent', 'request-received', 'response-sent']);
    expect(r.ipStats(VIP)).toMatchObject({ requests: 1, responses: 1, gratuitous: 2, firstGratuitousAt: 0 });
    expect(r.ipStats()).toHaveLength(1);
    r.close();
  });

  it('a failed open is listed as open-failed and retried at the next scan', () => {
    const { clock, t } = host();
    const errs: string[] = [];
    const r = Responder.start({ transport: t, clock, onError: (e) => errs.push(e.kind) });
    t.failOpen = new (class extends Error {})() as never; // a non-TransportError: becomes 'io'
    t.addLink({ name: 'eth1', mac: '02:00:00:00:01:11' });
    expect(r.links().find((l) => l.name === 'eth1')?.use).toEqual({ kind: 'skipped', reason: 'open-failed' });
    expect(errs).toEqual(['io']);
    t.failOpen = undefined;
    r.scan();
    expect(r.links().find((l) => l.name === 'eth1')?.use.kind).toBe('answering');
    r.close();
  });
});
