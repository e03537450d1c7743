/**
 * Informer transforms: what the controller never reads is dropped before caching (most of an
 * object's size), after `@metallb-ts/app-runtime`'s `stampTypeMeta` has set apiVersion/kind.
 */
import type { ServiceLike } from '@metallb-ts/app-runtime';
import type { KubeObject } from '@metallb-ts/k8s-watch';

/** A cached Service. */
export type Svc = ServiceLike & KubeObject;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** A Service reduced to the fields MetalLB reads (§1.12): a fraction of the full object's memory. */
export function slimService(o: Svc): Svc {
  const m = o.metadata;
  const sp = o.spec ?? {};
  const pick = <T extends object>(x: T) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;
  const ann = m.annotations ? { ...m.annotations } : undefined;
  if (ann) delete ann[LAST_APPLIED];
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: pick({ name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp, labels: m.labels, annotations: ann }),
    spec: pick({
      type: sp.type,
      clusterIP: sp.clusterIP,
      clusterIPs: sp.clusterIPs,
      ipFamilies: sp.ipFamilies,
      ipFamilyPolicy: sp.ipFamilyPolicy,
      loadBalancerIP: sp.loadBalancerIP,
      loadBalancerClass: sp.loadBalancerClass,
      externalTrafficPolicy: sp.externalTrafficPolicy,
      selector: sp.selector,
      ports: sp.ports?.map((p) => ({ protocol: p.protocol, port: p.port })),
    }),
    ...(o.status?.loadBalancer?.ingress ? { status: { loadBalancer: { ingress: o.status.loadBalancer.ingress.map((i) => pick({ ip: i.ip, hostname: i.hostname })) } } } : {}),
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
