/**
 * The speaker's integration lab, on `@metallb-ts/test-lab`: apiserver-lite (with deploy/crds) in
 * a control-plane namespace at 198.51.100.1, three node namespaces n1..n3 (198.51.100.11-13,
 * 2001:db8::11-13) on the same bridge, each running the bundled speaker
 * (`dist/apps/speaker/main.mjs`) with memberlist, a client namespace (198.51.100.50,
 * 2001:db8::50) for `arping`/`ndisc6`/neighbour tables, an optional router namespace
 * (198.51.100.2, 2001:db8::2) for FRR or gobgpd, and the bundled controller
 * (`dist/apps/controller/main.mjs`) in the control-plane namespace assigning Service IPs.
 *
 * The control plane is either apiserver-lite (the default) or the real one of `@metallb-ts/kube`
 * (etcd, kube-apiserver, kube-controller-manager) started inside the control-plane namespace at
 * 198.51.100.1:6443 with RBAC enforced: then the speakers run as ServiceAccount
 * `metallb-system/speaker` and the controller as `metallb-system/controller`, bound by
 * `deploy/kustomize/base/rbac.yaml`, and the test itself is admin. The real server's Service
 * range is IPv4 only, so there Services are single-stack (see {@link SpeakerLab.dualStack}).
 *
 * The test process reaches the API server through `relayToLoopback` (no route from the root
 * namespace to the segment). Node and speaker Pod objects are registered as a kubelet would:
 * Nodes with InternalIP addresses and labels, Pods `app=metallb,component=speaker` in
 * metallb-system with `spec.nodeName` and `status.podIP`, which is what memberlist discovery lists.
 */
import { KubeClient, loadClientConfig, Resources, isApiError, type KubeObject, type ResourceRef } from '@metallb-ts/k8s-watch';
import { arping, kubeconfigFor, Lab, relayToLoopback, removeDir, repoRoot, startControlPlane, tempDir, waitFor, type JsonLine, type JsonLinesProcess, type LoopbackRelay } from '@metallb-ts/test-lab';
// tools/kube is type:tooling like tools/test-lab, which eslint.config.mjs allows in tests; kube is
// not on that list yet (reported): the kube-apiserver matrix needs it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { down, goSkipReason, kubectl, serviceAccountKubeconfig, up } from '@metallb-ts/kube';
import { labDescribe } from '@metallb-ts/test-lab/vitest';
import { describe } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = repoRoot();
export const SPEAKER = join(ROOT, 'dist', 'apps', 'speaker', 'main.mjs');
export const CONTROLLER = join(ROOT, 'dist', 'apps', 'controller', 'main.mjs');
export const MS = 'metallb-system';
export const SPEAKER_LABELS = { app: 'metallb', component: 'speaker' } as const;
/** The memberlist secret in the lab's `secretkey` file (`--ml-secret-key-path`); MetalLB derives the AES key from it. */
export const ML_SECRET = 'metallb-ts-lab-memberlist-key-0123456789';

const metallb = (plural: string, version = 'v1beta1'): ResourceRef => ({ group: 'metallb.io', version, plural });
/** The metallb.io resources the tests touch. */
export const R = {
  pools: metallb('ipaddresspools'),
  l2ads: metallb('l2advertisements'),
  bgpads: metallb('bgpadvertisements'),
  peers: metallb('bgppeers', 'v1beta2'),
  l2status: metallb('servicel2statuses'),
  bgpstatus: metallb('servicebgpstatuses'),
  configStates: metallb('configurationstates'),
} as const;

/** Which API server the lab runs. */
export type LabServer = 'apiserver-lite' | 'kube-apiserver';

/** The servers integration suites run against, each with why it is skipped here (if it is). */
export const LAB_SERVERS: readonly { server: LabServer; skip: string | undefined }[] = [
  { server: 'apiserver-lite', skip: undefined },
  { server: 'kube-apiserver', skip: goSkipReason() },
];

