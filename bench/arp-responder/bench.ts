/**
 * arp-responder benchmark (root; network namespaces with documentation addresses only).
 *
 * Topology: namespace `r` (eth0 02:00:00:00:01:01; the kernel owns 198.51.100.11 and
 * 2001:db8::11; our responder answers for 198.51.100.100 and 2001:db8::100) ── veth ── namespace
 * `c` (eth0 02:00:00:00:01:0c, 198.51.100.2, 2001:db8::2).
 *
 * 1. Reply latency, ours vs the kernel on the same interface, probes interleaved:
 *    - `arping -c 1` × N each: arping's own figure, and request→reply on the wire (tcpdump in c);
 *    - `ndisc6 -1 -r 1` × N each: NS→NA on the wire (ndisc6 prints no time);
 *    - our raw-socket client (in-process RTT) × N each, ARP and NDP.
 * 2. Bounded flood of ARP requests (and NS) from the raw-socket client: replies/s and the
 *    responder's CPU per 1,000 requests (process.cpuUsage delta in the responder).
 * 3. In-process cost per frame (Announcer.receive, no sockets), see micro.ts.
 * Usage: node bench/arp-responder/run.mjs [--probes 1000] [--flood 100000] [--nice -10] [--rt 50]
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ArpLab, bundleArpFixtures, labSkipReason } from '@metallb-ts/test-lab';
import { micro } from './micro.js';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PROBES = Math.min(arg('probes', 1000), 5000);
const FLOOD = Math.min(arg('flood', 100_000), 1_000_000);
/** Run the responder under `nice -n NICE` (0 = as is); shows how much is scheduling. */
const NICE = arg('nice', 0);
/** Run the responder with SCHED_FIFO at this priority (`chrt -f N`; 0 = no). */
const RT = arg('rt', 0);
const OURS4 = '198.51.100.100';
const KERN4 = '198.51.100.11';
const OURS6 = '2001:db8::100';
const KERN6 = '2001:db8::11';

const skip = labSkipReason(['ip', 'arping', 'ndisc6', 'tcpdump']);
if (skip) {
  console.error(`arp-responder bench: ${skip}`);
  process.exit(1);
}

interface Summary {
  n: number;
  median: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}
function summary(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, median: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1), min: s[0] ?? NaN, max: s.at(-1) ?? NaN };
}
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

/** Pairs request→reply timestamps (ms) per target from a nanosecond pcap taken in `c`. */
function wireLatencies(pcap: string): Map<string, number[]> {
  const d = readFileSync(pcap);
  const nano = d.readUInt32LE(0) === 0xa1b23c4d;
  const open = new Map<string, number>();
  const out = new Map<string, number[]>();
  const ip4 = (o: number) => `${d[o]}.${d[o + 1]}.${d[o + 2]}.${d[o + 3]}`;
  const ip6 = (o: number) => {
    const g: string[] = [];
    for (let i = 0; i < 16; i += 2) g.push(d.readUInt16BE(o + i).toString(16));
    return g.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  };
  for (let off = 24; off + 16 <= d.length; ) {
    const sec = d.readUInt32LE(off);
    const frac = d.readUInt32LE(off + 4);
    const len = d.readUInt32LE(off + 8);
    const p = off + 16;
    off = p + len;
    const t = sec * 1000 + (nano ? frac / 1e6 : frac / 1e3);
    const type = d.readUInt16BE(p + 12);
    let key: string | undefined;
    let isReq = false;
    if (type === 0x0806) {
      const op = d.readUInt16BE(p + 20);
      isReq = op === 1;
      key = `arp ${isReq ? ip4(p + 38) : ip4(p + 28)}`;
    } else if (type === 0x86dd && d[p + 20] === 58 && (d[p + 54] === 135 || d[p + 54] === 136)) {
      isReq = d[p + 54] === 135;
      key = `ndp ${ip6(p + 62)}`;
    }
    if (!key) continue;
    if (isReq) open.set(key, t);
    else if (open.has(key)) {
      const list = out.get(key) ?? [];
      list.push(t - open.get(key)!);
      out.set(key, list);
      open.delete(key);
    }
  }
  return out;
}

