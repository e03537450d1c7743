import type { IPAddress, MacAddress } from '@metallb-ts/netaddr';

/**
 * One IEEE 802.1Q (or 802.1ad) tag. Tags are listed outermost first in {@link Frame.vlans}.
 */
export interface VlanTag {
  /** Tag protocol identifier: 0x8100 (802.1Q) or 0x88a8 (802.1ad). */
  readonly tpid: number;
  /** Priority code point, 0–7. */
  readonly pcp: number;
  /** Drop eligible indicator. */
  readonly dei: boolean;
  /** VLAN identifier, 0–4095. */
  readonly vid: number;
}

/**
 * An ARP packet for IPv4 over a 6-byte hardware address (RFC 826): the only kind hosts on
 * Ethernet send. Lengths (`ar$hln` 6, `ar$pln` 4) are implied.
 */
export interface ArpPacket {
  readonly kind: 'arp';
  /** `ar$hrd`: 1 (Ethernet) in practice; 6 (IEEE 802) is also seen. */
  readonly hardwareType: number;
  /** `ar$op`: 1 request, 2 reply (see `ArpOperation`); other values are kept as they are. */
  readonly operation: number;
  /** `ar$sha`. */
  readonly senderMac: MacAddress;
  /** `ar$spa`. 0.0.0.0 in an address probe (RFC 5227). */
  readonly senderIp: IPAddress;
  /** `ar$tha`. Ignored in requests; usually zero or broadcast there. */
  readonly targetMac: MacAddress;
  /** `ar$tpa`. */
  readonly targetIp: IPAddress;
}

/**
 * Any other well-formed ARP packet (other protocol type or address lengths), kept raw so that
 * it re-encodes to the same bytes.
 */
export interface ArpRawPacket {
  readonly kind: 'arp-raw';
  /** `ar$hrd`. */
  readonly hardwareType: number;
  /** `ar$pro` (an EtherType). */
  readonly protocolType: number;
  /** `ar$op`. */
  readonly operation: number;
  /** `ar$sha`; its length is `ar$hln`. */
  readonly senderHardware: Uint8Array;
  /** `ar$spa`; its length is `ar$pln`. */
  readonly senderProtocol: Uint8Array;
  /** `ar$tha`; same length as `senderHardware`. */
  readonly targetHardware: Uint8Array;
  /** `ar$tpa`; same length as `senderProtocol`. */
  readonly targetProtocol: Uint8Array;
}

/** A Neighbor Discovery option (RFC 4861 §4.6). Unknown or odd-sized options are kept raw. */
export type NdOption =
  /** Source Link-Layer Address (type 1) with a 6-byte address. */
  | { readonly type: 'source-lla'; readonly mac: MacAddress }
  /** Target Link-Layer Address (type 2) with a 6-byte address. */
  | { readonly type: 'target-lla'; readonly mac: MacAddress }
  /** Any other option: `code` is the type byte, `data` the bytes after the length byte (8·n − 2 of them). */
  | { readonly type: 'raw'; readonly code: number; readonly data: Uint8Array };

/** ICMPv6 Neighbor Solicitation (RFC 4861 §4.3). */
export interface NeighborSolicitation {
  readonly type: 'ns';
  /** ICMP code; must be 0 to be valid, kept for lossless round trips. */
  readonly code: number;
  /** The 32-bit reserved field (0 when sent). */
  readonly reserved: number;
  /** The address being resolved. */
  readonly target: IPAddress;
  /** Options in wire order (a Source Link-Layer Address, a DAD nonce …). */
  readonly options: readonly NdOption[];
}

/** ICMPv6 Neighbor Advertisement (RFC 4861 §4.4). */
export interface NeighborAdvertisement {
  readonly type: 'na';
  readonly code: number;
  /** R: the sender is a router. */
  readonly router: boolean;
  /** S: sent in response to a solicitation. */
  readonly solicited: boolean;
  /** O: override an existing cache entry. */
  readonly override: boolean;
  /** The 29 reserved bits after R, S and O (0 when sent). */
  readonly reserved: number;
  /** The address advertised. */
  readonly target: IPAddress;
  /** Options in wire order (a Target Link-Layer Address in practice). */
  readonly options: readonly NdOption[];
}

/** The IPv6 header fields of an NDP packet (RFC 8200 §3); lengths and next header are implied. */
export interface Ipv6Header {
  /** 8-bit traffic class. */
  readonly trafficClass: number;
  /** 20-bit flow label. */
  readonly flowLabel: number;
  /** Must be 255 for Neighbor Discovery to be valid (RFC 4861 §7.1.1). */
  readonly hopLimit: number;
  /** Source address (`::` in a DAD probe). */
  readonly src: IPAddress;
  /** Destination address. */
  readonly dst: IPAddress;
}

/** An IPv6 packet carrying an ICMPv6 NS or NA directly (no extension headers). */
export interface NdpPacket {
  readonly kind: 'ndp';
  /** The IPv6 header. */
  readonly ip: Ipv6Header;
  /** The ICMPv6 message. */
  readonly message: NeighborSolicitation | NeighborAdvertisement;
}

/** What an Ethernet frame may carry for this library. */
export type FrameBody = ArpPacket | ArpRawPacket | NdpPacket;

/** An Ethernet II frame (without FCS) as it appears on an AF_PACKET socket. */
export interface Frame {
  /** Ethernet destination. */
  readonly dst: MacAddress;
  /** Ethernet source. */
  readonly src: MacAddress;
  /** 802.1Q/802.1ad tags, outermost first; empty for an untagged frame. */
  readonly vlans: readonly VlanTag[];
  /** The ARP or NDP packet. */
  readonly body: FrameBody;
  /**
   * Bytes after the body: Ethernet padding up to 60 bytes, or anything else. Kept so that
   * `encodeFrame(decodeFrame(b))` gives `b` back. Builders fill it with zero padding.
   */
  readonly trailer: Uint8Array;
}
