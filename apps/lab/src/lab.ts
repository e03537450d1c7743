/**
 * The lab as a product: `up` builds the data centre (namespaces, the API server, the node agents,
 * the controller, one speaker per node, the FRR router), records every name and PID in the lab
 * directory, and {@link LabHandle} drives it from any process (`status`, `down`, the demo, the e2e
 * tests). Teardown is by recorded PID (start time checked) and by the lab's own namespace names.
 */
import { KubeClient, loadClientConfig, Resources, isApiError, type KubeObject, type ResourceRef } from '@metallb-ts/k8s-watch';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { haveFrr, routerReady, startRouter, vtysh } from './frr.js';
import { alive, attempt, inNs, ip, isRoot, listNamespaces, must, nsPids, nsSysctl, quiet, signal, sleep, spawnDaemon, stopProcess, waitUntil, which, type ProcRecord } from './sys.js';
import { API, DEFAULT_PREFIX, checkPrefix, topology, type Host, type NodeHost, type Topology } from './topology.js';

/** Which API server the lab runs. */
export type KubeKind = 'lite' | 'real';
/** The namespace of MetalLB's objects. */
export const MS = 'metallb-system';
const SPEAKER_LABELS = { app: 'metallb', component: 'speaker' } as const;
/** The memberlist secret (`secretkey`); MetalLB derives the AES key from it. */
const ML_SECRET = 'metallb-ts-lab-memberlist-secret-0123456789';

/** Who runs a component: ours, or MetalLB's own Go binary (built by tools/metallb, `npx metallb-peer build`). */
export type Impl = 'metallb-ts' | 'metallb';

/** MetalLB's own binaries; a component given here runs as MetalLB's instead of ours. */
export interface MetallbBinaries {
  readonly controller?: string;
  readonly speaker?: string;
}

/** A recorded controller or speaker: which implementation, its kubeconfig, and where its run begins in its log. */
export interface AppRecord extends ProcRecord {
  readonly impl?: Impl;
  readonly kubeconfig?: string;
  /** Size of the log file when this process started (its own lines come after). */
  readonly logOffset?: number;
}

/** What `up` records in `<dir>/state.json`. */
export interface LabState {
  readonly version: 1;
  readonly prefix: string;
  readonly dir: string;
  readonly kube: KubeKind;
  readonly nodes: number;
  /** 127.0.0.1 port of the host-side relay to the API server. */
  apiPort: number;
  /** Namespaces created (or about to be). */
  namespaces: string[];
  procs: ProcRecord[];
  /** The `lab up` process waiting in the foreground, if any. */
  supervisor?: { pid: number; start: string };
  ready: boolean;
  /** MetalLB's binaries, when `up` was given them (used again by the swaps). */
  metallb?: MetallbBinaries;
  /** The kubeconfigs of our controller and speakers (their ServiceAccounts on the real control plane). */
  kubeconfigs?: { controller: string; speaker: string };
}

/** The metallb.io resources the lab touches. */
const metallb = (plural: string, version = 'v1beta1'): ResourceRef => ({ group: 'metallb.io', version, plural });
export const R = {
  pools: metallb('ipaddresspools'),
  l2ads: metallb('l2advertisements'),
  bgpads: metallb('bgpadvertisements'),
  peers: metallb('bgppeers', 'v1beta2'),
  l2status: metallb('servicel2statuses'),
  bgpstatus: metallb('servicebgpstatuses'),
} as const;

/** The repository root (where `deploy/` and `dist/` are), found upward from this bundle. */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(d, 'deploy', 'crds')) && existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

/** The real control plane's Service CIDRs (cluster-internal; never routed outside the lab's namespaces). */
export const SERVICE_CIDRS = '10.96.0.0/16,fd00:10:96::/112';

/** The lab directory of a prefix: `/tmp/metallb-ts-lab` for the default, `/tmp/metallb-ts-lab-<prefix>` otherwise. */
export function labDir(prefix: string): string {
  return prefix === DEFAULT_PREFIX ? '/tmp/metallb-ts-lab' : `/tmp/metallb-ts-lab-${prefix}`;
}

