import { describe, expect, it } from 'vitest';
import {
  Awareness,
  BroadcastQueue,
  NodeTable,
  pushPullScaleMs,
  remainingSuspicionMs,
  retransmitLimit,
  suspicionConfirmations,
  suspicionTimeoutMs,
  type Alive,
  type Effect,
  verifyProtocol,
  type NodeState,
} from './index.js';

const VSN = Uint8Array.from([1, 5, 2, 0, 0, 0]);

describe('Lifeguard maths (tables from memberlist util_test.go / suspicion_test.go)', () => {
  it.each([
    [5, 1000],
    [10, 1000],
    [50, 1698],
    [100, 2000],
    [500, 2698],
    [1000, 3000],
  ])('suspicionTimeout(3, n=%i, 1 s) / 3 = %i ms', (n, ms) => {
    expect(suspicionTimeoutMs(3, n, 1000) / 3).toBeCloseTo(ms, 6);
  });

  it.each([
    // n (node count), min, k : memberlist-wire.md §13.5 MetalLB LAN table
    [2, 4000, 0],
    [3, 4000, 0],
    [4, 4000, 2],
    [10, 4000, 2],
    [20, 5204, 2],
    [100, 8000, 2],
  ])('LAN: n=%i → min %i ms, k=%i', (n, min, k) => {
    expect(suspicionTimeoutMs(4, n, 1000)).toBeCloseTo(min, 6);
    expect(suspicionConfirmations(4, n)).toBe(k);
  });

  it.each([
    [0, 3, 0, 2000, 30000, 30000],
    [1, 3, 2000, 2000, 30000, 14000],
    [2, 3, 3000, 2000, 30000, 4810],
    [3, 3, 4000, 2000, 30000, -2000],
    [4, 3, 5000, 2000, 30000, -3000],
    [5, 3, 10000, 2000, 30000, -8000],
  ])('remainingSuspicionTime(c=%i, k=%i, elapsed=%i, %i, %i) = %i', (c, k, el, min, max, want) => {
    expect(remainingSuspicionMs(c, k, el, min, max)).toBe(want);
  });

  it('LAN with one confirmation: ≈11.38 s total (§13.5)', () => {
    expect(remainingSuspicionMs(1, 2, 0, 4000, 24000)).toBe(11381);
  });

  it.each([
    [3, 0, 0],
    [3, 1, 3],
    [3, 99, 6],
    [4, 9, 4],
    [4, 10, 8],
    [4, 999, 12],
  ])('retransmitLimit(%i, %i) = %i', (mult, n, want) => {
    expect(retransmitLimit(mult, n)).toBe(want);
  });

  it('pushPullScale: ×1 up to 32 nodes, ×2 to 64, ×3 to 128', () => {
    for (let n = 0; n <= 32; n++) expect(pushPullScaleMs(1000, n)).toBe(1000);
    for (let n = 33; n <= 64; n++) expect(pushPullScaleMs(1000, n)).toBe(2000);
    for (let n = 65; n <= 128; n++) expect(pushPullScaleMs(1000, n)).toBe(3000);
  });

  it('awareness clamps to [0, max-1] and scales timeouts', () => {
    const a = new Awareness(8);
    a.applyDelta(-1);
    expect(a.score()).toBe(0);
    a.applyDelta(20);
    expect(a.score()).toBe(7);
    expect(a.scale(1000)).toBe(8000);
    a.applyDelta(-3);
    expect(a.scale(500)).toBe(2500);
    expect(() => new Awareness(0)).toThrow();
  });
});

describe('BroadcastQueue (TransmitLimitedQueue)', () => {
  const msg = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

  it('replaces by key, orders fresher-then-larger, and retires after the retransmit limit', () => {
    const finished: string[] = [];
    const q = new BroadcastQueue(1, () => 9); // limit = 1 × ceil(log10(10)) = 1
    q.queue({ key: 'a', message: msg(10), onFinished: () => finished.push('a1') });
    q.queue({ key: 'a', message: msg(12), onFinished: () => finished.push('a2') });
    q.queue({ key: 'b', message: msg(30) });
    expect(finished).toEqual(['a1']);
    expect(q.size()).toBe(2);
    const out = q.take(2, 1000);
    expect(out.map((m) => m.length)).toEqual([30, 12]);
    expect(q.size()).toBe(0);
    expect(finished).toEqual(['a1', 'a2']);
  });

  it('respects the byte budget with per-message overhead', () => {
    const q = new BroadcastQueue(4, () => 3);
    q.queue({ key: 'x', message: msg(50) });
    q.queue({ key: 'y', message: msg(40) });
    q.queue({ key: 'z', message: msg(5) });
    const out = q.take(2, 60); // 50+2 fits, 40 does not, 5+2 fits
    expect(out.map((m) => m.length)).toEqual([50, 5]);
    // next round: the untransmitted 40 goes first
    expect(q.take(2, 60)[0]!.length).toBe(40);
  });

  it('sends each message retransmitLimit times', () => {
    const q = new BroadcastQueue(4, () => 5); // 4 × 1
    q.queue({ key: 'x', message: msg(8) });
    let sent = 0;
    for (let i = 0; i < 10; i++) sent += q.take(2, 1400).length;
    expect(sent).toBe(4);
  });
});

