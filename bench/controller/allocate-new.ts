/**
 * End-to-end benchmark (issue 16): N new LoadBalancer Services created over HTTP while the bundled
 * controller allocates; measured until every one has an IP in `status.loadBalancer.ingress`.
 *
 *   apiserver-lite (`--target lite`, the default): the `apiserver-lite` command in its own process
 *     (`--crds deploy/crds`, EndpointSlice simulation on, optionally `--snapshot` with
 *     `--durability`).
 *   the real control plane (`--target kube`): etcd + kube-apiserver + kube-controller-manager from
 *     `@metallb-ts/kube` (`kube-lab up` in a temporary directory, `down --purge` at the end).
 *
 * Three processes share the machine: the API server, the controller (`dist/apps/controller/main.mjs`,
 * `--leader-elect=false`, client limits `--kube-api-qps`/`--kube-api-burst` as given) and this
 * benchmark, which creates the Services (`--in-flight` requests at a time, no client-side limit)
 * and watches them. Services are IPv4 (kube-lab's Service CIDR is IPv4 only) with
 * `allocateLoadBalancerNodePorts: false`; the pool is 198.51.100.0/24 + 203.0.113.0/24
 * (documentation ranges, never configured anywhere), so Services share IPs in groups
 * (`metallb.io/allow-shared-ip: group-G`, distinct ports within a group, ≤ 500 groups).
 *
 * Run (repository root; the controller bundle must be built):
 *   npx nx run controller:build
 *   node bench/run.mjs controller/allocate-new.ts --services 10000 --qps 2000 --burst 4000 --runs 3
 *   node bench/run.mjs controller/allocate-new.ts --target kube --services 10000 --qps 2000 --burst 4000 --runs 3
 * Flags: --target lite|kube, --services N (10000), --runs R (1: each run starts a fresh server and
 * controller; with R > 1 a table of every run and the median of the end-to-end rate are printed),
 * --in-flight C (16), --qps Q and --burst B (the
 * controller's; default its own 200/400), --snapshot none|write|fsync (lite: persist to a
 * temporary snapshot with that durability; default: in memory), --no-selector (Services without
 * spec.selector; default: every Service selects `app: group-G`), --cpu-prof DIR (node --cpu-prof for
 * apiserver-lite and the controller, profiles written to DIR when they stop), --apiserver-lite DIR
 * (run the apiserver-lite package in DIR instead of the repository's: a change proposed elsewhere).
 * Not a test: prints a Markdown table; nothing is asserted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isApiError, KubeClient, loadClientConfig, Resources, type KubeObject, type ResourceRef } from '@metallb-ts/k8s-watch';
import { JsonLinesProcess, spawnTracked, stopChild } from '@metallb-ts/test-lab';
import { down, ETCD_VERSION, kubectl, KUBERNETES_VERSION, up, type ControlPlane } from '@metallb-ts/kube';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--' && !a.endsWith('.ts')),
  options: {
    target: { type: 'string', default: 'lite' },
    services: { type: 'string', default: '10000' },
    'in-flight': { type: 'string', default: '16' },
    qps: { type: 'string', default: '200' },
    burst: { type: 'string', default: '400' },
    snapshot: { type: 'string' },
    'no-selector': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'apiserver-lite': { type: 'string' },
    runs: { type: 'string', default: '1' },
  },
});
const target = values.target;
if (target !== 'lite' && target !== 'kube') throw new Error(`--target must be lite or kube, got ${target}`);
if (values.snapshot !== undefined && !['none', 'write', 'fsync'].includes(values.snapshot)) throw new Error('--snapshot must be none, write or fsync');
const N = Number(values.services);
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
if (!Number.isInteger(N) || N < 1) throw new Error(`--services must be a positive integer, got ${values.services}`);
const IN_FLIGHT = Number(values['in-flight']);
const QPS = Number(values.qps);
const BURST = Number(values.burst);
const repo = process.env.BENCH_REPO ?? process.cwd();
const controllerBin = join(repo, 'dist', 'apps', 'controller', 'main.mjs');
/** The apiserver-lite package to run (another checkout's, to measure a change proposed there). */
const liteDir = resolve(values['apiserver-lite'] ?? join(repo, 'libs', 'apiserver-lite'));
const profDir = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
if (profDir) mkdirSync(profDir, { recursive: true });
let run = 0;
const nodeFlags = (name: string) => (profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-name', `${name}-${target}-${N}-run${run}.cpuprofile`] : []);
let base = '';
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POOL_IPS = 512;
/** Services per shared IP: the pool has 512 addresses; keep ≤ 500 groups. */
const PER_IP = Math.max(1, Math.ceil(N / 500));

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

function service(i: number): KubeObject {
  const group = Math.floor(i / PER_IP);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'default', annotations: { 'metallb.io/allow-shared-ip': `group-${group}` } },
    spec: {
      type: 'LoadBalancer',
      allocateLoadBalancerNodePorts: false,
      ...(values['no-selector'] ? {} : { selector: { app: `group-${group}` } }),
      ports: [{ name: 'p', port: 1000 + (i % PER_IP), protocol: 'TCP', targetPort: 8080 }],
    },
  } as KubeObject;
}

