import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { DEFAULT_LEADER_ELECTION, JITTER_FACTOR, LeaderElector } from '../index.js';
import { MemoryLeaseStore, SkewedClock, type LeaseLink } from '../testing/index.js';

/**
 * Multi-node simulations on one ManualClock: each node has its own skewed clock (wall offset of
 * up to ±1 h and a rate error), its own link to the store (latency, failures before and after the
 * write applies, partitions) and its own elector. The oracle checks, at every `started-leading`,
 * that no other live node believes it leads.
 */
interface SimNode {
  id: string;
  clock: SkewedClock;
  link: LeaseLink;
  el: LeaderElector;
  alive: boolean;
}

interface SimOptions {
  seed: number;
  nodes: number;
  latencyMs: [number, number];
  failBeforeRate: number;
  failAfterRate: number;
  /** Max |rate − 1| per node. */
  rateSkew: number;
  /** Explicit rates per node index (overrides rateSkew). */
  rates?: number[];
}

function createSim(o: SimOptions) {
  const clock = new ManualClock(1_700_000_000_000);
  const rng = new SeededRng(o.seed);
  const store = new MemoryLeaseStore();
  const violations: string[] = [];
  const leadershipStarts: { id: string; at: number }[] = [];
  const nodes: SimNode[] = [];

  const spawn = (i: number): SimNode => {
    const id = `node-${i}`;
    const rate = o.rates?.[i] ?? 1 + (rng.next() * 2 - 1) * o.rateSkew;
    const nodeClock = new SkewedClock(clock, { offsetMs: (rng.next() * 2 - 1) * 3_600_000, rate });
    const link = store.connect({ clock, rng: rng.fork(), latencyMs: o.latencyMs, failBeforeRate: o.failBeforeRate, failAfterRate: o.failAfterRate });
    const el = new LeaderElector({ identity: id }, { clock: nodeClock, rng: rng.fork(), store: link });
    const node: SimNode = { id, clock: nodeClock, link, el, alive: true };
    el.on((e) => {
      if (e.type === 'started-leading') {
        leadershipStarts.push({ id, at: clock.now() });
        const others = nodes.filter((n) => n !== node && n.alive && n.el.isLeader()).map((n) => n.id);
        if (others.length > 0) violations.push(`${id} started leading at ${clock.now()} while ${others.join(',')} led`);
      }
    });
    return node;
  };
  for (let i = 0; i < o.nodes; i++) nodes.push(spawn(i));

  return {
    clock,
    rng,
    store,
    nodes,
    violations,
    leadershipStarts,
    start() {
      for (const n of nodes) n.el.start();
    },
    leaders(): SimNode[] {
      return nodes.filter((n) => n.alive && n.el.isLeader());
    },
    kill(n: SimNode) {
      n.alive = false;
      n.clock.kill();
      n.link.kill();
    },
    restart(n: SimNode) {
      const idx = nodes.indexOf(n);
      const fresh = spawn(Number(n.id.slice(5)));
      nodes[idx] = fresh;
      fresh.el.start();
      return fresh;
    },
  };
}

