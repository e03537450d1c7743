/**
 * In-process cost of handling one request (decode, decide, encode the reply), no sockets:
 * Announcer.receive() on pre-encoded ARP requests and Neighbor Solicitations.
 * Usage: node bench/arp-responder/run.mjs --micro
 */
import { ManualClock } from '@metallb-ts/clock/testing';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { Announcer, arpRequest, encodeFrame, neighborSolicitation } from '../../libs/arp-responder/src/index.js';

export function micro(n = 200_000): string[] {
  const clock = new ManualClock(0);
  let sent = 0;
  const a = new Announcer(clock, { send: () => void sent++ });
  const us = MacAddress.parse('02:00:00:00:01:01');
  a.setLinks([{ name: 'eth0', mac: us, arp: true, ndp: true }]);
  a.announce('svc', IPAddress.parse('198.51.100.100'));
  a.announce('svc', IPAddress.parse('2001:db8::100'));
  const client = MacAddress.parse('02:00:00:00:01:0c');
  const cases: [string, Uint8Array][] = [
    ['ARP request (owned)', encodeFrame(arpRequest(client, IPAddress.parse('198.51.100.2'), IPAddress.parse('198.51.100.100')))],
    ['ARP request (not owned)', encodeFrame(arpRequest(client, IPAddress.parse('198.51.100.2'), IPAddress.parse('198.51.100.7')))],
    ['NS (owned)', encodeFrame(neighborSolicitation(client, IPAddress.parse('2001:db8::2'), IPAddress.parse('2001:db8::100')))],
  ];
  const lines: string[] = ['| frame | µs per frame | frames/s (one core) |', '| --- | --- | --- |'];
  for (const [name, bytes] of cases) {
    for (let i = 0; i < 20_000; i++) a.receive('eth0', bytes); // warm-up
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) a.receive('eth0', bytes);
    const us1 = Number(process.hrtime.bigint() - t0) / 1000 / n;
    lines.push(`| ${name} | ${us1.toFixed(2)} | ${Math.round(1e6 / us1)} |`);
  }
  return lines;
}
