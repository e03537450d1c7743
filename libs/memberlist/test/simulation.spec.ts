import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/testing/index.js';

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
});
