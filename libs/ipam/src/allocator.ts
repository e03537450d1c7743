/**
 * The allocator: MetalLB's allocation rules (behaviour spec §3 and §4.3) as a thin driver over
 * the pieces that hold them — request normalisation (`request.ts`), the owner index
 * (`owner-index.ts`), the sharing rules and their index (`sharing.ts`), the pool search
 * (`pick.ts`), re-validation (`revalidate.ts`) and explanations (`explain.ts`) — and the
 * free-interval structure of {@link FreeSet}. This file owns the state: which service holds
 * which address, and the bookkeeping that keeps pools, free sets and sharing groups in step.
 */
import { IPAddress, type Family } from '@metallb-ts/netaddr';
import { addSaturating } from './counts.js';
import { famList, line, refusal, notEligibleLine, unknownPoolMessage } from './explain.js';
import { FreeSet } from './free-set.js';
import { buildOwnerIndex, entryIn, ownerIn, ownerOfIps, type OwnerIndex } from './owner-index.js';
import { pickFromList, pickIn, type Pick } from './pick.js';
import { comparePinned, compareNames, compatible, compilePools, type FamilyState, type PoolState } from './pool.js';
import { ipsOf, makeRec, offKey, Shared, toAllocation, type Entry, type Rec } from './records.js';
import { normalizeIp, normalizeRequest, type Refusal, type Req } from './request.js';
import { checkCurrent } from './revalidate.js';
import { appendToGroup, checkSharing, finishGroups, firstAcceptable, groupAddIp, groupAddUser, groupRemove } from './sharing.js';
import type {
  AllocateRefusal,
  AllocateResult,
  AllocateSuccess,
  Allocation,
  AllocationRecord,
  DroppedAllocation,
  MovedAllocation,
  PoolConsideration,
  PoolCounts,
  PoolSpec,
  PoolStage,
  PoolStatus,
  PoolVerdict,
  RefusalReason,
  ReleaseResult,
  RestoreRejection,
  RestoreResult,
  ServiceRequest,
  SetPoolsResult,
} from './types.js';

/**
 * MetalLB's IP allocator as a pure, synchronous, deterministic state machine.
 *
 * ```ts
 * const a = new Allocator();
 * a.setPools([{ name: 'default', addresses: ['198.51.100.0/24', '2001:db8::/64'] }]);
 * const r = a.allocate({ key: 'web/front', namespace: 'web', families: ['IPv4'] });
 * if (r.ok) r.allocation.ips.map(String); // ['198.51.100.0']
 * else console.log(r.reason, r.message, r.considered);
 * ```
 *
 * Every refusal is a value (`{ ok: false, reason, message, considered }`) and leaves the state
 * exactly as it was. Methods throw only on programming errors (never for bad requests).
 */
export class Allocator {
  private pools = new Map<string, PoolState>();
  /** Pools with serviceAllocation, in pinned order. */
  private pinned: PoolState[] = [];
  /** Pools without serviceAllocation and with autoAssign, by name. */
  private genericAuto: PoolState[] = [];
  /** Pools without serviceAllocation and with autoAssign: false, by name (explanations only). */
  private genericManual: PoolState[] = [];
  /** Every pool, by name (for explanations). */
  private byName: PoolState[] = [];
  /** Every address entry of every pool, by family, sorted by first address (pools never overlap). */
  private owners: OwnerIndex = buildOwnerIndex([]);
  private readonly recs = new Map<string, Rec>();
  /**
   * During `restore`: the family states touched, whose free sets are rebuilt in one pass at the
   * end instead of being split once per record (restore never consults the free sets).
   */
  private bulk: Set<FamilyState> | undefined;