/** `labDescribe` for one of {@link LAB_SERVERS}: skipped, with the reason in the title, where that server cannot run. */
export function serverDescribe(title: string, tools: string[], skip: string | undefined): typeof describe {
  if (skip) return ((name: string, fn: () => void) => describe.skip(`${name} [skipped: ${skip}]`, fn)) as unknown as typeof describe;
  return labDescribe(title, tools);
}

/** The API server side of the lab: its namespace, node plumbing, and what each party connects with. */
interface LabControlPlane {
  readonly ns: string;
  /** The speakers' kubeconfig (inside the lab). */
  readonly speakerKubeconfig: string;
  /** The controller's kubeconfig (inside the lab). */
  readonly controllerKubeconfig: string;
  /** A kubeconfig for the test process through the relay to `relayPort`. */
  testKubeconfig(relayUrl: string): string;
  addNode(suffix: string, address: string): string;
  stop(): Promise<void>;
}

const SEGMENT = { address: '198.51.100.1', prefixLength: 24, port: 6443 } as const;

/** apiserver-lite in the control-plane namespace (every party uses its one kubeconfig). */
async function liteControlPlane(lab: Lab): Promise<LabControlPlane> {
  const cp = await startControlPlane(lab, { crds: join(ROOT, 'deploy', 'crds') });
  return {
    ns: cp.ns,
    speakerKubeconfig: cp.kubeconfig,
    controllerKubeconfig: cp.kubeconfig,
    testKubeconfig: (url) => kubeconfigFor(url),
    addNode: (suffix, address) => cp.addNode(suffix, address),
    stop: () => cp.stop(),
  };
}

/**
 * The real control plane inside the control-plane namespace: the CRDs, the namespace and RBAC of
 * deploy/kustomize/base, and TokenRequest kubeconfigs of the two ServiceAccounts.
 */
