/**
 * The speaker runtime: informers in, one debounced work loop that recomputes the pure core over
 * everything cached, and drivers that apply only what changed — Layer 2 (responder), BGP
 * (sessions), memberlist, status objects, Events, metrics.
 *
 * There is no per-Service queue: every change marks the state dirty and one pass recomputes the
 * whole plan, as MetalLB's ReprocessAll would; the plan diff keeps the outside effects minimal and
 * idempotent. A change that finds the speaker idle runs a pass at once (next macrotask); changes
 * arriving during or within `debounceMs` of a pass are batched into one pass `debounceMs` after
 * that pass ended ({@link Speaker.schedule}).
 */
import {
  CONFIG_RESOURCES,
  ConfigurationStateWriter,
  CORE_RESOURCES,
  InformerObserver,
  METALLB_RESOURCES,
  servesClass,
  StatusKeeper,
  STATUS_LABELS,
  stampTypeMeta,
  ThrottledLog,
  typeMetaOf,
  type Logger,
  type TypedResource,
} from '@metallb-ts/app-runtime';
import type { ConflictEvent } from '@metallb-ts/arp-responder';
import { formatRfc3339, systemClock, type Clock, type TimerHandle } from '@metallb-ts/clock';
import { buildConfig, CONDITION_REASONS, ConfigTracker, isConfigErrors, vetoDroppedAnnouncements, type Config, type ProposeOutcome } from '@metallb-ts/config';
import { EventRecorder, type ApiClient, type Informer, type KubeObject } from '@metallb-ts/k8s-watch';
import { existsSync, readFileSync } from 'node:fs';
import { BgpDriver } from './bgp-driver.js';
import {
  announcedServices,
  computePlan,
  desiredSessions,
  eventsBetween,
  GATE_IN,
  l2Changes,
  l2LinkState,
  LINK_LOSS_HOLD_MS,
  statusChanges,
  stepLinkGate,
  type CorePlan,
  type L2LinkState,
  type LinkGate,
  type ServicePlan,
  type SpeakerNode,
} from './core/index.js';
import { memberlistEnabled, type SpeakerFlags } from './flags.js';
import { L2Driver } from './l2-driver.js';
import { MemberlistDriver } from './memberlist-driver.js';
import type { SpeakerMetrics } from './metrics.js';
import { slimEndpointSlice, slimSpeakerService } from './slim.js';
import { parseExcludeList, sliceEndpoints, sliceServiceKey, speakerNode, speakerService } from './transforms.js';
import type { Transport as L2Transport } from '@metallb-ts/arp-responder';
import type { BgpSession, SessionOptions, UnsendableRoute } from '@metallb-ts/bgp-speaker';

/** `source.component` of the speaker's Events (MetalLB's). */
export const COMPONENT = 'metallb-speaker';
/** The field manager of the speaker's writes. */
export const FIELD_MANAGER = 'metallb-ts-speaker';
/** The ConfigMap MetalLB ships for `announcedInterfacesToExclude`, and its key. */
export const EXCLUDE_CONFIGMAP = { name: 'metallb-excludel2', key: 'excludel2.yaml' } as const;
/**
 * The longest a leaving speaker keeps answering after its memberlist leave. It stops as soon as
 * another node has claimed every IP it announced (their gratuitous frames, seen as conflicts):
 * the others re-elect on the leave (one pass, at once when idle, within their
 * `debounceMs` batch when busy, longer under load), so clients move before this one falls silent — no gap for a SIGTERM'd node. The
 * bound keeps the whole stop inside MetalLB's 2 s termination grace period.
 */
export const HANDOVER_MS = 1500;
/** Wait before the work loop retries a failed pass. */
export const RETRY_MS = 500;
/** Reason of the Warning Event when another MAC answers for an IP this node announces. */
export const CONFLICT_REASON = 'ipConflict';

const SERVICE_KIND = typeMetaOf(CORE_RESOURCES.services);

/** Options of {@link Speaker}. */
export interface SpeakerOptions {
  client: ApiClient;
  flags: SpeakerFlags;
  log: Logger;
  metrics?: SpeakerMetrics;
  /** @default systemClock */
  clock?: Clock;
  /**
   * The work loop's batching window in ms: at most one pass starts within this long after the
   * previous pass ended; a change after a longer idle time runs a pass at once. @default 50
   */
  debounceMs?: number;
  /** Layer 2 transport (tests). @default AfPacketTransport */
  l2Transport?: L2Transport;
  /** BGP sessions (tests). @default createNodeSession */
  createSession?(o: SessionOptions): BgpSession;
  /** How long every allowed interface must lack carrier before Layer 2 is withdrawn and memberlist left. @default LINK_LOSS_HOLD_MS */
  linkLossHoldMs?: number;
}

