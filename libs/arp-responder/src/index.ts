/**
 * @packageDocumentation
 * `@metallb-ts/arp-responder`: everything MetalLB's Layer 2 mode needs on the wire.
 *
 * - Codecs (pure): {@link decodeFrame} / {@link encodeFrame} for Ethernet (with 802.1Q tags),
 *   ARP (RFC 826) and ICMPv6 Neighbor Solicitation / Advertisement (RFC 4861) with options and
 *   checksum; every failure is a {@link DecodeError} with the byte offset.
 * - Reply decisions (pure): {@link decideReply} returns `reply` with the frame to send or `drop`
 *   with a named {@link DropReason}.
 * - {@link Announcer}: owned addresses per interface, the gratuitous schedule on an injected
 *   clock, unicast replies to recent requesters on takeover, conflict detection.
 * - {@link Responder}: the driver over a {@link Transport}; {@link AfPacketTransport} is the
 *   Linux AF_PACKET one (a Node-API addon), `MemoryTransport` from `./testing` the in-memory one.
 */
export { DecodeError, EncodeError, type DecodeErrorCode, type DecodeReason } from './wire/errors.js';
export {
  ArpHardwareType,
  ArpOperation,
  ETHERNET_MIN_FRAME,
  EtherType,
  Icmp6Type,
  IpProtocol,
  ND_HOP_LIMIT,
  NdOptionType,
} from './wire/constants.js';
export type {
  ArpPacket,
  ArpRawPacket,
  Frame,
  FrameBody,
  Ipv6Header,
  NdOption,
  NdpPacket,
  NeighborAdvertisement,
  NeighborSolicitation,
  VlanTag,
} from './wire/types.js';
export { decodeFrame, encodeFrame, frameLength, tryDecodeFrame, MAX_VLAN_TAGS } from './wire/frame.js';
export { decodeArp, encodeArp, ARP_IPV4_LENGTH } from './wire/arp.js';
export { decodeNdp, encodeNdp, IPV6_HEADER_LENGTH } from './wire/ndp.js';
export { icmpv6Checksum } from './wire/checksum.js';
export {
  ALL_NODES,
  ALL_NODES_MAC,
  arpReply,
  arpRequest,
  gratuitousArp,
  ipv6MulticastMac,
  neighborAdvertisement,
  neighborSolicitation,
  solicitedNodeAddress,
  solicitedNodeMac,
  unsolicitedAdvertisement,
  type BuildOptions,
} from './packets.js';
export { decideReply, type DropReason, type Ownership, type ReplyContext, type ReplyDecision } from './decision.js';
export {
  Announcer,
  DEFAULT_ANNOUNCER_OPTIONS,
  type AnnounceLink,
  type AnnouncerOptions,
  type AnnouncerEvent,
  type AnnouncerSink,
  type AnnouncerStats,
  type ConflictEvent,
  type IpStats,
} from './announcer.js';
export {
  advertisedInterfaces,
  compileInterfaceExcludes,
  isExcluded,
  nodeInterfaces,
  selectInterfaces,
  type ExcludeCompileResult,
  type InterfaceSelection,
  type InterfaceSelectionOptions,
  type NamedLink,
} from './interfaces.js';
export {
  TransportError,
  type FrameHandlers,
  type FrameSocket,
  type LinkInfo,
  type Transport,
  type TransportErrorKind,
} from './transport.js';
export {
  DEFAULT_RESPONDER_OPTIONS,
  linkUse,
  qualifyLink,
  Responder,
  type LinkChange,
  type LinkEvent,
  type LinkSkipReason,
  type LinkUse,
  type ResponderEvent,
  type ResponderOptions,
  type ScannedLink,
  type SoftwareVlan,
} from './responder.js';
export {
  ADDON_FILE,
  ADDON_PATH_ENV,
  AfPacketTransport,
  addonCandidates,
  loadAddon,
  type AfPacketTransportOptions,
  type NativeAddon,
  type NativePacketSocket,
} from './native/af-packet.js';
export { ARP_NDP_FILTER, encodeFilter, runFilter, type BpfInstruction } from './native/bpf.js';
