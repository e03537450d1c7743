/**
 * BGP-4 wire constants (RFC 4271 and the extensions we speak). Append-only `as const` objects
 * named after the RFC fields; never auto-numbered enums.
 */

/** Message types, RFC 4271 §4.1 and RFC 2918 (ROUTE-REFRESH). */
export const MsgType = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;

/** Fixed sizes, RFC 4271 §4. */
export const Wire = {
  MARKER_LEN: 16,
  HEADER_LEN: 19,
  MIN_MESSAGE_LEN: 19,
  /** Without the RFC 8654 extended-message capability (which we do not offer). */
  MAX_MESSAGE_LEN: 4096,
  OPEN_MIN_LEN: 29,
  UPDATE_MIN_LEN: 23,
  NOTIFICATION_MIN_LEN: 21,
  KEEPALIVE_LEN: 19,
  ROUTE_REFRESH_LEN: 23,
  /** RFC 6793: the 2-octet "My AS" placeholder for a 4-octet ASN. */
  AS_TRANS: 23456,
} as const;

/** NOTIFICATION error codes, RFC 4271 §4.5, RFC 7313. */
export const ErrCode = {
  MESSAGE_HEADER: 1,
  OPEN_MESSAGE: 2,
  UPDATE_MESSAGE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7,
} as const;

/** Message Header Error subcodes, RFC 4271 §6.1. */
export const HeaderSubcode = {
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
} as const;

/** OPEN Message Error subcodes, RFC 4271 §6.2 and RFC 5492. */
export const OpenSubcode = {
  UNSPECIFIC: 0,
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;

/** UPDATE Message Error subcodes, RFC 4271 §6.3. */
export const UpdateSubcode = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE: 2,
  MISSING_WELL_KNOWN_ATTRIBUTE: 3,
  ATTRIBUTE_FLAGS_ERROR: 4,
  ATTRIBUTE_LENGTH_ERROR: 5,
  INVALID_ORIGIN: 6,
  INVALID_NEXT_HOP: 8,
  OPTIONAL_ATTRIBUTE_ERROR: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;

/** FSM Error subcodes, RFC 6608. */
export const FsmSubcode = {
  UNSPECIFIED: 0,
  UNEXPECTED_IN_OPEN_SENT: 1,
  UNEXPECTED_IN_OPEN_CONFIRM: 2,
  UNEXPECTED_IN_ESTABLISHED: 3,
} as const;

/** Cease subcodes, RFC 4486 and RFC 8538. */
export const CeaseSubcode = {
  MAX_PREFIXES: 1,
  ADMINISTRATIVE_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMINISTRATIVE_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6,
  CONNECTION_COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
} as const;

/** Capability codes (IANA "Capability Codes"). */
export const CapCode = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  GRACEFUL_RESTART: 64,
  FOUR_OCTET_AS: 65,
} as const;

/** OPEN optional parameter types, RFC 5492. */
export const OptParamType = {
  CAPABILITIES: 2,
} as const;

/** Path attribute type codes (IANA "BGP Path Attributes"). */
export const AttrType = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

/** Path attribute flag bits, RFC 4271 §4.3. */
export const AttrFlag = {
  OPTIONAL: 0x80,
  TRANSITIVE: 0x40,
  PARTIAL: 0x20,
  EXTENDED_LENGTH: 0x10,
} as const;

/** AS_PATH segment types, RFC 4271 §4.3 and RFC 5065. */
export const AsPathSegmentType = {
  AS_SET: 1,
  AS_SEQUENCE: 2,
  AS_CONFED_SEQUENCE: 3,
  AS_CONFED_SET: 4,
} as const;

/** Address Family Identifiers we route. */
export const Afi = { IPV4: 1, IPV6: 2 } as const;
/** Subsequent AFI: unicast. */
export const Safi = { UNICAST: 1 } as const;

/** ORIGIN values, RFC 4271 §4.3. */
export const Origin = { IGP: 0, EGP: 1, INCOMPLETE: 2 } as const;
