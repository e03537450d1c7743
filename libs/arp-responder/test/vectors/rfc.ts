/**
 * Hand-written frames, one field per line, laid out as in the RFC figures:
 * RFC 826 ("Packet format"), RFC 8200 §3 (IPv6 header), RFC 4861 §4.3 (NS), §4.4 (NA),
 * §4.6.1 (link-layer address options), IEEE 802.1Q (tag = TPID + TCI).
 * Addresses are documentation ones. ICMPv6 checksums were computed independently (a Python
 * one-off over the RFC 8200 §8.1 pseudo-header), not by the code under test.
 */
import { hex } from './hex.js';

/** Client 02:00:00:00:00:02 (198.51.100.2) asks who has 198.51.100.10. */
export const ARP_REQUEST = hex(
  'ffffffffffff', // Ethernet destination: broadcast
  '020000000002', // Ethernet source
  '0806', //         EtherType ARP
  '0001', //         ar$hrd: Ethernet (1)
  '0800', //         ar$pro: IPv4
  '06', //           ar$hln
  '04', //           ar$pln
  '0001', //         ar$op: REQUEST
  '020000000002', // ar$sha
  'c6336402', //     ar$spa 198.51.100.2
  '000000000000', // ar$tha (ignored in requests)
  'c633640a', //     ar$tpa 198.51.100.10
);

/** Our reply (MAC 02:00:00:00:00:01) to {@link ARP_REQUEST}, padded to 60 bytes. */
export const ARP_REPLY = hex(
  '020000000002', // Ethernet destination: the requester
  '020000000001', // Ethernet source: us
  '0806', //         EtherType ARP
  '0001', //         ar$hrd
  '0800', //         ar$pro
  '06', //           ar$hln
  '04', //           ar$pln
  '0002', //         ar$op: REPLY
  '020000000001', // ar$sha: our MAC
  'c633640a', //     ar$spa: the owned address
  '020000000002', // ar$tha: the requester
  'c6336402', //     ar$tpa: the requester
  '000000000000000000000000000000000000', // 18 bytes of padding to the 60-byte minimum
);

/** Gratuitous ARP, request form (MetalLB §6.5), padded. */
export const GARP_REQUEST = hex(
  'ffffffffffff', // broadcast
  '020000000001', // us
  '0806',
  '0001',
  '0800',
  '06',
  '04',
  '0001', //         REQUEST
  '020000000001', // ar$sha: us
  'c633640a', //     ar$spa = owned address
  'ffffffffffff', // ar$tha: broadcast
  'c633640a', //     ar$tpa = owned address
  '000000000000000000000000000000000000',
);

/** {@link ARP_REQUEST} inside an 802.1Q tag, VLAN 100, priority 5, DEI clear. */
export const ARP_REQUEST_VLAN100 = hex(
  'ffffffffffff',
  '020000000002',
  '8100', //         TPID 802.1Q
  'a064', //         TCI: PCP 5 (101), DEI 0, VID 100 (0x064)
  '0806',
  '0001',
  '0800',
  '06',
  '04',
  '0001',
  '020000000002',
  'c6336402',
  '000000000000',
  'c633640a',
);

/** NS from 2001:db8::2 for 2001:db8::10, to its solicited-node group ff02::1:ff00:10. */
export const NS_MULTICAST = hex(
  '3333ff000010', // Ethernet destination: 33:33 + low 32 bits of ff02::1:ff00:10
  '020000000002', // Ethernet source
  '86dd', //         EtherType IPv6
  '60000000', //     version 6, traffic class 0, flow label 0
  '0020', //         payload length 32
  '3a', //           next header ICMPv6 (58)
  'ff', //           hop limit 255
  '20010db8000000000000000000000002', // source 2001:db8::2
  'ff0200000000000000000001ff000010', // destination ff02::1:ff00:10
  '87', //           ICMPv6 type 135 (NS)
  '00', //           code
  '1c09', //         checksum
  '00000000', //     reserved
  '20010db8000000000000000000000010', // target 2001:db8::10
  '01', //           option: Source Link-Layer Address
  '01', //           length 1 (8 bytes)
  '020000000002', // link-layer address
);

/** Our solicited NA to {@link NS_MULTICAST}: S=1, O=0, TLLA, source = target (no padding needed: 86 bytes). */
export const NA_SOLICITED = hex(
  '020000000002', // to the solicitor's MAC
  '020000000001', // from us
  '86dd',
  '60000000',
  '0020',
  '3a',
  'ff',
  '20010db8000000000000000000000010', // source: the target itself
  '20010db8000000000000000000000002', // destination: the solicitor
  '88', //           type 136 (NA)
  '00',
  'aa55', //         checksum
  '40000000', //     R=0 S=1 O=0, reserved 0
  '20010db8000000000000000000000010', // target
  '02', //           option: Target Link-Layer Address
  '01',
  '020000000001',
);

/** Unsolicited NA to all nodes, O=1 (MetalLB §6.6 gratuitous form). */
export const NA_UNSOLICITED = hex(
  '333300000001', // all-nodes group
  '020000000001',
  '86dd',
  '60000000',
  '0020',
  '3a',
  'ff',
  '20010db8000000000000000000000010',
  'ff020000000000000000000000000001', // ff02::1
  '88',
  '00',
  'f90c',
  '20000000', //     R=0 S=0 O=1
  '20010db8000000000000000000000010',
  '02',
  '01',
  '020000000001',
);

/** DAD probe: NS from :: for 2001:db8::10, no options (RFC 4862 §5.4.2). */
export const NS_DAD = hex(
  '3333ff000010',
  '020000000003',
  '86dd',
  '60000000',
  '0018', //         payload length 24
  '3a',
  'ff',
  '00000000000000000000000000000000', // ::
  'ff0200000000000000000001ff000010',
  '87',
  '00',
  '4ccf',
  '00000000',
  '20010db8000000000000000000000010',
);
