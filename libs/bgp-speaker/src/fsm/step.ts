import { exponentialBackoff } from '@metallb-ts/clock';
import { assertNever } from '@metallb-ts/errors';
import { CeaseSubcode, ErrCode, FsmSubcode } from '../wire/constants.js';
import { negotiate, validateOpen } from '../wire/negotiate.js';
import { notificationFor } from '../wire/message.js';
import type { BgpMessage, Notification, Open } from '../wire/types.js';
import type { FsmAction, FsmConfig, FsmEvent, FsmState, StateName, TimerKind, Transition, TransitionReason } from './types.js';

/** The initial state: Idle, counter 0. */
export const initialFsmState: FsmState = Object.freeze({ name: 'idle', connectRetryCounter: 0 });

const ALL_TIMERS: readonly TimerKind[] = ['connect-retry', 'hold', 'keepalive', 'delay-open'];

const start = (timer: TimerKind, seconds: number): FsmAction => ({ type: 'start-timer', timer, ms: seconds * 1000 });
const stop = (timer: TimerKind): FsmAction => ({ type: 'stop-timer', timer });
const send = (message: BgpMessage): FsmAction => ({ type: 'send', message });
const notification = (code: number, subcode: number, data = new Uint8Array(0)): Notification => ({ type: 'notification', code, subcode, data });

/** RFC 6608 subcode for an unexpected message in each state. */
const FSM_ERROR_SUBCODE: Partial<Record<StateName, number>> = {
  'open-sent': FsmSubcode.UNEXPECTED_IN_OPEN_SENT,
  'open-confirm': FsmSubcode.UNEXPECTED_IN_OPEN_CONFIRM,
  established: FsmSubcode.UNEXPECTED_IN_ESTABLISHED,
};

/**
 * The BGP FSM of RFC 4271 §8.2.2 as a pure function: the next state and the actions the driver
 * must perform, in order. Timers are actions; nothing here reads a clock or a socket.
 */
export function step(s: FsmState, e: FsmEvent, cfg: FsmConfig): Transition {
  switch (s.name) {
    case 'idle':
      return idle(s, e, cfg);
    case 'connect':
    case 'active':
      return connecting(s, e, cfg);
    case 'open-sent':
    case 'open-confirm':
    case 'established':
      return opened(s, e, cfg);
    default:
      return assertNever(s.name, 'BGP FSM state');
  }
}

/** Back to Idle after an error: close, stop timers, count, maybe schedule an automatic restart. */
function toIdle(s: FsmState, cfg: FsmConfig, reason: TransitionReason, pre: FsmAction[], opts: { count?: boolean; restart?: boolean } = {}): Transition {
  const counter = opts.count === false ? s.connectRetryCounter : s.connectRetryCounter + 1;
  const actions: FsmAction[] = [...pre, ...ALL_TIMERS.map(stop), { type: 'close' }];
  if (s.name === 'established') actions.push({ type: 'down' });
  if ((opts.restart ?? true) && cfg.autoRestart) {
    actions.push({ type: 'start-timer', timer: 'idle-hold', ms: idleHoldMs(counter, cfg) });
  }
  return { state: { name: 'idle', connectRetryCounter: counter }, actions, reason };
}

/** The automatic-restart delay after the `counter`-th consecutive failure (see {@link FsmConfig.reconnect}). */
function idleHoldMs(counter: number, cfg: FsmConfig): number {
  if (cfg.reconnect === 'backoff') return counter <= 1 ? 0 : Math.round(exponentialBackoff(counter - 2, cfg.idleHold));
  return Math.round(exponentialBackoff(Math.max(0, counter - 1), cfg.idleHold));
}

