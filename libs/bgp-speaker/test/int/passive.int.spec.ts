/**
 * Passive sessions: the daemons connect to our BgpListener (gobgpd plainly, FRR with TCP MD5
 * installed on the listening socket), and a connection collision with gobgpd (both sides
 * active) settles on one Established session.
 */
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { systemClock, systemRng } from '@metallb-ts/clock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BgpListener, BgpSession, NodeTransport, tcpMd5Available, type SessionOptions, type StateChange } from '../../src/index.js';
import { haveTool, isRoot, removeDir, sleep, startFrr, startGobgp, waitFor, type Daemon, type Frr, type Gobgp } from './lab.js';
import { frrView, gobgpView } from './views.js';

const US = '127.0.30.170';
const PORT = 11870;
const ready = isRoot && haveTool('gobgpd') && haveTool('/usr/lib/frr/bgpd');

describe.runIf(ready)('passive sessions and collisions', () => {
  const transport = new NodeTransport();
  const daemons: Daemon[] = [];
  const sessions: BgpSession[] = [];
  let listener: BgpListener;
  let gPassive: Gobgp;
  let gCollide: Gobgp;
  let frr: Frr | undefined;

  const mk = (o: Partial<SessionOptions> & Pick<SessionOptions, 'peerAddress' | 'peerPort'>, log: StateChange[] = []) => {
    const s = new BgpSession({ localAddress: US, localAsn: 64513, peerAsn: 64512, routerId: US, holdTime: 9, connectRetryTime: 2, idleHold: { initialMs: 200, maxMs: 1000 }, ...o }, { clock: systemClock, rng: systemRng, transport });
    s.on('state', (e) => log.push(e));
    sessions.push(s);
    return s;
  };
  const route = (p: string) => ({ prefix: Cidr.parse(p), nextHop: IPAddress.parse('198.51.100.70') });

  beforeAll(async () => {
    listener = await BgpListener.create({ address: US, port: PORT }, transport);
    gPassive = await startGobgp({ asn: 64512, routerId: '127.0.30.171', address: '127.0.30.171', port: 11871, neighbors: [{ address: US, peerAs: 64513, holdTime: 9, connectPort: PORT }] });
    gCollide = await startGobgp({ asn: 64512, routerId: '127.0.30.173', address: '127.0.30.173', port: 11873, neighbors: [{ address: US, peerAs: 64513, holdTime: 9, connectPort: PORT }] });
    daemons.push(gPassive, gCollide);
    if (tcpMd5Available()) {
      frr = await startFrr({ asn: 64512, routerId: '127.0.30.172', address: '127.0.30.172', port: 11872, neighbors: [{ address: US, peerAs: 64513, holdTime: 9, connectPort: PORT, password: 'mtsbgp-passive' }] });
      daemons.push(frr);
    }
  });

  afterAll(async () => {
    await Promise.all(sessions.map((s) => Promise.race([s.stop(), sleep(2000)])));
    await listener?.close();
    for (const d of daemons) {
      await d.stop();
      removeDir(d.dir);
    }
  });

  it('gobgpd connects to our listener; our passive session advertises', async () => {
    const s = mk({ peerAddress: '127.0.30.171', peerPort: 11871, passive: true });
    listener.add(s);
    s.setRoutes([route('203.0.113.70/32')]);
    s.start();
    expect(s.state).toBe('active');
    await waitFor('passive established', () => s.state === 'established', 15_000);
    const v = gobgpView(gPassive, () => '');
    await waitFor('route in gobgpd', async () => (await v.routes(US, 'ipv4')).length === 1, 10_000);
    expect(s.status().counters.opensSent).toBe(1);
  });

  it.runIf(tcpMd5Available())('FRR connects with TCP MD5; the key sits on our listening socket', async () => {
    const s = mk({ peerAddress: '127.0.30.172', peerPort: 11872, passive: true, password: 'mtsbgp-passive' });
    listener.add(s);
    s.setRoutes([route('203.0.113.72/32')]);
    s.start();
    await waitFor('md5 passive established', () => s.state === 'established', 20_000);
    await waitFor('route in FRR', async () => (await frrView(frr!).routes(US, 'ipv4')).length === 1, 10_000);
  });

  it('collision: both sides connect; exactly one session survives and stays up', async () => {
    const log: StateChange[] = [];
    const s = mk({ peerAddress: '127.0.30.173', peerPort: 11873 }, log);
    listener.add(s);
    s.setRoutes([route('203.0.113.73/32')]);
    s.start();
    await waitFor('collision settled', () => s.state === 'established', 20_000);
    const v = gobgpView(gCollide, () => '');
    await waitFor('route in gobgpd', async () => (await v.routes(US, 'ipv4')).length === 1, 10_000);
    const ups = s.status().counters.establishedTransitions;
    await sleep(3000);
    expect(s.state).toBe('established');
    expect(s.status().counters.establishedTransitions).toBe(ups);
    expect(await v.established(US)).toBe(true);
  });
});
