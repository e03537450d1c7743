import type { IPAddress } from '@metallb-ts/netaddr';
import { Afi, ErrCode, OpenSubcode, Safi, Wire } from './constants.js';
import { BgpDecodeError } from './errors.js';
import type { AfiSafi, Capability, Open } from './types.js';

/**
 * Which peer ASN we accept: a number, `'internal'` (the same as ours: iBGP) or `'external'`
 * (any other: eBGP), as MetalLB's `dynamicASN`.
 */
export type PeerAsnSpec = number | 'internal' | 'external';

/** What {@link validateOpen} checks a received OPEN against. */
export interface OpenExpectations {
  localAsn: number;
  peerAsn: PeerAsnSpec;
  localId: IPAddress;
}

/** The peer's real ASN: the 4-octet AS capability when present (RFC 6793 §3), else "My AS". */
export function peerAsnOf(open: Open): number {
  for (const c of open.capabilities) if (c.code === 'four-octet-as') return c.asn;
  return open.myAs;
}

/**
 * Semantic checks of a received OPEN (RFC 4271 §6.2, RFC 6286, RFC 6793). Returns the error
 * whose NOTIFICATION must be sent, or undefined when acceptable.
 */
export function validateOpen(open: Open, exp: OpenExpectations): BgpDecodeError | undefined {
  if (open.version !== 4) {
    return new BgpDecodeError('bad-version', 19, `BGP version ${open.version}, only 4 is supported`, { code: ErrCode.OPEN_MESSAGE, subcode: OpenSubcode.UNSUPPORTED_VERSION, data: Uint8Array.of(0, 4) });
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    return new BgpDecodeError('bad-hold-time', 22, `hold time ${open.holdTime} s`, { code: ErrCode.OPEN_MESSAGE, subcode: OpenSubcode.UNACCEPTABLE_HOLD_TIME });
  }
  const [other] = open.otherParameters;
  if (other) {
    return new BgpDecodeError('unsupported-parameter', 29, `optional parameter type ${other.type}`, { code: ErrCode.OPEN_MESSAGE, subcode: OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER });
  }
  const asn = peerAsnOf(open);
  const ok =
    exp.peerAsn === 'internal' ? asn === exp.localAsn : exp.peerAsn === 'external' ? asn !== exp.localAsn : asn === exp.peerAsn;
  if (!ok) {
    const data = new Uint8Array(2);
    data[0] = open.myAs >> 8;
    data[1] = open.myAs & 0xff;
    return new BgpDecodeError('bad-peer-as', 20, `peer ASN ${asn}, expected ${exp.peerAsn}`, { code: ErrCode.OPEN_MESSAGE, subcode: OpenSubcode.BAD_PEER_AS, data });
  }
  if (open.bgpId.value === 0n || (asn === exp.localAsn && open.bgpId.equals(exp.localId))) {
    return new BgpDecodeError('bad-bgp-identifier', 24, `BGP identifier ${open.bgpId}`, { code: ErrCode.OPEN_MESSAGE, subcode: OpenSubcode.BAD_BGP_IDENTIFIER });
  }
  return undefined;
}

/** The outcome of the OPEN exchange: everything the session needs afterwards. */
export interface Negotiated {
  /** Negotiated hold time in seconds (RFC 4271 §4.2: the smaller; 0 = no keepalives). */
  holdTime: number;
  /** Seconds between our KEEPALIVEs (0 = none). */
  keepaliveTime: number;
  /** Both sides support 4-octet ASNs. */
  fourOctetAs: boolean;
  /** Families both sides announced (IPv4 unicast when a side sent no MP capability). */
  families: AfiSafi[];
  /** The peer supports ROUTE-REFRESH. */
  routeRefresh: boolean;
  /** The peer's graceful-restart capability, if any. */
  peerGracefulRestart?: Extract<Capability, { code: 'graceful-restart' }>;
  peerAsn: number;
  peerId: IPAddress;
  /** True when the peer's ASN equals ours. */
  ibgp: boolean;
}

/** RFC 4271 §4.2: the hold time is the smaller of the two; 0 disables keepalives. */
export function negotiatedHold(local: number, peer: number): number {
  return Math.min(local, peer);
}

/**
 * Seconds between KEEPALIVEs: the configured value capped at a third of the hold time
 * (RFC 4271 §10 suggests one third), or hold/3 rounded down; 0 when the hold time is 0.
 */
export function keepaliveInterval(hold: number, configured?: number): number {
  if (hold === 0) return 0;
  const third = Math.max(1, Math.floor(hold / 3));
  return configured === undefined || configured <= 0 ? third : Math.min(configured, third);
}

function families(open: Open): AfiSafi[] {
  const mp = open.capabilities.filter((c): c is Extract<Capability, { code: 'multiprotocol' }> => c.code === 'multiprotocol');
  return mp.length === 0 ? [{ afi: Afi.IPV4, safi: Safi.UNICAST }] : mp.map((c) => ({ afi: c.afi, safi: c.safi }));
}

/** Combines our OPEN and the peer's into the session parameters (pure). */
export function negotiate(local: Open, peer: Open, localAsn: number, keepaliveConfigured?: number): Negotiated {
  const holdTime = negotiatedHold(local.holdTime, peer.holdTime);
  const has = (o: Open, code: Capability['code']) => o.capabilities.some((c) => c.code === code);
  const ours = families(local);
  const theirs = families(peer);
  const peerAsn = peerAsnOf(peer);
  const gr = peer.capabilities.find((c): c is Extract<Capability, { code: 'graceful-restart' }> => c.code === 'graceful-restart');
  const n: Negotiated = {
    holdTime,
    keepaliveTime: keepaliveInterval(holdTime, keepaliveConfigured),
    fourOctetAs: has(local, 'four-octet-as') && has(peer, 'four-octet-as'),
    families: ours.filter((f) => theirs.some((t) => t.afi === f.afi && t.safi === f.safi)),
    routeRefresh: has(peer, 'route-refresh'),
    peerAsn,
    peerId: peer.bgpId,
    ibgp: peerAsn === localAsn,
  };
  if (gr) n.peerGracefulRestart = gr;
  return n;
}

/** "My AS" for an OPEN: the ASN, or AS_TRANS when it needs 4 octets (RFC 6793 §4.1). */
export function myAsField(asn: number): number {
  return asn > 0xffff ? Wire.AS_TRANS : asn;
}