interface Server {
  kubeconfig: string;
  /** PIDs whose CPU time counts as "API server" (apiserver-lite; or kube-apiserver + etcd). */
  pids: number[];
  describe: string;
  stop(): Promise<void>;
}

async function startLite(): Promise<Server> {
  const kubeconfig = join(base, 'kubeconfig');
  const snap = values.snapshot ? ['--snapshot', join(base, 'state.json'), '--durability', values.snapshot] : [];
  const child = spawnTracked([process.execPath, ...nodeFlags('apiserver-lite'), join(liteDir, 'bin/apiserver-lite.mjs'), '--port', '0', '--crds', join(repo, 'deploy/crds'), '--kubeconfig-out', kubeconfig, ...snap], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  for (let i = 0; i < 1200 && !out.includes('kubeconfig written'); i++) await sleep(50);
  if (!out.includes('kubeconfig written')) throw new Error(`apiserver-lite did not start: ${out}`);
  return {
    kubeconfig,
    pids: [child.pid!],
    describe: `apiserver-lite${values['apiserver-lite'] ? ` from ${liteDir}` : ''} (separate process, EndpointSlice simulation on, ${values.snapshot ? `--snapshot --durability ${values.snapshot}` : 'in memory'})`,
    stop: () => stopChild(child, 'SIGTERM', 60_000),
  };
}

async function startKube(): Promise<Server> {
  const dir = join(base, 'kube');
  const cp: ControlPlane = await up({ dir, log: (l) => console.error(`kube-lab: ${l}`) });
  const r = await kubectl(['apply', '--server-side', '-f', join(repo, 'deploy/crds')], { dir });
  if (r.code !== 0) throw new Error(`kubectl apply crds: ${r.stderr}`);
  const w = await kubectl(['wait', '--for', 'condition=Established', 'crd', '--all', '--timeout=60s'], { dir });
  if (w.code !== 0) throw new Error(`kubectl wait crds: ${w.stderr}`);
  const pids = cp.processes.filter((p) => p.name === 'kube-apiserver' || p.name === 'etcd').map((p) => p.pid);
  return {
    kubeconfig: cp.kubeconfig,
    pids,
    describe: `kube-lab: etcd ${ETCD_VERSION} (fsync) + kube-apiserver ${KUBERNETES_VERSION} + kube-controller-manager (endpointslice controller on), admin client certificate`,
    stop: async () => {
      await down({ dir, purge: true });
    },
  };
}

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
})();
/** One measured run: a fresh server and controller; the table rows and the end-to-end rate. */
async function runOnce(): Promise<{ rows: [string, string][]; rate: number; load: string; done: boolean }> {
  base = mkdtempSync(join(tmpdir(), 'bench-allocate-'));
  const load0 = loadavg().map((x) => x.toFixed(1)).join(' ');
  const server = target === 'lite' ? await startLite() : await startKube();
  let controller: JsonLinesProcess | undefined;
  try {
    const client = new KubeClient(loadClientConfig({ kubeconfig: server.kubeconfig, env: {}, qps: 1e9, burst: 1e9 }));
    const ipaddresspools: ResourceRef = { group: 'metallb.io', version: 'v1beta1', plural: 'ipaddresspools', namespaced: true } as ResourceRef;
    try {
      await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'metallb-system' } } as KubeObject);
    } catch (e) {
      if (!isApiError(e, 409)) throw e;
    }
    await client.create(ipaddresspools, 'metallb-system', { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'bench', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/24', '203.0.113.0/24'] } } as KubeObject);

    controller = new JsonLinesProcess(
      'controller',
      spawnTracked([process.execPath, ...nodeFlags('controller'), controllerBin, '--kubeconfig', server.kubeconfig, '--namespace', 'metallb-system', '--port', '0', '--leader-elect=false', '--kube-api-qps', String(QPS), '--kube-api-burst', String(BURST), '--log-level', 'info'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    await controller.waitLine((l) => l.msg === 'initial allocation pass done' || l.event === 'initial allocation pass done', { timeoutMs: 120_000, what: 'the end of the initial pass' });

    // Watch every Service from now on; count those with an ingress IP.
    const listed = await client.list<KubeObject>(Resources.services, { namespace: 'default' });
    const withIp = new Set<string>();
    let allAt = 0;
    let resolveAll!: () => void;
    const allDone = new Promise<void>((r) => (resolveAll = r));
    const abort = new AbortController();
    const watchLoop = (async () => {
      let rv = listed.resourceVersion;
      while (!abort.signal.aborted) {
        try {
          for await (const ev of client.watch<KubeObject>(Resources.services, { namespace: 'default', resourceVersion: rv, allowWatchBookmarks: true, signal: abort.signal })) {
            if (ev.type === 'ERROR') throw new Error(`watch error: ${JSON.stringify(ev.object)}`);
            rv = ev.object.metadata.resourceVersion ?? rv;
            if (ev.type === 'BOOKMARK') continue;
            const name = ev.object.metadata.name;
            if (!name.startsWith('svc-')) continue;
            if ((ev.object as { status?: { loadBalancer?: { ingress?: unknown[] } } }).status?.loadBalancer?.ingress?.length) withIp.add(name);
            else withIp.delete(name);
            if (withIp.size === N && !allAt) {
              allAt = now();
              resolveAll();
            }
          }
        } catch (e) {
          if (abort.signal.aborted) return;
          console.error(`watch ended (${(e as Error).message}); resuming from ${rv}`);
          await sleep(100);
        }
      }
    })();

    const cpu0 = { server: server.pids.map(cpuSeconds).reduce((a, b) => a + b, 0), controller: cpuSeconds(controller.pid) };
    const t0 = now();
    let next = 0;
    let failures = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < N) {
          const i = next++;
          for (let attempt = 0; ; attempt++) {
            try {
              await client.create(Resources.services, 'default', service(i));
              break;
            } catch (e) {
              failures++;
              if (attempt >= 5) throw e;
              await sleep(50 * (attempt + 1));
            }
          }
        }
      }),
    );
    const created = now();
    let giveUpTimer: NodeJS.Timeout | undefined;
    const giveUp = new Promise<'timeout'>((r) => (giveUpTimer = setTimeout(() => r('timeout'), Math.max(600_000, N * 100))));
    const outcome = await Promise.race([allDone.then(() => 'done' as const), giveUp]);
    clearTimeout(giveUpTimer);
    const end = outcome === 'done' ? allAt : now();
    const cpu1 = { server: server.pids.map(cpuSeconds).reduce((a, b) => a + b, 0), controller: cpuSeconds(controller.pid) };
    abort.abort();
    await watchLoop;
    client.close();

    const secs = (end - t0) / 1000;
    const rows: [string, string][] = [
      ['target', server.describe],
      ['commit', commit],
      ['machine', `${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`],
      ['load average before → after', `${load0} → ${loadavg().map((x) => x.toFixed(1)).join(' ')}`],
      ['Services', `${N} (${values['no-selector'] ? 'no selector' : 'with selectors'}; ${Math.ceil(N / PER_IP)} sharing groups of ≤ ${PER_IP}, pool of ${POOL_IPS} IPv4 addresses)`],
      ['controller client limits', `--kube-api-qps ${QPS} --kube-api-burst ${BURST}`],
      // The controller sets V8's --optimize-for-size (less memory, some CPU) unless told otherwise; the environment passes through.
      ['controller V8 mode', process.env.METALLB_TS_OPTIMIZE_FOR_SIZE === undefined ? 'default (--optimize-for-size)' : `METALLB_TS_OPTIMIZE_FOR_SIZE=${process.env.METALLB_TS_OPTIMIZE_FOR_SIZE}`],
      ['creates (benchmark client, in flight)', `${IN_FLIGHT}; ${failures} retried`],
      ['all created', `${((created - t0) / 1000).toFixed(2)} s (${(N / ((created - t0) / 1000)).toFixed(0)} creates/s)`],
      [outcome === 'done' ? 'every Service has an IP' : `gave up with ${withIp.size}/${N} allocated`, `${secs.toFixed(2)} s after the first create`],
      ['end to end', `**${(N / secs).toFixed(0)} Services/s**`],
      ['CPU during the run: API server / controller', `${(cpu1.server - cpu0.server).toFixed(1)} s / ${(cpu1.controller - cpu0.controller).toFixed(1)} s`],
    ];
    return { rows, rate: N / secs, load: `${load0} → ${loadavg().map((x) => x.toFixed(1)).join(' ')}`, done: outcome === 'done' };
  } finally {
    if (controller) await controller.stop('SIGTERM', 30_000);
    await server.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

const results: Awaited<ReturnType<typeof runOnce>>[] = [];
for (run = 1; run <= RUNS; run++) {
  const r = await runOnce();
  results.push(r);
  console.log(`${RUNS > 1 ? `\n### run ${run} of ${RUNS}\n\n` : ''}| measurement | result |\n| --- | --- |`);
  for (const [k, v] of r.rows) console.log(`| ${k} | ${v} |`);
}
if (RUNS > 1) {
  const rates = results.map((r) => r.rate).sort((a, b) => a - b);
  const median = rates.length % 2 ? rates[(rates.length - 1) / 2]! : (rates[rates.length / 2 - 1]! + rates[rates.length / 2]!) / 2;
  console.log(`\n| run | end to end | load average before → after |\n| --- | --- | --- |`);
  results.forEach((r, i) => console.log(`| ${i + 1} | ${r.rate.toFixed(0)} Services/s${r.done ? '' : ' (gave up)'} | ${r.load} |`));
  console.log(`\n**median of ${RUNS} runs: ${median.toFixed(0)} Services/s** (${target}, ${N} Services, --kube-api-qps ${QPS} --kube-api-burst ${BURST})`);
}