const sortKeys = (v: unknown): string => JSON.stringify(v);

/** The speaker. */
export class Speaker {
  private readonly client: ApiClient;
  private readonly flags: SpeakerFlags;
  private readonly log: Logger;
  private readonly metrics: SpeakerMetrics | undefined;
  private readonly clock: Clock;
  private readonly warn: ThrottledLog;
  private readonly informerObserver: InformerObserver;
  readonly services: Informer<KubeObject>;
  private readonly slices: Informer<KubeObject>;
  private readonly nodes: Informer<KubeObject>;
  private readonly namespaces: Informer<KubeObject>;
  private readonly secrets: Informer<KubeObject>;
  private readonly configMaps: Informer<KubeObject>;
  private readonly configInformers: Informer<KubeObject>[];
  private readonly pods: Informer<KubeObject> | undefined;
  /** This node's own ServiceL2Status objects (label `metallb.io/node`), to notice one deleted by someone else. */
  private readonly ownL2Statuses: Informer<KubeObject>;
  /** Services whose L2 status object someone else deleted: written again without deleting others' ({@link ownStatusDeleted}). */
  private readonly reKeep = new Set<string>();
  private readonly events: EventRecorder;
  private readonly configState: ConfigurationStateWriter;
  private readonly l2Keeper: StatusKeeper;
  private readonly bgpKeeper: StatusKeeper;
  readonly l2: L2Driver;
  readonly bgp: BgpDriver;
  readonly memberlist: MemberlistDriver | undefined;
  private readonly tracker: ConfigTracker;
  private plan: CorePlan | undefined;
  /** When the oldest unprocessed change was seen ({@link Clock.monotonic}). */
  private dirtySince: number | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  /** A change arrived during the running pass: one follow-up pass, batched. */
  private again = false;
  /** The running pass failed: retried after {@link RETRY_MS}. */
  private failed = false;
  /** When the last pass ended ({@link Clock.monotonic}); undefined before the first. */
  private lastPassEnd: number | undefined;
  private stopped = false;
  private synced = false;
  private lastConfigReport = '';
  private excludeText = '';
  private fileExclude: readonly RegExp[] = [];
  private readonly written = { l2: new Map<string, string>(), bgp: new Map<string, string>() };
  private statusChain: Promise<void> = Promise.resolve();
  private statusRetry: TimerHandle | undefined;
  private configRetry: TimerHandle | undefined;
  private readonly debounceMs: number;
  private readonly reportedUnsendable = new Map<string, Set<string>>();
  private readonly linkLossHoldMs: number;
  /** Carrier-loss debounce (`core/link-gate.ts`). */
  private linkGate: LinkGate = GATE_IN;
  private linkRecheck: TimerHandle | undefined;
  private lastLinkState = '';

