import type { Labels, LabelSelector } from './selector.js';
import { selectorListAllows } from './selector.js';

/**
 * The node label that takes a node out of external load balancing (any value). MetalLB honours it
 * unless the speaker runs with `--ignore-exclude-lb`.
 */
export const EXCLUDE_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

/** A Kubernetes Node reduced to what the election reads. */
export interface NodeInput {
  /** `metadata.name` (= the memberlist member name). */
  readonly name: string;
  /** `metadata.labels`. */
  readonly labels?: Labels;
  /** True when the Node has condition `NetworkUnavailable=True`. @default false */
  readonly networkUnavailable?: boolean;
  /**
   * Interface names currently present on the node after `announcedInterfacesToExclude` (§6.4),
   * when known. Only used to report whether the winner can honour an interface restriction and by
   * the opt-in {@link L2ElectionOptions.requireInterface}.
   */
  readonly interfaces?: readonly string[];
}

/** What the election needs from a Service (`spec` + `metadata`). */
export interface ServiceInput {
  /** `metadata.labels`, matched against advertisement `serviceSelectors`. */
  readonly labels?: Labels;
  /** `spec.externalTrafficPolicy`. @default 'Cluster' */
  readonly externalTrafficPolicy?: 'Cluster' | 'Local';
  /**
   * True when the Service carries the allow-shared-ip annotation key (either prefix, any value).
   * @default false
   */
  readonly allowSharedIp?: boolean;
}

/** One endpoint of the Service's EndpointSlices. */
export interface EndpointInput {
  /** `endpoints[].nodeName`; endpoints without it never make a node eligible under `Local`. */
  readonly nodeName?: string;
  /** Whether the endpoint can serve: compute it with {@link endpointCanServe} from its conditions. */
  readonly serving: boolean;
  /** Number of addresses; BGP's `Local` check wants at least one. Absent = at least one. */
  readonly addresses?: number;
}

/** The node set of an advertisement: explicit names, or selectors resolved against known nodes. */
export interface NodeScoped {
  /** The resolved node set. When given, `nodeSelectors` are ignored. */
  readonly nodes?: readonly string[];
  /** `spec.nodeSelectors`: empty or absent = every known node. */
  readonly nodeSelectors?: readonly LabelSelector[];
}

/** Resolves an advertisement's node set against the known Node objects, like MetalLB's config load. */
export function resolveNodeSet(ad: NodeScoped, known: readonly NodeInput[]): Set<string> {
  if (ad.nodes) return new Set(ad.nodes);
  return new Set(known.filter((n) => selectorListAllows(ad.nodeSelectors, n.labels)).map((n) => n.name));
}

/** True when an endpoint can serve, and (for BGP) has an address. */
export function servingEndpoint(e: EndpointInput, needAddress = false): boolean {
  return e.serving && (!needAddress || (e.addresses ?? 1) > 0);
}

/** `discovery.k8s.io/v1` endpoint conditions, as plain data (absent = nil). */
export interface EndpointConditions {
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

/**
 * MetalLB's "serving endpoint" rule (`metallb-behavior.md` terms): `ready` absent or true, **or**
 * `serving` true. So ready=false + serving=true counts, and so does ready=true + serving=false.
 * `terminating` plays no part. Use it to fill {@link EndpointInput.serving}.
 */
export function endpointCanServe(c: EndpointConditions): boolean {
  return c.ready === undefined || c.ready === true || c.serving === true;
}
