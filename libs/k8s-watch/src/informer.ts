/**
 * A typed informer: list, then watch from the list's resourceVersion, keeping an indexed cache
 * and calling handlers. It recovers from every failure: a closed watch resumes from the last
 * resourceVersion, 410 Gone relists (synthesising deletes for objects that vanished), and any
 * other error — HTTP 5xx, refused connections, garbage on the stream, a silent connection — backs
 * off (capped exponential with jitter) and retries. It never stays stopped until `stop()`.
 */
import { systemClock, systemRng, type Clock, type Rng, type TimerHandle } from '@metallb-ts/clock';
import { DEFAULT_BACKOFF, nextBackoff, type BackoffPolicy } from './backoff.js';
import { Cache, compareResourceVersions, decideEvent, diffRelist, type CacheReader, type Delta, type IndexFunc } from './cache.js';
import { ApiError, isApiError, type ApiClient, type KubeObject, type ResourceRef, type Status } from './types.js';

/** Handlers, client-go style. Exceptions thrown by handlers are reported to `onError` and never stop the informer. */
export interface EventHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, obj: T): void;
  /** `finalStateUnknown`: the delete was inferred from a relist; `obj` is the last known state. */
  onDelete?(obj: T, info: { finalStateUnknown: boolean }): void;
}

/** Why the informer is (re)connecting, for logs and metrics. */
export type InformerEvent =
  | { kind: 'listed'; resourceVersion: string; count: number }
  | { kind: 'synced' }
  | { kind: 'watch-started'; resourceVersion: string }
  | { kind: 'watch-closed'; resourceVersion: string; events: number }
  | { kind: 'expired'; resourceVersion: string }
  | { kind: 'error'; error: Error; retryInMs: number }
  | { kind: 'handler-error'; error: Error }
  | { kind: 'ignored'; reason: string; key: string };

/** Options of {@link Informer}. */
export interface InformerOptions<T extends KubeObject> {
  client: ApiClient;
  resource: ResourceRef;
  /** Only this namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Extra cache indexes. */
  indexers?: Record<string, IndexFunc<T>>;
  /** @default systemClock */
  clock?: Clock;
  /** @default systemRng */
  rng?: Rng;
  /** @default DEFAULT_BACKOFF */
  backoff?: BackoffPolicy;
  /** List page size (0 = no paging). @default 500 */
  pageSize?: number;
  /** Ask for bookmarks. @default true */
  bookmarks?: boolean;
  /** Server-side watch timeout, spread over [t, 2t) like client-go's reflector. @default 300 */
  watchTimeoutSeconds?: number;
  /** Abort a watch that delivered nothing (not even a bookmark) for this long (half-open TCP). 0 disables. @default 150000 */
  inactivityTimeoutMs?: number;
  /** Periodically call `onUpdate(obj, obj)` for every cached object (level-triggered resync). 0 disables. @default 0 */
  resyncMs?: number;
  /** Observability hook. */
  onEvent?(e: InformerEvent): void;
  /**
   * Applied to every object before it enters the cache (client-go's `SetTransform`), e.g. to drop
   * `managedFields` and cut memory. Must keep `metadata.name/namespace/resourceVersion`.
   */
  transform?(obj: T): T;
}

class Inactive extends Error {
  override readonly name = 'InactivityTimeout';
}

/** An informer over one resource. */
export class Informer<T extends KubeObject> {
  private readonly cache: Cache<T>;
  private readonly handlers: EventHandlers<T>[] = [];
  private readonly clock: Clock;
  private readonly rng: Rng;
  private rv = '';
  private synced = false;
  private running = false;
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private resyncTimer: TimerHandle | undefined;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(private readonly opts: InformerOptions<T>) {
    this.cache = new Cache<T>(opts.indexers);
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng;
  }