  constructor(opts: SpeakerOptions) {
    this.client = opts.client;
    this.flags = opts.flags;
    this.log = opts.log;
    this.metrics = opts.metrics;
    this.clock = opts.clock ?? systemClock;
    this.debounceMs = opts.debounceMs ?? 50;
    this.linkLossHoldMs = opts.linkLossHoldMs ?? LINK_LOSS_HOLD_MS;
    this.warn = new ThrottledLog({ log: this.log, clock: this.clock });
    this.informerObserver = new InformerObserver({ log: this.log, clock: this.clock, ...(this.metrics ? { metrics: this.metrics } : {}) });
    const ns = this.flags.namespace;
    const common = { client: this.client, clock: this.clock };
    const informer = (resource: TypedResource, namespace?: string, labelSelector?: string, slim?: (o: KubeObject) => KubeObject) =>
      this.informerObserver.informer<KubeObject>({ ...common, resource, transform: stampTypeMeta(resource, slim), ...(namespace ? { namespace } : {}), ...(labelSelector ? { labelSelector } : {}) });
    // Services and EndpointSlices are cached reduced to what the speaker reads (issue 20: memory).
    this.services = informer(CORE_RESOURCES.services, undefined, undefined, slimSpeakerService);
    this.slices = informer(CORE_RESOURCES.endpointSlices, undefined, undefined, slimEndpointSlice);
    this.nodes = informer(CORE_RESOURCES.nodes);
    this.namespaces = informer(CORE_RESOURCES.namespaces);
    this.secrets = informer(CORE_RESOURCES.secrets, ns);
    this.configMaps = informer(CORE_RESOURCES.configMaps, ns);
    this.configInformers = Object.values(CONFIG_RESOURCES).map((r) => informer(r, ns));
    this.pods = memberlistEnabled(this.flags) ? informer(CORE_RESOURCES.pods, this.flags.mlNamespace, this.flags.mlLabels) : undefined;
    this.ownL2Statuses = informer(METALLB_RESOURCES.servicel2statuses, ns, `${STATUS_LABELS.node}=${this.flags.nodeName}`);

    const pod = this.flags.podName ? ({ kind: 'pod', namespace: ns, name: this.flags.podName } as const) : ({ kind: 'none' } as const);
    this.events = new EventRecorder({ client: this.client, component: COMPONENT, host: this.flags.nodeName, clock: this.clock, onError: (e) => this.warn.warn('api:event', 'event write failed', { error: e }) });
    this.configState = new ConfigurationStateWriter({ client: this.client, namespace: ns, component: { type: 'speaker', node: this.flags.nodeName }, fieldManager: FIELD_MANAGER, owner: pod, clock: this.clock });
    const keeper = (resource: TypedResource, generateName: string, exclusive: boolean) =>
      new StatusKeeper({ client: this.client, resource, namespace: ns, node: this.flags.nodeName, generateName, exclusive, owner: pod, fieldManager: FIELD_MANAGER });
    this.l2Keeper = keeper(METALLB_RESOURCES.servicel2statuses, 'l2-', true);
    this.bgpKeeper = keeper(METALLB_RESOURCES.servicebgpstatuses, 'bgp-', false);
    this.tracker = new ConfigTracker(this.buildOptions, { veto: vetoDroppedAnnouncements(() => announcedServices(this.plan)) });

    this.l2 = new L2Driver({
      log: this.log,
      clock: this.clock,
      ...(this.metrics ? { metrics: this.metrics } : {}),
      ...(opts.l2Transport ? { transport: opts.l2Transport } : {}),
      onConflict: (e) => this.conflict(e),
      onLinksChanged: () => this.schedule(),
    });
    this.bgp = new BgpDriver({
      log: this.log,
      nodeName: this.flags.nodeName,
      ...(this.metrics ? { metrics: this.metrics } : {}),
      ...(opts.createSession ? { createSession: opts.createSession } : {}),
      onUnsendable: (peer, routes) => this.unsendable(peer, routes),
    });
    this.memberlist = memberlistEnabled(this.flags)
      ? new MemberlistDriver({
          log: this.log,
          clock: this.clock,
          nodeName: this.flags.nodeName,
          bindAddr: this.flags.mlBindAddr,
          bindPort: this.flags.mlBindPort,
          preset: this.flags.mlWanConfig ? 'wan' : this.flags.mlPreset,
          deadOnRefused: this.flags.mlDeadOnRefused,
          secretKeyPath: this.flags.mlSecretKeyPath,
          onChange: () => this.schedule(),
        })
      : undefined;

    const changed = () => this.schedule();
    for (const inf of [this.services, this.slices, this.namespaces, this.secrets, ...this.configInformers]) {
      inf.addEventHandler({ onAdd: changed, onUpdate: changed, onDelete: changed });
    }
    // Node heartbeats change nothing the speaker reads: only labels, NetworkUnavailable and addresses count.
    this.nodes.addEventHandler({
      onAdd: (n) => this.nodeChanged(n),
      onUpdate: (o, n) => {
        if (sortKeys(speakerNode(o)) !== sortKeys(speakerNode(n))) this.nodeChanged(n);
      },
      onDelete: changed,
    });
    this.configMaps.addEventHandler({ onAdd: () => this.excludeChanged(), onUpdate: () => this.excludeChanged(), onDelete: () => this.excludeChanged() });
    this.pods?.addEventHandler({ onAdd: () => this.podsChanged(), onUpdate: () => this.podsChanged(), onDelete: () => this.podsChanged() });
    this.ownL2Statuses.addEventHandler({ onDelete: (o) => this.ownStatusDeleted(o) });
  }

  private get allInformers(): Informer<KubeObject>[] {
    return [this.services, this.slices, this.nodes, this.namespaces, this.secrets, this.configMaps, ...this.configInformers, ...(this.pods ? [this.pods] : []), this.ownL2Statuses];
  }

  /** The informers the configuration is built from. */
  private get configSources(): Informer<KubeObject>[] {
    return [...this.configInformers, this.namespaces, this.secrets, this.nodes];
  }

