/**
 * Carrier loss (issue 17, "carrier down → withdraw and re-elect, carrier up → re-announce"): is
 * there an interface this node could answer ARP/NDP on, and — debounced — should it leave
 * memberlist (so the other speakers re-elect at once) or rejoin it. Pure: links, configuration
 * and times in, a decision out; the runtime performs it.
 */
import type { Config } from '@metallb-ts/config';

/** Default hold before a node without a usable interface leaves (absorbs link flaps). */
export const LINK_LOSS_HOLD_MS = 750;

/** An interface as the responder's last scan saw it (structurally `ScannedLink`). */
export interface GateLink {
  readonly name: string;
  /** IFF_UP. */
  readonly up: boolean;
  /** IFF_LOWER_UP. */
  readonly carrier: boolean;
  /** Answered on, or why not (the responder's `LinkUse`). */
  readonly use: { readonly kind: 'answering' } | { readonly kind: 'skipped'; readonly reason: string };
}

/** Whether Layer 2 has an interface to answer on. A closed set. */
export type L2LinkState =
  /** No L2Advertisement selects this node (or no configuration): Layer 2 is not in use here. */
  | { readonly kind: 'notInUse' }
  /** The responder is not running (no CAP_NET_RAW, no addon): links unknown, never a reason to leave. */
  | { readonly kind: 'unknown' }
  /** At least one allowed interface is up with carrier. */
  | { readonly kind: 'usable'; readonly links: readonly string[] }
  /** None is: `allowed` = the advertisements' interface restriction (undefined = every interface). */
  | { readonly kind: 'unusable'; readonly allowed: readonly string[] | undefined };

/**
 * Skip reasons that still count as usable: the link has carrier and qualifies, only its socket
 * could not be opened yet (retried at the next scan) — not a carrier problem.
 */
const USABLE_SKIPS: ReadonlySet<string> = new Set(['open-failed']);

/** Whether one link can carry ARP/NDP answers: up, carrier, qualifying, not excluded. */
export function linkUsable(l: GateLink): boolean {
  return l.up && l.carrier && (l.use.kind === 'answering' || USABLE_SKIPS.has(l.use.reason));
}

/**
 * The interfaces this node's L2Advertisements allow: undefined when no advertisement selects it
 * (Layer 2 not in use), `'all'` when one of them has no interface list, else the union.
 */
export function allowedInterfaces(config: Config | undefined, node: string): 'all' | readonly string[] | undefined {
  const ads = [...(config?.l2Advertisements.values() ?? [])].filter((a) => a.allNodes || a.nodes.has(node));
  if (ads.length === 0) return undefined;
  if (ads.some((a) => a.allInterfaces || a.interfaces.length === 0)) return 'all';
  return [...new Set(ads.flatMap((a) => a.interfaces))].sort();
}

/**
 * Whether this node has a usable Layer 2 interface: a link up with carrier, not excluded
 * (the responder's scan applied the exclusion list), among those its L2Advertisements allow.
 * `links` undefined = the responder is not running.
 */
export function l2LinkState(o: { readonly node: string; readonly config: Config | undefined; readonly links: readonly GateLink[] | undefined }): L2LinkState {
  const allowed = allowedInterfaces(o.config, o.node);
  if (allowed === undefined) return { kind: 'notInUse' };
  if (o.links === undefined) return { kind: 'unknown' };
  const usable = o.links.filter((l) => linkUsable(l) && (allowed === 'all' || allowed.includes(l.name))).map((l) => l.name);
  if (usable.length > 0) return { kind: 'usable', links: usable };
  return { kind: 'unusable', allowed: allowed === 'all' ? undefined : allowed };
}

/** The debounce state: in memberlist, about to leave (since when), or out. */
export type LinkGate =
  | { readonly phase: 'in' }
  | { readonly phase: 'holding'; readonly since: number }
  | { readonly phase: 'out' };

/** What to do now. A closed set. */
export type LinkGateAction = 'none' | 'leave' | 'rejoin';

/** One step of {@link stepLinkGate}. */
export interface LinkGateStep {
  readonly gate: LinkGate;
  readonly action: LinkGateAction;
  /** When to evaluate again (monotonic ms) although nothing changed: the end of the hold. */
  readonly recheckAt?: number;
}

/** The initial gate: in. */
export const GATE_IN: LinkGate = { phase: 'in' };

/**
 * Debounced leave/rejoin: `unusable` must persist for `holdMs` before `leave`; a usable link (or
 * Layer 2 not in use / unknown) after a leave is `rejoin` at once, during the hold it is a flap
 * (nothing happens).
 */
export function stepLinkGate(gate: LinkGate, state: L2LinkState, now: number, holdMs = LINK_LOSS_HOLD_MS): LinkGateStep {
  const down = state.kind === 'unusable';
  switch (gate.phase) {
    case 'in':
      if (!down) return { gate, action: 'none' };
      if (holdMs <= 0) return { gate: { phase: 'out' }, action: 'leave' };
      return { gate: { phase: 'holding', since: now }, action: 'none', recheckAt: now + holdMs };
    case 'holding':
      if (!down) return { gate: GATE_IN, action: 'none' };
      if (now - gate.since >= holdMs) return { gate: { phase: 'out' }, action: 'leave' };
      return { gate, action: 'none', recheckAt: gate.since + holdMs };
    case 'out':
      return down ? { gate, action: 'none' } : { gate: GATE_IN, action: 'rejoin' };
    default: {
      const never: never = gate;
      return never;
    }
  }
}
