/**
 * The controller runtime: informers in, one work queue, the pure core in the middle, writers out.
 *
 * Work is a {@link QueueKey}: `config` (reassemble and validate the configuration), `service`
 * (converge one Service), `pool` (write one IPAddressPool.status), `reprocess`, `gate`.
 * Allocator changes happen synchronously inside a reconcile, so they are totally ordered even
 * with several workers writing to the API server at once.
 */
import {
  CONFIG_RESOURCES,
  ConfigurationStateWriter,
  CORE_RESOURCES,
  DEFAULT_RECONNECT_MAX_MS,
  InformerObserver,
  servesClass,
  serviceKey,
  ThrottledLog,
  stampTypeMeta,
  typeMetaOf,
  type Logger,
  type TypedResource,
} from '@metallb-ts/app-runtime';
import { formatRfc3339, systemClock, systemRng, type Clock, type Rng } from '@metallb-ts/clock';
import { CONDITION_REASONS, type Config } from '@metallb-ts/config';
import { assertNever } from '@metallb-ts/errors';
import { Allocator, type PoolSpec } from '@metallb-ts/ipam';
import { EventRecorder, Informer, WorkQueue, defaultControllerRateLimiter, runReconciler, type ApiClient, type KubeObject, type RunningReconciler } from '@metallb-ts/k8s-watch';
import { ADVERTISEMENT_POOLS_CONDITION, describeMissingPools, missingAdvertisementPools, POOL_NOT_FOUND_REASON } from './advertisements.js';
import { assembleConfig, type RawObject } from './config-map.js';
import { reconcileService, reprocessOrder, restoreFromStatus, type CoreState } from './core.js';
import type { ControllerFlags } from './flags.js';
import type { ControllerMetrics } from './metrics.js';
import { decodeKey, encodeKey, serviceWork, type QueueKey } from './queue-key.js';
import { slim, slimService, type Svc } from './transforms.js';
import { createMemberlistSecret, FIELD_MANAGER, writePoolStatus, writeService } from './writers.js';