/* ---------------------------------------------------------------- state machine */

const cfg = {
  name: 'me',
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  probeIntervalMs: 1000,
  gossipToTheDeadMs: 30_000,
  deadNodeReclaimMs: 0,
  vsn: VSN,
};

function alive(node: string, incarnation: number, extra: Partial<Alive> = {}): Alive {
  return { type: 'alive', node, incarnation, addr: '10.0.0.2', port: 7946, meta: null, vsn: VSN, ...extra };
}

/** A table with us plus `others` alive at incarnation 1 (peers at 10.0.0.2 by default). */
function table(others: string[] = ['x', 'a', 'b']): NodeTable {
  let r = 0;
  const t = new NodeTable(cfg, () => ((r = (r * 9301 + 49297) % 233280), r / 233280));
  t.bootstrap('10.0.0.1', 7946, null, 0);
  others.forEach((o, i) => t.alive(alive(o, 1, { addr: `10.0.1.${i + 1}` }), 0));
  return t;
}

const kinds = (effects: Effect[]) => effects.map((e) => (e.kind === 'event' ? `event:${e.type}:${e.reason}` : e.kind === 'broadcast' ? `broadcast:${e.message.type}` : e.kind));

function setState(t: NodeTable, node: string, s: NodeState): void {
  const inc = t.get(node)!.incarnation;
  if (s === 'suspect') t.suspect({ type: 'suspect', node, incarnation: inc, from: 'y' }, 1);
  if (s === 'dead') t.dead({ type: 'dead', node, incarnation: inc, from: 'y' }, 1);
  if (s === 'left') t.dead({ type: 'dead', node, incarnation: inc, from: node }, 1);
}

