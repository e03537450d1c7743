/**
 * Speaker footprint (issue 20): RSS of each speaker of a 3-node lab (apps/lab, used as a
 * consumer through its CLI) while N LoadBalancer Services are announced in Layer 2 and in BGP.
 *
 * Steps: `lab up --prefix fp --nodes 3 --detach`; a pool of IPv6 addresses (2001:db8:5::/116,
 * documentation space, inside the lab's namespaces only), an L2Advertisement and a
 * BGPAdvertisement of it, a BGPPeer to the lab's router (2001:db8::2, AS 64501); one web Pod (on
 * n1) that every Service selects, so every Service has a ready endpoint; then N IPv6 Services.
 * It waits (bounded) until every Service has its IP, N ServiceL2Status objects exist (one
 * announcing node per Service) and the router holds N BGP routes, idles, and reads each
 * speaker's RSS, peak RSS and CPU from /proc. `lab down` at the end, also on failure.
 *
 * A/B of the speaker's V8 options (`--ab R`, R ≥ 1): K more IPv4 Services (`--v4 K`, default 8,
 * pool 198.51.100.200/29, L2 only) give the client addresses to `arping`. Then R rounds of
 * "off, on" (interleaved): the bench stops the three speakers (SIGTERM) and starts them again with
 * the same command line and environment, `METALLB_TS_OPTIMIZE_FOR_SIZE=false` for "off" and unset
 * for "on" (the bundle's default, apps/speaker/src/v8-options.ts); it waits (bounded) until the
 * speakers' /metrics show every Service announced in L2 and N prefixes on each BGP session, reads
 * RSS (and peak) there and `--idle` s later, the CPU over `--cpu` s, then the ARP reply latency
 * from the client namespace: `--arp C` (default 200) rounds of `arping -c 1 -w 1` to each IPv4
 * Service address and to n1's own address (answered by its kernel: the control), reply times per
 * answering node, median / p99 / max (this iputils arping takes whole seconds for `-i`, so each
 * probe is its own arping). `--profile nI`: one more "on" round in which node nI's speaker also
 * runs with `--cpu-prof` (profile written to `--profile-dir`, default /tmp/speaker-prof, when the
 * bench stops it); the bench prints the CPU window (monotonic µs, the profile's clock) and the
 * functions with the most self time in it, and the heaviest stacks. `--threads`: each speaker's
 * CPU per thread (main, V8 workers, libuv) over `--cpu` s after the idle CPU. `--inspect nI`: a
 * profile of the lab-started speaker of nI (no restart, its status writes long done) over `--cpu`
 * s through its inspector (SIGUSR1, 127.0.0.1:9229 inside the node's namespace). The bench
 * prints how many ServiceBGPStatus objects exist when the L2 ones are all written; `--bgp-status`
 * waits (bounded, 30 min) until all 3 N exist before idling, and prints the CPU meanwhile
 * (until then the speakers are still writing them: that is not idle CPU). `--settle S`: in the
 * A/B rounds, S more seconds before the CPU window (a restarted speaker re-reads its status
 * objects first).
 *
 * Run (root; repository root; the lab and the speaker built: `npx nx run lab:build`):
 *   node bench/run.mjs speaker/footprint.ts [--services 1000] [--idle 30] [--cpu 30] [--prefix fp] [--repo DIR]
 *     [--ab 2] [--v4 8] [--arp 200] [--profile n2] [--profile-dir DIR] [--threads] [--inspect n2] [--bgp-status] [--settle 120]
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { KubeClient, loadClientConfig, Resources, type KubeObject } from '@metallb-ts/k8s-watch';

const repo = process.env.BENCH_REPO ?? process.cwd();
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const N = Number(arg('--services', '1000'));
const idleS = Number(arg('--idle', '30'));
const cpuS = Number(arg('--cpu', '30'));
const prefix = arg('--prefix', 'fp');
const abRounds = Number(arg('--ab', '0'));
const V4 = Number(arg('--v4', abRounds > 0 ? '8' : '0'));
const arpCount = Number(arg('--arp', '200'));
const profileNode = arg('--profile', '');
const profileDir = arg('--profile-dir', '/tmp/speaker-prof');
/** `--threads`: after the idle CPU, each speaker's CPU per thread over `--cpu` s (main thread, V8 workers, libuv). */
const threads = process.argv.includes('--threads');
/** `--inspect nI`: then profile node nI's lab-started speaker for `--cpu` s through its inspector (SIGUSR1), no restart. */
const inspectNode = arg('--inspect', '');
/** `--bgp-status`: before idling, also wait (bounded) until every speaker wrote its N ServiceBGPStatus objects (3 N in all). */
const waitBgpStatus = process.argv.includes('--bgp-status');
/** `--settle S`: in an A/B round, S more seconds between the RSS after `--idle` and the CPU window (a restarted speaker first re-reads its ~1,300 status objects). */
const settleS = Number(arg('--settle', '0'));
if (!Number.isFinite(settleS) || settleS < 0 || settleS > 1800) throw new Error('--settle: 0..1800 s');
if (!Number.isInteger(N) || N < 1 || N > 4000) throw new Error('--services: 1..4000 (the pool is a /116)');
if (!Number.isInteger(abRounds) || abRounds < 0 || abRounds > 10) throw new Error('--ab: 0..10 rounds');
if (!Number.isInteger(V4) || V4 < 0 || V4 > 8) throw new Error('--v4: 0..8 (the pool is 198.51.100.200/29)');
if (!Number.isInteger(arpCount) || arpCount < 1 || arpCount > 2000) throw new Error('--arp: 1..2000 probes per address');
if (process.getuid?.() !== 0) {
  process.stderr.write('the lab needs root\n');
  process.exit(2);
}
/** `--repo DIR`: run the lab (and so the speaker and controller bundles) of another tree, e.g. a copy with another speaker bundle. */
const labBin = join(arg('--repo', repo), 'dist', 'apps', 'lab', 'main.mjs');
const lab = (...args: string[]) => spawnSync(process.execPath, [labBin, ...args, '--prefix', prefix], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = (b: number) => (b / 1048576).toFixed(1);
const metallb = (plural: string, version = 'v1beta1') => ({ group: 'metallb.io', version, plural });

/** RSS, peak, and the RSS split: anonymous (heap, stacks, malloc) and file-backed (the node binary's pages, shared with every Node process on the host). */
function status(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const t = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(t)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}
function ticks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await ok()) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(1000);
  }
}

