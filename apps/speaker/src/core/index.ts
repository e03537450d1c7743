/**
 * The speaker's pure core: (configuration, Services, endpoints, Nodes, memberlist members, this
 * node) → the announcements, sessions, routes, status objects and Events of this node.
 */
export * from './model.js';
export { checkService, owningPool, type ServiceCheck } from './service.js';
export { l2For, l2AdvertisementInput, electionNodes, l2Reason } from './l2.js';
export { bgpFor, bgpAdvertisementInput, desiredSessions, sessionKey, prefixFor, routesForPeers } from './bgp.js';
export { computePlan } from './plan.js';
export { allowedInterfaces, GATE_IN, l2LinkState, LINK_LOSS_HOLD_MS, linkUsable, stepLinkGate, type GateLink, type L2LinkState, type LinkGate, type LinkGateAction, type LinkGateStep } from './link-gate.js';
export { l2Changes, eventsBetween, statusChanges, announcedServices, type L2Changes, type StatusChanges } from './diff.js';