  /**
   * Replaces the whole pool set. Existing allocations follow MetalLB's rules (3.9): kept when
   * the same pool still owns their IPs, moved when a pool of another name does (rename/split),
   * dropped when none does (pool deleted or shrunk, or `avoidBuggyIPs` now excludes the IP).
   * Service compatibility is not re-checked here: `allocate`/`validate` do that per service.
   * An invalid set is refused as a whole and nothing changes.
   */
  setPools(specs: readonly PoolSpec[]): SetPoolsResult {
    const compiled = compilePools(specs);
    if (!compiled.ok) {
      return {
        ok: false,
        reason: 'invalid-pools',
        message: compiled.errors.map((e) => e.message).join('; '),
        errors: compiled.errors,
      };
    }
    const next = new Map(compiled.pools.map((p) => [p.name, p]));
    const owners = buildOwnerIndex(compiled.pools);
    const moved: MovedAllocation[] = [];
    const dropped: DroppedAllocation[] = [];
    let kept = 0;
    const droppedRecs = new Set<Rec>();
    for (const rec of this.recs.values()) {
      const owner = ownerIn(owners, rec.v4 >= 0 ? BigInt(rec.v4) : undefined, rec.v6);
      if (owner === undefined) {
        const gone = !next.has(rec.pool.name);
        dropped.push({
          key: rec.key,
          pool: rec.pool.name,
          ips: ipsOf(rec),
          reason: gone ? 'pool-removed' : 'ip-not-in-any-pool',
          message: gone
            ? `pool "${rec.pool.name}" was removed; ${rec.key} loses ${ipsOf(rec).join(', ')} and needs a new allocation`
            : `no pool owns ${ipsOf(rec).join(', ')} any more (pool shrunk or avoidBuggyIPs); ${rec.key} needs a new allocation`,
        });
        droppedRecs.add(rec);
        continue;
      }
      if (owner.name !== rec.pool.name) moved.push({ key: rec.key, from: rec.pool.name, to: owner.name });
      else kept++;
      rec.pool = owner;
      owner.services++;
    }
    for (const rec of droppedRecs) this.recs.delete(rec.key);
    // Rebuild per-IP and per-pool state from the surviving records (insertion order).
    const used = new Map<FamilyState, bigint[]>();
    const attach = (rec: Rec, fs: FamilyState, v: bigint) => {
      const off = fs.space.offsetOf(v)!;
      const k = offKey(off);
      const e = fs.users.get(k);
      if (e === undefined) {
        fs.users.set(k, rec);
        let arr = used.get(fs);
        if (arr === undefined) used.set(fs, (arr = []));
        arr.push(off);
        fs.inUse++;
        appendToGroup(fs, rec, off);
      } else if (e instanceof Shared) e.add(rec);
      else fs.users.set(k, new Shared(e, rec));
    };
    for (const rec of this.recs.values()) {
      if (rec.v4 >= 0) attach(rec, rec.pool.v4, BigInt(rec.v4));
      if (rec.v6 !== undefined) attach(rec, rec.pool.v6, rec.v6);
    }
    for (const [fs, offs] of used) {
      fs.free = FreeSet.withUsed(fs.space.size, offs);
      finishGroups(fs);
    }
    this.pools = next;
    this.owners = owners;
    this.byName = [...compiled.pools].sort(compareNames);
    this.pinned = compiled.pools.filter((p) => p.hasBlock).sort(comparePinned);
    const generic = compiled.pools.filter((p) => !p.hasBlock).sort(compareNames);
    this.genericAuto = generic.filter((p) => p.autoAssign);
    this.genericManual = generic.filter((p) => !p.autoAssign);
    return { ok: true, kept, moved, dropped };
  }

  /** Names of the configured pools, sorted. */
  poolNames(): string[] {
    return this.byName.map((p) => p.name);
  }

