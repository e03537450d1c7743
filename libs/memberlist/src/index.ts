/**
 * @packageDocumentation
 * `@metallb-ts/memberlist`: SWIM + Lifeguard cluster membership and failure detection,
 * wire-compatible with hashicorp/memberlist (the library MetalLB speakers use on port 7946),
 * including AES-GCM encryption with MetalLB's key derivation.
 *
 * - {@link startMemberlist}: a node on real UDP + TCP in one call (or {@link createMemberlist}
 *   with {@link createNodeTransport} or your own {@link Transport}).
 * - Presets {@link LAN_PRESET} (MetalLB default), {@link WAN_PRESET}, {@link LOCAL_PRESET},
 *   {@link BALANCED_PRESET} (a silent node dead in 2–3 s), {@link FAST_PRESET} (sub-second detection).
 * - Pure parts: the wire codecs (`encodeMessage`, `decodeMessage`, `sealPacket`, ...), the
 *   state machine {@link NodeTable}, and the Lifeguard maths (`suspicionTimeoutMs`, ...).
 * - `@metallb-ts/memberlist/testing`: `MemoryNetwork` and `Simulation`.
 */
export { createMemberlist, Memberlist } from './memberlist.js';
export type { Member, MemberEvent, MemberlistOptions, MemberlistMetrics, Delegate, Logger } from './types.js';
export { JoinError, StreamError } from './errors.js';
export { verifyProtocol } from './stream.js';
export { DROP_REASONS, type DropReason, type DriverDropReason } from './drops.js';
export {
  LAN_PRESET,
  WAN_PRESET,
  LOCAL_PRESET,
  BALANCED_PRESET,
  FAST_PRESET,
  PRESETS,
  preset,
  validateTunables,
  ConfigError,
  type Tunables,
  type PresetName,
} from './config.js';
export { formatAddress, isConnectionRefused, parseHostPort, splitHostPort, type PeerAddress, type StreamConn, type Transport } from './transport.js';
export { createNodeTransport, type NodeTransportOptions } from './net/node-transport.js';
export { parseMetallbMemberlistConfig, parseGoDuration, type MetallbMemberlistConfig } from './metallb-config.js';
export { startMemberlist, readMetallbSecret, type StartMemberlistOptions } from './start.js';
export { Keyring, KeyringError, deriveMetallbKey, encryptPayload, decryptPayload, ENCRYPTION_VERSION } from './security/keyring.js';
export { NodeTable, type NodeRecord, type NodeState, type Effect, type Outcome, type Transition, type MemberEventType, type MemberEventReason, type NodeTableConfig } from './state/node-table.js';
export { Awareness } from './state/awareness.js';
export { BroadcastQueue, type QueuedBroadcast } from './state/broadcast-queue.js';
export { suspicionTimeoutMs, suspicionConfirmations, remainingSuspicionMs, retransmitLimit, pushPullScaleMs, PUSH_PULL_SCALE_THRESHOLD } from './state/math.js';
export {
  MsgType,
  NodeStateCode,
  PROTOCOL_VERSION_MIN,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_DEFAULT,
  META_MAX_SIZE,
  MAX_STREAM_BYTES,
  MAX_DECOMPRESSED_BYTES,
} from './wire/constants.js';
export { DecodeError, type DecodeReason } from './wire/errors.js';
export {
  encodeMessage,
  decodeMessage,
  encodeStreamMessage,
  decodeStreamMessage,
  encodeCompound,
  decodeCompound,
  encodeCompressWrapper,
  decodeCompressWrapper,
  type Message,
  type PacketMessage,
  type StreamMessage,
  type Ping,
  type IndirectPing,
  type Ack,
  type Nack,
  type Suspect,
  type Alive,
  type Dead,
  type UserMsg,
  type ErrResp,
  type PushPull,
  type PushNodeState,
} from './wire/messages.js';
export { sealPacket, openPacket, flattenPacket, sealStream, openStream, type WireSecurity, type SealPacketOptions, type SealStreamOptions, type OpenStreamOptions, type Flattened } from './wire/layers.js';
export { lzwCompress, lzwDecompress } from './wire/lzw.js';
export { crc32 } from './wire/crc32.js';
