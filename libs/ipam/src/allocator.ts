/**
 * The allocator: MetalLB's allocation rules (behaviour spec §3 and §4.3) over the free-interval
 * structure of {@link FreeSet}.
 */
import { AddrParseError, IPAddress, type Family } from '@metallb-ts/netaddr';
import { addSaturating } from './counts.js';
import { FreeSet } from './free-set.js';
import { comparePinned, compareNames, compilePools, GROUP_INDEX_MIN, type FamilyState, type PoolState, type SharingGroup } from './pool.js';
import { offKey, Shared, portCode, type Entry, type Rec } from './records.js';
import { matchesAny } from './selector.js';
import type {
  AllocateRefusal,
  AllocateResult,
  AllocateSuccess,
  Allocation,
  AllocationRecord,
  Conflict,
  DroppedAllocation,
  FamilyPolicy,
  MovedAllocation,
  PoolConsideration,
  PoolCounts,
  PoolSpec,
  PoolStage,
  PoolStatus,
  PoolVerdict,
  Port,
  RefusalReason,
  ReleaseResult,
  RestoreRejection,
  RestoreResult,
  ServiceRequest,
  SetPoolsResult,
} from './types.js';

const EMPTY_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_PORTS: readonly Port[] = Object.freeze([]);
const POLICIES: readonly FamilyPolicy[] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

/** A validated request. */
interface Req {
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly families: readonly Family[];
  readonly policy: FamilyPolicy;
  readonly ports: readonly Port[];
  readonly sharingKey: string;
  readonly backendKey: string;
  readonly requested: readonly IPAddress[] | undefined;
  readonly pool: string | undefined;
}

interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
  readonly conflict?: Conflict;
}


/**
 * Sharing group of a record or request: users of one IP always have the same sharing key and
 * backend key, so IPs are indexed by both and the search never visits an IP whose backend differs.
 */
function groupKey(r: { readonly sharingKey: string; readonly backendKey: string }): string {
  return r.backendKey === '' ? r.sharingKey : `${r.sharingKey}\u0000${r.backendKey}`;
}

/** The sharing group of `rec` in `fs`, created when missing. */
function groupOf(fs: FamilyState, rec: Rec): SharingGroup {
  const key = groupKey(rec);
  let g = fs.byKey.get(key);
  if (g === undefined) fs.byKey.set(key, (g = { offs: [], holders: undefined }));
  return g;
}

/** Builds a group's per-port counts from its users once it has {@link GROUP_INDEX_MIN} IPs. */
function indexIfLarge(fs: FamilyState, g: SharingGroup): void {
  if (g.holders !== undefined || g.offs.length < GROUP_INDEX_MIN) return;
  g.holders = new Map();
  for (const off of g.offs) {
    const users = fs.users.get(offKey(off));
    if (users instanceof Shared) for (const u of users.users) countPorts(g, u, 1);
    else if (users !== undefined) countPorts(g, users, 1);
  }
}

/** Adds (`d = 1`) or removes (`d = -1`) one user's distinct port codes from a group's counts. */
function countPorts(g: SharingGroup, rec: Rec, d: 1 | -1): void {
  const holders = g.holders;
  if (holders === undefined) return;
  const ports = rec.ports;
  for (let i = 0; i < ports.length; i++) {
    const c = portCode(ports[i]!);
    let dup = false;
    for (let j = 0; j < i; j++) if (portCode(ports[j]!) === c) dup = true;
    if (dup) continue;
    const n = (holders.get(c) ?? 0) + d;
    if (n === 0) holders.delete(c);
    else holders.set(c, n);
  }
}

/** True when one of `ports` is held on every IP of the group: no IP of it can take the request. */
function saturated(g: SharingGroup, ports: readonly Port[]): boolean {
  if (g.holders === undefined) return false;
  for (const p of ports) if (g.holders.get(portCode(p)) === g.offs.length) return true;
  return false;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Inserts `x` into an ascending array (no duplicates expected). */
function insertSorted(arr: bigint[], x: bigint): void {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, x);
}

function removeSorted(arr: bigint[], x: bigint): void {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (arr[lo] === x) arr.splice(lo, 1);
}

