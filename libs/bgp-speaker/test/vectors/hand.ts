// Hand-written vectors, one field per line, to check against the RFC figures.
import { hex, MARKER } from '../hex.js';

/** RFC 4271 §4.2 OPEN with MP IPv4+IPv6, route refresh, 4-octet AS 65540, GR 120 s. */
export const OPEN_FULL = hex(
  MARKER,
  '0041', // length 65
  '01', // type OPEN
  '04', // version 4
  '5ba0', // My AS = AS_TRANS 23456
  '005a', // hold time 90
  'c6336401', // BGP identifier 198.51.100.1
  '24', // optional parameters length 36
  '02 22', // parameter: capabilities, length 34
  '01 04 0001 00 01', // MP: AFI 1 SAFI 1
  '01 04 0002 00 01', // MP: AFI 2 SAFI 1
  '02 00', // route refresh
  '41 04 00010004', // 4-octet AS 65540
  '40 0a 0078 0001 01 80 0002 01 00', // graceful restart: time 120; IPv4 F=1; IPv6 F=0
  '46 00', // enhanced route refresh (unknown to us: kept raw)
);

/** RFC 4271 §4.3 UPDATE: eBGP route 203.0.113.10/32 via 198.51.100.1, communities, large communities. */
export const UPDATE_V4 = hex(
  MARKER,
  '004d', // length 77
  '02', // type UPDATE
  '0000', // withdrawn routes length 0
  '0031', // total path attribute length 49
  '40 01 01 00', // ORIGIN IGP
  '40 02 06 02 01 0000fbf0', // AS_PATH: AS_SEQUENCE [64496] (4-octet)
  '40 03 04 c6336401', // NEXT_HOP 198.51.100.1
  '80 04 04 00000005', // MED 5
  'c0 08 04 fbf00064', // COMMUNITIES 64496:100
  'c0 20 0c 0000fbf0 00000001 00000002', // LARGE_COMMUNITY 64496:1:2
  '20 cb00710a', // NLRI 203.0.113.10/32
);

/** RFC 4760 MP_REACH_NLRI for 2001:db8:ffff::10/128 with a global and a link-local next hop. */
export const UPDATE_V6 = hex(
  MARKER,
  '005e', // length 94
  '02', // type UPDATE
  '0000', // withdrawn routes length 0
  '0047', // total path attribute length 71
  '40 01 01 00', // ORIGIN IGP
  '40 02 00', // AS_PATH empty (iBGP)
  '40 05 04 00000064', // LOCAL_PREF 100
  '80 0e 36', // MP_REACH_NLRI, length 54
  '0002 01', // AFI 2 SAFI 1
  '20', // next hop length 32
  '20010db8000000000000000000000001', // global 2001:db8::1
  'fe800000000000000000000000000001', // link-local fe80::1
  '00', // reserved
  '80 20010db8ffff00000000000000000010', // 2001:db8:ffff::10/128
);

/** IPv4 End-of-RIB (RFC 4724 §2): an empty UPDATE. */
export const EOR_V4 = hex(MARKER, '0017', '02', '0000', '0000');

/** IPv6 End-of-RIB: MP_UNREACH_NLRI with no prefixes. */
export const EOR_V6 = hex(MARKER, '001d', '02', '0000', '0006', '80 0f 03 0002 01');

/** NOTIFICATION Cease / Administrative Shutdown. */
export const NOTIFICATION_CEASE = hex(MARKER, '0015', '03', '06', '02');

/** KEEPALIVE. */
export const KEEPALIVE = hex(MARKER, '0013', '04');

/** ROUTE-REFRESH for IPv6 unicast (RFC 2918). */
export const ROUTE_REFRESH_V6 = hex(MARKER, '0017', '05', '0002', '00', '01');
