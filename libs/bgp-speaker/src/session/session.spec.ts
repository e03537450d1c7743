import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { announcedPrefixes, BgpSession, decodeMessage, metallbMetrics, PUMP_BATCH, encodeMessage, Framer, type BgpMessage, endOfRibFamily, SessionConfigError, standardCommunity, withdrawnPrefixes, type Route, type SessionOptions, type StateChange } from '../index.js';
import { ManualClock, MemoryNetwork, SeededRng, type MemoryConnection } from '../testing/index.js';
import { FakePeer, settle } from '../../test/session/fake-peer.js';
import { hex, MARKER } from '../../test/hex.js';

const route = (p: string, over: Partial<Route> = {}): Route => ({ prefix: Cidr.parse(p), nextHop: IPAddress.parse(p.includes(':') ? '2001:db8::10' : '198.51.100.10'), ...over });

function setup(over: Partial<SessionOptions> = {}) {
  const net = new MemoryNetwork();
  const peer = new FakePeer(net);
  const clock = new ManualClock();
  const session = new BgpSession({ peerAddress: '198.51.100.2', localAsn: 64512, peerAsn: 64513, routerId: '198.51.100.1', holdTime: 90, ...over }, { clock, rng: new SeededRng(7), transport: net.transport() });
  const states: StateChange[] = [];
  session.on('state', (s) => states.push(s));
  return { net, peer, clock, session, states };
}

