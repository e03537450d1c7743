/**
 * @packageDocumentation
 * `@metallb-ts/bgp-speaker`: a native BGP-4 speaker — pure codec, pure FSM `step`, a thin
 * session driver, Adj-RIB-Out diffing, TCP MD5 and graceful restart. See README.md.
 */
export * from './wire/constants.js';
export { DecodeError, BgpDecodeError, errorCodeName, type DecodeReason, type ErrorHandling, type NotificationSpec } from './wire/errors.js';
export type {
  AfiSafi,
  AsPathSegment,
  BgpMessage,
  Capability,
  CodecContext,
  GracefulRestartFamily,
  Keepalive,
  Notification,
  Open,
  PathAttribute,
  RawOptionalParameter,
  RouteRefresh,
  Update,
} from './wire/types.js';
export { decodeOpen, encodeOpenBody } from './wire/open.js';
/** Re-exported from `@metallb-ts/errors` (it was defined here before); new code imports it from there. */
export { assertNever } from '@metallb-ts/errors';
export {
  decodeUpdate,
  encodeUpdateBody,
  encodeAttribute,
  endOfRib,
  endOfRibFamily,
  announcedPrefixes,
  withdrawnPrefixes,
  familyBits,
  type DecodedUpdate,
} from './wire/update.js';
export { decodeMessage, encodeMessage, checkHeader, notificationFor, routeRefresh, Framer, splitFrames, type DecodedMessage } from './wire/message.js';
export {
  validateOpen,
  negotiate,
  negotiatedHold,
  keepaliveInterval,
  peerAsnOf,
  myAsField,
  type Negotiated,
  type OpenExpectations,
  type PeerAsnSpec,
} from './wire/negotiate.js';
export { step, initialFsmState, resolveCollision } from './fsm/step.js';
export type { FsmAction, FsmConfig, FsmEvent, FsmState, ReconnectMode, StateName, TimerKind, Transition, TransitionReason } from './fsm/types.js';
export { BgpSession, PUMP_BATCH, type SessionComponents } from './session/session.js';
export { SessionConfigError, SESSION_DEFAULTS, type Family, type GracefulRestartOptions, type SessionOptions } from './session/options.js';
export {
  SENT_LIST_LIMIT,
  type NotificationInfo,
  type SentInfo,
  type SessionCounters,
  type SessionEvents,
  type SessionStatus,
  type StateChange,
} from './session/status.js';
export { BgpListener } from './session/listener.js';
export { NodeTransport, NativeAddonError, loadTcpMd5Addon, tcpMd5Available, type TcpMd5Addon } from './session/node-transport.js';
export type { Connection, ConnectAttempt, ConnectOptions, ListenOptions, ListeningSocket, ListenTransport, Transport } from './session/ports.js';
export { Emitter } from './session/emitter.js';
export {
  type StandardCommunity,
  type LargeCommunity,
  type BgpCommunity,
  type CommunityParseError,
  standardCommunity,
  largeCommunity,
  communityValue,
  communityFromValue,
  communityInRange,
  WellKnownCommunity,
  parseCommunity,
  isCommunityError,
  formatCommunity,
  communityEquals,
  compareCommunities,
  sortCommunities,
} from './wire/community.js';
export {
  type Route,
  RouteParseError,
  DEFAULT_LOCAL_PREF,
  parseRouteSpec,
  resolveNextHops,
  type NextHops,
  type UnsendableReason,
  type UnsendableRoute,
  mergeRoutesByPrefix,
  mergeDuplicateRoutes,
  parseRouteCommunity,
  parseLargeCommunity,
  formatLargeCommunity,
  checkRoute,
  attributeKey,
  prefixKey,
  cidrFromPrefixKey,
} from './rib/route.js';
export { AdjRibOut, diffRib, buildUpdates, pathAttributes, familyOf, type PeerContext, type RibDiff } from './rib/adj-rib-out.js';
export { createNodeSession } from './session/node.js';
export { crc32, routerIdFor, routerIdFromNodeName, type RouterIdInputs, type RouterIdSource } from './session/router-id.js';
export { metallbMetrics, type MetricSample } from './session/metrics.js';