/** Reads `state.json` of a prefix, or undefined. */
export function readState(prefix: string): LabState | undefined {
  const f = join(labDir(prefix), 'state.json');
  if (!existsSync(f)) return undefined;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

function writeState(s: LabState): void {
  const f = join(s.dir, 'state.json');
  writeFileSync(`${f}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(`${f}.tmp`, f);
}

/** The lab's own namespace names for a prefix (whatever the node count): `<prefix>-cp|router|client|n<i>`. */
export function isLabNamespace(prefix: string, ns: string): boolean {
  return new RegExp(`^${prefix}-(cp|router|client|n[0-9]+)$`).test(ns);
}

/** Why the lab cannot run here, or undefined. */
export function labSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux network namespaces';
  if (!isRoot()) return 'the lab needs root to create network namespaces (run it with sudo, or as root)';
  for (const t of ['ip', 'nft', 'curl', 'sysctl']) if (!which(t)) return `${t} is not installed (Debian packages: iproute2, nftables, curl, procps; tools/system-deps.txt)`;
  if (!haveFrr()) return 'FRR is not installed (Debian package frr)';
  const probe = `mtlprobe${process.pid}`;
  const r = attempt(['ip', 'netns', 'add', probe]);
  if (r.status !== 0) return `network namespaces are not available here: ${r.err.trim()}`;
  attempt(['ip', 'netns', 'del', probe]);
  return undefined;
}

/** Options of {@link up}. */
export interface UpOptions {
  prefix?: string;
  nodes?: number;
  kube?: KubeKind;
  log?: (line: string) => void;
  /** Speaker log level. @default 'info' */
  speakerLogLevel?: string;
  /** Run MetalLB's own controller and/or speakers (these binaries) instead of ours. */
  metallb?: MetallbBinaries;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject).listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * Tears down the lab of `prefix`: the processes it recorded (by PID, start time checked), the
 * real control plane (kube-lab down), any process left in its namespaces (by PID from `ip netns
 * pids`), and its namespaces. Safe when nothing is there. Returns what it removed.
 */
export async function down(prefix: string, log: (l: string) => void = () => undefined): Promise<{ procs: number; namespaces: string[] }> {
  checkPrefix(prefix);
  const dir = labDir(prefix);
  const st = readState(prefix);
  let procs = 0;
  if (st) {
    // speakers first (their SIGTERM hand-over needs the API server), the API server last
    const order = (r: ProcRecord) => (r.role.startsWith('speaker') ? 0 : r.role === 'controller' ? 1 : r.role.startsWith('node') ? 2 : r.role.startsWith('relay') ? 4 : r.role === 'apiserver' ? 5 : 3);
    const sorted = [...st.procs].sort((a, b) => order(a) - order(b));
    for (const group of [0, 1, 2, 3, 4, 5]) {
      const rs = sorted.filter((r) => order(r) === group && alive(r));
      procs += rs.length;
      await Promise.all(rs.map((r) => stopProcess(r, group === 0 ? 2000 : 3000)));
    }
  }
  if (existsSync(join(dir, 'kube', 'pids.json'))) {
    const kl = kubeLab(['down', '--dir', join(dir, 'kube'), '--purge']);
    if (kl.status !== 0) log(`kube-lab down: ${kl.err.trim()}`);
  }
  const names = new Set([...(st?.namespaces ?? []), ...listNamespaces().filter((n) => isLabNamespace(prefix, n))]);
  const removed: string[] = [];
  for (const ns of names) {
    if (!listNamespaces().includes(ns)) continue;
    for (let i = 0; i < 3; i++) {
      const pids = nsPids(ns).filter((p) => p !== process.pid);
      if (!pids.length) break;
      for (const p of pids) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await sleep(100);
    }
    attempt(['ip', 'netns', 'del', ns]);
    removed.push(ns);
  }
  rmSync(dir, { recursive: true, force: true });
  // the `lab up` waiting in the foreground: its lab is gone, it exits
  if (st?.supervisor && st.supervisor.pid !== process.pid && alive(st.supervisor)) signal(st.supervisor, 'SIGTERM');
  return { procs, namespaces: removed };
}

/** `node tools/kube/bin/kube-lab.mjs …` (the real control plane's own tool). */
function kubeLab(args: string[], timeoutMs = 900_000): { status: number | null; out: string; err: string } {
  const bin = join(repoRoot(), 'tools', 'kube', 'bin', 'kube-lab.mjs');
  return attempt([process.execPath, bin, ...args], { timeoutMs });
}

/** Builds and starts a lab; a previous lab of the same prefix is torn down first. */
export async function up(o: UpOptions = {}): Promise<LabHandle> {
  const prefix = checkPrefix(o.prefix ?? DEFAULT_PREFIX);
  const t = topology(prefix, o.nodes ?? 3);
  const kube = o.kube ?? 'lite';
  const log = o.log ?? (() => undefined);
  const root = repoRoot();
  const bundles = { speaker: join(root, 'dist', 'apps', 'speaker', 'main.mjs'), controller: join(root, 'dist', 'apps', 'controller', 'main.mjs') };
  for (const b of Object.values(bundles)) if (!existsSync(b)) throw new Error(`${b} is missing: run "npx nx run lab:build" (it builds the controller and the speaker)`);
  for (const [what, b] of Object.entries(o.metallb ?? {})) if (b !== undefined && !existsSync(b)) throw new Error(`MetalLB's ${what} ${b} does not exist: build it with "npx metallb-peer build" (tools/metallb)`);
  const self = fileURLToPath(import.meta.url).endsWith('.mjs') ? fileURLToPath(import.meta.url) : join(root, 'dist', 'apps', 'lab', 'main.mjs');
  if (!existsSync(self)) throw new Error(`${self} is missing: run "npx nx run lab:build"`);

  const old = await down(prefix);
  if (old.namespaces.length) log(`removed a lab left behind (${old.namespaces.join(', ')})`);
  const dir = labDir(prefix);
  for (const d of ['logs', 'frr', 'secret', 'api']) mkdirSync(join(dir, d), { recursive: true });
  const hosts: Host[] = [t.cp, t.router, t.client, ...t.nodes];
  const metallbBins = { ...(o.metallb?.controller ? { controller: o.metallb.controller } : {}), ...(o.metallb?.speaker ? { speaker: o.metallb.speaker } : {}) };
  const st: LabState = { version: 1, prefix, dir, kube, nodes: t.nodes.length, apiPort: 0, namespaces: hosts.map((h) => h.ns), procs: [], ready: false, ...(Object.keys(metallbBins).length ? { metallb: metallbBins } : {}) };
  writeState(st);
  const handle = new LabHandle(st, t);
  try {
    // ---- the network -------------------------------------------------------------------
    for (const h of hosts) {
      ip('netns', 'add', h.ns);
      ip('-n', h.ns, 'link', 'set', 'lo', 'up');
    }
    ip('-n', t.cp.ns, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0');
    ip('-n', t.cp.ns, 'link', 'set', 'br0', 'address', t.cp.mac);
    for (const h of [t.router, t.client, ...t.nodes]) {
      ip('link', 'add', 'eth0', 'netns', h.ns, 'type', 'veth', 'peer', 'name', h.port, 'netns', t.cp.ns);
      ip('-n', t.cp.ns, 'link', 'set', h.port, 'master', 'br0', 'up');
    }
    for (const h of hosts) {
      const dev = h === t.cp ? 'br0' : 'eth0';
      // no reverse-path filter (replies of DNATed traffic come back asymmetric), no ICMP redirects
      for (const k of ['net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.default.rp_filter', 'net.ipv4.conf.all.send_redirects', 'net.ipv4.conf.all.accept_redirects', 'net.ipv6.conf.all.accept_redirects']) nsSysctl(h.ns, k, 0);
      nsSysctl(h.ns, `net.ipv6.conf.${dev}.accept_dad`, 0);
      if (dev === 'eth0') ip('-n', h.ns, 'link', 'set', dev, 'address', h.mac);
      ip('-n', h.ns, 'addr', 'add', `${h.v4}/24`, 'dev', dev);
      ip('-n', h.ns, 'addr', 'add', `${h.v6}/64`, 'dev', dev, 'nodad');
      ip('-n', h.ns, 'link', 'set', dev, 'up');
    }
    for (const n of t.nodes) {
      nsSysctl(n.ns, 'net.ipv4.ip_forward', 1);
      nsSysctl(n.ns, 'net.ipv6.conf.all.forwarding', 1);
      // kube-proxy's strictARP: answer ARP only for addresses of the receiving interface
      nsSysctl(n.ns, 'net.ipv4.conf.all.arp_ignore', 1);
      nsSysctl(n.ns, 'net.ipv4.conf.all.arp_announce', 2);
      // the pod network: every other node's pod ranges through that node
      for (const m of t.nodes) {
        if (m === n) continue;
        ip('-n', n.ns, 'route', 'add', m.podV4Cidr, 'via', m.v4);
        ip('-n', n.ns, '-6', 'route', 'add', m.podV6Cidr, 'via', m.v6);
      }
    }
    nsSysctl(t.router.ns, 'net.ipv4.ip_forward', 1);
    nsSysctl(t.router.ns, 'net.ipv6.conf.all.forwarding', 1);
    log(`network: bridge br0 in ${t.cp.ns}; ${hosts.length - 1} hosts on ${t.cp.v4.replace(/\.1$/, '.0')}/24 and 2001:db8::/64`);

    // ---- the API server ----------------------------------------------------------------
    const crds = join(root, 'deploy', 'crds');
    const inLab = join(dir, 'in-lab.kubeconfig');
    let ca: string | undefined;
    if (kube === 'lite') {
      writeFileSync(inLab, kubeconfigText(`http://${API.v4}:${API.port}`));
      handle.record(spawnDaemon('apiserver', [process.execPath, self, '_apiserver', '--host', API.v4, '--port', String(API.port), '--insecure-allow-remote', '--crds', crds, '--snapshot', join(dir, 'api', 'snapshot.json'), '--durability', 'write'], join(dir, 'logs', 'apiserver.log'), t.cp.ns));
    } else {
      // dual-stack Service CIDRs (a Service is IPv4 unless it asks for IPv6): IPv6 and
      // dual-stack LoadBalancers work on the real control plane as on apiserver-lite
      const r = kubeLab(['up', '--dir', join(dir, 'kube'), '--netns', t.cp.ns, '--address', API.v4, '--port', String(API.port), '--service-cidr', SERVICE_CIDRS, '--unsafe-no-fsync']);
      if (r.status !== 0) throw new Error(`the real control plane did not start (kube-lab up): ${r.err.trim().split('\n').slice(-8).join('\n')}`);
      writeFileSync(inLab, readFileSync(join(dir, 'kube', 'admin.kubeconfig'), 'utf8'));
      ca = join(dir, 'kube', 'pki', 'ca.crt');
    }
    // ---- the host's way in (127.0.0.1 → Unix socket → the API server) ---------------------
    const sock = join(dir, 'api.sock');
    handle.record(spawnDaemon('relay-in', [process.execPath, self, '_relay-in', sock, API.v4, String(API.port)], join(dir, 'logs', 'relay-in.log'), t.cp.ns));
    st.apiPort = await freePort();
    handle.record(spawnDaemon('relay-out', [process.execPath, self, '_relay-out', '127.0.0.1', String(st.apiPort), sock], join(dir, 'logs', 'relay-out.log')));
    writeFileSync(handle.kubeconfig, kube === 'lite' ? kubeconfigText(`http://127.0.0.1:${st.apiPort}`) : hostKubeconfigReal(readFileSync(inLab, 'utf8'), st.apiPort));
    writeState(st);
    handle.connect();
    await waitUntil('the API server', async () => {
      await handle.client.list(Resources.namespaces, { limit: 1 });
      return true;
    }, 120_000, 200);
    log(`API server (${kube === 'lite' ? 'apiserver-lite' : 'kube-apiserver, etcd, kube-controller-manager'}) at ${API.v4}:${API.port} in ${t.cp.ns}`);
    if (kube === 'real') {
      const k = handle.kubectl(['apply', '--server-side', '-f', crds]);
      if (k.status !== 0) throw new Error(`applying deploy/crds failed: ${k.err}`);
      await waitUntil('the metallb.io CRDs', () => handle.kubectl(['get', 'ipaddresspools', '-A']).status === 0, 60_000, 300);
      void ca;
    }

    // ---- Kubernetes objects of the nodes --------------------------------------------------
    await createIgnoringConflict(handle.client, Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MS } });
    for (const n of t.nodes) await handle.registerNode(n);
    writeFileSync(join(dir, 'secret', 'secretkey'), ML_SECRET);
    const kc = handle.appKubeconfigs();
    st.kubeconfigs = { controller: kc.controller, speaker: kc.speaker };

    // ---- node agents, router, controller, speakers ------------------------------------
    for (const n of t.nodes) handle.record(spawnDaemon(`node-${n.name}`, [process.execPath, self, '_node', '--prefix', prefix, '--nodes', String(t.nodes.length), '--name', n.name, '--kubeconfig', inLab], join(dir, 'logs', `node-${n.name}.log`), n.ns));
    for (const r of startRouter(t, join(dir, 'frr'), (f, text) => writeFileSync(f, text))) handle.record(r);
    if (st.metallb?.controller) handle.startMetallbController();
    else handle.startController(kc.controller);
    for (const n of t.nodes) {
      if (st.metallb?.speaker) handle.startMetallbSpeaker(n.name, o.speakerLogLevel);
      else handle.startSpeaker(n.name, o.speakerLogLevel, kc.speaker);
    }
    writeState(st);

    await waitUntil('the router (FRR zebra and bgpd)', () => routerReady(t, join(dir, 'frr')), 30_000, 200);
    await waitUntil('the controller /readyz', () => handle.controllerReady(), 60_000, 200);
    await waitUntil('every speaker /readyz', () => t.nodes.every((n) => handle.speakerReady(n.name)), 60_000, 200);
    await waitUntil('the node agents', () => t.nodes.every((n) => readFileSync(join(dir, 'logs', `node-${n.name}.log`), 'utf8').includes('node agent synced')), 60_000, 200);
    handle.assertRunning();
    st.ready = true;
    writeState(st);
    return handle;
  } catch (e) {
    let msg = (e as Error).message;
    for (const p of st.procs) if (!alive(p)) msg += `\n--- ${p.role} exited; ${p.log} ends with:\n${tail(p.log, 8)}`;
    if (process.env['METALLB_TS_LAB_KEEP_ON_FAILURE']) msg += `\n(the lab is left as it is for debugging: ${dir}; "lab down${prefix === DEFAULT_PREFIX ? '' : ` --prefix ${prefix}`}" removes it)`;
    else await down(prefix);
    throw new Error(`lab up failed: ${msg}`);
  }
}

async function createIgnoringConflict(c: KubeClient, r: ResourceRef, ns: string | undefined, o: KubeObject): Promise<void> {
  try {
    await c.create(r, ns, o);
  } catch (e) {
    if (!isApiError(e, 409)) throw e;
  }
}

/** A kubeconfig for an http server (client-node needs `insecure-skip-tls-verify` for http). */
export function kubeconfigText(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: metallb-ts-lab, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: lab-admin, user: {token: lab}}]',
    'contexts: [{name: metallb-ts-lab, context: {cluster: metallb-ts-lab, user: lab-admin, namespace: default}}]',
    'current-context: metallb-ts-lab',
    '',
  ].join('\n');
}

