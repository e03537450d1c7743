/**
 * Protocol tunables, named after memberlist's `Config` fields. Durations are milliseconds.
 * The presets equal `DefaultLANConfig`, `DefaultWANConfig` and `DefaultLocalConfig` of
 * hashicorp/memberlist (memberlist-wire.md §13.8), plus our documented {@link FAST_PRESET}.
 */
export interface Tunables {
  /** Deadline of a whole TCP exchange. @default 10000 (LAN) */
  readonly tcpTimeoutMs: number;
  /** Nodes asked to probe indirectly. @default 3 */
  readonly indirectChecks: number;
  /** Gossip retransmit multiplier. @default 4 */
  readonly retransmitMult: number;
  /** Suspicion timeout multiplier. @default 4 */
  readonly suspicionMult: number;
  /** Upper bound of the suspicion timeout as a multiple of the minimum. @default 6 */
  readonly suspicionMaxTimeoutMult: number;
  /** Anti-entropy interval (0 = off). @default 30000 */
  readonly pushPullIntervalMs: number;
  /** Time to wait for a direct ack. @default 500 */
  readonly probeTimeoutMs: number;
  /** Time between probes. @default 1000 */
  readonly probeIntervalMs: number;
  /** Skip the fallback TCP ping. @default false */
  readonly disableTcpPings: boolean;
  /** Lifeguard awareness bound. @default 8 */
  readonly awarenessMaxMultiplier: number;
  /** Random nodes per gossip round. @default 3 */
  readonly gossipNodes: number;
  /** Gossip round interval (0 = off). @default 200 */
  readonly gossipIntervalMs: number;
  /** Keep gossiping to (and keep) dead nodes this long. @default 30000 */
  readonly gossipToTheDeadTimeMs: number;
  /** LZW-compress packets (when shorter) and streams. @default true */
  readonly enableCompression: boolean;
  /** Datagram size the piggybacking packs against. @default 1400 */
  readonly udpBufferSize: number;
  /** Allow a dead node's name at a new address after this long (0 = never). @default 0 */
  readonly deadNodeReclaimTimeMs: number;
  /**
   * Ours, not memberlist's: when a probe fails (no ack, direct or indirect) and its TCP fallback
   * ping was actively refused — the node's host answered, nothing listens on the port — declare
   * the node dead at once instead of suspecting it. The process is gone; the suspicion timeout
   * would only delay failover (by 4 s on a small LAN cluster). A node that is in fact alive
   * refutes the dead message as it would refute a suspicion. Go memberlist always suspects.
   * @default false in the Go presets (`lan`, `wan`, `local`), true in `fast`
   */
  readonly deadWhenRefused: boolean;
}

/** Preset names accepted by {@link preset}. */
export type PresetName = 'lan' | 'wan' | 'local' | 'balanced' | 'fast';

/** memberlist `DefaultLANConfig()`: what MetalLB speakers use. */
export const LAN_PRESET: Tunables = Object.freeze({
  tcpTimeoutMs: 10_000,
  indirectChecks: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  pushPullIntervalMs: 30_000,
  probeTimeoutMs: 500,
  probeIntervalMs: 1_000,
  disableTcpPings: false,
  awarenessMaxMultiplier: 8,
  gossipNodes: 3,
  gossipIntervalMs: 200,
  gossipToTheDeadTimeMs: 30_000,
  enableCompression: true,
  udpBufferSize: 1400,
  deadNodeReclaimTimeMs: 0,
  deadWhenRefused: false,
});

/** memberlist `DefaultWANConfig()` (MetalLB `--ml-wan-config`). */
export const WAN_PRESET: Tunables = Object.freeze({
  ...LAN_PRESET,
  tcpTimeoutMs: 30_000,
  suspicionMult: 6,
  pushPullIntervalMs: 60_000,
  probeTimeoutMs: 3_000,
  probeIntervalMs: 5_000,
  gossipNodes: 4,
  gossipIntervalMs: 500,
  gossipToTheDeadTimeMs: 60_000,
});

/** memberlist `DefaultLocalConfig()` (loopback / single host). */
export const LOCAL_PRESET: Tunables = Object.freeze({
  ...LAN_PRESET,
  tcpTimeoutMs: 1_000,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  probeTimeoutMs: 200,
  probeIntervalMs: 1_000,
  gossipIntervalMs: 100,
  gossipToTheDeadTimeMs: 15_000,
});

