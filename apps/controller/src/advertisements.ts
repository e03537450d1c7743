/**
 * Advertisements that name pools which do not exist. MetalLB ignores such a name (the
 * advertisement applies to the pools that do exist, or to none); metallb-ts does the same but says
 * so — a warning condition on the `ConfigurationState` and a Warning Event (beyond MetalLB), since a
 * typo in `ipAddressPools` otherwise silently announces nothing.
 *
 * libs/config keeps only the existing names in `Config.l2Advertisements[].pools`, so the names as
 * written are read from the raw objects here.
 */
import type { Config } from '@metallb-ts/config';
import type { RawObject } from './config-map.js';

/** The advertisement kinds that name pools. */
export type AdvertisementKind = 'L2Advertisement' | 'BGPAdvertisement';

/** One advertisement naming pools that do not exist. */
export interface MissingPools {
  kind: AdvertisementKind;
  name: string;
  /** The names in `spec.ipAddressPools` with no IPAddressPool, sorted. */
  pools: readonly string[];
}

/** Condition type of the warning on the controller's ConfigurationState. */
export const ADVERTISEMENT_POOLS_CONDITION = 'advertisementPoolsFound';
/** Its reason when a name is missing. */
export const POOL_NOT_FOUND_REASON = 'PoolNotFound';

/** Every valid advertisement (one `config` kept) naming a pool that `config` does not have, by kind then name. */
export function missingAdvertisementPools(objects: readonly RawObject[], config: Config): MissingPools[] {
  const out: MissingPools[] = [];
  const kept: Record<AdvertisementKind, ReadonlyMap<string, unknown>> = { L2Advertisement: config.l2Advertisements, BGPAdvertisement: config.bgpAdvertisements };
  for (const o of objects) {
    const kind = o.kind;
    if (kind !== 'L2Advertisement' && kind !== 'BGPAdvertisement') continue;
    const name = o.metadata?.name ?? '';
    if (!kept[kind].has(name)) continue; // ignored for another reason (namespace, version…)
    const names = o.spec?.ipAddressPools;
    if (!Array.isArray(names)) continue;
    const missing = [...new Set(names.filter((n): n is string => typeof n === 'string' && !config.pools.has(n)))].sort();
    if (missing.length) out.push({ kind, name, pools: missing });
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

/** One sentence for the condition, the Event and the log. */
export function describeMissingPools(m: readonly MissingPools[]): string {
  return m
    .map((x) => `${x.kind} ${x.name} names ${x.pools.length === 1 ? 'a pool that does not exist' : 'pools that do not exist'} (${x.pools.map((p) => JSON.stringify(p)).join(', ')}); ignored for ${x.pools.length === 1 ? 'it' : 'them'}, as MetalLB does`)
    .join('; ');
}
