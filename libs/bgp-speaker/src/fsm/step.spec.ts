import { IPAddress } from '@metallb-ts/netaddr';
import { describe, expect, it } from 'vitest';
import { initialFsmState, resolveCollision, step, type FsmAction, type FsmConfig, type FsmEvent, type FsmState, type Open, type StateName } from '../index.js';

const localOpen: Open = {
  type: 'open',
  version: 4,
  myAs: 64512,
  holdTime: 90,
  bgpId: IPAddress.parse('198.51.100.1'),
  capabilities: [{ code: 'multiprotocol', afi: 1, safi: 1 }, { code: 'four-octet-as', asn: 64512 }],
  otherParameters: [],
};
const peerOpen = (over: Partial<Open> = {}): Open => ({ ...localOpen, myAs: 64513, holdTime: 30, bgpId: IPAddress.parse('198.51.100.2'), capabilities: [{ code: 'four-octet-as', asn: 64513 }], ...over });

const cfg = (over: Partial<FsmConfig> = {}): FsmConfig => ({
  passive: false,
  connectRetryTime: 10,
  holdTime: 90,
  openHoldTime: 240,
  delayOpenTime: 0,
  autoRestart: true,
  idleHold: { initialMs: 1000, maxMs: 120_000, factor: 2 },
  localOpen,
  expectations: { localAsn: 64512, peerAsn: 64513, localId: localOpen.bgpId },
  ...over,
});

/** A compact rendering of actions: `send:open`, `start:hold:240000`, `stop:keepalive`, `close`… */
function render(actions: FsmAction[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'send':
        return a.message.type === 'notification' ? `send:notification:${a.message.code}/${a.message.subcode}` : `send:${a.message.type}`;
      case 'start-timer':
        return `start:${a.timer}:${a.ms}`;
      case 'stop-timer':
        return `stop:${a.timer}`;
      default:
        return a.type;
    }
  });
}

const negotiatedState = (name: StateName): FsmState => {
  const t = step({ name: 'open-sent', connectRetryCounter: 0, initiatedLocally: true }, { type: 'message', message: peerOpen() }, cfg());
  return { ...t.state, name };
};
const S = (name: StateName, counter = 0): FsmState => (name === 'open-confirm' || name === 'established' ? { ...negotiatedState(name), connectRetryCounter: counter } : { name, connectRetryCounter: counter, ...(name === 'open-sent' ? { initiatedLocally: true } : {}) });
const stopAll = ['stop:connect-retry', 'stop:hold', 'stop:keepalive', 'stop:delay-open'];
const KA: FsmEvent = { type: 'message', message: { type: 'keepalive' } };
const UPD: FsmEvent = { type: 'message', message: { type: 'update', withdrawn: [], attributes: [], nlri: [] } };

