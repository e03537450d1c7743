/**
 * Test harness: the same controller tests against two API servers.
 *
 * - `apiserver-lite`: in-process, with the real deploy/crds (schema and CEL validation), persisted
 *   to a snapshot so it can stop and start again on its port.
 * - `kube-apiserver`: the real control plane of `@metallb-ts/kube`, driven through its `kube-lab`
 *   CLI (etcd, kube-apiserver with `--authorization-mode=Node,RBAC`, kube-controller-manager), with deploy/crds and
 *   `deploy/kustomize/base/rbac.yaml` applied as admin. The controller runs as the ServiceAccount
 *   `metallb-system/controller` (a TokenRequest token), so a missing rule fails a real request.
 *   No kubelet, no scheduler: tests create Nodes and Pods themselves. Skipped with the reason where
 *   no Go toolchain can build it (`goSkipReason`).
 *
 * Either way the controller talks through a {@link Recorder}: each test ends by checking that every
 * request it made is one `tools/test/rbac/api-uses.ts` derives from the sources, and that none was
 * refused by RBAC. One cluster per file; tests isolate by namespaces (their Services live in their
 * own) and {@link Cluster.reset} clears metallb-system between tests.
 */
import { startApiServer, type RunningApiServer } from '@metallb-ts/apiserver-lite';
import { CORE_RESOURCES, METALLB_RESOURCES, type TypedResource } from '@metallb-ts/app-runtime';
import { applyObject, isApiError, KubeClient, loadClientConfig, Resources, type KubeObject, type ResourceRef } from '@metallb-ts/k8s-watch';
import { freePort, goSkipReason as labGoSkipReason, removeDir, tempDir } from '@metallb-ts/test-lab';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { isRbacDenial, Recorder, type RecordedRequest } from './recorder.js';

export { freePort };

export const ROOT = join(import.meta.dirname, '..', '..', '..');
/** The bundle under test; `CONTROLLER_BINARY` runs another one (e.g. an older build, to tell a regression from a flake). */
export const BINARY = process.env.CONTROLLER_BINARY ?? join(ROOT, 'dist', 'apps', 'controller', 'main.mjs');
export const NODE = process.execPath;
export const CRDS = join(ROOT, 'deploy', 'crds');
export const RBAC = join(ROOT, 'deploy', 'kustomize', 'base', 'rbac.yaml');
/** Where the controller's configuration lives (its Role is there). */
export const MLB_NS = 'metallb-system';
/** The field manager of what tests apply. */
const TEST_MANAGER = 'metallb-ts-test';

/** What a kubectl run printed. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running API server with the CRDs, an admin client, and the controller's way in. */
export interface Cluster {
  readonly backend: Backend;
  /** Admin client (not recorded). Replaced after {@link up}. */
  client: KubeClient;
  /** Scratch directory (deleted by {@link stop}). */
  readonly dir: string;
  /** The controller's kubeconfig: through the recorder; on kube-apiserver with the ServiceAccount's token. */
  readonly controllerKubeconfig: string;
  readonly recorder: Recorder;
  /**
   * From a {@link down} until the {@link up} that follows returned (ready): a server that is
   * starting answers some requests before its authorizer has loaded the RBAC objects (403).
   */
  readonly restarts: { from: number; to: number }[];
  /** Server-side applies objects (or every document of a YAML file relative to the repository root) as admin. */
  apply(objects: KubeObject | readonly KubeObject[] | string): Promise<void>;
  /** A fresh namespace `<prefix>-<n>` for one test's Services; deleted by {@link reset}. */
  namespace(prefix: string): Promise<string>;
  /** kubectl as admin (`input` on stdin); undefined when there is none to run (apiserver-lite without a system kubectl). */
  kubectl(args: readonly string[], input?: string): Promise<CommandResult> | undefined;
  /** A TokenRequest token of a ServiceAccount (created when missing); kube-apiserver only. */
  token?(namespace: string, name: string): Promise<string>;
  /** Stops the API server (an outage); objects survive. */
  down(): Promise<void>;
  /** Starts it again on the same data (and, when free, the same port). */
  up(): Promise<void>;
  /** Between tests: the tests' namespaces and Services, and every object in metallb-system the tests or the controller made. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** One of the two servers. */
export interface Backend {
  readonly name: 'apiserver-lite' | 'kube-apiserver';
  /** Why this backend cannot run here, or undefined. */
  readonly skip: string | undefined;
  /** Whether IPv6 and dual-stack Services can be created (kube-lab's Service CIDR is IPv4 only). */
  readonly dualStack: string | undefined;
  /** Whether TokenReview/SubjectAccessReview exist (secure metrics). */
  readonly reviews: string | undefined;
  start(): Promise<Cluster>;
}

const systemKubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));

