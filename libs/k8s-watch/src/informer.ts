/**
 * A typed informer: list, then watch from the list's resourceVersion, keeping an indexed cache
 * and calling handlers. It recovers from every failure: a closed watch resumes from the last
 * resourceVersion, 410 Gone relists (synthesising deletes for objects that vanished), and any
 * other error — HTTP 5xx, refused connections, garbage on the stream, a silent connection — backs
 * off (capped exponential with jitter) and retries. It never stays stopped until `stop()`.
 *
 * One object can never stall it either: an object its `transform` rejects is reported once
 * (`object-error`), counted, and kept out of the cache until a later version transforms; a
 * handler that throws is reported once per object version (`handler-error`) and the others still
 * run. Every failure is an event carrying the error text and the delay before the next attempt,
 * and is counted in {@link Informer.stats} for metrics.
 */
import { systemClock, systemRng, type Clock, type Rng, type TimerHandle } from '@metallb-ts/clock';
import { DEFAULT_BACKOFF, nextBackoff, type BackoffPolicy } from './backoff.js';
import { Cache, compareResourceVersions, decideEvent, decideUnparseable, diffRelist, type CacheReader, type Delta, type IndexFunc } from './cache.js';
import { ApiError, isApiError, objectKey, type ApiClient, type KubeObject, type ResourceRef, type Status } from './types.js';

/** Handlers, client-go style. Exceptions thrown by handlers are reported as `handler-error` events and never stop the informer. */
export interface EventHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(old: T, obj: T): void;
  /**
   * `finalStateUnknown`: `obj` is the last known (cached) state, not the object's final state —
   * the delete was inferred from a relist, or the final state (or a newer version) could not be
   * transformed.
   */
  onDelete?(obj: T, info: { finalStateUnknown: boolean }): void;
}

/** What an object that failed to transform did to the cache. */
export type ObjectErrorOutcome =
  /** Never cached: skipped until a later version transforms. */
  | 'skipped'
  /** An older good version was cached: removed, and delivered to handlers as a delete (`finalStateUnknown`). */
  | 'retracted'
  /** A delete whose object failed to transform: applied with the cached object. */
  | 'deleted'
  /** A delete of an object never cached: nothing to apply. */
  | 'gone';

/**
 * What the informer is doing, for logs and metrics. Failure events carry the error text as
 * `message` (an `Error` serialises to `{}` in JSON logs) and, where a retry follows, the delay
 * before it as `retryInMs`.
 */
export type InformerEvent =
  | { kind: 'listed'; resourceVersion: string; count: number; skipped: number }
  | { kind: 'synced' }
  | { kind: 'watch-started'; resourceVersion: string }
  | { kind: 'watch-closed'; resourceVersion: string; events: number }
  /** The watch's resourceVersion expired (410 Gone): a relist follows after `retryInMs` (0 the first time in a row). */
  | { kind: 'expired'; resourceVersion: string; message: string; retryInMs: number }
  /** A list or watch failed (API error, transport error, broken or empty stream): retried after `retryInMs`. */
  | { kind: 'error'; error: Error; message: string; during: 'list' | 'watch'; retryInMs: number }
  /** A handler threw; reported once per handler kind and object key + resourceVersion. The other handlers still ran. */
  | { kind: 'handler-error'; error: Error; message: string; key: string; resourceVersion: string; handler: 'add' | 'update' | 'delete' }
  /** The `transform` threw on an object; reported once per key + resourceVersion. See {@link ObjectErrorOutcome}. */
  | { kind: 'object-error'; error: Error; message: string; key: string; resourceVersion: string; outcome: ObjectErrorOutcome }
  | { kind: 'ignored'; reason: string; key: string };

/**
 * Counters of one informer, for metrics (`informer.stats()`): monotonic totals except `poisoned`.
 * They count exactly the corresponding events, so an app may count events or read these.
 */
export interface InformerStats {
  /** The resource as a metric label: `plural` for the core group, else `plural.group` (kubectl's spelling). */
  resource: string;
  /** `error` events: failed lists and watches (each followed by a back-off). */
  errors: number;
  /** `expired` events: relists because the watch's resourceVersion expired (410 Gone). */
  relists: number;
  /** `object-error` events: distinct object versions the `transform` rejected. */
  objectErrors: number;
  /** `handler-error` events: distinct (handler kind, object version) pairs a handler threw on. */
  handlerErrors: number;
  /** Gauge: objects whose latest version did not transform and are kept out of the cache now. */
  poisoned: number;
}

