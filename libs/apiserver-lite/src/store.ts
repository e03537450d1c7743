/**
 * The object store: every object of every resource, one global monotonically increasing
 * `resourceVersion`, a bounded history of change events for watches to resume from, and
 * watchers. It knows nothing about HTTP or validation.
 */
import type { Clock, TimerHandle } from '@metallb-ts/clock';
import { expired, StatusError } from './errors.js';
import { ResourceObjects } from './object-index.js';
import { clone } from './patch.js';

/** A stored Kubernetes object. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    managedFields?: any[];
    [k: string]: unknown;
  };
  [k: string]: any;
}

/** A change the store recorded. */
export interface ChangeEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** Storage key (`group/plural`). */
  key: string;
  rv: number;
  object: KObject;
  /** The object before the change (MODIFIED and DELETED), for selector transitions. */
  prev?: KObject;
}

/** A watch subscription's filter and sink. */
export interface WatchSubscription {
  key: string;
  namespace?: string;
  /** Delivers one change; return value ignored. */
  send(ev: ChangeEvent): void;
}

/** What a {@link Persistence} saves and loads. */
export interface Snapshot {
  format: 'apiserver-lite/v1';
  rv: number;
  oldestRv: number;
  objects: { key: string; object: KObject }[];
  history: ChangeEvent[];
  /** Sequence number of the last {@link LogRecord} the snapshot includes (0 or absent: none). */
  seq?: number;
}

/**
 * One committed transaction, as written to a write-ahead log: every change it made, in order,
 * and the counters after it. Replaying the records after a snapshot's `seq` restores the state.
 */
export interface LogRecord {
  /** Increasing by one per record; a snapshot's `seq` says which records it already includes. */
  seq: number;
  /** resourceVersion before the transaction. */
  from: number;
  /** resourceVersion after it. */
  rv: number;
  /** The oldest watchable resourceVersion after it. */
  oldestRv: number;
  /** The changes (without `prev`). */
  events: ChangeEvent[];
  /** Objects removed without an event (the `silentRemove` test hook). */
  drops?: { key: string; namespace?: string; name: string }[];
  /** The history was forgotten after the changes (`compact`). */
  compacted?: boolean;
}

/**
 * Pluggable persistence for the store: in memory (none) by default, or a snapshot file. With
 * only `load`/`save`, snapshots are written debounced (a crash loses the last ~50 ms of writes);
 * with `append`, every transaction is logged before it is acknowledged and `save` compacts.
 * With `sync` as well, `append` only writes and `sync` makes what was appended durable: the
 * store calls it after each append, or once for many (group commit, see {@link StoreOptions.groupCommit}).
 */
export interface Persistence {
  /** The last saved snapshot, or undefined for a fresh store. */
  load(): Snapshot | undefined;
  /** Saves the whole state (with a log: atomically replaces the snapshot, then empties the log). */
  save(s: Snapshot): void;
  /**
   * Appends one committed transaction; when it returns, the record must survive a crash — or,
   * when {@link sync} exists, once `sync` has returned.
   */
  append?(r: LogRecord): void;
  /** Makes every record appended so far durable (`fsync`). */
  sync?(): void;
  /** The records appended after the last {@link save} (a torn last record is left out). */
  loadLog?(): LogRecord[];
  /** Whether the log has grown enough to be compacted into a new snapshot. */
  shouldCompact?(): boolean;
  /** Releases files (after the final {@link save}). */
  close?(): void;
}

/** Options of {@link ObjectStore}. */
export interface StoreOptions {
  clock: Clock;
  /** Change events kept for watch resumption; older resourceVersions get 410 Gone. @default 10000 */
  historySize?: number;
  persistence?: Persistence;
  /** Delay to coalesce snapshot writes. @default 50 */
  persistDebounceMs?: number;
  /**
   * Group commit, with a persistence that has `sync`: a committed transaction is appended at
   * once but synced together with the others of the same event-loop turn (one `fsync` for all);
   * its changes reach watchers and the history only after that sync, and {@link ObjectStore.whenDurable}
   * tells callers (the HTTP server) when to answer. Without it every commit is synced before
   * `transaction` returns. @default false
   */
  groupCommit?: boolean;
}