/** The three speakers (role `speaker-nI`, PID, namespace); `round` replaces the PIDs in place. */
let speakers: { role: string; pid: number; ns?: string }[] = [];
/** Speakers this bench started (`round`), stopped at the end. */
const ours = new Map<string, ChildProcess>();
const loadText = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** SIGTERM, then SIGKILL after 20 s; resolves when /proc/PID is gone. */
async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const t0 = performance.now();
  for (;;) {
    try {
      // a zombie child of ours is gone too (state Z)
      if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return;
    } catch {
      return;
    }
    if (performance.now() - t0 > 20_000) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await sleep(100);
  }
}

async function stopOurs(): Promise<void> {
  for (const [, c] of ours) if (c.pid && c.exitCode === null) await stopPid(c.pid);
  ours.clear();
}

/** One speaker's /metrics, read from inside its node's namespace. */
function metricsOf(ns: string): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '3', 'http://127.0.0.1:7472/metrics'], { encoding: 'utf8', timeout: 10_000 });
  return r.stdout ?? '';
}
/** Layer 2 Services this speaker announces, and the fewest prefixes on any of its BGP sessions. */
function announcedOf(text: string): { l2: number; bgp: number } {
  const lines = text.split('\n');
  const l2 = lines.filter((l) => l.startsWith('metallb_speaker_announced{') && l.includes('protocol="layer2"') && / 1$/.test(l)).length;
  const bgp = lines.filter((l) => l.startsWith('metallb_bgp_announced_prefixes_total{')).map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  return { l2, bgp: bgp.length ? Math.min(...bgp) : 0 };
}

/** n1's own address: answered by its kernel, the control of the ARP latency. */
const KERNEL_REF = '198.51.100.11';
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

/**
 * `arping -c 1 -w 1` from the client namespace, C times in turn to each IPv4 Service address and
 * to n1's own address (198.51.100.11, answered by n1's kernel: the control for client-side and
 * scheduling noise). This iputils arping takes whole seconds for `-i`, so each probe is its own
 * `arping -c 1`; all of them run from one shell loop in the namespace. Reply times (ms, arping's
 * own figure) per answering node.
 */
