/**
 * From the cluster's objects to what the allocator needs: `libs/config` validates the
 * metallb.io objects (plus Namespaces and Secrets), and the valid pools become ipam `PoolSpec`s.
 */
import { buildConfig, isConfigErrors, type Config, type ConfigErrors } from '@metallb-ts/config';
import type { LabelSelector, PoolSpec } from '@metallb-ts/ipam';

export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export type ConfigResult = { ok: true; config: Config; pools: PoolSpec[] } | { ok: false; errors: ConfigErrors };

/** Validates the objects and derives the allocator's pools. Never throws. */
export function assembleConfig(objects: readonly RawObject[], namespace: string): ConfigResult {
  const built = buildConfig(objects, { namespace });
  if (isConfigErrors(built)) return { ok: false, errors: built };
  const raw = new Map<string, RawObject>();
  for (const o of objects) {
    if (o.kind === 'IPAddressPool' && o.metadata?.namespace === namespace && o.metadata.name) raw.set(o.metadata.name, o);
  }
  const pools: PoolSpec[] = [];
  for (const pool of built.pools.values()) {
    const spec = (raw.get(pool.name)?.spec ?? {}) as { serviceAllocation?: { serviceSelectors?: LabelSelector[] } };
    const sa = pool.serviceAllocation;
    pools.push({
      name: pool.name,
      addresses: pool.entries.map((e) => e.text),
      autoAssign: pool.autoAssign,
      avoidBuggyIPs: pool.avoidBuggyIPs,
      ...(sa
        ? {
            serviceAllocation: {
              priority: sa.priority,
              namespaces: [...sa.namespaces].sort(),
              hasNamespaceSelectors: sa.namespaceSelectors.length > 0,
              serviceSelectors: spec.serviceAllocation?.serviceSelectors ?? [],
            },
          }
        : {}),
    });
  }
  return { ok: true, config: built, pools };
}
