/**
 * bgp-speaker benchmark (run with `node bench/bgp-speaker/run.mjs`, as root, gobgpd and bird
 * installed). Measures, against one gobgpd on loopback:
 *  1. Established → all N host routes present in gobgpd's RIB, ours vs BIRD advertising the
 *     same N routes to the same gobgpd (N = 10,000 and 100,000), and the withdrawal of all;
 *  2. RSS of a speaker process holding 100,000 routes to 3 peers (three BIRD sessions).
 * Routes are IPv6 /128s in 2001:db8::/32 (the only documentation range with room for 100,000
 * host routes; 198.51.100.0/24 and 203.0.113.0/24 hold 512 /32s). Every wait is bounded.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Cidr, IPAddress } from '@metallb-ts/netaddr';
import { createNodeSession, type BgpSession, type Route } from '@metallb-ts/bgp-speaker';
import { Bird, Gobgp, removeDir, run, startBird, startGobgp, tempDir, waitFor, waitListening } from '@metallb-ts/test-lab';

const GOBGP = '127.0.30.220';
const GOBGP_PORT = 11920;
const OURS = '127.0.30.221';
const BIRD = '127.0.30.222';
const RSS_PEERS = ['127.0.30.223', '127.0.30.224', '127.0.30.225'];
const RSS_BIRD = '127.0.30.226';
const RSS_BIRD_PORT = 11926;
const TIMEOUT_MS = 180_000;

function routes(n: number, block: number, nextHop: string): Route[] {
  const base = (0x20010db8n << 96n) | (BigInt(block) << 64n);
  const nh = IPAddress.parse(nextHop);
  return Array.from({ length: n }, (_, i) => ({ prefix: Cidr.of(IPAddress.fromBigInt('IPv6', base + BigInt(i)), 128), nextHop: nh }));
}

async function accepted(g: Gobgp, neighbor: string): Promise<{ up: boolean; n: number }> {
  let j: any;
  try {
    j = await g.json('neighbor', neighbor);
  } catch {
    return { up: false, n: -1 }; // a busy gobgpd can answer empty; poll again
  }
  const fam = (j.afi_safis ?? []).find((a: any) => a.state?.family?.afi === 2);
  return { up: j.state?.session_state === 6, n: fam?.state?.accepted ?? 0 };
}

/** Polls gobgpd until `pred`; returns the performance.now() of the first matching poll. */
async function until(g: Gobgp, neighbor: string, what: string, pred: (s: { up: boolean; n: number }) => boolean): Promise<number> {
  const end = performance.now() + TIMEOUT_MS;
  for (;;) {
    const s = await accepted(g, neighbor);
    if (pred(s)) return performance.now();
    if (performance.now() > end) throw new Error(`timeout waiting for ${what} (${JSON.stringify(s)})`);
    // 50 ms between polls: each poll makes gobgpd walk its neighbor state, and polling much
    // faster measurably slows its UPDATE processing (for both speakers alike).
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Established → all routes, measured from our 'established' event; withdrawal from the setRoutes([]) call. */
async function ours(g: Gobgp, n: number): Promise<{ advertise: number; withdraw: number; queued: number }> {
  const s = createNodeSession({ peerAddress: GOBGP, peerPort: GOBGP_PORT, localAddress: OURS, localAsn: 64513, peerAsn: 64512, routerId: OURS, holdTime: 90 });
  s.setRoutes(routes(n, 1, '2001:db8::221'));
  let estEvent = 0;
  s.once('established', () => (estEvent = performance.now()));
  // End-of-RIB goes out right after the last UPDATE: when it is queued, our side is done.
  let eor = 0;
  s.on('sent', (e) => {
    if (e.type === 'end-of-rib' && !eor) eor = performance.now();
  });
  s.start();
  const all = await until(g, OURS, `ours ${n} routes`, (x) => x.n === n);
  const w0 = performance.now();
  s.setRoutes([]);
  const w1 = await until(g, OURS, 'ours withdrawn', (x) => x.n === 0);
  await s.stop();
  return { advertise: all - estEvent, withdraw: w1 - w0, queued: eor - estEvent };
}

async function bird(g: Gobgp, n: number): Promise<{ advertise: number; withdraw: number }> {
  const dir = tempDir('bench-bird');
  const lines = [`router id ${BIRD};`, 'log stderr all;', 'debug protocols { states };', 'protocol device { }', 'protocol static s6 {', '  ipv6;'];
  for (const r of routes(n, 2, '2001:db8::222')) lines.push(`  route ${r.prefix} blackhole;`);
  lines.push('}', 'protocol bgp gobgp {', `  local ${BIRD} as 64514;`, `  neighbor ${GOBGP} port ${GOBGP_PORT} as 64512;`, '  multihop;', '  hold time 90;', '  connect retry time 1;', '  ipv4 { import none; export none; };', '  ipv6 { import none; export all; next hop address 2001:db8::222; };', '}');
  writeFileSync(join(dir, 'bird.conf'), lines.join('\n') + '\n');
  const child = spawn('bird', ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  // BIRD logs "gobgp: State changed to up" the moment its session is Established.
  let est = 0;
  let buf = '';
  child.stderr.on('data', (d) => {
    buf += String(d);
    if (!est && /gobgp: State changed to up/.test(buf)) est = performance.now();
  });
  const d = new Bird('bird', dir, child);
  try {
    const all = await until(g, BIRD, `bird ${n} routes`, (x) => x.n === n);
    if (!est) throw new Error('BIRD never logged its session coming up');
    const w0 = performance.now(); // before birdc starts, so its start-up counts against BIRD
    await run('birdc', ['-s', join(dir, 'bird.ctl'), 'disable', 's6']);
    const w1 = await until(g, BIRD, 'bird withdrawn', (x) => x.n === 0);
    return { advertise: all - est, withdraw: w1 - w0 };
  } finally {
    await d.stop();
    removeDir(dir);
  }
}

/** Child mode: hold 100,000 routes to 3 BIRD peers, report RSS once every peer has them all. */
async function rssChild(): Promise<void> {
  const ctl = process.argv[3]!;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const rs = routes(100_000, 3, '2001:db8::223');
  const sessions: BgpSession[] = RSS_PEERS.map((a) => {
    const s = createNodeSession({ peerAddress: RSS_BIRD, peerPort: RSS_BIRD_PORT, localAddress: a, localAsn: 64515, peerAsn: 64516, routerId: a });
    s.setRoutes(rs);
    s.start();
    return s;
  });
  for (let i = 0; i < RSS_PEERS.length; i++) {
    await waitFor(`peer ${i} has 100k`, async () => /100000 imported/.test(await run('birdc', ['-s', ctl, 'show', 'protocols', 'all', `n${i}`])), TIMEOUT_MS, 250);
  }
  gc?.();
  const after = process.memoryUsage();
  process.stdout.write(JSON.stringify({ rssBefore: before.rss, rssAfter: after.rss, heapUsedAfter: after.heapUsed, advertised: sessions.map((s) => s.status().advertisedPrefixes) }) + '\n');
  await Promise.all(sessions.map((s) => s.stop()));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--rss-child') return rssChild();
  const out: Record<string, unknown> = { load: (await run('cat', ['/proc/loadavg'])).trim(), node: process.version };
  const spec = { asn: 64512, routerId: GOBGP, address: GOBGP, port: GOBGP_PORT, neighbors: [OURS, BIRD].map((a, i) => ({ address: a, peerAs: [64513, 64514][i]!, holdTime: 90 })) };
  /** A fresh gobgpd per measurement, so neither speaker inherits the other's RIB history or Go heap. */
  const withGobgp = async <T>(fn: (g: Gobgp) => Promise<T>): Promise<T> => {
    const dir = tempDir('bench-gobgp');
    const g = await startGobgp(spec, dir);
    try {
      await waitListening(GOBGP, GOBGP_PORT);
      return await fn(g);
    } finally {
      await g.stop();
      removeDir(dir);
    }
  };
  out['pollMs'] = await withGobgp(async (g) => {
    const p0 = performance.now();
    for (let i = 0; i < 5; i++) await accepted(g, OURS);
    return (performance.now() - p0) / 5;
  });
  // Runs alternate which speaker goes first; medians of REPEATS runs are reported (shared machine).
  const REPEATS: Record<number, number> = { 10_000: 3, 100_000: 3 };
  for (const n of process.argv.includes('--rss-only') ? [] : [10_000, 100_000]) {
    const os: { advertise: number; withdraw: number; queued: number }[] = [];
    const bs: { advertise: number; withdraw: number }[] = [];
    for (let i = 0; i < REPEATS[n]!; i++) {
      if (i % 2 === 0) {
        os.push(await withGobgp((g) => ours(g, n)));
        bs.push(await withGobgp((g) => bird(g, n)));
      } else {
        bs.push(await withGobgp((g) => bird(g, n)));
        os.push(await withGobgp((g) => ours(g, n)));
      }
      process.stderr.write(`n=${n} run ${i + 1}: ours ${JSON.stringify(os.at(-1))} bird ${JSON.stringify(bs.at(-1))}\n`);
    }
    const o = { advertise: median(os.map((x) => x.advertise)), withdraw: median(os.map((x) => x.withdraw)), queued: median(os.map((x) => x.queued)) };
    const b = { advertise: median(bs.map((x) => x.advertise)), withdraw: median(bs.map((x) => x.withdraw)) };
    out[`n=${n}`] = { runs: REPEATS[n], ours: o, bird: b, ratio: o.advertise / b.advertise, withdrawRatio: o.withdraw / b.withdraw, all: { ours: os, bird: bs } };
  }
  const b = await startBird({ asn: 64516, routerId: RSS_BIRD, address: RSS_BIRD, port: RSS_BIRD_PORT, neighbors: RSS_PEERS.map((a) => ({ address: a, peerAs: 64515, holdTime: 90 })) });
  try {
    const child = spawn(process.execPath, ['--expose-gc', process.argv[1]!, '--rss-child', b.ctl], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += String(d)));
    await waitFor('rss child', () => child.exitCode !== null, TIMEOUT_MS, 200);
    out['rss100kTo3Peers'] = JSON.parse(text.trim().split('\n').at(-1)!);
  } finally {
    await b.stop();
    removeDir(b.dir);
  }
  out['loadAfter'] = (await run('cat', ['/proc/loadavg'])).trim();
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

await main();
process.exit(0);
