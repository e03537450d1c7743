/**
 * Informer transforms: what the controller never reads is dropped before caching (most of an
 * object's size), after `@metallb-ts/app-runtime`'s `stampTypeMeta` has set apiVersion/kind.
 */
import type { ServiceLike } from '@metallb-ts/app-runtime';
import type { KubeObject } from '@metallb-ts/k8s-watch';
import { intern, sharedList } from './intern.js';

export { intern, internedCount } from './intern.js';

/** A cached Service. */
export type Svc = ServiceLike & KubeObject;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The annotation prefixes the controller reads or owns: MetalLB's (`metallb.io/`, the legacy
 * `metallb.universe.tf/`) and ours (`metallb-ts.io/`). The controller only merge-patches its own
 * keys, so the other annotations never need to be cached.
 */
export const SERVICE_ANNOTATION_PREFIXES = ['metallb.io/', 'metallb.universe.tf/', 'metallb-ts.io/'] as const;

function metallbAnnotations(a: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  let out: Record<string, string> | undefined;
  for (const k in a) {
    if (!SERVICE_ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) continue;
    (out ??= {})[k] = intern(a[k]!);
  }
  return out;
}

type Port = NonNullable<NonNullable<Svc['spec']>['ports']>[number];

function ports(ps: readonly Port[] | undefined): Port[] | undefined {
  if (!Array.isArray(ps)) return undefined;
  return sharedList(`slim-ports${JSON.stringify(ps.map((p) => [p?.protocol, p?.port]))}`, () => ps.map((p) => Object.freeze({ protocol: intern(p?.protocol), port: p?.port }) as Port));
}

function stringList(xs: readonly string[] | undefined): string[] | undefined {
  if (!Array.isArray(xs)) return undefined;
  return sharedList(`strings${JSON.stringify(xs)}`, () => xs.map((x) => intern(x)));
}

/**
 * A Service reduced to the fields MetalLB reads (§1.12): a fraction of the full object's memory.
 * Every object has one fixed shape (absent fields are `undefined`), repeated values and lists are
 * shared (frozen: nothing may mutate a cached object), and annotations are cut to MetalLB's
 * (see {@link SERVICE_ANNOTATION_PREFIXES}).
 */
export function slimService(o: Svc): Svc {
  const m = o.metadata;
  const sp = o.spec ?? {};
  const clusterIP = sp.clusterIP;
  const ingress = o.status?.loadBalancer?.ingress;
  return {
    apiVersion: intern(o.apiVersion),
    kind: intern(o.kind),
    metadata: {
      name: m.name,
      namespace: intern(m.namespace),
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
      deletionTimestamp: m.deletionTimestamp,
      labels: m.labels,
      annotations: metallbAnnotations(m.annotations),
    },
    spec: {
      type: intern(sp.type),
      clusterIP,
      // Usually [clusterIP]: the same string instance.
      clusterIPs: Array.isArray(sp.clusterIPs) ? sp.clusterIPs.map((ip) => (ip === clusterIP ? clusterIP : ip)) : undefined,
      ipFamilies: stringList(sp.ipFamilies),
      ipFamilyPolicy: intern(sp.ipFamilyPolicy),
      loadBalancerIP: sp.loadBalancerIP,
      loadBalancerClass: intern(sp.loadBalancerClass),
      externalTrafficPolicy: intern(sp.externalTrafficPolicy),
      selector: sp.selector,
      ports: ports(sp.ports),
    },
    status: ingress ? { loadBalancer: { ingress: ingress.map((i) => (i.hostname === undefined ? { ip: i.ip } : { ip: i.ip, hostname: i.hostname })) } } : undefined,
  } as Svc;
}

/** Any other object without `managedFields` and the last-applied annotation. */
export function slim<T extends KubeObject>(o: T): T {
  const { managedFields: _m, ...metadata } = o.metadata;
  const ann = metadata.annotations;
  if (ann && LAST_APPLIED in ann) {
    const { [LAST_APPLIED]: _l, ...rest } = ann;
    metadata.annotations = rest;
  }
  return { ...o, metadata } as T;
}