/** `source.component` of the controller's Events. */
const COMPONENT = 'metallb-controller';
const SERVICE_KIND = typeMetaOf(CORE_RESOURCES.services);
const CONFIGURATION_STATE_KIND = { apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState' };
/** Reason of the Warning Event on a Service whose IP a configuration change took away (quirk 16). */
export const POOL_CHANGED_REASON = 'AllocationDroppedByConfig';

/** What the controller is built from. */
export interface ControllerOptions {
  client: ApiClient;
  flags: ControllerFlags;
  log: Logger;
  metrics?: ControllerMetrics;
  /** @default systemClock */
  clock?: Clock;
  /** The memberlist secret's key material. @default systemRng */
  rng?: Rng;
}

/** The controller: warm caches always, allocation while active (the leader). */
export class Controller {
  private readonly client: ApiClient;
  private readonly flags: ControllerFlags;
  private readonly log: Logger;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly clock: Clock;
  private readonly rng: Rng;
  readonly services: Informer<Svc>;
  private readonly namespaces: Informer<KubeObject>;
  private readonly secrets: Informer<KubeObject>;
  private readonly configInformers: Informer<KubeObject>[];
  private readonly events: EventRecorder;
  private readonly informers: InformerObserver;
  /** Warn lines that repeat while the API server is away, rate-limited per key. */
  readonly warn: ThrottledLog;
  private readonly configState: ConfigurationStateWriter;
  private state: CoreState = { allocator: new Allocator(), pools: undefined };
  private lastPoolsJson = '';
  /** The last "advertisement names a missing pool" text reported ('' when none). */
  private lastMissingPools = '';
  private queue: WorkQueue | undefined;
  private runner: RunningReconciler | undefined;
  /** MetalLB's initial-load gate: individual Service events wait until the first full pass. */
  private gateOpen = false;
  private syncing: Promise<void> | undefined;
  /** Bumped by every activation and deactivation. */
  private generation = 0;
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
    this.rng = opts.rng ?? systemRng;
    this.warn = new ThrottledLog({ log: this.log, clock: this.clock });
    // Informer failures are said at warn (rate-limited) and counted; while the API server is away
    // informers retry at least every retry period, so its return is noticed within one.
    this.informers = new InformerObserver({
      log: this.log,
      clock: this.clock,
      ...(this.metrics ? { metrics: this.metrics } : {}),
      reconnectMaxMs: Math.min(DEFAULT_RECONNECT_MAX_MS, this.flags.retryPeriodSeconds * 1000),
    });
    const common = { client: this.client, clock: this.clock };
    // Every cached object carries apiVersion/kind (a real API server omits them from list items).
    const informer = (resource: TypedResource, namespace?: string) =>
      this.informers.informer<KubeObject>({ ...common, resource, transform: stampTypeMeta(resource, slim), ...(namespace ? { namespace } : {}) });
    this.services = this.informers.informer<Svc>({ ...common, resource: CORE_RESOURCES.services, transform: stampTypeMeta(CORE_RESOURCES.services, slimService) });
    this.namespaces = informer(CORE_RESOURCES.namespaces);
    this.secrets = informer(CORE_RESOURCES.secrets, this.flags.namespace);
    this.configInformers = Object.values(CONFIG_RESOURCES).map((r) => informer(r, this.flags.namespace));
    this.metrics?.onScrape(() => this.updatePoolMetrics());
    this.events = new EventRecorder({ client: this.client, component: COMPONENT, host: this.flags.identity, clock: this.clock, onError: (e) => this.warn.warn('api:event', 'event write failed', { error: e }) });
    this.configState = new ConfigurationStateWriter({
      client: this.client,
      namespace: this.flags.namespace,
      component: { type: 'controller' },
      fieldManager: FIELD_MANAGER,
      owner: this.flags.podName ? { kind: 'pod', namespace: this.flags.namespace, name: this.flags.podName } : { kind: 'none' },
      clock: this.clock,
    });

    const configChanged = () => this.enqueue({ kind: 'config' });
    for (const inf of [...this.configInformers, this.namespaces, this.secrets]) {
      inf.addEventHandler({ onAdd: configChanged, onUpdate: configChanged, onDelete: configChanged });
    }
    this.services.addEventHandler({
      onAdd: (s) => this.serviceEvent(s),
      onUpdate: (_o, s) => this.serviceEvent(s),
      onDelete: (s) => this.enqueue(serviceWork(serviceKey(s))),
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

  private get allInformers(): Informer<KubeObject>[] {
    return [this.services, this.namespaces, this.secrets, ...this.configInformers];
  }

  /** Starts the informers and waits until every one has synced. */
  startInformers(signal?: AbortSignal): Promise<void> {
    // Every caller, also a later one (the leader elector), waits for the same full sync: no
    // allocation before every informer has listed (a restart must see every existing IP).
    this.syncing ??= (async () => {
      const all = this.allInformers;
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
    // A deactivation (or a newer activation) while this one waits makes it stale: it must not
    // start a queue for a term that already ended.
    const generation = ++this.generation;
    await this.startInformers();
    if (generation !== this.generation) return;
    this.state = { allocator: new Allocator(), pools: undefined };
    this.lastPoolsJson = '';
    this.gateOpen = false;
    this.heldDuringGate.clear();
    await this.ensureMemberlistSecret();
    if (generation !== this.generation) return;
    this.reconcileConfig(true);
    const services = this.services.store.list();
    if (this.state.pools) {
      const r = restoreFromStatus(this.state, services, (s) => servesClass(s, this.flags.lbClass));
      this.log.info('restored existing allocations', { op: 'startup', restored: r.restored, rejected: r.rejected.length });
      for (const x of r.rejected) this.log.warn('existing IP not restored; the service will be reconciled', { service: x.key, reason: x.message });
    }
    this.queue = new WorkQueue({ clock: this.clock, rateLimiter: defaultControllerRateLimiter(this.clock) });
    for (const s of reprocessOrder(services)) this.enqueue(serviceWork(serviceKey(s)));
    this.enqueue({ kind: 'gate' });
    // Several workers are safe: every allocator decision is synchronous (made before the first
    // await of a reconcile), and the queue never hands the same key to two workers. Only the
    // API writes overlap.
    this.runner = runReconciler({
      queue: this.queue,
      concurrency: 8,
      reconcile: (key) => this.reconcile(key),
      onOutcome: (o) => {
        this.metrics?.client.updates.inc();
        if (o.kind !== 'success') {
          this.metrics?.client.updateErrors.inc();
          // One budget per kind of work: an outage fails every key, and says so in a few lines.
          const kind = decodeKey(o.key)?.kind ?? 'unknown';
          this.warn.warn(`reconcile:${kind}`, o.kind === 'retry' ? 'reconcile failed, retrying with back-off' : 'reconcile failed, dropped', {
            key: o.key,
            error: o.error,
            ...(o.kind === 'retry' ? { requeues: o.requeues } : {}),
          });
        }
      },
    });
    this.log.info('controller active', { op: 'startup', identity: this.flags.identity });
  }

  /** Stops allocating (lost leadership or shutdown). Informers keep running. */
  async deactivate(): Promise<void> {
    this.generation++;
    const r = this.runner;
    this.runner = undefined;
    this.queue = undefined;
    this.gateOpen = false;
    await r?.stop();
  }

  async stop(): Promise<void> {
    await this.deactivate();
    await Promise.all(this.allInformers.map((i) => i.stop()));
  }

  private enqueue(k: QueueKey): void {
    this.queue?.add(encodeKey(k));
  }

  private enqueueAfter(k: QueueKey, ms: number): void {
    this.queue?.addAfter(encodeKey(k), ms);
  }

  private serviceEvent(s: Svc): void {
    const key = serviceKey(s);
    if (!this.gateOpen) {
      // Held until the initial pass is done (MetalLB's gate), then replayed: unlike MetalLB,
      // an event that arrives during the pass is never lost.
      this.heldDuringGate.add(key);
      return;
    }
    this.enqueue(serviceWork(key));
  }

  private async reconcile(text: string): Promise<{ requeueAfterMs?: number } | void> {
    const k = decodeKey(text);
    if (!k) {
      this.log.error('unknown work-queue key dropped', { key: text });
      return;
    }
    switch (k.kind) {
      case 'config':
        return this.reconcileConfig(false);
      case 'gate':
        this.gateOpen = true;
        for (const key of this.heldDuringGate) this.enqueue(serviceWork(key));
        this.heldDuringGate.clear();
        this.log.info('initial allocation pass done', { op: 'startup', services: this.state.allocator.size });
        return;
      case 'reprocess':
        for (const s of reprocessOrder(this.services.store.list())) this.enqueue(serviceWork(serviceKey(s)));
        return;
      case 'pool':
        return this.writePoolStatus(k.name);
      case 'service':
        return this.reconcileOne(k.key);
      default:
        return assertNever(k, 'queue key');
    }
  }

  /** Reassembles the configuration; on change, re-pools the allocator and reprocesses every Service. */
  private reconcileConfig(initial: boolean): { requeueAfterMs?: number } | void {
    const objects: RawObject[] = [];
    for (const inf of [...this.configInformers, this.namespaces, this.secrets]) for (const o of inf.store.list()) objects.push(o as RawObject);
    const r = assembleConfig(objects, this.flags.namespace);
    if (!r.ok) {
      this.metrics?.client.configStale.set(1);
      const summary = r.errors.summary();
      this.log.error('configuration invalid, keeping the last valid one', { op: 'setConfig', error: summary, transient: r.errors.transient });
      void this.reportConfigState(this.configState.report(r.errors), { reason: 'ConfigurationError', message: `configuration invalid, the last valid one stays in force: ${summary}` });
      if (r.errors.transient) return { requeueAfterMs: 5000 };
      return;
    }
    this.configOk = true;
    this.metrics?.client.configStale.set(0);
    this.metrics?.client.configLoaded.set(1);
    const json = JSON.stringify(r.pools);
    if (json === this.lastPoolsJson) {
      this.reportValid(objects, r.config);
      return;
    }
    const set = this.state.allocator.setPools(r.pools);
    if (!set.ok) {
      // libs/config already rejects what ipam would; keep the old pools if not.
      this.metrics?.client.configStale.set(1);
      this.log.error('pools refused by the allocator, keeping the last valid ones', { op: 'setConfig', error: set.message });
      const condition = {
        type: this.configState.conditionType,
        status: 'False' as const,
        reason: CONDITION_REASONS.configurationError,
        message: `configuration error: ${set.message}`,
        lastTransitionTime: formatRfc3339(this.clock.now()),
      };
      void this.reportConfigState(this.configState.reportCondition(condition), { reason: 'ConfigurationError', message: `configuration invalid, the last valid one stays in force: ${set.message}` });
      return;
    }
    const before = this.state.pools;
    this.state.pools = r.pools;
    this.lastPoolsJson = json;
    for (const d of set.dropped) {
      this.log.warn('allocation dropped by the new configuration', { service: d.key, pool: d.pool, reason: d.message });
      // MetalLB quirk 16 (kept): the Service moves. Say why on it, not only the later IPAllocated.
      const svc = this.services.store.get(d.key);
      if (!svc) continue;
      void this.events.record(svc, SERVICE_KIND, 'Warning', POOL_CHANGED_REASON, `${d.message} (${d.reason})`.slice(0, 1024));
      // And MetalLB's own Event for it (conformance c06), where pools are left to move to; with
      // no pool at all MetalLB clears silently.
      if (r.pools.length) void this.events.record(svc, SERVICE_KIND, 'Normal', 'ClearAssignment', `current IP for ${d.key} not allowed by config, will attempt for new IP assignment: ${d.message}`.slice(0, 1024));
    }
    this.log.info('configuration loaded', { op: 'setConfig', pools: r.pools.map((p: PoolSpec) => p.name), moved: set.moved.length, dropped: set.dropped.length });
    this.reportValid(objects, r.config);
    for (const p of r.pools) this.dirtyPools.add(p.name);
    for (const p of before ?? []) this.dirtyPools.add(p.name);
    if (!initial) this.enqueue({ kind: 'reprocess' });
    this.flushPools();
  }

  /**
   * A valid configuration: `Valid` on the ConfigurationState, plus (beyond MetalLB) a warning
   * condition and a Warning Event when an advertisement names a pool that does not exist.
   */
  private reportValid(objects: readonly RawObject[], config: Config): void {
    const missing = missingAdvertisementPools(objects, config);
    const text = describeMissingPools(missing);
    if (!missing.length) {
      this.lastMissingPools = '';
      void this.reportConfigState(this.configState.report(config));
      return;
    }
    const condition = this.configState.warningCondition(ADVERTISEMENT_POOLS_CONDITION, POOL_NOT_FOUND_REASON, text);
    // Said once per change, not on every reconcile of the same configuration.
    const changed = text !== this.lastMissingPools;
    this.lastMissingPools = text;
    if (changed) this.log.warn('advertisement names a pool that does not exist', { op: 'setConfig', advertisements: missing.map((m) => `${m.kind}/${m.name}`), message: text });
    void this.reportConfigState(this.configState.report(config, [condition]), changed ? { reason: POOL_NOT_FOUND_REASON, message: text } : undefined);
  }

  /** Logs a failed ConfigurationState write; after a written state, the Warning Event on it, if any. */
  private async reportConfigState(write: ReturnType<ConfigurationStateWriter['report']>, warning?: { reason: string; message: string }): Promise<void> {
    const out = await write;
    if (out.kind === 'failed') {
      this.warn.warn('api:configurationstate', 'ConfigurationState write failed', { error: out.error });
      return;
    }
    if (warning !== undefined) {
      const { name, namespace, uid } = out.object.metadata;
      const involved = { metadata: { name, namespace, uid } };
      void this.events.record(involved, CONFIGURATION_STATE_KIND, 'Warning', warning.reason, warning.message.slice(0, 1024));
    }
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
    if (out.changed) await writeService(this.client, svc, out.desired);
    for (const e of out.events) void this.events.record(svc, SERVICE_KIND, e.type, e.reason, e.message);
    if (out.events.length) this.log.info('service reconciled', { service: key, ips: out.desired.ingress, events: out.events.map((e) => e.reason) });
    this.flushPools();
    if (out.freedIPs || out.allocationKeyChanged) this.enqueueUnallocated();
  }

  /** After an IP was freed: services still waiting for an IP may now fit (MetalLB ReprocessAll). */
  private enqueueUnallocated(): void {
    for (const s of reprocessOrder(this.services.store.list())) {
      if (s.spec?.type === 'LoadBalancer' && !this.state.allocator.get(serviceKey(s))) this.enqueue(serviceWork(serviceKey(s)));
    }
  }

  /** Pool status writes are coalesced: at most one per pool every 500 ms. */
  private flushPools(): void {
    for (const p of this.dirtyPools) this.enqueueAfter({ kind: 'pool', name: p }, 500);
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
    await writePoolStatus(this.client, this.flags.namespace, pool, st);
  }

  /** MetalLB 4.6: create the memberlist secret if asked and missing; never modify an existing one. */
  private async ensureMemberlistSecret(): Promise<void> {
    const name = this.flags.mlSecretName;
    if (!name) return;
    if (this.secrets.store.get(`${this.flags.namespace}/${name}`)) return;
    const out = await createMemberlistSecret(this.client, this.flags.namespace, name, this.rng.bytes(16));
    if (out.kind === 'created') this.log.info('created memberlist secret', { secret: name });
    else if (out.kind === 'failed') this.log.error('could not create the memberlist secret', { error: out.error });
  }
}
