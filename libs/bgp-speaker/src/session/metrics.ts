import type { SessionStatus } from './status.js';

/** One metric sample: MetalLB's name, type, labels and value. */
export interface MetricSample {
  name: string;
  type: 'gauge' | 'counter';
  labels: Record<string, string>;
  value: number;
}

/**
 * Maps a session's status to MetalLB's native-mode BGP metrics (label `peer` = `ip:port`):
 * `metallb_bgp_session_up`, `metallb_bgp_updates_total` (UPDATEs sent, withdrawals included),
 * `metallb_bgp_announced_prefixes_total` (prefixes the peer has from us) and
 * `metallb_bgp_pending_prefixes_total` (prefixes desired), plus the FRR-mode counters
 * MetalLB exposes for richer speakers (`opens_sent`, `notifications_sent`, …).
 */
export function metallbMetrics(s: SessionStatus, peer: string = s.name): MetricSample[] {
  const labels = { peer };
  const c = s.counters;
  const g = (name: string, value: number): MetricSample => ({ name, type: 'gauge', labels, value });
  const k = (name: string, value: number): MetricSample => ({ name, type: 'counter', labels, value });
  return [
    g('metallb_bgp_session_up', s.state === 'established' ? 1 : 0),
    k('metallb_bgp_updates_total', c.updatesSent),
    g('metallb_bgp_announced_prefixes_total', s.advertisedPrefixes),
    g('metallb_bgp_pending_prefixes_total', s.desiredPrefixes),
    k('metallb_bgp_opens_sent', c.opensSent),
    k('metallb_bgp_opens_received', c.opensReceived),
    k('metallb_bgp_notifications_sent', c.notificationsSent),
    k('metallb_bgp_updates_total_received', c.updatesReceived),
    k('metallb_bgp_keepalives_sent', c.keepalivesSent),
    k('metallb_bgp_keepalives_received', c.keepalivesReceived),
    k('metallb_bgp_route_refresh_sent', c.routeRefreshSent),
    k('metallb_bgp_total_sent', c.messagesSent),
    k('metallb_bgp_total_received', c.messagesReceived),
  ];
}
