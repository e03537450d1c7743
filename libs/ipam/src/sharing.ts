/**
 * MetalLB's IP sharing rules (behaviour spec 3.7) and the per-pool-family index that makes them
 * cheap: users of one IP share a non-empty sharing key and a backend key and hold distinct
 * `(protocol, port)` pairs. IPs are grouped by (sharing key, backend key) so a request only
 * visits the IPs of its own group; large groups also count how many IPs hold each port.
 */
import type { IPAddress } from '@metallb-ts/netaddr';
import { portText } from './explain.js';
import { GROUP_INDEX_MIN, type FamilyState, type SharingGroup } from './pool.js';
import { offKey, portCode, Shared, type Entry, type Rec } from './records.js';
import type { Refusal, Req } from './request.js';
import { cmpBig, insertSorted, removeSorted } from './sorted.js';
import type { Conflict, Port } from './types.js';

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

/**
 * Bulk rebuild (after `setPools`): appends `off` to the group of `rec` without keeping order or
 * counts; {@link finishGroups} must run once every IP of `fs` is in.
 */
export function appendToGroup(fs: FamilyState, rec: Rec, off: bigint): void {
  if (rec.sharingKey !== '') groupOf(fs, rec).offs.push(off);
}

/** Ends a bulk rebuild of `fs`: sorts every group's IPs and indexes the large groups. */
export function finishGroups(fs: FamilyState): void {
  for (const g of fs.byKey.values()) {
    g.offs.sort(cmpBig);
    indexIfLarge(fs, g);
  }
}

/** Index upkeep when `rec` becomes the first user of the IP at `off`. */
export function groupAddIp(fs: FamilyState, rec: Rec, off: bigint): void {
  if (rec.sharingKey === '') return;
  const g = groupOf(fs, rec);
  insertSorted(g.offs, off);
  if (g.holders !== undefined) countPorts(g, rec, 1);
  else indexIfLarge(fs, g); // counts every user, this one included
}

/** Index upkeep when `rec` joins an IP already in use (it always carries that IP's non-empty group). */
export function groupAddUser(fs: FamilyState, rec: Rec): void {
  if (rec.sharingKey !== '') countPorts(groupOf(fs, rec), rec, 1);
}

/**
 * Index upkeep when `rec` leaves the IP at `off`; `last` is true when it was the only user (the
 * IP becomes free).
 */
export function groupRemove(fs: FamilyState, rec: Rec, off: bigint, last: boolean): void {
  if (rec.sharingKey === '') return;
  const g = fs.byKey.get(groupKey(rec));
  if (g === undefined) return;
  if (!last) {
    countPorts(g, rec, -1);
    return;
  }
  removeSorted(g.offs, off);
  countPorts(g, rec, -1);
  if (g.offs.length === 0) fs.byKey.delete(groupKey(rec));
  else if (g.offs.length < GROUP_INDEX_MIN / 2) g.holders = undefined;
}

/**
 * MetalLB's sharing check (3.7) of one IP for request `n` against its current users other than
 * `n` itself. `null` = allowed. Without `ip` (the search only needs the verdict) a refusal is a
 * shared constant with no message.
 */
export function checkSharing(users: Entry, n: Req, ip: IPAddress | undefined): Refusal | null {
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

/**
 * The lowest offset of `fs` acceptable for `n`: a free address, or an address already used by
 * services `n` may share with (same non-empty sharing key, same backend key, no port overlap),
 * whichever comes first in pool order. O(log r + s), s = IPs carrying `n`'s sharing key.
 */
export function firstAcceptable(fs: FamilyState, n: Req): bigint | undefined {
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