function run(cmd: string, args: readonly string[], env: Record<string, string> = {}, input?: string, timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, [...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
}

function tokenKubeconfig(server: string, token: string | undefined): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    `users: [{name: u, user: ${token ? `{token: "${token}"}` : '{}'}}]`,
    `contexts: [{name: c, context: {cluster: c, user: u, namespace: ${MLB_NS}}}]`,
    'current-context: c',
    '',
  ].join('\n');
}

const RESOURCE_BY_KIND = new Map<string, TypedResource>([...Object.values(CORE_RESOURCES), ...Object.values(METALLB_RESOURCES)].map((r) => [r.kind, r]));

function docs(objects: KubeObject | readonly KubeObject[] | string): KubeObject[] {
  if (typeof objects !== 'string') return Array.isArray(objects) ? [...(objects as readonly KubeObject[])] : [objects as KubeObject];
  const text = existsSync(join(ROOT, objects)) ? readFileSync(join(ROOT, objects), 'utf8') : objects;
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

const CLEARED: ResourceRef[] = [
  ...Object.values(METALLB_RESOURCES),
  Resources.leases,
  Resources.events,
  Resources.pods,
  Resources.secrets,
  Resources.configMaps,
];

/** What both backends share: applying, namespaces, reset. */
function common(client: () => KubeClient) {
  const namespaces: string[] = [];
  let n = 0;
  return {
    async apply(objects: KubeObject | readonly KubeObject[] | string): Promise<void> {
      for (const o of docs(objects)) {
        const r = RESOURCE_BY_KIND.get(o.kind ?? '');
        if (!r) throw new Error(`harness: no resource known for kind ${o.kind}`);
        await applyObject(client(), r, { ...o, apiVersion: o.apiVersion ?? `${r.group ? `${r.group}/` : ''}${r.version}` }, TEST_MANAGER);
      }
    },
    /** Waits until every resource the tests touch can be listed (a fresh or restarted server initialises CRD storage after /readyz). */
    async ready(): Promise<void> {
      const end = Date.now() + 60_000;
      for (const r of [Resources.services, ...CLEARED]) {
        for (;;) {
          try {
            await client().list(r, { namespace: MLB_NS, limit: 1 });
            break;
          } catch (e) {
            if (Date.now() > end) throw new Error(`${r.plural} cannot be listed 60 s after the server started: ${(e as Error).message}`);
            await new Promise((res) => setTimeout(res, 200));
          }
        }
      }
    },
    async namespace(prefix: string): Promise<string> {
      const name = `${prefix}-${++n}`;
      await client().create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      namespaces.push(name);
      return name;
    },
    async reset(): Promise<void> {
      const c = client();
      const gone = (e: unknown) => {
        if (!isApiError(e, 404) && !isApiError(e, 409)) throw e;
      };
      for (const ns of namespaces.splice(0)) {
        // Services first (the next controller lists every namespace), then the namespace.
        for (const s of (await c.list(Resources.services, { namespace: ns })).items) await c.delete(Resources.services, ns, s.metadata.name).catch(gone);
        await c.delete(Resources.namespaces, undefined, ns).catch(gone);
      }
      for (const r of CLEARED) {
        for (const o of (await c.list(r, { namespace: MLB_NS })).items) {
          if (r === Resources.secrets && o.type === 'kubernetes.io/service-account-token') continue;
          if (r === Resources.configMaps && o.metadata.name === 'kube-root-ca.crt') continue;
          // No kubelet finishes a graceful Pod deletion: delete at once.
          if (r === Resources.pods) await c.request('DELETE', `/api/v1/namespaces/${MLB_NS}/pods/${o.metadata.name}`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 } }).catch(gone);
          else await c.delete(r, MLB_NS, o.metadata.name).catch(gone);
        }
      }
    },
  };
}

function adminClient(kubeconfig: string): KubeClient {
  return new KubeClient(loadClientConfig({ kubeconfig, qps: 1000, burst: 1000, userAgent: 'metallb-ts-controller-test' }));
}

