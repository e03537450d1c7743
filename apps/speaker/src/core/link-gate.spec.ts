import { describe, expect, it } from 'vitest';
import { GATE_IN, l2LinkState, linkUsable, stepLinkGate, type GateLink, type L2LinkState, type LinkGate } from './link-gate.js';
import { computePlan } from './plan.js';
import { config, input, l2adv, node, pool, svc } from './test-fixtures.js';

const up = (name: string): GateLink => ({ name, up: true, carrier: true, use: { kind: 'answering' } });
const noCarrier = (name: string): GateLink => ({ name, up: true, carrier: false, use: { kind: 'skipped', reason: 'no-carrier' } });
const skipped = (name: string, reason: string, carrier = true): GateLink => ({ name, up: true, carrier, use: { kind: 'skipped', reason } });

const P = pool('p', ['198.51.100.0/24']);
const ALL = config([P, l2adv('l2', { ipAddressPools: ['p'] })]);
const ETH1 = config([P, l2adv('l2', { ipAddressPools: ['p'], interfaces: ['eth1'] })]);
const OTHER_NODE = config([P, l2adv('l2', { ipAddressPools: ['p'], nodeSelectors: [{ matchLabels: { zone: 'b' } }] })], [node('n1'), node('n2', { labels: { zone: 'b' } })]);
const NO_L2 = config([P]);

describe('l2LinkState: links + L2Advertisements → usable?', () => {
  it.each<[string, Parameters<typeof l2LinkState>[0], L2LinkState['kind']]>([
    ['one link with carrier, every interface allowed', { node: 'n1', config: ALL, links: [up('eth0')] }, 'usable'],
    ['every link lost carrier', { node: 'n1', config: ALL, links: [noCarrier('eth0'), noCarrier('eth1')] }, 'unusable'],
    ['one of two links lost carrier', { node: 'n1', config: ALL, links: [noCarrier('eth0'), up('eth1')] }, 'usable'],
    ['a link administratively down', { node: 'n1', config: ALL, links: [{ name: 'eth0', up: false, carrier: false, use: { kind: 'skipped', reason: 'down' } }] }, 'unusable'],
    ['only an excluded link has carrier', { node: 'n1', config: ALL, links: [noCarrier('eth0'), skipped('eth1', 'excluded')] }, 'unusable'],
    ['loopback never counts', { node: 'n1', config: ALL, links: [skipped('lo', 'loopback'), noCarrier('eth0')] }, 'unusable'],
    ['a link whose socket failed to open still has carrier', { node: 'n1', config: ALL, links: [skipped('eth0', 'open-failed')] }, 'usable'],
    ['restricted to eth1, eth1 lost carrier, eth0 fine', { node: 'n1', config: ETH1, links: [up('eth0'), noCarrier('eth1')] }, 'unusable'],
    ['restricted to eth1, eth1 fine, eth0 lost carrier', { node: 'n1', config: ETH1, links: [noCarrier('eth0'), up('eth1')] }, 'usable'],
    ['restricted to eth1, which does not exist', { node: 'n1', config: ETH1, links: [up('eth0')] }, 'unusable'],
    ['no L2Advertisement at all: Layer 2 not in use', { node: 'n1', config: NO_L2, links: [noCarrier('eth0')] }, 'notInUse'],
    ['no configuration yet', { node: 'n1', config: undefined, links: [noCarrier('eth0')] }, 'notInUse'],
    ['the only L2Advertisement selects other nodes', { node: 'n1', config: OTHER_NODE, links: [noCarrier('eth0')] }, 'notInUse'],
    ['…and on the node it selects, carrier loss counts', { node: 'n2', config: OTHER_NODE, links: [noCarrier('eth0')] }, 'unusable'],
    ['responder not running (no CAP_NET_RAW)', { node: 'n1', config: ALL, links: undefined }, 'unknown'],
  ])('%s → %s', (_t, o, kind) => {
    expect(l2LinkState(o).kind).toBe(kind);
  });

  it('names the usable links and the restriction', () => {
    expect(l2LinkState({ node: 'n1', config: ALL, links: [up('eth0'), noCarrier('eth1'), up('eth2')] })).toEqual({ kind: 'usable', links: ['eth0', 'eth2'] });
    expect(l2LinkState({ node: 'n1', config: ETH1, links: [noCarrier('eth1')] })).toEqual({ kind: 'unusable', allowed: ['eth1'] });
    expect(l2LinkState({ node: 'n1', config: ALL, links: [] })).toEqual({ kind: 'unusable', allowed: undefined });
  });

  it('linkUsable: up, carrier and qualifying', () => {
    expect(linkUsable(up('eth0'))).toBe(true);
    expect(linkUsable({ ...up('eth0'), carrier: false })).toBe(false);
    expect(linkUsable(skipped('eth0', 'open-failed', false))).toBe(false);
    expect(linkUsable(skipped('eth0', 'enslaved'))).toBe(false);
  });
});

