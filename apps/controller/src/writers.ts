/**
 * What the controller writes to the API server, each as one function over the `ApiClient`:
 * a Service's owned annotations and `status.loadBalancer`, an IPAddressPool's status, and the
 * memberlist secret. An object deleted meanwhile (404) is not an error: its delete event follows.
 */
import { CONFIG_RESOURCES, CORE_RESOURCES, statusIPs } from '@metallb-ts/app-runtime';
import type { PoolStatus } from '@metallb-ts/ipam';
import { isApiError, patchStatus, PatchType, type ApiClient, type KubeObject } from '@metallb-ts/k8s-watch';
import type { Desired } from './core.js';
import type { Svc } from './transforms.js';

/** The field manager of every controller write. */
export const FIELD_MANAGER = 'metallb-ts-controller';

/** What a write did: `written`, nothing to do (`unchanged`), or the object is `gone` (404). */
export type WriteOutcome = 'written' | 'unchanged' | 'gone';

/**
 * Brings `svc` to `desired`: a merge patch of the annotations that differ (a `null` removes),
 * then a status patch when the ingress IPs differ.
 */
export async function writeService(client: ApiClient, svc: Svc, desired: Desired): Promise<WriteOutcome> {
  const ns = svc.metadata.namespace ?? 'default';
  const name = svc.metadata.name;
  const cur = svc.metadata.annotations ?? {};
  const annPatch: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(desired.annotations)) if ((cur[k] ?? null) !== v) annPatch[k] = v;
  const sameIPs = statusIPs(svc).join(',') === desired.ingress.join(',');
  if (!Object.keys(annPatch).length && sameIPs) return 'unchanged';
  try {
    if (Object.keys(annPatch).length) {
      await client.patch(CORE_RESOURCES.services, ns, name, PatchType.merge, { metadata: { annotations: annPatch } }, { fieldManager: FIELD_MANAGER });
    }
    if (!sameIPs) {
      const ingress = desired.ingress.length ? desired.ingress.map((ip) => ({ ip })) : null;
      await patchStatus(client, CORE_RESOURCES.services, ns, name, { loadBalancer: { ingress } }, FIELD_MANAGER);
    }
    return 'written';
  } catch (e) {
    if (isApiError(e, 404)) return 'gone';
    throw e;
  }
}

/** Counts beyond 2^53 are clamped to `Number.MAX_SAFE_INTEGER` (a /64 pool has 2^64 addresses). */
function clamp(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** The IPAddressPool status MetalLB writes, from the allocator's counts. */
export function poolStatusBody(st: PoolStatus): { assignedIPv4: number; assignedIPv6: number; availableIPv4: number; availableIPv6: number } {
  return { assignedIPv4: clamp(st.assignedIPv4), assignedIPv6: clamp(st.assignedIPv6), availableIPv4: clamp(st.availableIPv4), availableIPv6: clamp(st.availableIPv6) };
}

/** Merge-patches `IPAddressPool.status`. */
export async function writePoolStatus(client: ApiClient, namespace: string, pool: string, st: PoolStatus): Promise<WriteOutcome> {
  try {
    await patchStatus(client, CONFIG_RESOURCES.ipaddresspools, namespace, pool, poolStatusBody(st), FIELD_MANAGER);
    return 'written';
  } catch (e) {
    if (isApiError(e, 404)) return 'gone';
    throw e;
  }
}

/** What {@link createMemberlistSecret} did. */
export type SecretOutcome = { kind: 'created' } | { kind: 'exists' } | { kind: 'failed'; error: Error };

/**
 * MetalLB §4.6: the memberlist secret, key `secretkey` = 16 random bytes as unpadded standard
 * base64 (22 characters). An existing secret is never modified (409 → `exists`).
 */
export async function createMemberlistSecret(client: ApiClient, namespace: string, name: string, random: Uint8Array): Promise<SecretOutcome> {
  const key = Buffer.from(random).toString('base64').replace(/=+$/, '');
  try {
    await client.create(CORE_RESOURCES.secrets, namespace, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      type: 'Opaque',
      data: { secretkey: Buffer.from(key).toString('base64') },
    } as KubeObject);
    return { kind: 'created' };
  } catch (e) {
    if (isApiError(e, 409)) return { kind: 'exists' };
    return { kind: 'failed', error: e as Error };
  }
}
