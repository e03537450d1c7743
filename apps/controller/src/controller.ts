/**
 * The controller runtime: informers in, one work queue, the pure core in the middle, writers out.
 *
 * Keys on the queue: `config` (reassemble and validate the configuration), `svc/<ns>/<name>`
 * (converge one Service), `pool/<name>` (write one IPAddressPool.status), `reprocess`, `gate`.
 * Allocator changes happen synchronously inside a reconcile, so they are totally ordered even
 * with several workers writing to the API server at once.
 */
import { systemClock, type Clock } from '@metallb-ts/clock';
import { Allocator, type PoolSpec } from '@metallb-ts/ipam';
import {
  applyStatus,
  EventRecorder,
  Informer,
  isApiError,
  patchStatus,
  PatchType,
  Resources,
  WorkQueue,
  defaultControllerRateLimiter,
  runReconciler,
  type ApiClient,
  type KubeObject,
  type ResourceRef,
  type RunningReconciler,
} from '@metallb-ts/k8s-watch';
import { randomBytes } from 'node:crypto';
import { reconcileService, reprocessOrder, restoreFromStatus, type CoreState, type ReconcileOutcome } from './core.js';
import { assembleConfig, type RawObject } from './config-map.js';
import type { ControllerFlags } from './flags.js';
import type { Logger } from './log.js';
import type { ControllerMetrics } from './metrics.js';
import { servesClass, serviceKey, statusIPs, type ServiceLike } from './service.js';

const mlb = (plural: string, version = 'v1beta1'): ResourceRef => ({ group: 'metallb.io', version, plural });

/** The metallb.io kinds the controller reads (in its namespace). */
export const CONFIG_RESOURCES = {
  ipaddresspools: mlb('ipaddresspools'),
  l2advertisements: mlb('l2advertisements'),
  bgpadvertisements: mlb('bgpadvertisements'),
  bgppeers: mlb('bgppeers', 'v1beta2'),
  bfdprofiles: mlb('bfdprofiles'),
  communities: mlb('communities'),
} as const;
const KINDS: Record<string, string> = {
  ipaddresspools: 'IPAddressPool',
  l2advertisements: 'L2Advertisement',
  bgpadvertisements: 'BGPAdvertisement',
  bgppeers: 'BGPPeer',
  bfdprofiles: 'BFDProfile',
  communities: 'Community',
  namespaces: 'Namespace',
  secrets: 'Secret',
};
const CONFIGURATION_STATES = mlb('configurationstates');

const FIELD_MANAGER = 'metallb-ts-controller';

/** A Service reduced to the fields MetalLB reads (§1.12): a fraction of the full object's memory. */
function slimService(o: Svc): Svc {
  const m = o.metadata;
  const sp = o.spec ?? {};
  const pick = <T extends object>(x: T) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;
  const ann = m.annotations ? { ...m.annotations } : undefined;
  if (ann) delete ann['kubectl.kubernetes.io/last-applied-configuration'];
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: pick({ name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp, labels: m.labels, annotations: ann }),
    spec: pick({
      type: sp.type,
      clusterIP: sp.clusterIP,
      clusterIPs: sp.clusterIPs,
      ipFamilies: sp.ipFamilies,
      ipFamilyPolicy: sp.ipFamilyPolicy,
      loadBalancerIP: sp.loadBalancerIP,
      loadBalancerClass: sp.loadBalancerClass,
      externalTrafficPolicy: sp.externalTrafficPolicy,
      selector: sp.selector,
      ports: sp.ports?.map((p) => ({ protocol: p.protocol, port: p.port })),
    }),
    ...(o.status?.loadBalancer?.ingress ? { status: { loadBalancer: { ingress: o.status.loadBalancer.ingress.map((i) => pick({ ip: i.ip, hostname: i.hostname })) } } } : {}),
  } as Svc;
}

/** What the controller never reads is dropped before caching (most of an object's size). */
function slim<T extends KubeObject>(o: T): T {
  const { managedFields: _m, ...metadata } = o.metadata;
  const ann = metadata.annotations;
  if (ann && 'kubectl.kubernetes.io/last-applied-configuration' in ann) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _l, ...rest } = ann;
    metadata.annotations = rest;
  }
  return { ...o, metadata } as T;
}
const COMPONENT = 'metallb-controller';

