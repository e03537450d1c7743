/**
 * The protocol-independent part of MetalLB's per-Service handling (`SetBalancer`, §5.2 steps
 * 1–5): is the Service a LoadBalancer with valid status IPs, and which pool owns them.
 */
import type { Config, Pool } from '@metallb-ts/config';
import { IPAddress } from '@metallb-ts/netaddr';
import type { SpeakerService, WithdrawReason } from './model.js';

/** The outcome of the common checks. */
export type ServiceCheck =
  | { readonly kind: 'ok'; readonly pool: Pool; readonly ips: readonly IPAddress[] }
  | { readonly kind: 'withdraw'; readonly reason: WithdrawReason; readonly detail?: string };

/**
 * The first pool (in the configuration's name order) whose CIDRs contain every IP (§5.2 step 5;
 * `avoidBuggyIPs` plays no part, quirk 24 is harmless and kept).
 */
export function owningPool(config: Config, ips: readonly IPAddress[]): Pool | undefined {
  for (const pool of config.pools.values()) {
    if (ips.every((ip) => pool.cidrs.some((c) => c.family === ip.family && c.contains(ip)))) return pool;
  }
  return undefined;
}

/** §5.2 steps 2–5, in MetalLB's order. */
export function checkService(svc: SpeakerService, config: Config | undefined): ServiceCheck {
  if (svc.type !== 'LoadBalancer') return { kind: 'withdraw', reason: 'notLoadBalancer' };
  if (!config) return { kind: 'withdraw', reason: 'noConfig' };
  if (svc.ips.length === 0) return { kind: 'withdraw', reason: 'noIPAllocated' };
  const ips: IPAddress[] = [];
  for (const text of svc.ips) {
    const ip = IPAddress.tryParse(text);
    if (!ip) return { kind: 'withdraw', reason: 'invalidIP', detail: `status IP "${text}" does not parse` };
    ips.push(ip);
  }
  const pool = owningPool(config, ips);
  if (!pool) return { kind: 'withdraw', reason: 'ipNotAllowed', detail: `no pool contains ${svc.ips.join(', ')}` };
  return { kind: 'ok', pool, ips };
}
