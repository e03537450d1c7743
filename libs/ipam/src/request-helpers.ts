/**
 * Pure helpers that derive the allocator's request fields from a Service's annotations and
 * spec values, exactly as MetalLB does (behaviour spec §1.12, §3.1). They take plain strings
 * and records, never Kubernetes types.
 */

/** Annotation keys read by MetalLB: the `metallb.io/` form first, then the legacy form. */
export const ANNOTATIONS = Object.freeze({
  loadBalancerIPs: 'metallb.io/loadBalancerIPs',
  addressPool: 'metallb.io/address-pool',
  allowSharedIp: 'metallb.io/allow-shared-ip',
  legacyPrefix: 'metallb.universe.tf/',
} as const);

type Annotations = Readonly<Record<string, string>> | undefined;

/** Value of `metallb.io/<name>`, else `metallb.universe.tf/<name>`, else `undefined`. */
function read(annotations: Annotations, key: string): string | undefined {
  if (annotations === undefined || annotations === null) return undefined;
  if (Object.hasOwn(annotations, key)) return annotations[key];
  const legacy = ANNOTATIONS.legacyPrefix + key.slice('metallb.io/'.length);
  return Object.hasOwn(annotations, legacy) ? annotations[legacy] : undefined;
}

/**
 * The sharing key (§3.1): `metallb.io/allow-shared-ip` if present (even empty), else the legacy
 * key, else `''`. An empty value means "no sharing" for allocation.
 */
export function sharingKeyFrom(annotations: Annotations): string {
  return read(annotations, ANNOTATIONS.allowSharedIp) ?? '';
}

/**
 * The backend key (§3.1): for `externalTrafficPolicy: Local`, the selector rendered as
 * `k1=v1,k2=v2` with keys sorted (an empty selector gives `''`, which is MetalLB's quirk 14);
 * `''` for `Cluster`.
 */
export function backendKeyFrom(selector: Readonly<Record<string, string>> | undefined, externalTrafficPolicy: string | undefined): string {
  if (externalTrafficPolicy !== 'Local' || selector === undefined || selector === null) return '';
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(',');
}

/** The `address-pool` annotation (metallb.io first, then legacy), or `undefined` when absent or empty. */
export function poolFrom(annotations: Annotations): string | undefined {
  const p = read(annotations, ANNOTATIONS.addressPool);
  return p === undefined || p === '' ? undefined : p;
}

/** Result of {@link requestedIpsFrom}. */
export type RequestedIps =
  | { readonly ok: true; readonly ips: readonly string[] }
  | { readonly ok: false; readonly reason: 'conflicting-requests'; readonly message: string };

/**
 * The requested IPs (§1.12): `metallb.io/loadBalancerIPs` split on commas with spaces trimmed
 * (empty items dropped), or `spec.loadBalancerIP`. Both set is refused (MetalLB: AllocationFailed
 * for a service without IP, LoadBalancerFailed for one that has IPs). Syntax, count and family
 * are checked by `Allocator.allocate` (`invalid-ip`, `too-many-ips`, `duplicate-family`).
 */
export function requestedIpsFrom(annotations: Annotations, loadBalancerIP: string | undefined): RequestedIps {
  const list = read(annotations, ANNOTATIONS.loadBalancerIPs);
  const hasList = list !== undefined && list.trim() !== '';
  const hasField = loadBalancerIP !== undefined && loadBalancerIP !== null && loadBalancerIP !== '';
  if (hasList && hasField) {
    return {
      ok: false,
      reason: 'conflicting-requests',
      message: `both the ${ANNOTATIONS.loadBalancerIPs} annotation and spec.loadBalancerIP are set; keep only one`,
    };
  }
  if (hasList) {
    return {
      ok: true,
      ips: list
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    };
  }
  return { ok: true, ips: hasField ? [loadBalancerIP] : [] };
}
