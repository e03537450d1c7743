/**
 * Reference implementation for the benchmark only: MetalLB's own algorithm, a linear walk over
 * every address of every pool entry from the start for each allocation (O(pool) per call,
 * O(n²) to fill a pool). It implements the subset of rules the benchmark exercises — generic
 * pools tried by name, `spec.addresses` order, avoidBuggyIPs, the sharing check (same non-empty
 * key, same backend key, no (protocol, port) overlap), release and explicit assignment — with
 * the same IP map keys as `@metallb-ts/ipam`, so the ratio measures the algorithm, not encodings.
 */
import { IPRange, type Family } from '@metallb-ts/netaddr';
import type { Port } from '@metallb-ts/ipam';

interface Entry {
  readonly family: Family;
  readonly first: bigint;
  readonly last: bigint;
}

interface LPool {
  readonly name: string;
  readonly entries: readonly Entry[];
  readonly avoidBuggyIPs: boolean;
}

interface LSvc {
  readonly key: string;
  readonly pool: LPool;
  readonly family: Family;
  readonly value: bigint;
  readonly ports: readonly Port[];
  readonly sharingKey: string;
  readonly backendKey: string;
}

/** The request subset the benchmark uses. */
export interface LinearRequest {
  readonly key: string;
  readonly family: Family;
  readonly ports: readonly Port[];
  readonly sharingKey: string;
  readonly backendKey: string;
}

const keyOf = (f: Family, v: bigint): number | bigint => (f === 'IPv4' ? Number(v) : v);

/** Linear-walk allocator (MetalLB's algorithm). */
export class LinearAllocator {
  private pools: LPool[] = [];
  private readonly ips = new Map<number | bigint, LSvc[]>();
  private readonly svcs = new Map<string, LSvc>();

  setPools(pools: readonly { name: string; addresses: readonly string[]; avoidBuggyIPs?: boolean }[]): void {
    this.pools = [...pools]
      .map((p) => ({
        name: p.name,
        avoidBuggyIPs: p.avoidBuggyIPs === true,
        entries: p.addresses.map((a) => {
          const r = IPRange.parse(a);
          return { family: r.family, first: r.first.value, last: r.last.value };
        }),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private acceptable(users: readonly LSvc[] | undefined, r: LinearRequest): boolean {
    if (users === undefined || users.length === 0) return true;
    const o = users[0]!;
    if (o.sharingKey === '' || o.sharingKey !== r.sharingKey || o.backendKey !== r.backendKey) return false;
    for (const u of users) for (const p of r.ports) for (const q of u.ports) if (p.port === q.port && p.protocol === q.protocol) return false;
    return true;
  }

  /** First acceptable address, walking every pool from its first address. */
  allocate(r: LinearRequest): { pool: string; family: Family; value: bigint } | undefined {
    for (const pool of this.pools) {
      for (const e of pool.entries) {
        if (e.family !== r.family) continue;
        for (let v = e.first; v <= e.last; v++) {
          if (pool.avoidBuggyIPs && e.family === 'IPv4') {
            const low = v & 255n;
            if (low === 0n || low === 255n) continue;
          }
          if (this.acceptable(this.ips.get(keyOf(e.family, v)), r)) {
            this.commit({ key: r.key, pool, family: e.family, value: v, ports: r.ports, sharingKey: r.sharingKey, backendKey: r.backendKey });
            return { pool: pool.name, family: e.family, value: v };
          }
        }
      }
    }
    return undefined;
  }

  /** Explicit assignment of a known address (used for restore). */
  assign(r: LinearRequest, value: bigint): boolean {
    for (const pool of this.pools) {
      for (const e of pool.entries) {
        if (e.family === r.family && value >= e.first && value <= e.last) {
          if (!this.acceptable(this.ips.get(keyOf(r.family, value)), r)) return false;
          this.commit({ key: r.key, pool, family: r.family, value, ports: r.ports, sharingKey: r.sharingKey, backendKey: r.backendKey });
          return true;
        }
      }
    }
    return false;
  }

  release(key: string): void {
    const s = this.svcs.get(key);
    if (s === undefined) return;
    this.svcs.delete(key);
    const k = keyOf(s.family, s.value);
    const rest = this.ips.get(k)!.filter((u) => u !== s);
    if (rest.length === 0) this.ips.delete(k);
    else this.ips.set(k, rest);
  }

  /** `key → address text` of every service, for cross-checking against the real allocator. */
  addresses(): Map<string, bigint> {
    return new Map([...this.svcs].map(([k, s]) => [k, s.value]));
  }

  private commit(s: LSvc): void {
    this.svcs.set(s.key, s);
    const k = keyOf(s.family, s.value);
    const u = this.ips.get(k);
    if (u === undefined) this.ips.set(k, [s]);
    else u.push(s);
  }
}
