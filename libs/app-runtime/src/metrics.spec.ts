import { describe, expect, it } from 'vitest';
import { AppMetrics, K8sClientMetrics } from './metrics.js';

describe('metrics', () => {
  it('MetalLB names for the k8s client metrics', async () => {
    const m = new AppMetrics();
    const k = new K8sClientMetrics(m);
    k.updates.inc();
    k.updates.inc();
    k.updateErrors.inc();
    k.configLoaded.set(1);
    k.configStale.set(0);
    const t = await m.text();
    expect(t).toContain('metallb_k8s_client_updates_total 2');
    expect(t).toContain('metallb_k8s_client_update_errors_total 1');
    expect(t).toContain('metallb_k8s_client_config_loaded_bool 1');
    expect(t).toContain('metallb_k8s_client_config_stale_bool 0');
    expect(m.contentType).toMatch(/^text\/plain/);
  });
  it('scrape hooks compute derived gauges just before reading; registries are per instance', async () => {
    const a = new AppMetrics();
    const b = new AppMetrics();
    const g = a.gauge('demo_services', 'services', ['pool']);
    new K8sClientMetrics(b); // no clash with a second registry in one process
    let n = 0;
    a.onScrape(() => g.set({ pool: 'p' }, ++n));
    expect(await a.text()).toContain('demo_services{pool="p"} 1');
    expect(await a.text()).toContain('demo_services{pool="p"} 2');
    expect(await b.text()).not.toContain('demo_services');
  });
});