  /** Every object the configuration is built from, as the caches hold them now. */
  private configObjects(): unknown[] {
    return this.configSources.flatMap((inf) => inf.store.list());
  }

  /** How this speaker builds its configuration (the tracker's and the early sessions' alike). */
  private get buildOptions(): { namespace: string; bgpType: 'native'; node: string } {
    return { namespace: this.flags.namespace, bgpType: 'native', node: this.flags.nodeName };
  }

  /**
   * Opens the sessions of the BGPPeers selecting this node, from the configuration as the caches
   * hold it at startup (side-effect free: no ConfigurationState, no log; the first pass decides
   * for good and keeps a session whose parameters it agrees with). Nothing when it is invalid.
   */
  private openSessionsEarly(): void {
    const config = buildConfig(this.configObjects(), this.buildOptions);
    if (isConfigErrors(config)) return;
    const me = this.nodes.store.list().map(speakerNode).find((n) => n.name === this.flags.nodeName);
    this.bgp.openEarly(desiredSessions(config, { name: this.flags.nodeName, labels: me?.labels ?? {} }), me?.addresses ?? []);
  }

  /** Why `/readyz` fails, or undefined. */
  notReady(): string | undefined {
    if (!this.synced) return 'informers not synced';
    if (!this.plan) return 'first announcement pass not done';
    return undefined;
  }

  /** Starts everything; resolves once the informers synced and the first pass ran. */
  async start(): Promise<void> {
    this.fileExclude = this.readExcludeFile();
    for (const i of this.allInformers) i.start();
    // The configuration's caches are small and sync first: open the BGP sessions then, so their
    // TCP and OPEN exchange overlaps the Service caches and the first pass (the sessions send
    // nothing before that pass hands them the whole set: `awaitRoutes`).
    await Promise.all(this.configSources.map((i) => i.waitForSync()));
    this.openSessionsEarly();
    await Promise.all(this.allInformers.map((i) => i.waitForSync()));
    this.synced = true;
    this.log.info('caches synced', { op: 'startup', services: this.services.store.size(), nodes: this.nodes.store.size() });
    this.excludeText = this.excludeConfigMapText();
    this.l2.start(this.excludePatterns());
    if (this.memberlist) {
      try {
        await this.memberlist.start();
        this.podsChanged();
      } catch (e) {
        this.log.error('memberlist could not start; Layer 2 elects among every known Node', { op: 'memberlist', error: (e as Error).message });
      }
    }
    await this.adoptStatusObjects();
    await this.runOnce();
  }

  /**
   * Shutdown (SIGTERM): leave memberlist (the others re-elect at once) while the BGP sessions
   * close with a Cease (routers withdraw our routes); keep answering ARP/NDP for a short
   * hand-over — until another node has claimed every IP, at most {@link HANDOVER_MS} — so the new owner's gratuitous frames reach the clients before
   * we go silent, then stop answering.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.statusRetry?.cancel();
    this.configRetry?.cancel();
    this.linkRecheck?.cancel();
    const ips = [...(this.plan?.services.values() ?? [])].filter((s) => s.l2.kind === 'announce').flatMap((s) => s.ips);
    const handOver = this.memberlist && this.l2.answering().length > 0 ? ips : [];
    const t0 = this.clock.monotonic();
    const r = await this.l2.handOver(handOver, () => Promise.all([this.memberlist?.stop(), this.bgp.stopAll()]), HANDOVER_MS);
    if (r !== 'none') this.log.info(r === 'taken' ? 'hand-over: every IP claimed by another node' : 'hand-over: not every IP was claimed in time; going silent anyway', { op: 'shutdown', ips, ms: Math.round(this.clock.monotonic() - t0) });
    this.l2.close();
    await Promise.all(this.allInformers.map((i) => i.stop()));
  }

  /**
   * Marks the state dirty and runs the work loop. Without `delayMs`: at once (timer 0, the next
   * macrotask) when no pass ended within the last {@link debounceMs}, else {@link debounceMs}
   * after the last pass ended — so a change on an idle speaker costs no wait, and a burst costs
   * one pass at once plus one per {@link debounceMs} while it lasts. A change during a pass gets
   * one follow-up pass, the same way. A timer already set (a batch, or the retry after a failed
   * pass) takes the change along. `delayMs` forces the wait (0 for the carrier-loss recheck).
   */
  schedule(delayMs?: number): void {
    if (this.stopped || !this.synced) return;
    const now = this.clock.monotonic();
    this.dirtySince ??= now;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    const wait = delayMs ?? (this.lastPassEnd === undefined ? 0 : Math.max(0, this.lastPassEnd + this.debounceMs - now));
    this.timer = this.clock.setTimer(wait, () => {
      this.timer = undefined;
      void this.runOnce();
    });
  }

