/**
 * Prometheus metrics for the apps: one registry per process with hooks that compute derived
 * gauges just before a scrape, and the `metallb_k8s_client_*` metrics both MetalLB components
 * export under these exact names.
 */
import client from 'prom-client';

/** What the HTTP server needs to answer `/metrics`. */
export interface MetricsSource {
  /** The exposition text (runs the scrape hooks first). */
  text(): Promise<string>;
  /** The `content-type` of {@link text}. */
  readonly contentType: string;
}

/** A process's metrics registry. Apps subclass it or hold one and add their own gauges. */
export class AppMetrics implements MetricsSource {
  /** The prom-client registry (every metric made here registers in it). */
  readonly registry = new client.Registry();
  private readonly hooks: (() => void)[] = [];

  /** A gauge in this registry. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): client.Gauge {
    return new client.Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  /** A counter in this registry. */
  counter(name: string, help: string, labelNames: readonly string[] = []): client.Counter {
    return new client.Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  /** Runs `fn` before every scrape, so gauges derived from state are computed only when read. */
  onScrape(fn: () => void): void {
    this.hooks.push(fn);
  }

  async text(): Promise<string> {
    for (const h of this.hooks) h();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** MetalLB's `metallb_k8s_client_*` metrics (`internal/k8s`), registered in `metrics`. */
export class K8sClientMetrics {
  /** Object updates processed (every reconcile). */
  readonly updates: client.Counter;
  /** Object updates that failed. */
  readonly updateErrors: client.Counter;
  /** 1 once a configuration loaded. */
  readonly configLoaded: client.Gauge;
  /** 1 while running on a stale configuration because the latest one failed. */
  readonly configStale: client.Gauge;

  constructor(metrics: AppMetrics) {
    this.updates = metrics.counter('metallb_k8s_client_updates_total', 'Number of k8s object updates that have been processed.');
    this.updateErrors = metrics.counter('metallb_k8s_client_update_errors_total', 'Number of k8s object updates that failed for some reason.');
    this.configLoaded = metrics.gauge('metallb_k8s_client_config_loaded_bool', '1 if the MetalLB configuration was successfully loaded at least once.');
    this.configStale = metrics.gauge('metallb_k8s_client_config_stale_bool', '1 if running on a stale configuration, because the latest config failed to load.');
  }
}