describe('lease simulation: exactly one leader at any time', () => {
  const seeds = Array.from({ length: 12 }, (_, i) => i + 1);

  it.each(seeds)('seed %i: latency, lost answers, partitions, crashes, restarts and clock skew', async (seed) => {
    const sim = createSim({ seed, nodes: 4, latencyMs: [0, 400], failBeforeRate: 0.05, failAfterRate: 0.05, rateSkew: 0.1 });
    const { clock, rng } = sim;
    sim.start();
    let chaos = 0;
    let leaderTime = 0;
    const total = 15 * 60_000;
    // Sample: at most one live leader at every 100 ms too, and how often there is one.
    clock.setInterval(100, () => {
      const l = sim.leaders().length;
      if (l > 1) sim.violations.push(`${l} leaders at ${clock.now()}`);
      if (l === 1) leaderTime += 100;
    });
    const step = () => {
      chaos++;
      const n = sim.nodes[rng.int(sim.nodes.length)]!;
      const r = rng.next();
      if (!n.alive) sim.restart(n);
      else if (r < 0.3) sim.kill(n);
      else if (r < 0.6) {
        n.link.partitioned = true;
        clock.setTimer(2_000 + rng.int(20_000), () => (n.link.partitioned = false));
      } else if (r < 0.8) void n.el.stop();
      else if (n.el.state === 'stopped') n.el.start();
      // Electors that lost leadership rejoin, like a restarted controller.
      for (const x of sim.nodes) if (x.alive && x.el.state === 'stopped' && rng.next() < 0.5) x.el.start();
      clock.setTimer(5_000 + rng.int(25_000), step);
    };
    clock.setTimer(10_000, step);
    for (let t = 0; t < total; t += 10_000) await clock.advanceAsync(10_000);
    expect(sim.violations).toEqual([]);
    expect(chaos).toBeGreaterThan(20);
    expect(new Set(sim.leadershipStarts.map((s) => s.id)).size).toBeGreaterThan(1);
    // Liveness under this much chaos: seeds 1–12 have a leader 84–95 % of the time.
    expect(leaderTime / total).toBeGreaterThan(0.75);
  });

  it.each([21, 22, 23])('seed %i: without faults there is exactly one leader at every instant after start-up', async (seed) => {
    const sim = createSim({ seed, nodes: 5, latencyMs: [0, 400], failBeforeRate: 0, failAfterRate: 0, rateSkew: 0.1 });
    sim.start();
    await sim.clock.advanceAsync(1_000);
    const counts = new Set<number>();
    sim.clock.setInterval(50, () => counts.add(sim.leaders().length));
    await sim.clock.advanceAsync(30 * 60_000);
    expect([...counts]).toEqual([1]);
    expect(new Set(sim.leadershipStarts.map((s) => s.id)).size).toBe(1);
    expect(sim.store.peek()!.record.leaseTransitions).toBe(0);
  });

  it('the oracle is not vacuous: rates differing beyond leaseDuration/renewDeadline give two leaders', async () => {
    // node-0's clock runs at half speed: its 10 s renew deadline lasts 20 s of real time, while
    // node-1 takes over after 15 s of real time.
    const sim = createSim({ seed: 99, nodes: 2, latencyMs: [0, 0], failBeforeRate: 0, failAfterRate: 0, rateSkew: 0, rates: [0.5, 1] });
    sim.nodes[0]!.el.start();
    await sim.clock.advanceAsync(1);
    sim.nodes[1]!.el.start();
    await sim.clock.advanceAsync(5_000);
    sim.nodes[0]!.link.partitioned = true;
    await sim.clock.advanceAsync(60_000);
    expect(sim.violations.length).toBeGreaterThan(0);
  });
});

describe('lease simulation: take-over after the leader dies', () => {
  const { leaseDurationMs: LD, retryPeriodMs: RP } = DEFAULT_LEADER_ELECTION;
  const maxLatency = 200;
  const maxRate = 1.05;
  // Followers measure leaseDuration on their own clock from when they last saw the Lease change,
  // which lags the leader's last renewal by at most one follower retry (+ a read round trip).
  const bound = (LD + 2 * (1 + JITTER_FACTOR) * RP) * maxRate + 10 * maxLatency;

  it.each(Array.from({ length: 10 }, (_, i) => i + 100))('seed %i: crash → a follower leads within leaseDuration + retries', async (seed) => {
    const sim = createSim({ seed, nodes: 3 + (seed % 3), latencyMs: [0, maxLatency], failBeforeRate: 0, failAfterRate: 0, rateSkew: maxRate - 1 });
    sim.start();
    await sim.clock.advanceAsync(20_000 + sim.rng.int(10_000));
    const [leader] = sim.leaders();
    expect(leader).toBeDefined();
    const diedAt = sim.clock.now();
    const lastRenew = sim.store.peek()!;
    sim.kill(leader!);
    await sim.clock.advanceAsync(40_000);
    const next = sim.leadershipStarts.find((s) => s.at > diedAt);
    expect(next).toBeDefined();
    expect(next!.id).not.toBe(leader!.id);
    const delay = next!.at - diedAt;
    expect(delay).toBeLessThanOrEqual(bound);
    // Never before the dead leader's lease could have run out on its own clock.
    expect(next!.at).toBeGreaterThan(diedAt);
    expect(sim.store.peek()!.record.leaseTransitions).toBe(lastRenew.record.leaseTransitions + 1);
    expect(sim.violations).toEqual([]);
  });

  it('graceful stop: a follower leads within one jittered retry period (+ round trips)', async () => {
    const sim = createSim({ seed: 5, nodes: 3, latencyMs: [0, maxLatency], failBeforeRate: 0, failAfterRate: 0, rateSkew: 0.05 });
    sim.start();
    await sim.clock.advanceAsync(20_000);
    const [leader] = sim.leaders();
    const at = sim.clock.now();
    void leader!.el.stop();
    await sim.clock.advanceAsync(20_000);
    const next = sim.leadershipStarts.find((s) => s.at > at)!;
    expect(next.id).not.toBe(leader!.id);
    expect(next.at - at).toBeLessThanOrEqual((1 + JITTER_FACTOR) * RP * maxRate + 6 * maxLatency);
  });
});