  private async runOnce(): Promise<void> {
    if (this.stopped) return;
    this.running = true;
    try {
      this.pass();
      this.metrics?.client.updates.inc();
    } catch (e) {
      this.metrics?.client.updateErrors.inc();
      this.log.error('speaker pass failed; retrying', { op: 'reconcile', error: (e as Error).stack ?? String(e) });
      this.failed = true;
    } finally {
      this.running = false;
      this.lastPassEnd = this.clock.monotonic();
    }
    if (this.failed) {
      this.failed = false;
      this.again = false;
      this.schedule(RETRY_MS);
    } else if (this.again) {
      this.again = false;
      this.schedule();
    }
  }

  /** One pass: configuration, plan, drivers. Synchronous except for the API writes it queues. */
  private pass(): void {
    const observedAt = this.dirtySince ?? this.clock.monotonic();
    this.dirtySince = undefined;
    const config = this.reconcileConfig();
    const nodes = this.nodes.store.list().map(speakerNode);
    const me: SpeakerNode | undefined = nodes.find((n) => n.name === this.flags.nodeName);
    const endpoints = new Map<string, ReturnType<typeof sliceEndpoints>>();
    for (const s of this.slices.store.list()) {
      const k = sliceServiceKey(s);
      if (k) endpoints.set(k, [...(endpoints.get(k) ?? []), ...sliceEndpoints(s)]);
    }
    const services = this.services.store
      .list()
      .filter((s) => servesClass(s, this.flags.lbClass))
      .map((s) => speakerService(s, endpoints.get(`${s.metadata.namespace ?? ''}/${s.metadata.name}`) ?? []));
    const linksDown = this.watchLinks(config);
    const ml = this.memberlist;
    const plan = computePlan({
      node: this.flags.nodeName,
      config,
      services,
      nodes,
      liveMembers: ml ? ml.members() : undefined,
      interfaces: this.l2.interfaces(),
      ignoreExcludeLb: this.flags.ignoreExcludeLb,
      holdL2: ml !== undefined && !ml.joinedOnce,
      l2LinksDown: linksDown,
    });
    const prev = this.plan;
    this.plan = plan;
    this.logTransitions(prev, plan);
    this.l2.apply(l2Changes(prev, plan), observedAt);
    this.bgp.sync(plan.sessions, plan.routes, me?.addresses ?? []);
    this.metrics?.setAnnounced(plan.announced);
    for (const e of eventsBetween(prev, plan)) {
      const svc = this.services.store.get(e.service);
      if (svc) void this.events.record(svc, SERVICE_KIND, e.type, e.reason, e.message);
    }
    this.queueStatusWrites();
  }

  /**
   * Carrier loss (issue 17): when no interface this node may answer on (its L2Advertisements'
   * interfaces, after the exclusion list) is up with carrier for {@link linkLossHoldMs}, Layer 2
   * is withdrawn and memberlist left gracefully so the other speakers re-elect at once; a usable
   * link brings the node back at once (rejoin through the normal join path, Layer 2 held until the
   * join attempt, then the election). Never leaves when Layer 2 is not in use here, when the
   * links are unknown, or when memberlist is off (then only withdraws). Returns whether Layer 2
   * is withdrawn for lack of links.
   */
  private watchLinks(config: Config | undefined): boolean {
    const state = l2LinkState({ node: this.flags.nodeName, config, links: this.l2.links() });
    this.metrics?.l2LinksUsable.set(state.kind === 'usable' ? state.links.length : state.kind === 'unusable' ? 0 : -1);
    this.logLinkState(state);
    const now = this.clock.monotonic();
    const step = stepLinkGate(this.linkGate, state, now, this.linkLossHoldMs);
    this.linkGate = step.gate;
    if (step.recheckAt !== undefined && !this.linkRecheck && !this.stopped) {
      this.linkRecheck = this.clock.setTimer(Math.max(0, step.recheckAt - now), () => {
        this.linkRecheck = undefined;
        this.schedule(0);
      });
    }
    const ml = this.memberlist;
    switch (step.action) {
      case 'none':
        break;
      case 'leave':
        this.metrics?.l2LinkLoss.inc();
        this.log.warn(ml ? 'no usable Layer 2 interface: withdrawing Layer 2 and leaving memberlist so another node takes over' : 'no usable Layer 2 interface: withdrawing Layer 2 (memberlist off: the other nodes cannot know)', {
          op: 'layer2',
          event: 'linksLost',
          allowed: state.kind === 'unusable' ? (state.allowed ?? 'all') : undefined,
          holdMs: this.linkLossHoldMs,
        });
        void ml?.pause();
        break;
      case 'rejoin':
        this.log.info(ml ? 'a Layer 2 interface is usable again: rejoining memberlist, announcing after the election' : 'a Layer 2 interface is usable again: announcing after the election', {
          op: 'layer2',
          event: 'linksRecovered',
          links: state.kind === 'usable' ? state.links : undefined,
        });
        void ml?.resume();
        break;
      default: {
        const never: never = step.action;
        return never;
      }
    }
    return this.linkGate.phase === 'out';
  }