  /**
   * Ensures the service holds a valid allocation for `req`, following MetalLB's precedence
   * (4.3): requested IPs, else the `address-pool` pool, else automatic allocation (3.5).
   *
   * - When the service already holds an allocation that is still valid for `req` (same family,
   *   pool still admits it, sharing still allowed with the new ports/keys, same pool as the
   *   annotation, same IPs as requested), it is kept (`changed: false`; ports/keys updated).
   * - Otherwise a new allocation is computed as if the service had none (its old IPs count as
   *   free for it). On success it replaces the old one (`previous`, `previousInvalid`); on
   *   refusal nothing changes and `current` is what the service still holds.
   */
  allocate(request: ServiceRequest): AllocateResult {
    const n = normalizeRequest(request);
    if (!('key' in n)) return refusal(n, [], typeof request?.key === 'string' ? this.recs.get(request.key) : undefined);
    const cur = this.recs.get(n.key);
    if (cur === undefined) return this.allocateFresh(n);
    const bad = checkCurrent(cur, n);
    if (bad === null) {
      const rec = makeRec(n, cur.pool, cur.v4, cur.v6, cur.v6First);
      this.removeRec(cur);
      this.addRec(rec);
      const stage: PoolStage = n.requested ? 'requested-ip' : n.pool ? 'named-pool' : rec.pool.hasBlock ? 'pinned' : 'generic';
      const name = rec.pool.name;
      return { ok: true, allocation: toAllocation(rec), changed: false, considered: [line(name, stage, 'chosen', () => `kept ${ipsOf(rec).join(', ')} from pool "${name}"`)] };
    }
    this.removeRec(cur);
    const res = this.allocateFresh(n);
    if (!res.ok) {
      this.addRec(cur);
      return { ...res, current: toAllocation(cur) };
    }
    const now = this.recs.get(n.key)!;
    const same = now.pool === cur.pool && now.v4 === cur.v4 && now.v6 === cur.v6 && now.v6First === cur.v6First;
    return {
      ...res,
      changed: !same,
      previous: toAllocation(cur),
      previousInvalid: { reason: bad.reason, message: bad.message },
    };
  }

  /**
   * Checks, without changing anything, whether the service's current allocation is still valid
   * for `req` (the controller's re-validation on every reconcile). `not-allocated` when it has none.
   */
  validate(request: ServiceRequest): AllocateResult {
    const n = normalizeRequest(request);
    const cur = typeof request?.key === 'string' ? this.recs.get(request.key) : undefined;
    if (!('key' in n)) return refusal(n, [], cur);
    if (cur === undefined) {
      return refusal({ reason: 'not-allocated', message: `${n.key} has no allocation` }, []);
    }
    const bad = checkCurrent(cur, n);
    if (bad !== null) {
      return refusal({ reason: bad.reason, message: bad.message, ...(bad.conflict ? { conflict: bad.conflict } : {}) }, [], cur);
    }
    return { ok: true, allocation: toAllocation(cur), changed: false, considered: [] };
  }

  /**
   * PreferDualStack upgrade (3.8 `AllocateFromPoolForAdditionalFamily`): a dual-stack
   * PreferDualStack service holding one IP gets the first free acceptable IP of the other family
   * from the same pool. Refused with `not-dual-stack` for a single-family service (this is the
   * fix for MetalLB's PreferDualStack oscillation, quirk 11).
   */
  addFamily(request: ServiceRequest): AllocateResult {
    const n = normalizeRequest(request);
    const cur = typeof request?.key === 'string' ? this.recs.get(request.key) : undefined;
    if (!('key' in n)) return refusal(n, [], cur);
    if (cur === undefined) return refusal({ reason: 'not-allocated', message: `${n.key} has no allocation to extend` }, []);
    if (n.families.length !== 2 || n.policy !== 'PreferDualStack') {
      return refusal(
        {
          reason: 'not-dual-stack',
          message: `${n.key} is ${famList(n.families)} with policy ${n.policy}; only a PreferDualStack service with two clusterIPs gets a second family`,
        },
        [],
        cur,
      );
    }
    const bad = checkCurrent(cur, n);
    if (bad !== null) {
      return refusal({ reason: bad.reason, message: bad.message, ...(bad.conflict ? { conflict: bad.conflict } : {}) }, [], cur);
    }
    const pool = cur.pool;
    if (cur.v4 >= 0 && cur.v6 !== undefined) {
      return { ok: true, allocation: toAllocation(cur), changed: false, considered: [] };
    }
    const missing: Family = cur.v4 >= 0 ? 'IPv6' : 'IPv4';
    const fs = missing === 'IPv4' ? pool.v4 : pool.v6;
    const off = firstAcceptable(fs, n);
    if (off === undefined) {
      const verdict: PoolVerdict = fs.space.size === 0n ? 'family-not-in-pool' : 'family-exhausted';
      const message =
        verdict === 'family-not-in-pool'
          ? `pool "${pool.name}" has no ${missing} addresses; add a ${missing} range to it for ${n.key} to become dual-stack`
          : `pool "${pool.name}" has no free ${missing} address for ${n.key}; add ${missing} addresses or release services`;
      return refusal({ reason: 'family-unavailable', message }, [{ pool: pool.name, stage: 'upgrade', verdict, message }], cur);
    }
    const v = fs.space.valueAt(off);
    const rec = makeRec(n, pool, missing === 'IPv4' ? Number(v) : cur.v4, missing === 'IPv6' ? v : cur.v6, false);
    this.removeRec(cur);
    this.addRec(rec);
    return {
      ok: true,
      allocation: toAllocation(rec),
      changed: true,
      previous: toAllocation(cur),
      considered: [line(pool.name, 'upgrade', 'chosen', () => `added ${missing} ${IPAddress.fromBigInt(missing, v)} from pool "${pool.name}"`)],
    };
  }