describe('BgpSession over an in-memory transport', () => {
  it('reaches Established, sends the routes packed, then End-of-RIB per family', async () => {
    const { peer, session, states } = setup();
    session.setRoutes([route('203.0.113.1/32'), route('203.0.113.2/32'), route('2001:db8:1::/48')]);
    session.start();
    await settle();
    expect(session.state).toBe('established');
    expect(states.map((s) => `${s.from}>${s.to}:${s.reason}`)).toEqual(['idle>connect:manual-start', 'connect>open-sent:tcp-connected', 'open-sent>open-confirm:open-received', 'open-confirm>established:keepalive-received']);
    const ups = peer.of('update');
    expect(ups.map((u) => announcedPrefixes(u).map(String))).toEqual([['203.0.113.1/32', '203.0.113.2/32'], ['2001:db8:1::/48'], [], []]);
    expect(ups.slice(2).map((u) => endOfRibFamily(u))).toEqual([{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
    expect(session.status().negotiated?.holdTime).toBe(9);
    expect(session.status().advertisedPrefixes).toBe(3);
  });

  it('awaitRoutes: Established sends nothing until the first setRoutes, then the whole set and End-of-RIB', async () => {
    const { peer, session } = setup({ awaitRoutes: true });
    session.start();
    await settle();
    expect(session.state).toBe('established');
    expect(peer.of('update')).toEqual([]); // no initial set, no End-of-RIB: a partial (empty) set would tell a graceful-restart peer we are done
    session.setRoutes([route('203.0.113.1/32'), route('2001:db8:1::/48')]);
    await settle();
    const ups = peer.of('update');
    expect(ups.map((u) => announcedPrefixes(u).map(String))).toEqual([['203.0.113.1/32'], ['2001:db8:1::/48'], [], []]);
    expect(ups.slice(2).map((u) => endOfRibFamily(u))).toEqual([{ afi: 1, safi: 1 }, { afi: 2, safi: 1 }]);
    session.setRoutes([route('203.0.113.1/32')]); // later changes are plain differences
    await settle();
    const after = peer.of('update').slice(4);
    expect(after.map((u) => withdrawnPrefixes(u).map(String))).toEqual([['2001:db8:1::/48']]);
    expect(after.every((u) => endOfRibFamily(u) === undefined)).toBe(true);
  });

  it('awaitRoutes: routes given before Established (an empty set too) go out as usual', async () => {
    for (const initial of [[route('203.0.113.1/32')], []]) {
      const { peer, session } = setup({ awaitRoutes: true, families: ['ipv4-unicast'] });
      session.setRoutes(initial);
      session.start();
      await settle();
      const ups = peer.of('update');
      expect(ups.flatMap((u) => announcedPrefixes(u).map(String))).toEqual(initial.map((r) => r.prefix.toString()));
      expect(endOfRibFamily(ups.at(-1)!)).toEqual({ afi: 1, safi: 1 });
    }
  });

  it('a large initial set is written in order over several event-loop turns, End-of-RIB last', async () => {
    const { peer, session, clock } = setup({ families: ['ipv6-unicast'] });
    const many = Array.from({ length: 20_000 }, (_, i) => ({ prefix: Cidr.of(IPAddress.fromBigInt('IPv6', (0x20010db8n << 96n) + BigInt(i)), 128), nextHop: IPAddress.parse('2001:db8::10') }));
    session.setRoutes(many);
    session.start();
    await settle();
    const first = peer.of('update').length;
    expect(first).toBe(PUMP_BATCH); // the rest waits for the next turns
    for (let i = 0; i < 10; i++) {
      clock.advance(0);
      await settle();
    }
    const ups = peer.of('update');
    expect(ups.flatMap((u) => announcedPrefixes(u)).length).toBe(20_000);
    expect(endOfRibFamily(ups.at(-1)!)).toEqual({ afi: 2, safi: 1 });
    expect(ups.slice(0, -1).every((u) => endOfRibFamily(u) === undefined)).toBe(true);
    expect(session.status().counters.prefixesAnnounced).toBe(20_000);
  });

  it('setRoutes sends only the difference and never resets the session', async () => {
    const { peer, session, states } = setup();
    session.setRoutes([route('203.0.113.1/32'), route('203.0.113.2/32')]);
    session.start();
    await settle();
    const before = peer.of('update').length;
    const nStates = states.length;
    session.setRoutes([route('203.0.113.1/32'), route('203.0.113.2/32', { communities: [standardCommunity(64512, 1)] }), route('203.0.113.3/32')]);
    session.setRoutes([route('203.0.113.2/32', { communities: [standardCommunity(64512, 1)] }), route('203.0.113.3/32')]);
    session.setRoutes([route('203.0.113.2/32', { communities: [standardCommunity(64512, 1)] }), route('203.0.113.3/32')]); // no-op
    await settle();
    const ups = peer.of('update').slice(before);
    expect(ups.map((u) => [announcedPrefixes(u).map(String), withdrawnPrefixes(u).map(String)])).toEqual([
      [['203.0.113.2/32'], []],
      [['203.0.113.3/32'], []],
      [[], ['203.0.113.1/32']],
    ]);
    expect(states.length).toBe(nStates);
    expect(session.state).toBe('established');
    expect(session.status().counters.establishedTransitions).toBe(1);
  });

  it('hold timer expiry sends NOTIFICATION 4/0, then reconnects after the back-off', async () => {
    const { peer, session, clock, states } = setup();
    session.start();
    await settle();
    clock.advance(8000); // our keepalives keep flowing; the peer says nothing
    expect(session.state).toBe('established');
    clock.advance(1001);
    await settle();
    expect(session.state).toBe('idle');
    expect(states.at(-1)).toEqual({ from: 'established', to: 'idle', reason: 'hold-timer-expired' });
    expect(peer.of('notification').at(-1)).toMatchObject({ code: 4, subcode: 0 });
    expect(session.status().lastNotificationSent).toMatchObject({ code: 4, subcode: 0, codeName: 'hold-timer-expired' });
    await clock.advanceAsync(1000);
    await settle();
    expect(session.state).toBe('established');
    expect(session.status().counters.establishedTransitions).toBe(2);
  });

  it('keepalives every hold/3 keep the session up for many hold periods', async () => {
    const { peer, session, clock } = setup();
    session.start();
    await settle();
    for (let i = 0; i < 60; i++) {
      await clock.advanceAsync(1000);
      if (i % 3 === 0) peer.send({ type: 'keepalive' });
      await settle();
    }
    expect(session.state).toBe('established');
    expect(session.status().counters.keepalivesSent).toBeGreaterThanOrEqual(60 / 3);
  });

  it('ROUTE-REFRESH re-sends every advertised route of that family', async () => {
    const { peer, session } = setup();
    session.setRoutes([route('203.0.113.1/32'), route('2001:db8:1::/48')]);
    session.start();
    await settle();
    const before = peer.of('update').length;
    peer.send({ type: 'route-refresh', afi: 2, safi: 1, subtype: 0 });
    await settle();
    expect(peer.of('update').slice(before).map((u) => announcedPrefixes(u).map(String))).toEqual([['2001:db8:1::/48']]);
  });

  it('stop sends Cease/Administrative Shutdown; graceful stop sends nothing', async () => {
    const a = setup();
    a.session.start();
    await settle();
    await a.session.stop();
    expect(a.peer.of('notification').at(-1)).toMatchObject({ code: 6, subcode: 2 });
    expect(a.session.state).toBe('idle');
    const b = setup({ gracefulRestart: { restartTime: 120 } });
    b.session.start();
    await settle();
    await b.session.stop({ graceful: true });
    expect(b.peer.of('notification')).toEqual([]);
    // The capability was offered.
    expect(b.peer.of('open')[0]!.capabilities).toContainEqual({ code: 'graceful-restart', restarting: false, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwardingPreserved: false }, { afi: 2, safi: 1, forwardingPreserved: false }] });
  });

  it('the restart (R) bit is set only in the first OPEN after a restart', async () => {
    const { peer, session, clock } = setup({ gracefulRestart: { restartTime: 60, restarting: true } });
    session.start();
    await settle();
    peer.conn.destroy();
    await settle();
    await clock.advanceAsync(1000);
    await settle();
    const grs = peer.of('open').map((o) => o.capabilities.find((c) => c.code === 'graceful-restart'));
    expect(grs.map((g) => g && g.code === 'graceful-restart' && g.restarting)).toEqual([true, false]);
  });

  it('DelayOpen: the peer speaks first, we answer with OPEN + KEEPALIVE', async () => {
    const { peer, session } = setup({ delayOpenTime: 5 });
    peer.answer = false;
    session.start();
    await settle();
    expect(session.state).toBe('connect');
    expect(peer.of('open')).toEqual([]);
    peer.send(peer.open);
    await settle();
    expect(peer.received.map((m) => m.type)).toEqual(['open', 'keepalive']);
    expect(session.state).toBe('open-confirm');
    peer.send({ type: 'keepalive' });
    await settle();
    expect(session.state).toBe('established');
  });

  it('requestRefresh sends ROUTE-REFRESH only when Established and the peer supports it', async () => {
    const { peer, session } = setup();
    expect(session.requestRefresh('ipv6-unicast')).toBe(false);
    session.start();
    await settle();
    expect(session.requestRefresh('ipv6-unicast')).toBe(true);
    await settle();
    expect(peer.of('route-refresh')).toEqual([{ type: 'route-refresh', afi: 2, safi: 1, subtype: 0 }]);
  });

  it('a NOTIFICATION from the peer is reported and the session restarts', async () => {
    const { peer, session, clock } = setup();
    const notes: unknown[] = [];
    session.on('notification', (n) => notes.push(n));
    session.start();
    await settle();
    peer.send({ type: 'notification', code: 6, subcode: 4, data: new Uint8Array(0) });
    await settle();
    expect(session.state).toBe('idle');
    expect(notes).toMatchObject([{ direction: 'received', code: 6, subcode: 4, codeName: 'cease' }]);
    await clock.advanceAsync(1000);
    await settle();
    expect(session.state).toBe('established');
  });

  it('a malformed UPDATE (session-reset class) gets the NOTIFICATION from the decode error', async () => {
    const { peer, session } = setup();
    session.start();
    await settle();
    // NLRI prefix length 33 → 3/10 (RFC 7606 §5.3).
    peer.conn.write(Uint8Array.from([...new Array(16).fill(0xff), 0, 28, 2, 0, 0, 0, 0, 33, 1, 2, 3, 4, 5]));
    await settle();
    expect(peer.of('notification').at(-1)).toMatchObject({ code: 3, subcode: 10 });
    expect(session.status().lastTransition).toMatchObject({ to: 'idle', reason: 'decode-error' });
  });

  it('an UPDATE with a treat-as-withdraw problem keeps the session and reports the issue', async () => {
    const { peer, session } = setup();
    const got: { issues: { code: number; subcode: number; handling: string }[] }[] = [];
    session.on('update-received', (u) => got.push(u));
    session.start();
    await settle();
    // ORIGIN value 3 (RFC 7606 §7.1) with NLRI 203.0.113.10/32.
    peer.conn.write(
      hex(
        MARKER,
        '0025 02', // length 37, UPDATE
        '0000', // no withdrawn routes
        '000e', // 14 bytes of attributes
        '40 01 01 03', // ORIGIN 3: invalid
        '40 02 00', // AS_PATH empty
        '40 03 04 c6336401', // NEXT_HOP 198.51.100.1
        '20 cb00710a', // NLRI 203.0.113.10/32
      ),
    );
    await settle();
    expect(session.state).toBe('established');
    expect(got.at(-1)!.issues.map((i) => [i.code, i.subcode, i.handling])).toEqual([[3, 6, 'treat-as-withdraw']]);
    expect(session.status().counters.malformedUpdates).toBe(1);
  });

  it('a wrong peer ASN is refused with 2/2 (Bad Peer AS)', async () => {
    const { peer, session, states } = setup({ peerAsn: 64999 });
    session.start();
    await settle();
    expect(peer.of('notification')[0]).toMatchObject({ code: 2, subcode: 2 });
    expect(states.at(-1)?.reason).toBe('open-rejected');
  });

  it('connection refused: back to Idle and retried with a growing back-off', async () => {
    const net = new MemoryNetwork();
    const clock = new ManualClock();
    const transport = net.transport();
    const session = new BgpSession({ peerAddress: '198.51.100.9', localAsn: 64512, peerAsn: 64513, routerId: '198.51.100.1' }, { clock, rng: new SeededRng(1), transport });
    session.start();
    await settle();
    expect(session.state).toBe('idle');
    await clock.advanceAsync(1000);
    await settle();
    await clock.advanceAsync(2000);
    await settle();
    expect(transport.attempts.length).toBe(3);
    expect(session.status().lastError?.message).toMatch(/ECONNREFUSED/);
  });

  it("reconnect 'backoff': a refused connection is retried at once, then after 1 s and 2 s (MetalLB)", async () => {
    const net = new MemoryNetwork();
    const clock = new ManualClock();
    const transport = net.transport();
    const session = new BgpSession({ peerAddress: '198.51.100.9', localAsn: 64512, peerAsn: 64513, routerId: '198.51.100.1', reconnect: 'backoff' }, { clock, rng: new SeededRng(1), transport });
    session.start();
    await settle();
    await clock.advanceAsync(0);
    await settle();
    expect(transport.attempts.length).toBe(2);
    await clock.advanceAsync(1000);
    await settle();
    expect(transport.attempts.length).toBe(3);
    await clock.advanceAsync(2000);
    await settle();
    expect(transport.attempts.length).toBe(4);
    expect(() => new BgpSession({ peerAddress: '198.51.100.9', localAsn: 1, peerAsn: 2, routerId: '198.51.100.1', reconnect: 'x' as never }, { clock, rng: new SeededRng(), transport })).toThrow(/reconnect/);
    await session.stop();
  });

  it('refuses bad options and routes with a clear error', () => {
    const { session } = setup();
    expect(() => new BgpSession({ peerAddress: 'x', localAsn: 1, peerAsn: 2, routerId: '198.51.100.1' }, { clock: new ManualClock(), rng: new SeededRng(), transport: new MemoryNetwork().transport() })).toThrow(SessionConfigError);
    expect(() => new BgpSession({ peerAddress: '198.51.100.2', localAsn: 0, peerAsn: 2, routerId: '198.51.100.1' }, { clock: new ManualClock(), rng: new SeededRng(), transport: new MemoryNetwork().transport() })).toThrow(/localAsn/);
    expect(() => new BgpSession({ peerAddress: '198.51.100.2', localAsn: 1, peerAsn: 2, routerId: '198.51.100.1', holdTime: 2 }, { clock: new ManualClock(), rng: new SeededRng(), transport: new MemoryNetwork().transport() })).toThrow(/holdTime/);
    expect(() => session.setRoutes([{ prefix: Cidr.parse('203.0.113.1/32'), nextHop: IPAddress.parse('2001:db8::1') }])).toThrow(/next hop/);
    const c = { clock: new ManualClock(), rng: new SeededRng(), transport: new MemoryNetwork().transport() };
    const base = { peerAddress: '198.51.100.2', localAsn: 1, peerAsn: 2, routerId: '198.51.100.1' };
    expect(() => new BgpSession({ ...base, ebgpMultihop: 256 }, c)).toThrow(/ebgpMultihop/);
    expect(() => new BgpSession({ ...base, keepaliveTime: -1 }, c)).toThrow(/keepaliveTime/);
    expect(() => new BgpSession({ ...base, routerId: '0.0.0.0' }, c)).toThrow(/routerId/);
    expect(() => new BgpSession({ ...base, password: 'x'.repeat(81) }, c)).toThrow(/80 bytes/);
  });

  it('an extra inbound connection while Established is refused with Cease 6/7', async () => {
    const { net, session } = setup();
    session.start();
    await settle();
    net.listen('198.51.100.1', 179, (c) => session.acceptConnection(c));
    const got: Uint8Array[] = [];
    const conn = await new Promise<MemoryConnection>((r) => net.transport('198.51.100.2').connect({ peerAddress: '198.51.100.1', peerPort: 179 }, (_e, c) => r(c as MemoryConnection)));
    conn.setHandlers({ onData: (b) => got.push(b), onClose: () => {} });
    await settle();
    expect(conn.isClosed).toBe(true);
    expect(decodeMessage(got[0]!, { fourOctetAs: false }).message).toMatchObject({ type: 'notification', code: 6, subcode: 7 });
    expect(session.state).toBe('established');
  });

  it('collision in OpenSent: the connection initiated by the higher BGP identifier wins (RFC 4271 §6.8)', async () => {
    for (const [ourId, winner] of [['198.51.100.1', 'inbound'], ['198.51.100.3', 'outbound']] as const) {
      const { net, peer, session } = setup({ routerId: ourId });
      peer.answer = false; // the peer never answers our outbound OPEN
      session.start();
      await settle();
      expect(session.state).toBe('open-sent');
      const outbound = peer.conn;
      net.listen(ourId, 179, (c) => session.acceptConnection(c));
      const inbound = await new Promise<MemoryConnection>((r) => net.transport('198.51.100.2').connect({ peerAddress: ourId, peerPort: 179 }, (_e, c) => r(c as MemoryConnection)));
      const got: BgpMessage[] = [];
      const f = new Framer();
      inbound.setHandlers({ onData: (b) => f.push(b).forEach((x) => got.push(decodeMessage(x, { fourOctetAs: true }).message)), onClose: () => {} });
      inbound.write(encodeMessage(peer.open, { fourOctetAs: true }));
      await settle();
      if (winner === 'inbound') {
        expect(outbound.isClosed).toBe(true);
        expect(peer.of('notification').at(-1)).toMatchObject({ code: 6, subcode: 7 });
        expect(got.map((m) => m.type)).toEqual(['open', 'keepalive']);
        inbound.write(encodeMessage({ type: 'keepalive' }, { fourOctetAs: true }));
        await settle();
        expect(session.state).toBe('established');
      } else {
        expect(inbound.isClosed).toBe(true);
        expect(got[0]).toMatchObject({ type: 'notification', code: 6, subcode: 7 });
        expect(session.state).toBe('open-sent');
      }
    }
  });

  it('a collision won by the peer reports every state change, the adoption with reason collision-adopted', async () => {
    const { net, peer, session, states } = setup({ routerId: '198.51.100.1' }); // lower identifier: the peer's connection wins
    peer.answer = false;
    session.start();
    await settle();
    net.listen('198.51.100.1', 179, (c) => session.acceptConnection(c));
    const inbound = await new Promise<MemoryConnection>((r) => net.transport('198.51.100.2').connect({ peerAddress: '198.51.100.1', peerPort: 179 }, (_e, c) => r(c as MemoryConnection)));
    inbound.setHandlers({ onData: () => {}, onClose: () => {} });
    inbound.write(encodeMessage(peer.open, { fourOctetAs: true }));
    await settle();
    inbound.write(encodeMessage({ type: 'keepalive' }, { fourOctetAs: true }));
    await settle();
    expect(states.map((s) => `${s.from}>${s.to}:${s.reason}`)).toEqual([
      'idle>connect:manual-start',
      'connect>open-sent:tcp-connected',
      'open-sent>idle:collision',
      'idle>open-sent:collision-adopted',
      'open-sent>open-confirm:open-received',
      'open-confirm>established:keepalive-received',
    ]);
    // No state is written behind the FSM's back: each change starts where the last one ended.
    for (let i = 1; i < states.length; i++) expect(states[i]!.from).toBe(states[i - 1]!.to);
    expect(session.status().lastTransition).toMatchObject({ from: 'open-confirm', to: 'established' });
  });

  it('a colliding connection whose OPEN arrives after Established is closed with Cease 6/7 (RFC 4271 §6.8)', async () => {
    const { net, peer, session } = setup({ routerId: '198.51.100.1' });
    peer.answer = false;
    session.start();
    await settle();
    net.listen('198.51.100.1', 179, (c) => session.acceptConnection(c));
    const inbound = await new Promise<MemoryConnection>((r) => net.transport('198.51.100.2').connect({ peerAddress: '198.51.100.1', peerPort: 179 }, (_e, c) => r(c as MemoryConnection)));
    const got: BgpMessage[] = [];
    const f = new Framer();
    inbound.setHandlers({ onData: (b) => f.push(b).forEach((x) => got.push(decodeMessage(x, { fourOctetAs: true }).message)), onClose: () => {} });
    await settle();
    // Our own connection reaches Established before the newcomer speaks.
    peer.send(peer.open);
    peer.send({ type: 'keepalive' });
    await settle();
    expect(session.state).toBe('established');
    inbound.write(encodeMessage(peer.open, { fourOctetAs: true }));
    await settle();
    expect(inbound.isClosed).toBe(true);
    expect(got[0]).toMatchObject({ type: 'notification', code: 6, subcode: 7 });
    expect(session.state).toBe('established');
    expect(peer.conn.isClosed).toBe(false);
  });
});

describe('metallbMetrics', () => {
  it('maps status to MetalLB metric names with the peer label', async () => {
    const { session } = setup();
    session.setRoutes([route('203.0.113.1/32'), route('2001:db8:1::/48')]);
    session.start();
    await settle();
    const m = Object.fromEntries(metallbMetrics(session.status(), '198.51.100.2:179').map((x) => [x.name, x]));
    expect(m['metallb_bgp_session_up']).toEqual({ name: 'metallb_bgp_session_up', type: 'gauge', labels: { peer: '198.51.100.2:179' }, value: 1 });
    expect(m['metallb_bgp_announced_prefixes_total']!.value).toBe(2);
    expect(m['metallb_bgp_pending_prefixes_total']!.value).toBe(2);
    expect(m['metallb_bgp_updates_total']!.value).toBe(4); // 2 UPDATEs + 2 End-of-RIB
    await session.stop();
    expect(metallbMetrics(session.status()).find((x) => x.name === 'metallb_bgp_session_up')!.value).toBe(0);
    expect(metallbMetrics(session.status()).find((x) => x.name === 'metallb_bgp_announced_prefixes_total')!.value).toBe(0);
  });
});

describe('router ID fallback per connection (MetalLB §7.3)', () => {
  const opened = (peer: FakePeer) => peer.of('open').map((o) => o.bgpId.toString());
  function setupNoId(over: Partial<SessionOptions>, local: string, ifaces: string[][] = []) {
    const net = new MemoryNetwork();
    net.interfaces = ifaces;
    const peer = new FakePeer(net);
    const { routerId: _r, ...rest } = { peerAddress: '198.51.100.2', localAsn: 64512, peerAsn: 64513, routerId: 'x', holdTime: 90, ...over };
    const session = new BgpSession(rest, { clock: new ManualClock(), rng: new SeededRng(7), transport: net.transport(local) });
    return { peer, session };
  }

  it('configured routerId is used as is', async () => {
    const { peer, session } = setup({ nodeName: 'node1' });
    session.start();
    await settle();
    expect(opened(peer)).toEqual(['198.51.100.1']);
    expect(session.status().routerId).toBe('198.51.100.1');
  });

  it('unset → the local IPv4 address of the connection', async () => {
    const { peer, session } = setupNoId({ nodeName: 'node1' }, '198.51.100.7');
    expect(session.status().routerId).toBe('64.37.239.133'); // before connecting: from the node name
    session.start();
    await settle();
    expect(session.state).toBe('established');
    expect(opened(peer)).toEqual(['198.51.100.7']);
    expect(session.status().routerId).toBe('198.51.100.7');
  });

  it('an IPv6 connection → the first IPv4 address of its interface', async () => {
    const { peer, session } = setupNoId({ nodeName: 'node1', peerAddress: '198.51.100.2' }, '2001:db8::7', [['2001:db8::7', 'fe80::7', '198.51.100.77', '198.51.100.78']]);
    session.start();
    await settle();
    expect(opened(peer)).toEqual(['198.51.100.77']);
  });

  it('an IPv6 connection on an interface without IPv4 → CRC-32 of the node name', async () => {
    const { peer, session } = setupNoId({ nodeName: 'node1' }, '2001:db8::7', [['2001:db8::7']]);
    session.start();
    await settle();
    expect(opened(peer)).toEqual(['64.37.239.133']);
  });
});

describe('next-hop-self', () => {
  const self = (p: string, over: Partial<Route> = {}): Route => ({ prefix: Cidr.parse(p), ...over });
  function setupSelf(over: Partial<SessionOptions>, local: string, ifaces: string[][] = []) {
    const net = new MemoryNetwork();
    net.interfaces = ifaces;
    const peer = new FakePeer(net);
    const session = new BgpSession({ peerAddress: '198.51.100.2', localAsn: 64512, peerAsn: 64513, routerId: '198.51.100.1', holdTime: 90, ...over }, { clock: new ManualClock(), rng: new SeededRng(7), transport: net.transport(local) });
    const events: unknown[] = [];
    session.on('unsendable', (u) => events.push(u));
    return { peer, session, events };
  }
  const nextHopOf = (u: Extract<BgpMessage, { type: 'update' }>) => {
    for (const a of u.attributes) {
      if (a.type === 'next-hop') return a.nextHop.toString();
      if (a.type === 'mp-reach') return a.nextHop.toString();
    }
    return undefined;
  };

  it('an IPv4 route without nextHop gets the connection’s local IPv4 address, resolved before the first UPDATE', async () => {
    const { peer, session } = setupSelf({}, '198.51.100.7');
    session.setRoutes([self('203.0.113.1/32'), route('203.0.113.2/32')]);
    session.start();
    await settle();
    const ups = peer.of('update').filter((u) => announcedPrefixes(u).length > 0);
    expect(ups.map((u) => [announcedPrefixes(u).map(String), nextHopOf(u)])).toEqual([
      [['203.0.113.1/32'], '198.51.100.7'],
      [['203.0.113.2/32'], '198.51.100.10'],
    ]);
    expect(session.status().nextHops).toEqual({ ipv4: '198.51.100.7' });
    expect(session.routes()[0]!.nextHop).toBeUndefined(); // the caller's routes are not rewritten
    expect(session.status().unsendable).toEqual([]);
  });

  it('an IPv6 route on an IPv4 session uses nextHopV6 in MP_REACH_NLRI', async () => {
    const { peer, session } = setupSelf({ nextHopV6: '2001:db8::7' }, '198.51.100.7');
    session.setRoutes([self('2001:db8:1::1/128')]);
    session.start();
    await settle();
    const mp = peer.of('update').flatMap((u) => u.attributes).find((a) => a.type === 'mp-reach');
    expect(mp && mp.type === 'mp-reach' && [mp.nextHop.toString(), mp.nlri.map(String)]).toEqual(['2001:db8::7', ['2001:db8:1::1/128']]);
  });

  it('… or this node’s global IPv6 address on the session’s interface (not link-local, not loopback)', async () => {
    const { peer, session } = setupSelf({}, '198.51.100.7', [['127.0.0.1', '::1'], ['fe80::7', '198.51.100.7', '2001:db8::77']]);
    session.setRoutes([self('2001:db8:1::1/128')]);
    session.start();
    await settle();
    expect(peer.of('update').map(nextHopOf).filter(Boolean)).toEqual(['2001:db8::77']);
    expect(session.status().nextHops).toEqual({ ipv4: '198.51.100.7', ipv6: '2001:db8::77' });
  });

  it('… else it is not sent, with a reason in status and an `unsendable` event; the rest still goes', async () => {
    const { peer, session, events } = setupSelf({}, '198.51.100.7', [['198.51.100.7', 'fe80::7']]);
    session.setRoutes([self('2001:db8:1::1/128'), self('203.0.113.1/32')]);
    session.start();
    await settle();
    expect(session.state).toBe('established');
    expect(peer.of('update').flatMap((u) => announcedPrefixes(u).map(String))).toEqual(['203.0.113.1/32']);
    const u = session.status().unsendable;
    expect(u.map((x) => [x.prefix, x.reason])).toEqual([['2001:db8:1::1/128', 'no-ipv6-next-hop']]);
    expect(u[0]!.message).toMatch(/2001:db8:1::1\/128 is not sent: .* no IPv6 address .*nextHopV6/);
    expect(events).toEqual([u]);
    expect(session.status().desiredPrefixes).toBe(2);
    // An explicit next hop makes it sendable at once; the event reports the empty list.
    session.setRoutes([self('2001:db8:1::1/128', { nextHop: IPAddress.parse('2001:db8::99') }), self('203.0.113.1/32')]);
    await settle();
    expect(session.status().unsendable).toEqual([]);
    expect(events.at(-1)).toEqual([]);
    expect(peer.of('update').flatMap((x) => announcedPrefixes(x).map(String))).toContain('2001:db8:1::1/128');
  });

  it('an IPv4 route on an IPv6 session: nextHopV4, else refused with no-ipv4-next-hop (no RFC 8950)', async () => {
    const a = setupSelf({ peerAddress: '198.51.100.2' }, '2001:db8::7', [['2001:db8::7']]);
    a.session.setRoutes([self('203.0.113.1/32'), self('2001:db8:1::/64')]);
    a.session.start();
    await settle();
    expect(a.session.status().unsendable.map((x) => [x.prefix, x.reason])).toEqual([['203.0.113.1/32', 'no-ipv4-next-hop']]);
    expect(a.peer.of('update').map(nextHopOf).filter(Boolean)).toEqual(['2001:db8::7']);
    const b = setupSelf({ nextHopV4: '198.51.100.8' }, '2001:db8::7');
    b.session.setRoutes([self('203.0.113.1/32')]);
    b.session.start();
    await settle();
    expect(b.peer.of('update').map(nextHopOf).filter(Boolean)).toEqual(['198.51.100.8']);
  });

  it('a family the peer did not negotiate is listed as family-not-negotiated', async () => {
    const net = new MemoryNetwork();
    const peer = new FakePeer(net, '198.51.100.2', 179, { type: 'open', version: 4, myAs: 64513, holdTime: 9, bgpId: IPAddress.parse('198.51.100.2'), capabilities: [{ code: 'multiprotocol', afi: 1, safi: 1 }, { code: 'four-octet-as', asn: 64513 }], otherParameters: [] });
    const session = new BgpSession({ peerAddress: '198.51.100.2', localAsn: 64512, peerAsn: 64513, routerId: '198.51.100.1' }, { clock: new ManualClock(), rng: new SeededRng(7), transport: net.transport('198.51.100.7') });
    session.setRoutes([route('2001:db8:1::/64'), route('203.0.113.1/32')]);
    session.start();
    await settle();
    expect(session.state).toBe('established');
    expect(session.status().unsendable.map((x) => [x.prefix, x.reason])).toEqual([['2001:db8:1::/64', 'family-not-negotiated']]);
    expect(peer.of('update').flatMap((u) => announcedPrefixes(u).map(String))).toEqual(['203.0.113.1/32']);
  });
});
