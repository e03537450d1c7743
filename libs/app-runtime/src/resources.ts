/**
 * The resources the apps read and write, each with its kind, and the apiVersion/kind stamping of
 * informer items: a real kube-apiserver omits `apiVersion` and `kind` on the items of list
 * responses for built-in kinds (watch events carry them), so whatever reads a cached object's
 * kind — configuration assembly, Event recording — gets them from the resource instead.
 */
import { apiVersionOf, Resources, type KubeObject, type ResourceRef } from '@metallb-ts/k8s-watch';

/** A resource with the kind of its objects. */
export interface TypedResource extends ResourceRef {
  /** `IPAddressPool`, `Service`, … */
  readonly kind: string;
}

/** An object's type: what Events name in `involvedObject` and what list items lack. */
export interface TypeMeta {
  readonly apiVersion: string;
  readonly kind: string;
}

const mlb = (plural: string, kind: string, version = 'v1beta1'): TypedResource => ({ group: 'metallb.io', version, plural, kind });

/** Every `metallb.io` kind (all namespaced, read only in the MetalLB namespace). */
export const METALLB_RESOURCES = {
  ipaddresspools: mlb('ipaddresspools', 'IPAddressPool'),
  l2advertisements: mlb('l2advertisements', 'L2Advertisement'),
  bgpadvertisements: mlb('bgpadvertisements', 'BGPAdvertisement'),
  bgppeers: mlb('bgppeers', 'BGPPeer', 'v1beta2'),
  bfdprofiles: mlb('bfdprofiles', 'BFDProfile'),
  communities: mlb('communities', 'Community'),
  configurationstates: mlb('configurationstates', 'ConfigurationState'),
  servicel2statuses: mlb('servicel2statuses', 'ServiceL2Status'),
  servicebgpstatuses: mlb('servicebgpstatuses', 'ServiceBGPStatus'),
} as const satisfies Record<string, TypedResource>;

/** The metallb.io kinds that make up the configuration (what `buildConfig` reads besides Namespaces, Nodes and Secrets). */
export const CONFIG_RESOURCES = {
  ipaddresspools: METALLB_RESOURCES.ipaddresspools,
  l2advertisements: METALLB_RESOURCES.l2advertisements,
  bgpadvertisements: METALLB_RESOURCES.bgpadvertisements,
  bgppeers: METALLB_RESOURCES.bgppeers,
  bfdprofiles: METALLB_RESOURCES.bfdprofiles,
  communities: METALLB_RESOURCES.communities,
} as const satisfies Record<string, TypedResource>;

/** k8s-watch's built-in {@link Resources}, with kinds. */
export const CORE_RESOURCES = {
  services: { ...Resources.services, kind: 'Service' },
  pods: { ...Resources.pods, kind: 'Pod' },
  nodes: { ...Resources.nodes, kind: 'Node' },
  namespaces: { ...Resources.namespaces, kind: 'Namespace' },
  secrets: { ...Resources.secrets, kind: 'Secret' },
  configMaps: { ...Resources.configMaps, kind: 'ConfigMap' },
  events: { ...Resources.events, kind: 'Event' },
  endpointSlices: { ...Resources.endpointSlices, kind: 'EndpointSlice' },
  leases: { ...Resources.leases, kind: 'Lease' },
} as const satisfies Record<string, TypedResource>;

/** `{ apiVersion, kind }` of a resource's objects. */
export function typeMetaOf(r: TypedResource): TypeMeta {
  return { apiVersion: apiVersionOf(r), kind: r.kind };
}

/**
 * An informer `transform` that sets `apiVersion` and `kind` from the resource (overwriting what
 * the server sent, which is either the same or missing), then applies `next` if given.
 */
export function stampTypeMeta<T extends KubeObject>(r: TypedResource, next?: (o: T) => T): (o: T) => T {
  const { apiVersion, kind } = typeMetaOf(r);
  return (o) => {
    const stamped = o.apiVersion === apiVersion && o.kind === kind ? o : ({ ...o, apiVersion, kind } as T);
    return next ? next(stamped) : stamped;
  };
}
