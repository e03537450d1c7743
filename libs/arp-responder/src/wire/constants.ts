/**
 * Wire constants, named after the fields of the RFCs that define them. Append-only.
 * @module
 */

/** EtherType values (IEEE 802.3, IANA "IEEE 802 Numbers") that this library reads or writes. */
export const EtherType = {
  /** IPv4 (not decoded here; only used by ARP's protocol type field). */
  IPv4: 0x0800,
  /** Address Resolution Protocol, RFC 826. */
  ARP: 0x0806,
  /** IEEE 802.1Q customer VLAN tag (C-tag). */
  VLAN: 0x8100,
  /** IEEE 802.1ad service VLAN tag (S-tag, "QinQ"). */
  QinQ: 0x88a8,
  /** IPv6, RFC 8200. */
  IPv6: 0x86dd,
} as const;

/** ARP `ar$hrd` values (RFC 826 and IANA "Hardware Types"). */
export const ArpHardwareType = {
  /** Ethernet (10Mb), the value every Ethernet host sends. */
  ETHERNET: 1,
  /** IEEE 802 networks; Linux accepts it on Ethernet devices too. */
  IEEE802: 6,
} as const;

/** ARP `ar$op` values (RFC 826). */
export const ArpOperation = {
  REQUEST: 1,
  REPLY: 2,
} as const;

/** IPv6 next-header values used here (IANA "Assigned Internet Protocol Numbers"). */
export const IpProtocol = {
  ICMPv6: 58,
} as const;

/** ICMPv6 message types used here (RFC 4861 §4). */
export const Icmp6Type = {
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
} as const;

/** Neighbor Discovery option types (RFC 4861 §4.6). */
export const NdOptionType = {
  SOURCE_LINK_LAYER_ADDRESS: 1,
  TARGET_LINK_LAYER_ADDRESS: 2,
  PREFIX_INFORMATION: 3,
  REDIRECTED_HEADER: 4,
  MTU: 5,
  /** RFC 7527 enhanced DAD nonce; Linux puts it in DAD probes. */
  NONCE: 14,
} as const;

/** Hop limit every Neighbor Discovery message must carry (RFC 4861 §7.1.1). */
export const ND_HOP_LIMIT = 255;

/** Minimum Ethernet frame size without the FCS; shorter frames are padded to it on the wire. */
export const ETHERNET_MIN_FRAME = 60;