/** An open {@link ObjectStore.transaction}: what to undo and what to emit on commit. */
interface Transaction {
  fromRv: number;
  undo: { key: string; id: string; prev: KObject | undefined }[];
  events: ChangeEvent[];
}

const nsName = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;

/** In-memory storage with a change history. */
export class ObjectStore {
  private rv = 0;
  /** Lowest resourceVersion a watch may resume from (exclusive history start). */
  private oldestRv = 0;
  /** Per storage key; a key is removed with its last object. */
  private readonly objects = new Map<string, ResourceObjects>();
  private history: ChangeEvent[] = [];
  /** Watchers by storage key: a change is offered only to the watchers of its resource. */
  private readonly subs = new Map<string, Set<WatchSubscription>>();
  private subCount = 0;
  private readonly historySize: number;
  private persistTimer: TimerHandle | undefined;
  private tx: Transaction | undefined;
  /** Sequence number of the last log record written or replayed. */
  private seq = 0;
  /** Group commit: changes appended to the log but not yet synced, so not yet published. */
  private pending: ChangeEvent[] = [];
  private publishQueued = false;
  private durableWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Watchers that subscribed while changes were pending: the version they started after. */
  private readonly subscribedAfter = new WeakMap<WatchSubscription, number>();

  constructor(private readonly opts: StoreOptions) {
    this.historySize = opts.historySize ?? 10_000;
    const snap = opts.persistence?.load();
    const log = opts.persistence?.loadLog?.() ?? [];
    if (snap) this.restore(snap);
    else if (log.length) {
      // A log without a snapshot (the snapshot file was removed): replay from the log's start.
      this.rv = log[0]!.from;
      this.oldestRv = this.rv;
    } else {
      // A fresh store starts its resourceVersions at the wall clock (ms), so versions a client
      // kept from an earlier incarnation of the server are always older than this one's history:
      // those clients get 410 Gone and relist instead of resuming into a different world.
      this.rv = Math.floor(opts.clock.now());
      this.oldestRv = this.rv;
    }
    for (const r of log) if (r.seq > this.seq) this.replay(r);
    // With a log, start from a fresh snapshot: it holds the replayed records (and drops a torn
    // tail), and a first start gets a snapshot before any record refers to it.
    if (opts.persistence?.append && (!snap || log.length > 0 || opts.persistence.shouldCompact?.())) this.save();
  }

  /** The current resourceVersion. */
  currentRv(): number {
    return this.rv;
  }

  /** The oldest resourceVersion a watch can start from without a 410. */
  oldestWatchableRv(): number {
    return this.oldestRv;
  }

  /** Allocates the next resourceVersion. */
  nextRv(): number {
    return ++this.rv;
  }

  /** One object, or undefined. Returned objects are live: callers must not mutate them. */
  get(key: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.objects.get(key)?.get(nsName(namespace, name));
  }

  /**
   * Objects of one resource, optionally in one namespace, in byte order of "namespace/name" (as
   * etcd keys sort). Costs O(result), not O(objects of the resource): the order is kept by an
   * index (see `object-index.ts`), never sorted per call. A new array; the objects are live.
   */
  list(key: string, namespace?: string): KObject[] {
    return this.objects.get(key)?.list(namespace) ?? [];
  }

  /** Number of objects of one resource, optionally in one namespace, in O(1). */
  count(key: string, namespace?: string): number {
    const m = this.objects.get(key);
    if (!m) return 0;
    return namespace === undefined ? m.size : m.countIn(namespace);
  }

  /** Every storage key with at least one object. */
  keys(): string[] {
    return [...this.objects.keys()];
  }

  /** Whether any object of any resource but `except` lives in `namespace`, in O(resources). */
  namespaceHasObjects(namespace: string, except?: string): boolean {
    for (const [key, m] of this.objects) if (key !== except && m.countIn(namespace) > 0) return true;
    return false;
  }

  /** Whether a {@link ObjectStore.transaction} is open. */
  inTransaction(): boolean {
    return this.tx !== undefined;
  }

