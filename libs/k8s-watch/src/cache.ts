/**
 * The informer cache: objects by key with incrementally maintained indexes, and the pure
 * decisions that turn watch events and relists into deltas. Decisions are table-tested; the
 * cache only applies them.
 */
import { objectKey, type KubeObject } from './types.js';

/** Compares two resourceVersions. Kubernetes calls them opaque; every server we know uses integers, so integers compare numerically and anything else only by equality (`undefined` when unordered). */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (a === b) return 0;
  if (a === undefined || b === undefined) return undefined;
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return undefined;
}

/** What an event or relist does to the cache. */
export type Delta<T extends KubeObject> =
  | { kind: 'add'; object: T }
  | { kind: 'update'; old: T; object: T }
  | { kind: 'delete'; object: T; finalStateUnknown: boolean }
  | { kind: 'ignore'; reason: IgnoreReason; object: KubeObject };

/**
 * Why an event changed nothing: a repeat (`duplicate`), older than what is known (`stale`), a
 * delete of an object never cached (`unknown-delete`), filtered out (`filtered`), or an object
 * the informer's `transform` rejected with no cached version to retract (`unparseable`).
 */
export type IgnoreReason = 'stale' | 'duplicate' | 'unknown-delete' | 'filtered' | 'unparseable';

/**
 * The delta for one watch event given the cached object (pure). Guards against servers that
 * repeat or reorder events: an event no newer than the cached object is ignored.
 */
export function decideEvent<T extends KubeObject>(cached: T | undefined, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): Delta<T> {
  const order = compareResourceVersions(object.metadata.resourceVersion, cached?.metadata.resourceVersion);
  if (type === 'DELETED') {
    if (!cached) return { kind: 'ignore', reason: 'unknown-delete', object };
    // A deletion is never older than the object it deletes; if it is, it belongs to an earlier incarnation.
    if (order !== undefined && order < 0) return { kind: 'ignore', reason: 'stale', object };
    return { kind: 'delete', object, finalStateUnknown: false };
  }
  if (!cached) return { kind: 'add', object };
  if (order === 0) return { kind: 'ignore', reason: 'duplicate', object };
  if (order !== undefined && order < 0) return { kind: 'ignore', reason: 'stale', object };
  return { kind: 'update', old: cached, object };
}

/**
 * The delta for a watch event whose object could not be transformed (pure): `raw` is the object
 * as the server sent it (only its metadata is read). A poisoned object never enters the cache.
 * A newer unparseable version of a cached object retracts the cached one — delivered as a delete
 * of the last good version with `finalStateUnknown: true` — because the cache must never claim a
 * version the server has replaced; a delete is always applied (again with the cached object,
 * since the final state could not be read). Repeats and reorderings are ignored as in
 * {@link decideEvent}.
 */
export function decideUnparseable<T extends KubeObject>(cached: T | undefined, type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: KubeObject): Delta<T> {
  if (!cached) return { kind: 'ignore', reason: type === 'DELETED' ? 'unknown-delete' : 'unparseable', object: raw };
  const order = compareResourceVersions(raw.metadata.resourceVersion, cached.metadata.resourceVersion);
  if (type === 'DELETED') {
    if (order !== undefined && order < 0) return { kind: 'ignore', reason: 'stale', object: raw };
    return { kind: 'delete', object: cached, finalStateUnknown: true };
  }
  if (order === 0) return { kind: 'ignore', reason: 'duplicate', object: raw };
  if (order !== undefined && order < 0) return { kind: 'ignore', reason: 'stale', object: raw };
  return { kind: 'delete', object: cached, finalStateUnknown: true };
}

/**
 * The deltas that turn the cache into the result of a fresh list (pure): adds for new keys,
 * updates where the resourceVersion changed, and deletes — marked `finalStateUnknown`, as
 * client-go's `DeletedFinalStateUnknown` — for keys missing from the list.
 */
export function diffRelist<T extends KubeObject>(cached: ReadonlyMap<string, T>, items: readonly T[]): Delta<T>[] {
  const out: Delta<T>[] = [];
  const seen = new Set<string>();
  for (const o of items) {
    const k = objectKey(o);
    seen.add(k);
    const c = cached.get(k);
    if (!c) out.push({ kind: 'add', object: o });
    else if (c.metadata.resourceVersion !== o.metadata.resourceVersion || c.metadata.uid !== o.metadata.uid) out.push({ kind: 'update', old: c, object: o });
  }
  for (const [k, c] of cached) if (!seen.has(k)) out.push({ kind: 'delete', object: c, finalStateUnknown: true });
  return out;
}

