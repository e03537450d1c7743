import type { IPAddress } from '@metallb-ts/netaddr';
import { ElectionInputError } from './errors.js';
import { goIPString, toIPAddress } from './ip-key.js';
import type { RankedCandidate } from './order.js';

/** Options of {@link placeBoundedLoad}. */
export interface BoundedLoadOptions {
  /** Slack over a perfectly even spread: each node takes at most ⌈(1+ε)·IPs/nodes⌉. ≥ 0. */
  readonly epsilon: number;
}

/** A moderate default: at most 25 % above the average. */
export const DEFAULT_BOUNDED_LOAD: BoundedLoadOptions = Object.freeze({ epsilon: 0.25 });

/** One IP to place: its key IP and its candidates in election order (e.g. `L2Election.order`). */
export interface BoundedLoadEntry {
  /** The IP that keys the announcement (for dual-stack services: the first status IP). */
  readonly ip: string | IPAddress;
  /** Candidates, best first: node names or ranked candidates. */
  readonly order: readonly (string | RankedCandidate)[];
}

/** Where one IP went and why. */
export interface Placement {
  /** Go text of the IP. */
  readonly ip: string;
  /** The announcer, or `undefined` when the IP has no candidate. */
  readonly node: string | undefined;
  /** The plain election winner (first of `order`). */
  readonly preferred: string | undefined;
  /**
   * `preferred`: the election winner; `displaced`: a later candidate because earlier ones were
   * full; `overflow`: every candidate was full, so the least-loaded one took it beyond the bound
   * (only possible when candidate sets differ between IPs); `none`: no candidate.
   */
  readonly kind: 'preferred' | 'displaced' | 'overflow' | 'none';
  /** Candidates skipped because they had reached the bound, in order. */
  readonly skipped: readonly string[];
}

/** The result of a bounded-load placement. */
export interface BoundedLoadResult {
  /** The per-node cap ⌈(1+ε)·m/n⌉ (m = IPs with a candidate, n = distinct candidate nodes). */
  readonly bound: number;
  /** One placement per entry, in processing order (ascending IP, IPv4 first). */
  readonly placements: readonly Placement[];
  /** IPs per node. */
  readonly loads: ReadonlyMap<string, number>;
}

/**
 * Bounded-load placement (beyond MetalLB, opt-in): consistent hashing with bounded loads over
 * MetalLB's per-IP order. IPs are taken in ascending address order (IPv4 before IPv6) and each
 * goes to the first candidate in its own order that holds fewer than `bound` IPs; everything else
 * about MetalLB's order is kept. Deterministic: every speaker given the same entries computes the
 * same placement, whatever the entry order.
 *
 * When all IPs share one candidate set no node ever exceeds the bound. With different candidate
 * sets (node selectors, `Local` policy) an IP whose candidates are all full goes to its
 * least-loaded candidate and is reported as `overflow`.
 *
 * Services sharing an IP must be merged by the caller into one entry (one IP, one announcer).
 * @throws {ElectionInputError} on a duplicate IP, an unparsable IP or a bad epsilon.
 */
export function placeBoundedLoad(entries: readonly BoundedLoadEntry[], options: BoundedLoadOptions = DEFAULT_BOUNDED_LOAD): BoundedLoadResult {
  const eps = options.epsilon;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new ElectionInputError('epsilon', `must be a finite number ≥ 0, got ${String(eps)}`);
  }
  // One map serves both as the set of all candidate nodes and, through the entry index stored
  // as value, as the per-entry duplicate filter (no per-entry Set: this runs over every IP × node).
  const lastSeenIn = new Map<string, number>();
  const items = entries.map((e, i) => {
    const addr = toIPAddress(e.ip, `entries[${i}].ip`);
    const names: string[] = [];
    for (const c of e.order) {
      const n = typeof c === 'string' ? c : c.node;
      if (typeof n !== 'string' || n.length === 0) throw new ElectionInputError(`entries[${i}].order`, 'node names must be non-empty strings');
      if (lastSeenIn.get(n) === i) continue;
      lastSeenIn.set(n, i);
      names.push(n);
    }
    const text = goIPString(addr);
    // Sort on the Go form so `::ffff:a.b.c.d` and `a.b.c.d` land in the same place.
    return { addr: text === addr.toString() ? addr : toIPAddress(text), text, names };
  });
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.text)) throw new ElectionInputError('entries', `IP ${it.text} appears twice; merge services sharing an IP into one entry`);
    seen.add(it.text);
  }
  items.sort((a, b) => a.addr.compare(b.addr));
  const nodes = lastSeenIn;
  const m = items.filter((x) => x.names.length > 0).length;
  // A small tolerance keeps float noise from adding one: (1+0.1)·10/11 is 1.0000000000000002.
  const bound = nodes.size === 0 ? 0 : Math.max(1, Math.ceil(((1 + eps) * m) / nodes.size - 1e-9));
  const loads = new Map<string, number>();
  const placements: Placement[] = [];
  for (const it of items) {
    const preferred = it.names[0];
    if (preferred === undefined) {
      placements.push({ ip: it.text, node: undefined, preferred, kind: 'none', skipped: [] });
      continue;
    }
    const skipped: string[] = [];
    let node: string | undefined;
    for (const n of it.names) {
      if ((loads.get(n) ?? 0) < bound) {
        node = n;
        break;
      }
      skipped.push(n);
    }
    let kind: Placement['kind'] = node === preferred ? 'preferred' : 'displaced';
    if (node === undefined) {
      kind = 'overflow';
      node = it.names.reduce((best, n) => ((loads.get(n) ?? 0) < (loads.get(best) ?? 0) ? n : best), preferred);
    }
    loads.set(node, (loads.get(node) ?? 0) + 1);
    placements.push({ ip: it.text, node, preferred, kind, skipped });
  }
  return { bound, placements, loads };
}