describe('NodeTable transition table (state.go semantics, memberlist-wire.md §13.2)', () => {
  type Row = [string, NodeState | 'unknown', (t: NodeTable) => ReturnType<NodeTable['alive']>, string, string[], NodeState | 'unknown'];
  const rows: Row[] = [
    ['alive about a new node → join', 'unknown', (t) => t.alive(alive('y', 1), 5), 'accepted', ['broadcast:alive', 'event:join:new-node'], 'alive'],
    ['alive, same incarnation → stale', 'alive', (t) => t.alive(alive('x', 1, { addr: '10.0.1.1' }), 5), 'stale', [], 'alive'],
    ['alive, newer incarnation, same meta → rebroadcast, no event', 'alive', (t) => t.alive(alive('x', 2, { addr: '10.0.1.1' }), 5), 'accepted', ['broadcast:alive'], 'alive'],
    ['alive, newer incarnation, new meta → update', 'alive', (t) => t.alive(alive('x', 2, { addr: '10.0.1.1', meta: Uint8Array.of(1) }), 5), 'accepted', ['broadcast:alive', 'event:update:meta-changed'], 'alive'],
    ['alive clears a suspicion', 'suspect', (t) => t.alive(alive('x', 2, { addr: '10.0.1.1' }), 5), 'accepted', ['suspicion-cancel', 'broadcast:alive'], 'alive'],
    ['alive after dead → rejoin', 'dead', (t) => t.alive(alive('x', 2, { addr: '10.0.1.1' }), 5), 'accepted', ['broadcast:alive', 'event:join:rejoined-after-dead'], 'alive'],
    ['alive after left → rejoin', 'left', (t) => t.alive(alive('x', 2, { addr: '10.0.1.1' }), 5), 'accepted', ['broadcast:alive', 'event:join:rejoined-after-left'], 'alive'],
    ['alive from a new address while alive → conflict', 'alive', (t) => t.alive(alive('x', 5, { addr: '10.9.9.9' }), 5), 'address-conflict', ['conflict'], 'alive'],
    ['alive from a new address after left → allowed', 'left', (t) => t.alive(alive('x', 1, { addr: '10.9.9.9' }), 5), 'accepted', ['broadcast:alive', 'event:join:rejoined-after-left'], 'alive'],
    ['alive with bad Vsn → ignored', 'unknown', (t) => t.alive(alive('y', 1, { vsn: Uint8Array.of(3, 2, 2, 0, 0, 0) }), 5), 'bad-version', [], 'unknown'],
    ['suspect about alive → suspicion starts', 'alive', (t) => t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'y' }, 5), 'accepted', ['broadcast:suspect', 'suspicion-timer'], 'suspect'],
    ['suspect with older incarnation → stale', 'alive', (t) => t.suspect({ type: 'suspect', node: 'x', incarnation: 0, from: 'y' }, 5), 'stale', [], 'alive'],
    ['suspect about unknown → ignored', 'unknown', (t) => t.suspect({ type: 'suspect', node: 'y', incarnation: 1, from: 'z' }, 5), 'unknown-node', [], 'unknown'],
    ['suspect about dead → not alive', 'dead', (t) => t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'z' }, 5), 'not-alive', [], 'dead'],
    ['second suspect, new From → confirmation, rebroadcast', 'suspect', (t) => t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'z' }, 5), 'confirmed', ['suspicion-timer', 'broadcast:suspect'], 'suspect'],
    ['second suspect, same From → no rebroadcast', 'suspect', (t) => t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'y' }, 5), 'not-a-new-confirmation', [], 'suspect'],
    ['dead about alive → dead event', 'alive', (t) => t.dead({ type: 'dead', node: 'x', incarnation: 1, from: 'y' }, 5), 'accepted', ['broadcast:dead', 'event:dead:dead-message'], 'dead'],
    ['dead with From == Node → left', 'alive', (t) => t.dead({ type: 'dead', node: 'x', incarnation: 1, from: 'x' }, 5), 'accepted', ['broadcast:dead', 'event:leave:left-message'], 'left'],
    ['dead about suspect → cancels timer, dead', 'suspect', (t) => t.dead({ type: 'dead', node: 'x', incarnation: 1, from: 'y' }, 5), 'accepted', ['suspicion-cancel', 'broadcast:dead', 'event:dead:dead-message'], 'dead'],
    ['dead about dead → ignored', 'dead', (t) => t.dead({ type: 'dead', node: 'x', incarnation: 1, from: 'z' }, 5), 'already-dead-or-left', [], 'dead'],
    ['dead with older incarnation → stale', 'alive', (t) => t.dead({ type: 'dead', node: 'x', incarnation: 0, from: 'z' }, 5), 'stale', [], 'alive'],
  ];

  it.each(rows)('%s', (_name, from, input, outcome, effects, to) => {
    const t = table();
    if (from === 'unknown') expect(t.get('y')).toBeUndefined();
    else setState(t, 'x', from);
    const r = input(t);
    expect(r.outcome).toBe(outcome);
    expect(kinds(r.effects)).toEqual(effects);
    const target = from === 'unknown' ? 'y' : 'x';
    expect(t.get(target)?.state ?? 'unknown').toBe(to);
  });

  it('accusations against ourselves are refuted with incarnation max(ours+1, accused+1)', () => {
    const t = table();
    const s = t.suspect({ type: 'suspect', node: 'me', incarnation: 1, from: 'x' }, 5);
    expect(s.outcome).toBe('refuted');
    expect(kinds(s.effects)).toEqual(['refuted', 'broadcast:alive']);
    expect(t.self().incarnation).toBe(2);
    const d = t.dead({ type: 'dead', node: 'me', incarnation: 7, from: 'x' }, 5);
    expect(d.outcome).toBe('refuted');
    expect(t.self().incarnation).toBe(8);
    expect(t.self().state).toBe('alive');
    // an alive about us with our incarnation but different meta (restart with new config) → refute
    const a = t.alive(alive('me', 8, { addr: '10.0.0.1', meta: Uint8Array.of(9) }), 5);
    expect(a.outcome).toBe('refuted');
    expect(t.self().incarnation).toBe(9);
    // identical alive about us → ignored
    expect(t.alive(alive('me', 9, { addr: '10.0.0.1' }), 5).outcome).toBe('stale');
  });

  it('suspicion timeout: LAN, 5 nodes → 24 s alone, shrinking with confirmations to 4 s', () => {
    const t = table(['a', 'b', 'c', 'x']);
    const s = t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'me' }, 0);
    expect(s.effects.find((e) => e.kind === 'suspicion-timer')).toEqual({ kind: 'suspicion-timer', node: 'x', inMs: 24000 });
    const c1 = t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'a' }, 1000);
    expect(c1.effects.find((e) => e.kind === 'suspicion-timer')).toEqual({ kind: 'suspicion-timer', node: 'x', inMs: 11381 - 1000 });
    const c2 = t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'b' }, 2000);
    expect(c2.effects.find((e) => e.kind === 'suspicion-timer')).toEqual({ kind: 'suspicion-timer', node: 'x', inMs: 2000 });
    // k = 2 reached: further confirmations are not counted or rebroadcast
    expect(t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'c' }, 2500).outcome).toBe('not-a-new-confirmation');
    const d = t.suspicionExpired('x', 4000);
    expect(d.outcome).toBe('accepted');
    expect(kinds(d.effects)).toEqual(['suspicion-cancel', 'broadcast:dead', 'event:dead:suspicion-timeout']);
    expect(t.get('x')?.state).toBe('dead');
  });

  it('a stale suspicion timer (node refuted meanwhile) does nothing', () => {
    const t = table(['x']);
    t.suspect({ type: 'suspect', node: 'x', incarnation: 1, from: 'me' }, 0);
    t.alive(alive('x', 2, { addr: '10.0.1.1' }), 100);
    expect(t.suspicionExpired('x', 4000).outcome).toBe('timer-obsolete');
    expect(t.get('x')?.state).toBe('alive');
  });

  it('push/pull merge: alive → alive, left → left, dead → only suspected locally', () => {
    const t = table(['x', 'y', 'z']);
    const r = t.merge(
      [
        { name: 'new', addr: '10.0.2.1', port: 7946, meta: null, incarnation: 3, state: 0, vsn: VSN },
        { name: 'x', addr: '10.0.1.1', port: 7946, meta: null, incarnation: 1, state: 3, vsn: VSN },
        { name: 'y', addr: '10.0.1.2', port: 7946, meta: null, incarnation: 1, state: 2, vsn: VSN },
        { name: 'z', addr: '10.0.1.3', port: 7946, meta: null, incarnation: 1, state: 1, vsn: VSN },
        { name: 'me', addr: '10.0.0.1', port: 7946, meta: null, incarnation: 1, state: 2, vsn: VSN },
      ],
      10,
    );
    expect(t.get('new')?.state).toBe('alive');
    expect(t.get('x')?.state).toBe('left');
    expect(t.get('y')?.state).toBe('suspect');
    expect(t.get('z')?.state).toBe('suspect');
    expect(t.self().state).toBe('alive');
    expect(r.effects.some((e) => e.kind === 'refuted')).toBe(true);
  });

  it('leave marks us left once and ignores later alives about us', () => {
    const t = table();
    const l = t.leave(5);
    expect(kinds(l.effects)).toEqual(['broadcast:dead', 'event:leave:left-message']);
    const b = l.effects[0] as Extract<Effect, { kind: 'broadcast' }>;
    expect(b.leave).toBe(true);
    expect(t.self().state).toBe('left');
    expect(t.leave(6).outcome).toBe('ignored-after-leave');
    expect(t.alive(alive('me', 5, { addr: '10.0.0.1' }), 7).outcome).toBe('ignored-after-leave');
  });

  it('probe order skips ourselves and dead nodes, and reaps the dead after gossipToTheDead', () => {
    const t = table(['a', 'b', 'c']);
    setState(t, 'b', 'dead');
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add(t.nextProbeTarget(10)!.name);
    expect(seen).toEqual(new Set(['a', 'c']));
    expect(t.get('b')).toBeDefined();
    for (let i = 0; i < 6; i++) t.nextProbeTarget(40_000);
    expect(t.get('b')).toBeUndefined();
    expect(t.size()).toBe(3);
  });

  it('verifyProtocol refuses a merge that puts a node outside the cluster version range', () => {
    const t = table(['x']);
    const st = (vsn: number[]) => [{ name: 'n', addr: '10.0.2.1', port: 7946, meta: null, incarnation: 1, state: 0, vsn: Uint8Array.from(vsn) }];
    expect(verifyProtocol(st([1, 5, 2, 0, 0, 0]), t.all())).toBeUndefined();
    expect(verifyProtocol(st([3, 5, 3, 0, 0, 0]), t.all())).toMatch(/protocol version 2 is outside the cluster range \[3, 5\]/);
    expect(verifyProtocol(st([1, 5, 2, 1, 2, 1]), t.all())).toMatch(/delegate version \d is outside/);
    // dead remote entries and short Vsn do not count
    expect(verifyProtocol([{ ...st([3, 5, 3, 0, 0, 0])[0]!, state: 2 }], t.all())).toBeUndefined();
  });

  it('nobody to probe in a one-node cluster', () => {
    expect(table([]).nextProbeTarget(0)).toBeUndefined();
  });
});