/** A resource as a metric label: `services`, `ipaddresspools.metallb.io`. */
export function resourceLabel(r: ResourceRef): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** The text of a thrown value, on one line. */
function errorText(e: unknown): string {
  const m = e instanceof Error ? e.message || e.name : String(e);
  return m.replace(/\s*\n\s*/g, ' ');
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

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
   * `managedFields` and cut memory, or to parse it into a slim typed form. Must keep
   * `metadata.name/namespace/resourceVersion`. May throw on an object it cannot handle: that
   * object is reported (`object-error`) and kept out of the cache until a later version passes.
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
  /** Keys whose latest version failed to transform → that resourceVersion (reported once). */
  private poisoned = new Map<string, string>();
  /** `handler:key` → the resourceVersion a handler last threw on (reported once). */
  private readonly handlerFailed = new Map<string, string>();
  private readonly counters = { errors: 0, relists: 0, objectErrors: 0, handlerErrors: 0 };

  constructor(private readonly opts: InformerOptions<T>) {
    this.cache = new Cache<T>(opts.indexers);
    this.clock = opts.clock ?? systemClock;
    this.rng = opts.rng ?? systemRng;
  }

  /** Registers handlers; objects already cached are replayed as adds (like client-go). */
  addEventHandler(h: EventHandlers<T>): () => void {
    this.handlers.push(h);
    for (const o of this.cache.list()) this.call(o, 'add', () => h.onAdd?.(o));
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

  /** Counters for metrics (see {@link InformerStats}); a fresh object each call. */
  stats(): InformerStats {
    return { resource: resourceLabel(this.opts.resource), ...this.counters, poisoned: this.poisoned.size };
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

  /** Runs one handler call for `obj`; a throw is reported once per handler kind and object version. */
  private call(obj: T, handler: 'add' | 'update' | 'delete', fn: () => void): void {
    try {
      fn();
    } catch (e) {
      const key = objectKey(obj);
      const rv = obj.metadata.resourceVersion ?? '';
      const id = `${handler}:${key}`;
      if (this.handlerFailed.get(id) === rv) return;
      this.handlerFailed.set(id, rv);
      this.counters.handlerErrors++;
      this.emit({ kind: 'handler-error', error: asError(e), message: errorText(e), key, resourceVersion: rv, handler });
    }
  }

  private deliver(d: Delta<T>): void {
    if (d.kind === 'ignore') {
      // An unparseable object is reported as `object-error` already.
      if (d.reason !== 'unparseable') this.emit({ kind: 'ignored', reason: d.reason, key: `${d.object.metadata?.namespace ?? ''}/${d.object.metadata?.name ?? ''}` });
      return;
    }
    this.cache.apply(d);
    if (d.kind === 'delete') {
      const key = objectKey(d.object);
      for (const h of ['add', 'update', 'delete']) this.handlerFailed.delete(`${h}:${key}`);
    }
    for (const h of [...this.handlers]) {
      if (d.kind === 'add') this.call(d.object, 'add', () => h.onAdd?.(d.object));
      else if (d.kind === 'update') this.call(d.object, 'update', () => h.onUpdate?.(d.old, d.object));
      else this.call(d.object, 'delete', () => h.onDelete?.(d.object, { finalStateUnknown: d.finalStateUnknown }));
    }
  }

  private resync(): void {
    for (const o of this.cache.list()) for (const h of [...this.handlers]) this.call(o, 'update', () => h.onUpdate?.(o, o));
  }

  /** Applies `transform` (if any): the object, or the error it threw. */
  private transformed(raw: T): { ok: T } | { error: unknown } {
    if (!this.opts.transform) return { ok: raw };
    try {
      return { ok: this.opts.transform(raw) };
    } catch (e) {
      return { error: e };
    }
  }

  /** Reports a transform failure once per key + resourceVersion, and remembers the key as poisoned. */
  private poison(into: Map<string, string>, key: string, rv: string, error: unknown, outcome: ObjectErrorOutcome, reported?: ReadonlyMap<string, string>): void {
    const known = this.poisoned.get(key) === rv || into.get(key) === rv || reported?.get(key) === rv;
    into.set(key, rv);
    if (known) return;
    this.counters.objectErrors++;
    this.emit({ kind: 'object-error', error: asError(error), message: errorText(error), key, resourceVersion: rv, outcome });
  }

  private advance(rv: string | undefined): void {
    if (!rv) return;
    const c = compareResourceVersions(rv, this.rv);
    if (c === undefined || c > 0) this.rv = rv;
  }

  private async list(signal: AbortSignal): Promise<void> {
    const pageSize = this.opts.pageSize ?? 500;
    // Each page is transformed as it arrives, so the raw objects of one page at most are alive at
    // a time (the raw list of 10,000 Services held at once was most of the controller's peak heap).
    // Same rule as for watch events: an object that does not transform stays out of the cache
    // (the diff then retracts an older cached version of it, as a finalStateUnknown delete).
    let good: T[] = [];
    let poisoned = new Map<string, string>();
    /** Reported by an attempt of this list that restarted (reported once, not per attempt). */
    let reported = new Map<string, string>();
    let total = 0;
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
          good = [];
          reported = new Map([...reported, ...poisoned]);
          poisoned = new Map();
          total = 0;
          cont = undefined;
          continue;
        }
        throw e;
      }
      total += res.items.length;
      for (const raw of res.items) {
        if (!raw?.metadata?.name) {
          this.poison(poisoned, '', raw?.metadata?.resourceVersion ?? '', new ApiError(0, 'BadObject', `list item without metadata.name: ${JSON.stringify(raw).slice(0, 200)}`), 'skipped', reported);
          continue;
        }
        const t = this.transformed(raw);
        if ('ok' in t) good.push(t.ok);
        else {
          const key = objectKey(raw);
          this.poison(poisoned, key, raw.metadata.resourceVersion ?? '', t.error, this.cache.get(key) ? 'retracted' : 'skipped', reported);
        }
      }
      if (!cont) rv = res.resourceVersion;
      cont = res.continue;
      if (!cont) break;
    }
    this.poisoned = poisoned;
    for (const d of diffRelist(this.cache.entries(), good)) this.deliver(d);
    this.rv = rv;
    this.emit({ kind: 'listed', resourceVersion: rv, count: good.length, skipped: total - good.length });
    if (!this.synced) {
      this.synced = true;
      this.emit({ kind: 'synced' });
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Watches once from `this.rv`; returns how many events arrived, or that the version expired (410). */
  private async watchOnce(signal: AbortSignal): Promise<{ kind: 'closed'; events: number } | { kind: 'expired'; message: string }> {
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
            if (s.code === 410) return { kind: 'expired', message: s.message ?? s.reason ?? '410 Gone' };
            throw ApiError.fromStatus(s.code ?? 500, s, `watch error event: ${s.message ?? 'unknown'}`);
          }
          case 'BOOKMARK':
            this.advance(ev.object.metadata?.resourceVersion);
            break;
          case 'ADDED':
          case 'MODIFIED':
          case 'DELETED': {
            const raw = ev.object as T;
            if (!raw?.metadata?.name) throw new ApiError(0, 'BadEvent', `watch event without metadata.name: ${JSON.stringify(ev).slice(0, 200)}`);
            const key = objectKey(raw);
            const rv = raw.metadata.resourceVersion;
            const cached = this.cache.get(key);
            // A server delivers events in resourceVersion order: anything at or before the stream
            // position is a repeat or a reordering (it must not resurrect a deleted object).
            const pos = compareResourceVersions(rv, this.rv);
            if (pos !== undefined && pos <= 0) {
              this.deliver({ kind: 'ignore', reason: cached?.metadata.resourceVersion === rv ? 'duplicate' : 'stale', object: raw });
              break;
            }
            const t = this.transformed(raw);
            if ('ok' in t) {
              // A version that transforms, or a delete, ends the poisoning of this key.
              this.poisoned.delete(key);
              this.deliver(decideEvent(cached, ev.type, t.ok));
            } else {
              // Never retried: the stream moves on past it, so one bad object cannot stall the others.
              const d = decideUnparseable(cached, ev.type, raw);
              if (d.kind === 'ignore' && (d.reason === 'stale' || d.reason === 'duplicate')) this.deliver(d);
              else {
                const outcome: ObjectErrorOutcome = d.kind === 'ignore' ? (ev.type === 'DELETED' ? 'gone' : 'skipped') : ev.type === 'DELETED' ? 'deleted' : 'retracted';
                this.poison(this.poisoned, key, rv ?? '', t.error, outcome);
                if (ev.type === 'DELETED') this.poisoned.delete(key);
                this.deliver(d);
              }
            }
            this.advance(rv);
            break;
          }
          default:
            throw new ApiError(0, 'BadEvent', `unknown watch event type ${JSON.stringify((ev as { type: unknown }).type)}`);
        }
      }
      this.emit({ kind: 'watch-closed', resourceVersion: this.rv, events: n });
      return { kind: 'closed', events: n };
    } catch (e) {
      if (isApiError(e, 410)) return { kind: 'expired', message: errorText(e) };
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
    const pause = async (e: unknown, during: 'list' | 'watch') => {
      const ms = nextBackoff(attempt++, policy, this.rng);
      this.counters.errors++;
      this.emit({ kind: 'error', error: asError(e), message: errorText(e), during, retryInMs: ms });
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
        if (r.kind === 'expired') {
          needList = true;
          // Relist at once the first time; a server that keeps expiring fresh versions gets backed off.
          const ms = expiredStreak++ > 0 ? nextBackoff(attempt++, policy, this.rng) : 0;
          this.counters.relists++;
          this.emit({ kind: 'expired', resourceVersion: this.rv, message: r.message, retryInMs: ms });
          if (ms > 0) await this.clock.sleep(ms, signal);
          continue;
        }
        if (r.events > 0) expiredStreak = 0;
        // A clean close: resume at once if the watch made progress or lasted a while, else back off.
        if (r.events > 0 || this.clock.monotonic() - started >= policy.initialMs) attempt = 0;
        else await pause(new ApiError(0, 'EmptyWatch', 'the watch closed without delivering anything'), 'watch');
      } catch (e) {
        if (signal.aborted) break;
        try {
          await pause(e, needList ? 'list' : 'watch');
        } catch {
          break; // aborted while sleeping
        }
      }
    }
  }
}
