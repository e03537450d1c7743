/**
 * The controller's decisions as pure functions over plain objects: given the allocator and a
 * Service, compute what the Service's status and annotations must become and which events to
 * emit. No I/O here: `main.ts` feeds informer snapshots in and writes the results out, and the
 * tests call these directly (MetalLB §4.1–§4.4).
 */
import type { AllocateRefusal, AllocateResult, Allocator, PoolConsideration, PoolSpec, ServiceRequest } from '@metallb-ts/ipam';
import type { IPAddress } from '@metallb-ts/netaddr';
import { legacyAnnotations, serviceKey, statusIPs, type ServiceLike } from '@metallb-ts/app-runtime';
import { addressPool, ANN, backendKey, familyPolicy, primaryFamily, requestedIPs, serviceFamily, servicePorts, sharingKey } from './service.js';

/** A Kubernetes Event to emit on the Service (reporting component `metallb-controller`). */
export interface ServiceEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** What the Service must look like after a reconcile. */
export interface Desired {
  /** `status.loadBalancer.ingress` IPs, in order. */
  ingress: string[];
  /** Annotations to set (string) or remove (null); only keys this controller owns. */
  annotations: Record<string, string | null>;
}

export interface ReconcileOutcome {
  key: string;
  desired: Desired;
  events: ServiceEvent[];
  /** True when the Service object must be written (status or owned annotations differ). */
  changed: boolean;
  /** The service lost an IP that is now free again: other services may now fit (MetalLB ReprocessAll). */
  freedIPs: boolean;
  /** The allocation key (sharing + backend) changed: siblings must be re-checked. */
  allocationKeyChanged: boolean;
  /** Explanation when the service has no IP. */
  failure?: AllocationFailure;
}

/** Why a service has no IP, published in the `metallb-ts.io/allocation-failure` annotation. */
export interface AllocationFailure {
  reason: string;
  message: string;
  pools: { pool: string; stage: string; verdict: string; message: string }[];
}

/** What the allocator needs to know about the world beyond the Service. */
export interface CoreState {
  allocator: Allocator;
  /** Undefined before the first valid configuration. */
  pools: readonly PoolSpec[] | undefined;
}

const CLEAR: Desired = { ingress: [], annotations: { [ANN.allocatedFromPool]: null } };

function explain(r: AllocateRefusal | { reason: string; message: string; considered?: readonly PoolConsideration[] }): AllocationFailure {
  return {
    reason: r.reason,
    message: r.message,
    pools: (r.considered ?? []).map((c) => ({ pool: c.pool, stage: c.stage, verdict: c.verdict, message: c.message })),
  };
}

function failureText(f: AllocationFailure): string {
  const pools = f.pools.filter((p) => p.verdict !== 'chosen');
  return pools.length ? `${f.message} (pools considered: ${pools.map((p) => `${p.pool}: ${p.message}`).join('; ')})` : f.message;
}

/** Current owned annotation values, for change detection. */
function ownedAnnotations(svc: ServiceLike): Record<string, string | null> {
  const a = svc.metadata.annotations ?? {};
  return {
    [ANN.allocatedFromPool]: a[ANN.allocatedFromPool] ?? null,
    [ANN.allocationFailure]: a[ANN.allocationFailure] ?? null,
  };
}

function differs(svc: ServiceLike, d: Desired): boolean {
  const cur = statusIPs(svc);
  if (cur.length !== d.ingress.length || cur.some((ip, i) => ip !== d.ingress[i])) return true;
  const own = ownedAnnotations(svc);
  return Object.entries(d.annotations).some(([k, v]) => (own[k] ?? null) !== v);
}

/** The ipam request a Service makes, or an error message when its spec/annotations are unusable. */
export function requestFor(svc: ServiceLike): { ok: true; request: ServiceRequest } | { ok: false; reason: string; message: string; keepCurrent: boolean } {
  const fam = serviceFamily(svc);
  if (!fam.ok) return { ok: false, reason: 'noclusterIPsIPFamily', message: fam.message, keepCurrent: true };
  const req = requestedIPs(svc);
  if (!req.ok) return { ok: false, reason: 'invalid-request', message: req.message, keepCurrent: true };
  const family = fam.value!;
  const primary = primaryFamily(svc);
  const families = family === 'dual' ? (primary === 'IPv6' ? (['IPv6', 'IPv4'] as const) : (['IPv4', 'IPv6'] as const)) : ([family] as const);
  const pool = addressPool(svc);
  const request: ServiceRequest = {
    key: serviceKey(svc),
    namespace: svc.metadata.namespace ?? 'default',
    labels: svc.metadata.labels ?? {},
    families,
    policy: familyPolicy(svc),
    ports: servicePorts(svc),
    sharingKey: sharingKey(svc),
    backendKey: backendKey(svc),
    ...(req.value.length ? { requestedIps: req.value } : {}),
    ...(pool ? { pool } : {}),
  };
  return { ok: true, request };
}