function arpLatency(when: string): void {
  const targets = [...Array.from({ length: V4 }, (_, i) => `198.51.100.${200 + i}`), KERNEL_REF];
  const l0 = loadText();
  const script = `for i in $(seq ${arpCount}); do for ip in ${targets.join(' ')}; do arping -c 1 -w 1 -I eth0 $ip; done; done`;
  const r = spawnSync('ip', ['netns', 'exec', `${prefix}-client`, 'sh', '-c', script], { encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20 });
  const byNode = new Map<string, number[]>();
  let target = '';
  let replies = 0;
  for (const line of (r.stdout ?? '').split('\n')) {
    const h = /^ARPING (\S+)/.exec(line);
    if (h) target = h[1]!;
    const m = /reply from \S+ \[([0-9A-Fa-f:]+)\]\s+([\d.]+)ms/.exec(line);
    if (!m) continue;
    replies++;
    const last = parseInt(m[1]!.split(':').pop()!, 16);
    const who = target === KERNEL_REF ? 'kernel (n1)' : last >= 11 && last < 20 ? `speaker n${last - 10}` : m[1]!;
    const t = byNode.get(who) ?? [];
    t.push(Number(m[2]));
    byNode.set(who, t);
  }
  const fmt = (t: number[]) => {
    const s = [...t].sort((a, b) => a - b);
    return `${s.length} replies, median ${quantile(s, 0.5).toFixed(3)} / p99 ${quantile(s, 0.99).toFixed(3)} / max ${s[s.length - 1]!.toFixed(3)} ms`;
  };
  const ours = [...byNode].filter(([k]) => k.startsWith('speaker')).flatMap(([, t]) => t);
  console.log(
    `ARP reply latency (${when}; ${arpCount} × ${targets.length} probes, ${replies} replies; load ${l0} → ${loadText()}): speakers ${ours.length ? fmt(ours) : 'no replies'}; ` +
      [...byNode].sort().map(([k, t]) => `${k} ${fmt(t)}`).join('; '),
  );
  if (!replies) console.log(`arping: ${`${r.stdout ?? ''} ${r.stderr ?? ''}`.trim().split('\n').slice(0, 3).join(' | ')}`);
}

/**
 * One A/B round: restart the three speakers with the optimize-for-size flag `mode` (same command
 * line and environment as the lab's, plus METALLB_TS_OPTIMIZE_FOR_SIZE=false for "off"), wait until
 * they announce everything, then RSS, idle CPU and ARP latency.
 */
