import { describe, expect, it } from 'vitest';
import { SeededRng } from '@metallb-ts/clock/testing';
import { deriveMetallbKey, encodeCompound, encodeMessage } from './index.js';
import { Simulation } from './testing/index.js';

/* Many-node simulations on the in-memory network with a ManualClock: bounded, deterministic. */

const deadEvents = (sim: Simulation) => sim.events.filter((e) => e.type === 'dead' || e.type === 'leave');

describe('simulated clusters (MemoryNetwork + ManualClock)', () => {
  it('5 nodes join, converge, detect a crash within the LAN bound, and nobody else dies', async () => {
    const sim = new Simulation({ size: 5, seed: 11 });
    await sim.joinAll();
    await sim.runFor(2000);
    expect(sim.converged()).toBe(true);
    const t0 = sim.clock.now();
    await sim.kill(4);
    await sim.runFor(15_000);
    expect(sim.converged()).toBe(true);
    const deaths = sim.events.filter((e) => e.type === 'dead');
    expect(new Set(deaths.map((e) => e.observer))).toEqual(new Set(['n0', 'n1', 'n2', 'n3']));
    expect(deaths.every((e) => e.member.name === 'n4')).toBe(true);
    for (const d of deaths) expect(d.atMs - t0).toBeLessThan(10_000);
  });

  it('20 nodes under 5 % packet loss for 90 s: no live node is declared dead and all converge', async () => {
    const sim = new Simulation({ size: 20, seed: 5, loss: 0.05 });
    await sim.joinAll();
    await sim.runFor(90_000, 10);
    expect(deadEvents(sim)).toEqual([]);
    expect(sim.converged()).toBe(true);
  });

  it('a crash under 5 % loss is still detected by every survivor, and only the crashed node', async () => {
    const sim = new Simulation({ size: 10, seed: 8, loss: 0.05 });
    await sim.joinAll();
    await sim.runFor(5_000, 10);
    await sim.kill(3);
    await sim.runFor(30_000, 10);
    const deaths = deadEvents(sim);
    expect(deaths.every((e) => e.member.name === 'n3')).toBe(true);
    expect(new Set(deaths.map((e) => e.observer)).size).toBe(9);
    expect(sim.converged()).toBe(true);
  });

  it('a partition shorter than the suspicion timeout causes no deaths (suspects refute)', async () => {
    const sim = new Simulation({ size: 6, seed: 3 });
    await sim.joinAll();
    await sim.runFor(3_000);
    sim.net.partition([sim.ip(0), sim.ip(1), sim.ip(2)], [sim.ip(3), sim.ip(4), sim.ip(5)]);
    await sim.runFor(3_000);
    sim.net.heal();
    await sim.runFor(20_000);
    expect(deadEvents(sim)).toEqual([]);
    expect(sim.converged()).toBe(true);
  });

  it('a long partition splits the view into the two sides; a re-join (what MetalLB does every minute) merges them', async () => {
    const sim = new Simulation({ size: 6, seed: 4 });
    await sim.joinAll();
    sim.net.partition([sim.ip(0), sim.ip(1), sim.ip(2)], [sim.ip(3), sim.ip(4), sim.ip(5)]);
    await sim.runFor(60_000, 10);
    expect(sim.node(0).members().map((m) => m.name).sort()).toEqual(['n0', 'n1', 'n2']);
    expect(sim.node(5).members().map((m) => m.name).sort()).toEqual(['n3', 'n4', 'n5']);
    sim.net.heal();
    const p = sim.node(0).join([`${sim.ip(3)}:7946`]);
    await sim.runFor(100);
    await p;
    await sim.runFor(20_000, 10);
    expect(sim.converged()).toBe(true);
    expect(sim.events.some((e) => e.type === 'join' && e.reason === 'rejoined-after-dead')).toBe(true);
  });

  it('flapping: a node isolated for 2 s every 8 s is never declared dead', async () => {
    const sim = new Simulation({ size: 6, seed: 9 });
    await sim.joinAll();
    for (let i = 0; i < 6; i++) {
      await sim.runFor(6_000, 10);
      sim.net.partition([sim.ip(5)], [0, 1, 2, 3, 4].map((j) => sim.ip(j)));
      await sim.runFor(2_000, 10);
      sim.net.heal();
    }
    await sim.runFor(10_000, 10);
    expect(deadEvents(sim)).toEqual([]);
    expect(sim.converged()).toBe(true);
    expect(sim.node(5).metrics().refutations).toBeGreaterThan(0);
  });

  it('indirect probes keep a node alive when only the direct path is broken', async () => {
    const sim = new Simulation({ size: 4, seed: 12 });
    await sim.joinAll();
    sim.net.block(sim.ip(0), sim.ip(1), 'all');
    await sim.runFor(30_000, 10);
    expect(deadEvents(sim)).toEqual([]);
    expect(sim.converged()).toBe(true);
    expect(sim.node(0).metrics().probes).toBeGreaterThan(10);
  });

  it('the TCP fallback ping keeps a node alive when UDP is blocked and no helper exists', async () => {
    const sim = new Simulation({ size: 2, seed: 13, tunables: { indirectChecks: 0 } });
    await sim.joinAll();
    sim.net.block(sim.ip(0), sim.ip(1), 'packets');
    await sim.runFor(30_000, 10);
    expect(deadEvents(sim)).toEqual([]);
    expect(sim.converged()).toBe(true);
    // ...and without the fallback the same cut is fatal
    const sim2 = new Simulation({ size: 2, seed: 13, tunables: { indirectChecks: 0, disableTcpPings: true } });
    await sim2.joinAll();
    sim2.net.block(sim2.ip(0), sim2.ip(1), 'packets');
    await sim2.runFor(30_000, 10);
    expect(deadEvents(sim2).length).toBeGreaterThan(0);
  });

  it('a restarted node (same name, incarnation 1) is accepted again', async () => {
    const sim = new Simulation({ size: 4, seed: 14 });
    await sim.joinAll();
    await sim.kill(2);
    await sim.runFor(20_000);
    expect(sim.node(0).members().some((m) => m.name === 'n2')).toBe(false);
    await sim.restart(2, 1);
    await sim.runFor(5_000);
    expect(sim.converged()).toBe(true);
    const rejoin = sim.events.filter((e) => e.type === 'join' && e.member.name === 'n2' && e.reason === 'rejoined-after-dead');
    expect(rejoin.length).toBe(3);
    expect(rejoin.every((e) => e.member.incarnation > 1)).toBe(true);
  });

  it('a restart inside the suspicion window causes no leave or join events at all', async () => {
    const sim = new Simulation({ size: 4, seed: 15 });
    await sim.joinAll();
    await sim.runFor(2_000);
    const before = sim.events.length;
    await sim.kill(3);
    await sim.runFor(1_500);
    await sim.restart(3, 0);
    await sim.runFor(10_000);
    expect(sim.converged()).toBe(true);
    const after = sim.events.slice(before).filter((e) => e.observer !== 'n3' && e.member.name === 'n3');
    expect(after.filter((e) => e.type !== 'update')).toEqual([]);
  });

  it('graceful leave is seen as leave by everyone within a second', async () => {
    const sim = new Simulation({ size: 5, seed: 16 });
    await sim.joinAll();
    const t0 = sim.clock.now();
    await sim.leave(4);
    await sim.runFor(500);
    const leaves = sim.events.filter((e) => e.type === 'leave' && e.member.name === 'n4' && e.observer !== 'n4');
    expect(leaves.length).toBe(4);
    expect(leaves.every((e) => e.reason === 'left-message' && e.atMs - t0 < 1000)).toBe(true);
    expect(sim.events.some((e) => e.type === 'dead')).toBe(false);
  });

  it('metadata updates reach every member; user broadcasts are sent retransmitLimit times', async () => {
    const got: string[] = [];
    const sim = new Simulation({ size: 8, seed: 17, delegate: (i) => ({ notifyMsg: (p) => got.push(`n${i}:${new TextDecoder().decode(p)}`) }) });
    await sim.joinAll();
    sim.node(2).broadcast(new TextEncoder().encode('hi-all'));
    sim.node(3).updateMeta(new TextEncoder().encode('zone=b'));
    await sim.runFor(3_000);
    const ups = sim.events.filter((e) => e.type === 'update' && e.member.name === 'n3' && e.observer !== 'n3');
    expect(new Set(ups.map((e) => e.observer)).size).toBe(7);
    expect(sim.node(0).members().find((m) => m.name === 'n3')!.meta).toEqual(new TextEncoder().encode('zone=b'));
    // Like Go, a user broadcast is transmitted retransmitLimit (4 × ceil(log10 9) = 4) times and
    // receivers do not re-gossip it.
    const receivers = new Set(got.filter((g) => g.endsWith(':hi-all')));
    expect(receivers.size).toBeGreaterThanOrEqual(1);
    expect(receivers.size).toBeLessThanOrEqual(4);
  });

  it('encrypted clusters work; a node with another key cannot join', async () => {
    const key = deriveMetallbKey('sim-secret');
    const sim = new Simulation({ size: 4, seed: 18, keys: [key] });
    await sim.joinAll();
    await sim.runFor(2_000);
    expect(sim.converged()).toBe(true);
    expect(sim.node(0).metrics().drops['decrypt-failed'] ?? 0).toBe(0);
  });

  it('labels: nodes with the same label form a cluster; another label is refused', async () => {
    const sim = new Simulation({ size: 3, seed: 22, label: (i) => (i < 2 ? 'blue' : 'red') });
    const p1 = sim.node(1).join([`${sim.ip(0)}:7946`]);
    await sim.runFor(50);
    expect(await p1).toBe(1);
    const p2 = sim.node(2).join([`${sim.ip(0)}:7946`]);
    const r = expect(p2).rejects.toThrow(/failed to join/);
    await sim.runFor(50);
    await r;
    await sim.runFor(5_000);
    expect(sim.node(0).members().map((m) => m.name).sort()).toEqual(['n0', 'n1']);
    expect(sim.node(0).metrics().drops['bad-label']).toBeGreaterThan(0);
  });

  it('garbage, truncated, replayed and wrongly encrypted packets are dropped and counted; state is untouched', async () => {
    const sim = new Simulation({ size: 3, seed: 19 });
    await sim.joinAll();
    await sim.runFor(1_000);
    const before = sim.node(0).allNodes();
    const rogue = sim.net.transport('10.9.9.9');
    const rng = new SeededRng(99);
    const to = { ip: sim.ip(0), port: 7946 };
    const replay = encodeMessage({ type: 'dead', incarnation: 0, node: 'n1', from: 'n2' });
    for (let i = 0; i < 300; i++) rogue.sendPacket(to, rng.bytes(rng.int(200)));
    for (let i = 0; i < 50; i++) rogue.sendPacket(to, encodeCompound([replay, new Uint8Array([0x04, 0x81])]).subarray(0, 20 + rng.int(30)));
    for (let i = 0; i < 50; i++) rogue.sendPacket(to, Uint8Array.from([1, ...rng.bytes(60)]));
    rogue.sendPacket(to, replay); // stale incarnation: ignored
    await sim.runFor(500);
    const m = sim.node(0).metrics();
    const dropped = Object.values(m.drops).reduce((a, b) => a + b, 0);
    expect(dropped).toBeGreaterThan(300);
    expect(sim.node(0).allNodes()).toEqual(before);
    await sim.runFor(5_000);
    expect(sim.converged()).toBe(true);
    expect(deadEvents(sim)).toEqual([]);
  });

  it('50 nodes: a crash is detected by all 49 survivors and the view converges', async () => {
    const sim = new Simulation({ size: 50, seed: 23 });
    await sim.joinAll();
    await sim.runFor(5_000, 10);
    expect(sim.converged()).toBe(true);
    await sim.kill(17);
    await sim.runFor(25_000, 10);
    const deaths = deadEvents(sim);
    expect(deaths.every((e) => e.member.name === 'n17')).toBe(true);
    expect(new Set(deaths.map((e) => e.observer)).size).toBe(49);
    expect(sim.converged()).toBe(true);
  });

  it('Lifeguard awareness: an isolated node slows itself down, and recovers after healing', async () => {
    const sim = new Simulation({ size: 5, seed: 24 });
    await sim.joinAll();
    await sim.runFor(3_000);
    expect(sim.node(0).healthScore()).toBe(0);
    sim.net.partition([sim.ip(0)], [1, 2, 3, 4].map((i) => sim.ip(i)));
    await sim.runFor(8_000);
    const degraded = sim.node(0).healthScore();
    expect(degraded).toBeGreaterThan(0);
    // the healthy side stays healthy: its intermediaries answer with nacks
    expect(sim.node(1).healthScore()).toBeLessThan(degraded);
    sim.net.heal();
    const p = sim.node(0).join([`${sim.ip(1)}:7946`]);
    await sim.runFor(100);
    await p;
    await sim.runFor(30_000);
    expect(sim.node(0).healthScore()).toBe(0);
    expect(sim.converged()).toBe(true);
  });

  it('push/pull anti-entropy delivers an update that gossip could not', async () => {
    const sim = new Simulation({ size: 3, seed: 25, tunables: { pushPullIntervalMs: 10_000 } });
    await sim.joinAll();
    await sim.runFor(2_000);
    // UDP cut between n2 and the others; TCP still works (fallback pings keep n2 alive).
    sim.net.block(sim.ip(2), sim.ip(0), 'packets');
    sim.net.block(sim.ip(2), sim.ip(1), 'packets');
    sim.node(0).updateMeta(new TextEncoder().encode('v2'));
    const seen = () => new TextDecoder().decode(sim.node(2).members().find((m) => m.name === 'n0')!.meta);
    // With every datagram between n2 and the others dropped, only a push/pull (TCP) can carry it.
    await sim.runFor(25_000);
    expect(seen()).toBe('v2');
    expect(sim.events.some((e) => e.observer === 'n2' && e.type === 'update' && e.member.name === 'n0')).toBe(true);
    expect(deadEvents(sim)).toEqual([]);
  });

  /** Every survivor's time (ms) to report node `victim` dead after it went silent (its link down). */
  async function silentNodeDeadAfter(preset: 'lan' | 'balanced', seed: number, size = 3, victim = size - 1): Promise<number[]> {
    const sim = new Simulation({ size, seed, preset });
    await sim.joinAll();
    await sim.runFor(3_000);
    const t0 = sim.clock.now();
    for (let i = 0; i < size; i++) if (i !== victim) sim.net.block(sim.ip(i), sim.ip(victim), 'all');
    await sim.runFor(15_000);
    const deaths = sim.events.filter((e) => e.type === 'dead' && e.member.name === `n${victim}` && e.observer !== `n${victim}`);
    const first = new Map<string, number>();
    for (const d of deaths) if (!first.has(d.observer)) first.set(d.observer, d.atMs - t0);
    expect(first.size).toBe(size - 1); // every survivor, and
    expect(sim.events.filter((e) => e.type === 'dead' && e.member.name !== `n${victim}` && e.observer !== `n${victim}`)).toEqual([]); // nobody else
    return [...first.values()];
  }

  it('balanced preset: a silent node (link down) is dead for every survivor of 3 nodes within 3 s, LAN takes about twice as long', async () => {
    const balanced: number[] = [];
    const lan: number[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      balanced.push(Math.max(...(await silentNodeDeadAfter('balanced', seed))));
      lan.push(Math.max(...(await silentNodeDeadAfter('lan', seed))));
    }
    expect(Math.max(...balanced)).toBeLessThan(3_000);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    expect(median(lan)).toBeGreaterThan(4_500); // the same cluster with MetalLB's timings: the suspicion alone is 4 s
    expect(median(balanced)).toBeLessThan(median(lan) / 1.8);
  });

  it('balanced preset: 10 nodes under 5 % packet loss for 90 s: no live node is declared dead', async () => {
    const sim = new Simulation({ size: 10, seed: 31, preset: 'balanced', loss: 0.05 });
    await sim.joinAll();
    await sim.runFor(90_000, 10);
    expect(deadEvents(sim)).toEqual([]);
    expect(sim.converged()).toBe(true);
  });

  it('fast preset: a crash is detected by every survivor in about a second', async () => {
    const sim = new Simulation({ size: 8, seed: 20, preset: 'fast' });
    await sim.joinAll();
    await sim.runFor(2_000);
    const t0 = sim.clock.now();
    await sim.kill(7);
    await sim.runFor(5_000);
    const deaths = sim.events.filter((e) => e.type === 'dead');
    expect(new Set(deaths.map((e) => e.observer)).size).toBe(7);
    const last = Math.max(...deaths.map((e) => e.atMs - t0));
    expect(last).toBeLessThan(2_500);
  });

  it('fast preset under 1 % loss for 60 s: no false positives', async () => {
    const sim = new Simulation({ size: 10, seed: 21, preset: 'fast', loss: 0.01 });
    await sim.joinAll();
    await sim.runFor(60_000, 10);
    expect(deadEvents(sim)).toEqual([]);
    expect(sim.converged()).toBe(true);
  });
});