function ipsText(ips: readonly IPAddress[]): string {
  return `[${ips.map(String).join(' ')}]`;
}

/**
 * MetalLB's `convergeBalancer` (§4.2) for one Service against the allocator, committing the
 * allocator change and returning the Service's desired state and events.
 */
export function reconcileService(state: CoreState, svc: ServiceLike): ReconcileOutcome {
  const key = serviceKey(svc);
  const events: ServiceEvent[] = [];
  const before = state.allocator.get(key);
  const beforeKey = before ? `${before.sharingKey}\u0000${before.backendKey}` : undefined;
  const done = (desired: Desired, failure?: AllocationFailure): ReconcileOutcome => {
    const after = state.allocator.get(key);
    const d: Desired = {
      ingress: desired.ingress,
      annotations: { ...desired.annotations, [ANN.allocationFailure]: failure ? JSON.stringify(failure) : null },
    };
    const changed = differs(svc, d);
    if (changed && legacyAnnotations(svc).length) {
      for (const k of legacyAnnotations(svc)) events.push({ type: 'Warning', reason: 'deprecatedAnnotation', message: `Service uses deprecated annotation ${k}` });
    }
    const afterKey = after ? `${after.sharingKey}\u0000${after.backendKey}` : undefined;
    return {
      key,
      desired: d,
      events,
      changed,
      freedIPs: !!before && (!after || after.ips.some((ip, i) => !before.ips[i]?.equals(ip)) || after.ips.length < before.ips.length),
      allocationKeyChanged: beforeKey !== undefined && afterKey !== undefined && beforeKey !== afterKey,
      ...(failure ? { failure } : {}),
    };
  };
  const clear = (failure?: AllocationFailure) => {
    state.allocator.release(key);
    return done(CLEAR, failure);
  };

  if (svc.spec?.type !== 'LoadBalancer') return clear();
  if (!state.pools || state.pools.length === 0) {
    return clear({ reason: 'no-pools', message: 'no IPAddressPool is configured; create one in the MetalLB namespace', pools: [] });
  }
  const fam = serviceFamily(svc);
  if (fam.ok && fam.value === undefined) {
    return clear({ reason: 'no-cluster-ip', message: 'the service has no clusterIP yet; MetalLB allocates once it has one', pools: [] });
  }
  if (familyPolicy(svc) === 'RequireDualStack' && fam.ok && fam.value !== 'dual') {
    events.push({ type: 'Warning', reason: 'not enough clusterips', message: 'RequireDualStack needs two clusterIPs of different families' });
    return clear({ reason: 'not-enough-clusterips', message: 'ipFamilyPolicy RequireDualStack needs clusterIPs of both families', pools: [] });
  }
  const r = requestFor(svc);
  if (!r.ok) {
    if (before) {
      // Keep the IP the service already owns (MetalLB 4.2 step 7c) and say what is wrong.
      events.push({ type: 'Warning', reason: r.reason === 'noclusterIPsIPFamily' ? r.reason : 'LoadBalancerFailed', message: `${r.message}; keeping ${ipsText(before.ips)}` });
      return done({ ingress: before.ips.map(String), annotations: { [ANN.allocatedFromPool]: before.pool } });
    }
    events.push({ type: 'Warning', reason: r.reason === 'noclusterIPsIPFamily' ? r.reason : 'AllocationFailed', message: `Failed to allocate IP for ${key}: ${r.message}` });
    return clear({ reason: r.reason, message: r.message, pools: [] });
  }
  const request = r.request;

  let result: AllocateResult = state.allocator.allocate(request);
  // MetalLB 4.2 step 7: `ClearAssignment` only when the configuration no longer allows the held
  // IP; a Service that asks for other IPs, another pool or another family is moved silently.
  if (result.ok && result.changed && result.previousInvalid && result.previous && !SILENT_MOVES.has(result.previousInvalid.reason)) {
    events.push({
      type: 'Normal',
      reason: 'ClearAssignment',
      message: `current IP for ${key} not allowed by config, will attempt for new IP assignment: ${result.previousInvalid.message}`,
    });
  }
  if (!result.ok) {
    const failure = explain(result);
    if (result.current) {
      // The service holds an IP but wants another one that cannot be given. Is what it holds
      // still valid under the configuration? Then keep it (fixes MetalLB quirk 17, which
      // released it first and left the service with nothing).
      const still = state.allocator.validate({ ...request, requestedIps: result.current.ips, pool: result.current.pool });
      if (still.ok) {
        events.push({ type: 'Warning', reason: 'AllocationFailed', message: `Failed to allocate IP for ${key}: ${failureText(failure)}; keeping ${ipsText(result.current.ips)}` });
        return done({ ingress: result.current.ips.map(String), annotations: { [ANN.allocatedFromPool]: result.current.pool } }, failure);
      }
      events.push({ type: 'Normal', reason: 'ClearAssignment', message: `current IP for ${key} not allowed by config, will attempt for new IP assignment: ${still.message}` });
    }
    events.push({ type: 'Warning', reason: 'AllocationFailed', message: `Failed to allocate IP for ${key}: ${failureText(failure)}` });
    return clear(failure);
  }
  if (result.changed) {
    events.push({ type: 'Normal', reason: 'IPAllocated', message: `Assigned IP ${ipsText(result.allocation.ips)}` });
  }
  // PreferDualStack upgrade: one IP held, both families wanted.
  if (request.policy === 'PreferDualStack' && request.families.length === 2 && result.allocation.ips.length === 1) {
    const had = result.allocation.ips;
    const up = state.allocator.addFamily(request);
    if (up.ok) {
      const added = up.allocation.ips.filter((ip) => !had.some((o) => o.equals(ip)));
      if (up.changed) events.push({ type: 'Normal', reason: 'IPAllocated', message: `Assigned additional IP ${ipsText(added)}` });
      result = up;
    } else if (!before || before.ips.length !== 1 || result.changed) {
      events.push({ type: 'Normal', reason: 'AdditionalAssignFailed', message: `Failed to assign additional IP for ${key}: ${up.message}` });
    }
  }
  const a = result.allocation;
  return done({ ingress: a.ips.map(String), annotations: { [ANN.allocatedFromPool]: a.pool } });
}

