/**
 * Shared copies of the values that repeat across Services (namespaces, `LoadBalancer`,
 * `SingleStack`, protocols, pool names, port lists, family lists): JSON.parse gives every Service
 * its own copy of each string longer than ten characters and of every array. Bounded: past
 * {@link INTERN_LIMIT} distinct values, new ones are kept as they are (still correct, just not shared).
 */
const INTERN_LIMIT = 4096;
const strings = new Map<string, string>();
const lists = new Map<string, readonly unknown[]>();

/** The shared copy of a short string value (the same value, possibly another instance). */
export function intern<T extends string | undefined>(s: T): T {
  if (s === undefined || s.length > 64) return s;
  const hit = strings.get(s);
  if (hit !== undefined) return hit as T;
  if (strings.size < INTERN_LIMIT) strings.set(s, s);
  return s;
}

/**
 * A frozen list shared by every Service with the same content. `id` identifies the content
 * unambiguously, including what kind of list it is (callers use a distinct prefix and JSON).
 */
export function sharedList<T>(id: string, make: () => T[]): T[] {
  const hit = lists.get(id);
  if (hit !== undefined) return hit as T[];
  const v = Object.freeze(make()) as T[];
  if (lists.size < INTERN_LIMIT) lists.set(id, v);
  return v;
}

/** How many distinct values are shared now (tests, benchmarks). */
export function internedCount(): { strings: number; lists: number } {
  return { strings: strings.size, lists: lists.size };
}

