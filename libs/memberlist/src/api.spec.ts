import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { BALANCED_PRESET, ConfigError, FAST_PRESET, LAN_PRESET, LOCAL_PRESET, WAN_PRESET, createMemberlist, deriveMetallbKey, parseHostPort, preset, validateTunables } from './index.js';
import { MemoryNetwork, Simulation } from './testing/index.js';

describe('presets equal memberlist DefaultLANConfig / DefaultWANConfig / DefaultLocalConfig (§13.8)', () => {
  it.each([
    ['tcpTimeoutMs', 10_000, 30_000, 1_000],
    ['indirectChecks', 3, 3, 1],
    ['retransmitMult', 4, 4, 2],
    ['suspicionMult', 4, 6, 3],
    ['suspicionMaxTimeoutMult', 6, 6, 6],
    ['pushPullIntervalMs', 30_000, 60_000, 15_000],
    ['probeTimeoutMs', 500, 3_000, 200],
    ['probeIntervalMs', 1_000, 5_000, 1_000],
    ['disableTcpPings', false, false, false],
    ['awarenessMaxMultiplier', 8, 8, 8],
    ['gossipNodes', 3, 4, 3],
    ['gossipIntervalMs', 200, 500, 100],
    ['gossipToTheDeadTimeMs', 30_000, 60_000, 15_000],
    ['enableCompression', true, true, true],
    ['udpBufferSize', 1400, 1400, 1400],
    ['deadNodeReclaimTimeMs', 0, 0, 0],
  ] as const)('%s: LAN %s, WAN %s, Local %s', (field, lan, wan, local) => {
    expect(LAN_PRESET[field]).toBe(lan);
    expect(WAN_PRESET[field]).toBe(wan);
    expect(LOCAL_PRESET[field]).toBe(local);
  });

  it('balanced preset is valid, refuses-dead, and its minimum suspicion is 1.5 s for a small cluster', () => {
    validateTunables(BALANCED_PRESET);
    expect(preset('balanced')).toBe(BALANCED_PRESET);
    expect(BALANCED_PRESET.deadWhenRefused).toBe(true);
    expect(BALANCED_PRESET.suspicionMult * BALANCED_PRESET.probeIntervalMs).toBe(1_500);
    expect(BALANCED_PRESET.probeIntervalMs).toBeLessThan(LAN_PRESET.probeIntervalMs);
  });

  it('fast preset is valid and sub-second by construction', () => {
    validateTunables(FAST_PRESET);
    expect(FAST_PRESET.probeIntervalMs + FAST_PRESET.suspicionMult * FAST_PRESET.probeIntervalMs).toBeLessThan(1000);
    expect(preset('fast')).toBe(FAST_PRESET);
    expect(() => preset('turbo')).toThrow(/unknown preset "turbo"/);
  });

  it('validation names the field', () => {
    expect(() => validateTunables({ ...LAN_PRESET, probeIntervalMs: 0 })).toThrow(ConfigError);
    expect(() => validateTunables({ ...LAN_PRESET, gossipNodes: -1 })).toThrow(/gossipNodes/);
    expect(() => validateTunables({ ...LAN_PRESET, udpBufferSize: 70_000 })).toThrow(/udpBufferSize/);
  });
});

describe('addresses and options', () => {
  it.each([
    ['10.0.0.1', { ip: '10.0.0.1', port: 7946 }],
    ['10.0.0.1:8000', { ip: '10.0.0.1', port: 8000 }],
    ['[2001:db8::1]:9', { ip: '2001:db8::1', port: 9 }],
    ['[2001:DB8::1]', { ip: '2001:db8::1', port: 7946 }],
    ['2001:db8::2', { ip: '2001:db8::2', port: 7946 }],
  ])('parseHostPort(%s)', (s, want) => {
    expect(parseHostPort(s, 7946)).toEqual(want);
  });

  it.each(['host.example', '10.0.0.1:99999', '010.0.0.1', '10.0.0.1:x', ''])('parseHostPort rejects %j', (s) => {
    expect(() => parseHostPort(s, 7946, 'join')).toThrow(ConfigError);
  });

  it('createMemberlist refuses bad options with a clear error', () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
    const base = { clock, rng: new SeededRng(2) };
    expect(() => createMemberlist({ ...base, name: '', transport: net.transport('10.1.0.1') })).toThrow(/name/);
    expect(() => createMemberlist({ ...base, name: 'a', transport: net.transport('10.1.0.2'), meta: new Uint8Array(513) })).toThrow(/512/);
    expect(() => createMemberlist({ ...base, name: 'a', transport: net.transport('0.0.0.0') })).toThrow(/advertise/);
    expect(() => createMemberlist({ ...base, name: 'a', transport: net.transport('10.1.0.3'), keys: [new Uint8Array(32)], secret: 'x' })).toThrow(/either/);
    expect(() => createMemberlist({ ...base, name: 'a', transport: net.transport('10.1.0.4'), keys: [new Uint8Array(7)] })).toThrow(/16, 24 or 32/);
  });

  it('an onEvent option sees the local join at creation (Go Config.Events)', () => {
    const clock = new ManualClock();
    const net = new MemoryNetwork({ clock, rng: new SeededRng(1) });
    const seen: string[] = [];
    createMemberlist({ name: 'me', transport: net.transport('10.2.0.1'), clock, rng: new SeededRng(3), onEvent: (e) => seen.push(`${e.type}:${e.member.name}:${e.reason}`) });
    expect(seen).toEqual(['join:me:new-node']);
  });

  it('join reports every failed address', async () => {
    const sim = new Simulation({ size: 1 });
    const p = sim.node(0).join(['10.0.0.77', 'unknown.example', '10.0.0.78:7000', '10.0.0.79:']);
    const r = expect(p).rejects.toThrow(/failed to join any of 4 address\(es\).*10\.0\.0\.77.*no such host.*10\.0\.0\.78:7000.*10\.0\.0\.79:/);
    await sim.runFor(100);
    await r;
  });

  it('join resolves hostnames (every address is tried) and accepts a name/ prefix', async () => {
    const sim = new Simulation({ size: 3, hosts: { 'seeds.example': ['10.0.0.99', '10.0.0.1'] } });
    const p = sim.node(1).join(['n0/seeds.example:7946']);
    await sim.runFor(100);
    expect(await p).toBe(1);
    const q = sim.node(2).join(['seeds.example']);
    await sim.runFor(100);
    expect(await q).toBe(1);
    await sim.runFor(3_000);
    expect(sim.converged()).toBe(true);
  });
});

describe('key rotation through the keyring (install, use, remove) keeps the cluster together', () => {
  it('rotates from key A to key B on every node without a failure', async () => {
    const a = deriveMetallbKey('key-a');
    const b = deriveMetallbKey('key-b');
    const sim = new Simulation({ size: 4, seed: 31, keys: [a] });
    await sim.joinAll();
    await sim.runFor(2_000);
    for (const i of sim.live()) sim.node(i).keyring()!.addKey(b);
    await sim.runFor(2_000);
    for (const i of sim.live()) sim.node(i).keyring()!.useKey(b);
    await sim.runFor(2_000);
    for (const i of sim.live()) sim.node(i).keyring()!.removeKey(a);
    await sim.runFor(10_000);
    expect(sim.converged()).toBe(true);
    expect(sim.events.filter((e) => e.type === 'dead')).toEqual([]);
    expect(sim.node(0).keyring()!.getKeys()).toEqual([b]);
  });
});