  /**
   * Runs `fn` as one atomic change: its writes (and those of nested calls) become visible to
   * watchers, the history and persistence only when `fn` returns; when it throws — or when
   * `opts.rollback` asks for it (`dryRun`) — every object and the resourceVersion counter are
   * restored and nothing was emitted. Nested calls join the outer transaction.
   */
  transaction<T>(fn: () => T, opts: { rollback?: boolean } = {}): T {
    if (this.tx) return fn();
    const tx: Transaction = { fromRv: this.rv, undo: [], events: [] };
    this.tx = tx;
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.tx = undefined;
      this.rollback(tx);
      throw e;
    }
    this.tx = undefined;
    if (opts.rollback) {
      this.rollback(tx);
      return result;
    }
    this.commit(tx);
    return result;
  }

  private rollback(tx: Transaction): void {
    for (let i = tx.undo.length - 1; i >= 0; i--) {
      const { key, id, prev } = tx.undo[i]!;
      if (prev) this.resource(key).set(id, prev);
      else this.drop(key, id);
    }
    this.rv = tx.fromRv;
  }

  /** The objects of `key`, created when missing. */
  private resource(key: string): ResourceObjects {
    let m = this.objects.get(key);
    if (!m) this.objects.set(key, (m = new ResourceObjects()));
    return m;
  }

  /** Removes one object; forgets the key with its last object. */
  private drop(key: string, id: string): boolean {
    const m = this.objects.get(key);
    if (!m?.delete(id)) return false;
    if (m.size === 0) this.objects.delete(key);
    return true;
  }

  private grouped(): boolean {
    return !!this.opts.groupCommit && !!this.opts.persistence?.append && !!this.opts.persistence.sync;
  }

  private commit(tx: Transaction): void {
    if (tx.events.length === 0) return;
    const grouped = this.grouped();
    try {
      // Durable before anything can see it: the HTTP answer goes out after this returns (or,
      // with group commit, after the turn's sync: see whenDurable).
      this.appendLog({ events: tx.events.map(({ prev: _p, ...e }) => e), from: tx.fromRv });
      if (!grouped) this.opts.persistence?.sync?.();
    } catch (e) {
      this.rollback(tx);
      throw new StatusError(500, 'InternalError', `Internal error occurred: the write could not be persisted: ${(e as Error).message}`);
    }
    if (grouped) {
      for (const ev of tx.events) this.pending.push(ev);
      this.queuePublish();
    } else for (const ev of tx.events) this.record(ev);
    this.schedulePersist();
  }

  private queuePublish(): void {
    if (this.publishQueued) return;
    this.publishQueued = true;
    // After the I/O callbacks of this turn: every request handled in it shares one sync.
    setImmediate(() => {
      this.publishQueued = false;
      this.publish();
    });
  }

  /**
   * Group commit: syncs what was appended, then publishes the pending changes (history and
   * watchers) and releases the callers of {@link whenDurable}. A failed sync cannot undo changes
   * that later writes built on: they are published anyway (memory and watchers stay consistent)
   * and the waiting callers get a 500.
   */
  private publish(): void {
    if (this.pending.length === 0 && this.durableWaiters.length === 0) return;
    let failure: Error | undefined;
    try {
      this.opts.persistence?.sync?.();
    } catch (e) {
      failure = new StatusError(500, 'InternalError', `Internal error occurred: the write could not be made durable: ${(e as Error).message}`);
    }
    const events = this.pending;
    this.pending = [];
    for (const ev of events) this.record(ev);
    const waiters = this.durableWaiters;
    this.durableWaiters = [];
    for (const w of waiters) {
      if (failure) w.reject(failure);
      else w.resolve();
    }
  }

  /**
   * Undefined when every committed change is durable and published; otherwise a promise that
   * settles once they are (group commit), rejected with a 500 {@link StatusError} when the sync failed.
   */
  whenDurable(): Promise<void> | undefined {
    if (this.pending.length === 0) return undefined;
    return new Promise((resolve, reject) => this.durableWaiters.push({ resolve, reject }));
  }

  /** The resourceVersion of what watchers have been sent (the current one unless changes wait for a group commit). */
  publishedRv(): number {
    return this.pending.length ? this.pending[0]!.rv - 1 : this.rv;
  }

  /** Appends a log record for the current state (no-op without a log). */
  private appendLog(r: Omit<LogRecord, 'seq' | 'rv' | 'oldestRv' | 'from'> & { from?: number }): void {
    const p = this.opts.persistence;
    if (!p?.append) return;
    // The oldest watchable version after this record: as record() would trim the history.
    // `oldestRv` matters for compacted records; otherwise replay trims the history as record() does.
    p.append({ seq: this.seq + 1, from: r.from ?? this.rv, rv: this.rv, oldestRv: this.oldestRv, ...r });
    this.seq++;
  }

  /** Applies one log record during recovery (no watchers exist yet). */
  private replay(r: LogRecord): void {
    for (const ev of r.events) {
      const id = nsName(ev.object.metadata.namespace, ev.object.metadata.name);
      if (ev.type === 'DELETED') this.drop(ev.key, id);
      else this.resource(ev.key).set(id, ev.object);
      this.pushHistory(ev);
    }
    for (const d of r.drops ?? []) this.drop(d.key, nsName(d.namespace, d.name));
    this.rv = r.rv;
    if (r.compacted) {
      this.history = [];
      this.oldestRv = r.oldestRv;
    }
    this.seq = r.seq;
  }

  /** Notes the state of `key`/`id` before its first change in the open transaction. */
  private remember(key: string, id: string, prev: KObject | undefined): void {
    this.tx!.undo.push({ key, id, prev });
  }

  /** Stores a new or changed object with a fresh resourceVersion and records the event. */
  put(key: string, obj: KObject): KObject {
    if (!this.tx) return this.transaction(() => this.put(key, obj));
    const m = this.resource(key);
    const id = nsName(obj.metadata.namespace, obj.metadata.name);
    const prev = m.get(id);
    this.remember(key, id, prev);
    const rv = this.nextRv();
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    m.set(id, stored);
    this.tx.events.push({ type: prev ? 'MODIFIED' : 'ADDED', key, rv, object: stored, prev });
    return stored;
  }

  /** Removes an object; the DELETED event carries the deletion's resourceVersion. */
  remove(key: string, namespace: string | undefined, name: string): KObject | undefined {
    if (!this.tx) return this.transaction(() => this.remove(key, namespace, name));
    const m = this.objects.get(key);
    const id = nsName(namespace, name);
    const prev = m?.get(id);
    if (!m || !prev) return undefined;
    this.remember(key, id, prev);
    this.drop(key, id);
    const rv = this.nextRv();
    const gone = { ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } };
    this.tx.events.push({ type: 'DELETED', key, rv, object: gone, prev });
    return gone;
  }

  /**
   * Test hook: changes an object without recording a watch event, as if the event had been
   * lost. Watchers resuming later never see it; only a relist does.
   */
  silentRemove(key: string, namespace: string | undefined, name: string): boolean {
    this.publish();
    const ok = this.drop(key, nsName(namespace, name));
    if (ok) {
      this.nextRv();
      this.history = [];
      this.oldestRv = this.rv;
      this.appendLog({ events: [], drops: [{ key, namespace, name }], compacted: true, from: this.rv - 1 });
      this.opts.persistence?.sync?.();
      this.schedulePersist();
    }
    return ok;
  }

  /** Forgets all history: every watch from an older resourceVersion now gets 410 Gone. */
  compact(): void {
    this.publish();
    this.history = [];
    this.oldestRv = this.rv;
    this.appendLog({ events: [], compacted: true });
    this.opts.persistence?.sync?.();
    this.schedulePersist();
  }

  /**
   * Subscribes to changes after `fromRv` (history replayed first). Throws a 410 {@link StatusError}
   * when `fromRv` is older than the history. Returns the unsubscribe function.
   */
  watch(sub: WatchSubscription, fromRv: number): () => void {
    if (fromRv < this.oldestRv) throw expired(`too old resource version: ${fromRv} (${this.oldestRv})`);
    // A version from the future means the server lost its state (restarted without a snapshot):
    // answering 410 makes every client relist instead of silently waiting for the counter.
    if (fromRv > this.rv) throw expired(`too large resource version: ${fromRv}, current: ${this.rv} (the server's state was reset)`);
    for (const ev of this.history) if (ev.rv > fromRv && matchesSub(sub, ev)) sub.send(ev);
    // Pending changes at or before fromRv are already in what the watcher started from.
    if (this.pending.length) this.subscribedAfter.set(sub, fromRv);
    let set = this.subs.get(sub.key);
    if (!set) this.subs.set(sub.key, (set = new Set()));
    if (!set.has(sub)) {
      set.add(sub);
      this.subCount++;
    }
    return () => {
      const s = this.subs.get(sub.key);
      if (!s?.delete(sub)) return;
      this.subCount--;
      if (s.size === 0) this.subs.delete(sub.key);
    };
  }

  /** Number of open watches (for tests and metrics). */
  watcherCount(): number {
    return this.subCount;
  }

  /** The whole state, for persistence. */
  snapshot(): Snapshot {
    const objects: Snapshot['objects'] = [];
    for (const [key, m] of this.objects) for (const object of m.values()) objects.push({ key, object });
    return { format: 'apiserver-lite/v1', rv: this.rv, oldestRv: this.oldestRv, objects, history: this.history.map(({ prev: _p, ...e }) => e), seq: this.seq };
  }

  /** Writes a pending snapshot now (call before shutdown). */
  flush(): void {
    this.persistTimer?.cancel();
    this.persistTimer = undefined;
    this.save();
  }

  /** Final save, then releases the persistence's files (server stop). */
  close(): void {
    this.flush();
    this.opts.persistence?.close?.();
  }

  private restore(s: Snapshot): void {
    this.rv = s.rv;
    this.oldestRv = s.oldestRv;
    for (const { key, object } of s.objects) this.resource(key).set(nsName(object.metadata.namespace, object.metadata.name), object);
    this.history = s.history ?? [];
    this.seq = s.seq ?? 0;
  }

  private record(ev: ChangeEvent): void {
    this.pushHistory(ev);
    const subs = this.subs.get(ev.key);
    if (!subs) return;
    for (const s of subs) {
      if (!matchesSub(s, ev) || (this.subscribedAfter.get(s) ?? -1) >= ev.rv) continue;
      // One failing watcher must neither fail a committed write nor starve the others.
      try {
        s.send(ev);
      } catch {
        /* the watcher ends itself (see ApiServer.watch) */
      }
    }
  }

  private pushHistory(ev: ChangeEvent): void {
    this.history.push(ev);
    // Trim in batches (10 %) so a full history costs O(1) amortised per write, not a copy each time.
    if (this.history.length > this.historySize + Math.max(1, Math.floor(this.historySize / 10))) {
      const drop = this.history.length - this.historySize;
      this.oldestRv = this.history[drop - 1]!.rv;
      this.history = this.history.slice(drop);
    }
  }

  private schedulePersist(): void {
    if (!this.opts.persistence || this.persistTimer) return;
    // With a log every write is already durable: snapshots only compact it, when it has grown.
    if (this.opts.persistence.append && !this.opts.persistence.shouldCompact?.()) return;
    // Coalesce writes; a large store that takes d ms to save waits at least 5·d between saves,
    // so persistence never takes more than ~1/6 of the server's time.
    const delay = Math.max(this.opts.persistDebounceMs ?? 50, 5 * this.lastSaveMs);
    this.persistTimer = this.opts.clock.setTimer(delay, () => {
      this.persistTimer = undefined;
      this.save();
    });
  }

  private lastSaveMs = 0;

  private save(): void {
    // A snapshot holds the objects with their history: publish pending changes first.
    this.publish();
    const t = this.opts.clock.monotonic();
    this.opts.persistence?.save(this.snapshot());
    this.lastSaveMs = this.opts.clock.monotonic() - t;
  }

  /** Deep copy of an object for callers that need to modify it. */
  static copy(o: KObject): KObject {
    return clone(o);
  }
}

function matchesSub(s: WatchSubscription, ev: ChangeEvent): boolean {
  return s.key === ev.key && (s.namespace === undefined || ev.object.metadata.namespace === s.namespace);
}
