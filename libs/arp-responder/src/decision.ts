import type { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { arpReply, ALL_NODES, ALL_NODES_MAC, neighborAdvertisement, solicitedNodeAddress } from './packets.js';
import { ArpHardwareType, ArpOperation, ND_HOP_LIMIT } from './wire/constants.js';
import { macEquals } from './wire/bytes.js';
import { DecodeError } from './wire/errors.js';
import type { Frame } from './wire/types.js';

/** Whether an IP is announced on an interface, as the announcer sees it (MetalLB §6.3). */
export type Ownership =
  /** Announced, and this interface is allowed. */
  | 'owned'
  /** Announced, but only on other interfaces ("notMatchInterface"). */
  | 'wrong-interface'
  /** Not announced at all. */
  | 'not-owned';

/** What {@link decideReply} needs to know about the interface a frame arrived on. */
export interface ReplyContext {
  /** The interface name, passed to `ownership`. */
  readonly ifName: string;
  /** The interface's MAC: the address we answer with. */
  readonly mac: MacAddress;
  /** Ownership of `ip` on `ifName`. */
  ownership(ip: IPAddress, ifName: string): Ownership;
}

/** Why a frame gets no answer. A closed set: it labels logs and the `drops_total{reason}` metric. */
export type DropReason =
  /** The bytes did not decode (truncated, bad checksum, bad option length …). */
  | 'malformed'
  /** Decodes, but is not something we answer: other EtherType or ICMPv6 type, non-Ethernet/IPv4 ARP, or a protocol the interface cannot do. */
  | 'unsupported'
  /** An ARP reply or other operation, or a Neighbor Advertisement. */
  | 'not-request'
  /** Ethernet destination is unicast and not our MAC. */
  | 'wrong-dst-mac'
  /** Our own frame (the source MAC is ours), e.g. our gratuitous ARP looping back. */
  | 'own-frame'
  /** Someone else's gratuitous ARP request (sender IP = target IP); the kernel does not answer it either. */
  | 'gratuitous'
  /** NS failing RFC 4861 §7.1.1 validation (code ≠ 0, multicast target, DAD probe with a source link-layer option). */
  | 'invalid'
  /** NS hop limit is not 255, so it may come from off-link (RFC 4861 §7.1.1). */
  | 'bad-hop-limit'
  /** NS IPv6 destination is neither the target nor its solicited-node group. */
  | 'wrong-dst-ip'
  /** The target address is not announced. */
  | 'not-owned'
  /** The target is announced, but not on this interface. */
  | 'wrong-interface'
  /** An 802.1Q-tagged frame on an interface with no software VLAN for its VLAN ID (see `ResponderOptions.vlans`). */
  | 'unknown-vlan';

/** The outcome of {@link decideReply}. */
export type ReplyDecision =
  | {
      readonly kind: 'reply';
      /** The frame to send back on the same interface. */
      readonly frame: Frame;
      /** The owned address that was asked for. */
      readonly ip: IPAddress;
      /** Which protocol asked. */
      readonly proto: 'arp' | 'ndp';
      /** The asking host (IP 0.0.0.0 / `::` for probes). */
      readonly requester: { readonly mac: MacAddress; readonly ip: IPAddress };
    }
  | {
      readonly kind: 'drop';
      readonly reason: DropReason;
      /** The target address, when the frame decoded far enough to have one. */
      readonly ip?: IPAddress;
    };

const drop = (reason: DropReason, ip?: IPAddress): ReplyDecision => (ip ? { kind: 'drop', reason, ip } : { kind: 'drop', reason });

const sameMac = macEquals;

/**
 * Decides whether to answer a frame received on an interface, and builds the answer. Pure.
 *
 * ARP (RFC 826, MetalLB §6.5, Linux `arp_process`): only requests; Ethernet destination
 * broadcast or ours; answered with a unicast reply to the requester, also for probes from
 * 0.0.0.0 (RFC 5227), whose reply then has `ar$tpa` 0.0.0.0 as the kernel sends it.
 *
 * NDP (RFC 4861 §7.1.1, §7.2.4, MetalLB §6.6): only valid NS; a solicitation from a unicast
 * source (multicast to the solicited-node group or unicast NUD) gets a solicited NA (S=1, O=0)
 * to its source, at the Source Link-Layer Address option's MAC or else the frame's source MAC;
 * a DAD probe from `::` gets what the kernel sends for its own address: an NA to all nodes with
 * S=0, O=1.
 *
 * Replies keep the request's VLAN tags.
 */
export function decideReply(input: Frame | DecodeError, ctx: ReplyContext): ReplyDecision {
  if (input instanceof DecodeError) return drop(input.reason === 'unsupported' ? 'unsupported' : 'malformed');
  const f = input;
  const body = f.body;
  const vlans = f.vlans;
  const dstIsBroadcast = f.dst.isBroadcast();
  const forUs = dstIsBroadcast || f.dst.isMulticast() || sameMac(f.dst, ctx.mac);
  if (body.kind === 'arp-raw') return drop('unsupported');
  if (body.kind === 'arp') {
    if (body.hardwareType !== ArpHardwareType.ETHERNET && body.hardwareType !== ArpHardwareType.IEEE802) return drop('unsupported');
    if (body.operation !== ArpOperation.REQUEST) return drop('not-request', body.targetIp);
    if (!dstIsBroadcast && !sameMac(f.dst, ctx.mac)) return drop('wrong-dst-mac', body.targetIp);
    if (sameMac(f.src, ctx.mac) || sameMac(body.senderMac, ctx.mac)) return drop('own-frame', body.targetIp);
    if (body.senderIp.equals(body.targetIp)) return drop('gratuitous', body.targetIp);
    const own = ctx.ownership(body.targetIp, ctx.ifName);
    if (own !== 'owned') return drop(own, body.targetIp);
    const requester = { mac: body.senderMac, ip: body.senderIp };
    return { kind: 'reply', proto: 'arp', ip: body.targetIp, requester, frame: arpReply(ctx.mac, body.targetIp, requester, { vlans }) };
  }
  const { ip, message: m } = body;
  if (m.type !== 'ns') return drop('not-request', m.target);
  if (!forUs) return drop('wrong-dst-mac', m.target);
  if (sameMac(f.src, ctx.mac)) return drop('own-frame', m.target);
  if (ip.hopLimit !== ND_HOP_LIMIT) return drop('bad-hop-limit', m.target);
  const slla = m.options.find((o) => o.type === 'source-lla');
  const dad = ip.src.value === 0n;
  const snm = solicitedNodeAddress(m.target);
  if (m.code !== 0 || isMulticastV6(m.target) || (dad && (slla !== undefined || !ip.dst.equals(snm)))) {
    return drop('invalid', m.target);
  }
  if (!ip.dst.equals(snm) && !ip.dst.equals(m.target)) return drop('wrong-dst-ip', m.target);
  const own = ctx.ownership(m.target, ctx.ifName);
  if (own !== 'owned') return drop(own, m.target);
  if (dad) {
    return {
      kind: 'reply',
      proto: 'ndp',
      ip: m.target,
      requester: { mac: f.src, ip: ip.src },
      frame: neighborAdvertisement(ctx.mac, m.target, { mac: ALL_NODES_MAC, ip: ALL_NODES }, { solicited: false, override: true }, { vlans }),
    };
  }
  const mac = slla && slla.type === 'source-lla' ? slla.mac : f.src;
  return {
    kind: 'reply',
    proto: 'ndp',
    ip: m.target,
    requester: { mac, ip: ip.src },
    frame: neighborAdvertisement(ctx.mac, m.target, { mac, ip: ip.src }, { solicited: true, override: false }, { vlans }),
  };
}

function isMulticastV6(ip: IPAddress): boolean {
  return ip.isV6 && ip.value >> 120n === 0xffn;
}