/** Reasons a held allocation is replaced without a `ClearAssignment` Event (the Service asked for it). */
const SILENT_MOVES: ReadonlySet<string> = new Set(['requested-ips-changed', 'requested-pool-changed', 'family-mismatch']);

/** Sort for start-up and reprocess-all: services owning IPs first (more IPs first), then oldest first, then by key. */
export function reprocessOrder<T extends ServiceLike>(services: readonly T[]): T[] {
  // Sort keys computed once per Service, not in every comparison (10,000 Services: ~140,000
  // comparisons, each of which built two key strings and two IP lists before).
  const decorated = services.map((s) => ({ s, ips: statusIPs(s).length, t: s.metadata.creationTimestamp ?? '', k: serviceKey(s) }));
  decorated.sort((a, b) => {
    const d = b.ips - a.ips;
    if (d) return d;
    if (a.t !== b.t) return a.t < b.t ? -1 : 1;
    return a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
  });
  return decorated.map((x) => x.s);
}

/**
 * Start-up: re-establish every Service's existing status IPs in the allocator, oldest first, so
 * a controller restart changes nobody's IP. Returns the keys whose IPs could not be restored
 * (they are reconciled normally afterwards: the older claimant keeps a contested IP).
 */
export function restoreFromStatus(state: CoreState, services: readonly ServiceLike[], servesClass: (s: ServiceLike) => boolean): { restored: number; rejected: { key: string; message: string }[] } {
  const records = [];
  for (const svc of reprocessOrder(services)) {
    if (svc.spec?.type !== 'LoadBalancer' || !servesClass(svc)) continue;
    const ips = statusIPs(svc);
    if (!ips.length) continue;
    const r = requestFor(svc);
    if (!r.ok) continue;
    records.push({
      key: r.request.key,
      namespace: r.request.namespace,
      labels: r.request.labels ?? {},
      ips,
      ports: r.request.ports ?? [],
      sharingKey: r.request.sharingKey ?? '',
      backendKey: r.request.backendKey ?? '',
    });
  }
  const res = state.allocator.restore(records);
  return { restored: res.restored, rejected: res.rejected.map((x) => ({ key: x.key, message: x.message })) };
}
