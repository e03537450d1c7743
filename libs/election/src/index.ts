/**
 * @packageDocumentation
 * `@metallb-ts/election`: who announces each service IP, explained, and lease-based leadership.
 *
 * - Layer 2 announcer election, bit-identical to MetalLB's speaker: {@link announcerOrder},
 *   {@link electAnnouncer}, {@link rankAnnouncers} (the hash order) and {@link electL2} (the
 *   whole §6.1 procedure with a reason for every node), {@link decisionFor} (one speaker's view).
 * - Opt-in, beyond MetalLB: {@link applyHoldDown} (hold-down hysteresis, also an
 *   {@link L2ElectionOptions} field) and {@link placeBoundedLoad} (no node above ⌈(1+ε)·IPs/nodes⌉).
 * - BGP: {@link bgpEligibility} — whether this node advertises a service and to which peers.
 * - {@link LeaderElector}: client-go-style Lease leader election over a {@link LeaseStore} port.
 *
 * Everything except the elector is a pure function of plain data (no Kubernetes types).
 */
export { ElectionInputError } from './errors.js';
export { selectorMatches, anySelectorMatches, selectorListAllows, type Labels, type LabelSelector, type LabelSelectorRequirement } from './selector.js';
export { goIPString, electionKey } from './ip-key.js';
export { rankAnnouncers, announcerOrder, electAnnouncer, compareRanked, scoreOf, type RankedCandidate, type Scores } from './order.js';
export { applyHoldDown, DEFAULT_HOLD_DOWN_MS, type HoldDownOptions, type HoldDownResult, type HeldCandidate } from './hold-down.js';
export {
  EXCLUDE_LB_LABEL,
  resolveNodeSet,
  endpointCanServe,
  type NodeInput,
  type ServiceInput,
  type EndpointInput,
  type EndpointConditions,
  type NodeScoped,
} from './inputs.js';
export {
  electL2,
  decisionFor,
  METALLB_L2_OPTIONS,
  type L2ElectionInput,
  type L2ElectionOptions,
  type L2AdvertisementInput,
  type PreferredNodeTerm,
  type L2Election,
  type L2Verdict,
  type L2NodeReason,
  type MetallbL2Reason,
  type InterfaceRestriction,
  type L2Decision,
} from './l2.js';
export {
  placeBoundedLoad,
  DEFAULT_BOUNDED_LOAD,
  type BoundedLoadOptions,
  type BoundedLoadEntry,
  type BoundedLoadResult,
  type Placement,
} from './bounded-load.js';
export {
  bgpEligibility,
  localPrefConflict,
  type BgpEligibilityInput,
  type BgpEligibilityOptions,
  type BgpAdvertisementInput,
  type BgpPeerInput,
  type BgpEligibility,
  type BgpWithdrawReason,
  type BgpPeerVerdict,
} from './bgp.js';
export * from './lease/index.js';
