import type { StateName, TransitionReason } from '../fsm/types.js';
import type { BgpDecodeError } from '../wire/errors.js';
import type { Negotiated } from '../wire/negotiate.js';
import type { UnsendableRoute } from '../rib/route.js';
import type { AfiSafi, Capability } from '../wire/types.js';

/** Per-session counters (the speaker maps them to `metallb_bgp_*` metrics). */
export interface SessionCounters {
  opensSent: number;
  opensReceived: number;
  updatesSent: number;
  updatesReceived: number;
  keepalivesSent: number;
  keepalivesReceived: number;
  notificationsSent: number;
  notificationsReceived: number;
  routeRefreshSent: number;
  routeRefreshReceived: number;
  /** All messages. */
  messagesSent: number;
  messagesReceived: number;
  /** Prefixes announced in UPDATEs sent (cumulative). */
  prefixesAnnounced: number;
  /** Prefixes withdrawn in UPDATEs sent (cumulative). */
  prefixesWithdrawn: number;
  /** Times the session reached Established. */
  establishedTransitions: number;
  /** Received UPDATE problems handled without a reset (RFC 7606). */
  malformedUpdates: number;
}

/** Fresh counters, all zero. */
export function zeroCounters(): SessionCounters {
  return {
    opensSent: 0, opensReceived: 0, updatesSent: 0, updatesReceived: 0, keepalivesSent: 0, keepalivesReceived: 0,
    notificationsSent: 0, notificationsReceived: 0, routeRefreshSent: 0, routeRefreshReceived: 0, messagesSent: 0,
    messagesReceived: 0, prefixesAnnounced: 0, prefixesWithdrawn: 0, establishedTransitions: 0, malformedUpdates: 0,
  };
}

/** A NOTIFICATION with its direction and names, for events and status. */
export interface NotificationInfo {
  direction: 'sent' | 'received';
  code: number;
  subcode: number;
  /** `errorCodeName(code)`, e.g. `cease`. */
  codeName: string;
  data: Uint8Array;
  at: number;
}

/** A state change with its reason. */
export interface StateChange {
  from: StateName;
  to: StateName;
  reason: TransitionReason;
}

/** Above this many prefixes in one batch, `sent` events carry counts only. */
export const SENT_LIST_LIMIT = 1000;

/** What was sent, as events report it (KEEPALIVEs are only counted). */
export type SentInfo =
  | { type: 'open'; holdTime: number; capabilities: Capability['code'][] }
  | {
      type: 'update';
      announcedCount: number;
      withdrawnCount: number;
      /** The prefixes, when the batch has at most {@link SENT_LIST_LIMIT} of them. */
      announced?: string[];
      withdrawn?: string[];
    }
  | { type: 'end-of-rib'; afi: number; safi: number }
  | { type: 'notification'; code: number; subcode: number }
  | { type: 'route-refresh'; afi: number; safi: number };

/** Events a session emits. */
export interface SessionEvents extends Record<string, unknown> {
  state: StateChange;
  established: Negotiated;
  sent: SentInfo;
  notification: NotificationInfo;
  'update-received': { announced: number; withdrawn: number; endOfRib?: AfiSafi; issues: BgpDecodeError[] };
  /** The unsendable routes changed (the full new list; empty when all are sent again). */
  unsendable: UnsendableRoute[];
}

/** A point-in-time view of a session. */
export interface SessionStatus {
  name: string;
  state: StateName;
  /** The BGP identifier in use (configured, or MetalLB's fallback for the current connection). */
  routerId: string;
  lastTransition?: StateChange & { at: number };
  negotiated?: Negotiated;
  counters: Readonly<SessionCounters>;
  /** Prefixes the peer has from us now (`metallb_bgp_announced_prefixes_total`). */
  advertisedPrefixes: number;
  /** Prefixes we want advertised (`metallb_bgp_pending_prefixes_total`), sendable or not. */
  desiredPrefixes: number;
  /**
   * Desired routes that are not sent, with the reason (no next hop of their family for
   * next-hop-self, family not negotiated) — for the app's status and Events. Empty when all go.
   */
  unsendable: UnsendableRoute[];
  /** The next hops used for routes without `nextHop` (from the current or last connection). */
  nextHops?: { ipv4?: string; ipv6?: string };
  lastNotificationSent?: NotificationInfo;
  lastNotificationReceived?: NotificationInfo;
  localAddress?: string;
  localPort?: number;
  /** The last connection error (e.g. `connect ECONNREFUSED …`, `bind EADDRNOTAVAIL` for a source address not on this host). */
  lastError?: { message: string; at: number };
}
