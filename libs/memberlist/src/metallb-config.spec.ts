import { describe, expect, it } from 'vitest';
import { ConfigError, LAN_PRESET, parseGoDuration, parseMetallbMemberlistConfig } from './index.js';

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['1s', 1000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['250us', 0.25],
    ['100ns', 0.0001],
    ['-2s', -2000],
    ['.5s', 500],
  ])('%s = %f ms', (s, ms) => {
    expect(parseGoDuration(s)).toBeCloseTo(ms, 9);
  });
  it.each(['', '5', 's', '1x', '1 s', 'ms5'])('refuses %j', (s) => {
    expect(() => parseGoDuration(s, 'ProbeInterval')).toThrow(/ProbeInterval/);
  });
});

const LAN_JSON = {
  TCPTimeout: '10s',
  IndirectChecks: 3,
  RetransmitMult: 4,
  SuspicionMult: 4,
  SuspicionMaxTimeoutMult: 6,
  PushPullInterval: '30s',
  ProbeTimeout: '500ms',
  ProbeInterval: '1s',
  DisableTcpPings: false,
  AwarenessMaxMultiplier: 8,
  GossipNodes: 3,
  GossipInterval: '200ms',
  GossipToTheDeadTime: '30s',
  GossipVerifyIncoming: true,
  GossipVerifyOutgoing: true,
  EnableCompression: true,
  HandoffQueueDepth: 1024,
  UDPBufferSize: 1400,
  QueueCheckInterval: '30s',
};

describe('MetalLB memberlist config.json', () => {
  it('the LAN defaults written as MetalLB JSON give LAN_PRESET', () => {
    const c = parseMetallbMemberlistConfig(JSON.stringify(LAN_JSON));
    expect(c.tunables).toEqual(LAN_PRESET);
    expect(c.gossipVerifyIncoming).toBe(true);
    expect(c.gossipVerifyOutgoing).toBe(true);
  });

  it('missing durations are errors; missing booleans are false', () => {
    const { ProbeInterval: _p, ...noProbe } = LAN_JSON;
    expect(() => parseMetallbMemberlistConfig(JSON.stringify(noProbe))).toThrow(/ProbeInterval.*required/);
    const { EnableCompression: _e, GossipVerifyIncoming: _g, ...noBools } = LAN_JSON;
    const c = parseMetallbMemberlistConfig(JSON.stringify(noBools));
    expect(c.tunables.enableCompression).toBe(false);
    expect(c.gossipVerifyIncoming).toBe(false);
  });

  it('unusable values are refused with the field name (a deliberate difference from MetalLB)', () => {
    const { SuspicionMult: _s, ...noMult } = LAN_JSON;
    expect(() => parseMetallbMemberlistConfig(JSON.stringify(noMult))).toThrow(/suspicionMult/);
    expect(() => parseMetallbMemberlistConfig(JSON.stringify({ ...LAN_JSON, GossipNodes: 'three' }))).toThrow(/GossipNodes/);
    expect(() => parseMetallbMemberlistConfig('{')).toThrow(ConfigError);
    expect(() => parseMetallbMemberlistConfig('[]')).toThrow(/object/);
  });
});
