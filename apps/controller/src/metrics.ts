/**
 * Prometheus metrics with MetalLB's names and labels, so dashboards written for MetalLB work
 * unchanged, plus a few `metallb_ts_*` additions.
 */
import client from 'prom-client';

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

export class ControllerMetrics {
  readonly registry = new client.Registry();
  private readonly g = (name: string, help: string, labelNames: string[] = []) =>
    new client.Gauge({ name, help, labelNames, registers: [this.registry] });
  private readonly c = (name: string, help: string) => new client.Counter({ name, help, registers: [this.registry] });

  readonly addressesTotal = this.g('metallb_allocator_addresses_total', 'Number of usable IP addresses, per pool', ['pool']);
  readonly ipv4Total = this.g('metallb_allocator_ipv4_addresses_total', 'Number of usable IPv4 addresses, per pool', ['pool']);
  readonly ipv6Total = this.g('metallb_allocator_ipv6_addresses_total', 'Number of usable IPv6 addresses, per pool', ['pool']);
  readonly inUse = this.g('metallb_allocator_addresses_in_use_total', 'Number of IP addresses in use, per pool', ['pool']);
  readonly ipv4InUse = this.g('metallb_allocator_ipv4_addresses_in_use_total', 'Number of IPv4 addresses in use, per pool', ['pool']);
  readonly ipv6InUse = this.g('metallb_allocator_ipv6_addresses_in_use_total', 'Number of IPv6 addresses in use, per pool', ['pool']);
  readonly servicesAllocated = this.g('metallb_allocator_services_allocated_total', 'Number of services allocated, per pool', ['pool']);
  readonly updates = this.c('metallb_k8s_client_updates_total', 'Number of k8s object updates that have been processed.');
  readonly updateErrors = this.c('metallb_k8s_client_update_errors_total', 'Number of k8s object updates that failed for some reason.');
  readonly configLoaded = this.g('metallb_k8s_client_config_loaded_bool', '1 if the MetalLB configuration was successfully loaded at least once.');
  readonly configStale = this.g('metallb_k8s_client_config_stale_bool', '1 if running on a stale configuration, because the latest config failed to load.');
  readonly leader = this.g('metallb_ts_controller_leader', '1 while this replica holds the controller lease');
  readonly unallocated = this.g('metallb_ts_controller_services_without_ip', 'LoadBalancer services this controller serves that have no IP');

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

  /** Called before every scrape, so gauges derived from state are computed only when read. */
  refresh: (() => void) | undefined;

  async text(): Promise<string> {
    this.refresh?.();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
