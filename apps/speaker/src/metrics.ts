/**
 * Prometheus metrics with MetalLB's speaker names and labels (§9.2), so dashboards written for
 * MetalLB work unchanged, plus `metallb_ts_speaker_failover_seconds`. The registry, scrape hooks
 * and `metallb_k8s_client_*` come from `@metallb-ts/app-runtime`.
 */
import { AppMetrics, K8sClientMetrics } from '@metallb-ts/app-runtime';
import client from 'prom-client';
import type { AnnouncedSeries } from './core/index.js';

/** Buckets of the failover histogram: tens of milliseconds to a minute. */
export const FAILOVER_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/** The speaker's metrics. */
export class SpeakerMetrics extends AppMetrics {
  /** `metallb_k8s_client_*`. */
  readonly client = new K8sClientMetrics(this);
  readonly announced = this.gauge('metallb_speaker_announced', 'Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.', ['service', 'protocol', 'node', 'ip']);
  readonly l2Requests = this.counter('metallb_layer2_requests_received', 'Number of layer2 requests received for owned IPs', ['ip']);
  readonly l2Responses = this.counter('metallb_layer2_responses_sent', 'Number of layer2 responses sent for owned IPs', ['ip']);
  readonly l2Gratuitous = this.counter('metallb_layer2_gratuitous_sent', 'Number of gratuitous layer2 packets sent for owned IPs as a result of failovers', ['ip']);
  readonly bgpSessionUp = this.gauge('metallb_bgp_session_up', 'BGP session state (1 is up, 0 is down)', ['peer']);
  readonly bgpUpdates = this.counter('metallb_bgp_updates_total', 'Number of BGP UPDATE messages sent', ['peer']);
  readonly bgpAnnounced = this.gauge('metallb_bgp_announced_prefixes_total', 'Number of prefixes currently being advertised on the BGP session', ['peer']);
  readonly bgpPending = this.gauge('metallb_bgp_pending_prefixes_total', 'Number of prefixes that should be advertised on the BGP session', ['peer']);
  /** Interfaces this node may answer ARP/NDP on that are up with carrier (issue 17's link watch). */
  readonly l2LinksUsable = this.gauge('metallb_ts_speaker_l2_links_usable', 'Interfaces allowed by the L2Advertisements selecting this node (after the exclusion list) that are up with carrier; -1 while unknown or Layer 2 is not in use here');
  /** Times this node withdrew Layer 2 (and left memberlist when on) because no interface had carrier. */
  readonly l2LinkLoss = this.counter('metallb_ts_speaker_l2_link_loss_total', 'Times every interface this node may answer on lost carrier for longer than the hold: Layer 2 withdrawn, memberlist left (when on)');
  readonly failover = new client.Histogram({
    name: 'metallb_ts_speaker_failover_seconds',
    help: 'Time from this node gaining ownership of a Layer 2 IP (the change that made it the winner was observed) to its first gratuitous frame',
    buckets: FAILOVER_BUCKETS,
    registers: [this.registry],
  });

  private series = new Map<string, AnnouncedSeries>();

  /** Replaces the `metallb_speaker_announced` series (withdrawn ones are deleted, as MetalLB does). */
  setAnnounced(all: readonly AnnouncedSeries[]): void {
    const next = new Map(all.map((s) => [`${s.service}|${s.protocol}|${s.ip}`, s]));
    for (const [k, s] of this.series) if (!next.has(k)) this.announced.remove({ ...s });
    for (const s of next.values()) this.announced.set({ ...s }, 1);
    this.series = next;
  }

  /** Deletes a BGP peer's series (its session object is gone). */
  removePeer(peer: string): void {
    for (const m of [this.bgpSessionUp, this.bgpUpdates, this.bgpAnnounced, this.bgpPending]) m.remove({ peer });
  }
}
