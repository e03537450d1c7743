/**
 * Validation and compilation of {@link PoolSpec}s into the allocator's internal pool state, the
 * pool orders of automatic allocation and pool/service compatibility.
 */
import { AddrParseError, IPRange, type Family } from '@metallb-ts/netaddr';
import { AddressSpace } from './address-space.js';
import { metallbFamilySize } from './counts.js';
import { FreeSet } from './free-set.js';
import type { Entry as UserEntry, OffKey } from './records.js';
import { matchesAny } from './selector.js';
import type { LabelSelector, PoolError, PoolSpec } from './types.js';

/** Per-family mutable state of a pool. */
export interface FamilyState {
  readonly family: Family;
  readonly space: AddressSpace;
  free: FreeSet;
  /** Sharing group (sharing key + backend key) → its in-use IPs. */
  byKey: Map<string, SharingGroup>;
  /** Users of each in-use address, by offset. */
  users: Map<OffKey, UserEntry>;
  /** Distinct in-use IPs. */
  inUse: number;
  /** MetalLB-convention size (3.10). */
  readonly metallbSize: bigint;
}

/** Size from which a sharing group keeps per-port counts (and below half of which it drops them). */
export const GROUP_INDEX_MIN = 8;

/** The in-use IPs of one sharing group (same sharing key and backend key) in one pool family. */
export interface SharingGroup {
  /** Offsets of the group's IPs, ascending (pool order). */
  readonly offs: bigint[];
  /**
   * Port code → number of the group's IPs holding it, kept only for groups of
   * {@link GROUP_INDEX_MIN} IPs or more (small groups are scanned, an index would only cost
   * memory). Users of one IP never hold the same (protocol, port), so counting per user is
   * counting per IP. When a code is held by every IP of the group, a request with that port
   * cannot join any of them and the scan is skipped.
   */
  holders: Map<number, number> | undefined;
}

/** A compiled pool. */
export interface PoolState {
  readonly name: string;
  readonly spec: PoolSpec;
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  /** True when the spec has a `serviceAllocation` block. */
  readonly hasBlock: boolean;
  readonly priority: number;
  readonly namespaces: ReadonlySet<string>;
  readonly serviceSelectors: readonly LabelSelector[];
  /** Block present with no namespaces, no namespace selectors and no service selectors: matches everybody. */
  readonly matchAll: boolean;
  /** Block whose namespace selectors resolved to nothing and no service selectors: explicit requests only. */
  readonly explicitOnly: boolean;
  readonly v4: FamilyState;
  readonly v6: FamilyState;
  /** Number of services allocated from this pool. */
  services: number;
}

/** Result of {@link compilePools}. */
export type CompileResult = { ok: true; pools: PoolState[] } | { ok: false; errors: PoolError[] };

interface Entry {
  pool: string;
  family: Family;
  first: bigint;
  last: bigint;
  text: string;
  entry: number;
}

function familyState(family: Family, entries: Entry[], avoidBuggyIPs: boolean): FamilyState {
  const space = new AddressSpace(family, entries, avoidBuggyIPs);
  return {
    family,
    space,
    free: new FreeSet(space.size),
    byKey: new Map(),
    users: new Map(),
    inUse: 0,
    metallbSize: metallbFamilySize(family, entries, avoidBuggyIPs),
  };
}

/**
 * Validates a whole pool set (names, address syntax, overlaps across every entry of every pool,
 * priorities) and compiles it. Nothing is partially applied: any error refuses the whole set.
 */
