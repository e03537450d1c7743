/**
 * Differential harness: one control plane per implementation (MetalLB v0.15.2's controller on
 * one, ours on the other), the same inputs applied to both, and what users see read back from
 * both and normalised for comparison.
 *
 * Why two control planes and not one with isolation: both controllers watch every Service of the
 * cluster and every metallb.io object of their namespace; an `--lb-class` split would make the
 * inputs differ (the class is an input) and would still share Namespaces, Events and the
 * ServiceCIDR. Two kube-lab planes cost ~4 s and ~300 MB each and keep the inputs byte-identical.
 * Both are dual-stack ({@link SERVICE_CIDR}), so Services may be IPv6 or dual-stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { down, kubectl, up } from '@metallb-ts/kube';
import { freePort, metallbCrdDir, startController, type MetallbProcess } from '../src/index.js';

export const NS = 'metallb-system';
const REPO = resolve(import.meta.dirname, '..', '..', '..');
export const OUR_CONTROLLER = join(REPO, 'dist', 'apps', 'controller', 'main.mjs');
export const OUR_CRDS = join(REPO, 'deploy', 'crds');
/**
 * Both planes are dual-stack (IPv4 first, so a Service without `ipFamilies` is IPv4 as on a
 * single-stack plane and c01–c08 see what they saw before). Cluster-internal ranges, never
 * configured on any interface: kube-lab's default IPv4 range and the ULA /112 its README names
 * for dual-stack; neither overlaps the pools' 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32.
 */
export const SERVICE_CIDR = '10.96.0.0/16,fd00:10:96::/112';

export type Impl = 'metallb' | 'metallb-ts';

/** A minimal REST client over the admin kubeconfig (cheaper than a kubectl process per poll). */
export class Rest {
  private readonly server: URL;
  private readonly ca: Buffer;
  private readonly cert: Buffer;
  private readonly key: Buffer;
  constructor(kubeconfig: string) {
    const kc = JSON.parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority': string } }[]; users: { user: { 'client-certificate': string; 'client-key': string } }[] };
    this.server = new URL(kc.clusters[0]!.cluster.server);
    this.ca = readFileSync(kc.clusters[0]!.cluster['certificate-authority']);
    this.cert = readFileSync(kc.users[0]!.user['client-certificate']);
    this.key = readFileSync(kc.users[0]!.user['client-key']);
  }
  call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    return new Promise((res, rej) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        { host: this.server.hostname, port: this.server.port, path, method, ca: this.ca, cert: this.cert, key: this.key, headers: { accept: 'application/json', ...(data ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}) }, timeout: 20_000 },
        (r) => {
          let s = '';
          r.setEncoding('utf8').on('data', (d: string) => (s += d));
          r.on('end', () => {
            try {
              res({ status: r.statusCode ?? 0, json: s ? JSON.parse(s) : undefined });
            } catch {
              rej(new Error(`${method} ${path}: ${r.statusCode} ${s.slice(0, 200)}`));
            }
          });
        },
      );
      req.on('error', rej);
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.end(data);
    });
  }
  async get(path: string): Promise<any> {
    const r = await this.call('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${JSON.stringify(r.json)?.slice(0, 300)}`);
    return r.json;
  }
}

/** One side of the comparison: a control plane and the controller serving it. */
export class Side {
  readonly rest: Rest;
  proc: MetallbProcess | OurProcess | undefined;
  starts = 0;
  constructor(
    readonly impl: Impl,
    readonly dir: string,
    readonly kubeconfig: string,
    private readonly binary: string,
  ) {
    this.rest = new Rest(kubeconfig);
  }