/** apiserver-lite, in-process. */
export const LITE: Backend = {
  name: 'apiserver-lite',
  skip: undefined,
  dualStack: undefined,
  reviews: 'apiserver-lite serves no TokenReview/SubjectAccessReview',
  async start(): Promise<Cluster> {
    const dir = tempDir('ctl-lite');
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const opts = { crdsDir: CRDS, snapshotFile: join(dir, 'snapshot.json'), durability: 'write' as const, kubeconfigPath };
    let api: RunningApiServer | undefined = await startApiServer(opts);
    const port = Number(new URL(api.url).port);
    let client = adminClient(kubeconfigPath);
    await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: MLB_NS } });
    const recorder = new Recorder(api.url);
    const controllerKubeconfig = join(dir, 'controller.kubeconfig');
    writeFileSync(controllerKubeconfig, tokenKubeconfig(await recorder.start(), undefined));
    const shared = common(() => client);
    const restarts: { from: number; to: number }[] = [];
    const cluster: Cluster = {
      backend: LITE,
      restarts,
      get client() {
        return client;
      },
      set client(c) {
        client = c;
      },
      dir,
      controllerKubeconfig,
      recorder,
      ...shared,
      kubectl: (args, input) => (systemKubectl ? run(systemKubectl, ['--kubeconfig', kubeconfigPath, '--cache-dir', join(dir, 'kcache'), ...args], {}, input) : undefined),
      async down() {
        restarts.push({ from: Date.now(), to: Infinity });
        await api?.stop();
        api = undefined;
        client.close();
      },
      async up() {
        api = await startApiServer({ ...opts, port });
        client = adminClient(kubeconfigPath);
        await shared.ready();
        restarts.at(-1)!.to = Date.now();
      },
      async stop() {
        await recorder.stop();
        client.close();
        await api?.stop();
        removeDir(dir);
      },
    };
    return cluster;
  },
};

/**
 * `kube-lab` (tools/kube) through its CLI contract — apps may import only libraries (lint), so the
 * control plane is driven the way a user drives it: `up`, `kubeconfig`, `build` (the pinned
 * kubectl), `down`.
 */
