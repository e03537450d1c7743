/**
 * Controller memory per Service, layer by layer (issue 20), in one process with the controller's
 * own code: each layer is built for N Services and the growth of the V8 heap after forced GCs
 * (`--expose-gc`, benchmark only) is divided by N.
 *
 * Layers:
 *  - client buffer: one list page's JSON text (500 Services; transient, one page at a time);
 *  - raw decode: the objects JSON.parse makes of that page (transient, one page at a time);
 *  - slim Services: what the Services informer's transform keeps (apiVersion/kind stamped, only
 *    the fields the controller reads) — the cached objects themselves;
 *  - informer cache: the cache's map entries and keys on top of the objects;
 *  - allocator: `restoreFromStatus` of every Service's IP into `@metallb-ts/ipam`;
 *  - work queue: every Service key queued (the initial pass; drained when it ends);
 *  - event spam filter: the EventRecorder's de-duplication and per-object buckets after one
 *    Event per Service (bounded: `cacheSize`, 4096 by default);
 *  - metrics labels: per pool, not per Service (reported as the registry's growth).
 *
 * Run (repository root): node --expose-gc bench/run.mjs controller/layers.ts [--services 10000]
 */
import { CORE_RESOURCES, serviceKey, stampTypeMeta } from '@metallb-ts/app-runtime';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { Allocator } from '@metallb-ts/ipam';
import { Cache, EventRecorder, WorkQueue, type ApiClient, type KubeObject } from '@metallb-ts/k8s-watch';
import { loadavg } from 'node:os';
import { reprocessOrder, restoreFromStatus, type CoreState } from '../../apps/controller/src/core.js';
import { ControllerMetrics } from '../../apps/controller/src/metrics.js';
import { encodeKey, serviceWork } from '../../apps/controller/src/queue-key.js';
import { slimService, type Svc } from '../../apps/controller/src/transforms.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with --expose-gc: node --expose-gc bench/run.mjs controller/layers.ts\n');
  process.exit(2);
}
const i = process.argv.indexOf('--services');
const N = i > 0 ? Number(process.argv[i + 1]) : 10_000;
const PAGE = 500;
/** The n-th address after `prefix::` in canonical text (n < 2^32), e.g. v6('fd00', 0x1869f) = 'fd00::1:869f'. */
function v6(prefix: string, n: number): string {
  const hi = Math.floor(n / 65536);
  return hi ? `${prefix}::${hi.toString(16)}:${(n % 65536).toString(16)}` : `${prefix}::${n.toString(16)}`;
}

/** The same realistic Service as bench/controller/footprint.ts, as the API server returns it. */
function rawService(i: number): unknown {
  const name = `svc-${i}`;
  const ns = `ns-${i % 10}`;
  const clusterIP = v6('fd00', i + 1);
  const spec = {
    type: 'LoadBalancer',
    allocateLoadBalancerNodePorts: false,
    clusterIP,
    clusterIPs: [clusterIP],
    ipFamilies: ['IPv6'],
    ipFamilyPolicy: 'SingleStack',
    selector: { app: name },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'https', port: 443, protocol: 'TCP', targetPort: 8443 },
    ],
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
  };
  const labels = { app: name, tier: 'web' };
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `0b6f${(i + 0x10000).toString(16).padStart(4, '0')}-5c1e-4a8e-9d7a-3f1c2b4d5e6f`,
      resourceVersion: String(1000 + i),
      creationTimestamp: `2026-12-05T07:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}Z`,
      labels,
      annotations: {
        'metallb.io/ip-allocated-from-pool': 'bench',
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels }, spec }),
      },
      managedFields: [
        { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', time: '2026-12-05T07:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:tier': {} } }, 'f:spec': { 'f:ports': {}, 'f:selector': {}, 'f:type': {} } } },
        { manager: 'metallb-controller', operation: 'Update', apiVersion: 'v1', time: '2026-12-05T07:00:01Z', fieldsType: 'FieldsV1', subresource: 'status', fieldsV1: { 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } } },
      ],
    },
    spec,
    status: { loadBalancer: { ingress: [{ ip: v6('2001:db8:100', i + 1), ipMode: 'VIP' }] } },
  };
}

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}
const perSvc = (bytes: number, n = N) => (bytes / n).toFixed(0);
const rows: [string, string, string][] = [];

