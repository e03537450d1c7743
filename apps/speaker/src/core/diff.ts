/**
 * What changes between two plans: the Layer 2 registrations to make and drop, the Events to
 * record, the status objects to write and delete. Drivers apply only these differences, so a
 * recomputation that changes nothing does nothing (no gratuitous burst, no Event, no write).
 */
import type { AnnouncedService } from '@metallb-ts/config';
import { IPAddress } from '@metallb-ts/netaddr';
import type { CorePlan, L2Ip, PlannedEvent } from './model.js';

/** Layer 2 registrations to change. */
export interface L2Changes {
  /** Services to withdraw entirely (before the announcements below). */
  readonly withdraw: readonly string[];
  /** Services whose IPs (or interfaces) are (re)registered. */
  readonly announce: readonly { readonly key: string; readonly ips: readonly L2Ip[] }[];
  /** IPs this node newly owns (for the failover histogram). */
  readonly gained: readonly string[];
}

const ipsOf = (p: CorePlan | undefined, key: string): readonly L2Ip[] | undefined => {
  const s = p?.services.get(key);
  return s?.l2.kind === 'announce' ? s.l2.ips : undefined;
};

const sameIpSet = (a: readonly L2Ip[], b: readonly L2Ip[]) => a.length === b.length && a.every((x) => b.some((y) => y.ip === x.ip));
const sameL2 = (a: readonly L2Ip[], b: readonly L2Ip[]) =>
  sameIpSet(a, b) && a.every((x) => JSON.stringify(x.interfaces ?? null) === JSON.stringify(b.find((y) => y.ip === x.ip)!.interfaces ?? null));

/**
 * The Layer 2 difference. A Service whose IP set changed is withdrawn first and announced again
 * (MetalLB's `loadBalancerIPChanged`); one whose interfaces changed is re-registered (the new
 * restriction replaces the old one and the gratuitous schedule restarts).
 */
export function l2Changes(prev: CorePlan | undefined, next: CorePlan): L2Changes {
  const withdraw: string[] = [];
  const announce: { key: string; ips: readonly L2Ip[] }[] = [];
  const before = new Set<string>();
  for (const key of prev?.services.keys() ?? []) for (const x of ipsOf(prev, key) ?? []) before.add(x.ip);
  const after = new Set<string>();
  for (const key of new Set([...(prev?.services.keys() ?? []), ...next.services.keys()])) {
    const a = ipsOf(prev, key);
    const b = ipsOf(next, key);
    for (const x of b ?? []) after.add(x.ip);
    if (a && (!b || !sameIpSet(a, b))) withdraw.push(key);
    if (b && (!a || !sameL2(a, b))) announce.push({ key, ips: b });
  }
  const gained = [...after].filter((ip) => !before.has(ip));
  return { withdraw, announce, gained };
}

const eventId = (e: PlannedEvent) => `${e.service}\u0000${e.reason}\u0000${e.message}`;

/**
 * The Events to record: those of `next` that `prev` did not already call for. MetalLB records
 * `nodeAssigned` on every successful pass and relies on Event aggregation (quirk 27); we record
 * it when the announcement starts (and again after it stopped).
 */
export function eventsBetween(prev: CorePlan | undefined, next: CorePlan): PlannedEvent[] {
  const had = new Set((prev?.events ?? []).map(eventId));
  return next.events.filter((e) => !had.has(eventId(e)));
}

/** Status writes: `keep` (create or update) and `remove`, per Service key. */
export interface StatusChanges {
  readonly keep: readonly { readonly key: string; readonly extra: Readonly<Record<string, unknown>> }[];
  readonly remove: readonly string[];
}

/**
 * The status objects to write: desired ones that differ from what was last written, and
 * written ones no longer desired. `written` maps a Service key to the canonical JSON of the
 * last successful write.
 */
export function statusChanges(written: ReadonlyMap<string, string>, desired: ReadonlyMap<string, Readonly<Record<string, unknown>>>): StatusChanges {
  const keep: { key: string; extra: Readonly<Record<string, unknown>> }[] = [];
  for (const [key, extra] of desired) if (written.get(key) !== JSON.stringify(extra)) keep.push({ key, extra });
  const remove = [...written.keys()].filter((k) => !desired.has(k));
  return { keep, remove };
}

/**
 * The Services this plan announces over Layer 2 or BGP with their IPs: the input of
 * `@metallb-ts/config`'s configuration veto (`vetoDroppedAnnouncements`, MetalLB §2.5).
 */
export function announcedServices(plan: CorePlan | undefined): AnnouncedService[] {
  const out: AnnouncedService[] = [];
  for (const s of plan?.services.values() ?? []) {
    if (s.l2.kind !== 'announce' && s.bgp.kind !== 'advertise') continue;
    out.push({ service: s.key, ips: s.ips.map((t) => IPAddress.tryParse(t)).filter((x): x is IPAddress => x !== undefined) });
  }
  return out;
}
