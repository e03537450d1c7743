/**
 * Why a memberlist node dropped input: a closed union, counted in
 * `metrics().drops[reason]` and logged at debug. Every decode failure of the wire layer
 * ({@link DecodeReason}) plus the refusals of the driver itself.
 */
import type { DecodeReason } from './wire/errors.js';

/** Every {@link DecodeReason}, listed for code that enumerates drop counters. */
export const DECODE_DROP_REASONS = [
  'truncated',
  'trailing-bytes',
  'bad-msgpack',
  'bad-field',
  'unknown-type',
  'too-large',
  'bad-crc',
  'bad-compression',
  'bad-label',
  'decrypt-failed',
  'not-encrypted',
  'unexpected-encryption',
  'too-deep',
] as const satisfies readonly DecodeReason[];

/** The reasons the driver drops well-formed input for (it decoded, but cannot be used). */
export const DRIVER_DROP_REASONS = [
  /** A message handler threw; the node carries on (Go would log and continue too). */
  'handler-error',
  /** A ping (UDP or TCP) addressed to another node name. */
  'ping-wrong-node',
  /** An ack whose sequence number matches no probe in flight (late or spoofed). */
  'unknown-ack',
  /** A nack whose sequence number matches no probe in flight. */
  'unknown-nack',
  /** An `errResp` arrived as a packet, outside any stream exchange. */
  'unexpected-err',
  /** A node claimed a name already known at another address (Go `aliveNode` conflict). */
  'address-conflict',
  /** More than the concurrent inbound stream limit (128, as memberlist HEAD). */
  'too-many-streams',
  /** An inbound stream closed or timed out before a whole message arrived. */
  'stream-read',
  /** A push/pull was refused (protocol version outside the cluster range). */
  'push-pull-refused',
  /** An inbound stream carried a message type that only ever comes as a reply (ack, err). */
  'unexpected-stream-type',
  /** Handling an inbound stream failed after it was read (e.g. writing the reply). */
  'stream-error',
] as const;

/** Why the driver dropped decoded input. */
export type DriverDropReason = (typeof DRIVER_DROP_REASONS)[number];

/** Why a node dropped input: a wire decode failure or a driver refusal. Never a free string. */
export type DropReason = DecodeReason | DriverDropReason;

/** Every {@link DropReason}: the label values of a `drops{reason}` metric. */
export const DROP_REASONS: readonly DropReason[] = [...DECODE_DROP_REASONS, ...DRIVER_DROP_REASONS];
