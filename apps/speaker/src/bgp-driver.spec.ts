import { createLogger } from '@metallb-ts/app-runtime';
import type { BgpSession, Route, SessionOptions } from '@metallb-ts/bgp-speaker';
import { Cidr } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { BgpDriver, peerLabel, sessionOptions, toRoutes } from './bgp-driver.js';
import { desiredSessions } from './core/bgp.js';
import { config, peer, pool } from './core/test-fixtures.js';
import { joinTargets } from './memberlist-driver.js';

const P = pool('p', ['198.51.100.0/24']);

function sessionsOf(objects: Record<string, unknown>[]) {
  return desiredSessions(config([P, ...objects]), { name: 'n1', labels: {} });
}

describe('session options from a BGPPeer', () => {
  it('addresses, ASNs, timers, password, multi-hop, graceful restart, router-ID fallback by node name', () => {
    const d = sessionsOf([
      peer('tor', { peerAddress: '198.51.100.1', peerPort: 1179, sourceAddress: '198.51.100.11', holdTime: '30s', keepaliveTime: '10s', connectTime: '5s', password: 'pw', ebgpMultiHop: true, enableGracefulRestart: true }),
    ]).get('tor')!;
    expect(sessionOptions(d, 'n1', ['198.51.100.11', '2001:db8::11'])).toEqual({
      name: 'tor',
      peerAddress: '198.51.100.1',
      peerPort: 1179,
      localAddress: '198.51.100.11',
      localAsn: 64512,
      peerAsn: 64513,
      nodeName: 'n1',
      holdTime: 30,
      keepaliveTime: 10,
      connectRetryTime: 5,
      password: 'pw',
      ebgpMultihop: true,
      gracefulRestart: { restartTime: 120 },
      nextHopV4: '198.51.100.11',
      nextHopV6: '2001:db8::11',
      awaitRoutes: true,
    });
    expect(peerLabel(d.peer)).toBe('198.51.100.1:1179');
  });

  it('dynamic ASN and a configured router ID; IPv6 peers are labelled [ip]:port', () => {
    const d = sessionsOf([peer('v6', { peerAddress: '2001:db8::1', peerASN: undefined, dynamicASN: 'external', routerID: '198.51.100.99' })]).get('v6')!;
    expect(sessionOptions(d, 'n1', [])).toMatchObject({ peerAsn: 'external', routerId: '198.51.100.99' });
    // No connectTime: MetalLB's reconnect back-off (0 s, 1, 2, 4 s…), not a 10 s ConnectRetryTime.
    expect(sessionOptions(d, 'n1', [])).toMatchObject({ reconnect: 'backoff' });
    expect(sessionOptions(d, 'n1', [])).not.toHaveProperty('connectRetryTime');
    expect(peerLabel(d.peer)).toBe('[2001:db8::1]:179');
  });

  it('routes carry no next hop (next-hop-self), LOCAL_PREF only when set, communities as given', () => {
    const prefix = Cidr.parse('198.51.100.10/32');
    expect(toRoutes([{ prefix, localPref: undefined, communities: [] }])).toEqual([{ prefix }]);
    expect(toRoutes([{ prefix, localPref: 0, communities: [{ kind: 'standard', asn: 1, value: 2 }] }])).toEqual([{ prefix, localPref: 0, communities: [{ kind: 'standard', asn: 1, value: 2 }] }]);
  });
});

