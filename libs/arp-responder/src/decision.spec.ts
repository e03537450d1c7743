import { describe, expect, it } from 'vitest';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import {
  ALL_NODES,
  DecodeError,
  arpRequest,
  decideReply,
  decodeFrame,
  encodeFrame,
  gratuitousArp,
  neighborAdvertisement,
  neighborSolicitation,
  tryDecodeFrame,
  type DropReason,
  type Frame,
  type Ownership,
  type ReplyContext,
} from './index.js';
import * as V from '../test/vectors/rfc.js';

const US = MacAddress.parse('02:00:00:00:00:01');
const CLIENT = MacAddress.parse('02:00:00:00:00:02');
const OTHER = MacAddress.parse('02:00:00:00:00:09');
const ip = (s: string) => IPAddress.parse(s);
const V4 = ip('198.51.100.10');
const V6 = ip('2001:db8::10');
const OWNED_ELSEWHERE = ip('198.51.100.20');

const ctx: ReplyContext = {
  ifName: 'eth0',
  mac: US,
  ownership: (a: IPAddress, ifName: string): Ownership => {
    if (ifName !== 'eth0') throw new Error('decideReply passes its own interface');
    if (a.equals(V4) || a.equals(V6)) return 'owned';
    if (a.equals(OWNED_ELSEWHERE) || a.equals(ip('2001:db8::20'))) return 'wrong-interface';
    return 'not-owned';
  },
};

const client4 = { mac: CLIENT, ip: ip('198.51.100.2') };
const withBody = (f: Frame, patch: object): Frame => ({ ...f, body: { ...f.body, ...patch } as Frame['body'] });
const ns = (patch: { src?: string; dst?: string; hop?: number; code?: number; target?: string; slla?: boolean } = {}): Frame => {
  const base = neighborSolicitation(CLIENT, ip(patch.src ?? '2001:db8::2'), ip(patch.target ?? '2001:db8::10'));
  if (base.body.kind !== 'ndp') throw new Error('unreachable');
  const b = base.body;
  const options = patch.slla === undefined ? b.message.options : patch.slla ? [{ type: 'source-lla' as const, mac: CLIENT }] : [];
  return {
    ...base,
    body: {
      ...b,
      ip: { ...b.ip, hopLimit: patch.hop ?? 255, dst: patch.dst ? ip(patch.dst) : b.ip.dst },
      message: { ...b.message, code: patch.code ?? 0, options },
    },
  };
};

describe('decideReply: drop table', () => {
  const req = arpRequest(CLIENT, client4.ip, V4);
  const cases: [string, Frame | DecodeError, DropReason][] = [
    ['undecodable bytes', tryDecodeFrame(new Uint8Array(10)) as DecodeError, 'malformed'],
    ['other EtherType', tryDecodeFrame(Uint8Array.from([...new Uint8Array(12), 0x08, 0x00, 0x45])) as DecodeError, 'unsupported'],
    ['ARP for another protocol', decodeFrame(encodeFrame({ ...req, body: { kind: 'arp-raw', hardwareType: 1, protocolType: 0x86dd, operation: 1, senderHardware: new Uint8Array(6), senderProtocol: new Uint8Array(16), targetHardware: new Uint8Array(6), targetProtocol: new Uint8Array(16) } })), 'unsupported'],
    ['ARP with hardware type 7', withBody(req, { hardwareType: 7 }), 'unsupported'],
    ['ARP reply', withBody(req, { operation: 2 }), 'not-request'],
    ['ARP request unicast to someone else', { ...req, dst: OTHER }, 'wrong-dst-mac'],
    ['our own gratuitous ARP looping back', gratuitousArp(US, V4, 'request'), 'own-frame'],
    ['request with our MAC as sender', withBody({ ...req, src: OTHER }, { senderMac: US }), 'own-frame'],
    ["someone else's gratuitous ARP for our IP", gratuitousArp(OTHER, V4, 'request'), 'gratuitous'],
    ['ARP for an address nobody announces', arpRequest(CLIENT, client4.ip, ip('198.51.100.99')), 'not-owned'],
    ['ARP for an address announced on another interface', arpRequest(CLIENT, client4.ip, OWNED_ELSEWHERE), 'wrong-interface'],
    ['NA', neighborAdvertisement(OTHER, V6, { mac: CLIENT, ip: ip('2001:db8::2') }, { solicited: true, override: false }), 'not-request'],
    ['NS unicast to someone else', { ...ns(), dst: OTHER }, 'wrong-dst-mac'],
    ['our own NS', { ...ns(), src: US }, 'own-frame'],
    ['NS with hop limit 64 (off-link)', ns({ hop: 64 }), 'bad-hop-limit'],
    ['NS with code 1', ns({ code: 1 }), 'invalid'],
    ['NS for a multicast target', ns({ target: 'ff02::1' }), 'invalid'],
    ['DAD probe with a source link-layer option', ns({ src: '::', slla: true }), 'invalid'],
    ['DAD probe not sent to the solicited-node group', ns({ src: '::', slla: false, dst: '2001:db8::10' }), 'invalid'],
    ['NS to an unrelated group', ns({ dst: 'ff02::1:ff00:99' }), 'wrong-dst-ip'],
    ['NS for an address nobody announces', ns({ target: '2001:db8::99' }), 'not-owned'],
    ['NS for an address announced on another interface', ns({ target: '2001:db8::20' }), 'wrong-interface'],
  ];
  it.each(cases)('%s → drop %s', (_name, input, reason) => {
    const d = decideReply(input, ctx);
    expect(d).toMatchObject({ kind: 'drop', reason });
  });
});

