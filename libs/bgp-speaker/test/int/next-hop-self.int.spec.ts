/**
 * Next-hop-self and the router-ID fallback seen by real peers: our session runs in a lab
 * namespace (198.51.100.2, 2001:db8:51::2 on eth0) toward gobgpd and FRR in another
 * (198.51.100.1) over IPv4; its routes carry no next hop. The peer must see NEXT_HOP
 * 198.51.100.2 for the IPv4 route and, in MP_REACH_NLRI, this node's IPv6 address on that
 * interface for the IPv6 route; the router ID is the local IPv4 address (none configured);
 * LOCAL_PREF 0 on iBGP arrives as 0 and an unset one as 100. (Over loopback the next hop would be 127/8, which routers
 * refuse — hence the namespaces.)
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bundleEntry, Lab, removeDir, startFrr, startGobgp, tempDir, waitFor, type Frr, type Gobgp, type JsonLinesProcess } from '@metallb-ts/test-lab';
import { labDescribe } from '@metallb-ts/test-lab/vitest';
import { frrView, gobgpView, type RouterView } from './views.js';

const ROUTES = [{ prefix: '203.0.113.51/32', localPref: 0 }, { prefix: '2001:db8:ff::51/128' }];

labDescribe('next-hop-self', ['gobgpd', '/usr/lib/frr/bgpd'])('next-hop-self and router-ID fallback against gobgpd and FRR', () => {
  let lab: Lab;
  let router: string;
  let speaker: string;
  let bundle: string;
  let dir: string;
  const daemons: Array<Gobgp | Frr> = [];
  const procs: JsonLinesProcess[] = [];

  beforeAll(async () => {
    dir = tempDir('bgpnh');
    mkdirSync(dir, { recursive: true });
    bundle = await bundleEntry(fileURLToPath(new URL('./fixtures/next-hop-self.ts', import.meta.url)), `${dir}/next-hop-self.mjs`);
    lab = new Lab('bgpnh');
    router = lab.ns('r');
    speaker = lab.ns('s');
    lab.wire(router, 'eth0', '02:00:00:00:51:01', ['198.51.100.1/24', '2001:db8:51::1/64'], speaker, 'eth0', '02:00:00:00:51:02', ['198.51.100.2/24', '2001:db8:51::2/64']);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGTERM', 3000)));
    await Promise.all(daemons.map((d) => d.dispose()));
    await lab?.cleanup();
    if (dir) removeDir(dir);
  });

  const cases = [
    { kind: 'gobgp', port: 11951, start: (spec: Parameters<typeof startGobgp>[0]) => startGobgp(spec, { netns: router }), view: (d: Gobgp | Frr) => gobgpView(d as Gobgp, () => '') },
    { kind: 'frr', port: 11952, start: (spec: Parameters<typeof startFrr>[0]) => startFrr(spec, { netns: router }), view: (d: Gobgp | Frr) => frrView(d as Frr) },
  ] as const;

  it.each(cases)('$kind sees NEXT_HOP = our local IPv4, the IPv6 route via our interface address, LOCAL_PREF 0, router ID = local IPv4', async (c) => {
    const d = await c.start({ asn: 64512, routerId: '198.51.100.1', address: '198.51.100.1', port: c.port, neighbors: [{ address: '198.51.100.2', peerAs: 64512, holdTime: 9 }] });
    daemons.push(d);
    const view: RouterView = c.view(d);
    const p = lab.process(speaker, `speaker-${c.kind}`, [process.execPath, bundle, JSON.stringify({ peerAddress: '198.51.100.1', peerPort: c.port, localAsn: 64512, peerAsn: 'internal', nodeName: 'node1', holdTime: 9, connectRetryTime: 1, idleHold: { initialMs: 200, maxMs: 1000, factor: 2 } }), JSON.stringify(ROUTES)]);
    procs.push(p);
    const st = await p.waitLine((l) => l['event'] === 'status' && l['state'] === 'established', { timeoutMs: 20_000, what: 'established' });
    expect(st).toMatchObject({ routerId: '198.51.100.2', nextHops: { ipv4: '198.51.100.2', ipv6: '2001:db8:51::2' }, unsendable: [] });
    const v4 = await waitFor(`IPv4 route in ${c.kind}`, async () => (await view.routes('198.51.100.2', 'ipv4')).find((r) => r.prefix === '203.0.113.51/32'), 15_000);
    expect(v4.nextHop).toBe('198.51.100.2');
    expect(v4.localPref).toBe(0);
    const v6 = await waitFor(`IPv6 route in ${c.kind}`, async () => (await view.routes('198.51.100.2', 'ipv6')).find((r) => r.prefix === '2001:db8:ff::51/128'), 15_000);
    expect(v6.nextHop).toBe('2001:db8:51::2');
    expect(v6.localPref).toBe(100); // unset → 100, distinct from the 0 above
    expect(await p.stop('SIGTERM', 5000)).toBe(0);
  });
});