async function round(mode: 'on' | 'off', r: number, profile = ''): Promise<void> {
  const l0 = loadText();
  const launch = speakers.map((p) => ({
    p,
    argv: readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== ''),
    env: Object.fromEntries(readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').filter((e) => e.includes('=')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
  }));
  for (const { p } of launch) await stopPid(p.pid);
  for (const { p, argv, env } of launch) {
    delete env.METALLB_TS_OPTIMIZE_FOR_SIZE;
    if (mode === 'off') env.METALLB_TS_OPTIMIZE_FOR_SIZE = 'false';
    const node = p.role.slice('speaker-'.length);
    const prof = node === profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    if (prof.length) mkdirSync(profileDir, { recursive: true });
    const nodeArgv = argv[0]!.endsWith('node') || argv[0] === process.execPath ? [argv[0]!, ...prof, ...argv.slice(1)] : argv;
    const fd = openSync(`/tmp/metallb-ts-lab-${prefix}/logs/${p.role}.log`, 'a');
    const c = spawn('ip', ['netns', 'exec', p.ns!, ...nodeArgv], { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    if (!c.pid) throw new Error(`could not restart ${p.role}`);
    ours.set(p.role, c);
    p.pid = c.pid;
  }
  const t0 = performance.now();
  await until(`round ${r + 1} ${mode}: every Service announced again`, () => {
    const a = speakers.map((p) => announcedOf(metricsOf(p.ns!)));
    return a.reduce((n, x) => n + x.l2, 0) >= N + V4 && a.every((x) => x.bgp >= N);
  }, 900_000);
  const ready = (performance.now() - t0) / 1000;
  const rss = () => speakers.map((p) => status(p.pid));
  const at = rss();
  await sleep(idleS * 1000);
  const later = rss();
  await sleep(settleS * 1000);
  const c0 = speakers.map((p) => ticks(p.pid));
  const w0 = performance.now();
  const us0 = nowUs();
  await sleep(cpuS * 1000);
  const secs = (performance.now() - w0) / 1000;
  const cpu = speakers.map((p, i) => (((ticks(p.pid) - c0[i]!) / 100 / secs) * 100).toFixed(2));
  const us1 = nowUs();
  const roles = speakers.map((p) => p.role.slice('speaker-'.length)).join(' / ');
  console.log(
    `round ${r + 1} optimize-for-size ${mode} (${roles}): announced ${ready.toFixed(0)} s after the restart; RSS then ${at.map((s) => MiB(s.rss)).join(' / ')} MiB (peaks ${at.map((s) => MiB(s.hwm)).join(' / ')}); ` +
      `after ${idleS} s ${later.map((s) => MiB(s.rss)).join(' / ')} MiB (peaks ${later.map((s) => MiB(s.hwm)).join(' / ')}); idle CPU over ${cpuS} s${settleS ? ` (from ${idleS + settleS} s after)` : ''} ${cpu.join(' / ')} % of a core; load ${l0} → ${loadText()}`,
  );
  if (profile) console.log(`profile of speaker-${profile}: CPU window ${us0}..${us1} (monotonic µs)`);
  if (V4 > 0) arpLatency(`round ${r + 1} ${mode}`);
  if (profile) {
    const c = ours.get(`speaker-${profile}`);
    if (c?.pid) await stopPid(c.pid);
    await sleep(1000);
    const files = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort();
    if (files.length) topOfProfile(join(profileDir, files[files.length - 1]!), us0, us1);
  }
}

/** CPU ticks of each thread of `pid`, by thread name (`comm`: node, V8 DefaultWorke, libuv-worker, …). */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const key = tid === String(pid) ? 'main' : name;
      out.set(key, (out.get(key) ?? 0) + Number(f[11]) + Number(f[12]));
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** Each speaker's CPU per thread name over `--cpu` s. */
async function threadCpu(when: string): Promise<void> {
  const l0 = loadText();
  const t0 = speakers.map((p) => threadTicks(p.pid));
  const w0 = performance.now();
  await sleep(cpuS * 1000);
  const secs = (performance.now() - w0) / 1000;
  const parts = speakers.map((p, i) => {
    const t1 = threadTicks(p.pid);
    const rows = [...t1].map(([k, v]) => [k, ((v - (t0[i]!.get(k) ?? 0)) / 100 / secs) * 100] as const).filter(([, pct]) => pct > 0);
    return `${p.role}: ${rows.sort((a, b) => b[1] - a[1]).map(([k, pct]) => `${k} ${pct.toFixed(2)} %`).join(', ') || 'none'}`;
  });
  console.log(`CPU per thread over ${cpuS} s (${when}; load ${l0} → ${loadText()}): ${parts.join('; ')}`);
}

/** A CPU profile of a running speaker through its inspector: SIGUSR1 opens it on 127.0.0.1:9229 in the node's namespace; a helper there records `--cpu` s. */
async function inspectProfile(node: string): Promise<void> {
  const p = speakers.find((x) => x.role === `speaker-${node}`);
  if (!p?.ns) throw new Error(`--inspect: no speaker on ${node}`);
  mkdirSync(profileDir, { recursive: true });
  const helper = join(profileDir, 'inspect-profile.mjs');
  const out = join(profileDir, `inspect-${node}-${Date.now()}.cpuprofile`);
  writeFileSync(
    helper,
    `const [secs, out] = [Number(process.argv[2]), process.argv[3]];
const list = await (await fetch('http://127.0.0.1:9229/json/list')).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
let id = 0; const waiting = new Map();
ws.onmessage = (e) => { const m = JSON.parse(e.data); waiting.get(m.id)?.(m); };
const call = (method, params = {}) => new Promise((r) => { waiting.set(++id, r); ws.send(JSON.stringify({ id, method, params })); });
await new Promise((r) => (ws.onopen = r));
await call('Profiler.enable'); await call('Profiler.setSamplingInterval', { interval: 1000 });
const t0 = process.hrtime.bigint() / 1000n;
await call('Profiler.start');
await new Promise((r) => setTimeout(r, secs * 1000));
const res = await call('Profiler.stop');
const t1 = process.hrtime.bigint() / 1000n;
(await import('node:fs')).writeFileSync(out, JSON.stringify(res.result.profile));
console.log(t0 + ' ' + t1);
ws.close();
`,
  );
  process.kill(p.pid, 'SIGUSR1');
  await sleep(2000);
  const c0 = threadTicks(p.pid);
  const w0 = performance.now();
  const r = spawnSync('ip', ['netns', 'exec', p.ns, process.execPath, helper, String(cpuS), out], { encoding: 'utf8', timeout: (cpuS + 60) * 1000 });
  const secs = (performance.now() - w0) / 1000;
  const c1 = threadTicks(p.pid);
  const perThread = [...c1].map(([k, v]) => `${k} ${(((v - (c0.get(k) ?? 0)) / 100 / secs) * 100).toFixed(2)} %`).join(', ');
  const [us0, us1] = (r.stdout ?? '').trim().split(' ').map(Number);
  if (r.status !== 0 || !us0 || !us1) throw new Error(`inspector profile failed (${r.status}): ${r.stdout} ${r.stderr}`);
  console.log(`inspector profile of speaker-${node} (running since the lab started, no restart), CPU per thread meanwhile: ${perThread}`);
  topOfProfile(out, us0, us1);
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The functions with the most self time in [us0, us1] of a .cpuprofile, and the heaviest stacks. */
function topOfProfile(file: string, us0: number, us1: number): void {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let t = p.startTime;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    if (t < us0 || t > us1) continue;
    const d = p.timeDeltas[i + 1] ?? 0;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + d);
    total += d;
  }
  const label = (id: number) => {
    const f = byId.get(id)!.callFrame;
    return `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
  };
  const byFn = new Map<string, number>();
  for (const [id, us] of self) byFn.set(label(id), (byFn.get(label(id)) ?? 0) + us);
  const secs = (us1 - us0) / 1e6;
  console.log(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled in a ${secs.toFixed(0)} s window; self time (ms, % of the window):`);
  for (const [fn, us] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${(us / 1000).toFixed(1).padStart(8)} ms ${((us / 1e6 / secs) * 100).toFixed(3)} %  ${fn}`);
  const busy = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log('heaviest stacks (leaf first):');
  for (const [id, us] of busy) {
    const chain: string[] = [];
    for (let n: number | undefined = id; n !== undefined && chain.length < 14; n = parent.get(n)) chain.push(label(n));
    console.log(`  ${(us / 1000).toFixed(1)} ms: ${chain.join(' < ')}`);
  }
}

console.log(`speaker footprint: ${N} Services, 3-node lab "${prefix}"; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
lab('down');
const up = lab('up', '--nodes', '3', '--detach');
if (up.status !== 0) throw new Error(`lab up failed (${up.status}):\n${up.stdout}\n${up.stderr}`);
try {
  const kubeconfig = lab('kubeconfig').stdout.trim();
  const client = new KubeClient(loadClientConfig({ kubeconfig, env: {}, qps: 500, burst: 500 }));
  const state = JSON.parse(readFileSync(`/tmp/metallb-ts-lab-${prefix}/state.json`, 'utf8')) as { procs: { role: string; pid: number; ns?: string }[] };
  speakers = state.procs.filter((p) => /^speaker-n\d+$/.test(p.role));
  if (speakers.length !== 3) throw new Error(`expected 3 speakers, found ${speakers.map((p) => p.role).join(', ')}`);
  const controller = state.procs.find((p) => p.role === 'controller');
  const show = (when: string) => {
    const parts = speakers.map((p) => {
      const s = status(p.pid);
      return `${p.role} ${MiB(s.rss)} MiB (peak ${MiB(s.hwm)}; anon ${MiB(s.anon)}, file ${MiB(s.file)})`;
    });
    console.log(`${when}: ${parts.join(', ')}${controller ? `; controller ${MiB(status(controller.pid).rss)} MiB` : ''}`);
  };
  await sleep(5000);
  show('speakers RSS, no Services');

  const ms = 'metallb-system';
  await client.create(metallb('ipaddresspools'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'fp', namespace: ms }, spec: { addresses: ['2001:db8:5::/116'] } });
  await client.create(metallb('l2advertisements'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'fp-l2', namespace: ms }, spec: { ipAddressPools: ['fp'] } });
  await client.create(metallb('bgpadvertisements'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name: 'fp-bgp', namespace: ms }, spec: { ipAddressPools: ['fp'] } });
  if (V4 > 0) {
    await client.create(metallb('ipaddresspools'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'fp4', namespace: ms }, spec: { addresses: ['198.51.100.200/29'] } });
    await client.create(metallb('l2advertisements'), ms, { apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: 'fp4-l2', namespace: ms }, spec: { ipAddressPools: ['fp4'] } });
  }
  await client.create(metallb('bgppeers', 'v1beta2'), ms, { apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: { name: 'fp-router6', namespace: ms }, spec: { myASN: 64500, peerASN: 64501, peerAddress: '2001:db8::2' } });
  await client.create(Resources.pods, 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'fp-web', namespace: 'default', labels: { app: 'fp-web' } },
    spec: { nodeName: 'n1', containers: [{ name: 'web', image: 'metallb-ts/lab-http', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
  } as KubeObject);
  const t0 = performance.now();
  for (let i = 0; i < N; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, N - i) }, (_, k) =>
        client.create(Resources.services, 'default', {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: `fp-${i + k}`, namespace: 'default', labels: { app: 'fp-web' } },
          spec: { type: 'LoadBalancer', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], selector: { app: 'fp-web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
        } as KubeObject),
      ),
    );
  }
  for (let i = 0; i < V4; i++) {
    await client.create(Resources.services, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `fp4-${i}`, namespace: 'default', labels: { app: 'fp-web' }, annotations: { 'metallb.io/address-pool': 'fp4' } },
      spec: { type: 'LoadBalancer', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'], selector: { app: 'fp-web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    } as KubeObject);
  }
  console.log(`created ${N} Services in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const allocated = async () => (await client.list<KubeObject>(Resources.services, { namespace: 'default' })).items.filter((s) => ((s.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress?.length ?? 0) > 0).length;
  const tIPs = await until(`${N + V4} Services with an IP`, async () => (await allocated()) >= N + V4, 900_000);
  const tL2 = await until(`${N + V4} ServiceL2Status objects`, async () => (await client.list(metallb('servicel2statuses'), { namespace: ms })).items.length >= N + V4, 900_000);
  const routes = () => execFileSync('ip', ['netns', 'exec', `${prefix}-router`, 'ip', '-6', 'route', 'show', 'proto', 'bgp'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('2001:db8:5:')).length;
  const tBGP = await until(`${N} BGP routes at the router`, () => routes() >= N, 900_000);
  console.log(`all ${N} with IPs after ${tIPs.toFixed(0)} s; ${N} L2 announcements ${tL2.toFixed(0)} s later; ${routes()} BGP routes at the router ${tBGP.toFixed(0)} s later`);
  show('speakers RSS right after');
  const bgpStatuses = async () => (await client.list(metallb('servicebgpstatuses'), { namespace: ms })).items.length;
  console.log(`ServiceBGPStatus objects now: ${await bgpStatuses()} of ${3 * N}`);
  if (waitBgpStatus) {
    const c0 = speakers.map((p) => ticks(p.pid));
    const w0 = performance.now();
    const tS = await until(`${3 * N} ServiceBGPStatus objects`, async () => (await bgpStatuses()) >= 3 * N, 1_800_000);
    const secs = (performance.now() - w0) / 1000;
    console.log(`${3 * N} ServiceBGPStatus objects ${tS.toFixed(0)} s later; speakers' CPU meanwhile ${speakers.map((p, i) => (((ticks(p.pid) - c0[i]!) / 100 / secs) * 100).toFixed(2)).join(' / ')} % of a core`);
  }
  await sleep(idleS * 1000);
  const c0 = speakers.map((p) => ticks(p.pid));
  const w0 = performance.now();
  await sleep(cpuS * 1000);
  const secs = (performance.now() - w0) / 1000;
  show(`speakers RSS after ${idleS + cpuS} s idle`);
  console.log(`idle CPU over ${cpuS} s: ${speakers.map((p, i) => `${p.role} ${(((ticks(p.pid) - c0[i]!) / 100 / secs) * 100).toFixed(2)} %`).join(', ')} of a core`);
  if (threads) await threadCpu('lab-started speakers');
  if (inspectNode) await inspectProfile(inspectNode);
  if (V4 > 0) arpLatency('lab-started speakers');
  for (let r = 0; r < abRounds; r++) {
    await round('off', r);
    await round('on', r);
  }
  // the profiled speaker runs in a round of its own, so the profiler's cost stays out of the A/B
  if (profileNode) await round('on', abRounds, profileNode);
  console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await stopOurs();
  const down = lab('down');
  if (down.status !== 0) console.error(`lab down: ${down.status} ${down.stderr}`);
}
