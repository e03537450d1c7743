/** A session over IPv6 transport ([::1]) to gobgpd, carrying IPv4 and IPv6 routes. */
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNodeSession, type BgpSession } from '../../src/index.js';
import { removeDir, sleep, startGobgp, waitFor, type Gobgp } from '@metallb-ts/test-lab';
import { labDescribe } from '@metallb-ts/test-lab/vitest';
import { gobgpView } from './views.js';

labDescribe('IPv6 transport', ['gobgpd'])('IPv6 transport', () => {
  let g: Gobgp;
  let s: BgpSession;

  beforeAll(async () => {
    g = await startGobgp({ asn: 64512, routerId: '127.0.30.192', address: '::1', port: 11890, neighbors: [{ address: '::1', peerAs: 64513, holdTime: 9 }] });
    s = createNodeSession({ peerAddress: '::1', peerPort: 11890, localAddress: '::1', localAsn: 64513, peerAsn: 64512, routerId: '127.0.30.191', holdTime: 9, connectRetryTime: 2, idleHold: { initialMs: 200, maxMs: 1000 } });
    s.setRoutes([
      { prefix: Cidr.parse('2001:db8:ffff::191/128'), nextHop: IPAddress.parse('2001:db8::191'), linkLocalNextHop: IPAddress.parse('fe80::191') },
      { prefix: Cidr.parse('203.0.113.191/32'), nextHop: IPAddress.parse('198.51.100.191') },
    ]);
    s.start();
  });

  afterAll(async () => {
    await Promise.race([s?.stop(), sleep(2000)]);
    await g?.stop();
    if (g) removeDir(g.dir);
  });

  it('establishes over [::1] and both families arrive (IPv6 with a link-local next hop too)', async () => {
    await waitFor('established over IPv6', () => s.state === 'established', 15_000);
    expect(s.status().localAddress).toBe('::1');
    const v = gobgpView(g, () => '');
    const v6 = await waitFor('v6 route', async () => (await v.routes('::1', 'ipv6')).find((r) => r.prefix === '2001:db8:ffff::191/128'), 10_000);
    expect(v6.nextHop).toBe('2001:db8::191');
    const v4 = await waitFor('v4 route', async () => (await v.routes('::1', 'ipv4')).find((r) => r.prefix === '203.0.113.191/32'), 10_000);
    expect(v4.nextHop).toBe('198.51.100.191');
  });
});