const USABLE: L2LinkState = { kind: 'usable', links: ['eth0'] };
const DOWN: L2LinkState = { kind: 'unusable', allowed: undefined };

/** Runs the gate over (time, state) samples; returns the actions with their times. */
function run(samples: [number, L2LinkState][], hold = 750): { actions: [number, string][]; gate: LinkGate } {
  let gate: LinkGate = GATE_IN;
  const actions: [number, string][] = [];
  for (const [t, s] of samples) {
    const step = stepLinkGate(gate, s, t, hold);
    gate = step.gate;
    if (step.action !== 'none') actions.push([t, step.action]);
  }
  return { actions, gate };
}

describe('stepLinkGate: debounced leave, immediate rejoin', () => {
  it('carrier lost: nothing during the hold, leave once it expired, asks for a re-check at its end', () => {
    const s1 = stepLinkGate(GATE_IN, DOWN, 1000, 750);
    expect(s1).toEqual({ gate: { phase: 'holding', since: 1000 }, action: 'none', recheckAt: 1750 });
    expect(stepLinkGate(s1.gate, DOWN, 1500, 750)).toEqual({ gate: s1.gate, action: 'none', recheckAt: 1750 });
    expect(stepLinkGate(s1.gate, DOWN, 1750, 750)).toEqual({ gate: { phase: 'out' }, action: 'leave' });
  });

  it('a flap shorter than the hold does nothing', () => {
    expect(run([[0, USABLE], [100, DOWN], [400, USABLE], [2000, USABLE]])).toEqual({ actions: [], gate: GATE_IN });
  });

  it('carrier back after the leave: rejoin at once (no hold), then a new loss holds again', () => {
    expect(run([[0, DOWN], [800, DOWN], [5000, USABLE], [5001, DOWN], [5500, USABLE]]).actions).toEqual([[800, 'leave'], [5000, 'rejoin']]);
  });

  it('left and still down: nothing more', () => {
    expect(run([[0, DOWN], [750, DOWN], [900, DOWN], [10_000, DOWN]]).actions).toEqual([[750, 'leave']]);
  });

  it.each<L2LinkState>([{ kind: 'notInUse' }, { kind: 'unknown' }])('never leaves while Layer 2 is %o; rejoins if it had left', (s) => {
    expect(run([[0, s], [10_000, s]]).actions).toEqual([]);
    expect(run([[0, DOWN], [750, DOWN], [800, s]]).actions).toEqual([[750, 'leave'], [800, 'rejoin']]);
  });

  it('hold 0 leaves at once', () => {
    expect(stepLinkGate(GATE_IN, DOWN, 5, 0)).toEqual({ gate: { phase: 'out' }, action: 'leave' });
  });
});

describe('the plan while the links are down', () => {
  it('Layer 2 is withdrawn with noCarrier; BGP-only Services are not touched', () => {
    const plan = computePlan(input({ config: ALL, services: [svc('a', ['198.51.100.10'])], l2LinksDown: true }));
    expect(plan.services.get('default/a')!.l2).toMatchObject({ kind: 'withdraw', reason: 'noCarrier' });
    expect(plan.l2Status.size).toBe(0);
    expect(plan.events).toEqual([]);
  });
});
