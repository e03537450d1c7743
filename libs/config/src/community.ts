/**
 * BGP community values as MetalLB writes them: a standard (RFC 1997) community `A:B` with two
 * 16-bit parts, or a large (RFC 8092) community `large:A:B:C` with three 32-bit parts.
 *
 * One community type for all of metallb-ts: it is owned by the protocol library
 * (`@metallb-ts/bgp-speaker`) and re-exported here unchanged, so a parsed
 * `BgpAdvertisement.communities` entry goes into a speaker `Route` as it is.
 */
export {
  parseCommunity,
  formatCommunity,
  communityEquals,
  compareCommunities,
  sortCommunities,
  isCommunityError,
  type BgpCommunity,
  type StandardCommunity,
  type LargeCommunity,
  type CommunityParseError,
} from '@metallb-ts/bgp-speaker';
