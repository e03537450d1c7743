// Migration without an outage (issue 21 §2). A lab on the real control plane starts with MetalLB's
// own controller and speakers (MetalLB v0.15.2 built from its Go module by tools/metallb), one
// Service announced in Layer 2 and one in BGP (the FRR router, ECMP over the three nodes), and a
// client requesting both continuously. MetalLB's speakers are replaced by ours one node at a time
// (as a DaemonSet rolling update does), then the controller; then everything is rolled back to
// MetalLB. After every step: no Service's IP changed, every speaker — Go or TypeScript — reports
// the same three members (one memberlist cluster), exactly one node answers ARP for the Layer 2
// IP, the router has a path through every node, and the client's requests succeed again. The
// client's longest gap between two successful answers is printed as a measurement, not asserted.
//
// Why the real control plane: MetalLB's controller and speakers are controller-runtime programs
// that need the API server's discovery, CRDs served as such and its list/watch semantics; the
// lab's real control plane (tools/kube) is what the e2e suite already runs on. The CRDs are ours
// (deploy/crds), as after a user's upgrade; MetalLB v0.15.2 reads them unchanged.
import { labSkipReason as testLabSkip, runChild, waitFor } from '@metallb-ts/test-lab';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Impl } from '../src/lab.js';
import { E2E, realSkipReason, ROOT } from './e2e.js';

const PEER = join(ROOT, 'tools', 'metallb', 'bin', 'metallb-peer.mjs');
const LOOP = join(import.meta.dirname, 'client-loop.mjs');
const NODES = ['n1', 'n2', 'n3'];

