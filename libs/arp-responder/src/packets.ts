import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { ArpHardwareType, ArpOperation, ETHERNET_MIN_FRAME, ND_HOP_LIMIT } from './wire/constants.js';
import { frameLength } from './wire/frame.js';
import type { Frame, FrameBody, NdOption, VlanTag } from './wire/types.js';

/** `ff02::1`, the all-nodes multicast address (RFC 4291 §2.7.1). */
export const ALL_NODES = IPAddress.parse('ff02::1');
/** `33:33:00:00:00:01`, the Ethernet group of {@link ALL_NODES} (RFC 2464 §7). */
export const ALL_NODES_MAC = MacAddress.parse('33:33:00:00:00:01');

const SOLICITED_NODE_PREFIX = IPAddress.parse('ff02::1:ff00:0').value;

/** The solicited-node multicast address of `ip`: `ff02::1:ff` + its low 24 bits (RFC 4291 §2.7.1). */
export function solicitedNodeAddress(ip: IPAddress): IPAddress {
  if (!ip.isV6) throw new RangeError(`${ip} is not an IPv6 address`);
  return IPAddress.fromBigInt('IPv6', SOLICITED_NODE_PREFIX | (ip.value & 0xffffffn));
}

/** The Ethernet multicast address of an IPv6 multicast group: `33:33` + its low 32 bits (RFC 2464 §7). */
export function ipv6MulticastMac(group: IPAddress): MacAddress {
  const b = group.toBytes();
  return MacAddress.fromBytes(new Uint8Array([0x33, 0x33, b[12]!, b[13]!, b[14]!, b[15]!]));
}

/** The Ethernet group a host must accept to hear solicitations for `ip`: `33:33:ff:xx:xx:xx`. */
export function solicitedNodeMac(ip: IPAddress): MacAddress {
  return ipv6MulticastMac(solicitedNodeAddress(ip));
}

/**
 * Zero padding that brings a frame up to the 60-byte Ethernet minimum, as NIC drivers would
 * on the wire (MetalLB and the Linux kernel on real NICs send 60-byte ARP frames).
 */
function padFor(dst: MacAddress, src: MacAddress, vlans: readonly VlanTag[], body: FrameBody): Uint8Array {
  const len = frameLength({ dst, src, vlans, body, trailer: new Uint8Array(0) });
  return new Uint8Array(Math.max(0, ETHERNET_MIN_FRAME - len));
}

function frame(dst: MacAddress, src: MacAddress, vlans: readonly VlanTag[], body: FrameBody): Frame {
  return { dst, src, vlans, body, trailer: padFor(dst, src, vlans, body) };
}

/** Parameters shared by the frame builders. */
export interface BuildOptions {
  /** VLAN tags to put on the frame (outermost first). @default [] */
  vlans?: readonly VlanTag[];
}

/**
 * An ARP reply telling `requester` that `ip` is at `ourMac` (RFC 826 "swap" step): Ethernet
 * destination and `ar$tha` are the requester's MAC, `ar$tpa` its IP (0.0.0.0 for a probe).
 */
export function arpReply(
  ourMac: MacAddress,
  ip: IPAddress,
  requester: { mac: MacAddress; ip: IPAddress },
  opts: BuildOptions = {},
): Frame {
  return frame(requester.mac, ourMac, opts.vlans ?? [], {
    kind: 'arp',
    hardwareType: ArpHardwareType.ETHERNET,
    operation: ArpOperation.REPLY,
    senderMac: ourMac,
    senderIp: ip,
    targetMac: requester.mac,
    targetIp: requester.ip,
  });
}

/**
 * A gratuitous ARP for `ip` (MetalLB §6.5): broadcast, sender = target = `ip`, target MAC
 * broadcast, as a request or as a reply (MetalLB sends both forms each round).
 */
export function gratuitousArp(ourMac: MacAddress, ip: IPAddress, form: 'request' | 'reply', opts: BuildOptions = {}): Frame {
  return frame(MacAddress.BROADCAST, ourMac, opts.vlans ?? [], {
    kind: 'arp',
    hardwareType: ArpHardwareType.ETHERNET,
    operation: form === 'request' ? ArpOperation.REQUEST : ArpOperation.REPLY,
    senderMac: ourMac,
    senderIp: ip,
    targetMac: MacAddress.BROADCAST,
    targetIp: ip,
  });
}

/**
 * A Neighbor Advertisement for `target` (RFC 4861 §4.4, §7.2.4) from `ourMac`, with a Target
 * Link-Layer Address option. The IPv6 source is the target itself (as the kernel does for its
 * own addresses; ndisc6 only accepts an NA whose source is the target).
 */
export function neighborAdvertisement(
  ourMac: MacAddress,
  target: IPAddress,
  to: { mac: MacAddress; ip: IPAddress },
  flags: { solicited: boolean; override: boolean },
  opts: BuildOptions = {},
): Frame {
  const options: NdOption[] = [{ type: 'target-lla', mac: ourMac }];
  return frame(to.mac, ourMac, opts.vlans ?? [], {
    kind: 'ndp',
    ip: { trafficClass: 0, flowLabel: 0, hopLimit: ND_HOP_LIMIT, src: target, dst: to.ip },
    message: { type: 'na', code: 0, router: false, solicited: flags.solicited, override: flags.override, reserved: 0, target, options },
  });
}

/** An unsolicited NA for `target` to all nodes with O=1, S=0 (RFC 4861 §7.2.6; MetalLB §6.6). */
export function unsolicitedAdvertisement(ourMac: MacAddress, target: IPAddress, opts: BuildOptions = {}): Frame {
  return neighborAdvertisement(ourMac, target, { mac: ALL_NODES_MAC, ip: ALL_NODES }, { solicited: false, override: true }, opts);
}

/**
 * An ARP request, as a client sends it (for tests and benchmarks): broadcast, asking who has
 * `targetIp`.
 */
export function arpRequest(senderMac: MacAddress, senderIp: IPAddress, targetIp: IPAddress, opts: BuildOptions = {}): Frame {
  return frame(MacAddress.BROADCAST, senderMac, opts.vlans ?? [], {
    kind: 'arp',
    hardwareType: ArpHardwareType.ETHERNET,
    operation: ArpOperation.REQUEST,
    senderMac,
    senderIp,
    targetMac: MacAddress.ZERO,
    targetIp,
  });
}

/**
 * A Neighbor Solicitation, as a client sends it (for tests and benchmarks). Multicast to the
 * target's solicited-node group unless `unicastTo` is given (NUD, RFC 4861 §7.3.3). A source of
 * `::` makes it a DAD probe, which carries no Source Link-Layer Address option.
 */
export function neighborSolicitation(
  senderMac: MacAddress,
  senderIp: IPAddress,
  target: IPAddress,
  opts: BuildOptions & { unicastTo?: MacAddress } = {},
): Frame {
  const dad = senderIp.value === 0n;
  const dstIp = opts.unicastTo ? target : solicitedNodeAddress(target);
  const dstMac = opts.unicastTo ?? ipv6MulticastMac(dstIp);
  const options: NdOption[] = dad ? [] : [{ type: 'source-lla', mac: senderMac }];
  return frame(dstMac, senderMac, opts.vlans ?? [], {
    kind: 'ndp',
    ip: { trafficClass: 0, flowLabel: 0, hopLimit: ND_HOP_LIMIT, src: senderIp, dst: dstIp },
    message: { type: 'ns', code: 0, reserved: 0, target, options },
  });
}