/**
 * Our *fast* preset for sub-second failure detection on a healthy LAN (not a memberlist
 * default). Probe every 150 ms with a 75 ms ack timeout; suspicion multiplier 3 gives a 450 ms
 * minimum suspicion timeout for clusters up to 10 nodes (one confirmation expected from 3
 * nodes on, 6 × min without it). Gossip every 50 ms so the dead message spreads in a few
 * rounds. Expect kill → all survivors report dead in well under a second for small clusters,
 * at roughly 6–7× the packet rate of LAN. Every node of a cluster should use the same preset.
 */
export const FAST_PRESET: Tunables = Object.freeze({
  ...LAN_PRESET,
  tcpTimeoutMs: 2_000,
  suspicionMult: 3,
  pushPullIntervalMs: 15_000,
  probeTimeoutMs: 75,
  probeIntervalMs: 150,
  gossipIntervalMs: 50,
  gossipToTheDeadTimeMs: 15_000,
  deadWhenRefused: true,
});

/**
 * Our *balanced* preset: a node that goes silent (link down, host off, partition) is dead for
 * every survivor of a small cluster in about 2–3 s instead of LAN's 5–6 s, at twice LAN's packet
 * rate and with the same tolerance of a slow peer in proportion to its probe interval. Probe every
 * 500 ms with a 250 ms ack timeout; suspicion multiplier 3 gives a 1.5 s minimum suspicion timeout
 * for clusters up to 10 nodes (3 s at 100, 4.5 s at 1,000: memberlist's log10 scaling), 6 × that
 * without a confirmation; gossip every 100 ms. A process that is gone (its port refused) is dead
 * at once (`deadWhenRefused`). The speaker's default; mixing it with Go `lan` nodes is fine.
 */
export const BALANCED_PRESET: Tunables = Object.freeze({
  ...LAN_PRESET,
  suspicionMult: 3,
  probeTimeoutMs: 250,
  probeIntervalMs: 500,
  gossipIntervalMs: 100,
  deadWhenRefused: true,
});

/** The presets by name. */
export const PRESETS: Readonly<Record<PresetName, Tunables>> = Object.freeze({
  lan: LAN_PRESET,
  wan: WAN_PRESET,
  local: LOCAL_PRESET,
  balanced: BALANCED_PRESET,
  fast: FAST_PRESET,
});

/** Thrown for invalid configuration; the message says which field and what to change. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`invalid memberlist config ${field}: ${detail}`);
  }
}

/** A preset by name; throws {@link ConfigError} for an unknown name. */
export function preset(name: string): Tunables {
  if (!Object.hasOwn(PRESETS, name)) throw new ConfigError('preset', `unknown preset "${name}", use lan, wan, local or fast`);
  return PRESETS[name as PresetName];
}

/** Checks tunables for values the protocol cannot run with. */
export function validateTunables(t: Tunables): void {
  const pos = ['probeIntervalMs', 'probeTimeoutMs', 'tcpTimeoutMs', 'suspicionMult', 'suspicionMaxTimeoutMult', 'retransmitMult', 'awarenessMaxMultiplier'] as const;
  for (const f of pos) {
    if (!(Number.isFinite(t[f]) && t[f] > 0)) throw new ConfigError(f, `must be a positive number, got ${t[f]}`);
  }
  const nonneg = ['indirectChecks', 'gossipNodes', 'gossipIntervalMs', 'pushPullIntervalMs', 'gossipToTheDeadTimeMs', 'deadNodeReclaimTimeMs'] as const;
  for (const f of nonneg) {
    if (!(Number.isFinite(t[f]) && t[f] >= 0)) throw new ConfigError(f, `must be ≥ 0, got ${t[f]}`);
  }
  for (const f of ['disableTcpPings', 'enableCompression', 'deadWhenRefused'] as const) {
    if (typeof t[f] !== 'boolean') throw new ConfigError(f, `must be true or false, got ${String(t[f])}`);
  }
  if (!(t.udpBufferSize >= 256 && t.udpBufferSize <= 65_000)) throw new ConfigError('udpBufferSize', 'must be in [256, 65000]');
}
