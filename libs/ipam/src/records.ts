/**
 * Internal allocation records, the per-IP user entries of the allocator, and the public views
 * of a record.
 */
import { IPAddress } from '@metallb-ts/netaddr';
import type { PoolState } from './pool.js';
import type { Req } from './request.js';
import type { Allocation, Port } from './types.js';

/** Internal, compact allocation record (the public `Allocation` is built on demand). */
export interface Rec {
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ports: readonly Port[];
  readonly sharingKey: string;
  readonly backendKey: string;
  pool: PoolState;
  /** IPv4 address value, or -1. */
  readonly v4: number;
  /** IPv6 address value, or undefined. */
  readonly v6: bigint | undefined;
  /** True when the IPv6 address comes first in `ips` (requested in that order). */
  readonly v6First: boolean;
}

const PROTOCOLS = new Map<string, number>([
  ['TCP', 0],
  ['UDP', 1],
  ['SCTP', 2],
]);

/** A number identifying a (protocol, port) pair; protocols other than TCP/UDP/SCTP get interned ids. */
export function portCode(p: Port): number {
  let id = PROTOCOLS.get(p.protocol);
  if (id === undefined) {
    id = PROTOCOLS.size;
    PROTOCOLS.set(p.protocol, id);
  }
  return id * 65536 + p.port;
}

/** An IP used by two or more services, with an index of who holds which (protocol, port). */
export class Shared {
  readonly users: Rec[];
  readonly ports = new Map<number, Rec>();

  constructor(a: Rec, b: Rec) {
    this.users = [];
    this.add(a);
    this.add(b);
  }

  add(r: Rec): void {
    this.users.push(r);
    for (const p of r.ports) this.ports.set(portCode(p), r);
  }

  /** Removes `r`; returns the remaining single user when only one is left. */
  remove(r: Rec): Rec | undefined {
    const i = this.users.indexOf(r);
    if (i >= 0) this.users.splice(i, 1);
    for (const p of r.ports) {
      const c = portCode(p);
      if (this.ports.get(c) === r) this.ports.delete(c);
    }
    return this.users.length === 1 ? this.users[0] : undefined;
  }
}

/** Users of one IP: a single record, or a {@link Shared} entry. */
export type Entry = Rec | Shared;

/** Largest offset stored as a small integer key (V8 Smi range with pointer compression). */
const SMI_MAX = (1n << 30n) - 1n;

/** Map key of a pool offset: a number when small (fast hashing), else the bigint itself. */
export type OffKey = number | bigint;

export function offKey(off: bigint): OffKey {
  return off <= SMI_MAX ? Number(off) : off;
}

/** A record for request `n` holding `v4` (or -1) and `v6` (or undefined) in `pool`. */
export function makeRec(n: Req, pool: PoolState, v4: number, v6: bigint | undefined, v6First: boolean): Rec {
  return {
    key: n.key,
    namespace: n.namespace,
    labels: n.labels,
    ports: n.ports,
    sharingKey: n.sharingKey,
    backendKey: n.backendKey,
    pool,
    v4,
    v6,
    v6First,
  };
}

/** The record's addresses in status order (IPv4 first unless IPv6 was requested first). */
export function ipsOf(r: Rec): IPAddress[] {
  const out: IPAddress[] = [];
  if (r.v4 >= 0) out.push(IPAddress.fromBigInt('IPv4', BigInt(r.v4)));
  if (r.v6 !== undefined) {
    if (r.v6First) out.unshift(IPAddress.fromBigInt('IPv6', r.v6));
    else out.push(IPAddress.fromBigInt('IPv6', r.v6));
  }
  return out;
}

/** The public, plain-data view of a record. */
export function toAllocation(r: Rec): Allocation {
  return {
    key: r.key,
    pool: r.pool.name,
    ips: ipsOf(r),
    namespace: r.namespace,
    labels: r.labels,
    ports: r.ports,
    sharingKey: r.sharingKey,
    backendKey: r.backendKey,
  };
}