/** An index function: the index values of an object (client-go's `IndexFunc`). */
export type IndexFunc<T extends KubeObject> = (o: T) => string[];

/** Built-in index: by namespace. */
export const NAMESPACE_INDEX = 'namespace';
/** Built-in index: by label, values `key=value`. */
export const LABEL_INDEX = 'label';

/** Index of EndpointSlices by their Service (`namespace/service-name`), via the `kubernetes.io/service-name` label. */
export const byServiceName: IndexFunc<KubeObject> = (o) => {
  const svc = o.metadata.labels?.['kubernetes.io/service-name'];
  return svc ? [`${o.metadata.namespace ?? ''}/${svc}`] : [];
};

/** A read-only view of a cache (what reconcilers get). */
export interface CacheReader<T extends KubeObject> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): string[];
  size(): number;
  byIndex(index: string, value: string): T[];
  byNamespace(namespace: string): T[];
  /** Objects with every label `key=value` in `labels`. */
  byLabels(labels: Record<string, string>): T[];
}

/**
 * Objects by key with indexes kept up to date on every change. An index is built on its first
 * query and maintained from then on: an informer nobody queries by namespace or label pays nothing
 * for those indexes (the label index alone held one Set per distinct label value, issue 20).
 */
export class Cache<T extends KubeObject> implements CacheReader<T> {
  private readonly items = new Map<string, T>();
  private readonly indexFns = new Map<string, IndexFunc<T>>();
  /** Only the indexes built so far. */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.indexFns.set(NAMESPACE_INDEX, (o) => [o.metadata.namespace ?? '']);
    this.indexFns.set(LABEL_INDEX, (o) => Object.entries(o.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`));
    for (const [name, fn] of Object.entries(indexers)) this.indexFns.set(name, fn);
  }

  /** Adds (or replaces) an index; it is built on its first query. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    this.indexFns.set(name, fn);
    this.indexes.delete(name);
  }

  /** Names of the indexes built so far (tests, debugging). */
  builtIndexes(): string[] {
    return [...this.indexes.keys()];
  }

  private built(name: string): Map<string, Set<string>> {
    let idx = this.indexes.get(name);
    if (idx) return idx;
    const fn = this.indexFns.get(name);
    if (!fn) throw new Error(`no index "${name}"; known: ${[...this.indexFns.keys()].join(', ')}`);
    idx = new Map();
    for (const [k, o] of this.items) for (const v of fn(o)) addTo(idx, v, k);
    this.indexes.set(name, idx);
    return idx;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  size(): number {
    return this.items.size;
  }

  /** The underlying map (read-only use). */
  entries(): ReadonlyMap<string, T> {
    return this.items;
  }

  byIndex(index: string, value: string): T[] {
    const idx = this.built(index);
    return [...(idx.get(value) ?? [])].map((k) => this.items.get(k)!).filter(Boolean);
  }

  byNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }

  byLabels(labels: Record<string, string>): T[] {
    const pairs = Object.entries(labels);
    if (pairs.length === 0) return this.list();
    const [k0, v0] = pairs[0]!;
    return this.byIndex(LABEL_INDEX, `${k0}=${v0}`).filter((o) => pairs.every(([k, v]) => o.metadata.labels?.[k] === v));
  }

  /** Applies a delta (ignores `ignore`). */
  apply(d: Delta<T>): void {
    if (d.kind === 'ignore') return;
    const key = objectKey(d.object);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    if (d.kind === 'delete') this.items.delete(key);
    else {
      this.items.set(key, d.object);
      this.index(key, d.object);
    }
  }

  /** Removes everything. */
  clear(): void {
    this.items.clear();
    for (const idx of this.indexes.values()) idx.clear();
  }

  /** A point-in-time copy (for reconcilers that must not see later changes). */
  snapshot(): CacheReader<T> {
    const c = new Cache<T>(Object.fromEntries([...this.indexFns].filter(([n]) => n !== NAMESPACE_INDEX && n !== LABEL_INDEX)));
    for (const o of this.items.values()) c.apply({ kind: 'add', object: o });
    return c;
  }

  private index(key: string, o: T): void {
    for (const [name, idx] of this.indexes) for (const v of this.indexFns.get(name)!(o)) addTo(idx, v, key);
  }

  private unindex(key: string, o: T): void {
    for (const [name, idx] of this.indexes) {
      for (const v of this.indexFns.get(name)!(o)) {
        const s = idx.get(v);
        s?.delete(key);
        if (s?.size === 0) idx.delete(v);
      }
    }
  }
}

function addTo(idx: Map<string, Set<string>>, v: string, key: string): void {
  let s = idx.get(v);
  if (!s) idx.set(v, (s = new Set()));
  s.add(key);
}