// [from, event, to, actions, reason] — RFC 4271 §8.2.2, one row per rule.
const table: [FsmState, FsmEvent, StateName, string[], string | undefined][] = [
  // Idle
  [S('idle'), { type: 'manual-start' }, 'connect', ['stop:idle-hold', 'start:connect-retry:10000', 'connect'], 'manual-start'],
  [S('idle', 3), { type: 'timer-expired', timer: 'idle-hold' }, 'connect', ['stop:idle-hold', 'start:connect-retry:10000', 'connect'], 'automatic-start'],
  [S('idle'), { type: 'tcp-connected', direction: 'inbound' }, 'idle', ['close'], 'connection-refused-in-idle'],
  [S('idle'), KA, 'idle', [], undefined],
  // Connect
  [S('connect'), { type: 'tcp-connected', direction: 'outbound' }, 'open-sent', ['stop:connect-retry', 'send:open', 'start:hold:240000'], 'tcp-connected'],
  [S('connect'), { type: 'timer-expired', timer: 'connect-retry' }, 'connect', ['close', 'start:connect-retry:10000', 'connect'], 'connect-retry-expired'],
  [S('connect'), { type: 'tcp-failed' }, 'idle', [...stopAll, 'close', 'start:idle-hold:1000'], 'tcp-failed'],
  [S('connect', 2), { type: 'tcp-failed' }, 'idle', [...stopAll, 'close', 'start:idle-hold:4000'], 'tcp-failed'],
  [S('connect'), { type: 'manual-stop' }, 'idle', [...stopAll, 'close'], 'manual-stop'],
  [S('connect'), KA, 'idle', [...stopAll, 'close', 'start:idle-hold:1000'], 'fsm-error'],
  // Active (passive session)
  [S('active'), { type: 'tcp-connected', direction: 'inbound' }, 'open-sent', ['stop:connect-retry', 'send:open', 'start:hold:240000'], 'tcp-connected'],
  // OpenSent
  [S('open-sent'), { type: 'message', message: peerOpen() }, 'open-confirm', ['stop:connect-retry', 'stop:delay-open', 'send:keepalive', 'start:keepalive:10000', 'start:hold:30000'], 'open-received'],
  [S('open-sent'), { type: 'message', message: peerOpen({ holdTime: 0 }) }, 'open-confirm', ['stop:connect-retry', 'stop:delay-open', 'send:keepalive', 'stop:keepalive', 'stop:hold'], 'open-received'],
  [S('open-sent'), { type: 'message', message: peerOpen({ capabilities: [{ code: 'four-octet-as', asn: 64999 }] }) }, 'idle', ['send:notification:2/2', ...stopAll, 'close', 'start:idle-hold:1000'], 'open-rejected'],
  [S('open-sent'), { type: 'message', message: peerOpen({ version: 3 }) }, 'idle', ['send:notification:2/1', ...stopAll, 'close', 'start:idle-hold:1000'], 'open-rejected'],
  [S('open-sent'), { type: 'message', message: peerOpen({ holdTime: 2 }) }, 'idle', ['send:notification:2/6', ...stopAll, 'close', 'start:idle-hold:1000'], 'open-rejected'],
  [S('open-sent'), { type: 'message', message: peerOpen({ otherParameters: [{ type: 1, value: new Uint8Array(2) }] }) }, 'idle', ['send:notification:2/4', ...stopAll, 'close', 'start:idle-hold:1000'], 'open-rejected'],
  [S('open-sent'), { type: 'timer-expired', timer: 'hold' }, 'idle', ['send:notification:4/0', ...stopAll, 'close', 'start:idle-hold:1000'], 'hold-timer-expired'],
  [S('open-sent'), KA, 'idle', ['send:notification:5/1', ...stopAll, 'close', 'start:idle-hold:1000'], 'fsm-error'],
  [S('open-sent'), { type: 'tcp-failed' }, 'active', ['stop:hold', 'close', 'start:connect-retry:10000'], 'tcp-failed'],
  [S('open-sent'), { type: 'manual-stop' }, 'idle', ['send:notification:6/2', ...stopAll, 'close'], 'manual-stop'],
  [S('open-sent'), { type: 'collision-dump' }, 'idle', ['send:notification:6/7', ...stopAll, 'close', 'start:idle-hold:1000'], 'collision'],
  [S('open-sent'), { type: 'message', message: { type: 'notification', code: 2, subcode: 1, data: new Uint8Array(0) } }, 'idle', ['notification-received', ...stopAll, 'close', 'start:idle-hold:1000'], 'notification-received'],
  // Collision winner adopted (RFC 4271 §6.8): after the loser was dumped, or with no connection up
  [S('idle', 1), { type: 'collision-adopted' }, 'open-sent', ['stop:idle-hold', 'stop:connect-retry', 'send:open', 'start:hold:240000'], 'collision-adopted'],
  [S('connect'), { type: 'collision-adopted' }, 'open-sent', ['stop:idle-hold', 'stop:connect-retry', 'send:open', 'start:hold:240000'], 'collision-adopted'],
  [S('active'), { type: 'collision-adopted' }, 'open-sent', ['stop:idle-hold', 'stop:connect-retry', 'send:open', 'start:hold:240000'], 'collision-adopted'],
  [{ name: 'active', connectRetryCounter: 0, initiatedLocally: true }, { type: 'collision-adopted' }, 'active', [], undefined],
  [S('open-sent'), { type: 'collision-adopted' }, 'open-sent', [], undefined],
  [S('open-confirm'), { type: 'collision-adopted' }, 'open-confirm', [], undefined],
  [S('established'), { type: 'collision-adopted' }, 'established', [], undefined],
  // OpenConfirm
  [S('open-confirm'), KA, 'established', ['start:hold:30000', 'established'], 'keepalive-received'],
  [S('open-confirm'), { type: 'timer-expired', timer: 'keepalive' }, 'open-confirm', ['send:keepalive', 'start:keepalive:10000'], undefined],
  [S('open-confirm'), { type: 'timer-expired', timer: 'hold' }, 'idle', ['send:notification:4/0', ...stopAll, 'close', 'start:idle-hold:1000'], 'hold-timer-expired'],
  [S('open-confirm'), UPD, 'idle', ['send:notification:5/2', ...stopAll, 'close', 'start:idle-hold:1000'], 'fsm-error'],
  [S('open-confirm'), { type: 'manual-stop' }, 'idle', ['send:notification:6/2', ...stopAll, 'close'], 'manual-stop'],
  // Established
  [S('established'), KA, 'established', ['start:hold:30000'], undefined],
  [S('established'), UPD, 'established', ['start:hold:30000', 'update-received'], undefined],
  [S('established'), { type: 'message', message: { type: 'route-refresh', afi: 1, safi: 1, subtype: 0 } }, 'established', ['start:hold:30000', 'route-refresh-received'], undefined],
  [S('established'), { type: 'timer-expired', timer: 'keepalive' }, 'established', ['send:keepalive', 'start:keepalive:10000'], undefined],
  [S('established'), { type: 'timer-expired', timer: 'hold' }, 'idle', ['send:notification:4/0', ...stopAll, 'close', 'down', 'start:idle-hold:1000'], 'hold-timer-expired'],
  [S('established'), { type: 'message', message: peerOpen() }, 'idle', ['send:notification:5/3', ...stopAll, 'close', 'down', 'start:idle-hold:1000'], 'fsm-error'],
  [S('established'), { type: 'tcp-failed' }, 'idle', [...stopAll, 'close', 'down', 'start:idle-hold:1000'], 'tcp-failed'],
  [S('established'), { type: 'message', message: { type: 'notification', code: 6, subcode: 2, data: new Uint8Array(0) } }, 'idle', ['notification-received', ...stopAll, 'close', 'down', 'start:idle-hold:1000'], 'notification-received'],
  [S('established'), { type: 'manual-stop' }, 'idle', ['send:notification:6/2', ...stopAll, 'close', 'down'], 'manual-stop'],
  [S('established'), { type: 'manual-stop', graceful: true }, 'idle', [...stopAll, 'close', 'down'], 'manual-stop'],
  [S('established'), { type: 'manual-stop', ceaseSubcode: 3 }, 'idle', ['send:notification:6/3', ...stopAll, 'close', 'down'], 'manual-stop'],
];

