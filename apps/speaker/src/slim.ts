/**
 * Informer transforms of the speaker (issue 20, memory only): Services and EndpointSlices are
 * cached reduced to what the speaker reads, after `stampTypeMeta` has set apiVersion/kind. The
 * readers (`transforms.ts`, Events, `servesClass`) see the same values on the slim objects as on
 * the full ones (proved by `slim.spec.ts`).
 */
import type { KubeObject } from '@metallb-ts/k8s-watch';
import { SERVICE_NAME_LABEL } from './transforms.js';

/** Annotation prefixes the speaker reads: MetalLB's (new and legacy) and ours. */
const ANNOTATION_PREFIXES = ['metallb.io/', 'metallb.universe.tf/', 'metallb-ts.io/'];

/** Shared copies of repeated short strings (namespaces, types, policies); bounded. */
const strings = new Map<string, string>();
function intern<T extends string | undefined>(s: T): T {
  if (typeof s !== 'string' || s.length > 64) return s;
  const hit = strings.get(s);
  if (hit !== undefined) return hit as T;
  if (strings.size < 4096) strings.set(s, s);
  return s;
}

type Dict = Record<string, unknown>;
interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function metallbAnnotations(a: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  let out: Record<string, string> | undefined;
  for (const k in a) if (ANNOTATION_PREFIXES.some((p) => k.startsWith(p))) (out ??= {})[k] = a[k]!;
  return out;
}

/** A Service with what the speaker reads: identity, labels, MetalLB annotations, type, class, traffic policy, status IPs. */
export function slimSpeakerService<T extends KubeObject>(o: T): T {
  const m = o.metadata as Meta;
  const sp = ((o as Dict).spec ?? {}) as Dict;
  const ingress = (((o as Dict).status as Dict | undefined)?.loadBalancer as Dict | undefined)?.ingress as { ip?: string; hostname?: string }[] | undefined;
  return {
    apiVersion: intern(o.apiVersion),
    kind: intern(o.kind),
    metadata: { name: m.name, namespace: intern(m.namespace), uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels, annotations: metallbAnnotations(m.annotations) },
    spec: { type: intern(sp.type as string | undefined), loadBalancerClass: intern(sp.loadBalancerClass as string | undefined), externalTrafficPolicy: intern(sp.externalTrafficPolicy as string | undefined) },
    status: Array.isArray(ingress) ? { loadBalancer: { ingress: ingress.map((i) => (i?.hostname === undefined ? { ip: i?.ip } : { ip: i.ip, hostname: i.hostname })) } } : undefined,
  } as unknown as T;
}

interface Endpoint {
  addresses?: string[];
  nodeName?: string;
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
}

/** An EndpointSlice with what the speaker reads: its Service label and, per endpoint, addresses, node and readiness. */
export function slimEndpointSlice<T extends KubeObject>(o: T): T {
  const m = o.metadata as Meta;
  const svc = m.labels?.[SERVICE_NAME_LABEL];
  const eps = (o as Dict).endpoints as Endpoint[] | undefined;
  return {
    apiVersion: intern(o.apiVersion),
    kind: intern(o.kind),
    metadata: { name: m.name, namespace: intern(m.namespace), uid: m.uid, resourceVersion: m.resourceVersion, labels: svc === undefined ? undefined : { [SERVICE_NAME_LABEL]: svc } },
    endpoints: Array.isArray(eps)
      ? eps.map((e) => ({
          addresses: e?.addresses,
          nodeName: intern(e?.nodeName),
          conditions: e?.conditions ? { ready: e.conditions.ready, serving: e.conditions.serving } : undefined,
        }))
      : undefined,
  } as unknown as T;
}