function startConnecting(s: FsmState, cfg: FsmConfig, reason: TransitionReason, counter: number): Transition {
  if (cfg.passive) {
    return { state: { name: 'active', connectRetryCounter: counter }, actions: [stop('idle-hold'), start('connect-retry', cfg.connectRetryTime)], reason };
  }
  return {
    state: { name: 'connect', connectRetryCounter: counter },
    actions: [stop('idle-hold'), start('connect-retry', cfg.connectRetryTime), { type: 'connect' }],
    reason,
  };
}

function idle(s: FsmState, e: FsmEvent, cfg: FsmConfig): Transition {
  switch (e.type) {
    case 'manual-start':
      return startConnecting(s, cfg, 'manual-start', 0);
    case 'automatic-start':
      return startConnecting(s, cfg, 'automatic-start', s.connectRetryCounter);
    case 'timer-expired':
      if (e.timer === 'idle-hold' && cfg.autoRestart) return startConnecting(s, cfg, 'automatic-start', s.connectRetryCounter);
      return { state: s, actions: [] };
    case 'manual-stop':
      return { state: { name: 'idle', connectRetryCounter: 0 }, actions: [stop('idle-hold')] };
    case 'tcp-connected':
      // RFC 4271 §8.2.2 Idle: incoming connections are refused.
      return { state: s, actions: [{ type: 'close' }], reason: 'connection-refused-in-idle' };
    case 'collision-adopted':
      // The usual path: the losing connection was just dumped (Idle), the winner takes over.
      return adoptCollisionWinner(s, cfg);
    default:
      return { state: s, actions: [] };
  }
}

/**
 * RFC 4271 §6.8: the peer's inbound connection won the collision and replaces ours. It starts
 * like any inbound connection accepted in Active (OPEN, or DelayOpen), keeping the
 * ConnectRetryCounter and cancelling a pending automatic restart.
 */
function adoptCollisionWinner(s: FsmState, cfg: FsmConfig): Transition {
  const t = connected({ name: 'active', connectRetryCounter: s.connectRetryCounter }, cfg, 'inbound');
  return { state: t.state, actions: [stop('idle-hold'), ...t.actions], reason: 'collision-adopted' };
}

/** Sends our OPEN on a fresh connection and waits in OpenSent (or DelayOpen in Connect/Active). */
function connected(s: FsmState, cfg: FsmConfig, direction: 'outbound' | 'inbound'): Transition {
  const initiatedLocally = direction === 'outbound';
  if (cfg.delayOpenTime > 0) {
    return { state: { ...s, initiatedLocally }, actions: [stop('connect-retry'), start('delay-open', cfg.delayOpenTime)], reason: 'tcp-connected' };
  }
  return {
    state: { name: 'open-sent', connectRetryCounter: s.connectRetryCounter, initiatedLocally },
    actions: [stop('connect-retry'), send(cfg.localOpen), start('hold', cfg.openHoldTime)],
    reason: 'tcp-connected',
  };
}

