/**
 * The keeper of per-node, per-service status objects (MetalLB's ServiceL2Status §6.8 and
 * ServiceBGPStatus §7.2): objects in the MetalLB namespace labelled `metallb.io/node`,
 * `metallb.io/service-name`, `metallb.io/service-namespace`, named from a prefix
 * (`generateName`), owned by the speaker pod, whose status says which node serves the service
 * and how. The keeper finds them by labels, creates the one this node needs, writes `/status`
 * only when it differs, and deletes the surplus.
 */
import { isApiError, retryOnConflict, type ApiClient, type KubeObject } from '@metallb-ts/k8s-watch';
import { OwnerResolver, type OwnerSource } from './owner.js';
import { typeMetaOf, type TypedResource } from './resources.js';

/** The labels MetalLB puts on status objects. */
export const STATUS_LABELS = {
  node: 'metallb.io/node',
  serviceName: 'metallb.io/service-name',
  serviceNamespace: 'metallb.io/service-namespace',
} as const;

/** The service a status object is about. */
export interface ServiceRef {
  namespace: string;
  name: string;
}

/** Options of {@link StatusKeeper}. */
export interface StatusKeeperOptions {
  client: ApiClient;
  /** `METALLB_RESOURCES.servicel2statuses` or `.servicebgpstatuses`. */
  resource: TypedResource;
  /** The MetalLB namespace (where the objects live). */
  namespace: string;
  /** This node. */
  node: string;
  /** Name prefix: `l2-` or `bgp-`. */
  generateName: string;
  /**
   * `true` (L2: one node announces a service): keeping this node's object deletes the service's
   * objects of every other node too. `false` (BGP: every node has its own): other nodes' objects
   * are left alone.
   */
  exclusive: boolean;
  /** Owner reference of created objects: MetalLB sets the speaker pod. @default { kind: 'none' } */
  owner?: OwnerSource;
  /** @default 'metallb-ts-speaker' */
  fieldManager?: string;
}

/** Per-call options of {@link StatusKeeper.keep}. */
export interface KeepOptions {
  /**
   * Overrides {@link StatusKeeperOptions.exclusive} for this call. The speaker writes an L2 object
   * again with `false` after someone else deleted it: during a split brain two nodes announce, and
   * each deleting the other's object on every rewrite would chase each other through the API.
   */
  exclusive?: boolean;
}

/** What {@link StatusKeeper.keep} did. */
export interface KeepOutcome {
  /** `created`: new object; `updated`: status rewritten; `unchanged`: already as desired. */
  kind: 'created' | 'updated' | 'unchanged';
  /** The kept object's name. */
  name: string;
  /** Surplus objects deleted (names). */
  deleted: string[];
}

/** What {@link StatusKeeper.remove} did. */
export interface RemoveOutcome {
  kind: 'removed' | 'none';
  deleted: string[];
}

/** Deterministic JSON for change detection (object keys sorted, arrays kept in order). */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

/** Keeps this node's status object per service. */
export class StatusKeeper {
  private readonly owner: OwnerResolver;
  private readonly fieldManager: string;

  constructor(private readonly opts: StatusKeeperOptions) {
    this.owner = new OwnerResolver(opts.client, opts.owner ?? { kind: 'none' });
    this.fieldManager = opts.fieldManager ?? 'metallb-ts-speaker';
  }

  /** The labels of this node's object for `svc`. */
  labelsFor(svc: ServiceRef): Record<string, string> {
    return { [STATUS_LABELS.node]: this.opts.node, [STATUS_LABELS.serviceName]: svc.name, [STATUS_LABELS.serviceNamespace]: svc.namespace };
  }

  /** The status this node writes: `{ node, serviceName, serviceNamespace, ...extra }`. */
  statusFor(svc: ServiceRef, extra: Record<string, unknown>): Record<string, unknown> {
    return { node: this.opts.node, serviceName: svc.name, serviceNamespace: svc.namespace, ...extra };
  }

  /** The service's status objects: this node's only, or every node's. */
  private async find(svc: ServiceRef, allNodes: boolean): Promise<KubeObject[]> {
    const l = this.labelsFor(svc);
    if (allNodes) delete l[STATUS_LABELS.node];
    const labelSelector = Object.entries(l)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const res = await this.opts.client.list<KubeObject>(this.opts.resource, { namespace: this.opts.namespace, labelSelector });
    // Oldest first (then by name), so the object kept is stable across calls.
    return res.items.sort((a, b) => {
      const ta = String(a.metadata.creationTimestamp ?? '');
      const tb = String(b.metadata.creationTimestamp ?? '');
      if (ta !== tb) return ta < tb ? -1 : 1;
      return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
    });
  }

  private async deleteAll(objs: readonly KubeObject[]): Promise<string[]> {
    const out: string[] = [];
    for (const o of objs) {
      try {
        await this.opts.client.delete(this.opts.resource, this.opts.namespace, o.metadata.name);
        out.push(o.metadata.name);
      } catch (e) {
        if (!isApiError(e, 404)) throw e;
      }
    }
    return out;
  }

  /**
   * Makes this node hold exactly one object for `svc` with status
   * `{ node, serviceName, serviceNamespace, ...extra }`; with `exclusive`, other nodes' objects
   * for the service are deleted. Optimistic-concurrency conflicts start over; other API errors
   * are thrown (the caller's reconcile retries).
   */
  keep(svc: ServiceRef, extra: Record<string, unknown> = {}, o: KeepOptions = {}): Promise<KeepOutcome> {
    const exclusive = o.exclusive ?? this.opts.exclusive;
    return retryOnConflict(async () => {
      const all = await this.find(svc, exclusive);
      const mine = all.filter((o) => o.metadata.labels?.[STATUS_LABELS.node] === this.opts.node);
      const others = all.filter((o) => o.metadata.labels?.[STATUS_LABELS.node] !== this.opts.node);
      const desired = this.statusFor(svc, extra);
      let kept = mine[0];
      let kind: KeepOutcome['kind'] = 'unchanged';
      if (!kept) {
        const ownerRef = await this.owner.get().catch(() => undefined);
        const { apiVersion, kind: k } = typeMetaOf(this.opts.resource);
        kept = await this.opts.client.create<KubeObject>(
          this.opts.resource,
          this.opts.namespace,
          {
            apiVersion,
            kind: k,
            metadata: { name: '', generateName: this.opts.generateName, namespace: this.opts.namespace, labels: this.labelsFor(svc), ...(ownerRef ? { ownerReferences: [ownerRef] } : {}) },
          },
          { fieldManager: this.fieldManager },
        );
        kind = 'created';
      }
      if (canonical(kept.status ?? {}) !== canonical(desired)) {
        // Status subresource: the create above never stores a status, so it is always written here.
        await this.opts.client.update(this.opts.resource, this.opts.namespace, { ...kept, status: desired }, { fieldManager: this.fieldManager }, 'status');
        if (kind === 'unchanged') kind = 'updated';
      }
      const deleted = await this.deleteAll([...mine.slice(1), ...others]);
      return { kind, name: kept.metadata.name, deleted };
    });
  }

  /** Deletes this node's objects for `svc` (the node no longer serves it). */
  async remove(svc: ServiceRef): Promise<RemoveOutcome> {
    const deleted = await this.deleteAll(await this.find(svc, false));
    return { kind: deleted.length ? 'removed' : 'none', deleted };
  }
}
