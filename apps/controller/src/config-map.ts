/**
 * From the cluster's objects to what the allocator needs: `libs/config` validates the
 * metallb.io objects (plus Namespaces and Secrets), and the valid pools become ipam `PoolSpec`s.
 */
import { buildConfig, isConfigErrors, type Config, type ConfigErrors } from '@metallb-ts/config';
import type { PoolSpec } from '@metallb-ts/ipam';

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
  const pools: PoolSpec[] = [];
  for (const pool of built.pools.values()) {
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
              // Validated by libs/config, in the one LabelSelector type ipam takes as it is.
              serviceSelectors: sa.serviceSelectors,
            },
          }
        : {}),
    });
  }
  return { ok: true, config: built, pools };
}