function connecting(s: FsmState, e: FsmEvent, cfg: FsmConfig): Transition {
  const delayOpen = s.initiatedLocally !== undefined; // a connection is up, waiting for DelayOpen
  switch (e.type) {
    case 'manual-start':
    case 'automatic-start':
      return { state: s, actions: [] };
    case 'manual-stop':
      return { state: { name: 'idle', connectRetryCounter: 0 }, actions: [...ALL_TIMERS.map(stop), { type: 'close' }], reason: 'manual-stop' };
    case 'timer-expired':
      switch (e.timer) {
        case 'connect-retry':
          if (cfg.passive) return { state: s, actions: [start('connect-retry', cfg.connectRetryTime)] };
          // `backoff`: an unanswered connect counts as a failure, paced by the idle-hold back-off.
          if (cfg.reconnect === 'backoff' && !delayOpen) return toIdle(s, cfg, 'connect-retry-expired', []);
          // §8.2.2 Connect/Active, event 9: drop the attempt, restart the timer, try again.
          return { state: { name: 'connect', connectRetryCounter: s.connectRetryCounter }, actions: [{ type: 'close' }, start('connect-retry', cfg.connectRetryTime), { type: 'connect' }], reason: 'connect-retry-expired' };
        case 'delay-open':
          if (!delayOpen) return { state: s, actions: [] };
          return { state: { name: 'open-sent', connectRetryCounter: s.connectRetryCounter, initiatedLocally: s.initiatedLocally! }, actions: [send(cfg.localOpen), start('hold', cfg.openHoldTime)], reason: 'delay-open-expired' };
        default:
          return { state: s, actions: [] };
      }
    case 'tcp-connected':
      if (delayOpen) return { state: s, actions: [{ type: 'close' }] }; // one connection at a time; collisions are the driver's
      return connected(s, cfg, e.direction);
    case 'tcp-failed':
      if (delayOpen || s.name === 'connect') {
        // §8.2.2 Connect, event 18: back to Idle (the idle-hold back-off paces retries).
        return toIdle(s, cfg, 'tcp-failed', []);
      }
      return { state: s, actions: [start('connect-retry', cfg.connectRetryTime)] };
    case 'message':
      if (e.message.type === 'open' && delayOpen) return acceptOpen(s, e.message, cfg, true);
      if (e.message.type === 'notification') return toIdle(s, cfg, 'notification-received', [{ type: 'notification-received', notification: e.message }]);
      return toIdle(s, cfg, 'fsm-error', []);
    case 'decode-error':
      return toIdle(s, cfg, 'decode-error', [send(notificationFor(e.error))]);
    case 'collision-dump':
      return toIdle(s, cfg, 'collision', [send(notification(ErrCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION))]);
    case 'collision-adopted':
      // A DelayOpen connection is still up: the driver must dump it first (`collision-dump`).
      if (delayOpen) return { state: s, actions: [] };
      return adoptCollisionWinner(s, cfg);
    default:
      return assertNever(e, 'BGP FSM event');
  }
}

/** An OPEN arrived: validate (RFC 4271 §6.2), negotiate, KEEPALIVE, OpenConfirm. */
function acceptOpen(s: FsmState, open: Open, cfg: FsmConfig, delayed: boolean): Transition {
  const err = validateOpen(open, cfg.expectations);
  if (err) return toIdle(s, cfg, 'open-rejected', [send(notificationFor(err))]);
  const negotiated = negotiate(cfg.localOpen, open, cfg.expectations.localAsn, cfg.keepaliveTime);
  const actions: FsmAction[] = [stop('connect-retry'), stop('delay-open')];
  if (delayed) actions.push(send(cfg.localOpen));
  actions.push(send({ type: 'keepalive' }));
  if (negotiated.holdTime > 0) actions.push(start('keepalive', negotiated.keepaliveTime), start('hold', negotiated.holdTime));
  else actions.push(stop('keepalive'), stop('hold'));
  return {
    state: { name: 'open-confirm', connectRetryCounter: s.connectRetryCounter, initiatedLocally: s.initiatedLocally ?? false, negotiated, peerOpen: open },
    actions,
    reason: 'open-received',
  };
}