  private logLinkState(state: L2LinkState): void {
    const id = state.kind === 'usable' ? `usable:${state.links.join(',')}` : state.kind;
    if (id === this.lastLinkState) return;
    this.lastLinkState = id;
    this.log.debug('layer 2 links', { op: 'layer2', state: state.kind, ...(state.kind === 'usable' ? { links: state.links } : {}) });
  }

  /** The configuration through the tracker, with MetalLB's veto (§2.5) and ConfigurationState. */
  private reconcileConfig(): Config | undefined {
    const p: ProposeOutcome = this.tracker.propose(this.configObjects());
    switch (p.kind) {
      case 'accept': {
        const c = this.tracker.commit();
        this.metrics?.client.configLoaded.set(1);
        this.metrics?.client.configStale.set(0);
        if (c.kind === 'applied') this.log.info('configuration loaded', { op: 'setConfig', pools: [...c.config.pools.keys()], peers: [...c.config.peers.keys()] });
        this.reportConfig('valid', () => this.configState.report(c.config));
        return c.config;
      }
      case 'rejected':
      case 'pending': {
        this.metrics?.client.configStale.set(1);
        const summary = p.errors.summary();
        this.reportConfig(`errors:${summary}`, () => this.configState.report(p.errors), () =>
          this.log.error('configuration invalid, keeping the last valid one', { op: 'setConfig', error: summary, transient: p.kind === 'pending' }),
        );
        if (p.kind === 'pending') this.retryConfigIn(5000);
        return this.tracker.current;
      }
      case 'veto': {
        this.metrics?.client.configStale.set(1);
        const message = p.reasons.map((r) => r.message).join('; ');
        this.reportConfig(`veto:${message}`, () =>
          this.configState.reportCondition({ type: this.configState.conditionType, status: 'False', reason: CONDITION_REASONS.configurationError, message: `configuration error: ${message}`, lastTransitionTime: formatRfc3339(this.clock.now()) }),
          () => this.log.warn('new configuration refused: it would drop announced IPs; retrying', { op: 'setConfig', error: message, attempt: p.attempt }),
        );
        if (p.retry) this.retryConfigIn(Math.min(60_000, 1000 * 2 ** Math.min(6, p.attempt - 1)));
        return this.tracker.current;
      }
      default: {
        const never: never = p;
        return never;
      }
    }
  }

  /** Writes the ConfigurationState (and logs) only when the outcome changed. */
  private reportConfig(id: string, write: () => ReturnType<ConfigurationStateWriter['report']>, say?: () => void): void {
    if (id === this.lastConfigReport) return;
    this.lastConfigReport = id;
    say?.();
    void write().then((out) => {
      if (out.kind === 'failed') {
        this.warn.warn('api:configurationstate', 'ConfigurationState write failed', { error: out.error });
        this.lastConfigReport = ''; // written again on the next pass
      }
    });
  }

  private retryConfigIn(ms: number): void {
    if (this.configRetry || this.stopped) return;
    this.configRetry = this.clock.setTimer(ms, () => {
      this.configRetry = undefined;
      this.schedule();
    });
  }

