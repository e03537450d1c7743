/**
 * Reading what both MetalLB components read from a Service: annotations (the `metallb.io/` form
 * first, the legacy `metallb.universe.tf/` form as fallback), the load-balancer-class filter,
 * the status IPs and the service key. Pure functions over plain objects.
 */

/** The Service fields MetalLB reads (§1.12). */
export interface ServiceLike {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ipFamilies?: string[];
    ipFamilyPolicy?: string;
    loadBalancerIP?: string;
    loadBalancerClass?: string;
    externalTrafficPolicy?: string;
    selector?: Record<string, string>;
    ports?: { protocol?: string; port: number; name?: string }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

/** MetalLB's Service annotations (the `metallb.io/` form; the legacy form is read as fallback). */
export const SERVICE_ANNOTATIONS = {
  loadBalancerIPs: 'metallb.io/loadBalancerIPs',
  addressPool: 'metallb.io/address-pool',
  allowSharedIP: 'metallb.io/allow-shared-ip',
  /** Output of the controller: the pool the IPs came from. */
  allocatedFromPool: 'metallb.io/ip-allocated-from-pool',
} as const;

/** The prefix of MetalLB's deprecated annotation keys. */
export const LEGACY_ANNOTATION_PREFIX = 'metallb.universe.tf/';

function legacyKey(key: string): string {
  return LEGACY_ANNOTATION_PREFIX + key.slice(key.indexOf('/') + 1);
}

/** The annotation value, new form first, then the legacy `metallb.universe.tf/` form. */
export function annotation(svc: ServiceLike, key: string): string | undefined {
  const a = svc.metadata.annotations ?? {};
  if (key in a) return a[key];
  const legacy = legacyKey(key);
  return legacy in a ? a[legacy] : undefined;
}

/** Whether the annotation is present in either form, even with an empty value (MetalLB's L2 check of `allow-shared-ip`). */
export function hasAnnotation(svc: ServiceLike, key: string): boolean {
  const a = svc.metadata.annotations ?? {};
  return key in a || legacyKey(key) in a;
}

/** Legacy annotation keys present on the service (each earns a `deprecatedAnnotation` warning). */
export function legacyAnnotations(svc: ServiceLike): string[] {
  return Object.keys(svc.metadata.annotations ?? {})
    .filter((k) => k.startsWith(LEGACY_ANNOTATION_PREFIX))
    .sort();
}

/**
 * MetalLB's service key `namespace/name`; a Service without a namespace gives `/name` (never
 * `default/name`, and never a bare name that could collide with a namespace-less key).
 */
export function serviceKey(svc: { metadata: { name: string; namespace?: string } }): string {
  return `${svc.metadata.namespace ?? ''}/${svc.metadata.name}`;
}

/** MetalLB §4.5: is this service ours under `--lb-class`? */
export function servesClass(svc: ServiceLike, lbClass: string): boolean {
  const c = svc.spec?.loadBalancerClass;
  if (c === undefined || c === null || c === '') return lbClass === '';
  return c === lbClass;
}

/** The IPs currently in `status.loadBalancer.ingress` (hostname-only entries ignored), in order. */
export function statusIPs(svc: ServiceLike): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((x) => x !== '');
}
