/**
 * Test harness: apiserver-lite in-process (with the real deploy/crds), the bundled controller
 * binary as child processes, and a KubeClient to drive and observe the cluster.
 */
import { startApiServer, type RunningApiServer } from '@metallb-ts/apiserver-lite';
import { KubeClient, loadClientConfig, Resources, isApiError, type KubeObject } from '@metallb-ts/k8s-watch';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePort } from '@metallb-ts/test-lab';

export { freePort };

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const BINARY = join(ROOT, 'dist', 'apps', 'controller', 'main.mjs');
export const NODE = process.execPath;

export interface Cluster {
  api: RunningApiServer;
  client: KubeClient;
  dir: string;
  snapshot: string;
  restart(): Promise<void>;
  /** Stops the API server (an outage); with `persist` its objects come back with {@link Cluster.up}. */
  down(): Promise<void>;
  /** Starts the API server again on the same port after {@link Cluster.down}. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** apiserver-lite with the real CRDs; `persist` adds a snapshot file so `restart()` keeps every object. */
export async function startCluster(opts: { persist?: boolean } = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'mts-ctl-'));
  const snapshot = join(dir, 'snapshot.json');
  const kubeconfigPath = join(dir, 'kubeconfig');
  const persist = opts.persist ? { snapshotFile: snapshot } : {};
  let api = await startApiServer({ crdsDir: join(ROOT, 'deploy', 'crds'), ...persist, kubeconfigPath });
  const port = Number(new URL(api.url).port);
  const client = new KubeClient(loadClientConfig({ kubeconfig: kubeconfigPath, qps: 1000, burst: 1000 }));
  await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } });
  let down = false;
  const cluster: Cluster = {
    api,
    client,
    dir,
    snapshot,
    async restart() {
      await cluster.down();
      await cluster.up();
    },
    async down() {
      await api.stop();
      down = true;
      client.close(); // drop keep-alive sockets to the old server
    },
    async up() {
      api = await startApiServer({ crdsDir: join(ROOT, 'deploy', 'crds'), ...persist, kubeconfigPath, port });
      down = false;
      cluster.api = api;
    },
    async stop() {
      client.close();
      if (!down) await api.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Applies every object of a YAML file (relative to the repo root) or text. */
export async function applyYaml(c: Cluster, fileOrText: string): Promise<void> {
  const text = existsSync(join(ROOT, fileOrText)) ? readFileSync(join(ROOT, fileOrText), 'utf8') : fileOrText;
  for (const d of parseAllDocuments(text)) {
    const o = d.toJS() as KubeObject | null;
    if (!o) continue;
    c.api.apply(JSON.stringify(o));
  }
}

export function pool(name: string, addresses: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'metallb-system' }, spec: { addresses, ...extra } });
}

let clusterIp = 1;
export function lbService(name: string, o: { ann?: Record<string, string>; ports?: { port: number; protocol?: string }[]; dual?: boolean; v6?: boolean; policy?: string; ns?: string } = {}): KubeObject {
  const n = clusterIp++;
  const v4 = `10.96.${(n >> 8) & 255}.${n & 255}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.ns ?? 'default', annotations: o.ann ?? {} },
    spec: {
      type: 'LoadBalancer',
      clusterIP: o.v6 ? `fd00::${n.toString(16)}` : v4,
      clusterIPs: o.dual ? [v4, `fd00::${n.toString(16)}`] : o.v6 ? [`fd00::${n.toString(16)}`] : [v4],
      ipFamilies: o.dual ? ['IPv4', 'IPv6'] : o.v6 ? ['IPv6'] : ['IPv4'],
      ipFamilyPolicy: o.policy ?? (o.dual ? 'RequireDualStack' : 'SingleStack'),
      ports: (o.ports ?? [{ port: 80 }]).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.port })),
      selector: { app: name },
    },
  };
}

export async function createService(c: Cluster, s: KubeObject): Promise<void> {
  await c.client.create(Resources.services, s.metadata.namespace, s);
}

export async function ingress(c: Cluster, ns: string, name: string): Promise<string[]> {
  try {
    const s = await c.client.get<KubeObject>(Resources.services, ns, name);
    return (s.status?.loadBalancer?.ingress ?? []).map((i: { ip?: string }) => i.ip ?? '').filter(Boolean);
  } catch (e) {
    if (isApiError(e, 404)) return [];
    throw e;
  }
}

/** Polls `fn` until it returns a truthy value (bounded by `ms`). */
export async function eventually<T>(fn: () => Promise<T> | T, ms = 20_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${String((last as Error)?.message ?? JSON.stringify(last))})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface ControllerProc {
  child: ChildProcess;
  logs: string[];
  port: number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the bundled controller; by default waits until `/readyz` answers 200 (a standby never does: pass `waitReady: false`). */
export async function startController(c: Cluster, args: string[] = [], opts: { env?: Record<string, string>; waitReady?: boolean } = {}): Promise<ControllerProc> {
  const env = opts.env ?? {};
  const port = await freePort();
  const child = spawn(NODE, [BINARY, '--kubeconfig', join(c.dir, 'kubeconfig'), '--namespace', 'metallb-system', '--port', String(port), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const collect = (b: Buffer) => logs.push(...b.toString().split('\n').filter(Boolean));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const proc: ControllerProc = {
    child,
    logs,
    port,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
  if (opts.waitReady ?? true) {
    await eventually(async () => child.exitCode === null && (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 30_000, `controller ready (logs: ${logs.slice(-3).join(' | ')})`);
  }
  return proc;
}

export async function metricsText(p: ControllerProc): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${p.port}/metrics`);
  return r.text();
}