  /** Releases the service's allocation (no-op when it has none). */
  release(key: string): ReleaseResult {
    const rec = this.recs.get(key);
    if (rec === undefined) return { released: false };
    this.removeRec(rec);
    return { released: true, allocation: toAllocation(rec) };
  }

  /** The service's allocation, if any. */
  get(key: string): Allocation | undefined {
    const rec = this.recs.get(key);
    return rec === undefined ? undefined : toAllocation(rec);
  }

  /** Number of services holding an allocation. */
  get size(): number {
    return this.recs.size;
  }

  /** Keys of the services currently using `ip` (several when shared), sorted. */
  usersOf(ip: string | IPAddress): string[] {
    const a = typeof ip === 'string' ? IPAddress.tryParse(ip) : ip;
    if (a === undefined) return [];
    const u = this.entryOf(normalizeIp(a));
    if (u === undefined) return [];
    return (u instanceof Shared ? u.users.map((r) => r.key) : [u.key]).sort();
  }

  /**
   * The pool owning `ip` under the current configuration (3.3, honouring `avoidBuggyIPs`), or
   * `undefined`.
   */
  poolOf(ip: string | IPAddress): string | undefined {
    const a = typeof ip === 'string' ? IPAddress.tryParse(ip) : ip;
    if (a === undefined) return undefined;
    const n = normalizeIp(a);
    return ownerIn(this.owners, n.isV4 ? n.value : undefined, n.isV6 ? n.value : undefined)?.name;
  }

  /** Every allocation as JSON-friendly records, sorted by key. `restore(snapshot())` rebuilds the same state. */
  snapshot(): AllocationRecord[] {
    const keys = [...this.recs.keys()].sort();
    return keys.map((k) => {
      const r = this.recs.get(k)!;
      return {
        key: r.key,
        namespace: r.namespace,
        labels: r.labels,
        ips: ipsOf(r).map(String),
        ports: r.ports,
        sharingKey: r.sharingKey,
        backendKey: r.backendKey,
        pool: r.pool.name,
      };
    });
  }

  /**
   * Rebuilds allocations from existing assignments (e.g. every LoadBalancer Service's
   * `status.loadBalancer.ingress` at start-up) without moving anybody: each record is checked
   * like an explicit request (pool ownership, pool/service compatibility, sharing) in the order
   * given and either re-established exactly or rejected with a reason. A record for a key that
   * already has an allocation replaces it.
   */
  restore(records: readonly AllocationRecord[]): RestoreResult {
    let restored = 0;
    const rejected: RestoreRejection[] = [];
    const bulk = (this.bulk = new Set());
    try {
      this.restoreEach(records, rejected, () => restored++);
    } finally {
      this.bulk = undefined;
      for (const fs of bulk) {
        const used: bigint[] = [];
        for (const k of fs.users.keys()) used.push(typeof k === 'number' ? BigInt(k) : k);
        fs.free = FreeSet.withUsed(fs.space.size, used);
      }
    }
    return { restored, rejected };
  }

