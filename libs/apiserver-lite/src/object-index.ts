/**
 * The objects of one resource, indexed so that a write costs O(1) whatever the number of objects:
 * a map by id (`namespace/name`), and the list order — byte order of `namespace/name`, as etcd
 * keys sort — kept for the whole resource and per namespace by {@link SortedIds}, which records
 * inserts and removals and brings its sorted array up to date only when it is listed.
 */
import type { KObject } from './store.js';

/** Byte order of ids, as the store has always listed them (UTF-16 code units, as `<` compares). */
const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A set of ids listed in sorted order. `add` and `delete` are O(1); `sorted()` costs
 * O(k log k + n) after k changes (the changed ids are sorted and merged), and nothing when
 * nothing changed. Invariant: the ids are `done ∪ added ∖ removed`, with `added ∩ done = ∅`
 * and `removed ⊆ done`.
 */
export class SortedIds {
  /** Sorted; may still hold ids in {@link removed}. */
  private done: string[] = [];
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();
  private count = 0;

  /** Number of ids. */
  get size(): number {
    return this.count;
  }

  /** Adds an id that is not in the set. */
  add(id: string): void {
    if (this.removed.has(id)) this.removed.delete(id);
    else this.added.add(id);
    this.count++;
  }

  /** Removes an id that is in the set. */
  delete(id: string): void {
    if (this.added.has(id)) this.added.delete(id);
    else this.removed.add(id);
    this.count--;
  }

  /** The ids in byte order. The array is shared: callers must not modify it. */
  sorted(): readonly string[] {
    if (this.removed.size > 0) {
      const removed = this.removed;
      this.done = this.done.filter((id) => !removed.has(id));
      removed.clear();
    }
    if (this.added.size > 0) {
      const extra = [...this.added].sort(byteOrder);
      this.added.clear();
      this.done = this.done.length === 0 ? extra : merge(this.done, extra);
    }
    return this.done;
  }
}

function merge(a: readonly string[], b: readonly string[]): string[] {
  const out = new Array<string>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i]! < b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** The objects of one storage key (`group/plural`), by id and in list order, also per namespace. */
export class ResourceObjects {
  private readonly byId = new Map<string, KObject>();
  private readonly all = new SortedIds();
  /** Only objects whose `metadata.namespace` is a string. */
  private readonly byNamespace = new Map<string, SortedIds>();

  /** Number of objects. */
  get size(): number {
    return this.byId.size;
  }

  get(id: string): KObject | undefined {
    return this.byId.get(id);
  }

  /** Every object, in no particular order. */
  values(): IterableIterator<KObject> {
    return this.byId.values();
  }

  /** Inserts or replaces the object with this id. */
  set(id: string, obj: KObject): void {
    const prev = this.byId.get(id);
    this.byId.set(id, obj);
    if (!prev) {
      this.all.add(id);
      this.nsIds(obj.metadata.namespace, true)?.add(id);
    } else if (prev.metadata.namespace !== obj.metadata.namespace) {
      this.untrackNs(prev.metadata.namespace, id);
      this.nsIds(obj.metadata.namespace, true)?.add(id);
    }
  }

  /** Removes the object with this id; false when there is none. */
  delete(id: string): boolean {
    const prev = this.byId.get(id);
    if (!prev) return false;
    this.byId.delete(id);
    this.all.delete(id);
    this.untrackNs(prev.metadata.namespace, id);
    return true;
  }

  /**
   * The objects in byte order of `namespace/name`; with `namespace`, only those whose
   * `metadata.namespace` equals it. A new array each time (the objects are the stored ones).
   */
  list(namespace?: string): KObject[] {
    const ids = namespace === undefined ? this.all.sorted() : this.byNamespace.get(namespace)?.sorted() ?? [];
    const out = new Array<KObject>(ids.length);
    for (let i = 0; i < ids.length; i++) out[i] = this.byId.get(ids[i]!)!;
    return out;
  }

  /** Number of objects in a namespace. */
  countIn(namespace: string): number {
    return this.byNamespace.get(namespace)?.size ?? 0;
  }

  private nsIds(ns: unknown, create: boolean): SortedIds | undefined {
    if (typeof ns !== 'string') return undefined;
    let s = this.byNamespace.get(ns);
    if (!s && create) this.byNamespace.set(ns, (s = new SortedIds()));
    return s;
  }

  private untrackNs(ns: unknown, id: string): void {
    const s = this.nsIds(ns, false);
    if (!s) return;
    s.delete(id);
    if (s.size === 0) this.byNamespace.delete(ns as string);
  }
}
