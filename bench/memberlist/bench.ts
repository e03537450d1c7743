/**
 * Benchmarks of `@metallb-ts/memberlist` (bounded; prints a Markdown report on stdout).
 *
 *   cd libs/memberlist && npm run bench                 # everything (~9 min on 2 loaded cores)
 *   cd libs/memberlist && npm run bench -- --detect     # real processes on loopback only
 *   cd libs/memberlist && npm run bench -- --sim --load # simulations only (~1 min)
 *   add --quick for a smoke run with small counts
 *
 * 1. detect: failure detection on loopback with real processes, 3 nodes, `kill -9` of the
 *    third; time from the kill to each survivor's dead/leave event. Ours (LAN preset) vs the
 *    Go peer (hashicorp/memberlist v0.5.1 built by @metallb-ts/test-lab, DefaultLANConfig), a mixed Go + ours cluster, and ours
 *    with the fast preset.
 *    Addresses 127.0.20.64–127.0.20.127, random high ports.
 * 2. sim: fast preset in simulation (ManualClock): detection distribution under 1 % loss and
 *    false positives over long runs under 1 % loss.
 * 3. load: CPU time and bytes/s per node for 10, 50 and 200 simulated members (LAN and fast).
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Simulation } from '@metallb-ts/memberlist/testing';
import { buildMemberlistPeers as buildPeers, randomPort, startGoPeer, startNodePeer as startAgent, type PeerProcess } from '@metallb-ts/test-lab';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const all = !args.has('--detect') && !args.has('--sim') && !args.has('--load');
const out: string[] = [];
const say = (s = '') => {
  out.push(s);
  console.error(s);
};

function stats(xs: number[]): string {
  if (xs.length === 0) return '| 0 | – | – | – | – | – |';
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  const f = (v: number) => (v / 1000).toFixed(2);
  return `| ${s.length} | ${f(s[0]!)} | ${f(q(0.5))} | ${f(mean)} | ${f(q(0.9))} | ${f(s[s.length - 1]!)} |`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/* ------------------------------------------------------------------ detect (real) */

type Impl = 'go' | 'ts-lan' | 'ts-fast' | 'mixed';

async function trial(impl: Impl, slot: number, bins: { goPeer: string; agent: string }): Promise<{ obs: number[]; falsePositives: number }> {
  const ip = (i: number) => `127.0.20.${64 + slot * 4 + i}`;
  const ports = [randomPort(), randomPort(), randomPort()];
  const names = ['a', 'b', 'c'];
  const procs: PeerProcess[] = [];
  // mixed: a = Go, b = ours, c (killed) = Go in even slots, ours in odd ones.
  const isGo = (i: number) => impl === 'go' || (impl === 'mixed' && (i === 0 || (i === 2 && slot % 2 === 0)));
  const start = (i: number) => {
    const join = i === 0 ? [] : isGo(i) ? ['-join', `${ip(0)}:${ports[0]}`] : ['--join', `${ip(0)}:${ports[0]}`];
    if (isGo(i)) return startGoPeer(bins.goPeer, names[i]!, ['-bind', ip(i), '-port', String(ports[i]), '-seconds', '40', ...join]);
    return startAgent(bins.agent, names[i]!, ['--bind', ip(i), '--port', String(ports[i]), '--seconds', '40', '--preset', impl === 'ts-fast' ? 'fast' : 'lan', ...join]);
  };
  try {
    for (let i = 0; i < 3; i++) {
      const p = start(i);
      procs.push(p);
      await p.waitFor((l) => l.event === 'start', 10_000, 'start');
      await sleep(200);
    }
    for (const p of procs.slice(0, 2)) await p.waitFor((l) => l.event === 'join' && l.node === 'c', 10_000, 'join c');
    await sleep(impl === 'ts-fast' ? 1000 + Math.random() * 1000 : 4000 + Math.random() * 1000);
    const kill = Date.now();
    procs[2]!.signal('SIGKILL');
    const gone = (l: { event: string; node?: string }) => (l.event === 'leave' || l.event === 'dead') && l.node === 'c';
    const obs: number[] = [];
    for (const p of procs.slice(0, 2)) {
      const l = await p.waitFor(gone, 25_000, 'c gone');
      obs.push(l.unix_ms - kill);
    }
    const falsePositives = procs.slice(0, 2).reduce((n, p) => n + p.lines.filter((l) => (l.event === 'leave' || l.event === 'dead') && l.node !== 'c').length, 0);
    return { obs, falsePositives };
  } finally {
    for (const p of procs) p.signal('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
  }
}

async function detect(): Promise<void> {
  const bins = await buildPeers();
  if ('skip' in bins) {
    say(`detect: skipped (${bins.skip})`);
    return;
  }
  const rounds = quick ? 1 : 8;
  const parallel = 3;
  say('### Failure detection on loopback (real processes, 3 nodes, kill -9 of one)');
  say('');
  say(`${rounds * parallel} trials per row, ${parallel} trials in parallel on separate 127.0.20.x addresses; seconds from the kill to each survivor's leave/dead event.`);
  say('');
  say('| implementation, preset | observations | min s | median s | mean s | p90 s | max s | false positives |');
  say('|---|---|---|---|---|---|---|---|');
  for (const impl of ['go', 'ts-lan', 'mixed', 'ts-fast'] as const) {
    const xs: number[] = [];
    let fp = 0;
    for (let r = 0; r < rounds; r++) {
      const res = await Promise.all(Array.from({ length: parallel }, (_, s) => trial(impl, s, bins).catch((e) => (console.error(String(e)), { obs: [], falsePositives: 0 }))));
      for (const x of res) {
        xs.push(...x.obs);
        fp += x.falsePositives;
      }
    }
    const label = {
      go: 'Go memberlist v0.5.1, DefaultLANConfig',
      'ts-lan': 'ours, `lan` preset',
      mixed: 'mixed: Go a + ours b (`lan`), c alternately Go / ours',
      'ts-fast': 'ours, `fast` preset',
    }[impl];
    say(`| ${label} ${stats(xs)} ${fp} |`);
  }
  say('');
}

/* ------------------------------------------------------------------ sim (fast preset) */

async function sim(): Promise<void> {
  say('### Fast preset in simulation (ManualClock, 1 % packet loss, delay 0–2 ms)');
  say('');
  const runs = quick ? 5 : 40;
  for (const size of [3, 10]) {
    const xs: number[] = [];
    let fp = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const s = new Simulation({ size, seed: seed * 7 + size, preset: 'fast', loss: 0.01 });
      await s.joinAll();
      await s.runFor(2_000 + (seed % 10) * 137, 5);
      const victim = size - 1;
      const t0 = s.clock.now();
      await s.kill(victim);
      await s.runFor(6_000, 5);
      for (let i = 0; i < size - 1; i++) {
        const e = s.events.find((x) => x.observer === `n${i}` && x.type === 'dead' && x.member.name === `n${victim}`);
        if (e) xs.push(e.atMs - t0);
      }
      fp += s.events.filter((x) => (x.type === 'dead' || x.type === 'leave') && x.member.name !== `n${victim}`).length;
    }
    say(`Detection, ${size} nodes, ${runs} runs (kill → each survivor's dead event):`);
    say('');
    say('| observations | min s | median s | mean s | p90 s | max s |');
    say('|---|---|---|---|---|---|');
    say(stats(xs));
    say('');
    say(`False dead/leave events about live nodes in those runs: ${fp}`);
    say('');
  }
  const long = quick ? 60_000 : 600_000;
  for (const size of [10, 50]) {
    const s = new Simulation({ size, seed: 1000 + size, preset: 'fast', loss: 0.01 });
    await s.joinAll();
    await s.runFor(long, 10);
    const fp = s.events.filter((x) => x.type === 'dead' || x.type === 'leave').length;
    const refutes = s.live().reduce((n, i) => n + s.node(i).metrics().refutations, 0);
    say(`No-failure run, fast preset, ${size} nodes, ${long / 1000} simulated s at 1 % loss: false dead events ${fp}, refutations ${refutes}, converged ${s.converged()}.`);
    say('');
  }
}