export interface ControllerOptions {
  client: ApiClient;
  flags: ControllerFlags;
  log: Logger;
  metrics?: ControllerMetrics;
  clock?: Clock;
}

type Svc = ServiceLike & KubeObject;

export class Controller {
  private readonly client: ApiClient;
  private readonly flags: ControllerFlags;
  private readonly log: Logger;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly clock: Clock;
  readonly services: Informer<Svc>;
  private readonly namespaces: Informer<KubeObject>;
  private readonly secrets: Informer<KubeObject>;
  private readonly configInformers: Informer<KubeObject>[];
  private readonly resourceOf = new Map<Informer<KubeObject>, ResourceRef>();
  private readonly events: EventRecorder;
  private state: CoreState = { allocator: new Allocator(), pools: undefined };
  private lastPoolsJson = '';
  private queue: WorkQueue | undefined;
  private runner: RunningReconciler | undefined;
  /** MetalLB's initial-load gate: individual Service events wait until the first full pass. */
  private gateOpen = false;
  private syncing: Promise<void> | undefined;
  private synced = false;
  private configOk = false;
  private readonly dirtyPools = new Set<string>();
  private readonly heldDuringGate = new Set<string>();

  constructor(opts: ControllerOptions) {
    this.client = opts.client;
    this.flags = opts.flags;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.clock = opts.clock ?? systemClock;
    const common = {
      client: this.client,
      clock: this.clock,
      onEvent: (e: { kind: string }) => this.log.debug('informer', { event: e.kind }),
      transform: slim,
    };
    this.services = new Informer<Svc>({ ...common, resource: Resources.services, transform: slimService });
    this.namespaces = new Informer({ ...common, resource: Resources.namespaces });
    this.secrets = new Informer({ ...common, resource: Resources.secrets, namespace: this.flags.namespace });
    this.configInformers = Object.values(CONFIG_RESOURCES).map((resource) => {
      const inf = new Informer<KubeObject>({ ...common, resource, namespace: this.flags.namespace });
      this.resourceOf.set(inf, resource);
      return inf;
    });
    this.resourceOf.set(this.namespaces, Resources.namespaces);
    this.resourceOf.set(this.secrets, Resources.secrets);
    if (this.metrics) this.metrics.refresh = () => this.updatePoolMetrics();
    this.events = new EventRecorder({ client: this.client, component: COMPONENT, host: this.flags.identity, clock: this.clock, onError: (e) => this.log.debug('event write failed', { error: e }) });

    const configChanged = () => this.enqueue('config');
    for (const inf of [...this.configInformers, this.namespaces, this.secrets]) {
      inf.addEventHandler({ onAdd: configChanged, onUpdate: configChanged, onDelete: configChanged });
    }
    this.services.addEventHandler({
      onAdd: (s) => this.serviceEvent(s),
      onUpdate: (_o, s) => this.serviceEvent(s),
      onDelete: (s) => this.enqueue(`svc/${serviceKey(s)}`),
    });
  }

  /** Why `/readyz` fails, or undefined when ready. */
  notReady(): string | undefined {
    if (!this.synced) return 'informers not synced';
    if (this.queue && !this.gateOpen) return 'initial allocation pass not finished';
    return undefined;
  }

  get isActive(): boolean {
    return this.queue !== undefined;
  }

  /** Allocator state (for tests and debugging). */
  get allocator(): Allocator {
    return this.state.allocator;
  }

  /** Starts the informers and waits until every one has synced. */
  startInformers(signal?: AbortSignal): Promise<void> {
    // Every caller, also a later one (the leader elector), waits for the same full sync: no
    // allocation before every informer has listed (a restart must see every existing IP).
    this.syncing ??= (async () => {
      const all = [this.services, this.namespaces, this.secrets, ...this.configInformers];
      for (const i of all) i.start();
      await Promise.all(all.map((i) => i.waitForSync(signal)));
      this.synced = true;
      this.log.info('caches synced', { op: 'startup', services: this.services.store.size() });
    })();
    return this.syncing;
  }