  /** Registers handlers; objects already cached are replayed as adds (like client-go). */
  addEventHandler(h: EventHandlers<T>): () => void {
    this.handlers.push(h);
    for (const o of this.cache.list()) this.call(() => h.onAdd?.(o));
    return () => {
      const i = this.handlers.indexOf(h);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  /** The cache (live; read-only use). */
  get store(): CacheReader<T> {
    return this.cache;
  }

  /** A point-in-time copy of the cache (for reconcilers that must see one consistent state). */
  snapshot(): CacheReader<T> {
    return this.cache.snapshot();
  }

  /** Whether the first list has been applied. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The last resourceVersion seen. */
  lastResourceVersion(): string {
    return this.rv;
  }

  /** Resolves once synced (rejects if `signal` aborts first). */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.syncWaiters.push(resolve);
      signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted while waiting for sync'), { name: 'AbortError' })), { once: true });
    });
  }

  /** Starts listing and watching in the background. Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
    if (this.opts.resyncMs) this.resyncTimer = this.clock.setInterval(this.opts.resyncMs, () => this.resync());
  }

  /** Stops and waits for the background loop to end. The cache is kept. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.resyncTimer?.cancel();
    this.abort?.abort();
    await this.loop;
  }

  private emit(e: InformerEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      /* observers cannot break the informer */
    }
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.emit({ kind: 'handler-error', error: e as Error });
    }
  }

  private deliver(d: Delta<T>): void {
    if (d.kind === 'ignore') {
      this.emit({ kind: 'ignored', reason: d.reason, key: `${d.object.metadata?.namespace ?? ''}/${d.object.metadata?.name ?? ''}` });
      return;
    }
    this.cache.apply(d);
    for (const h of [...this.handlers]) {
      if (d.kind === 'add') this.call(() => h.onAdd?.(d.object));
      else if (d.kind === 'update') this.call(() => h.onUpdate?.(d.old, d.object));
      else this.call(() => h.onDelete?.(d.object, { finalStateUnknown: d.finalStateUnknown }));
    }
  }

  private resync(): void {
    for (const o of this.cache.list()) for (const h of [...this.handlers]) this.call(() => h.onUpdate?.(o, o));
  }

  private advance(rv: string | undefined): void {
    if (!rv) return;
    const c = compareResourceVersions(rv, this.rv);
    if (c === undefined || c > 0) this.rv = rv;
  }

  private async list(signal: AbortSignal): Promise<void> {
    const pageSize = this.opts.pageSize ?? 500;
    const items: T[] = [];
    let cont: string | undefined;
    let rv = '';
    for (let page = 0; page < 1_000_000; page++) {
      let res;
      try {
        res = await this.opts.client.list<T>(this.opts.resource, {
          namespace: this.opts.namespace,
          labelSelector: this.opts.labelSelector,
          fieldSelector: this.opts.fieldSelector,
          limit: pageSize || undefined,
          continue: cont,
          signal,
        });
      } catch (e) {
        // An expired continue token: start the list over.
        if (cont && isApiError(e, 410)) {
          items.length = 0;
          cont = undefined;
          continue;
        }
        throw e;
      }
      items.push(...(this.opts.transform ? res.items.map((o) => this.opts.transform!(o)) : res.items));
      if (!cont) rv = res.resourceVersion;
      cont = res.continue;
      if (!cont) break;
    }
    for (const d of diffRelist(this.cache.entries(), items)) this.deliver(d);
    this.rv = rv;
    this.emit({ kind: 'listed', resourceVersion: rv, count: items.length });
    if (!this.synced) {
      this.synced = true;
      this.emit({ kind: 'synced' });
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Watches once from `this.rv`; returns how many events arrived, or `'expired'`. */
  private async watchOnce(signal: AbortSignal): Promise<number | 'expired'> {
    const inner = new AbortController();
    const onAbort = () => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    // stop() may have run while the list was in flight: never start a watch nobody can end.
    if (signal.aborted) inner.abort();
    const inactivity = this.opts.inactivityTimeoutMs ?? 150_000;
    let timer: TimerHandle | undefined;
    let inactive = false;
    const arm = () => {
      timer?.cancel();
      if (inactivity > 0)
        timer = this.clock.setTimer(inactivity, () => {
          inactive = true;
          inner.abort();
        });
    };
    let n = 0;
    const base = this.opts.watchTimeoutSeconds ?? 300;
    this.emit({ kind: 'watch-started', resourceVersion: this.rv });
    try {
      arm();
      const stream = this.opts.client.watch<T>(this.opts.resource, {
        namespace: this.opts.namespace,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
        resourceVersion: this.rv,
        allowWatchBookmarks: this.opts.bookmarks ?? true,
        timeoutSeconds: Math.floor(base * (1 + this.rng.next())),
        signal: inner.signal,
      });
      for await (const ev of stream) {
        arm();
        n++;
        switch (ev.type) {
          case 'ERROR': {
            const s = ev.object as Status;
            if (s.code === 410) return 'expired';
            throw ApiError.fromStatus(s.code ?? 500, s, `watch error event: ${s.message ?? 'unknown'}`);
          }
          case 'BOOKMARK':
            this.advance(ev.object.metadata?.resourceVersion);
            break;
          case 'ADDED':
          case 'MODIFIED':
          case 'DELETED': {
            const obj = ev.object && this.opts.transform ? this.opts.transform(ev.object as T) : ev.object;
            if (!obj?.metadata?.name) throw new ApiError(0, 'BadEvent', `watch event without metadata.name: ${JSON.stringify(ev).slice(0, 200)}`);
            const key = obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
            const cached = this.cache.get(key);
            // A server delivers events in resourceVersion order: anything at or before the stream
            // position is a repeat or a reordering (it must not resurrect a deleted object).
            const pos = compareResourceVersions(obj.metadata.resourceVersion, this.rv);
            if (pos !== undefined && pos <= 0) {
              this.deliver({ kind: 'ignore', reason: cached?.metadata.resourceVersion === obj.metadata.resourceVersion ? 'duplicate' : 'stale', object: obj });
              break;
            }
            this.deliver(decideEvent(cached, ev.type, obj));
            this.advance(obj.metadata.resourceVersion);
            break;
          }
          default:
            throw new ApiError(0, 'BadEvent', `unknown watch event type ${JSON.stringify((ev as { type: unknown }).type)}`);
        }
      }
      this.emit({ kind: 'watch-closed', resourceVersion: this.rv, events: n });
      return n;
    } catch (e) {
      if (isApiError(e, 410)) return 'expired';
      if (inactive) throw new Inactive(`no watch event for ${inactivity} ms`);
      throw e;
    } finally {
      timer?.cancel();
      signal.removeEventListener('abort', onAbort);
      inner.abort();
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    let needList = true;
    let attempt = 0;
    let expiredStreak = 0;
    const policy = this.opts.backoff ?? DEFAULT_BACKOFF;
    const pause = async (e: Error) => {
      const ms = nextBackoff(attempt++, policy, this.rng);
      this.emit({ kind: 'error', error: e, retryInMs: ms });
      await this.clock.sleep(ms, signal);
    };
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          needList = false;
        }
        const started = this.clock.monotonic();
        const r = await this.watchOnce(signal);
        if (r === 'expired') {
          this.emit({ kind: 'expired', resourceVersion: this.rv });
          needList = true;
          // Relist at once the first time; a server that keeps expiring fresh versions gets backed off.
          if (expiredStreak++ > 0) await pause(new ApiError(410, 'Expired', 'resource version expired again'));
          continue;
        }
        if (r > 0) expiredStreak = 0;
        // A clean close: resume at once if the watch made progress or lasted a while, else back off.
        if (r > 0 || this.clock.monotonic() - started >= policy.initialMs) attempt = 0;
        else await pause(new ApiError(0, 'EmptyWatch', 'the watch closed without delivering anything'));
      } catch (e) {
        if (signal.aborted) break;
        try {
          await pause(e as Error);
        } catch {
          break; // aborted while sleeping
        }
      }
    }
  }
}