const lab = new ArpLab('arpbench');
const { script, client, dir } = await bundleArpFixtures(process.env['MTSARP_PKG_ROOT']);
const startedAt = new Date().toISOString();
const load0 = loadavg();
try {
  const r = lab.ns('r');
  const c = lab.ns('c');
  lab.wire(r, 'eth0', '02:00:00:00:01:01', ['198.51.100.11/24', '2001:db8::11/64'], c, 'eth0', '02:00:00:00:01:0c', ['198.51.100.2/24', '2001:db8::2/64']);
  const resp = lab.responder(r, script, { announce: [{ key: 'bench', ip: OURS4 }, { key: 'bench', ip: OURS6 }] }, [
    ...(NICE ? ['nice', '-n', String(NICE)] : []),
    ...(RT ? ['chrt', '-f', String(RT)] : []),
  ]);
  await resp.waitFor((e) => e.event === 'ready');
  await new Promise((res) => setTimeout(res, 6000)); // let the gratuitous rounds finish

  // --- 1. latency -------------------------------------------------------------------------------
  const pcap = join(dir, 'latency.pcap');
  const td = spawn('ip', ['netns', 'exec', c, 'tcpdump', '-i', 'eth0', '-U', '-n', '--time-stamp-precision=nano', '-w', pcap, 'arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))'], { stdio: 'ignore' });
  await new Promise((res) => setTimeout(res, 1000));
  const arpingMs: Record<string, number[]> = { [OURS4]: [], [KERN4]: [] };
  const phaseDeadline = Date.now() + 240_000;
  for (let i = 0; i < PROBES && Date.now() < phaseDeadline; i++) {
    for (const t of i % 2 ? [OURS4, KERN4] : [KERN4, OURS4]) {
      const o = lab.run(c, ['arping', '-c', '1', '-w', '1', '-I', 'eth0', t], 5000).out;
      const m = /reply from \S+ \[[0-9A-Fa-f:]+\]\s+([\d.]+)ms/.exec(o);
      if (m) arpingMs[t]!.push(Number(m[1]));
    }
  }
  for (let i = 0; i < PROBES && Date.now() < phaseDeadline + 240_000; i++) {
    for (const t of i % 2 ? [OURS6, KERN6] : [KERN6, OURS6]) lab.run(c, ['ndisc6', '-1', '-r', '1', '-w', '200', t, 'eth0'], 5000);
  }
  await new Promise((res) => setTimeout(res, 500));
  td.kill('SIGINT');
  await new Promise((res) => td.on('exit', res));
  const wire = wireLatencies(pcap);

  const clientRtt: Record<string, number[]> = {};
  for (const [fam, t, sender] of [[4, OURS4, '198.51.100.2'], [4, KERN4, '198.51.100.2'], [6, OURS6, '2001:db8::2'], [6, KERN6, '2001:db8::2']] as const) {
    const res = await lab.client(c, client, { ifName: 'eth0', family: fam, target: t, sender, mode: 'probe', count: PROBES, timeoutMs: 200, gapMs: 1, limitMs: 60_000 });
    clientRtt[t] = res.rttsUs.map((u) => u / 1000);
  }

  // --- 2. flood ---------------------------------------------------------------------------------
  const floods: { what: string; sent: number; received: number; seconds: number; cpuMsPer1k?: number }[] = [];
  for (const [what, fam, t, sender, count] of [
    ['ARP, ours', 4, OURS4, '198.51.100.2', FLOOD],
    ['ARP, kernel', 4, KERN4, '198.51.100.2', FLOOD],
    ['NDP, ours', 6, OURS6, '2001:db8::2', FLOOD / 2],
    ['NDP, kernel', 6, KERN6, '2001:db8::2', FLOOD / 2],
  ] as const) {
    const before = await resp.command({ cmd: 'stats' });
    const res = await lab.client(c, client, { ifName: 'eth0', family: fam, target: t, sender, mode: 'flood', count, burst: 64, timeoutMs: 1000, limitMs: 20_000 }, 60_000);
    const after = await resp.command({ cmd: 'stats' });
    const cpu = (e: typeof before) => {
      const u = e['cpu'] as { user: number; system: number };
      return u.user + u.system;
    };
    const answered = (after['stats'] as { responses: number }).responses - (before['stats'] as { responses: number }).responses;
    floods.push({
      what,
      sent: res.sent,
      received: res.received,
      seconds: res.elapsedMs / 1000,
      ...(what.includes('ours') && answered > 0 ? { cpuMsPer1k: ((cpu(after) - cpu(before)) / 1000 / answered) * 1000 } : {}),
    });
  }
  await resp.stop();

  // --- report -----------------------------------------------------------------------------------
  const load1 = loadavg();
  const row = (label: string, ours: number[], kern: number[]) => {
    const o = summary(ours);
    const k = summary(kern);
    return `| ${label} | ${o.n} / ${k.n} | ${f3(o.median)} | ${f3(k.median)} | ${f3(o.median / k.median)} | ${f3(o.p99)} | ${f3(k.p99)} | ${f3(o.p99 / k.p99)} |`;
  };
  const lines = [
    `Run ${startedAt}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; Node ${process.version}; responder nice ${NICE}${RT ? `, SCHED_FIFO ${RT}` : ''}; load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')} (shared machine).`,
    '',
    '### Reply latency, ours vs kernel-owned address on the same interface (ms)',
    '',
    '| measured by | probes ours / kernel | median ours | median kernel | ratio | p99 ours | p99 kernel | p99 ratio |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    row('`arping -c 1` (its own figure)', arpingMs[OURS4]!, arpingMs[KERN4]!),
    row('ARP on the wire (tcpdump in client, arping runs)', wire.get(`arp ${OURS4}`) ?? [], wire.get(`arp ${KERN4}`) ?? []),
    row('NDP on the wire (tcpdump in client, `ndisc6` runs)', wire.get(`ndp ${OURS6}`) ?? [], wire.get(`ndp ${KERN6}`) ?? []),
    row('ARP, raw-socket client RTT', clientRtt[OURS4]!, clientRtt[KERN4]!),
    row('NDP, raw-socket client RTT', clientRtt[OURS6]!, clientRtt[KERN6]!),
    '',
    '### Bounded flood (raw-socket client, bursts of 64 per event-loop turn, ≤ 20 s)',
    '',
    '| flood | requests sent | replies received | seconds | replies/s | responder CPU ms per 1,000 requests |',
    '| --- | --- | --- | --- | --- | --- |',
    ...floods.map((f) => `| ${f.what} | ${f.sent} | ${f.received} | ${f.seconds.toFixed(2)} | ${Math.round(f.received / f.seconds)} | ${f.cpuMsPer1k === undefined ? '—' : f.cpuMsPer1k.toFixed(1)} |`),
    '',
    '### In-process cost per frame (Announcer.receive: decode, decide, encode; no sockets)',
    '',
    ...micro(100_000),
  ];
  console.log(lines.join('\n'));
} finally {
  await lab.cleanup();
  if (process.env['MTSARP_KEEP']) console.error(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