/** Normalises an address: IPv4-mapped IPv6 counts as IPv4 (Go `To4()` semantics). */
function normalizeIp(ip: IPAddress): IPAddress {
  return ip.isIPv4Mapped() ? IPAddress.fromBigInt('IPv4', ip.value & 0xffffffffn) : ip;
}

function famList(families: readonly Family[]): string {
  return families.length === 2 ? 'dual-stack' : families[0]!;
}

function portText(p: Port): string {
  return `${p.protocol}/${p.port}`;
}

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
        if (rec.sharingKey !== '') groupOf(fs, rec).offs.push(off);
      } else if (e instanceof Shared) e.add(rec);
      else fs.users.set(k, new Shared(e, rec));
    };
    for (const rec of this.recs.values()) {
      if (rec.v4 >= 0) attach(rec, rec.pool.v4, BigInt(rec.v4));
      if (rec.v6 !== undefined) attach(rec, rec.pool.v6, rec.v6);
    }
    for (const [fs, offs] of used) {
      fs.free = FreeSet.withUsed(fs.space.size, offs);
      for (const g of fs.byKey.values()) {
        g.offs.sort(cmpBig);
        indexIfLarge(fs, g);
      }
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
    if (!('key' in n)) return this.refuse(n, [], typeof request?.key === 'string' ? this.recs.get(request.key) : undefined);
    const cur = this.recs.get(n.key);
    if (cur === undefined) return this.allocateFresh(n);
    const bad = this.checkCurrent(cur, n);
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
    if (!('key' in n)) return this.refuse(n, [], cur);
    if (cur === undefined) {
      return this.refuse({ reason: 'not-allocated', message: `${n.key} has no allocation` }, []);
    }
    const bad = this.checkCurrent(cur, n);
    if (bad !== null) {
      return this.refuse({ reason: bad.reason, message: bad.message, ...(bad.conflict ? { conflict: bad.conflict } : {}) }, [], cur);
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
    if (!('key' in n)) return this.refuse(n, [], cur);
    if (cur === undefined) return this.refuse({ reason: 'not-allocated', message: `${n.key} has no allocation to extend` }, []);
    if (n.families.length !== 2 || n.policy !== 'PreferDualStack') {
      return this.refuse(
        {
          reason: 'not-dual-stack',
          message: `${n.key} is ${famList(n.families)} with policy ${n.policy}; only a PreferDualStack service with two clusterIPs gets a second family`,
        },
        [],
        cur,
      );
    }
    const bad = this.checkCurrent(cur, n);
    if (bad !== null) {
      return this.refuse({ reason: bad.reason, message: bad.message, ...(bad.conflict ? { conflict: bad.conflict } : {}) }, [], cur);
    }
    const pool = cur.pool;
    if (cur.v4 >= 0 && cur.v6 !== undefined) {
      return { ok: true, allocation: toAllocation(cur), changed: false, considered: [] };
    }
    const missing: Family = cur.v4 >= 0 ? 'IPv6' : 'IPv4';
    const fs = missing === 'IPv4' ? pool.v4 : pool.v6;
    const off = this.firstAcceptable(fs, n);
    if (off === undefined) {
      const verdict: PoolVerdict = fs.space.size === 0n ? 'family-not-in-pool' : 'family-exhausted';
      const message =
        verdict === 'family-not-in-pool'
          ? `pool "${pool.name}" has no ${missing} addresses; add a ${missing} range to it for ${n.key} to become dual-stack`
          : `pool "${pool.name}" has no free ${missing} address for ${n.key}; add ${missing} addresses or release services`;
      return this.refuse({ reason: 'family-unavailable', message }, [{ pool: pool.name, stage: 'upgrade', verdict, message }], cur);
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

  private refuse(r: Refusal, considered: PoolConsideration[], cur?: Rec): AllocateRefusal {
    return {
      ok: false,
      reason: r.reason,
      message: r.message,
      ...(r.conflict ? { conflict: r.conflict } : {}),
      ...(cur ? { current: toAllocation(cur) } : {}),
      considered,
    };
  }

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
    if (!('key' in r)) return this.refuse(r, considered);
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
    const pool = this.ownerOfIps(ips);
    if (pool === undefined) {
      const missing = ips.find((ip) => this.ownerOfIps([ip]) === undefined);
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
    return this.refuse({ reason: 'unknown-pool', message: unknownPoolMessage(n, this.poolNames()) }, considered);
  }

  /** `AllocateFromPool` (3.8): the address-pool annotation; ignores autoAssign. */
  private fromPool(n: Req, considered: PoolConsideration[]): AllocateResult {
    const pool = this.pools.get(n.pool!);
    if (pool === undefined) return this.unknownPool(n, considered);
    if (!compatible(pool, n)) {
      const message = `pool "${pool.name}" is not allowed for ${n.key} (namespace "${n.namespace}" / labels do not match its serviceAllocation); name another pool or change the pool's serviceAllocation`;
      considered.push({ pool: pool.name, stage: 'named-pool', verdict: 'not-allowed-for-service', message });
      return this.refuse({ reason: 'pool-not-allowed-for-service', message }, considered);
    }
    const pick = this.pickIn(pool, n, 'named-pool', considered);
    if (pick === undefined) {
      const last = considered[considered.length - 1]!;
      const reason: RefusalReason = last.verdict === 'pool-exhausted' ? 'pool-exhausted' : 'family-unavailable';
      return this.refuse({ reason, message: last.message }, considered);
    }
    return this.commitPick(n, pool, pick, considered);
  }

  /** Automatic allocation (3.5 steps 2–5): pinned pools, then generic pools. */
  private auto(n: Req, considered: PoolConsideration[]): AllocateResult {
    const pinned: PoolState[] = [];
    for (const p of this.pinned) {
      const name = p.name;
      if (!p.autoAssign) {
        considered.push(line(name, 'not-eligible', 'auto-assign-disabled', () => `pool "${name}" has autoAssign: false; only explicit requests use it`));
      } else if (p.explicitOnly) {
        considered.push(
          line(name, 'not-eligible', 'no-namespace-matched', () => `pool "${name}" has namespaceSelectors that match no namespace and no serviceSelectors; only explicit requests use it`),
        );
      } else if (!(p.matchAll || p.serviceSelectors.length > 0 || p.namespaces.has(n.namespace)) || !compatible(p, n)) {
        considered.push(
          line(name, 'not-eligible', 'not-allowed-for-service', () => `pool "${name}" serviceAllocation does not admit ${n.key} (namespace "${n.namespace}" / labels)`),
        );
      } else pinned.push(p);
    }
    const r1 = this.pickFromList(pinned, n, 'pinned', considered);
    if (r1 !== undefined) return this.commitPick(n, r1.pool, r1.pick, considered);
    for (const p of this.genericManual) {
      const name = p.name;
      considered.push(line(name, 'not-eligible', 'auto-assign-disabled', () => `pool "${name}" has autoAssign: false; only explicit requests use it`));
    }
    const generic = this.genericAuto;
    const r2 = this.pickFromList(generic, n, 'generic', considered);
    if (r2 !== undefined) return this.commitPick(n, r2.pool, r2.pick, considered);
    if (pinned.length === 0 && generic.length === 0) {
      return this.refuse(
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
    return this.refuse(
      {
        reason: 'pool-exhausted',
        message: `no available ${fam} IPs for ${n.key} in pools ${[...pinned, ...generic].map((p) => `"${p.name}"`).join(', ')}; add addresses, release services${n.sharingKey ? '' : ', or share IPs with metallb.io/allow-shared-ip'}`,
      },
      considered,
    );
  }

  /** 3.5 step 4 over one ordered list. */
  private pickFromList(list: readonly PoolState[], n: Req, stage: PoolStage, considered: PoolConsideration[]): { pool: PoolState; pick: Pick } | undefined {
    let primary: { pool: PoolState; pick: Pick; at: number } | undefined;
    let secondary: { pool: PoolState; pick: Pick; at: number } | undefined;
    for (const p of list) {
      const pick = this.pickIn(p, n, stage, considered);
      if (pick === undefined) continue;
      if (!pick.partial) return { pool: p, pick };
      const at = considered.length - 1;
      const isPrimary = (pick.v4 !== undefined ? 'IPv4' : 'IPv6') === n.families[0];
      if (isPrimary && primary === undefined) primary = { pool: p, pick, at };
      if (!isPrimary && secondary === undefined) secondary = { pool: p, pick, at };
    }
    const c = primary ?? secondary;
    if (c === undefined) return undefined;
    const prev = considered[c.at]!;
    considered[c.at] = line(prev.pool, prev.stage, 'chosen', () => `${prev.message}; chosen as the PreferDualStack single-family fallback`);
    return { pool: c.pool, pick: c.pick };
  }

  /**
   * First free acceptable address(es) of a pool for the request, recording one consideration
   * line. A dual-stack PreferDualStack request may get a partial pick (one family): in a named
   * pool it is taken at once (3.8); in a list it is a fallback candidate (verdict
   * `single-family-only`, turned into `chosen` by {@link pickFromList} if used).
   */
  private pickIn(p: PoolState, n: Req, stage: PoolStage, considered: PoolConsideration[]): Pick | undefined {
    const need4 = n.families.includes('IPv4');
    const need6 = n.families.includes('IPv6');
    const o4 = need4 ? this.firstAcceptable(p.v4, n) : undefined;
    const o6 = need6 ? this.firstAcceptable(p.v6, n) : undefined;
    const ok4 = !need4 || o4 !== undefined;
    const ok6 = !need6 || o6 !== undefined;
    const pick: Pick = {
      v4: o4 === undefined ? undefined : p.v4.space.valueAt(o4),
      v6: o6 === undefined ? undefined : p.v6.space.valueAt(o6),
      o4,
      o6,
      partial: !(ok4 && ok6),
    };
    if (!pick.partial) {
      considered.push(line(p.name, stage, 'chosen', () => `pool "${p.name}" has ${pickText(pick)} for ${n.key}`));
      return pick;
    }
    const lacking: Family = !ok4 ? 'IPv4' : 'IPv6';
    const lackingFs = lacking === 'IPv4' ? p.v4 : p.v6;
    const why = lackingFs.space.size === 0n ? `has no ${lacking} addresses` : `has no free ${lacking} address`;
    if (n.families.length === 2 && n.policy === 'PreferDualStack' && (o4 !== undefined || o6 !== undefined)) {
      if (stage === 'named-pool') {
        considered.push(line(p.name, stage, 'chosen', () => `pool "${p.name}" ${why}; PreferDualStack takes ${pickText(pick)} only`));
      } else {
        considered.push(line(p.name, stage, 'single-family-only', () => `pool "${p.name}" offers ${pickText(pick)} but ${why}`));
      }
      return pick;
    }
    if (o4 === undefined && o6 === undefined && (!need4 || p.v4.space.size > 0n) && (!need6 || p.v6.space.size > 0n)) {
      considered.push({ pool: p.name, stage, verdict: 'pool-exhausted', message: `no available IPs in pool "${p.name}" for ${n.key}; add addresses to it or release services` });
    } else if (lackingFs.space.size === 0n) {
      considered.push({ pool: p.name, stage, verdict: 'family-not-in-pool', message: `pool "${p.name}" has no ${lacking} addresses, needed by ${n.key}; add a ${lacking} range to it` });
    } else {
      considered.push({ pool: p.name, stage, verdict: 'family-exhausted', message: `no available IPs in pool "${p.name}" for ${lacking} IPFamily (${n.key}); add ${lacking} addresses or release services` });
    }
    return undefined;
  }

  private commitPick(n: Req, pool: PoolState, pick: Pick, considered: PoolConsideration[]): AllocateSuccess {
    const rec = makeRec(n, pool, pick.v4 === undefined ? -1 : Number(pick.v4), pick.v6, false);
    this.addRec(rec, pick.o4, pick.o6);
    return { ok: true, allocation: toAllocation(rec), changed: true, considered };
  }

  /**
   * The lowest offset of `fs` acceptable for `n`: a free address, or an address already used by
   * services `n` may share with (same non-empty sharing key, same backend key, no port overlap),
   * whichever comes first in pool order. O(log r + s), s = IPs carrying `n`'s sharing key.
   */
  private firstAcceptable(fs: FamilyState, n: Req): bigint | undefined {
    const free = fs.free.first();
    if (n.sharingKey !== '') {
      const group = fs.byKey.get(groupKey(n));
      if (group !== undefined && !saturated(group, n.ports)) {
        for (const off of group.offs) {
          if (free !== undefined && off > free) break;
          const users = fs.users.get(offKey(off));
          if (users !== undefined && checkSharing(users, n, undefined) === null) return off;
        }
      }
    }
    return free;
  }

  /** Re-validation of the current allocation (4.2 steps 6–7 as far as they concern the allocator). */
  private checkCurrent(cur: Rec, n: Req): Refusal | null {
    const have: Family[] = [];
    if (cur.v4 >= 0) have.push('IPv4');
    if (cur.v6 !== undefined) have.push('IPv6');
    const same = have.length === n.families.length && have.every((f) => n.families.includes(f));
    const preferOk = n.families.length === 2 && n.policy === 'PreferDualStack' && have.length === 1;
    if (!same && !preferOk) {
      return {
        reason: 'family-mismatch',
        message: `${n.key} holds ${famList(have)} ${ipsOf(cur).join(', ')} but is now ${famList(n.families)}; it needs a new allocation`,
      };
    }
    if (!compatible(cur.pool, n)) {
      return {
        reason: 'pool-not-allowed-for-service',
        message: `pool "${cur.pool.name}" no longer admits ${n.key} (namespace "${n.namespace}" / labels vs its serviceAllocation); it needs a new allocation`,
      };
    }
    for (const ip of ipsOf(cur)) {
      const users = entryIn(cur.pool, ip);
      if (users === undefined) continue;
      const bad = checkSharing(users, n, ip);
      if (bad !== null) return bad;
    }
    if (n.pool !== undefined && n.pool !== cur.pool.name) {
      return { reason: 'requested-pool-changed', message: `${n.key} is in pool "${cur.pool.name}" but metallb.io/address-pool now names "${n.pool}"` };
    }
    if (n.requested !== undefined) {
      const want = new Set(n.requested.map((i) => i.toString()));
      const got = ipsOf(cur).map((i) => i.toString());
      if (want.size !== got.length || got.some((k) => !want.has(k))) {
        return { reason: 'requested-ips-changed', message: `${n.key} holds ${ipsOf(cur).join(', ')} but requests ${n.requested.join(', ')}` };
      }
    }
    return null;
  }

  /** The pool owning every IP of the list (3.3), if exactly one does. */
  private ownerOfIps(ips: readonly IPAddress[]): PoolState | undefined {
    return ownerIn(this.owners, ips.find((i) => i.isV4)?.value, ips.find((i) => i.isV6)?.value);
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
      if (rec.sharingKey !== '') {
        const g = groupOf(fs, rec);
        insertSorted(g.offs, off);
        if (g.holders !== undefined) countPorts(g, rec, 1);
        else indexIfLarge(fs, g); // counts every user, this one included
      }
      return;
    }
    if (users instanceof Shared) users.add(rec);
    else fs.users.set(k, new Shared(users, rec));
    // A user joining an existing IP always carries that IP's (non-empty) sharing group.
    if (rec.sharingKey !== '') countPorts(groupOf(fs, rec), rec, 1);
  }

  private removeIp(rec: Rec, fs: FamilyState, v: bigint): void {
    const off = fs.space.offsetOf(v)!;
    const k = offKey(off);
    const users = fs.users.get(k);
    const g = rec.sharingKey !== '' ? fs.byKey.get(groupKey(rec)) : undefined;
    if (users === rec) {
      fs.users.delete(k);
      if (this.bulk !== undefined) this.bulk.add(fs);
      else fs.free.give(off);
      fs.inUse--;
      if (g !== undefined) {
        removeSorted(g.offs, off);
        countPorts(g, rec, -1);
        if (g.offs.length === 0) fs.byKey.delete(groupKey(rec));
        else if (g.offs.length < GROUP_INDEX_MIN / 2) g.holders = undefined;
      }
    } else if (users instanceof Shared) {
      const last = users.remove(rec);
      if (last !== undefined) fs.users.set(k, last);
      if (g !== undefined) countPorts(g, rec, -1);
    }
  }
}

/** Users of `ip` in pool `p` (which must own it), if any. */
function entryIn(p: PoolState, ip: IPAddress): Entry | undefined {
  const fs = ip.isV4 ? p.v4 : p.v6;
  const off = fs.space.offsetOf(ip.value);
  return off === undefined ? undefined : fs.users.get(offKey(off));
}

/** Per family, every pool entry sorted by first address, for O(log n) ownership lookups (3.3). */
interface OwnerIndex {
  readonly IPv4: readonly { first: bigint; last: bigint; pool: PoolState }[];
  readonly IPv6: readonly { first: bigint; last: bigint; pool: PoolState }[];
}

function buildOwnerIndex(pools: readonly PoolState[]): OwnerIndex {
  const build = (fam: 'v4' | 'v6') =>
    pools
      .flatMap((p) => p[fam].space.segments.map((s) => ({ first: s.first, last: s.last, pool: p })))
      .sort((a, b) => cmpBig(a.first, b.first));
  return { IPv4: build('v4'), IPv6: build('v6') };
}

function ownerOfValue(idx: OwnerIndex, family: Family, v: bigint): PoolState | undefined {
  const arr = idx[family];
  let lo = 0;
  let hi = arr.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const e = arr[mid]!;
    if (v < e.first) hi = mid - 1;
    else if (v > e.last) lo = mid + 1;
    else {
      // Inside the entry; with avoidBuggyIPs a .0/.255 address is not part of the pool.
      const fs = family === 'IPv4' ? e.pool.v4 : e.pool.v6;
      return fs.space.offsetOf(v) === undefined ? undefined : e.pool;
    }
  }
  return undefined;
}

/** The pool owning both addresses (either may be absent), if one pool owns all given ones. */
function ownerIn(idx: OwnerIndex, v4: bigint | undefined, v6: bigint | undefined): PoolState | undefined {
  const p4 = v4 === undefined ? undefined : ownerOfValue(idx, 'IPv4', v4);
  if (v4 !== undefined && p4 === undefined) return undefined;
  const p6 = v6 === undefined ? undefined : ownerOfValue(idx, 'IPv6', v6);
  if (v6 !== undefined && p6 === undefined) return undefined;
  if (p4 !== undefined && p6 !== undefined && p4 !== p6) return undefined;
  return p4 ?? p6;
}

/** A pick from one pool: address values per family. */
interface Pick {
  readonly v4: bigint | undefined;
  readonly v6: bigint | undefined;
  /** PreferDualStack fallback: only one of two families. */
  readonly partial: boolean;
  /** Offsets of the picked addresses in their family spaces (saves a lookup on commit). */
  readonly o4: bigint | undefined;
  readonly o6: bigint | undefined;
}

function pickText(p: Pick): string {
  const parts: string[] = [];
  if (p.v4 !== undefined) parts.push(`IPv4 ${IPAddress.fromBigInt('IPv4', p.v4)}`);
  if (p.v6 !== undefined) parts.push(`IPv6 ${IPAddress.fromBigInt('IPv6', p.v6)}`);
  return parts.join(' and ');
}

function unknownPoolMessage(n: Req, pools: readonly string[]): string {
  return `pool "${n.pool}" named by metallb.io/address-pool does not exist (pools: ${pools.join(', ') || 'none'}); fix the annotation or create the pool`;
}

/** Pool/service compatibility (3.4). */
function compatible(p: PoolState, n: { namespace: string; labels: Readonly<Record<string, string>> }): boolean {
  if (!p.hasBlock) return true;
  if (p.namespaces.size > 0 && !p.namespaces.has(n.namespace)) return false;
  if (p.serviceSelectors.length > 0 && !matchesAny(p.serviceSelectors, n.labels)) return false;
  return true;
}

/**
 * MetalLB's sharing check (3.7) of one IP for request `n` against its current users other than
 * `n` itself. `null` = allowed.
 */
function checkSharing(users: Entry, n: Req, ip: IPAddress | undefined): Refusal | null {
  let o: Rec | undefined;
  if (users instanceof Shared) {
    for (const u of users.users) {
      if (u.key !== n.key) {
        o = u;
        break;
      }
    }
  } else if (users.key !== n.key) o = users;
  if (o === undefined) return null;
  const keysOk = o.sharingKey !== '' && o.sharingKey === n.sharingKey && o.backendKey === n.backendKey;
  // Port overlap with another user (3.7): via the port index of a shared IP, else the single user's list.
  let clash: { port: Port; service: string } | undefined;
  if (keysOk) {
    if (users instanceof Shared) {
      for (const p of n.ports) {
        const holder = users.ports.get(portCode(p));
        if (holder !== undefined && holder.key !== n.key) {
          clash = { port: p, service: holder.key };
          break;
        }
      }
    } else {
      outer: for (const p of n.ports) {
        for (const q of o.ports) {
          if (p.port === q.port && p.protocol === q.protocol) {
            clash = { port: p, service: o.key };
            break outer;
          }
        }
      }
    }
    if (clash === undefined) return null;
  }
  if (ip === undefined) return FAST_REFUSAL; // the search only needs the verdict
  if (clash !== undefined) {
    return {
      reason: 'port-conflict',
      message: `${ip} port ${portText(clash.port)} is already used by ${clash.service}; services sharing an IP need distinct (protocol, port) pairs`,
      conflict: { ip, service: clash.service, port: clash.port },
    };
  }
  const conflict: Conflict = { ip, service: o.key };
  if (o.sharingKey === '' || n.sharingKey === '') {
    return {
      reason: 'ip-in-use',
      message:
        o.sharingKey === ''
          ? `${ip} is already used by ${o.key}, which does not allow sharing; pick another IP or give both services the same metallb.io/allow-shared-ip key`
          : `${ip} is already used by ${o.key} (sharing key "${o.sharingKey}") but ${n.key} has no metallb.io/allow-shared-ip key; set it to "${o.sharingKey}" to share`,
      conflict,
    };
  }
  if (o.sharingKey !== n.sharingKey) {
    return {
      reason: 'sharing-key-mismatch',
      message: `${ip} is shared by ${o.key} under key "${o.sharingKey}", but ${n.key} has key "${n.sharingKey}"; use the same metallb.io/allow-shared-ip value`,
      conflict,
    };
  }
  return {
    reason: 'backend-key-mismatch',
    message: `${ip} is shared by ${o.key} with backend "${o.backendKey}" but ${n.key} has backend "${n.backendKey}"; services sharing an IP with externalTrafficPolicy Local must have identical selectors`,
    conflict,
  };
}

const FAST_REFUSAL: Refusal = Object.freeze({ reason: 'ip-in-use', message: '' });

function makeRec(n: Req, pool: PoolState, v4: number, v6: bigint | undefined, v6First: boolean): Rec {
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

function ipsOf(r: Rec): IPAddress[] {
  const out: IPAddress[] = [];
  if (r.v4 >= 0) out.push(IPAddress.fromBigInt('IPv4', BigInt(r.v4)));
  if (r.v6 !== undefined) {
    if (r.v6First) out.unshift(IPAddress.fromBigInt('IPv6', r.v6));
    else out.push(IPAddress.fromBigInt('IPv6', r.v6));
  }
  return out;
}

/** The public, plain-data view of a record. */
function toAllocation(r: Rec): Allocation {
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

/**
 * A consideration line whose message is formatted on first access (formatting addresses costs
 * more than the allocation itself), then cached; `toJSON` serialises it as plain data.
 */
class Line implements PoolConsideration {
  #make: (() => string) | undefined;
  #message: string | undefined;

  constructor(
    readonly pool: string,
    readonly stage: PoolStage,
    readonly verdict: PoolVerdict,
    make: () => string,
  ) {
    this.#make = make;
    this.#message = undefined;
  }

  get message(): string {
    if (this.#message === undefined) {
      this.#message = this.#make!();
      this.#make = undefined;
    }
    return this.#message;
  }

  toJSON(): PoolConsideration {
    return { pool: this.pool, stage: this.stage, verdict: this.verdict, message: this.message };
  }
}

function line(pool: string, stage: PoolStage, verdict: PoolVerdict, message: () => string): PoolConsideration {
  return new Line(pool, stage, verdict, message);
}

function invalid(message: string): Refusal {
  return { reason: 'invalid-request', message };
}

/** Validates and normalises a request; a {@link Refusal} for bad input (never throws). */
function normalizeRequest(r: ServiceRequest): Req | Refusal {
  if (r === null || typeof r !== 'object') return invalid('the request must be an object');
  if (typeof r.key !== 'string' || r.key.length === 0) return invalid('the request needs a non-empty service key ("namespace/name")');
  if (typeof r.namespace !== 'string') return invalid(`${r.key}: namespace must be a string`);
  const labels = r.labels ?? EMPTY_LABELS;
  if (typeof labels !== 'object' || labels === null) return invalid(`${r.key}: labels must be an object of strings`);
  const families = r.families;
  if (!Array.isArray(families) || families.length < 1 || families.length > 2 || families.some((f) => f !== 'IPv4' && f !== 'IPv6')) {
    return invalid(`${r.key}: families must be one or two of "IPv4", "IPv6" (from spec.clusterIPs)`);
  }
  if (families.length === 2 && families[0] === families[1]) return invalid(`${r.key}: the two families must differ`);
  const policy = r.policy ?? 'SingleStack';
  if (!POLICIES.includes(policy)) return invalid(`${r.key}: unknown ipFamilyPolicy "${String(policy)}"`);
  if (policy === 'RequireDualStack' && families.length !== 2) {
    return invalid(`${r.key}: RequireDualStack needs two clusterIPs of different families`);
  }
  const ports = r.ports ?? NO_PORTS;
  if (!Array.isArray(ports)) return invalid(`${r.key}: ports must be an array of { protocol, port }`);
  for (const p of ports) {
    if (p === null || typeof p !== 'object' || typeof p.protocol !== 'string' || p.protocol.length === 0 || !Number.isInteger(p.port) || p.port < 0 || p.port > 65535) {
      return invalid(`${r.key}: every port needs a protocol and a port number 0–65535`);
    }
  }
  const sharingKey = r.sharingKey ?? '';
  const backendKey = r.backendKey ?? '';
  if (typeof sharingKey !== 'string' || typeof backendKey !== 'string') return invalid(`${r.key}: sharingKey and backendKey must be strings`);
  const pool = r.pool === undefined || r.pool === '' ? undefined : r.pool;
  if (pool !== undefined && typeof pool !== 'string') return invalid(`${r.key}: pool must be a string`);
  let requested: IPAddress[] | undefined;
  if (r.requestedIps !== undefined && r.requestedIps !== null) {
    if (!Array.isArray(r.requestedIps)) return invalid(`${r.key}: requestedIps must be an array`);
    if (r.requestedIps.length > 0) {
      requested = [];
      for (const x of r.requestedIps) {
        let a: IPAddress | AddrParseError;
        if (x instanceof IPAddress) a = x;
        else if (typeof x === 'string') a = IPAddress.parseResult(x.trim());
        else a = new AddrParseError(String(x), 'not a string');
        if (a instanceof AddrParseError) {
          return { reason: 'invalid-ip', message: `${r.key}: requested IP is invalid: ${a.message}` };
        }
        requested.push(normalizeIp(a));
      }
      if (requested.length > 2) {
        return { reason: 'too-many-ips', message: `${r.key} requests ${requested.length} IPs (${requested.join(', ')}); request at most two, one per family` };
      }
      if (requested.length === 2 && requested[0]!.family === requested[1]!.family) {
        return { reason: 'duplicate-family', message: `${r.key} requests two ${requested[0]!.family} addresses (${requested.join(', ')}); request at most one per family` };
      }
    }
  }
  return { key: r.key, namespace: r.namespace, labels, families, policy, ports, sharingKey, backendKey, requested, pool };
}

/** True when two address lists hold the same addresses, in any order (never mutates; quirk 12). */
export function sameAddresses(a: readonly (string | IPAddress)[], b: readonly (string | IPAddress)[]): boolean {
  const norm = (l: readonly (string | IPAddress)[]) =>
    l.map((x) => {
      const ip = typeof x === 'string' ? IPAddress.tryParse(x.trim()) : x;
      return ip === undefined ? `?${String(x)}` : normalizeIp(ip).toString();
    });
  const sa = norm(a);
  const sb = new Set(norm(b));
  return sa.length === sb.size && new Set(sa).size === sa.length && sa.every((x) => sb.has(x));
}


