/**
 * L2 failover at the client, MetalLB and metallb-ts side by side (issue 21 §3, first bullet).
 *
 * One lab (apps/lab, real control plane, 3 nodes), one Layer 2 Service (198.51.100.121, pods on
 * every node), a client probing it (probe.mjs: its neighbour entry every 5 ms, requests back to
 * back with a 300 ms timeout). The speakers are MetalLB v0.15.2's first, then ours (memberlist
 * preset `balanced`, the default), then ours with `--ml-preset fast` (and, with `--impls … ours-lan`,
 * ours with MetalLB's own timings, `--ml-preset lan`); the controller stays MetalLB's
 * (allocation is not measured here). For each, `--runs` times each failure of the announcing node:
 *
 * - `kill`: kill -9 of its speaker (the node itself keeps forwarding: requests through the old
 *   neighbour entry keep succeeding; what matters is when the client is moved);
 * - `link`: its link down (bridge port down: the node is gone for the client);
 * - `term`: SIGTERM of its speaker (graceful: a DaemonSet update, a drain).
 *
 * Measured from the injection: when the client's neighbour entry names another MAC
 * (`neigh`), and when the first request started once the failure was in place succeeded (`ok`,
 * its end). After `kill` and `term` the old node still forwards (kube-proxy is not the speaker),
 * so requests keep succeeding through the old entry and `ok` is near 0: there the entry's move is
 * the number that matters; after `link` the client is cut off until its entry moves.
 * Between runs the lab is restored (speaker restarted; link up and the speaker restarted so it
 * re-joins at once instead of MetalLB's one-minute re-join), memberlist is one cluster again,
 * one node answers ARP and the client's entry names it.
 *
 * Usage (root; builds kube-lab's and MetalLB's binaries when not cached, and needs
 * `npx nx run lab:build`):
 *   node bench/run.mjs metallb/l2-failover.ts [--runs 20] [--modes kill,link,term] [--impls metallb,ours,ours-fast,ours-lan]
 */
import { runChild, waitFor } from '@metallb-ts/test-lab';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabHandle, type Impl } from '../../apps/lab/src/lab.js';

const ROOT = process.env['BENCH_REPO'] ?? process.cwd();
const LAB = join(ROOT, 'dist', 'apps', 'lab', 'main.mjs');
const PROBE = join(ROOT, 'bench', 'metallb', 'probe.mjs');
const NODES = ['n1', 'n2', 'n3'];
const IP = '198.51.100.121';
/** Where the lab's logs are copied when memberlist does not re-form (BENCH_FAIL_LOGS). */
const FAIL_LOGS = process.env['BENCH_FAIL_LOGS'] ?? join(tmpdir(), 'metallb-ts-bench-l2-failover');

type Mode = 'kill' | 'link' | 'term';
type Variant = 'metallb' | 'ours' | 'ours-fast' | 'ours-lan';

function flag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const RUNS = Number(flag('runs', '20'));
const MODES = flag('modes', 'kill,link,term').split(',') as Mode[];
const VARIANTS = flag('impls', 'metallb,ours,ours-fast').split(',') as Variant[];
if (!(RUNS > 0) || MODES.some((m) => !['kill', 'link', 'term'].includes(m)) || VARIANTS.some((v) => !['metallb', 'ours', 'ours-fast', 'ours-lan'].includes(v))) {
  console.error('usage: node bench/run.mjs metallb/l2-failover.ts [--runs 20] [--modes kill,link,term] [--impls metallb,ours,ours-fast,ours-lan]');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('l2-failover: needs root (network namespaces)');
  process.exit(1);
}
if (!existsSync(LAB)) {
  console.error(`l2-failover: ${LAB} is missing: npx nx run lab:build`);
  process.exit(1);
}

const impl = (v: Variant): Impl => (v === 'metallb' ? 'metallb' : 'metallb-ts');
const extra = (v: Variant): string[] => (v === 'ours-fast' ? ['--ml-preset', 'fast'] : v === 'ours-lan' ? ['--ml-preset', 'lan'] : []);

