/**
 * A canonical JSON form of a {@link Config}: for logs, snapshots, and for telling whether a
 * re-parsed configuration changed (MetalLB calls its handlers only when it did).
 */
import type { Config } from './config.js';

/** Plain JSON: Maps become objects (keys sorted), Sets sorted arrays, addresses and CIDRs text. */
export function configToJSON(config: Config): unknown {
  return plain(config);
}

function plain(v: unknown): unknown {
  if (v instanceof Map) {
    return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), plain(x)]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)));
  }
  if (v instanceof Set) return [...v].map(plain).sort();
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    const toJSON = (v as { toJSON?: () => unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(v);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = plain((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** Whether two configurations are semantically identical (warnings ignored). */
export function configsEqual(a: Config, b: Config): boolean {
  const strip = (c: Config) => JSON.stringify(plain({ ...c, warnings: [] }));
  return strip(a) === strip(b);
}