describe('FSM transition table (RFC 4271 §8.2.2)', () => {
  it.each(table.map((r) => ({ from: r[0].name, ev: r[1].type === 'message' ? `message:${r[1].message.type}` : r[1].type === 'timer-expired' ? `timer:${r[1].timer}` : r[1].type, row: r })))('$from + $ev', ({ row }) => {
    const [from, ev, to, actions, reason] = row;
    const t = step(from, ev, cfg());
    expect(t.state.name).toBe(to);
    expect(render(t.actions)).toEqual(actions);
    expect(t.reason).toBe(reason);
  });

  it('is pure: the input state is never mutated', () => {
    const s = Object.freeze(S('open-sent'));
    step(s, { type: 'message', message: peerOpen() }, cfg());
    expect(s.name).toBe('open-sent');
  });

  it('negotiates the smaller hold time and a third of it as keepalive (RFC 4271 §4.2)', () => {
    const t = step(S('open-sent'), { type: 'message', message: peerOpen({ holdTime: 9 }) }, cfg({ holdTime: 90 }));
    expect(t.state.negotiated?.holdTime).toBe(9);
    expect(t.state.negotiated?.keepaliveTime).toBe(3);
  });

  it('passive sessions wait in Active and never connect', () => {
    const t = step(initialFsmState, { type: 'manual-start' }, cfg({ passive: true }));
    expect(t.state.name).toBe('active');
    expect(render(t.actions)).not.toContain('connect');
    const t2 = step(t.state, { type: 'timer-expired', timer: 'connect-retry' }, cfg({ passive: true }));
    expect(render(t2.actions)).toEqual(['start:connect-retry:10000']);
  });

  it('the idle-hold back-off doubles per failure up to its cap and resets on Established', () => {
    let s: FsmState = initialFsmState;
    const delays: number[] = [];
    s = step(s, { type: 'manual-start' }, cfg()).state;
    for (let i = 0; i < 9; i++) {
      const t = step(s, { type: 'tcp-failed' }, cfg({ idleHold: { initialMs: 1000, maxMs: 60_000, factor: 2 } }));
      const a = t.actions.find((x) => x.type === 'start-timer' && x.timer === 'idle-hold');
      delays.push(a && a.type === 'start-timer' ? a.ms : -1);
      s = step(t.state, { type: 'timer-expired', timer: 'idle-hold' }, cfg()).state;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    const est = step(S('open-confirm', 7), KA, cfg());
    expect(est.state.connectRetryCounter).toBe(0);
  });

  it("reconnect 'backoff' (MetalLB): retries after 0 s, then 1, 2, 4 s… capped; reset on Established", () => {
    const b = cfg({ reconnect: 'backoff', idleHold: { initialMs: 1000, maxMs: 8000, factor: 2 } });
    let s: FsmState = step(initialFsmState, { type: 'manual-start' }, b).state;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t = step(s, { type: 'tcp-failed' }, b);
      expect(t.state.name).toBe('idle');
      const a = t.actions.find((x) => x.type === 'start-timer' && x.timer === 'idle-hold');
      delays.push(a && a.type === 'start-timer' ? a.ms : -1);
      s = step(t.state, { type: 'timer-expired', timer: 'idle-hold' }, b).state;
      expect(s.name).toBe('connect');
    }
    expect(delays).toEqual([0, 1000, 2000, 4000, 8000, 8000]);
    expect(step(S('open-confirm', 5), KA, b).state.connectRetryCounter).toBe(0);
  });

  it("reconnect 'backoff': a connection closed in OpenSent and an unanswered connect go to Idle (no ConnectRetryTime wait)", () => {
    const b = cfg({ reconnect: 'backoff' });
    const closed = step(S('open-sent'), { type: 'tcp-failed' }, b);
    expect(closed.state).toEqual({ name: 'idle', connectRetryCounter: 1 });
    expect(render(closed.actions)).toEqual([...stopAll, 'close', 'start:idle-hold:0']);
    const timedOut = step(S('connect', 1), { type: 'timer-expired', timer: 'connect-retry' }, b);
    expect(timedOut.state).toEqual({ name: 'idle', connectRetryCounter: 2 });
    expect(render(timedOut.actions)).toEqual([...stopAll, 'close', 'start:idle-hold:1000']);
    expect(timedOut.reason).toBe('connect-retry-expired');
    // The default stays RFC 4271: Active with ConnectRetryTime.
    expect(step(S('open-sent'), { type: 'tcp-failed' }, cfg()).state.name).toBe('active');
    // Passive sessions keep waiting for the peer.
    expect(render(step(S('active'), { type: 'timer-expired', timer: 'connect-retry' }, cfg({ reconnect: 'backoff', passive: true })).actions)).toEqual(['start:connect-retry:10000']);
  });

  it('iBGP with our own BGP identifier is refused (RFC 6286 §2.2)', () => {
    const t = step(S('open-sent'), { type: 'message', message: peerOpen({ myAs: 64512, bgpId: localOpen.bgpId, capabilities: [] }) }, cfg({ expectations: { localAsn: 64512, peerAsn: 'internal', localId: localOpen.bgpId } }));
    expect(render(t.actions)[0]).toBe('send:notification:2/3');
  });

  it('dynamic peer ASN: internal accepts only our ASN, external any other', () => {
    const exp = (peerAsn: 'internal' | 'external') => cfg({ expectations: { localAsn: 64512, peerAsn, localId: localOpen.bgpId } });
    expect(step(S('open-sent'), { type: 'message', message: peerOpen() }, exp('external')).state.name).toBe('open-confirm');
    expect(step(S('open-sent'), { type: 'message', message: peerOpen() }, exp('internal')).state.name).toBe('idle');
    const ibgp = peerOpen({ myAs: 64512, capabilities: [] });
    expect(step(S('open-sent'), { type: 'message', message: ibgp }, exp('internal')).state.name).toBe('open-confirm');
  });

  it('4-octet peers are identified by the capability, not "My AS" (RFC 6793)', () => {
    const t = step(S('open-sent'), { type: 'message', message: peerOpen({ myAs: 23456, capabilities: [{ code: 'four-octet-as', asn: 65540 }] }) }, cfg({ expectations: { localAsn: 64512, peerAsn: 65540, localId: localOpen.bgpId } }));
    expect(t.state.name).toBe('open-confirm');
    expect(t.state.negotiated?.peerAsn).toBe(65540);
  });

  it('collision resolution keeps the connection initiated by the higher BGP identifier (RFC 4271 §6.8)', () => {
    // [localId, remoteId, existing initiated locally] → decision
    expect(resolveCollision(2n, 1n, true)).toBe('keep-existing');
    expect(resolveCollision(2n, 1n, false)).toBe('keep-new');
    expect(resolveCollision(1n, 2n, true)).toBe('keep-new');
    expect(resolveCollision(1n, 2n, false)).toBe('keep-existing');
  });

  it('a collision winner keeps the ConnectRetryCounter and records who initiated it (the peer)', () => {
    const dumped = step(S('open-sent', 2), { type: 'collision-dump' }, cfg());
    expect(dumped.state).toEqual({ name: 'idle', connectRetryCounter: 3 });
    const t = step(dumped.state, { type: 'collision-adopted' }, cfg());
    expect(t.state).toEqual({ name: 'open-sent', connectRetryCounter: 3, initiatedLocally: false });
  });

  it('a collision winner under DelayOpen waits in Active for the delay or the peer\'s OPEN', () => {
    const c = cfg({ delayOpenTime: 5 });
    const t = step(S('idle'), { type: 'collision-adopted' }, c);
    expect(t.state).toEqual({ name: 'active', connectRetryCounter: 0, initiatedLocally: false });
    expect(render(t.actions)).toEqual(['stop:idle-hold', 'stop:connect-retry', 'start:delay-open:5000']);
    expect(t.reason).toBe('collision-adopted');
    expect(step(t.state, { type: 'message', message: peerOpen() }, c).state.name).toBe('open-confirm');
  });

  it('DelayOpen: the OPEN waits for the timer, or goes out with KEEPALIVE when the peer speaks first', () => {
    const c = cfg({ delayOpenTime: 5 });
    const t = step(S('connect'), { type: 'tcp-connected', direction: 'outbound' }, c);
    expect(render(t.actions)).toEqual(['stop:connect-retry', 'start:delay-open:5000']);
    const a = step(t.state, { type: 'timer-expired', timer: 'delay-open' }, c);
    expect(a.state.name).toBe('open-sent');
    const b = step(t.state, { type: 'message', message: peerOpen() }, c);
    expect(b.state.name).toBe('open-confirm');
    expect(render(b.actions).slice(2, 4)).toEqual(['send:open', 'send:keepalive']);
  });
});