/** Why MetalLB's binaries cannot be had here, or undefined (a cached build, or Go to build one). */
function metallbSkipReason(): string | undefined {
  if (!existsSync(PEER)) return 'tools/metallb (metallb-peer) is missing';
  if (existsSync('/usr/local/go/bin/go')) return undefined;
  const r = spawnSync(process.execPath, [PEER, 'paths'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const paths = [...(r.stdout ?? '').matchAll(/^\w+=(.+)$/gm)].map((m) => m[1]!);
  return paths.length === 2 && paths.every((p) => existsSync(p)) ? undefined : "MetalLB's binaries are not cached and Go 1.26 (/usr/local/go) is missing to build them";
}

const skip = testLabSkip(['ip', 'nft', 'curl', 'vtysh', 'arping']) ?? realSkipReason() ?? metallbSkipReason();

const CONFIG = (router: string) => `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: mig-l2, namespace: metallb-system}
spec: {addresses: [198.51.100.121/32]}
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: mig-bgp, namespace: metallb-system}
spec: {addresses: [198.51.100.131/32]}
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: mig-l2, namespace: metallb-system}
spec: {ipAddressPools: [mig-l2]}
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: {name: mig-bgp, namespace: metallb-system}
spec: {ipAddressPools: [mig-bgp]}
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: mig-router, namespace: metallb-system}
spec: {myASN: 64500, peerASN: 64501, peerAddress: ${router}}
`;

/** One request of the client loop (client-loop.mjs). */
interface Req {
  u: number;
  t: number;
  ms: number;
  ok: boolean;
  body?: string;
  err?: string;
  /** The client's neighbour entry for the URL's address after the request. */
  mac?: string;
}

/** One ARP probe of the client loop: the MACs that answered. */
interface Probe {
  arp: string[];
  t: number;
}

/** Longest time between two successful answers (completion to completion), in ms, within [from, to). */
function longestGap(reqs: readonly Req[], from = 0, to = Infinity): { gapMs: number; failed: number; total: number } {
  const inWindow = reqs.filter((r) => r.t >= from && r.t < to);
  let prev: number | undefined;
  let gapMs = 0;
  for (const r of inWindow) {
    if (!r.ok) continue;
    const end = r.t + r.ms;
    if (prev !== undefined) gapMs = Math.max(gapMs, end - prev);
    prev = end;
  }
  return { gapMs, failed: inWindow.filter((r) => !r.ok).length, total: inWindow.length };
}

(skip ? describe.skip : describe)(`migration MetalLB → metallb-ts → MetalLB without an outage, on the real control plane${skip ? ` [skipped: ${skip}]` : ''}`, () => {
  const e = new E2E('real', `m${process.pid % 100000}`);
  let l2Ip = '';
  let bgpIp = '';
  let loop: ChildProcess | undefined;
  let out = '';
  const steps: { name: string; at: number }[] = [];
  const announcers: string[] = [];
  /** What our speakers logged about their SIGTERM hand-over (filled by the client-loop case). */
  let handovers: string[] = [];

  const lines = (): (Req | Probe)[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Req | Probe) : []);
  const reqs = (): Req[] => lines().filter((l): l is Req => 'u' in l);
  const probes = (): Probe[] => lines().filter((l): l is Probe => 'arp' in l);
  /** The step running at time `t`. */
  const stepAt = (t: number) => [...steps].reverse().find((s) => s.at <= t)?.name ?? 'set-up';
  const nodeOf = (mac: string) => e.lab.nodeByMac(mac)?.name ?? mac;

  /** What every speaker reports as its memberlist members, for messages. */
  const views = () => NODES.map((n) => `${n} (${e.lab.impl(`speaker-${n}`)}): [${e.lab.memberView(n)?.join(', ') ?? '?'}]`).join('; ');

  /** The checks after a step: IPs, one memberlist cluster, one ARP answer, every BGP path, requests succeed again. */
  async function settled(step: string): Promise<void> {
    expect(await e.lab.ingress('mig-l2'), `${step}: the Layer 2 Service's IP`).toEqual([l2Ip]);
    expect(await e.lab.ingress('mig-bgp'), `${step}: the BGP Service's IP`).toEqual([bgpIp]);
    try {
      await waitFor(`${step}: every speaker reports n1, n2, n3 as members`, () => NODES.every((n) => e.lab.memberView(n)?.join(',') === NODES.join(',')) || undefined, { timeoutMs: 60_000, everyMs: 300 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n  member views: ${views()}`);
    }
    await waitFor(`${step}: one node answering ARP for ${l2Ip}`, () => e.arpingMacs(l2Ip, 2).length === 1 || undefined, { timeoutMs: 30_000, everyMs: 300 });
    const macs = e.arpingMacs(l2Ip);
    expect(macs, `${step}: nodes answering ARP for ${l2Ip} (member views: ${views()})`).toHaveLength(1);
    announcers.push(`${step}: ${e.lab.nodeByMac(macs[0])?.name ?? macs[0]}`);
    await waitFor(`${step}: the router's path to ${bgpIp} through every node`, () => e.lab.routerRoute(bgpIp).nexthops.length === 3 || undefined, { timeoutMs: 60_000, everyMs: 300 });
    expect(await e.lab.ingress('mig-l2'), `${step}: the Layer 2 Service's IP`).toEqual([l2Ip]);
    expect(await e.lab.ingress('mig-bgp'), `${step}: the BGP Service's IP`).toEqual([bgpIp]);
    const since = Date.now();
    await waitFor(`${step}: the client's requests to both Services succeed again`, () => [0, 1].every((u) => reqs().some((r) => r.u === u && r.t >= since && r.ok)) || undefined, { timeoutMs: 30_000, everyMs: 200 });
  }

  async function swapSpeaker(node: string, impl: Impl): Promise<void> {
    const step = `speaker ${node} → ${impl}`;
    steps.push({ name: step, at: Date.now() });
    await e.lab.replaceSpeaker(node, impl);
    expect(e.lab.impl(`speaker-${node}`)).toBe(impl);
    await settled(step);
  }

  async function swapController(impl: Impl): Promise<void> {
    const step = `controller → ${impl}`;
    steps.push({ name: step, at: Date.now() });
    await e.lab.replaceController(impl);
    expect(e.lab.impl('controller')).toBe(impl);
    await settled(step);
  }

  beforeAll(async () => {
    const b = await runChild([process.execPath, PEER, 'build'], { cwd: ROOT, timeoutMs: 3_500_000 });
    if (b.status !== 0) throw new Error(`metallb-peer build failed: ${b.stderr}`);
    const bin = (k: string) => new RegExp(`^${k}=(.+)$`, 'm').exec(b.stdout)?.[1] ?? '';
    await e.up(3, ['--metallb-controller', bin('controller'), '--metallb-speaker', bin('speaker')]);
    const t = e.lab.topo;
    expect(NODES.map((n) => e.lab.impl(`speaker-${n}`))).toEqual(['metallb', 'metallb', 'metallb']);
    expect(e.lab.impl('controller')).toBe('metallb');
    e.apply(CONFIG(t.router.v4));
    await e.pods('web', NODES);
    e.apply(e.service('mig-l2', { app: 'web', pool: 'mig-l2' }));
    e.apply(e.service('mig-bgp', { app: 'web', pool: 'mig-bgp' }));
    l2Ip = (await e.externalIps('mig-l2'))[0]!;
    bgpIp = (await e.externalIps('mig-bgp'))[0]!;
    expect([l2Ip, bgpIp]).toEqual(['198.51.100.121', '198.51.100.131']);
    e.lab.exec(t.client.ns, ['ip', 'route', 'replace', `${bgpIp}/32`, 'via', t.router.v4]);
    await e.curl(`http://${l2Ip}/`, { match: /^Hello from web-/ });
    await waitFor(`the router's path to ${bgpIp} through every node`, () => e.lab.routerRoute(bgpIp).nexthops.length === 3 || undefined, { timeoutMs: 60_000, everyMs: 300 });
    await e.curl(`http://${bgpIp}/`, { match: /^Hello from web-/ });
    // the client, from here to the end (bounded: 10 minutes at most)
    out = join(e.lab.state.dir, 'client-loop.jsonl');
    rmSync(out, { force: true });
    loop = spawn('ip', ['netns', 'exec', t.client.ns, process.execPath, LOOP, '--arp', l2Ip, out, '600000', `http://${l2Ip}/`, `http://${bgpIp}/`], { stdio: 'ignore' });
    await waitFor('the client loop answering', () => [0, 1].every((u) => reqs().some((r) => r.u === u && r.ok)) || undefined, { timeoutMs: 20_000, everyMs: 200 });
    steps.push({ name: 'MetalLB only', at: Date.now() });
    await settled('MetalLB only');
  }, 3_600_000);

  afterAll(async () => {
    if (loop?.pid && loop.exitCode === null) {
      loop.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      if (loop.exitCode === null) loop.kill('SIGKILL');
    }
    // METALLB_TS_MIGRATION_LOGS=DIR keeps the lab's logs (every speaker's, Go and ours) for a look afterwards
    const keep = process.env['METALLB_TS_MIGRATION_LOGS'];
    if (keep && e.lab) cpSync(join(e.lab.state.dir, 'logs'), keep, { recursive: true });
    await e.down();
  }, 120_000);

  it('rolls the speakers from MetalLB to ours one node at a time, then the controller', async () => {
    for (const n of NODES) await swapSpeaker(n, 'metallb-ts');
    await swapController('metallb-ts');
  }, 400_000);

  it('rolls back: the controller to MetalLB, then the speakers one node at a time', async () => {
    await swapController('metallb');
    for (const n of [...NODES].reverse()) await swapSpeaker(n, 'metallb');
  }, 400_000);

  it("the client's requests kept succeeding throughout: every failure was followed by a success on the same Service", async () => {
    const end = Date.now();
    steps.push({ name: 'end', at: end });
    // every step ended with both Services answering (settled); at the end, once more, then the
    // loop stops (a request cut short by the stop is not counted against anyone)
    await waitFor('a last answer from both Services', () => [0, 1].every((u) => reqs().some((r) => r.u === u && r.t >= end && r.ok)) || undefined, { timeoutMs: 30_000, everyMs: 200 });
    if (loop?.pid && loop.exitCode === null) {
      loop.kill('SIGTERM');
      await waitFor('the client loop to stop', () => loop!.exitCode !== null || loop!.signalCode !== null || undefined, { timeoutMs: 10_000, everyMs: 100 });
    }
    const all = reqs();
    const report: string[] = [];
    for (const [u, name, ip] of [[0, 'Layer 2', l2Ip], [1, 'BGP', bgpIp]] as const) {
      const mine = all.filter((r) => r.u === u);
      expect(mine.length, `${name} requests`).toBeGreaterThan(0);
      expect(mine.filter((r) => r.ok).every((r) => r.body?.startsWith('Hello from web-')), `${name}: every successful answer comes from a web pod`).toBe(true);
      const lastOk = Math.max(...mine.filter((r) => r.ok).map((r) => r.t));
      expect(mine.filter((r) => !r.ok && r.t < end).every((r) => r.t < lastOk), `${name}: every failure before the end was followed by a success (failures: ${JSON.stringify(mine.filter((r) => !r.ok).slice(-3))})`).toBe(true);
      const whole = longestGap(mine);
      report.push(`${name} ${ip}: ${whole.total} requests, ${whole.failed} failed, longest gap between two answers ${whole.gapMs} ms`);
      for (let i = 0; i + 1 < steps.length; i++) {
        const g = longestGap(mine, steps[i]!.at, steps[i + 1]!.at);
        report.push(`    ${steps[i]!.name.padEnd(28)} ${String(g.total).padStart(4)} requests, ${g.failed} failed, longest gap ${g.gapMs} ms`);
      }
    }
    // where the client's traffic to the Layer 2 IP went: its neighbour entry over time
    const t0 = steps[0]!.at;
    const moves: string[] = [];
    let last: string | undefined;
    for (const r of all.filter((x) => x.u === 0 && x.mac)) {
      if (r.mac === last) continue;
      moves.push(`${nodeOf(r.mac!)} at +${((r.t - t0) / 1000).toFixed(1)} s (${stepAt(r.t)})`);
      last = r.mac;
    }
    report.push(`client's neighbour entry for ${l2Ip}: ${moves.join(' → ')}`);
    const ps = probes();
    const two = ps.filter((p) => p.arp.length > 1);
    const none = ps.filter((p) => p.arp.length === 0);
    report.push(`ARP probes for ${l2Ip} during the run: ${ps.length}, answered by two or more nodes: ${two.length}${two.length ? ` (${two.map((p) => `${p.arp.map(nodeOf).join('+')} at +${((p.t - t0) / 1000).toFixed(1)} s, ${stepAt(p.t)}`).join('; ')})` : ''}, unanswered: ${none.length}${none.length ? ` (${none.map((p) => `+${((p.t - t0) / 1000).toFixed(1)} s, ${stepAt(p.t)}`).join('; ')})` : ''}`);
    report.push(`ARP answered (after each step settled) by: ${announcers.join('; ')}`);
    // what our speakers said when stopped while announcing: did they see the new owner's claim?
    handovers = NODES.flatMap((n) => {
      const f = join(e.lab.state.dir, 'logs', `speaker-${n}.log`);
      if (!existsSync(f)) return [];
      return readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"hand-over: ')).map((l) => {
        const r = JSON.parse(l) as { ts: string; msg: string; ms?: number };
        const at = Date.parse(r.ts);
        return `${n} at +${((at - t0) / 1000).toFixed(1)} s (${stepAt(at)}): ${r.msg.replace('hand-over: ', '')} after ${r.ms} ms`;
      });
    });
    report.push(`SIGTERM hand-overs of our announcing speakers: ${handovers.length ? handovers.join('; ') : 'none'}`);
    // the rollback stops our speaker on the announcing node (n3 wins 198.51.100.121 by MetalLB's hash order)
    expect(handovers.length, 'a hand-over of our announcing speaker took place').toBeGreaterThan(0);
    console.log(`migration measurements (client loop: a fresh connection per request, 1 s timeout, 100 ms apart):\n  ${report.join('\n  ')}`);
  });

  // Our speaker's SIGTERM hand-over (apps/speaker README, Shutdown): the stopping announcer keeps
  // answering only until the new owner's claim is seen. This suite found it missing the claim
  // every time (its waiter was registered after leaving memberlist, the claim came before and the
  // responder's 10 s conflict hold-down swallowed the repeats, so two nodes answered for 1.5 s);
  // fixed in apps/speaker by 3af9b69 (the waiter is registered before the leave).
  it("our announcing speaker, stopped with SIGTERM, sees the new owner's claim and falls silent then (apps/speaker README, Shutdown)", () => {
    expect(handovers.length).toBeGreaterThan(0);
    expect(handovers.every((h) => h.includes('every IP claimed by another node')), handovers.join('; ')).toBe(true);
  });
});