async function kubeLab(args: readonly string[]): Promise<string> {
  const r = await run(NODE, [join(ROOT, 'tools', 'kube', 'bin', 'kube-lab.mjs'), ...args], {}, undefined, 3_600_000);
  if (r.code !== 0) throw new Error(`kube-lab ${args.join(' ')} failed (${r.code}): ${r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  return r.stdout;
}

const field = (out: string, key: string): string => {
  const line = out.split('\n').find((l) => l.startsWith(`${key}=`));
  if (!line) throw new Error(`kube-lab printed no ${key}=: ${out}`);
  return line.slice(key.length + 1);
};

/** The server and CA of a kubeconfig kube-lab wrote. */
function clusterOf(kubeconfig: string): { server: string; ca: string } {
  const kc = parse(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string } }[] };
  const c = kc.clusters[0]!.cluster;
  const ca = c['certificate-authority-data'] ? Buffer.from(c['certificate-authority-data'], 'base64').toString() : readFileSync(c['certificate-authority']!, 'utf8');
  return { server: c.server, ca };
}

const tokenOf = (kubeconfig: string) => (parse(readFileSync(kubeconfig, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token;

/** The real control plane of `@metallb-ts/kube`. */
export const KUBE: Backend = {
  name: 'kube-apiserver',
  skip: ((why) => why && `no Go toolchain: ${why}, so kube-apiserver cannot be built`)(labGoSkipReason()),
  dualStack: "kube-lab's --service-cidr is IPv4 only (tools/kube's firstServiceIp takes a single IPv4 CIDR)",
  reviews: undefined,
  async start(): Promise<Cluster> {
    const dir = tempDir('ctl-kube');
    const kubectlPath = field(await kubeLab(['build']), 'kubectl');
    const upArgs = ['up', '--dir', dir, '--unsafe-no-fsync'];
    try {
      const adminKubeconfig = field(await kubeLab(upArgs), 'KUBECONFIG');
      const kubectl = (args: readonly string[], input?: string) => run(kubectlPath, ['--kubeconfig', adminKubeconfig, ...args], {}, input, 120_000);
      const kubectlOk = async (args: readonly string[], input?: string) => {
        const r = await kubectl(args, input);
        if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
        return r.stdout;
      };
      await kubectlOk(['apply', '--server-side', '-f', CRDS]);
      const crdNames = readdirSync(CRDS)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => `crd/${f.replace(/^metallb\.io_/, '').replace(/\.yaml$/, '')}.metallb.io`);
      await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...crdNames]);
      await kubectlOk(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: MLB_NS } }));
      // The manifest under test, exactly as shipped.
      await kubectlOk(['apply', '--server-side', '-f', RBAC]);
      const serviceAccountToken = async (namespace: string, name: string) => tokenOf((await kubeLab(['kubeconfig', '--dir', dir, '--namespace', namespace, '--service-account', name])).trim());
      const token = await serviceAccountToken(MLB_NS, 'controller');
      let client = adminClient(adminKubeconfig);
      const upstream = clusterOf(adminKubeconfig);
      const recorder = new Recorder(upstream.server, upstream.ca);
      const controllerKubeconfig = join(dir, 'controller-via-recorder.kubeconfig');
      writeFileSync(controllerKubeconfig, tokenKubeconfig(await recorder.start(), token), { mode: 0o600 });
      const shared = common(() => client);
      await shared.ready();
      const restarts: { from: number; to: number }[] = [];
      const cluster: Cluster = {
        backend: KUBE,
        restarts,
        get client() {
          return client;
        },
        set client(c) {
          client = c;
        },
        dir,
        controllerKubeconfig,
        recorder,
        ...shared,
        kubectl,
        token: serviceAccountToken,
        async down() {
          restarts.push({ from: Date.now(), to: Infinity });
          client.close();
          await kubeLab(['down', '--dir', dir]);
        },
        async up() {
          await kubeLab(upArgs);
          const u = clusterOf(adminKubeconfig);
          recorder.setUpstream(u.server, u.ca);
          client = adminClient(adminKubeconfig);
          await shared.ready();
          restarts.at(-1)!.to = Date.now();
        },
        async stop() {
          await recorder.stop();
          client.close();
          await kubeLab(['down', '--dir', dir, '--purge']);
          removeDir(dir);
        },
      };
      return cluster;
    } catch (e) {
      await kubeLab(['down', '--dir', dir, '--purge']).catch(() => undefined);
      removeDir(dir);
      throw e;
    }
  },
};

export const BACKENDS: readonly Backend[] = [LITE, KUBE];

/**
 * `describe` once per backend; a backend that cannot run here is skipped with its reason in the
 * title. `concurrent`: the backends' suites run at the same time (for tests that mostly wait,
 * such as outages; each has its own cluster, controllers and ports).
 */
export function matrix(title: string, fn: (b: Backend) => void, opts: { concurrent?: boolean } = {}): void {
  for (const b of BACKENDS) {
    if (b.skip) describe.skip(`${title} [${b.name}] [skipped: ${b.skip}]`, () => fn(b));
    else (opts.concurrent ? describe.concurrent : describe)(`${title} [${b.name}]`, () => fn(b));
  }
}

/** A request's kind for the audit: method, path, and whether it is a watch. */
const requestKind = (r: RecordedRequest) => `${r.method} ${r.path} ${/(^|&)watch=(true|1)/.test(r.query) ? 'watch' : ''}`;
const duringRestart = (c: Cluster, r: RecordedRequest) => c.restarts.some((w) => r.at >= w.from && r.at <= w.to);
const succeededLater = (seen: readonly RecordedRequest[], r: RecordedRequest) => seen.some((l) => l.at > r.at && requestKind(l) === requestKind(r) && l.status > 0 && l.status < 400);

/**
 * Requests RBAC refused while the API server restarted (a real kube-apiserver answers 403 until
 * its RBAC caches are loaded) that have not succeeded again yet. The informers retry them with
 * back-off (up to 30 s plus jitter), so a test that restarts the server waits for this to be empty
 * before the audit, instead of ending before the retry.
 */
export function refusedDuringRestart(c: Cluster): RecordedRequest[] {
  const seen = c.recorder.requests;
  return seen.filter((r) => isRbacDenial(r) && duringRestart(c, r) && !succeededLater(seen, r));
}

/** The requests the controller made that the sources do not account for, and those RBAC refused. */
export interface RequestAudit {
  uncovered: RecordedRequest[];
  forbidden: RecordedRequest[];
  count: number;
}

/**
 * Checks the recorder's log since the last audit against the API uses derived from the sources
 * (`node tools/test/rbac/api-uses.ts --app controller --check`, cached while the sources do not
 * change), then clears it.
 */
export async function auditRequests(c: Cluster): Promise<RequestAudit> {
  const seen = c.recorder.requests.splice(0);
  // A 403 while the server was starting is excused only if the same request succeeded afterwards.
  const forbidden = seen.filter((r) => isRbacDenial(r) && !(duringRestart(c, r) && succeededLater(seen, r)));
  // Requests that never reached a server say nothing about their rights; the rest are checked once per kind.
  const distinct = new Map(seen.filter((r) => r.status !== 0).map((r) => [requestKind(r), r]));
  const file = join(c.dir, 'requests.json');
  writeFileSync(file, JSON.stringify([...distinct.values()].map((r) => ({ method: r.method, path: r.path, query: r.query }))));
  const out = await run(NODE, [join(ROOT, 'tools', 'test', 'rbac', 'api-uses.ts'), '--app', 'controller', '--check', file, '--namespace', MLB_NS]);
  let parsed: { uncovered: RecordedRequest[]; unresolved: unknown[] };
  try {
    parsed = JSON.parse(out.stdout) as typeof parsed;
  } catch {
    throw new Error(`api-uses --check failed (${out.code}): ${out.stderr.slice(0, 2000)}`);
  }
  if (parsed.unresolved.length) throw new Error(`api-uses cannot derive every call: ${JSON.stringify(parsed.unresolved)}`);
  return { uncovered: parsed.uncovered, forbidden, count: seen.length };
}

/** A LoadBalancer Service (the server allocates its ClusterIPs). */
export function lbService(name: string, o: { ns: string; ann?: Record<string, string>; ports?: { port: number; protocol?: string }[]; dual?: boolean; v6?: boolean; policy?: string; lbClass?: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.ns, annotations: o.ann ?? {} },
    spec: {
      type: 'LoadBalancer',
      ipFamilies: o.dual ? ['IPv4', 'IPv6'] : o.v6 ? ['IPv6'] : ['IPv4'],
      ipFamilyPolicy: o.policy ?? (o.dual ? 'RequireDualStack' : 'SingleStack'),
      ports: (o.ports ?? [{ port: 80 }]).map((p) => ({ name: `p${p.port}-${(p.protocol ?? 'TCP').toLowerCase()}`, port: p.port, protocol: p.protocol ?? 'TCP', targetPort: p.port })),
      selector: { app: name },
      ...(o.lbClass ? { loadBalancerClass: o.lbClass } : {}),
    },
  };
}

export function pool(name: string, addresses: string[], extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: MLB_NS }, spec: { addresses, ...extra } };
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

/** Every Service's first ingress IP in the namespaces given (all when none), by `ns/name`. */
export async function allIPs(c: Cluster, namespaces?: readonly string[]): Promise<Map<string, string | undefined>> {
  const l = await c.client.list<KubeObject>(Resources.services, {});
  return new Map(l.items.filter((s) => !namespaces || namespaces.includes(s.metadata.namespace ?? '')).map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s.status?.loadBalancer?.ingress?.[0]?.ip as string | undefined]));
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

/**
 * Appends the non-empty lines of one or more text streams to `into`: each call of the returned
 * function makes one stream's feed, which keeps a partial last line until its rest (or `end`) comes.
 */
export function lineCollector(into: string[]): () => { push: (chunk: string) => void; end: () => void } {
  return () => {
    let partial = '';
    return {
      push: (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const l of parts) if (l) into.push(l);
      },
      end: () => {
        if (partial) into.push(partial);
        partial = '';
      },
    };
  };
}

/** Starts the bundled controller as the cluster's controller identity; by default waits until `/readyz` answers 200 (a standby never does: pass `waitReady: false`). */
export async function startController(c: Cluster, args: string[] = [], opts: { env?: Record<string, string>; waitReady?: boolean } = {}): Promise<ControllerProc> {
  const env = opts.env ?? {};
  const port = await freePort();
  const child = spawn(NODE, [BINARY, '--kubeconfig', c.controllerKubeconfig, '--namespace', MLB_NS, '--port', String(port), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  // Whole lines only: a pipe's chunks end anywhere, even inside a line or a UTF-8 sequence, and a
  // split line would hide what a test counts (the outage test counts "became leader").
  const collector = lineCollector(logs);
  for (const s of [child.stdout!, child.stderr!]) {
    const feed = collector();
    s.setEncoding('utf8');
    s.on('data', feed.push);
    s.on('end', feed.end);
  }
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