function opened(s: FsmState, e: FsmEvent, cfg: FsmConfig): Transition {
  const fsmError = (): Transition =>
    toIdle(s, cfg, 'fsm-error', [send(notification(ErrCode.FSM, FSM_ERROR_SUBCODE[s.name] ?? FsmSubcode.UNSPECIFIED))]);
  const holdRestart = (): FsmAction[] => (s.negotiated && s.negotiated.holdTime > 0 ? [start('hold', s.negotiated.holdTime)] : []);
  switch (e.type) {
    case 'manual-start':
    case 'automatic-start':
      return { state: s, actions: [] };
    case 'manual-stop': {
      const pre: FsmAction[] = e.graceful ? [] : [send(notification(ErrCode.CEASE, e.ceaseSubcode ?? CeaseSubcode.ADMINISTRATIVE_SHUTDOWN))];
      const t = toIdle(s, cfg, 'manual-stop', pre, { restart: false });
      return { ...t, state: { name: 'idle', connectRetryCounter: 0 } };
    }
    case 'timer-expired':
      switch (e.timer) {
        case 'hold':
          return toIdle(s, cfg, 'hold-timer-expired', [send(notification(ErrCode.HOLD_TIMER_EXPIRED, 0))]);
        case 'keepalive':
          if (s.name === 'open-sent') return { state: s, actions: [] };
          return { state: s, actions: [send({ type: 'keepalive' }), start('keepalive', s.negotiated!.keepaliveTime)] };
        case 'connect-retry':
        case 'delay-open':
          if (s.name === 'open-sent') return fsmError();
          return { state: s, actions: [] };
        default:
          return { state: s, actions: [] };
      }
    case 'tcp-connected':
      // A second connection while one is open: the driver resolves collisions; refuse here.
      return { state: s, actions: [] };
    case 'tcp-failed':
      if (s.name === 'open-sent' && cfg.reconnect !== 'backoff') {
        // §8.2.2 OpenSent, event 18: close, restart ConnectRetryTimer, go to Active.
        return { state: { name: 'active', connectRetryCounter: s.connectRetryCounter }, actions: [stop('hold'), { type: 'close' }, start('connect-retry', cfg.connectRetryTime)], reason: 'tcp-failed' };
      }
      return toIdle(s, cfg, 'tcp-failed', []);
    case 'decode-error':
      return toIdle(s, cfg, 'decode-error', [send(notificationFor(e.error))]);
    case 'collision-dump':
      return toIdle(s, cfg, 'collision', [send(notification(ErrCode.CEASE, CeaseSubcode.CONNECTION_COLLISION_RESOLUTION))], { count: true });
    case 'collision-adopted':
      // The open connection stays until the driver dumps it (`collision-dump`); Established
      // never gives way (RFC 4271 §6.8: the new connection is closed instead).
      return { state: s, actions: [] };
    case 'message': {
      const m = e.message;
      if (m.type === 'notification') {
        // A version error NOTIFICATION does not count against the peer (§8.2.2 event 24).
        const versionErr = m.code === ErrCode.OPEN_MESSAGE && m.subcode === 1;
        return toIdle(s, cfg, 'notification-received', [{ type: 'notification-received', notification: m }], { count: !versionErr });
      }
      if (s.name === 'open-sent') {
        if (m.type === 'open') return acceptOpen(s, m, cfg, false);
        return fsmError();
      }
      if (s.name === 'open-confirm') {
        if (m.type === 'keepalive') {
          return {
            state: { ...s, name: 'established', connectRetryCounter: 0 },
            actions: [...holdRestart(), { type: 'established', negotiated: s.negotiated!, peerOpen: s.peerOpen! }],
            reason: 'keepalive-received',
          };
        }
        return fsmError();
      }
      // established
      switch (m.type) {
        case 'keepalive':
          return { state: s, actions: holdRestart() };
        case 'update':
          return { state: s, actions: [...holdRestart(), { type: 'update-received', update: m }] };
        case 'route-refresh':
          return { state: s, actions: [...holdRestart(), { type: 'route-refresh-received', afi: m.afi, safi: m.safi }] };
        case 'open':
          return fsmError();
        default:
          return assertNever(m, 'BGP message type');
      }
    }
    default:
      return assertNever(e, 'BGP FSM event');
  }
}

/**
 * RFC 4271 §6.8 collision resolution: which connection survives, given both BGP identifiers
 * (compared as unsigned 32-bit integers) and who initiated the existing one.
 */
export function resolveCollision(localId: bigint, remoteId: bigint, existingInitiatedLocally: boolean): 'keep-existing' | 'keep-new' {
  // The connection initiated by the speaker with the higher BGP identifier survives.
  const keepLocallyInitiated = localId > remoteId;
  return keepLocallyInitiated === existingInitiatedLocally ? 'keep-existing' : 'keep-new';
}