  private logTransitions(prev: CorePlan | undefined, next: CorePlan): void {
    const brief = (p: ServicePlan | undefined) => (p ? `${p.l2.kind}:${p.l2.kind === 'withdraw' ? p.l2.reason : ''}|${p.bgp.kind}:${p.bgp.kind === 'withdraw' ? p.bgp.reason : ''}|${p.ips.join(',')}` : '');
    for (const [key, s] of next.services) {
      const before = prev?.services.get(key);
      if (brief(before) === brief(s)) continue;
      const fields = { service: key, ips: s.ips, layer2: s.l2.kind === 'announce' ? 'announce' : s.l2.reason, bgp: s.bgp.kind === 'advertise' ? 'advertise' : s.bgp.reason };
      if (s.l2.kind === 'announce' || s.bgp.kind === 'advertise') this.log.info('service announced', { op: 'setBalancer', ...fields });
      else if (before && (before.l2.kind === 'announce' || before.bgp.kind === 'advertise')) this.log.info('service withdrawn', { op: 'setBalancer', ...fields });
      else this.log.debug('service not announced', { op: 'setBalancer', ...fields });
    }
    for (const key of prev?.services.keys() ?? []) if (!next.services.has(key)) this.log.info('service withdrawn', { op: 'setBalancer', service: key, reason: 'serviceDeleted' });
  }

  /** Status objects are written one batch at a time, outside the pass; failures retry in 2 s. */
  private queueStatusWrites(): void {
    this.statusChain = this.statusChain
      .then(() => this.writeStatuses())
      .catch((e: unknown) => this.log.error('status writes failed', { op: 'status', error: (e as Error)?.stack ?? String(e) }));
  }

  private async writeStatuses(): Promise<void> {
    const plan = this.plan;
    if (!plan || this.stopped) return;
    let failed = false;
    for (const [kind, keeper, desired] of [
      ['l2', this.l2Keeper, plan.l2Status],
      ['bgp', this.bgpKeeper, plan.bgpStatus],
    ] as const) {
      const written = this.written[kind];
      const ch = statusChanges(written, desired);
      for (const { key, extra } of ch.keep) {
        try {
          // Written again after someone else deleted it: other nodes' objects are left alone (in a
          // split brain each announcing node would otherwise delete the other's in turn, forever).
          const again = kind === 'l2' && this.reKeep.has(key);
          const out = await keeper.keep(refOf(key), { ...extra }, again ? { exclusive: false } : {});
          written.set(key, JSON.stringify(extra));
          this.reKeep.delete(key);
          this.log.debug('status object kept', { op: 'status', kind, service: key, name: out.name, outcome: out.kind, deleted: out.deleted });
        } catch (e) {
          failed = true;
          this.warn.warn(`api:status:${kind}`, 'status object write failed, retrying', { service: key, error: (e as Error).message });
        }
      }
      for (const key of ch.remove) {
        try {
          await keeper.remove(refOf(key));
          written.delete(key);
        } catch (e) {
          failed = true;
          this.warn.warn(`api:status:${kind}`, 'status object delete failed, retrying', { service: key, error: (e as Error).message });
        }
      }
    }
    if (failed && !this.statusRetry && !this.stopped) {
      this.statusRetry = this.clock.setTimer(2000, () => {
        this.statusRetry = undefined;
        this.queueStatusWrites();
      });
    }
  }

  /**
   * One of this node's ServiceL2Status objects was deleted. If the current plan still wants it —
   * another node took the Service over during a split brain (the keeper there deletes the others'
   * objects) or a user deleted it — it is written again; before, it stayed gone after the heal
   * because statuses were only written when the plan changed.
   */
  private ownStatusDeleted(o: KubeObject): void {
    if (this.stopped) return;
    const key = `${o.metadata.labels?.[STATUS_LABELS.serviceNamespace] ?? ''}/${o.metadata.labels?.[STATUS_LABELS.serviceName] ?? ''}`;
    if (!this.plan?.l2Status.has(key) || !this.written.l2.has(key)) return;
    this.log.info('status object deleted by someone else; writing it again', { op: 'status', kind: 'l2', service: key, name: o.metadata.name });
    this.written.l2.delete(key);
    this.reKeep.add(key);
    this.queueStatusWrites();
  }

  /** Status objects of this node from an earlier run: reconciled (kept or removed) by the first pass. */
  private async adoptStatusObjects(): Promise<void> {
    for (const [kind, resource] of [
      ['l2', METALLB_RESOURCES.servicel2statuses],
      ['bgp', METALLB_RESOURCES.servicebgpstatuses],
    ] as const) {
      try {
        const l = await this.client.list<KubeObject>(resource, { namespace: this.flags.namespace, labelSelector: `${STATUS_LABELS.node}=${this.flags.nodeName}` });
        for (const o of l.items) {
          const name = o.metadata.labels?.[STATUS_LABELS.serviceName];
          const ns = o.metadata.labels?.[STATUS_LABELS.serviceNamespace];
          if (name) this.written[kind].set(`${ns ?? ''}/${name}`, '\u0000unknown');
        }
      } catch (e) {
        this.log.warn('could not list earlier status objects; they are cleaned up when their Service changes', { op: 'startup', kind, error: (e as Error).message });
      }
    }
  }