  private restoreEach(records: readonly AllocationRecord[], rejected: RestoreRejection[], ok: () => void): void {
    for (const rec of records) {
      const raw = Array.isArray(rec?.ips) ? rec.ips : [];
      // Parse once; normalizeRequest accepts parsed addresses as they are.
      const ips = raw.map((ip) => (typeof ip === 'string' ? (IPAddress.tryParse(ip.trim()) ?? ip) : ip));
      const fams: Family[] = [];
      for (const ip of ips) {
        if (ip instanceof IPAddress) {
          const f = normalizeIp(ip).family;
          if (!fams.includes(f)) fams.push(f);
        }
      }
      const families: Family[] = fams.length > 0 ? fams : ['IPv4'];
      const n = normalizeRequest({
        key: rec?.key,
        namespace: rec?.namespace,
        labels: rec?.labels,
        ports: rec?.ports,
        sharingKey: rec?.sharingKey,
        backendKey: rec?.backendKey,
        families,
        requestedIps: ips,
      } as ServiceRequest);
      if (!('key' in n)) {
        rejected.push({ key: String(rec?.key), reason: n.reason, message: n.message });
        continue;
      }
      if (n.requested === undefined) {
        rejected.push({ key: n.key, reason: 'invalid-request', message: `restore record for ${n.key} has no IPs` });
        continue;
      }
      const cur = this.recs.get(n.key);
      if (cur !== undefined) this.removeRec(cur);
      const r = this.assignCore(n, n.requested, 'requested-ip', []);
      if ('key' in r) ok();
      else {
        if (cur !== undefined) this.addRec(cur);
        rejected.push({ key: n.key, reason: r.reason, message: r.message, ...(r.conflict ? { conflict: r.conflict } : {}) });
      }
    }
  }

  /** MetalLB-convention counts of one pool (3.10), or `undefined` for an unknown pool. */
  counts(pool: string): PoolCounts | undefined {
    const p = this.pools.get(pool);
    if (p === undefined) return undefined;
    const v4 = p.v4.metallbSize;
    const v6 = p.v6.metallbSize;
    const u4 = BigInt(p.v4.inUse);
    const u6 = BigInt(p.v6.inUse);
    return {
      pool: p.name,
      total: addSaturating(v4, v6),
      ipv4Total: v4,
      ipv6Total: v6,
      inUse: u4 + u6,
      ipv4InUse: u4,
      ipv6InUse: u6,
      services: p.services,
    };
  }

  /** Counts of every pool, sorted by name. */
  allCounts(): PoolCounts[] {
    return this.byName.map((p) => this.counts(p.name)!);
  }