  /**
   * Starts allocating (the leader calls this). Rebuilds the allocator from scratch: config
   * first, then every Service's existing IPs oldest first, then one full pass.
   */
  async activate(): Promise<void> {
    if (this.queue) return;
    await this.startInformers();
    this.state = { allocator: new Allocator(), pools: undefined };
    this.lastPoolsJson = '';
    this.gateOpen = false;
    this.heldDuringGate.clear();
    await this.ensureMemberlistSecret();
    this.reconcileConfig(true);
    const services = this.services.store.list();
    if (this.state.pools) {
      const r = restoreFromStatus(this.state, services, (s) => servesClass(s, this.flags.lbClass));
      this.log.info('restored existing allocations', { op: 'startup', restored: r.restored, rejected: r.rejected.length });
      for (const x of r.rejected) this.log.warn('existing IP not restored; the service will be reconciled', { service: x.key, reason: x.message });
    }
    this.queue = new WorkQueue({ clock: this.clock, rateLimiter: defaultControllerRateLimiter(this.clock) });
    for (const s of reprocessOrder(services)) this.queue.add(`svc/${serviceKey(s)}`);
    this.queue.add('gate');
    // Several workers are safe: every allocator decision is synchronous (made before the first
    // await of a reconcile), and the queue never hands the same key to two workers. Only the
    // API writes overlap.
    this.runner = runReconciler({
      queue: this.queue,
      concurrency: 8,
      reconcile: (key) => this.reconcile(key),
      onOutcome: (o) => {
        this.metrics?.updates.inc();
        if (o.kind !== 'success') {
          this.metrics?.updateErrors.inc();
          this.log.warn('reconcile failed', { key: o.key, error: o.error, retry: o.kind === 'retry' });
        }
      },
    });
    this.log.info('controller active', { op: 'startup', identity: this.flags.identity });
  }

  /** Stops allocating (lost leadership or shutdown). Informers keep running. */
  async deactivate(): Promise<void> {
    const r = this.runner;
    this.runner = undefined;
    this.queue = undefined;
    this.gateOpen = false;
    await r?.stop();
  }

  async stop(): Promise<void> {
    await this.deactivate();
    await Promise.all([this.services, this.namespaces, this.secrets, ...this.configInformers].map((i) => i.stop()));
  }

  private enqueue(key: string): void {
    this.queue?.add(key);
  }

  private serviceEvent(s: Svc): void {
    const key = `svc/${serviceKey(s)}`;
    if (!this.gateOpen) {
      // Held until the initial pass is done (MetalLB's gate), then replayed: unlike MetalLB,
      // an event that arrives during the pass is never lost.
      this.heldDuringGate.add(key);
      return;
    }
    this.enqueue(key);
  }

