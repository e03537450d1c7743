import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { decideReply, decodeFrame, encodeFrame, type Frame, type ReplyContext } from './index.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors', 'captured');
const load = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.bin`)));
const ip = (s: string) => IPAddress.parse(s);
const A = MacAddress.parse('02:00:00:00:00:0a');
const B = MacAddress.parse('02:00:00:00:00:0b');
const US = MacAddress.parse('02:00:00:00:00:01');

/** We pretend to own host A's addresses, as if the VIPs were ours. */
const ctx: ReplyContext = {
  ifName: 'eth0',
  mac: US,
  ownership: (a) => (['198.51.100.1', '198.51.100.2', '2001:db8::1', '2001:db8::3'].includes(a.toString()) ? 'owned' : 'not-owned'),
};

const arp = (f: Frame) => (f.body.kind === 'arp' ? f.body : undefined);
const ndp = (f: Frame) => (f.body.kind === 'ndp' ? f.body : undefined);

describe('frames captured from the kernel, arping and ndisc6 (see vectors/README.md)', () => {
  const files = [
    'arping-request',
    'kernel-arp-reply',
    'arping-unsolicited-request',
    'arping-unsolicited-reply',
    'kernel-arp-request',
    'kernel-arp-reply-to-kernel',
    'ndisc6-ns',
    'kernel-na-solicited',
    'kernel-ns',
    'kernel-na-to-kernel',
    'kernel-dad-ns',
  ];
  it.each(files)('%s decodes and re-encodes to the same bytes', (name) => {
    const b = load(name);
    expect(Buffer.from(encodeFrame(decodeFrame(b))).equals(Buffer.from(b))).toBe(true);
  });

  it('arping request: broadcast, target MAC broadcast; we answer it', () => {
    const f = decodeFrame(load('arping-request'));
    expect(f.dst.isBroadcast()).toBe(true);
    expect(arp(f)).toEqual({ kind: 'arp', hardwareType: 1, operation: 1, senderMac: B, senderIp: ip('198.51.100.2'), targetMac: MacAddress.BROADCAST, targetIp: ip('198.51.100.1') });
    const d = decideReply(f, ctx);
    expect(d.kind === 'reply' && arp(d.frame)).toMatchObject({ operation: 2, senderMac: US, senderIp: ip('198.51.100.1'), targetMac: B, targetIp: ip('198.51.100.2') });
  });

  it('our reply has the same fields as the kernel reply (apart from the MAC and padding)', () => {
    const kernel = decodeFrame(load('kernel-arp-reply'));
    const d = decideReply(decodeFrame(load('arping-request')), ctx);
    if (d.kind !== 'reply') throw new Error('expected a reply');
    expect({ ...arp(d.frame)!, senderMac: A }).toEqual(arp(kernel));
    expect(d.frame.dst.equals(kernel.dst)).toBe(true);
  });

  it('kernel ARP request (from ping): target MAC zero; answered', () => {
    const f = decodeFrame(load('kernel-arp-request'));
    expect(arp(f)?.targetMac.equals(MacAddress.ZERO)).toBe(true);
    expect(decideReply(f, ctx).kind).toBe('reply');
  });

  it('arping -U / -A gratuitous frames are not answered', () => {
    expect(decideReply(decodeFrame(load('arping-unsolicited-request')), ctx)).toMatchObject({ kind: 'drop', reason: 'gratuitous' });
    expect(decideReply(decodeFrame(load('arping-unsolicited-reply')), ctx)).toMatchObject({ kind: 'drop', reason: 'not-request' });
    expect(decideReply(decodeFrame(load('kernel-arp-reply')), ctx)).toMatchObject({ kind: 'drop', reason: 'not-request' });
  });

  it('ndisc6 NS: from a link-local source with a flow label; we answer S=1 O=0 to that source', () => {
    const f = decodeFrame(load('ndisc6-ns'));
    const n = ndp(f)!;
    expect(n.ip.src.toString()).toBe('fe80::ff:fe00:b');
    expect(n.ip.dst.toString()).toBe('ff02::1:ff00:1');
    expect(n.ip.flowLabel).toBeGreaterThan(0);
    expect(n.ip.hopLimit).toBe(255);
    expect(n.message).toEqual({ type: 'ns', code: 0, reserved: 0, target: ip('2001:db8::1'), options: [{ type: 'source-lla', mac: B }] });
    const d = decideReply(f, ctx);
    if (d.kind !== 'reply') throw new Error('expected a reply');
    const r = ndp(d.frame)!;
    expect(r.ip.src.toString()).toBe('2001:db8::1'); // ndisc6 needs source = target
    expect(r.ip.dst.toString()).toBe('fe80::ff:fe00:b');
    expect(r.message).toMatchObject({ type: 'na', solicited: true, override: false, target: ip('2001:db8::1'), options: [{ type: 'target-lla', mac: US }] });
  });

  it("the kernel's own NA to ndisc6: S=1, O=1, TLLA, source = the target", () => {
    const n = ndp(decodeFrame(load('kernel-na-solicited')))!;
    expect(n.ip.src.toString()).toBe('2001:db8::1');
    expect(n.message).toMatchObject({ type: 'na', router: false, solicited: true, override: true, options: [{ type: 'target-lla', mac: A }] });
  });

  it('kernel DAD probe: from ::, no SLLA, a nonce option kept raw; answered to all nodes S=0 O=1', () => {
    const f = decodeFrame(load('kernel-dad-ns'));
    const n = ndp(f)!;
    expect(n.ip.src.toString()).toBe('::');
    expect(n.message.options).toHaveLength(1);
    expect(n.message.options[0]).toMatchObject({ type: 'raw', code: 14 });
    const d = decideReply(f, ctx);
    if (d.kind !== 'reply') throw new Error('expected a reply');
    expect(ndp(d.frame)!.ip.dst.toString()).toBe('ff02::1');
    expect(ndp(d.frame)!.message).toMatchObject({ solicited: false, override: true });
  });

  it('kernel NS from ping -6 is answered; NAs are not', () => {
    expect(decideReply(decodeFrame(load('kernel-ns')), ctx).kind).toBe('reply');
    expect(decideReply(decodeFrame(load('kernel-na-to-kernel')), ctx)).toMatchObject({ kind: 'drop', reason: 'not-request' });
  });
});
