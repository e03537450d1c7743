/**
 * What the allocation reads from a Service beyond the shared readers of
 * `@metallb-ts/app-runtime` (annotations with the legacy fallback, class filter, status IPs,
 * keys): requested IPs, family and policy, ports, sharing and backend keys, the pool
 * annotation. Pure functions over plain objects.
 */
import { annotation, SERVICE_ANNOTATIONS, type ServiceLike } from '@metallb-ts/app-runtime';
import { backendKeyFrom, poolFrom, sharingKeyFrom } from '@metallb-ts/ipam';
import { AddrParseError, IPAddress, type Family } from '@metallb-ts/netaddr';
import { intern, sharedList } from './intern.js';

/** The annotations the controller reads and writes. */
export const ANN = {
  ...SERVICE_ANNOTATIONS,
  /** Ours: why the service has no IP (JSON), cleared once it has one. */
  allocationFailure: 'metallb-ts.io/allocation-failure',
} as const;

export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
export type ServiceFamily = Family | 'dual';

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Service family from clusterIPs (fallback clusterIP): 1 IP → its family, 2 of different families → dual. */
export function serviceFamily(svc: ServiceLike): Parsed<ServiceFamily> | { ok: true; value: undefined } {
  const ips = (svc.spec?.clusterIPs?.length ? svc.spec.clusterIPs : svc.spec?.clusterIP ? [svc.spec.clusterIP] : []).filter(
    (x) => x && x !== 'None',
  );
  if (ips.length === 0) return { ok: true, value: undefined };
  return familyOfList(ips, 'clusterIPs');
}

function familyOfList(ips: readonly string[], what: string): Parsed<ServiceFamily> {
  const parsed: IPAddress[] = [];
  for (const s of ips) {
    const a = IPAddress.tryParse(s.trim());
    if (!a) return { ok: false, message: `${what}: "${s}" is not an IP address` };
    parsed.push(a);
  }
  if (parsed.length === 1) return { ok: true, value: parsed[0]!.family };
  if (parsed.length === 2 && parsed[0]!.family !== parsed[1]!.family) return { ok: true, value: 'dual' };
  return { ok: false, message: `${what}: [${ips.join(', ')}] is neither one IP nor two IPs of different families` };
}

export function familyPolicy(svc: ServiceLike): FamilyPolicy {
  const p = svc.spec?.ipFamilyPolicy;
  return p === 'PreferDualStack' || p === 'RequireDualStack' ? p : 'SingleStack';
}

export function primaryFamily(svc: ServiceLike): Family {
  return svc.spec?.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
}

/**
 * Requested IPs from `metallb.io/loadBalancerIPs` or `spec.loadBalancerIP`.
 * Errors: both set; an unparsable entry; two of one family; more than two.
 */
export function requestedIPs(svc: ServiceLike): Parsed<IPAddress[]> {
  const ann = annotation(svc, ANN.loadBalancerIPs);
  const field = svc.spec?.loadBalancerIP;
  if (ann !== undefined && ann !== '' && field) {
    return { ok: false, message: `service can not have both ${ANN.loadBalancerIPs} and spec.loadBalancerIP; remove one of them` };
  }
  const raw = ann !== undefined && ann !== '' ? ann.split(',').map((s) => s.trim()) : field ? [field.trim()] : [];
  const out: IPAddress[] = [];
  for (const s of raw) {
    const a = IPAddress.parseResult(s);
    if (a instanceof AddrParseError) {
      return { ok: false, message: `invalid requested IP "${s}" in ${ann ? ANN.loadBalancerIPs : 'spec.loadBalancerIP'}: ${a.reason}` };
    }
    out.push(a);
  }
  if (out.length > 2) return { ok: false, message: `at most two requested IPs (one IPv4, one IPv6) are allowed, got ${out.length}` };
  if (out.length === 2 && out[0]!.family === out[1]!.family) {
    return { ok: false, message: `two requested IPs must be of different families, got ${out[0]} and ${out[1]}` };
  }
  return { ok: true, value: out };
}

/** `(protocol, port)` pairs for sharing checks. */
export function servicePorts(svc: ServiceLike): { protocol: string; port: number }[] {
  const ps = (svc.spec?.ports ?? []).map((p) => [(p.protocol ?? 'TCP').toUpperCase(), p.port] as const);
  // One frozen list per distinct port set, shared by every allocation that holds it.
  return sharedList(`ipam-ports${JSON.stringify(ps)}`, () => ps.map(([protocol, port]) => Object.freeze({ protocol: intern(protocol), port })));
}

/** Sharing key: `allow-shared-ip` value when the key is present (even empty), else "" (ipam's rule). */
export function sharingKey(svc: ServiceLike): string {
  return sharingKeyFrom(svc.metadata.annotations);
}

/** Backend key: for `externalTrafficPolicy: Local` the selector as `k1=v1,k2=v2` (sorted), else "" (ipam's rule). */
export function backendKey(svc: ServiceLike): string {
  return backendKeyFrom(svc.spec?.selector, svc.spec?.externalTrafficPolicy);
}

/** The `address-pool` annotation (new form first, then legacy); undefined when absent or empty. */
export function addressPool(svc: ServiceLike): string | undefined {
  return poolFrom(svc.metadata.annotations);
}