/* ------------------------------------------------------------------ load */

async function load(): Promise<void> {
  say('### CPU and traffic per node (simulated members, steady state, no failures)');
  say('');
  say('CPU = process CPU time spent in the whole simulation (all nodes, codecs, encryption off) divided by nodes and simulated seconds; it is what one node costs. Bytes = datagram + stream bytes sent per node.');
  say('');
  say('| preset | members | simulated s | CPU ms per node per s | CPU % of a core per node | bytes/s sent per node | packets/s sent per node |');
  say('|---|---|---|---|---|---|---|');
  for (const presetName of ['lan', 'fast'] as const) {
    for (const size of [10, 50, 200]) {
      const s = new Simulation({ size, seed: size, preset: presetName });
      await s.joinAll();
      await s.runFor(5_000, 20);
      const simMs = quick ? 10_000 : size >= 200 ? 30_000 : 60_000;
      const before = s.live().map((i) => ({ ...s.net.counters(s.ip(i))! }));
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      await s.runFor(simMs, 20);
      const cpu = process.cpuUsage(c0);
      const wall = performance.now() - w0;
      let bytes = 0;
      let packets = 0;
      s.live().forEach((i, k) => {
        const c = s.net.counters(s.ip(i))!;
        bytes += c.bytesSent - before[k]!.bytesSent;
        packets += c.packetsSent - before[k]!.packetsSent;
      });
      const perNodePerS = (cpu.user + cpu.system) / 1000 / size / (simMs / 1000);
      say(
        `| ${presetName} | ${size} | ${simMs / 1000} | ${perNodePerS.toFixed(3)} | ${(perNodePerS / 10).toFixed(3)} | ${Math.round(bytes / size / (simMs / 1000))} | ${(packets / size / (simMs / 1000)).toFixed(1)} |`,
      );
      console.error(`  (${presetName} ${size}: wall ${wall.toFixed(0)} ms, converged ${s.converged()})`);
    }
  }
  say('');
}

const t0 = Date.now();
say(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
say('');
if (all || args.has('--sim')) await sim();
if (all || args.has('--load')) await load();
if (all || args.has('--detect')) await detect();
say(`Total bench time ${((Date.now() - t0) / 1000).toFixed(0)} s, load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(out.join('\n'));
