/**
 * MetalLB's `SetConfig` refusal (§2.5, §5.4): a new configuration under which a Service this
 * speaker announces would have IPs outside every pool is refused and retried with back-off, so
 * an announced IP is never dropped by a configuration edit before the controller moved it.
 */
import type { Config } from '@metallb-ts/config';
import { IPAddress } from '@metallb-ts/netaddr';
import { owningPool } from './service.js';

/** The verdict on a new configuration. */
export type ConfigVerdict =
  | { readonly kind: 'accept' }
  | {
      readonly kind: 'veto';
      /** The first announced Service that would lose its pool. */
      readonly service: string;
      readonly ips: readonly string[];
      /** A log line / condition message. */
      readonly message: string;
    };

/** Checks a new configuration against what this node announces (Service key → status IPs). */
export function vetoConfig(config: Config, announced: ReadonlyMap<string, readonly string[]>): ConfigVerdict {
  for (const [service, ips] of [...announced].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const parsed = ips.map((t) => IPAddress.tryParse(t)).filter((x): x is IPAddress => x !== undefined);
    if (parsed.length === 0) continue;
    if (!owningPool(config, parsed)) {
      return { kind: 'veto', service, ips, message: `service ${service} is announced with ${ips.join(', ')}, which no pool of the new configuration contains; keeping the previous configuration until the controller moves it` };
    }
  }
  return { kind: 'accept' };
}