/** A fake session recording what the driver does to it. */
class FakeSession {
  started = 0;
  stopped = 0;
  routes: Route[][] = [];
  constructor(readonly options: SessionOptions) {}
  on(): () => void {
    return () => undefined;
  }
  start(): void {
    this.started++;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  setRoutes(r: Iterable<Route>): void {
    this.routes.push([...r]);
  }
  status() {
    return { name: this.options.name, state: 'idle', counters: { updatesSent: 0 }, advertisedPrefixes: 0, desiredPrefixes: 0 };
  }
}

describe('BgpDriver', () => {
  const log = createLogger({ level: 'none' });
  const made: FakeSession[] = [];
  const driver = new BgpDriver({
    log,
    nodeName: 'n1',
    createSession: (o) => {
      const s = new FakeSession(o);
      made.push(s);
      return s as unknown as BgpSession;
    },
  });
  const prefix = Cidr.parse('198.51.100.10/32');

  it('opens one session per desired peer and hands it its routes', () => {
    const d = sessionsOf([peer('a', { peerAddress: '198.51.100.1' }), peer('b', { peerAddress: '198.51.100.2' })]);
    driver.sync(d, new Map([['a', [{ prefix, localPref: undefined, communities: [] }]]]), []);
    expect(made.map((s) => [s.options.name, s.started])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(made[0]!.routes.at(-1)).toEqual([{ prefix }]);
    expect(made[1]!.routes.at(-1)).toEqual([]);
    expect(driver.peers).toEqual(['a', 'b']);
  });

  it('a route change never re-opens a session; a parameter change does; a removed peer is closed', () => {
    const d1 = sessionsOf([peer('a', { peerAddress: '198.51.100.1' }), peer('b', { peerAddress: '198.51.100.2' })]);
    driver.sync(d1, new Map([['a', [{ prefix, localPref: 100, communities: [{ kind: 'standard', asn: 64500, value: 1 }] }]]]), []);
    expect(made).toHaveLength(2);
    expect(made[0]!.stopped).toBe(0);
    expect(made[0]!.routes.at(-1)).toEqual([{ prefix, localPref: 100, communities: [{ kind: 'standard', asn: 64500, value: 1 }] }]);
    const d2 = sessionsOf([peer('a', { peerAddress: '198.51.100.1', holdTime: '30s' })]);
    driver.sync(d2, new Map(), []);
    expect(made[0]!.stopped).toBe(1);
    expect(made[1]!.stopped).toBe(1);
    expect(made).toHaveLength(3);
    expect(made[2]!.options.holdTime).toBe(30);
  });

  it('openEarly opens the sessions without routes; the first sync keeps those it agrees with and closes the others', () => {
    const made2: FakeSession[] = [];
    const d2 = new BgpDriver({ log, nodeName: 'n1', createSession: (o) => (made2.push(new FakeSession(o)), made2.at(-1) as unknown as BgpSession) });
    d2.openEarly(sessionsOf([peer('a', { peerAddress: '198.51.100.1' }), peer('b', { peerAddress: '198.51.100.2' })]), ['198.51.100.11']);
    expect(made2.map((s) => [s.options.name, s.started, s.routes.length, s.options.awaitRoutes])).toEqual([
      ['a', 1, 0, true],
      ['b', 1, 0, true],
    ]);
    // the first pass: `a` as it was, `b` with another hold time, so `b` is replaced
    d2.sync(sessionsOf([peer('a', { peerAddress: '198.51.100.1' }), peer('b', { peerAddress: '198.51.100.2', holdTime: '30s' })]), new Map([['a', [{ prefix, localPref: undefined, communities: [] }]]]), ['198.51.100.11']);
    expect(made2.map((s) => [s.options.name, s.stopped, s.routes.length])).toEqual([
      ['a', 0, 1],
      ['b', 1, 0],
      ['b', 0, 1],
    ]);
    expect(made2[0]!.routes[0]).toEqual([{ prefix }]);
    d2.openEarly(sessionsOf([peer('a', { peerAddress: '198.51.100.1' })]), ['198.51.100.11']); // nothing new
    expect(made2).toHaveLength(3);
  });

  it('stopAll closes every session (Cease)', async () => {
    await driver.stopAll();
    expect(made[2]!.stopped).toBe(1);
    expect(driver.peers).toEqual([]);
  });
});

describe('memberlist discovery', () => {
  it('joins speaker pod IPs that are not members, never itself', () => {
    expect(joinTargets(['198.51.100.11', '198.51.100.12', '198.51.100.13', '198.51.100.12', ''], ['198.51.100.11', '198.51.100.13'], '198.51.100.11')).toEqual(['198.51.100.12']);
    expect(joinTargets(['198.51.100.11'], [], '198.51.100.11')).toEqual([]);
  });
});