async function kubeControlPlane(lab: Lab, dir: string): Promise<LabControlPlane> {
  const ns = lab.ns('cp');
  lab.bridge(ns, 'br0', [`${SEGMENT.address}/${SEGMENT.prefixLength}`]);
  const kdir = join(dir, 'kube');
  const stop = async () => {
    await down({ dir: kdir, graceMs: 5000 });
  };
  try {
    const cp = await up({ dir: kdir, netns: ns, address: SEGMENT.address, apiserverPort: SEGMENT.port, etcdUnsafeNoFsync: true });
    const must = async (args: string[]) => {
      const r = await kubectl(args, { dir: kdir, timeoutMs: 90_000 });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    };
    await must(['apply', '-f', join(ROOT, 'deploy', 'crds')]);
    await must(['apply', '-f', join(ROOT, 'deploy', 'kustomize', 'base', 'namespace.yaml'), '-f', join(ROOT, 'deploy', 'kustomize', 'base', 'rbac.yaml')]);
    await must(['wait', '--for', 'condition=Established', 'crd', '--all', '--timeout', '60s']);
    const speakerKubeconfig = await serviceAccountKubeconfig({ dir: kdir, namespace: MS, name: 'speaker', create: false });
    const controllerKubeconfig = await serviceAccountKubeconfig({ dir: kdir, namespace: MS, name: 'controller', create: false });
    const admin = JSON.parse(readFileSync(cp.kubeconfig, 'utf8')) as { users: { user: { 'client-certificate': string; 'client-key': string } }[] };
    let ifSeq = 0;
    return {
      ns,
      speakerKubeconfig,
      controllerKubeconfig,
      // The serving certificate names 127.0.0.1, so the relayed address verifies.
      testKubeconfig: (url) =>
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'lab', cluster: { server: url.replace(/^http:/, 'https:'), 'certificate-authority': cp.caFile } }],
          users: [{ name: 'admin', user: admin.users[0]!.user }],
          contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'admin', namespace: 'default' } }],
          'current-context': 'lab',
        }),
      addNode: (suffix, address) => {
        const node = lab.ns(suffix);
        lab.plug(ns, node, 'eth0', undefined, [`${address}/${SEGMENT.prefixLength}`], `n${++ifSeq}`);
        return node;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** One lab node: its namespace, addresses, MAC, and the speaker running in it (if any). */
export interface LabNode {
  readonly name: string;
  readonly ns: string;
  readonly v4: string;
  readonly v6: string;
  readonly mac: string;
  speaker?: SpeakerProc;
}

/** A speaker process with the times the test needs. */
export interface SpeakerProc {
  readonly node: string;
  readonly proc: JsonLinesProcess<JsonLine>;
  /** `performance.now()` when the process exited (undefined while it runs). */
  exitedAt?: number;
  exitCode?: number | null;
}

/** Options of {@link SpeakerLab.start}. */
export interface SpeakerLabOptions {
  /** Lab tag (namespaces `tl<tag>-<pid>-…`). */
  tag: string;
  /** Node count. @default 3 */
  nodes?: number;
  /** Also create the router namespace (198.51.100.2). @default false */
  router?: boolean;
  /** Labels per node name. */
  nodeLabels?: Record<string, Record<string, string>>;
  /** The API server. @default 'apiserver-lite' */
  server?: LabServer;
}

/** The lab. */
export class SpeakerLab {
  readonly nodes: LabNode[] = [];
  client!: KubeClient;
  clientNs!: string;
  routerNs: string | undefined;
  controller: JsonLinesProcess<JsonLine> | undefined;
  /** The API server this lab runs. */
  server: LabServer = 'apiserver-lite';
  private cp!: LabControlPlane;
  /** Every speaker and controller process started, restarts included (for {@link refusals}). */
  private readonly started: { name: string; proc: JsonLinesProcess<JsonLine> }[] = [];
  private relay!: LoopbackRelay;
  private readonly dir = tempDir('speaker-lab');

  private constructor(readonly lab: Lab) {}

  /** Builds the topology, registers Nodes and speaker Pods (speakers are started separately). */
  static async start(opts: SpeakerLabOptions): Promise<SpeakerLab> {
    for (const f of [SPEAKER, CONTROLLER]) if (!existsSync(f)) throw new Error(`${f} is missing: run "npx nx run speaker:build" and "npx nx run controller:build"`);
    const l = new SpeakerLab(new Lab(opts.tag));
    l.server = opts.server ?? 'apiserver-lite';
    try {
      l.cp = l.server === 'kube-apiserver' ? await kubeControlPlane(l.lab, l.dir) : await liteControlPlane(l.lab);
    } catch (e) {
      await l.lab.cleanup();
      removeDir(l.dir);
      throw e;
    }
    l.relay = await relayToLoopback(l.lab, l.cp.ns, SEGMENT.address, SEGMENT.port);
    const kc = join(l.dir, 'kubeconfig');
    writeFileSync(kc, l.cp.testKubeconfig(l.relay.url));
    l.client = new KubeClient(loadClientConfig({ kubeconfig: kc, qps: 1000, burst: 1000 }));
    await createIgnoringConflict(l.client, Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MS } });
    writeFileSync(join(l.dir, 'secretkey'), ML_SECRET);
    for (let i = 1; i <= (opts.nodes ?? 3); i++) {
      const name = `n${i}`;
      const v4 = `198.51.100.${10 + i}`;
      const v6 = `2001:db8::${10 + i}`;
      const ns = l.addHost(name, v4, v6);
      l.nodes.push({ name, ns, v4, v6, mac: l.macOf(ns) });
      await l.registerNode(name, v4, v6, opts.nodeLabels?.[name] ?? {});
    }
    l.clientNs = l.addHost('cl', '198.51.100.50', '2001:db8::50');
    if (opts.router) l.routerNs = l.addHost('rt', '198.51.100.2', '2001:db8::2');
    return l;
  }

  /**
   * Whether Services are dual-stack here: apiserver-lite allocates both families; the real
   * control plane's Service range is IPv4 only (`@metallb-ts/kube` takes one IPv4 CIDR).
   */
  get dualStack(): boolean {
    return this.server === 'apiserver-lite';
  }

  /** A namespace plugged into the segment with an IPv4 and an IPv6 address (e.g. a second router). */
  addHost(suffix: string, v4: string, v6: string): string {
    const ns = this.cp.addNode(suffix, v4);
    this.lab.ip('-n', ns, 'addr', 'add', `${v6}/64`, 'dev', 'eth0', 'nodad');
    return ns;
  }

  private macOf(ns: string): string {
    const j = JSON.parse(this.lab.must(ns, ['ip', '-j', 'link', 'show', 'eth0'])) as { address: string }[];
    return j[0]!.address.toLowerCase();
  }

  /** The Node object (status.addresses through the status subresource) and the speaker Pod. */
  private async registerNode(name: string, v4: string, v6: string, labels: Record<string, string>): Promise<void> {
    await this.client.create(Resources.nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels } } });
    await this.client.patch(Resources.nodes, undefined, name, 'application/merge-patch+json', {
      status: {
        addresses: [
          { type: 'InternalIP', address: v4 },
          { type: 'InternalIP', address: v6 },
          { type: 'Hostname', address: name },
        ],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    }, {}, 'status');
    const pod = `speaker-${name}`;
    await this.client.create(Resources.pods, MS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, namespace: MS, labels: { ...SPEAKER_LABELS } },
      spec: { nodeName: name, hostNetwork: true, serviceAccountName: 'speaker', automountServiceAccountToken: false, containers: [{ name: 'speaker', image: 'metallb-ts/speaker:lab' }] },
    });
    await this.client.patch(Resources.pods, MS, pod, 'application/merge-patch+json', { status: { phase: 'Running', podIP: v4, podIPs: [{ ip: v4 }, { ip: v6 }], hostIP: v4 } }, {}, 'status');
  }

  node(name: string): LabNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  }

  /** The node whose eth0 has `mac`. */
  nodeByMac(mac: string | undefined): LabNode | undefined {
    return this.nodes.find((n) => n.mac === mac?.toLowerCase());
  }

  /** Starts the bundled speaker in `name`'s namespace (memberlist `fast`, encrypted, metrics on 7472). */
  startSpeaker(name: string, extra: string[] = []): SpeakerProc {
    const n = this.node(name);
    if (n.speaker && n.speaker.exitedAt === undefined) throw new Error(`speaker ${name} already runs`);
    const argv = [
      process.execPath,
      SPEAKER,
      '--node-name', name,
      '--pod-name', `speaker-${name}`,
      '--namespace', MS,
      '--kubeconfig', this.cp.speakerKubeconfig,
      '--ml-bindaddr', n.v4,
      '--ml-labels', 'app=metallb,component=speaker',
      '--ml-secret-key-path', this.dir,
      '--ml-preset', 'fast',
      '--port', '7472',
      '--health-probe-port', '7473',
      '--interfaces-exclude-file', join(this.dir, 'no-such-exclude-file.yaml'),
      '--log-level', 'debug',
      ...extra,
    ];
    const proc = this.lab.process(n.ns, `speaker-${name}`, argv);
    this.started.push({ name: `speaker-${name}`, proc });
    const sp: SpeakerProc = { node: name, proc };
    void proc.exited.then((code) => {
      sp.exitedAt = performance.now();
      sp.exitCode = code;
    });
    n.speaker = sp;
    return sp;
  }

  /** Starts every speaker not running, then waits until each is ready and sees every running one. */
  async startSpeakers(): Promise<void> {
    for (const n of this.nodes) if (!n.speaker || n.speaker.exitedAt !== undefined) this.startSpeaker(n.name);
    await this.waitConverged();
  }

  /** Every running speaker answers /readyz and lists exactly the running speakers as members. */
  async waitConverged(timeoutMs = 45_000): Promise<void> {
    const running = this.nodes.filter((n) => n.speaker && n.speaker.exitedAt === undefined);
    const want = running.map((n) => n.name).sort().join(',');
    await waitFor(`speakers ${want} ready and converged`, () => {
      for (const n of running) {
        if (n.speaker!.exitedAt !== undefined) throw new Error(`speaker ${n.name} exited (${n.speaker!.exitCode}): ${n.speaker!.proc.tail(12)}\n${n.speaker!.proc.stderr}`);
        if (this.http(n.name, '/readyz').status !== 200) return false;
        if (this.members(n.name).join(',') !== want) return false;
      }
      return true;
    }, { timeoutMs, everyMs: 200 });
  }

  /** The members speaker `name` logged as live (from its `memberlist event` lines, itself included). */
  members(name: string): string[] {
    const sp = this.node(name).speaker;
    const live = new Set<string>([name]);
    for (const l of sp?.proc.lines ?? []) {
      if (l['msg'] !== 'memberlist event') continue;
      const m = String(l['member']);
      if (l['event'] === 'join' || l['event'] === 'update') live.add(m);
      else live.delete(m);
    }
    return [...live].sort();
  }

  /** GET `path` on the speaker's metrics/probe port from inside its namespace. */
  http(name: string, path: string, port = 7472): { status: number; body: string } {
    const r = this.lab.run(this.node(name).ns, ['curl', '-s', '-m', '2', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${path}`], 5000);
    const i = r.out.lastIndexOf('\n');
    return { status: Number(r.out.slice(i + 1)) || 0, body: r.out.slice(0, i) };
  }

  /** The value of one metric series on `name`'s /metrics (labels matched as a subset), or undefined. */
  metric(name: string, metricName: string, labels: Record<string, string> = {}): number | undefined {
    return metricValue(this.http(name, '/metrics').body, metricName, labels);
  }

  /** Starts the bundled controller in the control-plane namespace and waits until it is ready. */
  async startController(): Promise<void> {
    this.controller = this.lab.process(this.cp.ns, 'controller', [process.execPath, CONTROLLER, '--kubeconfig', this.cp.controllerKubeconfig, '--namespace', MS, '--port', '7572', '--leader-elect=false', '--log-level', 'info']);
    this.started.push({ name: 'controller', proc: this.controller });
    await waitFor('controller ready', () => {
      if (!this.controller!.running) throw new Error(`controller exited: ${this.controller!.tail(10)}\n${this.controller!.stderr}`);
      const r = this.lab.run(this.cp.ns, ['curl', '-s', '-o', '/dev/null', '-m', '2', '-w', '%{http_code}', 'http://127.0.0.1:7572/readyz'], 5000);
      return r.out.trim() === '200';
    }, { timeoutMs: 45_000, everyMs: 200 });
  }

  /** Creates or replaces a metallb.io object. */
  async apply(r: ResourceRef, obj: KubeObject): Promise<void> {
    try {
      await this.client.create(r, obj.metadata.namespace, obj);
    } catch (e) {
      if (!isApiError(e, 409)) throw e;
      const cur = await this.client.get<KubeObject>(r, obj.metadata.namespace, obj.metadata.name!);
      await this.client.update(r, obj.metadata.namespace, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
    }
  }

  /** A LoadBalancer Service in `default` (dual-stack unless `v4only` or the server is single-stack). */
  async createService(name: string, o: { local?: boolean; v4only?: boolean } = {}): Promise<void> {
    await this.client.create(Resources.services, 'default', serviceObject(name, { ...o, v4only: o.v4only || !this.dualStack }));
  }

  /** Replaces the Service's one EndpointSlice: one serving endpoint per listed node. */
  async setEndpoints(svc: string, nodes: string[], o: { serving?: boolean } = {}): Promise<void> {
    const slice = endpointSlice(svc, nodes, o.serving ?? true);
    try {
      await this.client.create(Resources.endpointSlices, 'default', slice);
    } catch (e) {
      if (!isApiError(e, 409)) throw e;
      const cur = await this.client.get<KubeObject>(Resources.endpointSlices, 'default', slice.metadata.name!);
      await this.client.update(Resources.endpointSlices, 'default', { ...slice, metadata: { ...slice.metadata, resourceVersion: cur.metadata.resourceVersion } });
    }
  }

  /** The Service's ingress IPs once the controller assigned `count` of them. */
  async ingress(name: string, count = 2, timeoutMs = 20_000): Promise<string[]> {
    return waitFor(`${name} gets ${count} ingress IPs`, async () => {
      const s = await this.client.get<KubeObject>(Resources.services, 'default', name);
      const ips = ((s.status?.['loadBalancer'] as { ingress?: { ip?: string }[] } | undefined)?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
      return ips.length >= count ? ips : undefined;
    }, { timeoutMs, everyMs: 100 });
  }

  /** The status objects of `svc` (ServiceL2Status or ServiceBGPStatus). */
  async statuses(r: ResourceRef, svc: string): Promise<KubeObject[]> {
    const l = await this.client.list<KubeObject>(r, { namespace: MS, labelSelector: `metallb.io/service-name=${svc},metallb.io/service-namespace=default` });
    return l.items;
  }

  /** Events on Service `svc`. */
  async events(svc: string): Promise<KubeObject[]> {
    const l = await this.client.list<KubeObject>(Resources.events, { namespace: 'default' });
    return l.items.filter((e) => (e['involvedObject'] as { name?: string } | undefined)?.name === svc);
  }

  /** ARP from the client: the distinct MACs that answered. */
  arpOwners(ip: string, count = 2): string[] {
    return [...new Set(arping(this.lab, this.clientNs, 'eth0', ip, count).macs)];
  }

  /** NDP from the client (several responses collected): the distinct target link-layer addresses. */
  ndpOwners(ip: string): string[] {
    const r = this.lab.run(this.clientNs, ['ndisc6', '-n', '-m', '-r', '1', '-w', '1000', ip, 'eth0'], 10_000);
    return [...new Set([...r.out.matchAll(/Target link-layer address: ([0-9A-Fa-f:]{17})/g)].map((m) => m[1]!.toLowerCase()))];
  }

  /** Makes the client resolve `ip` (a ping it never gets an answer to) and returns its neighbour entry MAC. */
  resolve(ip: string): string | undefined {
    this.lab.run(this.clientNs, ['ping', ...(ip.includes(':') ? ['-6'] : []), '-c', '1', '-W', '1', ip], 5000);
    return this.lab.neigh(this.clientNs, ip).mac;
  }

  /** The client's neighbour entry for `ip`. */
  neigh(ip: string): { mac?: string; state?: string } {
    return this.lab.neigh(this.clientNs, ip);
  }

  /**
   * Polls the client's neighbour entry every `everyMs` until its MAC differs from `from`;
   * returns the new MAC and `performance.now()` when it was first seen.
   */
  async waitNeighMoves(ip: string, from: string, timeoutMs = 15_000, everyMs = 20): Promise<{ mac: string; at: number }> {
    return waitFor(`client's neighbour entry for ${ip} leaves ${from}`, () => {
      const m = this.lab.neigh(this.clientNs, ip).mac;
      return m && m !== from ? { mac: m, at: performance.now() } : undefined;
    }, { timeoutMs, everyMs, maxAttempts: Math.ceil(timeoutMs / everyMs) * 2 });
  }

  /**
   * Sets the bridge-side veth peer of node `name`'s eth0 (in the control-plane namespace) down or
   * up: the node's eth0 stays up but loses (or regains) carrier. Only lab links are touched.
   */
  setCarrier(name: string, up: boolean): void {
    const n = this.node(name);
    const [eth0] = JSON.parse(this.lab.must(n.ns, ['ip', '-j', 'link', 'show', 'eth0'])) as { link_index?: number }[];
    const ports = JSON.parse(this.lab.must(this.cp.ns, ['ip', '-j', 'link', 'show'])) as { ifindex: number; ifname: string }[];
    const port = ports.find((p) => p.ifindex === eth0?.link_index);
    if (!port) throw new Error(`no bridge port for ${name}'s eth0 (link_index ${eth0?.link_index}) in ${this.cp.ns}`);
    this.lab.ip('-n', this.cp.ns, 'link', 'set', port.ifname, up ? 'up' : 'down');
  }

  /**
   * Log lines in which an app reports the API server refusing it (403 Forbidden), from every
   * speaker and controller process this lab started: with RBAC enforced, none must appear.
   */
  refusals(): string[] {
    const out: string[] = [];
    for (const { name, proc } of this.started) {
      for (const l of [...proc.lines.map((x) => JSON.stringify(x)), ...proc.badLines, ...proc.stderr.split('\n')]) if (/forbidden|\b403\b/i.test(l)) out.push(`${name}: ${l}`);
    }
    return out;
  }

  /** Dumps the speakers' last log lines (for a failing assertion). */
  tails(n = 15): string {
    return this.nodes.map((x) => `--- ${x.name}\n${x.speaker?.proc.tail(n) ?? '(not started)'}\n${x.speaker?.proc.stderr ?? ''}`).join('\n');
  }

  /** Stops the speakers and controller, the API server, and removes the namespaces. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => (n.speaker && n.speaker.exitedAt === undefined ? n.speaker.proc.stop('SIGTERM', 5000) : undefined)));
    await this.controller?.stop('SIGTERM', 5000);
    this.client?.close();
    await this.relay?.close();
    await this.cp?.stop();
    await this.lab.cleanup();
    removeDir(this.dir);
  }
}

async function createIgnoringConflict(c: KubeClient, r: ResourceRef, ns: string | undefined, o: KubeObject): Promise<void> {
  try {
    await c.create(r, ns, o);
  } catch (e) {
    if (!isApiError(e, 409)) throw e;
  }
}

let clusterIp = 10;
/** A LoadBalancer Service selecting `app=<name>`. */
export function serviceObject(name: string, o: { local?: boolean; v4only?: boolean } = {}): KubeObject {
  const n = clusterIp++;
  const v4 = `10.96.0.${n}`;
  const v6 = `fd00::${n.toString(16)}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      type: 'LoadBalancer',
      clusterIP: v4,
      clusterIPs: o.v4only ? [v4] : [v4, v6],
      ipFamilies: o.v4only ? ['IPv4'] : ['IPv4', 'IPv6'],
      ipFamilyPolicy: o.v4only ? 'SingleStack' : 'RequireDualStack',
      externalTrafficPolicy: o.local ? 'Local' : 'Cluster',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
      selector: { app: name },
    },
  };
}

/** One EndpointSlice `<svc>-lab` with one endpoint per node (addresses in 203.0.113.0/24). */
export function endpointSlice(svc: string, nodes: string[], serving = true): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-lab`, namespace: 'default', labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'lab' } },
    addressType: 'IPv4',
    endpoints: nodes.map((node, i) => ({ addresses: [`203.0.113.${10 + i}`], conditions: { ready: serving, serving, terminating: false }, nodeName: node })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

/** A metallb.io object in metallb-system. */
export function mlObject(kind: string, name: string, spec: Record<string, unknown>, apiVersion = 'metallb.io/v1beta1'): KubeObject {
  return { apiVersion, kind, metadata: { name, namespace: MS }, spec } as KubeObject;
}

/** Parses one series' value out of Prometheus text (labels matched as a subset). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}
