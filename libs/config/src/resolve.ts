/**
 * Resolution helpers the apps share: namespace selectors against Namespaces, node selectors
 * against Nodes, service selectors against Services, and the pool/service compatibility rule
 * of `serviceAllocation`. All pure; labels are plain records.
 */
import { parseLabelSelector, selectorListAllows, type LabelSelector } from '@metallb-ts/labels';
import type { Peer, Pool, PoolAllocation } from './config.js';

/** Anything with a name and labels (Node, Namespace, Service, IPAddressPool). */
export interface LabelledObject {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A Service as selectors see it. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * Validates selectors (with `@metallb-ts/labels`' `parseLabelSelector`) and returns frozen
 * copies; throws a TypeError listing every problem on invalid ones (use for trusted input).
 */
export function compileSelectors(sels: readonly unknown[]): LabelSelector[] {
  return sels.map((s, i) => {
    const r = parseLabelSelector(s, `selector ${i}`);
    if (!r.ok) throw new TypeError(r.errors.map((e) => `${e.path}: ${e.detail}`).join('; '));
    return r.selector;
  });
}

/**
 * Names of the objects whose labels match any selector. An empty selector list matches
 * everything (MetalLB's "no restriction"), an empty selector `{}` too.
 */
export function resolveSelectors(sels: readonly LabelSelector[], objects: readonly LabelledObject[]): Set<string> {
  return new Set(objects.filter((o) => selectorListAllows(sels, o.labels)).map((o) => o.name));
}

/** Namespaces matching any selector (an empty list matches none: it adds no namespace). */
export function resolveNamespaceSelectors(sels: readonly LabelSelector[], namespaces: readonly LabelledObject[]): Set<string> {
  return sels.length === 0 ? new Set() : resolveSelectors(sels, namespaces);
}

/** Nodes matching any selector; every node when the list is empty. */
export function resolveNodeSelectors(sels: readonly LabelSelector[], nodes: readonly LabelledObject[]): Set<string> {
  return resolveSelectors(sels, nodes);
}

/** Services (as `namespace/name`) matching any selector; every service when the list is empty. */
export function resolveServiceSelectors(sels: readonly LabelSelector[], services: readonly ServiceRef[]): Set<string> {
  return new Set(services.filter((s) => selectorListAllows(sels, s.labels)).map((s) => `${s.namespace}/${s.name}`));
}

/**
 * Whether `serviceAllocation` lets a service use the pool (MetalLB's compatibility check): the
 * namespace must be among the allowed ones when that set is non-empty, and the labels must
 * match a service selector when there are any. A pool without the block accepts every service.
 */
export function allocationAllows(sa: PoolAllocation | undefined, svc: ServiceRef): boolean {
  if (!sa) return true;
  if (sa.namespaces.size > 0 && !sa.namespaces.has(svc.namespace)) return false;
  if (!selectorListAllows(sa.serviceSelectors, svc.labels)) return false;
  return true;
}

/** {@link allocationAllows} for a pool. */
export function poolAllowsService(pool: Pool, svc: ServiceRef): boolean {
  return allocationAllows(pool.serviceAllocation, svc);
}

/** The peers whose nodeSelectors admit a node (empty selectors = every node). */
export function peersForNode(peers: Iterable<Peer>, node: LabelledObject): Peer[] {
  return [...peers].filter((p) => selectorListAllows(p.nodeSelectors, node.labels));
}