  private nodeChanged(n: KubeObject): void {
    // MetalLB: our own Node's events trigger a memberlist re-join.
    if (n.metadata.name === this.flags.nodeName) void this.memberlist?.join();
    this.schedule();
  }

  private podsChanged(): void {
    const ips = (this.pods?.store.list() ?? []).map((p) => (p.status as { podIP?: string } | undefined)?.podIP ?? '').filter((x) => x !== '');
    this.memberlist?.setPodIPs(ips);
  }

  private readExcludeFile(): readonly RegExp[] {
    const f = this.flags.interfacesExcludeFile;
    if (!f || !existsSync(f)) return [];
    const r = parseExcludeList(readFileSync(f, 'utf8'));
    if (r.kind === 'invalid') {
      this.log.error('interface exclusion file ignored', { op: 'layer2', file: f, error: r.message });
      return [];
    }
    this.log.info('interfaces excluded from Layer 2', { op: 'layer2', file: f, patterns: r.texts });
    return r.patterns;
  }

  private excludeConfigMapText(): string {
    const cm = this.configMaps.store.get(`${this.flags.namespace}/${EXCLUDE_CONFIGMAP.name}`) as (KubeObject & { data?: Record<string, string> }) | undefined;
    return cm?.data?.[EXCLUDE_CONFIGMAP.key] ?? '';
  }

  private excludePatterns(): RegExp[] {
    const r = parseExcludeList(this.excludeText);
    if (r.kind === 'invalid') {
      this.log.error(`ConfigMap ${EXCLUDE_CONFIGMAP.name} ignored`, { op: 'layer2', error: r.message });
      return [...this.fileExclude];
    }
    return [...this.fileExclude, ...r.patterns];
  }

  private excludeChanged(): void {
    if (!this.synced) return;
    const text = this.excludeConfigMapText();
    if (text === this.excludeText) return;
    this.excludeText = text;
    this.l2.setExclude(this.excludePatterns());
    this.schedule();
  }

  /**
   * A session cannot send some routes (e.g. an IPv6 prefix on an IPv4 session and no IPv6
   * address on this node): a Warning Event on each Service concerned, once per peer and reason.
   */
  private unsendable(peer: string, routes: readonly UnsendableRoute[]): void {
    const seen = this.reportedUnsendable.get(peer) ?? new Set<string>();
    const now = new Set(routes.map(unsendableKey));
    for (const u of routes) {
      if (seen.has(unsendableKey(u))) continue;
      for (const s of this.plan?.services.values() ?? []) {
        if (s.bgp.kind !== 'advertise' || !s.bgp.advertisements.some((a) => a.prefix.toString() === u.prefix)) continue;
        const svc = this.services.store.get(s.key);
        if (svc) void this.events.record(svc, SERVICE_KIND, 'Warning', 'routeNotSent', `${u.message} (BGPPeer ${peer}, node "${this.flags.nodeName}")`.slice(0, 1024));
      }
    }
    this.reportedUnsendable.set(peer, now);
  }

  /** Another MAC answers for an IP we announce: a Warning Event on its Service and a log line. */
  private conflict(e: ConflictEvent): void {
    const ip = e.ip.toString();
    // While stopping, another MAC claiming our IPs is the hand-over we asked for, not a conflict.
    if (this.stopped) {
      this.log.debug('hand-over: another node claims an IP', { op: 'shutdown', ip, mac: e.mac.toString(), via: e.via });
      return;
    }
    const owner = [...(this.plan?.services.values() ?? [])].find((s) => s.l2.kind === 'announce' && s.ips.includes(ip));
    this.log.warn('another host answers for an IP this node announces', { op: 'layer2', ip, interface: e.ifName, mac: e.mac.toString(), via: e.via, service: owner?.key });
    const svc = owner ? this.services.store.get(owner.key) : undefined;
    if (svc) void this.events.record(svc, SERVICE_KIND, 'Warning', CONFLICT_REASON, `${e.mac} also answers for ${ip} on ${e.ifName} of node "${this.flags.nodeName}" (seen in ${e.via})`);
  }
}

/** Unsendable routes already reported, per peer (`prefix reason`), so each gets one Event. */
function unsendableKey(u: UnsendableRoute): string {
  return `${u.prefix} ${u.reason}`;
}

function refOf(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
