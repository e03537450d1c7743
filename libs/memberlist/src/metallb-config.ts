import { ConfigError, validateTunables, type Tunables } from './config.js';

/*
 * MetalLB's optional memberlist tuning file (`/etc/metallb/memberlist/config.json`, ConfigMap
 * `metallb-memberlist-config`; metallb-behavior.md §8): a JSON object with memberlist's Go field
 * names that replaces the LAN/WAN defaults entirely. Durations use Go syntax ("5s", "200ms") and
 * are mandatory; missing numbers and booleans are 0/false as in Go's JSON decoding.
 */

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Parses a Go duration (`time.ParseDuration`: "300ms", "1.5s", "1h2m", "-1s", "0") into
 * milliseconds. Throws {@link ConfigError} naming `field`.
 */
export function parseGoDuration(text: string, field = 'duration'): number {
  const s = text.trim();
  if (s === '0' || s === '+0' || s === '-0') return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(s);
  if (!m) throw new ConfigError(field, `"${text}" is not a Go duration such as "500ms", "1s" or "1m30s"`);
  let ns = 0;
  for (const part of s.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    ns += Number(part[1]) * UNIT_NS[part[2]!]!;
  }
  return (m[1] === '-' ? -ns : ns) / 1e6;
}

/** The result of {@link parseMetallbMemberlistConfig}. */
export interface MetallbMemberlistConfig {
  readonly tunables: Tunables;
  readonly gossipVerifyIncoming: boolean;
  readonly gossipVerifyOutgoing: boolean;
}

const DURATIONS = {
  TCPTimeout: 'tcpTimeoutMs',
  PushPullInterval: 'pushPullIntervalMs',
  ProbeTimeout: 'probeTimeoutMs',
  ProbeInterval: 'probeIntervalMs',
  GossipInterval: 'gossipIntervalMs',
  GossipToTheDeadTime: 'gossipToTheDeadTimeMs',
} as const;
const NUMBERS = {
  IndirectChecks: 'indirectChecks',
  RetransmitMult: 'retransmitMult',
  SuspicionMult: 'suspicionMult',
  SuspicionMaxTimeoutMult: 'suspicionMaxTimeoutMult',
  AwarenessMaxMultiplier: 'awarenessMaxMultiplier',
  GossipNodes: 'gossipNodes',
  UDPBufferSize: 'udpBufferSize',
} as const;

/**
 * Parses MetalLB's memberlist `config.json`. Unlike MetalLB (which would run with a zero
 * `SuspicionMult` or `ProbeInterval`), values the protocol cannot work with are refused with a
 * {@link ConfigError} naming the field. `HandoffQueueDepth` and `QueueCheckInterval` are read
 * and checked but have no effect here (no handoff queue: messages are applied synchronously).
 */
export function parseMetallbMemberlistConfig(json: string): MetallbMemberlistConfig {
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch (e) {
    throw new ConfigError('config.json', `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ConfigError('config.json', 'must be a JSON object');
  const o = obj as Record<string, unknown>;
  // Go's Config has no deadWhenRefused: false, as Go behaves (a caller may set it on top).
  const out: Record<string, number | boolean> = { deadNodeReclaimTimeMs: 0, deadWhenRefused: false };
  for (const [goName, ours] of Object.entries({ ...DURATIONS, QueueCheckInterval: '' })) {
    const v = o[goName];
    if (typeof v !== 'string') throw new ConfigError(goName, 'is required and must be a Go duration string such as "1s"');
    const ms = parseGoDuration(v, goName);
    if (ours) out[ours] = ms;
  }
  for (const [goName, ours] of Object.entries({ ...NUMBERS, HandoffQueueDepth: '' })) {
    const v = o[goName] ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(goName, 'must be an integer');
    if (ours) out[ours] = v;
  }
  const bool = (k: string): boolean => {
    const v = o[k] ?? false;
    if (typeof v !== 'boolean') throw new ConfigError(k, 'must be true or false');
    return v;
  };
  out['disableTcpPings'] = bool('DisableTcpPings');
  out['enableCompression'] = bool('EnableCompression');
  const tunables = out as unknown as Tunables;
  validateTunables(tunables);
  return { tunables, gossipVerifyIncoming: bool('GossipVerifyIncoming'), gossipVerifyOutgoing: bool('GossipVerifyOutgoing') };
}
