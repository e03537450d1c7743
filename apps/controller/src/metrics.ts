/**
 * Prometheus metrics with MetalLB's names and labels, so dashboards written for MetalLB work
 * unchanged, plus a few `metallb_ts_*` additions. The registry, scrape hooks and the
 * `metallb_k8s_client_*` metrics come from `@metallb-ts/app-runtime`.
 */
import { AppMetrics, K8sClientMetrics } from '@metallb-ts/app-runtime';

/** One pool's allocator counts, as the gauges show them. */
export interface PoolCounts {
  pool: string;
  total: number;
  ipv4Total: number;
  ipv6Total: number;
  inUse: number;
  ipv4InUse: number;
  ipv6InUse: number;
  services: number;
}

/** The controller's metrics. */
export class ControllerMetrics extends AppMetrics {
  /** `metallb_k8s_client_*`. */
  readonly client = new K8sClientMetrics(this);
  readonly addressesTotal = this.gauge('metallb_allocator_addresses_total', 'Number of usable IP addresses, per pool', ['pool']);
  readonly ipv4Total = this.gauge('metallb_allocator_ipv4_addresses_total', 'Number of usable IPv4 addresses, per pool', ['pool']);
  readonly ipv6Total = this.gauge('metallb_allocator_ipv6_addresses_total', 'Number of usable IPv6 addresses, per pool', ['pool']);
  readonly inUse = this.gauge('metallb_allocator_addresses_in_use_total', 'Number of IP addresses in use, per pool', ['pool']);
  readonly ipv4InUse = this.gauge('metallb_allocator_ipv4_addresses_in_use_total', 'Number of IPv4 addresses in use, per pool', ['pool']);
  readonly ipv6InUse = this.gauge('metallb_allocator_ipv6_addresses_in_use_total', 'Number of IPv6 addresses in use, per pool', ['pool']);
  readonly servicesAllocated = this.gauge('metallb_allocator_services_allocated_total', 'Number of services allocated, per pool', ['pool']);
  readonly leader = this.gauge('metallb_ts_controller_leader', '1 while this replica holds the controller lease');
  readonly unallocated = this.gauge('metallb_ts_controller_services_without_ip', 'LoadBalancer services this controller serves that have no IP');

  private known = new Set<string>();

  /** Replaces the per-pool gauges (pools that disappeared are removed). */
  setPools(counts: readonly PoolCounts[]): void {
    const now = new Set(counts.map((c) => c.pool));
    for (const p of this.known) {
      if (!now.has(p)) {
        for (const m of [this.addressesTotal, this.ipv4Total, this.ipv6Total, this.inUse, this.ipv4InUse, this.ipv6InUse, this.servicesAllocated]) m.remove({ pool: p });
      }
    }
    for (const c of counts) {
      const l = { pool: c.pool };
      this.addressesTotal.set(l, c.total);
      this.ipv4Total.set(l, c.ipv4Total);
      this.ipv6Total.set(l, c.ipv6Total);
      this.inUse.set(l, c.inUse);
      this.ipv4InUse.set(l, c.ipv4InUse);
      this.ipv6InUse.set(l, c.ipv6InUse);
      this.servicesAllocated.set(l, c.services);
    }
    this.known = now;
  }
}
