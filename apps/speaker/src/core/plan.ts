/**
 * The whole desired state of one speaker as a pure function of its inputs: for every Service the
 * Layer 2 and BGP outcome, the sessions, the routes per peer, the status objects, the
 * `metallb_speaker_announced` series and the Events.
 */
import { bgpFor, desiredSessions, routesForPeers } from './bgp.js';
import { l2For } from './l2.js';
import type { Advertisement, AnnouncedSeries, BgpOutcome, CoreInput, CorePlan, L2Outcome, PlannedEvent, ServicePlan } from './model.js';
import { checkService } from './service.js';

/** Computes the plan. Never throws for data found in the cluster. */
export function computePlan(input: CoreInput): CorePlan {
  const me = input.nodes.find((n) => n.name === input.node);
  const sessions = desiredSessions(input.config, { name: input.node, labels: me?.labels ?? {} });
  const services = new Map<string, ServicePlan>();
  const l2Status = new Map<string, Record<string, unknown>>();
  const bgpStatus = new Map<string, Record<string, unknown>>();
  const announced: AnnouncedSeries[] = [];
  const events: PlannedEvent[] = [];
  const allAds: Advertisement[] = [];
  // Services in key order, so "the first advertisement" of a duplicate prefix is stable.
  const sorted = [...input.services].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const svc of sorted) {
    const check = checkService(svc, input.config);
    let l2: L2Outcome;
    let bgp: BgpOutcome;
    if (check.kind === 'withdraw') {
      l2 = check;
      bgp = check;
    } else {
      l2 = l2For(svc, check.pool, input.config!, input);
      bgp = bgpFor(svc, check.ips, check.pool, input.config!, input, sessions);
    }
    services.set(svc.key, { key: svc.key, namespace: svc.namespace, name: svc.name, ips: svc.ips, l2, bgp });
    if (bgp.kind === 'advertise') {
      allAds.push(...bgp.advertisements);
      for (const ip of svc.ips) announced.push({ service: svc.key, protocol: 'bgp', node: input.node, ip });
      events.push({ service: svc.key, type: 'Normal', reason: 'nodeAssigned', message: `announcing from node "${input.node}" with protocol "bgp"` });
      if (bgp.peers.length > 0) bgpStatus.set(svc.key, { peers: [...bgp.peers] });
    }
    if (l2.kind === 'announce') {
      for (const ip of svc.ips) announced.push({ service: svc.key, protocol: 'layer2', node: input.node, ip });
      events.push({ service: svc.key, type: 'Normal', reason: 'nodeAssigned', message: `announcing from node "${input.node}" with protocol "layer2"` });
      l2Status.set(svc.key, l2.interfaces ? { interfaces: l2.interfaces.map((name) => ({ name })) } : {});
    } else if (l2.reason === 'noInterface') {
      events.push({ service: svc.key, type: 'Warning', reason: 'announceFailed', message: `the interfaces specified by LB IP "${svc.ips.join(', ')}" doesn't exist in assigned node "${input.node}" with protocol "layer2" (${l2.detail ?? ''})` });
    }
  }
  return { services, sessions, routes: routesForPeers(allAds, sessions.keys()), l2Status, bgpStatus, announced, events };
}