export function compilePools(specs: readonly PoolSpec[]): CompileResult {
  const errors: PoolError[] = [];
  if (!Array.isArray(specs)) {
    return { ok: false, errors: [{ pool: '', reason: 'invalid-name', message: 'pools must be an array' }] };
  }
  const seen = new Set<string>();
  const all: Entry[] = [];
  const perPool: Entry[][] = [];
  for (const spec of specs) {
    const entries: Entry[] = [];
    perPool.push(entries);
    const name = spec?.name;
    if (typeof name !== 'string' || name.length === 0) {
      errors.push({ pool: '', reason: 'invalid-name', message: 'every pool needs a non-empty name' });
      continue;
    }
    if (seen.has(name)) {
      errors.push({ pool: name, reason: 'duplicate-name', message: `pool "${name}" is defined twice; pool names must be unique` });
      continue;
    }
    seen.add(name);
    const prio = spec.serviceAllocation?.priority ?? 0;
    if (!Number.isSafeInteger(prio)) {
      errors.push({ pool: name, reason: 'invalid-priority', message: `pool "${name}": serviceAllocation.priority must be an integer, got ${String(prio)}` });
    }
    if (!Array.isArray(spec.addresses) || spec.addresses.length === 0) {
      errors.push({ pool: name, reason: 'no-addresses', message: `pool "${name}" has no addresses; add at least one CIDR or a-b range` });
      continue;
    }
    (spec.addresses as readonly string[]).forEach((text: string, i: number) => {
      const r = IPRange.parseResult(text);
      if (r instanceof AddrParseError) {
        errors.push({ pool: name, reason: 'invalid-address', message: `pool "${name}": ${r.message}; use a CIDR like 198.51.100.0/24 or a range like 198.51.100.10-198.51.100.20` });
        return;
      }
      const e: Entry = { pool: name, family: r.family, first: r.first.value, last: r.last.value, text, entry: i };
      entries.push(e);
      all.push(e);
    });
  }
  // Overlaps (within and across pools), found by sorting every entry by family and first address.
  const sorted = [...all].sort((a, b) =>
    a.family !== b.family ? (a.family === 'IPv4' ? -1 : 1) : a.first < b.first ? -1 : a.first > b.first ? 1 : 0,
  );
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.family === b.family && b.first <= a.last) {
      const where = a.pool === b.pool ? `pool "${a.pool}"` : `pools "${a.pool}" and "${b.pool}"`;
      errors.push({
        pool: b.pool,
        reason: 'overlap',
        message: `${where}: "${a.text}" and "${b.text}" overlap; every address may belong to one pool entry only`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const pools = specs.map((spec, i): PoolState => {
    const entries = perPool[i]!;
    const avoid = spec.avoidBuggyIPs === true;
    const sa = spec.serviceAllocation;
    const namespaces = new Set<string>(sa?.namespaces ?? []);
    const serviceSelectors = [...(sa?.serviceSelectors ?? [])];
    const hasNsSel = sa?.hasNamespaceSelectors === true;
    const emptyLists = namespaces.size === 0 && serviceSelectors.length === 0;
    return {
      name: spec.name,
      spec,
      autoAssign: spec.autoAssign !== false,
      avoidBuggyIPs: avoid,
      hasBlock: sa !== undefined && sa !== null,
      priority: sa?.priority ?? 0,
      namespaces,
      serviceSelectors,
      matchAll: sa != null && emptyLists && !hasNsSel,
      explicitOnly: sa != null && emptyLists && hasNsSel,
      v4: familyState('IPv4', entries.filter((e) => e.family === 'IPv4'), avoid),
      v6: familyState('IPv6', entries.filter((e) => e.family === 'IPv6'), avoid),
      services: 0,
    };
  });
  return { ok: true, pools };
}

/**
 * Order of pinned pools (behaviour spec 3.5 step 2): non-zero priorities ascending, then
 * priority 0; ties by pool name (code-unit order). MetalLB leaves ties arbitrary.
 */
export function comparePinned(a: PoolState, b: PoolState): number {
  const za = a.priority === 0 ? 1 : 0;
  const zb = b.priority === 0 ? 1 : 0;
  if (za !== zb) return za - zb;
  if (a.priority !== b.priority) return a.priority - b.priority;
  return compareNames(a, b);
}

/** Order of generic pools: by name (MetalLB: Go map order, i.e. random). */
export function compareNames(a: PoolState, b: PoolState): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Pool/service compatibility (3.4): the pool's serviceAllocation admits the namespace and labels. */
export function compatible(p: PoolState, n: { namespace: string; labels: Readonly<Record<string, string>> }): boolean {
  if (!p.hasBlock) return true;
  if (p.namespaces.size > 0 && !p.namespaces.has(n.namespace)) return false;
  if (p.serviceSelectors.length > 0 && !matchesAny(p.serviceSelectors, n.labels)) return false;
  return true;
}
