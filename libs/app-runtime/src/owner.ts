/**
 * The owner reference MetalLB puts on the objects a component writes (ConfigurationState,
 * ServiceL2Status, ServiceBGPStatus): the writing pod, so they go away with it.
 */
import { isApiError, type ApiClient, type KubeObject } from '@metallb-ts/k8s-watch';
import { CORE_RESOURCES } from './resources.js';

/** A `metav1.OwnerReference`. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The owner reference to a pod (controller-runtime's `SetOwnerReference`: no controller flags). */
export function podOwnerReference(pod: { metadata: { name: string; uid?: string } }): OwnerReference | undefined {
  if (!pod.metadata.uid) return undefined;
  return { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid };
}

/** Where an owner reference comes from: a fixed one, or the pod looked up by name. */
export type OwnerSource = { kind: 'none' } | { kind: 'fixed'; ref: OwnerReference } | { kind: 'pod'; namespace: string; name: string };

/**
 * Resolves an {@link OwnerSource} once and remembers the answer. A pod that does not exist (404)
 * resolves to no owner; other errors are thrown and the next call asks again.
 */
export class OwnerResolver {
  private resolved: { ref: OwnerReference | undefined } | undefined;

  constructor(
    private readonly client: ApiClient,
    private readonly source: OwnerSource,
  ) {}

  async get(): Promise<OwnerReference | undefined> {
    if (this.resolved) return this.resolved.ref;
    const s = this.source;
    let ref: OwnerReference | undefined;
    if (s.kind === 'fixed') ref = s.ref;
    else if (s.kind === 'pod') {
      try {
        ref = podOwnerReference(await this.client.get<KubeObject>(CORE_RESOURCES.pods, s.namespace, s.name));
      } catch (e) {
        if (!isApiError(e, 404)) throw e;
      }
    }
    this.resolved = { ref };
    return ref;
  }
}