  static async create(impl: Impl, dir: string, binary: string, log: (l: string) => void): Promise<Side> {
    const cp = await up({ dir, etcdUnsafeNoFsync: true, serviceCidr: SERVICE_CIDR, log });
    const side = new Side(impl, dir, cp.kubeconfig, binary);
    const crds = impl === 'metallb' ? metallbCrdDir() : OUR_CRDS;
    await side.kubectlOk(['apply', '--server-side', '-f', crds]);
    await side.kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...readdirSync(crds).filter((f) => f.endsWith('.yaml')).map((f) => `crd/${f.replace(/^metallb\.io_/, '').replace(/\.yaml$/, '')}.metallb.io`)]);
    await side.kubectlOk(['create', 'namespace', NS]);
    return side;
  }

  async kubectlOk(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, { dir: this.dir, input, timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`[${this.impl}] kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  /** kubectl whose failure is an observation (e.g. the API server refusing an object). */
  async kubectlTry(args: string[], input?: string): Promise<{ code: number; stderr: string }> {
    const r = await kubectl(args, { dir: this.dir, input, timeoutMs: 60_000 });
    return { code: r.code, stderr: r.stderr };
  }

  async start(): Promise<void> {
    this.starts++;
    const logFile = join(this.dir, `${this.impl}-controller.log`);
    if (this.impl === 'metallb') this.proc = await startController({ binary: this.binary, kubeconfig: this.kubeconfig, logFile, logLevel: 'debug' });
    else this.proc = await startOurs(this.binary, this.kubeconfig, logFile);
    await this.waitMetrics();
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = undefined;
  }

  /** Both controllers serve /metrics once their caches run; MetalLB has no readiness endpoint. */
  private async waitMetrics(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const m = await this.metrics().catch(() => undefined);
      if (m && m.has('metallb_k8s_client_config_loaded_bool')) return;
      if (Date.now() > deadline) throw new Error(`[${this.impl}] controller not serving metrics after 60 s; log: ${this.proc?.logFile}\n${this.proc?.log().slice(-3000)}`);
      await sleep(300);
    }
  }

  /** `/metrics` as name{labels} → value (only un-labelled series and pool-labelled ones matter here). */
  async metrics(): Promise<Map<string, number>> {
    const port = this.proc?.port;
    if (!port) throw new Error('not running');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^(\S+?)(\{[^}]*\})?\s+(\S+)$/.exec(line);
      if (m) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
    }
    return out;
  }
}

/** Our controller, launched like MetalLB's (same shape as MetallbProcess). */
export type OurProcess = MetallbProcess;

async function startOurs(binary: string, kubeconfig: string, logFile: string): Promise<OurProcess> {
  const port = await freePort();
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [binary, '--kubeconfig', kubeconfig, '--namespace', NS, '--port', String(port), '--metrics-bind-address', '127.0.0.1', '--leader-elect=false', '--log-level', 'debug'], { stdio: ['ignore', fd, fd], env: { ...process.env, KUBECONFIG: kubeconfig } });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<number | string>((r) => child.once('exit', (c, s) => r(s ?? c ?? -1)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    pid: child.pid!,
    port,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    exited,
    async stop(graceMs = 5000) {
      if (gone) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => !gone && child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What users see of one scenario namespace, normalised. */
export interface View {
  /** Service → its ingress IPs (in status order) and the pool annotation. */
  services: Record<string, { ips: string[]; pool: string | null }>;
  /** Sorted unique `Kind/name Type Reason` of Events in the namespace. */
  events: string[];
  /** IPAddressPool → status (assigned/available per family). */
  pools: Record<string, unknown>;
  /** config_loaded / config_stale gauges (MetalLB v0.15.2 has no ConfigurationState; these are what it shows). */
  config: { loaded: number | undefined; stale: number | undefined };
}

export async function observe(side: Side, ns: string): Promise<View> {
  const [svcs, evs, pools, metrics] = await Promise.all([
    side.rest.get(`/api/v1/namespaces/${ns}/services`),
    side.rest.get(`/api/v1/namespaces/${ns}/events`),
    side.rest.get(`/apis/metallb.io/v1beta1/namespaces/${NS}/ipaddresspools`),
    side.metrics(),
  ]);
  const services: View['services'] = {};
  for (const s of svcs.items) {
    services[s.metadata.name] = {
      ips: (s.status?.loadBalancer?.ingress ?? []).map((i: { ip?: string }) => i.ip ?? '?'),
      pool: s.metadata.annotations?.['metallb.io/ip-allocated-from-pool'] ?? null,
    };
  }
  // Only the load balancer's Events: both controllers report as `metallb-controller`. Others, e.g.
  // kube-apiserver's ClusterIP repair loop (`Warning ClusterIPNotAllocated`, seen under load), are
  // not what is compared.
  const events = [...new Set<string>(evs.items.filter(fromController).map((e: any) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.type} ${e.reason}`))].sort();
  const poolStatus: View['pools'] = {};
  for (const p of pools.items) poolStatus[p.metadata.name] = p.status ?? null;
  return { services, events, pools: poolStatus, config: { loaded: metrics.get('metallb_k8s_client_config_loaded_bool'), stale: metrics.get('metallb_k8s_client_config_stale_bool') } };
}

/** The `source.component` (or `reportingComponent`) of MetalLB's controller's Events, and ours. */
export const CONTROLLER_COMPONENT = 'metallb-controller';

function fromController(e: any): boolean {
  return (e.source?.component ?? e.reportingComponent) === CONTROLLER_COMPONENT || e.reportingComponent === CONTROLLER_COMPONENT;
}

/**
 * Waits until both sides' views stop changing (the same for `quietPolls` polls in a row, at
 * least `minMs` after the step) and returns them. Convergence is observed, never assumed.
 */
export async function settle(sides: readonly Side[], ns: string, o: { minMs?: number; quietPolls?: number; timeoutMs?: number } = {}): Promise<View[]> {
  const start = Date.now();
  const last: (string | undefined)[] = sides.map(() => undefined);
  const quiet = sides.map(() => 0);
  let views: View[] = [];
  for (;;) {
    await sleep(400);
    views = await Promise.all(sides.map((s) => observe(s, ns)));
    views.forEach((v, i) => {
      const k = JSON.stringify(v);
      quiet[i] = k === last[i] ? quiet[i]! + 1 : 0;
      last[i] = k;
    });
    if (Date.now() - start >= (o.minMs ?? 1500) && quiet.every((q) => q >= (o.quietPolls ?? 3))) return views;
    if (Date.now() - start > (o.timeoutMs ?? 30_000)) return views;
  }
}

export { down };