  private async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    if (key === 'config') return this.reconcileConfig(false);
    if (key === 'gate') {
      this.gateOpen = true;
      for (const k of this.heldDuringGate) this.enqueue(k);
      this.heldDuringGate.clear();
      this.log.info('initial allocation pass done', { op: 'startup', services: this.state.allocator.size });
      return;
    }
    if (key === 'reprocess') {
      for (const s of reprocessOrder(this.services.store.list())) this.enqueue(`svc/${serviceKey(s)}`);
      return;
    }
    if (key.startsWith('pool/')) return this.writePoolStatus(key.slice(5));
    if (key.startsWith('svc/')) return this.reconcileOne(key.slice(4));
  }

  /** Reassembles the configuration; on change, re-pools the allocator and reprocesses every Service. */
  private reconcileConfig(initial: boolean): { requeueAfterMs?: number } | void {
    const objects: RawObject[] = [];
    // List items from a real API server carry no apiVersion/kind: set them from the resource.
    for (const inf of [...this.configInformers, this.namespaces, this.secrets]) {
      const r = this.resourceOf.get(inf)!;
      const apiVersion = r.group ? `${r.group}/${r.version}` : r.version;
      for (const o of inf.store.list()) objects.push({ ...(o as RawObject), apiVersion, kind: KINDS[r.plural] });
    }
    const r = assembleConfig(objects, this.flags.namespace);
    if (!r.ok) {
      this.metrics?.configStale.set(1);
      const summary = r.errors.summary();
      this.log.error('configuration invalid, keeping the last valid one', { op: 'setConfig', error: summary, transient: r.errors.transient });
      void this.writeConfigurationState(false, summary);
      if (r.errors.transient) return { requeueAfterMs: 5000 };
      return;
    }
    this.configOk = true;
    this.metrics?.configStale.set(0);
    this.metrics?.configLoaded.set(1);
    const json = JSON.stringify(r.pools);
    if (json === this.lastPoolsJson) {
      void this.writeConfigurationState(true, '');
      return;
    }
    const set = this.state.allocator.setPools(r.pools);
    if (!set.ok) {
      // libs/config already rejects what ipam would; keep the old pools if not.
      this.metrics?.configStale.set(1);
      this.log.error('pools refused by the allocator, keeping the last valid ones', { op: 'setConfig', error: set.message });
      void this.writeConfigurationState(false, set.message);
      return;
    }
    const before = this.state.pools;
    this.state.pools = r.pools;
    this.lastPoolsJson = json;
    for (const d of set.dropped) this.log.warn('allocation dropped by the new configuration', { service: d.key, pool: d.pool, reason: d.message });
    this.log.info('configuration loaded', { op: 'setConfig', pools: r.pools.map((p: PoolSpec) => p.name), moved: set.moved.length, dropped: set.dropped.length });
    void this.writeConfigurationState(true, '');
    for (const p of r.pools) this.dirtyPools.add(p.name);
    for (const p of before ?? []) this.dirtyPools.add(p.name);
    if (!initial) this.enqueue('reprocess');
    this.flushPools();
  }

  private async reconcileOne(key: string): Promise<void> {
    const svc = this.services.store.get(key);
    if (!svc) {
      const gone = this.state.allocator.release(key);
      if (gone.released) {
        this.log.info('service deleted, IP released', { service: key, ips: gone.allocation.ips.map(String), pool: gone.allocation.pool });
        this.dirtyPools.add(gone.allocation.pool);
        this.flushPools();
        this.enqueueUnallocated();
      }
      return;
    }
    if (!servesClass(svc, this.flags.lbClass)) return;
    if (!this.state.pools && !this.configOk) return; // MetalLB: nothing before a configuration exists
    const poolBefore = this.state.allocator.get(key)?.pool;
    const out = reconcileService(this.state, svc);
    const poolAfter = this.state.allocator.get(key)?.pool;
    if (poolBefore) this.dirtyPools.add(poolBefore);
    if (poolAfter) this.dirtyPools.add(poolAfter);
    await this.write(svc, out);
    for (const e of out.events) void this.events.record(svc, e.type, e.reason, e.message);
    if (out.events.length) this.log.info('service reconciled', { service: key, ips: out.desired.ingress, events: out.events.map((e) => e.reason) });
    this.flushPools();
    if (out.freedIPs || out.allocationKeyChanged) this.enqueueUnallocated();
  }

  /** After an IP was freed: services still waiting for an IP may now fit (MetalLB ReprocessAll). */
  private enqueueUnallocated(): void {
    for (const s of reprocessOrder(this.services.store.list())) {
      if (s.spec?.type === 'LoadBalancer' && !this.state.allocator.get(serviceKey(s))) this.enqueue(`svc/${serviceKey(s)}`);
    }
  }

  private async write(svc: Svc, out: ReconcileOutcome): Promise<void> {
    if (!out.changed) return;
    const ns = svc.metadata.namespace ?? 'default';
    const name = svc.metadata.name;
    const cur = svc.metadata.annotations ?? {};
    const annPatch: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(out.desired.annotations)) if ((cur[k] ?? null) !== v) annPatch[k] = v;
    try {
      if (Object.keys(annPatch).length) {
        await this.client.patch(Resources.services, ns, name, PatchType.merge, { metadata: { annotations: annPatch } }, { fieldManager: FIELD_MANAGER });
      }
      const same = statusIPs(svc).join(',') === out.desired.ingress.join(',');
      if (!same) {
        const ingress = out.desired.ingress.length ? out.desired.ingress.map((ip) => ({ ip })) : null;
        await patchStatus(this.client, Resources.services, ns, name, { loadBalancer: { ingress } }, FIELD_MANAGER);
      }
    } catch (e) {
      if (isApiError(e, 404)) return; // deleted meanwhile; the delete event follows
      throw e;
    }
  }

  /** Pool status writes are coalesced: at most one per pool every 500 ms. */
  private flushPools(): void {
    for (const p of this.dirtyPools) this.queue?.addAfter(`pool/${p}`, 500);
    this.dirtyPools.clear();
  }

  private updatePoolMetrics(): void {
    if (!this.metrics) return;
    const counts = this.state.allocator.allCounts();
    this.metrics.setPools(
      counts.map((c) => ({
        pool: c.pool,
        total: Number(c.total),
        ipv4Total: Number(c.ipv4Total),
        ipv6Total: Number(c.ipv6Total),
        inUse: Number(c.inUse),
        ipv4InUse: Number(c.ipv4InUse),
        ipv6InUse: Number(c.ipv6InUse),
        services: c.services,
      })),
    );
    let without = 0;
    for (const s of this.services.store.list()) {
      if (s.spec?.type === 'LoadBalancer' && servesClass(s, this.flags.lbClass) && !this.state.allocator.get(serviceKey(s))) without++;
    }
    this.metrics.unallocated.set(without);
  }

  private async writePoolStatus(pool: string): Promise<void> {
    const st = this.state.allocator.status(pool);
    if (!st) return; // pool deleted
    const clamp = (v: bigint) => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v));
    const status = {
      assignedIPv4: clamp(st.assignedIPv4),
      assignedIPv6: clamp(st.assignedIPv6),
      availableIPv4: clamp(st.availableIPv4),
      availableIPv6: clamp(st.availableIPv6),
    };
    try {
      await patchStatus(this.client, CONFIG_RESOURCES.ipaddresspools, this.flags.namespace, pool, status, FIELD_MANAGER);
    } catch (e) {
      if (isApiError(e, 404)) return;
      throw e;
    }
  }

  /** MetalLB's ConfigurationState for the controller: condition `poolReconcilerValid`. */
  private async writeConfigurationState(valid: boolean, message: string): Promise<void> {
    const now = new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const obj = {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'ConfigurationState',
      metadata: { name: 'controller', namespace: this.flags.namespace, labels: { 'metallb.io/component-type': 'controller' } },
    };
    const status = {
      result: valid ? 'Valid' : 'Invalid',
      errorSummary: valid ? '' : message,
      conditions: [
        {
          type: 'poolReconcilerValid',
          status: valid ? 'True' : 'False',
          reason: valid ? 'Reconciled' : 'ConfigurationError',
          message: valid ? '' : `configuration error: ${message}`.slice(0, 32768),
          lastTransitionTime: now,
        },
      ],
    };
    try {
      try {
        await this.client.create(CONFIGURATION_STATES, this.flags.namespace, obj as KubeObject, { fieldManager: FIELD_MANAGER });
      } catch (e) {
        if (!isApiError(e, 409)) throw e;
      }
      await applyStatus(this.client, CONFIGURATION_STATES, { ...obj, status }, FIELD_MANAGER);
      if (!valid) {
        const cs = { ...obj, metadata: { ...obj.metadata, uid: undefined } } as unknown as KubeObject;
        void this.events.record(cs, 'Warning', 'ConfigurationError', `configuration invalid, the last valid one stays in force: ${message}`.slice(0, 1024));
      }
    } catch (e) {
      this.log.debug('ConfigurationState write failed', { error: e });
    }
  }

  /** MetalLB 4.6: create the memberlist secret if asked and missing; never modify an existing one. */
  private async ensureMemberlistSecret(): Promise<void> {
    if (!this.flags.mlSecretName) return;
    if (this.secrets.store.get(`${this.flags.namespace}/${this.flags.mlSecretName}`)) return;
    const key = randomBytes(16).toString('base64').replace(/=+$/, '');
    try {
      await this.client.create(Resources.secrets, this.flags.namespace, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: this.flags.mlSecretName, namespace: this.flags.namespace },
        type: 'Opaque',
        data: { secretkey: Buffer.from(key).toString('base64') },
      } as KubeObject);
      this.log.info('created memberlist secret', { secret: this.flags.mlSecretName });
    } catch (e) {
      if (!isApiError(e, 409)) this.log.error('could not create the memberlist secret', { error: e });
    }
  }
}