async function must(argv: string[], what: string, timeoutMs = 3_500_000): Promise<string> {
  const r = await runChild(argv, { cwd: ROOT, timeoutMs });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

interface Sample {
  neighMs: number;
  okMs: number;
  failed: number;
}

function quantiles(xs: number[]): { median: number; p90: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { median: q(0.5), p90: q(0.9), max: s[s.length - 1]! };
}

const prefix = `bf${process.pid % 100000}`;
let probe: ChildProcess | undefined;
let lab: LabHandle | undefined;

async function main(): Promise<void> {
  const t00 = performance.now();
  await must([process.execPath, join(ROOT, 'tools', 'kube', 'bin', 'kube-lab.mjs'), 'build'], 'kube-lab build');
  const bins = await must([process.execPath, join(ROOT, 'tools', 'metallb', 'bin', 'metallb-peer.mjs'), 'build'], 'metallb-peer build');
  const bin = (k: string) => new RegExp(`^${k}=(.+)$`, 'm').exec(bins)?.[1] ?? '';
  await must([process.execPath, LAB, 'up', '--detach', '--kube', 'real', '--prefix', prefix, '--metallb-controller', bin('controller'), '--metallb-speaker', bin('speaker')], 'lab up', 300_000);
  lab = LabHandle.attach(prefix);
  const L = lab;
  const t = L.topo;
  const apply = (text: string) => {
    const r = L.apply(text);
    if (r.status !== 0) throw new Error(`kubectl apply: ${r.err}`);
  };
  apply(`apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: bench-l2, namespace: metallb-system}
spec: {addresses: [${IP}/32]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: bench-l2, namespace: metallb-system}
spec: {ipAddressPools: [bench-l2]}
`);
  await L.createPods('web', 3, { nodes: NODES });
  await waitFor('3 ready web pods', async () => (await L.readyPods('web')).length >= 3 || undefined, { timeoutMs: 60_000, everyMs: 200 });
  apply(`apiVersion: v1
kind: Service
metadata: {name: bench-l2, namespace: default}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
`);
  await waitFor('the Service IP', async () => ((await L.ingress('bench-l2'))[0] === IP) || undefined, { timeoutMs: 60_000, everyMs: 200 });
  await waitFor('curl answering', () => L.curl(`http://${IP}/`).ok || undefined, { timeoutMs: 60_000, everyMs: 300 });

  const out = join(L.state.dir, 'probe.jsonl');
  rmSync(out, { force: true });
  probe = spawn('ip', ['netns', 'exec', t.client.ns, process.execPath, PROBE, out, `http://${IP}/`, IP, String(4 * 3600_000)], { stdio: 'ignore' });
  /** The probe's lines from byte `from` on (whole lines only). */
  const events = (from: number) => {
    const text = readFileSync(out).subarray(from).toString('utf8');
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { k: 'neigh' | 'req'; t: number; end?: number; ok?: boolean; mac?: string });
  };

  const arpMacs = (): string[] => {
    const r = L.exec(t.client.ns, ['arping', '-c', '2', '-w', '2', '-I', 'eth0', IP], 10_000);
    return [...new Set([...r.out.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase()))].sort();
  };

  /** One memberlist cluster, one ARP answer, the client's entry on that node, requests succeeding: returns the owner. */
  async function settle(what: string, v: Variant, stuck: { n: number }): Promise<string> {
    const oneCluster = () => NODES.every((n) => L.memberView(n)?.join(',') === NODES.join(',')) || undefined;
    try {
      await waitFor(`${what}: one memberlist cluster`, oneCluster, { timeoutMs: 60_000, everyMs: 300 });
    } catch {
      // not re-formed within a minute: keep the evidence, count it, restart every speaker
      const keep = join(FAIL_LOGS, `${what.replace(/[^a-z0-9-]+/gi, '-')}-${Date.now()}`);
      cpSync(join(L.state.dir, 'logs'), keep, { recursive: true });
      console.error(`  ${what}: memberlist not one cluster after 60 s (${NODES.map((n) => `${n}: [${L.memberView(n)?.join(', ')}]`).join('; ')}); logs kept in ${keep}; restarting every speaker`);
      stuck.n++;
      for (const n of NODES) await L.replaceSpeaker(n, impl(v), { extraArgs: extra(v) });
      await waitFor(`${what}: one memberlist cluster after restarting every speaker`, oneCluster, { timeoutMs: 120_000, everyMs: 300 });
    }
    const mac = await waitFor(`${what}: one node answering ARP`, () => {
      const m = arpMacs();
      return m.length === 1 ? m[0] : undefined;
    }, { timeoutMs: 60_000, everyMs: 300 });
    const owner = L.nodeByMac(mac)?.name;
    if (!owner) throw new Error(`${what}: ${mac} is no node's MAC`);
    // a fresh neighbour entry on the owner (the client's entry may still name the last failover's node)
    L.exec(t.client.ns, ['ip', 'neigh', 'flush', 'to', IP]);
    await waitFor(`${what}: the client's entry on ${owner} and a request answered`, () => {
      const ok = L.curl(`http://${IP}/`, undefined, 1).ok;
      return (ok && L.neigh(IP).mac === mac) || undefined;
    }, { timeoutMs: 30_000, everyMs: 200 });
    await new Promise((r) => setTimeout(r, 500));
    return owner;
  }

  const results = new Map<string, Sample[]>();
  const stuckCount = new Map<string, number>();
  for (const v of VARIANTS) {
    for (const n of NODES) await L.replaceSpeaker(n, impl(v), { extraArgs: extra(v) });
    for (const mode of MODES) {
      const samples: Sample[] = [];
      const stuck = { n: 0 };
      for (let i = 0; i < RUNS; i++) {
        const owner = await settle(`${v} ${mode} #${i + 1}`, v, stuck);
        const ownerMac = L.node(owner).mac;
        const from = statSync(out).size;
        const t0 = Date.now();
        if (mode === 'kill') await L.stopSpeaker(owner, 'SIGKILL');
        else if (mode === 'term') void L.stopSpeaker(owner, 'SIGTERM');
        else L.setCarrier(owner, false);
        // requests that started before the failure was in place (the `ip` call of a link loss) do not count
        const tIn = Date.now();
        const moved = await waitFor(`${v} ${mode} #${i + 1}: the client's entry leaves ${owner}`, () => events(from).find((e) => e.k === 'neigh' && e.t >= t0 && e.mac && e.mac !== ownerMac), { timeoutMs: 60_000, everyMs: 50 });
        const ok = await waitFor(`${v} ${mode} #${i + 1}: a request answered`, () => events(from).find((e) => e.k === 'req' && e.t >= tIn && e.ok), { timeoutMs: 60_000, everyMs: 50 });
        const failed = events(from).filter((e) => e.k === 'req' && e.t >= tIn && e.end! <= ok.end! && !e.ok).length;
        samples.push({ neighMs: moved.t - t0, okMs: ok.end! - t0, failed });
        console.error(`  ${v.padEnd(9)} ${mode} #${String(i + 1).padStart(2)}: ${owner} → ${L.nodeByMac(moved.mac)?.name}, entry moved ${moved.t - t0} ms, answer ${ok.end! - t0} ms, ${failed} failed`);
        // restore: the link, then the speaker (restarted also after a link loss, so it re-joins at once)
        if (mode === 'link') {
          L.setCarrier(owner, true);
          L.exec(L.node(owner).ns, ['ip', 'neigh', 'flush', 'dev', 'eth0']);
          await waitFor(`${owner} reaching the API server again`, () => L.exec(L.node(owner).ns, ['ping', '-c', '1', '-W', '1', t.cp.v4], 5000).status === 0 || undefined, { timeoutMs: 30_000, everyMs: 200 });
        }
        // as a kubelet would: a speaker that exits at start-up is started again
        for (let attempt = 1; ; attempt++) {
          try {
            await L.replaceSpeaker(owner, impl(v), { extraArgs: extra(v) });
            break;
          } catch (err) {
            if (attempt >= 3) throw err;
            console.error(`  (the ${v} speaker of ${owner} exited at start-up; starting it again: ${(err as Error).message.split('\n')[0]})`);
          }
        }
      }
      results.set(`${v}|${mode}`, samples);
      stuckCount.set(`${v}|${mode}`, stuck.n);
    }
  }

  const la = loadavg().map((x) => x.toFixed(2)).join(' ');
  const commit = (await runChild(['git', 'rev-parse', '--short', 'HEAD'], { cwd: ROOT })).stdout.trim();
  const rows = [
    `L2 failover at the client (${RUNS} runs each; ms from the injection; commit ${commit}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average at the end ${la}; ${((performance.now() - t00) / 60_000).toFixed(1)} min)`,
    '| speakers | failure | entry moved: median / p90 / max | next answer: median / p90 / max | failed requests (total) | memberlist not re-formed within 60 s after the restore |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const mode of MODES) {
    for (const v of VARIANTS) {
      const s = results.get(`${v}|${mode}`) ?? [];
      if (!s.length) continue;
      const a = quantiles(s.map((x) => x.neighMs));
      const b = quantiles(s.map((x) => x.okMs));
      rows.push(`| ${v === 'metallb' ? 'MetalLB v0.15.2' : v === 'ours' ? 'metallb-ts (balanced, default)' : v === 'ours-lan' ? 'metallb-ts (lan)' : 'metallb-ts (fast)'} | ${mode === 'kill' ? 'kill -9 of the speaker' : mode === 'link' ? 'node link down' : 'SIGTERM of the speaker'} | ${a.median} / ${a.p90} / ${a.max} | ${b.median} / ${b.p90} / ${b.max} | ${s.reduce((x, y) => x + y.failed, 0)} | ${stuckCount.get(`${v}|${mode}`) ?? 0} |`);
    }
  }
  console.log(rows.join('\n'));
}

try {
  await main();
} finally {
  if (probe?.pid && probe.exitCode === null) probe.kill('SIGTERM');
  lab?.close();
  if (!process.env['BENCH_KEEP_LAB']) await runChild([process.execPath, LAB, 'down', '--prefix', prefix], { cwd: ROOT, timeoutMs: 120_000 });
}