/** The admin kubeconfig of the real control plane, its server moved to the host-side relay (the serving certificate has 127.0.0.1). */
function hostKubeconfigReal(admin: string, port: number): string {
  const doc = parse(admin) as { clusters?: { cluster?: { server?: string } }[] };
  for (const c of doc.clusters ?? []) if (c.cluster) c.cluster.server = `https://127.0.0.1:${port}`;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A running lab, from `up` or attached to by prefix. */
export class LabHandle {
  client!: KubeClient;
  private kubectlBin: string | undefined;

  constructor(readonly state: LabState, readonly topo: Topology) {}

  /** Attaches to the lab of `prefix` (throws when there is none). */
  static attach(prefix = DEFAULT_PREFIX): LabHandle {
    const st = readState(prefix);
    if (!st) throw new Error(`no lab "${prefix}" here (${labDir(prefix)}/state.json is missing): run "lab up"`);
    const h = new LabHandle(st, topology(st.prefix, st.nodes));
    h.connect();
    return h;
  }

  /** The host-side kubeconfig (`lab kubeconfig`). */
  get kubeconfig(): string {
    return join(this.state.dir, 'kubeconfig');
  }

  /** The kubeconfig of processes inside the lab (the API server's segment address). */
  get inLabKubeconfig(): string {
    return join(this.state.dir, 'in-lab.kubeconfig');
  }

  connect(): void {
    this.client?.close();
    this.client = new KubeClient(loadClientConfig({ kubeconfig: this.kubeconfig, qps: 500, burst: 500 }));
  }

  record(r: ProcRecord): void {
    this.state.procs = [...this.state.procs.filter((p) => p.role !== r.role), r];
    writeState(this.state);
  }

  proc(role: string): ProcRecord | undefined {
    return this.state.procs.find((p) => p.role === role);
  }

  node(name: string): NodeHost {
    const n = this.topo.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in the lab`);
    return n;
  }

  /** Throws with the log's tail when a recorded process died. */
  assertRunning(): void {
    for (const p of this.state.procs) {
      if (!alive(p)) throw new Error(`${p.role} (pid ${p.pid}) is not running; its log ${p.log} ends with:\n${tail(p.log, 12)}`);
    }
  }

  /** Registers a Node (addresses, Ready) and its speaker Pod (Running, podIP = node address), as kubelet would. */
  async registerNode(n: NodeHost): Promise<void> {
    const c = this.client;
    await createIgnoringConflict(c, Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux' } } });
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await c.patch(Resources.nodes, undefined, n.name, 'application/merge-patch+json', {
      status: {
        addresses: [
          { type: 'InternalIP', address: n.v4 },
          { type: 'InternalIP', address: n.v6 },
          { type: 'Hostname', address: n.name },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'lab node agent', lastHeartbeatTime: now, lastTransitionTime: now }],
      },
    }, {}, 'status');
    const pod = `speaker-${n.name}`;
    await createIgnoringConflict(c, Resources.pods, MS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, namespace: MS, labels: { ...SPEAKER_LABELS } },
      spec: { nodeName: n.name, hostNetwork: true, containers: [{ name: 'speaker', image: 'metallb-ts/speaker:lab' }] },
    });
    await c.patch(Resources.pods, MS, pod, 'application/merge-patch+json', {
      status: { phase: 'Running', podIP: n.v4, podIPs: [{ ip: n.v4 }, { ip: n.v6 }], hostIP: n.v4, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] },
    }, {}, 'status');
  }

  /**
   * The kubeconfigs the controller and speakers use: on the real control plane, their
   * ServiceAccounts' tokens when deploy/kustomize/base/rbac.yaml is there (applied first), else
   * the admin kubeconfig; on apiserver-lite, the in-lab kubeconfig.
   */
  appKubeconfigs(): { controller: string; speaker: string; rbac: boolean } {
    if (this.state.kube === 'lite') return { controller: this.inLabKubeconfig, speaker: this.inLabKubeconfig, rbac: false };
    const rbac = join(repoRoot(), 'deploy', 'kustomize', 'base', 'rbac.yaml');
    if (!existsSync(rbac)) return { controller: this.inLabKubeconfig, speaker: this.inLabKubeconfig, rbac: false };
    const k = this.kubectl(['apply', '-f', rbac]);
    if (k.status !== 0) throw new Error(`applying ${rbac} failed: ${k.err}`);
    const sa = (name: string) => {
      const r = kubeLab(['kubeconfig', '--dir', join(this.state.dir, 'kube'), '--namespace', MS, '--service-account', name], 60_000);
      if (r.status !== 0) throw new Error(`kube-lab kubeconfig for ${MS}/${name} failed: ${r.err}`);
      return r.out.trim().split('\n').pop()!;
    };
    return { controller: sa('controller'), speaker: sa('speaker'), rbac: true };
  }

  /** Starts (or restarts) the controller in the control-plane namespace. */
  startController(kubeconfig = this.appKubeconfigFor('controller')): ProcRecord {
    const log = join(this.state.dir, 'logs', 'controller.log');
    const logOffset = logSize(log);
    const r = spawnDaemon('controller', [process.execPath, join(repoRoot(), 'dist', 'apps', 'controller', 'main.mjs'), '--kubeconfig', kubeconfig, '--namespace', MS, '--port', '7572', '--log-level', 'info'], log, this.topo.cp.ns);
    this.record({ ...r, impl: 'metallb-ts', kubeconfig, logOffset } as AppRecord);
    return r;
  }

  private appKubeconfigFor(role: 'controller' | 'speaker'): string {
    if (this.state.kubeconfigs) return this.state.kubeconfigs[role];
    const prev = this.state.procs.find((p) => (p.role === role || p.role.startsWith(`${role}-`)) && (p as AppRecord).impl !== 'metallb') as AppRecord | undefined;
    return prev?.kubeconfig ?? this.inLabKubeconfig;
  }

  private metallbBinary(what: 'controller' | 'speaker', given?: string): string {
    const b = given ?? this.state.metallb?.[what];
    if (!b) throw new Error(`no MetalLB ${what} binary: give it to "lab up --metallb-${what} BIN" (npx metallb-peer build prints it)`);
    if (!existsSync(b)) throw new Error(`MetalLB's ${what} ${b} does not exist: build it with "npx metallb-peer build"`);
    if (!this.state.metallb?.[what]) {
      this.state.metallb = { ...this.state.metallb, [what]: b };
      writeState(this.state);
    }
    return b;
  }

  /** The environment of a MetalLB process: the lab's admin kubeconfig, native BGP, no METALLB_* of ours leaking in. */
  private metallbEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('METALLB_') && k !== 'KUBECONFIG') env[k] = v;
    return { ...env, KUBECONFIG: this.inLabKubeconfig, METALLB_BGP_TYPE: 'native' };
  }

  /**
   * Starts (or restarts) MetalLB's own controller in the control-plane namespace, as its
   * Deployment would run it (no webhook, no certificate rotation: nothing calls a webhook in the
   * lab), with the admin kubeconfig (MetalLB's RBAC is not ours). Log: `logs/metallb-controller.log`.
   */
  startMetallbController(binary?: string): ProcRecord {
    const bin = this.metallbBinary('controller', binary);
    const log = join(this.state.dir, 'logs', 'metallb-controller.log');
    const logOffset = logSize(log);
    const r = spawnDaemon('controller', [bin, `--namespace=${MS}`, '--port=7572', '--log-level=info', '--webhook-mode=disabled', '--disable-cert-rotation'], log, this.topo.cp.ns, this.metallbEnv());
    this.record({ ...r, impl: 'metallb', kubeconfig: this.inLabKubeconfig, logOffset } as AppRecord);
    return r;
  }

  /**
   * Starts (or restarts) MetalLB's own speaker on node `name`, as its DaemonSet pod would run it:
   * native BGP, memberlist on the node address with the same labels and secret as ours (so Go
   * and TS speakers form one cluster), metrics on :7472. Log: `logs/metallb-speaker-<node>.log`.
   */
  startMetallbSpeaker(name: string, logLevel = 'info', binary?: string): ProcRecord {
    const bin = this.metallbBinary('speaker', binary);
    const n = this.node(name);
    const log = join(this.state.dir, 'logs', `metallb-speaker-${n.name}.log`);
    const logOffset = logSize(log);
    const argv = [
      bin, `--namespace=${MS}`, '--port=7472', `--log-level=${logLevel}`, `--node-name=${n.name}`, `--pod-name=speaker-${n.name}`,
      `--ml-bindaddr=${n.v4}`, '--ml-bindport=7946', '--ml-labels=app=metallb,component=speaker', `--ml-secret-key-path=${join(this.state.dir, 'secret')}`,
    ];
    const r = spawnDaemon(`speaker-${n.name}`, argv, log, n.ns, this.metallbEnv());
    this.record({ ...r, impl: 'metallb', kubeconfig: this.inLabKubeconfig, logOffset } as AppRecord);
    return r;
  }

  /** Which implementation runs `role` (`controller`, `speaker-<node>`) now, if it is recorded. */
  impl(role: string): Impl | undefined {
    const r = this.proc(role) as AppRecord | undefined;
    return r ? (r.impl ?? 'metallb-ts') : undefined;
  }

  /** The controller answers its probe (ours: /readyz; MetalLB's, which has no probe of its own in the lab: /metrics). */
  controllerReady(): boolean {
    return this.httpStatus(this.topo.cp.ns, 7572, this.impl('controller') === 'metallb' ? '/metrics' : '/readyz') === 200;
  }

  /** The speaker of `name` answers its probe (ours: /readyz; MetalLB's: /metrics). */
  speakerReady(name: string): boolean {
    return this.httpStatus(this.node(name).ns, 7472, this.impl(`speaker-${name}`) === 'metallb' ? '/metrics' : '/readyz') === 200;
  }

  /**
   * Replaces the speaker of node `name` by `impl`'s, the way a DaemonSet update does: the old one
   * gets SIGTERM (or `signal`; SIGKILL after `graceMs`), then the new one starts (ours with
   * `extraArgs`, e.g. `--ml-preset fast`) and is waited for until ready.
   */
  async replaceSpeaker(name: string, impl: Impl, o: { graceMs?: number; logLevel?: string; timeoutMs?: number; signal?: NodeJS.Signals; extraArgs?: readonly string[] } = {}): Promise<ProcRecord> {
    const old = this.proc(`speaker-${name}`);
    if (old) await stopProcess(old, o.graceMs ?? 5000, o.signal ?? 'SIGTERM');
    const r = impl === 'metallb' ? this.startMetallbSpeaker(name, o.logLevel) : this.startSpeaker(name, o.logLevel, undefined, o.extraArgs);
    const how = await waitUntil(`the ${impl} speaker of ${name} ready`, () => (!alive(r) ? 'exited' : this.speakerReady(name) ? 'ready' : undefined), o.timeoutMs ?? 60_000, 200);
    if (how === 'exited') throw new Error(`the ${impl} speaker of ${name} exited; ${r.log} ends with:\n${tail(r.log, 12)}`);
    return r;
  }

  /** Replaces the controller by `impl`'s (SIGTERM to the old one, then the new one, waited for until ready). */
  async replaceController(impl: Impl, o: { graceMs?: number; timeoutMs?: number } = {}): Promise<ProcRecord> {
    const old = this.proc('controller');
    if (old) await stopProcess(old, o.graceMs ?? 5000, 'SIGTERM');
    const r = impl === 'metallb' ? this.startMetallbController() : this.startController();
    const how = await waitUntil(`the ${impl} controller ready`, () => (!alive(r) ? 'exited' : this.controllerReady() ? 'ready' : undefined), o.timeoutMs ?? 60_000, 200);
    if (how === 'exited') throw new Error(`the ${impl} controller exited; ${r.log} ends with:\n${tail(r.log, 12)}`);
    return r;
  }

  /**
   * The memberlist members the speaker of `name` reported since it started (itself included),
   * replayed from its own log lines: ours print `memberlist event` (join/update/leave/dead of
   * another member), MetalLB's `node event - forcing sync` (NodeJoin/NodeUpdate/NodeLeave, itself
   * included). Undefined when no speaker is recorded there.
   */
  memberView(name: string): string[] | undefined {
    const r = this.proc(`speaker-${name}`) as AppRecord | undefined;
    if (!r) return undefined;
    let text = '';
    try {
      text = readFileSync(r.log).subarray(r.logOffset ?? 0).toString('utf8');
    } catch {
      return undefined;
    }
    return memberViewFromLog(text, name, r.impl ?? 'metallb-ts');
  }

  /** Starts (or restarts) our speaker of node `name`, as its DaemonSet pod would run. */
  startSpeaker(name: string, logLevel = 'info', kubeconfig = this.appKubeconfigFor('speaker'), extraArgs: readonly string[] = []): ProcRecord {
    const n = this.node(name);
    const log = join(this.state.dir, 'logs', `speaker-${n.name}.log`);
    const logOffset = logSize(log);
    const argv = [
      process.execPath, join(repoRoot(), 'dist', 'apps', 'speaker', 'main.mjs'),
      '--node-name', n.name, '--pod-name', `speaker-${n.name}`, '--namespace', MS, '--kubeconfig', kubeconfig,
      '--ml-bindaddr', n.v4, '--ml-labels', 'app=metallb,component=speaker', '--ml-secret-key-path', join(this.state.dir, 'secret'),
      '--port', '7472', '--log-level', logLevel, ...extraArgs,
    ];
    const r = spawnDaemon(`speaker-${n.name}`, argv, log, n.ns);
    this.record({ ...r, impl: 'metallb-ts', kubeconfig, logOffset } as AppRecord);
    return r;
  }

  /** Signals the speaker of `name` (SIGKILL: a crash; SIGTERM: a graceful stop); resolves when it is gone. */
  async stopSpeaker(name: string, sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const r = this.proc(`speaker-${name}`);
    if (r) await stopProcess(r, 5000, sig);
  }

  /** Stops and starts a recorded daemon with the same command line (the controller, a speaker, the API server, a node agent). */
  async restart(role: string, sig: NodeJS.Signals = 'SIGTERM'): Promise<ProcRecord> {
    const r = this.proc(role);
    if (!r) throw new Error(`no process ${role} in the lab`);
    const cmd = readFileSync(`/proc/${r.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    await stopProcess(r, 5000, sig);
    const argv = cmd[0] === 'ip' && cmd[1] === 'netns' ? cmd.slice(4) : cmd;
    const n = spawnDaemon(role, argv, r.log, r.ns, (r as AppRecord).impl === 'metallb' ? this.metallbEnv() : undefined);
    this.record({ ...(r as object), ...n, logOffset: logSize(r.log) } as AppRecord);
    return n;
  }

  /**
   * Restarts the API server: apiserver-lite (SIGTERM, its snapshot is written; started again on
   * it), or the real control plane (kube-lab down, then up on the same data).
   */
  async restartApiServer(): Promise<void> {
    if (this.state.kube === 'lite') {
      await this.restart('apiserver');
    } else {
      const dir = join(this.state.dir, 'kube');
      const d = kubeLab(['down', '--dir', dir], 120_000);
      if (d.status !== 0) throw new Error(`kube-lab down: ${d.err}`);
      const u = kubeLab(['up', '--dir', dir, '--netns', this.topo.cp.ns, '--address', API.v4, '--port', String(API.port), '--unsafe-no-fsync'], 300_000);
      if (u.status !== 0) throw new Error(`kube-lab up: ${u.err}`);
    }
    // connections kept alive to the old server are gone: a new client, once the server answers
    this.connect();
    await waitUntil('the API server after its restart', async () => {
      await this.client.list(Resources.namespaces, { limit: 1 });
      return true;
    }, 120_000, 300);
    this.connect();
  }

  /** HTTP status of `GET http://127.0.0.1:port/path` inside `ns` (0 when nothing answers). */
  httpStatus(ns: string, port: number, path: string): number {
    const r = attempt(inNs(ns, ['curl', '-s', '-o', '/dev/null', '-m', '2', '-w', '%{http_code}', `http://127.0.0.1:${port}${path}`]), { timeoutMs: 5000 });
    return Number(r.out.trim()) || 0;
  }

  /** Whether a kubectl binary was found (PATH, or the pinned one of the real control plane). */
  hasKubectl(): boolean {
    if (process.env['METALLB_TS_LAB_NO_KUBECTL']) return false;
    this.kubectlBin ??= kubectlBinary(this.state.kube);
    return this.kubectlBin !== undefined;
  }

  /** kubectl with the host kubeconfig: { status, out, err }. */
  kubectl(args: string[]): { status: number | null; out: string; err: string } {
    this.kubectlBin ??= kubectlBinary(this.state.kube);
    if (!this.kubectlBin) return { status: 127, out: '', err: 'kubectl is not installed' };
    return attempt([this.kubectlBin, '--kubeconfig', this.kubeconfig, '--cache-dir', join(this.state.dir, 'kube-cache'), ...args], { timeoutMs: 30_000 });
  }

  /** `curl -s http://…/` from `from` (the client by default): { ok, body, err }. */
  curl(url: string, from: string = this.topo.client.ns, timeoutS = 3): { ok: boolean; body: string; err: string } {
    const r = attempt(inNs(from, ['curl', '-sS', '-g', '-m', String(timeoutS), url]), { timeoutMs: (timeoutS + 3) * 1000 });
    return { ok: r.status === 0, body: r.out, err: r.err.trim() };
  }

  /** The client's neighbour entry for `addr` ({ mac, state }), as `ip neigh` shows it. */
  neigh(addr: string, ns: string = this.topo.client.ns): { mac?: string; state?: string; line: string } {
    const line = quiet(['ip', '-n', ns, 'neigh', 'show', addr]).trim();
    const m = /lladdr ([0-9a-f:]{17})/.exec(line);
    const st = line.split(/\s+/).pop();
    return { ...(m ? { mac: m[1] } : {}), ...(st ? { state: st } : {}), line };
  }

  /** The node whose eth0 has `mac`. */
  nodeByMac(mac: string | undefined): NodeHost | undefined {
    return this.topo.nodes.find((n) => n.mac === mac?.toLowerCase());
  }

  /** The router's kernel route to `prefix` (`ip route show`), and its next hops. */
  routerRoute(prefix: string): { text: string; nexthops: string[] } {
    const six = prefix.includes(':');
    const text = quiet(['ip', '-n', this.topo.router.ns, ...(six ? ['-6'] : []), 'route', 'show', prefix]).trim();
    const nexthops = [...text.matchAll(/via (\S+)/g)].map((m) => m[1]!).sort();
    return { text, nexthops };
  }

  /** `vtysh -c` on the router (bgpd, or zebra). */
  vtysh(command: string, daemon = 'bgpd'): string {
    return vtysh(this.topo, join(this.state.dir, 'frr'), command, daemon);
  }

  /** Runs argv inside a lab namespace. */
  exec(ns: string, argv: string[], timeoutMs = 10_000): { status: number | null; out: string; err: string } {
    return attempt(inNs(ns, argv), { timeoutMs });
  }

  /** Sets the bridge port of node `name` down/up: its eth0 loses (or regains) carrier. */
  setCarrier(name: string, upState: boolean): void {
    ip('-n', this.topo.cp.ns, 'link', 'set', this.node(name).port, upState ? 'up' : 'down');
  }

  /** Creates or replaces objects from YAML/JSON text with kubectl apply. */
  apply(text: string): { status: number | null; out: string; err: string } {
    const f = join(this.state.dir, `apply-${process.pid}-${Date.now()}.yaml`);
    writeFileSync(f, text);
    try {
      return this.kubectl(['apply', '-f', f]);
    } finally {
      rmSync(f, { force: true });
    }
  }

  /**
   * Creates `replicas` Pods of app `app` the way a Deployment's ReplicaSet and the scheduler
   * would (names `<app>-<hash>-<suffix>`, spread over the nodes, or on `nodes` if given).
   */
  async createPods(app: string, replicas: number, o: { nodes?: string[]; namespace?: string; port?: number } = {}): Promise<string[]> {
    const ns = o.namespace ?? 'default';
    const nodes = o.nodes ?? this.topo.nodes.map((n) => n.name);
    const existing = (await this.client.list<KubeObject>(Resources.pods, { namespace: ns, labelSelector: `app=${app}` })).items.length;
    const names: string[] = [];
    for (let i = 0; i < replicas; i++) {
      const name = `${app}-6d4cf56db6-${randomSuffix()}`;
      const nodeName = nodes[(existing + i) % nodes.length]!;
      await this.client.create(Resources.pods, ns, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: ns, labels: { app } },
        spec: { nodeName, containers: [{ name: app, image: 'metallb-ts/lab-http', ports: [{ containerPort: o.port ?? 8080, protocol: 'TCP' }] }] },
      });
      names.push(name);
    }
    return names;
  }

  /** Deletes a Pod (grace period 0, as a kubelet confirms). */
  async deletePod(name: string, namespace = 'default'): Promise<void> {
    await this.client.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 } });
  }

  /** Pods of `app` that are Ready, with their nodes and IPs. */
  async readyPods(app: string, namespace = 'default'): Promise<{ name: string; node: string; ip: string }[]> {
    const l = await this.client.list<KubeObject>(Resources.pods, { namespace, labelSelector: `app=${app}` });
    return l.items
      .filter((p) => !p.metadata.deletionTimestamp && ((p.status?.['conditions'] as { type: string; status: string }[] | undefined) ?? []).some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => ({ name: p.metadata.name!, node: String((p.spec as { nodeName?: string }).nodeName), ip: String(p.status?.['podIP'] ?? '') }));
  }

  /** The Service's LoadBalancer ingress IPs. */
  async ingress(name: string, namespace = 'default'): Promise<string[]> {
    try {
      const s = await this.client.get<KubeObject>(Resources.services, namespace, name);
      return ((s.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
    } catch (e) {
      if (isApiError(e, 404)) return [];
      throw e;
    }
  }

  /** The nodes announcing `svc` in Layer 2 (its ServiceL2Status objects). */
  async l2Nodes(svc: string, namespace = 'default'): Promise<string[]> {
    const l = await this.client.list<KubeObject>(R.l2status, { namespace: MS, labelSelector: `metallb.io/service-name=${svc},metallb.io/service-namespace=${namespace}` });
    return l.items.map((o) => String((o.status as { node?: string } | undefined)?.node ?? o.metadata.labels?.['metallb.io/node'] ?? '')).filter(Boolean).sort();
  }

  /** The last lines of a role's log. */
  tail(role: string, n = 15): string {
    const r = this.proc(role);
    return r ? tail(r.log, n) : '';
  }

  close(): void {
    this.client?.close();
  }
}

function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Replays a speaker's log into the memberlist members it last reported (pure): ours log
 * `{"msg":"memberlist event","event":"join|update|leave|dead","member":…}` for other members;
 * MetalLB's `{"msg":"node event - forcing sync","node name":…,"node event":"NodeJoin|NodeUpdate|NodeLeave"}`,
 * itself included. The speaker itself is always a member of its own view.
 */
export function memberViewFromLog(text: string, self: string, impl: Impl): string[] {
  const members = new Set<string>([self]);
  for (const line of text.split('\n')) {
    if (!line.startsWith('{') || !line.includes(impl === 'metallb' ? 'node event - forcing sync' : 'memberlist event')) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const [who, ev] = impl === 'metallb' ? [rec['node name'], rec['node event']] : [rec['member'], rec['event']];
    if (typeof who !== 'string' || who === self) continue;
    if (ev === 'join' || ev === 'update' || ev === 'NodeJoin' || ev === 'NodeUpdate') members.add(who);
    else if (ev === 'leave' || ev === 'dead' || ev === 'NodeLeave') members.delete(who);
  }
  return [...members].sort();
}

/** The last `n` lines of a file. */
export function tail(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

function randomSuffix(): string {
  const a = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += a[Math.floor(Math.random() * a.length)];
  return s;
}

/** The kubectl to use: on PATH, else the pinned one kube-lab built (the real tier's cache). */
export function kubectlBinary(kube: KubeKind): string | undefined {
  const cache = join(process.env['XDG_CACHE_HOME'] ?? join(process.env['HOME'] ?? '/root', '.cache'), 'metallb-ts', 'kube');
  const pinned = existsSync(cache) ? quiet(['sh', '-c', `ls -d ${cache}/kubernetes-*/kubectl 2>/dev/null | tail -1`]).trim() : '';
  if (kube === 'real' && pinned) return pinned;
  return which('kubectl', ['/usr/local/bin/kubectl', '/usr/bin/kubectl']) ?? (pinned || undefined);
}

/** Whether the recorded process runs (for `status`). */
export { alive, must };