// Client buffer and raw decode: one page.
const pageText = JSON.stringify({ kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: Array.from({ length: PAGE }, (_, k) => rawService(k)) });
rows.push(['client buffer (one page of JSON text, transient)', perSvc(pageText.length, PAGE), `${PAGE} Services per page: ${(pageText.length / 1048576).toFixed(2)} MiB`]);
let h0 = heap();
let page: { items: KubeObject[] } | undefined = JSON.parse(pageText) as { items: KubeObject[] };
let h1 = heap();
rows.push(['raw decode (JSON.parse of a page, transient)', perSvc(h1 - h0, PAGE), 'the informer transforms each page before reading the next']);
page = undefined;

// Slim objects: decode page by page and keep only the transformed objects.
const transform = stampTypeMeta(CORE_RESOURCES.services, slimService as (o: KubeObject) => KubeObject);
const texts: string[] = [];
for (let p = 0; p < N; p += PAGE) texts.push(JSON.stringify({ items: Array.from({ length: Math.min(PAGE, N - p) }, (_, k) => rawService(p + k)) }));
h0 = heap();
const slimmed: Svc[] = [];
for (const t of texts) for (const raw of (JSON.parse(t) as { items: KubeObject[] }).items) slimmed.push(transform(raw) as Svc);
h1 = heap();
rows.push(['slim Services (the cached objects)', perSvc(h1 - h0), '']);
texts.length = 0;

// Informer cache: map entries and keys.
h0 = heap();
const cache = new Cache<Svc>();
for (const s of slimmed) cache.apply({ kind: 'add', object: s });
h1 = heap();
// (Before issue 20 the cache had no builtIndexes(): its namespace and label indexes were always built.)
const built = (cache as { builtIndexes?: () => string[] }).builtIndexes?.().join(', ') ?? 'namespace, label (always)';
rows.push(['informer cache (map entries, keys, indexes built)', perSvc(h1 - h0), `indexes built: ${built || 'none'}`]);

// Allocator: restore every IP.
h0 = heap();
const allocator = new Allocator();
const set = allocator.setPools([{ name: 'bench', addresses: ['2001:db8:100::/64'] }]);
if (!set.ok) throw new Error(set.message);
const state: CoreState = { allocator, pools: [{ name: 'bench', addresses: ['2001:db8:100::/64'] }] };
const r = restoreFromStatus(state, cache.list(), () => true);
h1 = heap();
if (r.restored !== N) throw new Error(`restored ${r.restored} of ${N}`);
rows.push(['allocator (restored allocations)', perSvc(h1 - h0), `${r.restored} restored`]);

// Work queue: the initial pass queues every Service.
const clock = new ManualClock();
h0 = heap();
const queue = new WorkQueue({ clock });
for (const s of reprocessOrder(cache.list())) queue.add(encodeKey(serviceWork(serviceKey(s))));
h1 = heap();
rows.push(['work queue (every Service queued; initial pass only)', perSvc(h1 - h0), `${queue.len()} queued`]);
queue.shutDown();

// Event spam filter: one Event per Service.
// A client that accepts every write and keeps nothing: only the recorder's own memory is measured.
const sink = { create: async (_r: unknown, _ns: unknown, body: unknown) => body, patch: async () => ({}) } as unknown as ApiClient;
const events = new EventRecorder({ client: sink, component: 'metallb-controller', host: 'bench', clock, rng: new SeededRng(1) });
h0 = heap();
await Promise.all(slimmed.map((s) => events.record(s, { apiVersion: 'v1', kind: 'Service' }, 'Normal', 'IPAllocated', `Assigned IP ["${(s.status?.loadBalancer?.ingress?.[0] as { ip?: string } | undefined)?.ip ?? ''}"]`)));
h1 = heap();
rows.push(['event spam filter (after one Event per Service)', perSvc(h1 - h0), `bounded: 4096 remembered Events and buckets at most, ${((h1 - h0) / 1048576).toFixed(1)} MiB in total here `]);

// Metrics labels.
h0 = heap();
const metrics = new ControllerMetrics();
metrics.setPools([{ pool: 'bench', total: 2 ** 64, ipv4Total: 0, ipv6Total: 2 ** 64, inUse: N, ipv4InUse: 0, ipv6InUse: N, services: N }]);
h1 = heap();
rows.push(['metrics labels (per pool)', '0', `${((h1 - h0) / 1024).toFixed(0)} KiB for the registry, independent of N`]);

console.log(`controller memory per Service by layer, N = ${N} (heap growth after forced GC ÷ N); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('| layer | bytes per Service | note |\n| --- | ---: | --- |');
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
// Keep everything alive until the end of the measurements.
if (slimmed.length + cache.size() + allocator.size < 0) console.log(page, events);
