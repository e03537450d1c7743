/**
 * Message type bytes of hashicorp/memberlist (`messageType` in net.go). The values are fixed by
 * position in Go's enum, which is append-only (memberlist-wire.md §3).
 */
export const MsgType = {
  ping: 0,
  indirectPing: 1,
  ack: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nack: 11,
  hasCrc: 12,
  err: 13,
  hasLabel: 244,
} as const;

/** Node states as they appear in push/pull (`NodeStateType`). */
export const NodeStateCode = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;

/** Protocol version range every node advertises (`ProtocolVersionMin/Max`, net.go). */
export const PROTOCOL_VERSION_MIN = 1;
/** Highest protocol version (5 = UDP CRC). */
export const PROTOCOL_VERSION_MAX = 5;
/** Protocol version spoken by default (`ProtocolVersion2Compatible`). */
export const PROTOCOL_VERSION_DEFAULT = 2;
/** `MetaMaxSize`: the largest node metadata Go accepts. */
export const META_MAX_SIZE = 512;
/** `maxPushStateBytes` / user message limit (20 MiB, memberlist HEAD). */
export const MAX_STREAM_BYTES = 20 * 1024 * 1024;
/** Decompressed size limit (40 MiB, memberlist HEAD). */
export const MAX_DECOMPRESSED_BYTES = 40 * 1024 * 1024;
/** Largest number of nodes accepted in one push/pull (memberlist HEAD). */
export const MAX_PUSH_NODES = 1 << 20;
/** Algo value of LZW in a compress message (the only one). */
export const LZW_ALGO = 0;
