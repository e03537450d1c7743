import { describe, expect, it } from 'vitest';
import { LAN_PRESET, FAST_PRESET, LOCAL_PRESET, WAN_PRESET, validateTunables, ConfigError } from './config.js';
import { Simulation, type ObservedEvent } from './testing/index.js';

/*
 * `deadWhenRefused`: a failed probe whose TCP fallback ping the node's host refused declares the
 * node dead at once (its process is gone) instead of suspecting it for the suspicion timeout.
 * Simulated time (ManualClock), so the bounds below are exact protocol arithmetic, not wall time.
 */

const deaths = (sim: Simulation, name: string): ObservedEvent[] => sim.events.filter((e) => e.type === 'dead' && e.member.name === name);

/** Three nodes on LAN timings, with or without the option; node 2 crashed at t0. */
async function crash(deadWhenRefused: boolean, seed: number) {
  const sim = new Simulation({ size: 3, seed, tunables: { deadWhenRefused } });
  await sim.joinAll();
  await sim.runFor(3_000);
  const t0 = sim.clock.now();
  await sim.kill(2);
  await sim.runFor(15_000);
  return { sim, t0, dead: deaths(sim, 'n2') };
}

describe('deadWhenRefused', () => {
  it('is off in the Go presets and on in fast; it must be a boolean', () => {
    expect([LAN_PRESET, WAN_PRESET, LOCAL_PRESET].map((t) => t.deadWhenRefused)).toEqual([false, false, false]);
    expect(FAST_PRESET.deadWhenRefused).toBe(true);
    expect(() => validateTunables({ ...LAN_PRESET, deadWhenRefused: 'yes' as unknown as boolean })).toThrow(ConfigError);
    expect(() => validateTunables({ ...LAN_PRESET, deadWhenRefused: 'yes' as unknown as boolean })).toThrow(/deadWhenRefused: must be true or false/);
  });

  it('a crashed process (host up, port closed) is dead after one failed probe, not after the suspicion timeout', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const on = await crash(true, seed);
      const off = await crash(false, seed);
      // Both survivors learn of the death; with the option both hear it as refused or via the dead message.
      expect(new Set(on.dead.map((e) => e.observer))).toEqual(new Set(['n0', 'n1']));
      expect(on.dead.some((e) => e.reason === 'tcp-refused')).toBe(true);
      expect(on.dead.every((e) => e.reason === 'tcp-refused' || e.reason === 'dead-message')).toBe(true);
      expect(off.dead.some((e) => e.reason === 'suspicion-timeout')).toBe(true);
      expect(off.dead.every((e) => e.reason !== 'tcp-refused')).toBe(true);
      // Without it: at least the 4 s minimum suspicion (4 × max(1, log10 3) × 1 s) after a failed
      // probe. With it: at the end of the first failed probe of n2 — a survivor probes its two peers
      // in shuffled rounds, so its next probe of n2 starts within three intervals and ends one
      // later. The same seed runs the same schedule, so the option saves the whole 4 s.
      const first = (r: { dead: ObservedEvent[]; t0: number }) => Math.min(...r.dead.map((e) => e.atMs)) - r.t0;
      const I = LAN_PRESET.probeIntervalMs;
      expect(first(on)).toBeLessThanOrEqual(4 * I + 100);
      expect(first(off)).toBeGreaterThanOrEqual(first(on) + 4 * I - 100);
      expect(on.sim.node(0).metrics().refusedDead + on.sim.node(1).metrics().refusedDead).toBeGreaterThanOrEqual(1);
      expect(on.sim.converged()).toBe(true);
    }
  });

  it('a silent node (partition, link down) is still suspected first: no refusal, no shortcut', async () => {
    const sim = new Simulation({ size: 3, seed: 7, tunables: { deadWhenRefused: true } });
    await sim.joinAll();
    await sim.runFor(3_000);
    sim.net.partition([sim.ip(0), sim.ip(1)], [sim.ip(2)]);
    await sim.runFor(15_000);
    const dead = deaths(sim, 'n2').filter((e) => e.observer !== 'n2');
    expect(dead.length).toBeGreaterThan(0);
    expect(dead.every((e) => e.reason !== 'tcp-refused')).toBe(true);
    expect(dead.some((e) => e.reason === 'suspicion-timeout')).toBe(true);
  });

  it('a live node whose host refuses streams but answers datagrams is never declared dead', async () => {
    // (Under heavy loss such a node — misconfigured: memberlist needs TCP too — can be declared
    // dead when a whole probe round is lost; it then refutes, as the next test shows.)
    const sim = new Simulation({ size: 4, seed: 8, tunables: { deadWhenRefused: true } });
    await sim.joinAll();
    sim.net.refuseStreams(sim.ip(3));
    await sim.runFor(60_000, 10);
    expect(sim.events.filter((e) => e.type === 'dead')).toEqual([]);
    expect(sim.converged()).toBe(true);
  });

  it('a live node declared dead by mistake (datagrams lost and streams refused) refutes once reachable, and the view converges', async () => {
    const sim = new Simulation({ size: 4, seed: 9, tunables: { deadWhenRefused: true } });
    await sim.joinAll();
    await sim.runFor(3_000);
    for (const i of [0, 1, 2]) sim.net.block(sim.ip(i), sim.ip(3), 'packets');
    sim.net.refuseStreams(sim.ip(3));
    await sim.runFor(5_000);
    expect(deaths(sim, 'n3').some((e) => e.reason === 'tcp-refused')).toBe(true);
    sim.net.heal();
    await sim.runFor(40_000, 10);
    expect(sim.converged()).toBe(true);
    expect(sim.node(3).members().map((m) => m.name).sort()).toEqual(['n0', 'n1', 'n2', 'n3']);
    expect(sim.events.some((e) => e.type === 'join' && e.member.name === 'n3' && e.reason === 'rejoined-after-dead')).toBe(true);
  });
});
