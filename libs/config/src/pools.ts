/**
 * IPAddressPool rules (§2.2 P1-P7): address entries, selectors, and overlap across all pools.
 */
import { AddrParseError, Cidr, IPAddress, IPRange } from '@metallb-ts/netaddr';
import type { PoolEntry, PoolAllocation } from './config.js';
import type { BuildContext } from './context.js';
import { RULES } from './errors.js';
import { anySelectorMatches } from '@metallb-ts/labels';
import type { IPAddressPool } from './types.js';

/** A pool after its own rules, before cross-object checks. */
export interface ParsedPool {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly entries: readonly PoolEntry[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation: PoolAllocation | undefined;
}

/** Result of parsing one address entry. */
export type EntryResult = PoolEntry | { readonly error: string; readonly hint: string; readonly rule: typeof RULES.poolBadCidr | typeof RULES.poolBadRange };

/**
 * Parses one `spec.addresses` entry like MetalLB: without `-` it must be a CIDR exactly as given
 * (no white space); with `-` it is split at the first `-`, each side trimmed, and must be two
 * addresses of one family in order.
 */
export function parseAddressEntry(text: string): EntryResult {
  if (!text.includes('-')) {
    const c = Cidr.parseResult(text);
    if (c instanceof AddrParseError) {
      return {
        rule: RULES.poolBadCidr,
        error: `"${text}" is not a valid CIDR: ${c.reason}`,
        hint: 'write a CIDR such as 198.51.100.0/24 or 2001:db8::/64 (prefix at most 32 for IPv4, 128 for IPv6), or a range "first-last"',
      };
    }
    return Object.freeze({ text, form: 'cidr', range: c.toRange(), cidrs: Object.freeze([c]) });
  }
  const dash = text.indexOf('-');
  const a = IPAddress.parseResult(text.slice(0, dash).trim());
  const b = IPAddress.parseResult(text.slice(dash + 1).trim());
  const hint = 'write a range as "first-last" with two addresses of the same family, first not after last';
  if (a instanceof AddrParseError) return { rule: RULES.poolBadRange, error: `range "${text}": first address: ${a.reason}`, hint };
  if (b instanceof AddrParseError) return { rule: RULES.poolBadRange, error: `range "${text}": last address: ${b.reason}`, hint };
  if (a.family !== b.family) {
    return { rule: RULES.poolBadRange, error: `range "${text}" mixes ${a.family} and ${b.family}`, hint: 'split it into one range per family' };
  }
  if (b.value < a.value) {
    return { rule: RULES.poolBadRange, error: `range "${text}" is reversed: ${b} comes before ${a}`, hint: `write it as "${b}-${a}"` };
  }
  const range = IPRange.of(a, b);
  return Object.freeze({ text, form: 'range', range, cidrs: Object.freeze(range.toCidrs()) });
}

/** Applies the single-pool rules; returns undefined when the pool is invalid. */
export function parsePool(ctx: BuildContext, obj: IPAddressPool): ParsedPool | undefined {
  const ref = ctx.ref('IPAddressPool', obj.metadata.name);
  const before = ctx.sink.count;
  const spec = obj.spec;
  if (spec.addresses.length === 0) {
    ctx.sink.invalid(RULES.poolNoAddresses, ref, 'spec.addresses', 'pool has no prefixes defined', 'add at least one CIDR or range');
  }
  const entries: PoolEntry[] = [];
  spec.addresses.forEach((text, i) => {
    const r = parseAddressEntry(text);
    if ('error' in r) ctx.sink.invalid(r.rule, ref, `spec.addresses[${i}]`, r.error, r.hint);
    else entries.push(r);
  });
  let serviceAllocation: PoolAllocation | undefined;
  const sa = spec.serviceAllocation;
  if (sa) {
    ctx.noDuplicates(ref, 'spec.serviceAllocation.namespaces', sa.namespaces);
    const nsSel = ctx.selectors(ref, 'spec.serviceAllocation.namespaceSelectors', sa.namespaceSelectors);
    const svcSel = ctx.selectors(ref, 'spec.serviceAllocation.serviceSelectors', sa.serviceSelectors);
    if (nsSel && svcSel) {
      const namespaces = new Set(sa.namespaces ?? []);
      for (const ns of ctx.namespaces) if (nsSel.length > 0 && anySelectorMatches(nsSel, ns.labels)) namespaces.add(ns.name);
      serviceAllocation = Object.freeze({
        priority: sa.priority ?? 0,
        namespaces,
        namespaceSelectors: Object.freeze(nsSel),
        serviceSelectors: Object.freeze(svcSel),
      });
    }
  }
  if (ctx.sink.count > before) return undefined;
  return Object.freeze({
    name: obj.metadata.name,
    labels: Object.freeze({ ...(obj.metadata.labels ?? {}) }),
    entries: Object.freeze(entries),
    autoAssign: spec.autoAssign ?? true,
    avoidBuggyIPs: spec.avoidBuggyIPs ?? false,
    serviceAllocation,
  });
}

/**
 * P6: no CIDR (after range expansion) may equal, contain or be contained in a CIDR seen earlier,
 * in the same pool or in another one (pools in name order, entries in written order). Each
 * offending entry is reported once, against the earliest CIDR it overlaps.
 *
 * CIDRs are either nested or disjoint, so one sort by (family, first address, widest first) and
 * a stack of enclosing CIDRs finds every overlapping pair in O(n log n + pairs).
 * Returns the names of pools found overlapping.
 */
export function checkOverlaps(ctx: BuildContext, pools: readonly ParsedPool[]): Set<string> {
  interface Item { cidr: Cidr; order: number; pool: string; entryIndex: number; entry: string }
  const items: Item[] = [];
  for (const p of pools) {
    p.entries.forEach((e, entryIndex) => {
      for (const cidr of e.cidrs) items.push({ cidr, order: items.length, pool: p.name, entryIndex, entry: e.text });
    });
  }
  const sorted = [...items].sort((a, b) => {
    if (a.cidr.family !== b.cidr.family) return a.cidr.family === 'IPv4' ? -1 : 1;
    const fa = a.cidr.network.value;
    const fb = b.cidr.network.value;
    if (fa !== fb) return fa < fb ? -1 : 1;
    return a.cidr.prefix - b.cidr.prefix || a.order - b.order;
  });
  // For each later item: the earliest-ordered item it overlaps.
  const partner = new Map<Item, Item>();
  const note = (x: Item, y: Item) => {
    const [early, late] = x.order < y.order ? [x, y] : [y, x];
    const cur = partner.get(late);
    if (!cur || early.order < cur.order) partner.set(late, early);
  };
  const stack: Item[] = [];
  for (const it of sorted) {
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.cidr.family === it.cidr.family && top.cidr.last().value >= it.cidr.network.value) break;
      stack.pop();
    }
    for (const enclosing of stack) note(enclosing, it);
    stack.push(it);
  }
  // Report per entry, in processing order.
  const reported = new Set<string>();
  const bad = new Set<string>();
  for (const it of items) {
    const hit = partner.get(it);
    if (!hit) continue;
    const key = `${it.pool}\u0000${it.entryIndex}`;
    if (reported.has(key)) continue;
    reported.add(key);
    bad.add(it.pool);
    const where = hit.pool === it.pool ? `entry "${hit.entry}" of the same pool` : `"${hit.entry}" of IPAddressPool ${hit.pool}`;
    ctx.sink.invalid(
      RULES.poolOverlap,
      ctx.ref('IPAddressPool', it.pool),
      `spec.addresses[${it.entryIndex}]`,
      `CIDR "${it.cidr}" of "${it.entry}" overlaps with already defined CIDR "${hit.cidr}" (${where})`,
      'make the address ranges of all pools disjoint',
    );
  }
  return bad;
}