  /** `IPAddressPool.status` for a pool (available = total − assigned, per family), or `undefined`. */
  status(pool: string): PoolStatus | undefined {
    const c = this.counts(pool);
    if (c === undefined) return undefined;
    return {
      assignedIPv4: c.ipv4InUse,
      assignedIPv6: c.ipv6InUse,
      availableIPv4: c.ipv4Total - c.ipv4InUse,
      availableIPv6: c.ipv6Total - c.ipv6InUse,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // internals

  /** 4.3 precedence for a service that holds nothing (or whose old allocation was set aside). */
  private allocateFresh(n: Req): AllocateResult {
    const considered: PoolConsideration[] = [];
    if (n.requested !== undefined) return this.assignExplicit(n, n.requested, 'requested-ip', considered);
    if (n.pool !== undefined) return this.fromPool(n, considered);
    return this.auto(n, considered);
  }

  /** Explicit assignment (3.6) of requested IPs, with the 4.3 family and pool-annotation checks. */
  private assignExplicit(n: Req, ips: readonly IPAddress[], stage: PoolStage, considered: PoolConsideration[]): AllocateResult {
    const r = this.assignCore(n, ips, stage, considered);
    if (!('key' in r)) return refusal(r, considered);
    const name = r.pool.name;
    considered.push(line(name, stage, 'chosen', () => `assigned requested ${ips.join(', ')} from pool "${name}"`));
    return { ok: true, allocation: toAllocation(r), changed: true, considered };
  }

  /** The checks and commit of an explicit assignment; refusal lines go to `considered`. */
  private assignCore(n: Req, ips: readonly IPAddress[], stage: PoolStage, considered: PoolConsideration[]): Rec | Refusal {
    // Families: normalizeRequest already refused two IPs of one family.
    if (ips.length !== n.families.length || !ips.every((i) => n.families.includes(i.family))) {
      const have = ips.length === 2 ? 'dual-stack' : ips[0]!.family;
      return {
        reason: 'family-mismatch',
        message: `requested IP(s) ${ips.join(', ')} (${have}) do not match the service's IP family (${famList(n.families)}); request one IP per family of the service`,
      };
    }
    const pool = ownerOfIps(this.owners, ips);
    if (pool === undefined) {
      const missing = ips.find((ip) => ownerOfIps(this.owners, [ip]) === undefined);
      return {
        reason: 'ip-not-in-any-pool',
        message:
          missing !== undefined
            ? `${missing} is not in any address pool (or is a .0/.255 address of an avoidBuggyIPs pool); request an IP from a pool or add it to one`
            : `${ips.join(' and ')} are in different pools; both requested IPs must come from the same pool`,
      };
    }
    if (n.pool !== undefined && n.pool !== pool.name) {
      if (!this.pools.has(n.pool)) {
        return { reason: 'unknown-pool', message: unknownPoolMessage(n, this.poolNames()) };
      }
      const message = `requested IP(s) ${ips.join(', ')} belong to pool "${pool.name}", not to "${n.pool}" named by metallb.io/address-pool; change one of the two`;
      considered.push(line(pool.name, stage, 'not-allowed-for-service', () => message));
      return { reason: 'ip-not-in-requested-pool', message };
    }
    if (!compatible(pool, n)) {
      const message = `pool "${pool.name}" is not allowed for ${n.key} (namespace "${n.namespace}" / labels do not match its serviceAllocation); request an IP from another pool or change the pool's serviceAllocation`;
      considered.push(line(pool.name, stage, 'not-allowed-for-service', () => message));
      return { reason: 'pool-not-allowed-for-service', message };
    }
    let v4 = -1;
    let v6: bigint | undefined;
    let o4: bigint | undefined;
    let o6: bigint | undefined;
    for (const ip of ips) {
      const fs = ip.isV4 ? pool.v4 : pool.v6;
      const off = fs.space.offsetOf(ip.value)!;
      const users = fs.users.get(offKey(off));
      if (users !== undefined) {
        const bad = checkSharing(users, n, ip);
        if (bad !== null) return bad;
      }
      if (ip.isV4) {
        v4 = Number(ip.value);
        o4 = off;
      } else {
        v6 = ip.value;
        o6 = off;
      }
    }
    const rec = makeRec(n, pool, v4, v6, ips.length === 2 && ips[0]!.isV6);
    this.addRec(rec, o4, o6);
    return rec;
  }

  private unknownPool(n: Req, considered: PoolConsideration[]): AllocateRefusal {
    return refusal({ reason: 'unknown-pool', message: unknownPoolMessage(n, this.poolNames()) }, considered);
  }

  /** `AllocateFromPool` (3.8): the address-pool annotation; ignores autoAssign. */
  private fromPool(n: Req, considered: PoolConsideration[]): AllocateResult {
    const pool = this.pools.get(n.pool!);
    if (pool === undefined) return this.unknownPool(n, considered);
    if (!compatible(pool, n)) {
      const message = `pool "${pool.name}" is not allowed for ${n.key} (namespace "${n.namespace}" / labels do not match its serviceAllocation); name another pool or change the pool's serviceAllocation`;
      considered.push({ pool: pool.name, stage: 'named-pool', verdict: 'not-allowed-for-service', message });
      return refusal({ reason: 'pool-not-allowed-for-service', message }, considered);
    }
    const pick = pickIn(pool, n, 'named-pool', considered);
    if (pick === undefined) {
      const last = considered[considered.length - 1]!;
      const reason: RefusalReason = last.verdict === 'pool-exhausted' ? 'pool-exhausted' : 'family-unavailable';
      return refusal({ reason, message: last.message }, considered);
    }
    return this.commitPick(n, pool, pick, considered);
  }

  /** Automatic allocation (3.5 steps 2–5): pinned pools, then generic pools. */
  private auto(n: Req, considered: PoolConsideration[]): AllocateResult {
    const pinned: PoolState[] = [];
    for (const p of this.pinned) {
      if (!p.autoAssign) considered.push(notEligibleLine(p, 'auto-assign-disabled', n));
      else if (p.explicitOnly) considered.push(notEligibleLine(p, 'no-namespace-matched', n));
      else if (!(p.matchAll || p.serviceSelectors.length > 0 || p.namespaces.has(n.namespace)) || !compatible(p, n)) {
        considered.push(notEligibleLine(p, 'not-allowed-for-service', n));
      } else pinned.push(p);
    }
    const r1 = pickFromList(pinned, n, 'pinned', considered);
    if (r1 !== undefined) return this.commitPick(n, r1.pool, r1.pick, considered);
    for (const p of this.genericManual) considered.push(notEligibleLine(p, 'auto-assign-disabled', n));
    const generic = this.genericAuto;
    const r2 = pickFromList(generic, n, 'generic', considered);
    if (r2 !== undefined) return this.commitPick(n, r2.pool, r2.pick, considered);
    if (pinned.length === 0 && generic.length === 0) {
      return refusal(
        {
          reason: 'no-eligible-pool',
          message:
            this.pools.size === 0
              ? `no address pools are configured; create an IPAddressPool for ${n.key}`
              : `no pool may be used automatically by ${n.key} (all are autoAssign: false or restricted to other namespaces/services); name a pool with metallb.io/address-pool, request an IP, or change a pool`,
        },
        considered,
      );
    }
    const fam = famList(n.families);
    return refusal(
      {
        reason: 'pool-exhausted',
        message: `no available ${fam} IPs for ${n.key} in pools ${[...pinned, ...generic].map((p) => `"${p.name}"`).join(', ')}; add addresses, release services${n.sharingKey ? '' : ', or share IPs with metallb.io/allow-shared-ip'}`,
      },
      considered,
    );
  }

  private commitPick(n: Req, pool: PoolState, pick: Pick, considered: PoolConsideration[]): AllocateSuccess {
    const rec = makeRec(n, pool, pick.v4 === undefined ? -1 : Number(pick.v4), pick.v6, false);
    this.addRec(rec, pick.o4, pick.o6);
    return { ok: true, allocation: toAllocation(rec), changed: true, considered };
  }

  /** Users of an address under the current configuration. */
  private entryOf(ip: IPAddress): Entry | undefined {
    const p = ownerIn(this.owners, ip.isV4 ? ip.value : undefined, ip.isV6 ? ip.value : undefined);
    return p === undefined ? undefined : entryIn(p, ip);
  }

  /** Commits a record; `o4`/`o6` are its offsets when the caller already knows them. */
  private addRec(rec: Rec, o4?: bigint, o6?: bigint): void {
    this.recs.set(rec.key, rec);
    rec.pool.services++;
    if (rec.v4 >= 0) this.addIp(rec, rec.pool.v4, o4 ?? rec.pool.v4.space.offsetOf(BigInt(rec.v4))!);
    if (rec.v6 !== undefined) this.addIp(rec, rec.pool.v6, o6 ?? rec.pool.v6.space.offsetOf(rec.v6)!);
  }

  private removeRec(rec: Rec): void {
    this.recs.delete(rec.key);
    rec.pool.services--;
    if (rec.v4 >= 0) this.removeIp(rec, rec.pool.v4, BigInt(rec.v4));
    if (rec.v6 !== undefined) this.removeIp(rec, rec.pool.v6, rec.v6);
  }

  private addIp(rec: Rec, fs: FamilyState, off: bigint): void {
    const k = offKey(off);
    const users = fs.users.get(k);
    if (users === undefined) {
      fs.users.set(k, rec);
      if (this.bulk !== undefined) this.bulk.add(fs);
      else fs.free.take(off);
      fs.inUse++;
      groupAddIp(fs, rec, off);
      return;
    }
    if (users instanceof Shared) users.add(rec);
    else fs.users.set(k, new Shared(users, rec));
    groupAddUser(fs, rec);
  }

  private removeIp(rec: Rec, fs: FamilyState, v: bigint): void {
    const off = fs.space.offsetOf(v)!;
    const k = offKey(off);
    const users = fs.users.get(k);
    if (users === rec) {
      fs.users.delete(k);
      if (this.bulk !== undefined) this.bulk.add(fs);
      else fs.free.give(off);
      fs.inUse--;
      groupRemove(fs, rec, off, true);
    } else if (users instanceof Shared) {
      const last = users.remove(rec);
      if (last !== undefined) fs.users.set(k, last);
      groupRemove(fs, rec, off, false);
    }
  }
}
