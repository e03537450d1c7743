import type { Cidr, IPAddress } from '@metallb-ts/netaddr';
import type { LargeCommunity } from './community.js';

/** An address family / subsequent address family pair (RFC 4760). */
export interface AfiSafi {
  afi: number;
  safi: number;
}

/** RFC 4724 per-family entry of the graceful-restart capability. */
export interface GracefulRestartFamily extends AfiSafi {
  /** The F bit: forwarding state was preserved across the restart. */
  forwardingPreserved: boolean;
}

/** A BGP capability (RFC 5492); unknown ones are kept raw so round trips are lossless. */
export type Capability =
  | { code: 'multiprotocol'; afi: number; safi: number }
  | { code: 'route-refresh' }
  | { code: 'four-octet-as'; asn: number }
  | {
      code: 'graceful-restart';
      /** The R bit: the sender has restarted. */
      restarting: boolean;
      /** The N bit (RFC 8538): the sender supports graceful NOTIFICATION. */
      notification: boolean;
      /** Seconds the peer should keep our routes while we restart (0–4095). */
      restartTime: number;
      families: GracefulRestartFamily[];
    }
  | { code: 'unknown'; type: number; value: Uint8Array };

/** An OPEN optional parameter other than capabilities (kept raw; validation refuses them). */
export interface RawOptionalParameter {
  type: number;
  value: Uint8Array;
}

/** OPEN message (RFC 4271 §4.2). */
export interface Open {
  type: 'open';
  version: number;
  /** The 2-octet "My Autonomous System" field (AS_TRANS when the real ASN is 4-octet). */
  myAs: number;
  /** Proposed hold time in seconds (0 or ≥ 3). */
  holdTime: number;
  /** BGP Identifier, an IPv4 address. */
  bgpId: IPAddress;
  capabilities: Capability[];
  /** Non-capability optional parameters, kept raw. */
  otherParameters: RawOptionalParameter[];
}

/** One AS_PATH / AS4_PATH segment. */
export interface AsPathSegment {
  kind: 'set' | 'sequence' | 'confed-sequence' | 'confed-set';
  asns: number[];
}

/** RFC 8092 large communities use the shared {@link LargeCommunity} of `community.ts`. */
export type { LargeCommunity } from './community.js';

/** A path attribute (RFC 4271 §4.3 and extensions); unknown ones are kept raw. */
export type PathAttribute =
  | { type: 'origin'; origin: 0 | 1 | 2 }
  | { type: 'as-path'; segments: AsPathSegment[] }
  | { type: 'next-hop'; nextHop: IPAddress }
  | { type: 'med'; med: number }
  | { type: 'local-pref'; localPref: number }
  | { type: 'atomic-aggregate' }
  | { type: 'aggregator'; asn: number; address: IPAddress }
  | { type: 'communities'; communities: number[] }
  | {
      type: 'mp-reach';
      afi: number;
      safi: number;
      /** The global next hop (IPv4 or IPv6). */
      nextHop: IPAddress;
      /** The IPv6 link-local next hop, when the next hop field is 32 bytes (RFC 2545). */
      linkLocal?: IPAddress;
      nlri: Cidr[];
    }
  | { type: 'mp-unreach'; afi: number; safi: number; withdrawn: Cidr[] }
  | { type: 'as4-path'; segments: AsPathSegment[] }
  | { type: 'as4-aggregator'; asn: number; address: IPAddress }
  | { type: 'large-communities'; communities: readonly LargeCommunity[] }
  | { type: 'unknown'; code: number; flags: number; value: Uint8Array };

/** UPDATE message (RFC 4271 §4.3). Classic withdrawn routes and NLRI are IPv4. */
export interface Update {
  type: 'update';
  withdrawn: Cidr[];
  attributes: PathAttribute[];
  nlri: Cidr[];
}

/** NOTIFICATION message (RFC 4271 §4.5). */
export interface Notification {
  type: 'notification';
  code: number;
  subcode: number;
  data: Uint8Array;
}

/** KEEPALIVE message (RFC 4271 §4.4). */
export interface Keepalive {
  type: 'keepalive';
}

/** ROUTE-REFRESH message (RFC 2918); `subtype` is RFC 7313's (0 = normal request). */
export interface RouteRefresh {
  type: 'route-refresh';
  afi: number;
  safi: number;
  subtype: number;
}

/** Every BGP message, keyed on `type`. */
export type BgpMessage = Open | Update | Notification | Keepalive | RouteRefresh;

/** Session-negotiated context the UPDATE codec needs (RFC 6793). */
export interface CodecContext {
  /** Both sides announced the 4-octet AS capability: AS_PATH and AGGREGATOR carry 4-byte ASNs. */
  fourOctetAs: boolean;
}
