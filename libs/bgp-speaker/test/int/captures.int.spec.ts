/**
 * Captures what gobgpd, BIRD and FRR send (OPEN, KEEPALIVE, UPDATEs with communities, large
 * communities and MP_REACH, End-of-RIB, NOTIFICATION on shutdown) through a raw socket, checks
 * that our codec decodes every frame cleanly, and — with BGP_WRITE_VECTORS=1 — stores them as
 * test/vectors/<daemon>-*.bin (see test/vectors/README.md for provenance).
 */
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IPAddress } from '@metallb-ts/netaddr';
import { afterAll, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, Framer, type Open } from '../../src/index.js';
import { haveTool, removeDir, sleep, startBird, startFrr, startGobgp, waitFor, type Daemon, type DaemonSpec } from '@metallb-ts/test-lab';
import { labDescribe } from '@metallb-ts/test-lab/vitest';

const OUR = '127.0.30.190';
const ourOpen: Open = {
  type: 'open',
  version: 4,
  myAs: 64513,
  holdTime: 90,
  bgpId: IPAddress.parse(OUR),
  capabilities: [{ code: 'multiprotocol', afi: 1, safi: 1 }, { code: 'multiprotocol', afi: 2, safi: 1 }, { code: 'route-refresh' }, { code: 'four-octet-as', asn: 64513 }, { code: 'graceful-restart', restarting: false, notification: false, restartTime: 120, families: [] }],
  otherParameters: [],
};

/** Connects from OUR, speaks OPEN + KEEPALIVE, and records every frame until `until` says stop. */
async function capture(addr: string, port: number, stop: () => Promise<void>): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  const f = new Framer();
  const sock = net.connect({ host: addr, port, localAddress: OUR });
  await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
  sock.on('data', (d) => {
    for (const fr of f.push(d)) {
      frames.push(fr);
      if (fr[18] === 1) sock.write(encodeMessage({ type: 'keepalive' }, { fourOctetAs: true }));
    }
  });
  sock.write(encodeMessage(ourOpen, { fourOctetAs: false }));
  await waitFor('UPDATEs and End-of-RIB', () => frames.filter((x) => x[18] === 2).length >= 4, 10_000);
  await sleep(300);
  await stop(); // the daemon's shutdown NOTIFICATION ends the capture
  await new Promise<void>((r) => (sock.destroyed ? r() : sock.once('close', () => r())));
  return frames;
}

const daemons: Daemon[] = [];
afterAll(async () => {
  for (const d of daemons) {
    await d.stop();
    removeDir(d.dir);
  }
});

const base = (last: number): DaemonSpec => ({ asn: 64512, routerId: `127.0.30.${last}`, address: `127.0.30.${last}`, port: 11800 + last, neighbors: [{ address: OUR, peerAs: 64513, holdTime: 90, gracefulRestart: true }] });

const kinds = [
  {
    name: 'gobgp',
    tool: 'gobgpd',
    async run() {
      const d = await startGobgp(base(7));
      daemons.push(d);
      await d.cli('global', 'rib', 'add', '-a', 'ipv4', '203.0.113.50/32', 'nexthop', '198.51.100.50', 'community', '64512:5', 'large-community', '64512:5:6', 'med', '10');
      await d.cli('global', 'rib', 'add', '-a', 'ipv6', '2001:db8:50::/64', 'nexthop', '2001:db8::50', 'community', '64512:6');
      return capture('127.0.30.7', 11807, () => d.stop());
    },
  },
  {
    name: 'bird',
    tool: 'bird',
    async run() {
      const spec = base(8);
      spec.birdExport = {
        ipv4: 'export filter { bgp_community.add((64512,5)); bgp_large_community.add((64512,5,6)); accept; };',
        ipv6: 'export filter { bgp_community.add((64512,6)); accept; }; next hop address 2001:db8::51;',
      };
      spec.extraConfig = ['protocol static s4 { ipv4; route 203.0.113.51/32 blackhole; }', 'protocol static s6 { ipv6; route 2001:db8:51::/64 blackhole; }'].join('\n');
      const d = await startBird(spec);
      daemons.push(d);
      return capture('127.0.30.8', 11808, () => d.stop());
    },
  },
  {
    name: 'frr',
    tool: '/usr/lib/frr/bgpd',
    async run() {
      const spec = base(9);
      spec.extraConfig = [
        ' address-family ipv4 unicast',
        '  network 203.0.113.52/32 route-map mtsbgp-set',
        ' exit-address-family',
        ' address-family ipv6 unicast',
        '  network 2001:db8:52::/64 route-map mtsbgp-set',
        ' exit-address-family',
        'exit',
        'route-map mtsbgp-set permit 10',
        ' set community 64512:5',
        ' set large-community 64512:5:6',
        'exit',
      ].join('\n');
      const d = await startFrr(spec);
      daemons.push(d);
      return capture('127.0.30.9', 11809, () => d.stop());
    },
  },
];

labDescribe('captures', [])('captures from real daemons decode cleanly', () => {
  it.each(kinds.filter((k) => haveTool(k.tool)))('$name', async (k) => {
    const frames = await k.run();
    const types = frames.map((f) => f[18]);
    expect(types[0]).toBe(1);
    expect(types).toContain(2);
    // gobgpd and BIRD send a Cease NOTIFICATION on shutdown; FRR 8.4 just closes.
    if (k.name !== 'frr') expect(types.at(-1)).toBe(3);
    const named: [string, Uint8Array][] = [];
    let u = 0;
    for (const f of frames) {
      const { message, issues } = decodeMessage(f, { fourOctetAs: true });
      expect(issues).toEqual([]);
      // Re-encoding gives the same model (bytes may differ only in attribute order/flags).
      expect(decodeMessage(encodeMessage(message, { fourOctetAs: true }), { fourOctetAs: true }).message).toEqual(message);
      if (message.type === 'open') named.push([`${k.name}-open.bin`, f]);
      if (message.type === 'keepalive' && !named.some(([n]) => n.endsWith('keepalive.bin'))) named.push([`${k.name}-keepalive.bin`, f]);
      if (message.type === 'update') named.push([`${k.name}-update-${++u}.bin`, f]);
      if (message.type === 'notification') named.push([`${k.name}-notification.bin`, f]);
    }
    if (process.env['BGP_WRITE_VECTORS'] === '1') {
      for (const [name, bytes] of named) writeFileSync(join(import.meta.dirname, '..', 'vectors', name), bytes);
    }
  });
});