describe('decideReply: replies', () => {
  it('answers a broadcast ARP request with a unicast reply (MetalLB §6.5)', () => {
    const d = decideReply(decodeFrame(V.ARP_REQUEST), ctx);
    expect(d.kind).toBe('reply');
    if (d.kind !== 'reply') return;
    expect(d.proto).toBe('arp');
    expect(Buffer.from(encodeFrame(d.frame)).toString('hex')).toBe(Buffer.from(V.ARP_REPLY).toString('hex'));
    expect(d.requester).toEqual(client4);
  });

  it('answers a unicast ARP request to our MAC (NUD / arping after the first reply)', () => {
    const d = decideReply({ ...arpRequest(CLIENT, client4.ip, V4), dst: US }, ctx);
    expect(d.kind).toBe('reply');
  });

  it('answers a probe from 0.0.0.0 as the kernel does: unicast, ar$tpa 0.0.0.0 (RFC 5227)', () => {
    const d = decideReply(arpRequest(CLIENT, ip('0.0.0.0'), V4), ctx);
    expect(d.kind === 'reply' && d.frame.body).toMatchObject({ operation: 2, senderIp: V4, targetIp: ip('0.0.0.0'), targetMac: CLIENT });
    expect(d.kind === 'reply' && d.frame.dst.equals(CLIENT)).toBe(true);
  });

  it('keeps the VLAN tag of the request', () => {
    const d = decideReply(decodeFrame(V.ARP_REQUEST_VLAN100), ctx);
    expect(d.kind === 'reply' && d.frame.vlans).toEqual([{ tpid: 0x8100, pcp: 5, dei: false, vid: 100 }]);
  });

  it('answers a multicast NS with a solicited NA, S=1 O=0, to the solicitor (RFC 4861 §7.2.4)', () => {
    const d = decideReply(decodeFrame(V.NS_MULTICAST), ctx);
    expect(d.kind).toBe('reply');
    if (d.kind !== 'reply') return;
    expect(Buffer.from(encodeFrame(d.frame)).toString('hex')).toBe(Buffer.from(V.NA_SOLICITED).toString('hex'));
  });

  it('answers a unicast NUD NS without a source link-layer option at the frame source MAC', () => {
    const f = { ...ns({ dst: '2001:db8::10', slla: false }), dst: US };
    const d = decideReply(f, ctx);
    expect(d.kind).toBe('reply');
    if (d.kind !== 'reply' || d.frame.body.kind !== 'ndp') return;
    expect(d.frame.dst.equals(CLIENT)).toBe(true);
    expect(d.frame.body.ip.dst.toString()).toBe('2001:db8::2');
    expect(d.frame.body.message).toMatchObject({ type: 'na', solicited: true, override: false });
  });

  it('answers a DAD probe like the kernel: NA to all nodes, S=0, O=1', () => {
    const d = decideReply(decodeFrame(V.NS_DAD), ctx);
    expect(d.kind).toBe('reply');
    if (d.kind !== 'reply' || d.frame.body.kind !== 'ndp') return;
    expect(d.frame.dst.toString()).toBe('33:33:00:00:00:01');
    expect(d.frame.body.ip.dst.equals(ALL_NODES)).toBe(true);
    expect(d.frame.body.ip.src.equals(V6)).toBe(true);
    expect(d.frame.body.ip.hopLimit).toBe(255);
    expect(d.frame.body.message).toMatchObject({ type: 'na', solicited: false, override: true, options: [{ type: 'target-lla', mac: US }] });
  });
});
