/**
 * The public data types of a memberlist node: members and their events, the options of
 * {@link createMemberlist}, the ports it calls out through (logger, delegate) and its counters.
 */
import type { Clock, Rng } from '@metallb-ts/clock';
import type { PresetName, Tunables } from './config.js';
import type { DropReason } from './drops.js';
import type { MemberEventReason, MemberEventType, NodeState } from './state/node-table.js';
import type { PeerAddress, Transport } from './transport.js';

/** A member as the membership view shows it. */
export interface Member {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  /** Delegate metadata (empty when none). */
  readonly meta: Uint8Array;
  readonly state: NodeState;
  readonly incarnation: number;
  /** `[PMin, PMax, PCur, DMin, DMax, DCur]`. */
  readonly vsn: readonly number[];
}

/** A membership change. */
export interface MemberEvent {
  /** join, update (metadata), leave (graceful) or dead (failed). */
  readonly type: MemberEventType;
  readonly member: Member;
  readonly reason: MemberEventReason;
  /** Wall-clock ms when the event fired. */
  readonly atMs: number;
}

/** Structured logger port; every method is optional to implement as a no-op. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Application hooks (Go `Delegate`): user messages and push/pull user state. */
export interface Delegate {
  /** A user message arrived (UDP best-effort, gossip broadcast, or TCP reliable). */
  notifyMsg?(payload: Uint8Array, from: PeerAddress | undefined): void;
  /** Our user state for a push/pull (`join` true on join). */
  localState?(join: boolean): Uint8Array;
  /** A peer's user state from a push/pull. */
  mergeRemoteState?(state: Uint8Array, join: boolean): void;
}

/** Options of {@link createMemberlist}. */
export interface MemberlistOptions {
  /** Unique node name (MetalLB: the Kubernetes node name). */
  readonly name: string;
  /** The network (UDP+TCP from {@link createNodeTransport}, or the in-memory network). */
  readonly transport: Transport;
  /** The address others should use for us. @default transport.localAddress */
  readonly advertise?: PeerAddress;
  /** Base preset. @default 'lan' */
  readonly preset?: PresetName;
  /** Overrides of single tunables on top of the preset. */
  readonly tunables?: Partial<Tunables>;
  /** Node metadata, ≤ 512 bytes. @default none (nil, as MetalLB) */
  readonly meta?: Uint8Array;
  /** Raw AES key(s): the first is primary. Mutually exclusive with `secret`. */
  readonly keys?: readonly Uint8Array[];
  /** A MetalLB secret (file contents, used verbatim): the key is derived as MetalLB does. */
  readonly secret?: Uint8Array | string;
  /** Cluster label ('' = none). @default '' */
  readonly label?: string;
  /** Refuse unencrypted input when a key is set. @default true */
  readonly gossipVerifyIncoming?: boolean;
  /** Encrypt output when a key is set. @default true */
  readonly gossipVerifyOutgoing?: boolean;
  readonly delegate?: Delegate;
  /**
   * An event listener installed before the node starts, so it also sees the `join` of the
   * local node that fires at creation (like Go's `Config.Events`). More via `onEvent`.
   */
  readonly onEvent?: (e: MemberEvent) => void;
  readonly logger?: Logger;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default systemRng */
  readonly rng?: Rng;
  /**
   * Resolves a hostname given to `join` into IP addresses (Go resolves join names through DNS).
   * @default `dns.lookup(host, { all: true })` from `node:dns`
   */
  readonly resolve?: (host: string) => Promise<string[]>;
}

/** Counters for metrics. */
export interface MemberlistMetrics {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  streamsOpened: number;
  streamsAccepted: number;
  /** Dropped input by reason (decode failures, wrong node, unknown seq, ...); reasons never seen are absent. */
  drops: Partial<Record<DropReason, number>>;
  probes: number;
  probesFailed: number;
  /** Failed probes that declared the node dead because it refused the TCP ping (`deadWhenRefused`). */
  refusedDead: number;
  refutations: number;
  suspicionsStarted: number;
}
