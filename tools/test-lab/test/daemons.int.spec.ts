/**
 * The BGP peer launchers: each daemon starts inside a lab namespace on :179 and on loopback,
 * answers its own CLI, and exabgp (connecting out) gets a route into gobgpd and records what
 * gobgpd sends back. A daemon that cannot start is stopped, and the error shows its log.
 */
import { afterAll, expect, it } from 'vitest';
import { startBird, startExabgp, startFrr, startGobgp, type Daemon } from '../src/daemons.js';
import { Lab } from '../src/netns.js';
import { labDescribe } from '../src/vitest.js';
import { waitFor } from '../src/wait.js';

labDescribe('BGP peer launchers', ['ip', 'gobgpd', 'gobgp', 'bird', 'birdc', 'vtysh', 'exabgp', '/usr/lib/frr/bgpd'])('BGP peer launchers', () => {
  const lab = new Lab('tldmn');
  const daemons: Daemon[] = [];
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.dispose()));
    await lab.cleanup();
  });

  it('gobgpd in a namespace on :179 takes a route from exabgp, and exabgp records gobgpd\'s route', async () => {
    const a = lab.ns('a');
    const b = lab.ns('b');
    lab.wire(a, 'eth0', undefined, ['198.51.100.1/24'], b, 'eth0', undefined, ['198.51.100.2/24']);
    const g = await startGobgp({ asn: 64512, routerId: '198.51.100.1', address: '198.51.100.1', port: 179, neighbors: [{ address: '198.51.100.2', peerAs: 64513, holdTime: 9 }] }, { netns: a });
    daemons.push(g);
    await g.cli('global', 'rib', 'add', '203.0.113.99/32', 'nexthop', '198.51.100.1', '-a', 'ipv4');
    const x = await startExabgp({ asn: 64513, routerId: '198.51.100.2', address: '198.51.100.2', port: 179, neighbors: [{ address: '198.51.100.1', peerAs: 64512, holdTime: 9, connectPort: 179 }], routes: ['203.0.113.10/32 next-hop 198.51.100.2'] }, { netns: b });
    daemons.push(x);
    await waitFor('gobgpd has exabgp\'s route', async () => (await g.rib('ipv4'))['203.0.113.10/32'], 20_000);
    await waitFor('exabgp recorded gobgpd\'s route', () => x.routes('ipv4 unicast').includes('203.0.113.99/32'), 20_000);
    expect(x.states()).toContain('up');
  });

  it('BIRD and FRR start on loopback and answer their CLIs', async () => {
    const bird = await startBird({ asn: 64512, routerId: '127.0.31.1', address: '127.0.31.1', port: 11931, neighbors: [{ address: '127.0.31.10', peerAs: 64513 }] });
    daemons.push(bird);
    expect(await bird.cli('show', 'protocols')).toMatch(/n0\s+BGP/);
    const frr = await startFrr({ asn: 64512, routerId: '127.0.31.2', address: '127.0.31.2', port: 11932, neighbors: [{ address: '127.0.31.10', peerAs: 64513 }] });
    daemons.push(frr);
    expect(await frr.vtysh('show bgp summary')).toMatch(/127\.0\.31\.10/);
  });

  it('a daemon that cannot start fails at once, is stopped, and its error shows its log', async () => {
    const t0 = Date.now();
    const e = await startBird({ asn: 64512, routerId: '127.0.31.3', address: '127.0.31.3', port: 11933, neighbors: [], extraConfig: 'this is not bird syntax;' }).catch((x: unknown) => x);
    expect(String(e)).toMatch(/bird did not start: .*bird exited[\s\S]*--- bird log ---[\s\S]*syntax error/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
