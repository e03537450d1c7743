/**
 * The `LeaseStore` port of `@metallb-ts/election` over the Kubernetes API: one
 * `coordination.k8s.io/v1` Lease, read without cache, written with optimistic concurrency.
 */
import { formatMicroTime } from '@metallb-ts/clock';
import type { LeaseCreateResult, LeaseGetResult, LeaseRecord, LeaseStore, LeaseUpdateResult, StoredLease } from '@metallb-ts/election';
import { isApiError, Resources, type ApiClient, type KubeObject } from '@metallb-ts/k8s-watch';

interface LeaseObject extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
  };
}

/** MicroTime text (RFC 3339 with microseconds) for epoch ms. */
function microTime(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : formatMicroTime(ms);
}

function parseTime(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function toStored(o: LeaseObject): StoredLease {
  const s = o.spec ?? {};
  const acquireTime = parseTime(s.acquireTime);
  const renewTime = parseTime(s.renewTime);
  return {
    resourceVersion: o.metadata.resourceVersion ?? '',
    record: {
      holderIdentity: s.holderIdentity ?? '',
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      leaseTransitions: s.leaseTransitions ?? 0,
      ...(acquireTime !== undefined ? { acquireTime } : {}),
      ...(renewTime !== undefined ? { renewTime } : {}),
    },
  };
}

function toSpec(r: LeaseRecord): LeaseObject['spec'] {
  return {
    holderIdentity: r.holderIdentity || null,
    leaseDurationSeconds: r.leaseDurationSeconds,
    acquireTime: microTime(r.acquireTime) ?? null,
    renewTime: microTime(r.renewTime) ?? null,
    leaseTransitions: r.leaseTransitions,
  };
}

/** A {@link LeaseStore} bound to one Lease (`namespace/name`). */
export class KubeLeaseStore implements LeaseStore {
  private last: LeaseObject | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  async get(): Promise<LeaseGetResult> {
    try {
      const o = await this.api.get<LeaseObject>(Resources.leases, this.namespace, this.name);
      this.last = o;
      return { kind: 'found', lease: toStored(o) };
    } catch (e) {
      if (isApiError(e, 404)) return { kind: 'not-found' };
      throw e;
    }
  }

  async create(record: LeaseRecord): Promise<LeaseCreateResult> {
    try {
      const o = await this.api.create<LeaseObject>(Resources.leases, this.namespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace, labels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/part-of': 'metallb-ts' } },
        spec: toSpec(record),
      });
      this.last = o;
      return { kind: 'created', lease: toStored(o) };
    } catch (e) {
      if (isApiError(e, 409)) return { kind: 'conflict' };
      throw e;
    }
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<LeaseUpdateResult> {
    const meta = this.last?.metadata ?? { name: this.name, namespace: this.namespace };
    try {
      const o = await this.api.update<LeaseObject>(Resources.leases, this.namespace, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { ...meta, name: this.name, namespace: this.namespace, resourceVersion },
        spec: toSpec(record),
      });
      this.last = o;
      return { kind: 'updated', lease: toStored(o) };
    } catch (e) {
      if (isApiError(e, 404)) return { kind: 'not-found' };
      if (isApiError(e, 409)) return (await this.exists()) ? { kind: 'conflict' } : { kind: 'not-found' };
      throw e;
    }
  }

  /**
   * Whether the Lease still exists, after a 409 on update: kube-apiserver answers 409 (UID
   * precondition failed) to the PUT of a Lease deleted meanwhile, where apiserver-lite answers 404.
   * The contract wants `not-found` in both cases, so a 409 is told apart by one GET.
   */
  private async exists(): Promise<boolean> {
    try {
      await this.api.get<LeaseObject>(Resources.leases, this.namespace, this.name);
      return true;
    } catch (e) {
      if (isApiError(e, 404)) return false;
      return true;
    }
  }
}
