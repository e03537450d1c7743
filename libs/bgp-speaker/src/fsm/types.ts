import type { BackoffOptions } from '@metallb-ts/clock';
import type { BgpDecodeError } from '../wire/errors.js';
import type { OpenExpectations, Negotiated } from '../wire/negotiate.js';
import type { BgpMessage, Notification, Open, Update } from '../wire/types.js';

/** How a session retries failed connection attempts; see {@link FsmConfig.reconnect}. */
export type ReconnectMode = 'rfc4271' | 'backoff';

/** Session states, RFC 4271 §8.2.2. */
export type StateName = 'idle' | 'connect' | 'active' | 'open-sent' | 'open-confirm' | 'established';

/** The timers of RFC 4271 §8 (idle-hold is the §8.1.1 DampPeerOscillations back-off). */
export type TimerKind = 'connect-retry' | 'hold' | 'keepalive' | 'delay-open' | 'idle-hold';

/** The FSM's own state: a value, replaced (never mutated) on every step. */
export interface FsmState {
  readonly name: StateName;
  /** RFC 4271 §8: ConnectRetryCounter (drives the idle-hold back-off). */
  readonly connectRetryCounter: number;
  /** Who opened the current TCP connection (for collision resolution, RFC 4271 §6.8). */
  readonly initiatedLocally?: boolean;
  /** Set from the OPEN exchange on (open-confirm, established). */
  readonly negotiated?: Negotiated;
  readonly peerOpen?: Open;
}

/** Inputs of {@link step}: socket, timer and message happenings as data (RFC 4271 §8.1 names in comments). */
export type FsmEvent =
  /** Event 1 (with event 4/5 when `passive`). */
  | { type: 'manual-start' }
  /** Event 2. `graceful`: close without NOTIFICATION so a GR peer keeps our routes (RFC 4724). */
  | { type: 'manual-stop'; ceaseSubcode?: number; graceful?: boolean }
  /** Event 3: automatic restart after the idle-hold timer. */
  | { type: 'automatic-start' }
  /** Events 9–13. */
  | { type: 'timer-expired'; timer: TimerKind }
  /** Event 16 (outbound, TcpCRAcked) or 17 (inbound, TcpConnectionConfirmed). */
  | { type: 'tcp-connected'; direction: 'outbound' | 'inbound' }
  /** Event 18. */
  | { type: 'tcp-failed'; error?: string }
  /** Events 19, 25, 26, 27 and ROUTE-REFRESH. */
  | { type: 'message'; message: BgpMessage }
  /** Events 21, 22, 28 (errors whose RFC 7606 handling is session-reset). */
  | { type: 'decode-error'; error: BgpDecodeError }
  /** Event 23: this connection lost a collision (RFC 4271 §6.8). */
  | { type: 'collision-dump' }
  /**
   * Event 17 for the peer's connection that won a collision (RFC 4271 §6.8): the driver has
   * dumped the existing connection (`collision-dump`), or it was already gone, and attached the
   * winner; the session carries on over it as over any inbound connection.
   */
  | { type: 'collision-adopted' };

/** Outputs of {@link step}: what the driver must do, in order. */
export type FsmAction =
  | { type: 'connect' }
  | { type: 'close' }
  | { type: 'send'; message: BgpMessage }
  | { type: 'start-timer'; timer: TimerKind; ms: number }
  | { type: 'stop-timer'; timer: TimerKind }
  | { type: 'established'; negotiated: Negotiated; peerOpen: Open }
  | { type: 'down' }
  | { type: 'update-received'; update: Update }
  | { type: 'route-refresh-received'; afi: number; safi: number }
  | { type: 'notification-received'; notification: Notification };

/** Why a transition happened: a closed union (logs, metrics, status). */
export type TransitionReason =
  | 'manual-start'
  | 'manual-stop'
  | 'automatic-start'
  | 'connect-retry-expired'
  | 'delay-open-expired'
  | 'tcp-connected'
  | 'tcp-failed'
  | 'open-received'
  | 'open-rejected'
  | 'keepalive-received'
  | 'hold-timer-expired'
  | 'notification-received'
  | 'decode-error'
  | 'fsm-error'
  | 'collision'
  | 'collision-adopted'
  | 'connection-refused-in-idle';

/** The result of one {@link step}. */
export interface Transition {
  state: FsmState;
  actions: FsmAction[];
  /** Present when `state.name` changed (or a reset happened). */
  reason?: TransitionReason;
}

/** Static FSM settings; every duration in seconds unless named `Ms`. */
export interface FsmConfig {
  /** Never initiate TCP; wait in Active for the peer. @default false */
  passive: boolean;
  /** ConnectRetryTime (RFC 4271 §10 suggests 120 s). @default 10 */
  connectRetryTime: number;
  /** The hold time we offer. @default 90 */
  holdTime: number;
  /** Our keepalive interval, capped at hold/3. @default hold/3 */
  keepaliveTime?: number;
  /** The hold timer while waiting for the OPEN (RFC 4271 §8.2.2 suggests 4 minutes). @default 240 */
  openHoldTime: number;
  /** DelayOpenTime; 0 disables DelayOpen. @default 0 */
  delayOpenTime: number;
  /** Restart automatically after errors, with `idleHold` back-off. @default true */
  autoRestart: boolean;
  /** Back-off between automatic restarts. @default { initialMs: 1000, maxMs: 120000, factor: 2 } */
  idleHold: BackoffOptions;
  /**
   * How failures before Established are retried. `rfc4271` (default): RFC 4271 §8.2.2 — a refused
   * connection goes to Idle (`idleHold` back-off), a connection closed in OpenSent waits
   * ConnectRetryTime in Active, an unanswered connect is retried when ConnectRetryTime expires.
   * `backoff`: every failure (refused, closed in OpenSent, connect timed out after
   * ConnectRetryTime) goes to Idle and the next attempt starts after 0 s the first time, then
   * `idleHold` (initial, doubling, capped) — MetalLB's native speaker; reset on Established.
   * @default 'rfc4271'
   */
  reconnect?: ReconnectMode;
  /** The OPEN we send. */
  localOpen: Open;
  /** What a received OPEN must satisfy. */
  expectations: OpenExpectations;
}
