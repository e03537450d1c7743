import type { Clock, TimerHandle } from '@metallb-ts/clock';
import { assertNever } from '@metallb-ts/errors';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { decideReply, type DropReason, type Ownership, type ReplyDecision } from './decision.js';
import { arpReply, gratuitousArp, neighborAdvertisement, solicitedNodeMac, unsolicitedAdvertisement } from './packets.js';
import { macEquals } from './wire/bytes.js';
import { icmpv6Checksum } from './wire/checksum.js';
import { ArpOperation } from './wire/constants.js';
import { decodeFrame, encodeFrame, tryDecodeFrame } from './wire/frame.js';
import type { ArpPacket, Frame, NdpPacket, VlanTag } from './wire/types.js';

/** An interface the announcer may send on, with what it is able to do (MetalLB §6.4). */
export interface AnnounceLink {
  /** Interface name, e.g. `eth0` or `eth0.100`. */
  readonly name: string;
  /** The interface's MAC: the address announced. */
  readonly mac: MacAddress;
  /** Answer ARP here (the interface has the BROADCAST flag). */
  readonly arp: boolean;
  /** Answer NDP here (the interface has an IPv6 link-local address). */
  readonly ndp: boolean;
  /** 802.1Q tags to put on frames this link originates (software VLAN interfaces). @default [] */
  readonly vlans?: readonly VlanTag[];
}

/** A foreign host claims an address we announce: another MAC in an ARP or NDP frame for it. */
export interface ConflictEvent {
  /** The address we announce. */
  readonly ip: IPAddress;
  /** Where the foreign frame arrived. */
  readonly ifName: string;
  /** The other host's MAC. */
  readonly mac: MacAddress;
  /** What gave it away. */
  readonly via: 'arp-reply' | 'arp-request' | 'arp-gratuitous' | 'ndp-advertisement' | 'ndp-solicitation';
  /** When it was seen ({@link Clock.monotonic} ms). */
  readonly at: number;
  /**
   * Detections of the same (address, MAC) not reported since the previous report (the hold-down
   * of {@link AnnouncerOptions.conflictHoldDownMs}); 0 for the first.
   */
  readonly suppressed: number;
}

/**
 * What the announcer did with an address, one event per frame: the hook behind MetalLB's
 * `metallb_layer2_requests_received{ip}`, `metallb_layer2_responses_sent{ip}` and
 * `metallb_layer2_gratuitous_sent{ip}`, plus our takeover unicasts and conflicts. `at` is
 * {@link Clock.monotonic} ms. Emitted only when a listener is set
 * ({@link AnnouncerSink.event}, `ResponderOptions.onEvent`); the same counts are kept per address
 * without one ({@link Announcer.ipStats}).
 */
export type AnnouncerEvent =
  /** A request (ARP request, NS; probes included) for an address announced on this interface (MetalLB §6.5: counted before answering). */
  | {
      readonly kind: 'request-received';
      readonly ip: IPAddress;
      readonly ifName: string;
      readonly proto: 'arp' | 'ndp';
      readonly requester: { readonly mac: MacAddress; readonly ip: IPAddress };
      readonly at: number;
    }
  /** The answer to such a request was handed to the socket. */
  | { readonly kind: 'response-sent'; readonly ip: IPAddress; readonly ifName: string; readonly proto: 'arp' | 'ndp'; readonly at: number }
  /**
   * One gratuitous frame (ARP: 2 per round, the request and the reply form; NDP: 1 unsolicited
   * NA) was handed to the socket. `first`: the first one since the address was taken over
   * (`announcedAt`, the 0→1 announcement); `at - announcedAt` is the takeover latency
   * (`metallb_ts_speaker_failover_seconds` measures from the election instead).
   */
  | {
      readonly kind: 'gratuitous-sent';
      readonly ip: IPAddress;
      readonly ifName: string;
      readonly proto: 'arp' | 'ndp';
      readonly first: boolean;
      readonly announcedAt: number;
      readonly at: number;
    }
  /** A unicast reply (ARP reply / NA with O=1) to a recent requester on takeover. */
  | {
      readonly kind: 'takeover-unicast-sent';
      readonly ip: IPAddress;
      readonly ifName: string;
      readonly requester: { readonly mac: MacAddress; readonly ip: IPAddress };
      readonly at: number;
    }
  /** Another MAC answers for an address we announce (the same as {@link AnnouncerSink.conflict}). */
  | ({ readonly kind: 'conflict' } & ConflictEvent);

/** Counters of one address (see {@link Announcer.ipStats}). Monotonic, kept after a withdrawal (Prometheus counters). */
export interface IpStats {
  /** The address. */
  readonly ip: IPAddress;
  /** Requests received for it on an interface it is announced on (`metallb_layer2_requests_received`). */
  readonly requests: number;
  /** Answers sent (`metallb_layer2_responses_sent`). */
  readonly responses: number;
  /** Gratuitous frames sent (`metallb_layer2_gratuitous_sent`; ARP 2 per round). */
  readonly gratuitous: number;
  /** Unicast frames to recent requesters on takeover. */
  readonly takeoverUnicasts: number;
  /** Conflicts reported for it. */
  readonly conflicts: number;
  /** Whether it is announced now. */
  readonly announced: boolean;
  /** When the current (or last) ownership began: the 0→1 announcement ({@link Clock.monotonic} ms). */
  readonly announcedAt: number | undefined;
  /** When the first gratuitous frame after `announcedAt` was sent; undefined while none was (no usable interface yet). */
  readonly firstGratuitousAt: number | undefined;
}

/** Where the announcer's output goes. The driver ({@link Responder}) sends frames on sockets. */
export interface AnnouncerSink {
  /** Send an encoded frame on an interface. */
  send(ifName: string, frame: Uint8Array): void;
  /** A foreign responder answers for an address we own (see {@link ConflictEvent}). */
  conflict?(event: ConflictEvent): void;
  /** Every request, response, gratuitous frame, takeover unicast and conflict (see {@link AnnouncerEvent}). */
  event?(event: AnnouncerEvent): void;
}

/** Tunables. Every default is in {@link DEFAULT_ANNOUNCER_OPTIONS}. */
export interface AnnouncerOptions {
  /** Period of the shared gratuitous ticker (MetalLB `spamLoop`). @default 1100 */
  gratuitousIntervalMs: number;
  /** Gratuitous rounds continue until this long after the last (re)announcement. @default 5000 */
  gratuitousWindowMs: number;
  /** Requesters of an address are remembered this long, for unicast replies on takeover. @default 60000 */
  requesterTtlMs: number;
  /** At most this many requesters are remembered per address (oldest forgotten first). @default 16 */
  maxRequestersPerIp: number;
  /** At most this many addresses have requesters remembered (least recently asked forgotten first). @default 4096 */
  maxTrackedIps: number;
  /** The same (address, foreign MAC) conflict is reported at most once per this period. @default 10000 */
  conflictHoldDownMs: number;
  /**
   * Answer plain Ethernet/IPv4 ARP requests and valid Neighbor Solicitations straight from the
   * bytes, without building the frame model (same outcome as the general path, which
   * differential tests check; several times cheaper). @default true
   */
  fastPath: boolean;
}

/** The defaults of {@link AnnouncerOptions}: MetalLB's schedule, plus our own bounds. */
export const DEFAULT_ANNOUNCER_OPTIONS: Readonly<AnnouncerOptions> = Object.freeze({
  gratuitousIntervalMs: 1100,
  gratuitousWindowMs: 5000,
  requesterTtlMs: 60_000,
  maxRequestersPerIp: 16,
  maxTrackedIps: 4096,
  conflictHoldDownMs: 10_000,
  fastPath: true,
});

/** Counters, for metrics (`metallb_layer2_*`) and benchmarks. */
export interface AnnouncerStats {
  /** Requests received for announced addresses (on an interface they are announced on). */
  requests: number;
  /** Requests for announced addresses that we answered. */
  responses: number;
  /** Gratuitous frames sent (ARP counts 2 per round, NDP 1, as MetalLB counts). */
  gratuitous: number;
  /** Unicast frames sent to remembered requesters on takeover. */
  takeoverUnicasts: number;
  /** Frames not answered, by reason. */
  drops: Record<DropReason, number>;
  /** Conflict events raised. */
  conflicts: number;
}

type MutableIpStats = { -readonly [K in keyof IpStats]: IpStats[K] };

interface Requester {
  ifName: string;
  mac: MacAddress;
  ip: IPAddress;
  at: number;
}

/**
 * A reply decided by the fast path. The frame model is built only when asked for (an object
 * literal with a getter would be slow to create on every request; a class keeps one shape).
 */
class FastReply {
  readonly kind = 'reply' as const;
  constructor(
    readonly proto: 'arp' | 'ndp',
    readonly ip: IPAddress,
    readonly requester: { readonly mac: MacAddress; readonly ip: IPAddress },
    private readonly bytes: Uint8Array,
  ) {}

  get frame(): Frame {
    return decodeFrame(this.bytes);
  }
}

/** Bit 128, set in the map keys of IPv6 addresses. */
const V6_TAG = 1n << 128n;
/** A cheap map key for an address (bigint keys compare by value; IPv6 gets bit 128 set). */
const ipKey = (ip: IPAddress): bigint => (ip.isV4 ? ip.value : ip.value | V6_TAG);
/** The first 13 bytes of every solicited-node address, ff02::1:ff00:0/104. */
const SNM_PREFIX = Uint8Array.from([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff]);


const emptyDrops = (): Record<DropReason, number> => ({
  malformed: 0,
  unsupported: 0,
  'not-request': 0,
  'wrong-dst-mac': 0,
  'own-frame': 0,
  gratuitous: 0,
  invalid: 0,
  'bad-hop-limit': 0,
  'wrong-dst-ip': 0,
  'not-owned': 0,
  'wrong-interface': 0,
  'unknown-vlan': 0,
});

/**
 * The Layer 2 announcer: which addresses are announced on which interfaces (MetalLB §6.3),
 * answering requests for them ({@link decideReply}), the gratuitous schedule (MetalLB §6.7:
 * a round at once, then every 1.1 s until 5 s after the last announcement), and two additions:
 * unicast replies to the recent requesters of an address when we take it over (so clients that
 * ignore gratuitous ARP learn the new MAC too), and {@link ConflictEvent}s when another MAC
 * answers for an address we announce.
 *
 * It does no I/O: frames go to the {@link AnnouncerSink}, time comes from the {@link Clock}.
 */
export class Announcer {
  private readonly opts: AnnouncerOptions;
  /** service key → ip keys it announces. */
  private readonly services = new Map<string, Set<bigint>>();
  /** ip key → the address and, per service announcing it, its interface restriction (empty = all). */
  private readonly refs = new Map<bigint, { ip: IPAddress; byService: Map<string, readonly string[]>; stats: MutableIpStats }>();
  /** ip key → its counters, for every address announced since the start (kept after withdrawal). */
  private readonly perIp = new Map<bigint, MutableIpStats>();
  private readonly links = new Map<string, AnnounceLink>();
  /** link name → its MAC's bytes, for the fast path. */
  private readonly linkMacs = new Map<string, Uint8Array>();
  /** ip key → gratuitous stop time (monotonic ms). */
  private readonly schedule = new Map<bigint, number>();
  private ticker: TimerHandle | undefined;
  /** ip key → requester's ip key → requester; Map order is recency order. */
  private readonly requesters = new Map<bigint, Map<bigint, Requester>>();
  /** `ip|mac` → last report time and detections suppressed since; Map order is recency order. */
  private readonly conflictsSeen = new Map<string, { at: number; suppressed: number }>();
  private readonly counters: AnnouncerStats = { requests: 0, responses: 0, gratuitous: 0, takeoverUnicasts: 0, drops: emptyDrops(), conflicts: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly sink: AnnouncerSink,
    options: Partial<AnnouncerOptions> = {},
  ) {
    this.opts = { ...DEFAULT_ANNOUNCER_OPTIONS, ...options };
  }

  /** Replaces the set of interfaces to announce on. */
  setLinks(links: readonly AnnounceLink[]): void {
    this.links.clear();
    this.linkMacs.clear();
    for (const l of links) {
      this.links.set(l.name, l);
      this.linkMacs.set(l.name, l.mac.toBytes());
    }
  }

  /** The interfaces currently known. */
  getLinks(): AnnounceLink[] {
    return [...this.links.values()];
  }

  /**
   * Announces `ip` for the service `key`, optionally only on some interfaces (empty or absent =
   * all). Re-announcing replaces the restriction. Every call (re)starts the gratuitous window;
   * the first announcement of an address (reference count 0→1) is a takeover: a gratuitous round
   * goes out at once, plus unicast replies to its recent requesters.
   */
  announce(key: string, ip: IPAddress, opts: { interfaces?: readonly string[] } = {}): void {
    const k = ipKey(ip);
    let svc = this.services.get(key);
    if (!svc) this.services.set(key, (svc = new Set()));
    svc.add(k);
    let r = this.refs.get(k);
    const takeover = r === undefined;
    if (!r) {
      let stats = this.perIp.get(k);
      if (!stats) {
        stats = { ip, requests: 0, responses: 0, gratuitous: 0, takeoverUnicasts: 0, conflicts: 0, announced: true, announcedAt: undefined, firstGratuitousAt: undefined };
        this.perIp.set(k, stats);
      }
      stats.announced = true;
      stats.announcedAt = this.clock.monotonic();
      stats.firstGratuitousAt = undefined;
      this.refs.set(k, (r = { ip, byService: new Map(), stats }));
    }
    r.byService.set(key, [...(opts.interfaces ?? [])]);
    const wasScheduled = this.schedule.has(k);
    this.schedule.set(k, this.clock.monotonic() + this.opts.gratuitousWindowMs);
    if (!wasScheduled) this.gratuitousRound(r);
    if (takeover) this.unicastToRequesters(ip);
    this.ensureTicker();
  }

  /**
   * Stops announcing for `key` (only `ip` when given). When no service announces an address any
   * more, its gratuitous rounds stop and requests for it are no longer answered.
   */
  withdraw(key: string, ip?: IPAddress): void {
    const svc = this.services.get(key);
    if (!svc) return;
    const keys = ip ? [ipKey(ip)] : [...svc.keys()];
    for (const k of keys) {
      if (!svc.delete(k)) continue;
      const r = this.refs.get(k);
      r?.byService.delete(key);
      if (r && r.byService.size === 0) {
        r.stats.announced = false;
        this.refs.delete(k);
        this.schedule.delete(k);
      }
    }
    if (svc.size === 0) this.services.delete(key);
    if (this.schedule.size === 0) this.stopTicker();
  }

  /** Every announced address. */
  announced(): IPAddress[] {
    return [...this.refs.values()].map((r) => r.ip);
  }

  /** Ownership of `ip` on `ifName` (MetalLB §6.3: some registration allows the interface). */
  ownership(ip: IPAddress, ifName: string): Ownership {
    return this.ownershipByKey(ipKey(ip), ifName);
  }

  private ownershipByKey(k: bigint, ifName: string): Ownership {
    const r = this.refs.get(k);
    if (!r) return 'not-owned';
    for (const allowed of r.byService.values()) if (allowed.length === 0 || allowed.includes(ifName)) return 'owned';
    return 'wrong-interface';
  }

  /** Ethernet multicast groups to join on `ifName`: the solicited-node group of each IPv6 address announced there. */
  multicastGroups(ifName: string): MacAddress[] {
    const out = new Map<string, MacAddress>();
    for (const { ip } of this.refs.values()) {
      if (ip.isV6 && this.ownership(ip, ifName) === 'owned') {
        const mac = solicitedNodeMac(ip);
        out.set(mac.toString(), mac);
      }
    }
    return [...out.values()];
  }

  /** Whether the gratuitous ticker is running (for tests). */
  get tickerRunning(): boolean {
    return this.ticker !== undefined;
  }

  /** A snapshot of the counters. */
  stats(): AnnouncerStats {
    return { ...this.counters, drops: { ...this.counters.drops } };
  }

  /**
   * Per-address counters (a snapshot): of `ip`, or of every address announced since the start
   * (withdrawn ones included: their counters are monotonic), in first-announcement order.
   */
  ipStats(): IpStats[];
  ipStats(ip: IPAddress): IpStats | undefined;
  ipStats(ip?: IPAddress): IpStats[] | IpStats | undefined {
    if (ip) {
      const s = this.perIp.get(ipKey(ip));
      return s ? { ...s } : undefined;
    }
    return [...this.perIp.values()].map((s) => ({ ...s }));
  }

  /**
   * Forgets the counters of `ip` when it is not announced (e.g. after its metric series were
   * deleted); returns whether they were forgotten.
   */
  forgetIpStats(ip: IPAddress): boolean {
    const k = ipKey(ip);
    if (this.refs.has(k)) return false;
    return this.perIp.delete(k);
  }

  /**
   * Re-announces every address announced on `ifName` there (an interface that came back up or
   * got its carrier back, a new interface): a gratuitous round on it at once, and the window
   * of {@link AnnouncerOptions.gratuitousWindowMs} restarted. Returns the addresses concerned.
   */
  refreshLink(ifName: string): IPAddress[] {
    const l = this.links.get(ifName);
    if (!l) return [];
    const out: IPAddress[] = [];
    const stopAt = this.clock.monotonic() + this.opts.gratuitousWindowMs;
    for (const [k, r] of this.refs) {
      if (!(r.ip.isV4 ? l.arp : l.ndp) || this.ownershipByKey(k, ifName) !== 'owned') continue;
      out.push(r.ip);
      this.gratuitousOn(l, r);
      this.schedule.set(k, Math.max(this.schedule.get(k) ?? 0, stopAt));
    }
    this.ensureTicker();
    return out;
  }

  /**
   * Handles one frame received on `ifName`: answers it when {@link decideReply} says so, and
   * remembers requesters and reports conflicts along the way. Returns the decision.
   */
  receive(ifName: string, bytes: Uint8Array): ReplyDecision {
    const link = this.links.get(ifName);
    if (link && this.opts.fastPath) {
      const fast = this.fastArpRequest(link, bytes) ?? this.fastNs(link, bytes);
      if (fast) return fast;
    }
    const decoded = tryDecodeFrame(bytes);
    if (!link) {
      this.counters.drops['wrong-interface']++;
      return { kind: 'drop', reason: 'wrong-interface' };
    }
    if (!(decoded instanceof Error)) this.observe(link, decoded);
    let d = decideReply(decoded, { ifName, mac: link.mac, ownership: (ip, i) => this.ownership(ip, i) });
    if (d.kind === 'reply') this.requestReceived(ifName, d.proto, d.ip, d.requester);
    // a link that cannot do this protocol (no BROADCAST flag, no IPv6 link-local) stays silent
    if (d.kind === 'reply' && !(d.proto === 'arp' ? link.arp : link.ndp)) d = { kind: 'drop', reason: 'unsupported', ip: d.ip };
    if (d.kind === 'reply') {
      this.responseSent(ifName, d.proto, d.ip);
      this.sink.send(ifName, encodeFrame(d.frame));
    } else {
      this.counters.drops[d.reason]++;
    }
    return d;
  }

  /** Counts a drop decided before {@link Announcer.receive} (by the driver, e.g. `unknown-vlan`). */
  recordDrop(reason: DropReason): void {
    this.counters.drops[reason]++;
  }

  /** Stops the ticker. The announcer can be used again afterwards. */
  close(): void {
    this.stopTicker();
  }

  /**
   * The common case, from the bytes: an untagged Ethernet/IPv4 ARP request, broadcast or to us,
   * from another host, not a probe, not gratuitous, whose sender is not an address we announce.
   * Returns undefined for anything else (the general path then handles it).
   */
  private fastArpRequest(link: AnnounceLink, b: Uint8Array): ReplyDecision | undefined {
    // EtherType 0806, htype 1, ptype 0800, hlen 6, plen 4, op 1
    if (b.length < 42 || b[12] !== 0x08 || b[13] !== 0x06 || b[14] !== 0 || b[15] !== 1 || b[16] !== 8 || b[17] !== 0) return undefined;
    if (b[18] !== 6 || b[19] !== 4 || b[20] !== 0 || b[21] !== 1) return undefined;
    const mac = this.linkMacs.get(link.name)!;
    let bcast = true;
    let toUs = true;
    for (let i = 0; i < 6; i++) {
      if (b[i] !== 0xff) bcast = false;
      if (b[i] !== mac[i]) toUs = false;
    }
    if (!bcast && !toUs) return undefined;
    let fromUs = true;
    let shaUs = true;
    for (let i = 0; i < 6; i++) {
      if (b[6 + i] !== mac[i]) fromUs = false;
      if (b[22 + i] !== mac[i]) shaUs = false;
    }
    if (fromUs || shaUs) return undefined;
    const spa = ((b[28]! << 24) | (b[29]! << 16) | (b[30]! << 8) | b[31]!) >>> 0;
    const tpa = ((b[38]! << 24) | (b[39]! << 16) | (b[40]! << 8) | b[41]!) >>> 0;
    if (spa === 0 || spa === tpa) return undefined;
    const spaKey = BigInt(spa);
    if (this.refs.has(spaKey)) return undefined; // a possible conflict: the general path reports it
    const tpaKey = BigInt(tpa);
    const requester = { mac: MacAddress.fromBytes(b.subarray(22, 28)), ip: IPAddress.fromBigInt('IPv4', spaKey) };
    const target = IPAddress.fromBigInt('IPv4', tpaKey);
    this.remember(target, { ifName: link.name, mac: requester.mac, ip: requester.ip, at: this.clock.monotonic() });
    const own = this.ownershipByKey(tpaKey, link.name);
    if (own !== 'owned') {
      this.counters.drops[own]++;
      return { kind: 'drop', reason: own, ip: target };
    }
    this.requestReceived(link.name, 'arp', target, requester);
    if (!link.arp) {
      this.counters.drops.unsupported++;
      return { kind: 'drop', reason: 'unsupported', ip: target };
    }
    // RFC 826 reply, padded to 60 bytes: the same bytes arpReply() + encodeFrame() produce
    const r = new Uint8Array(60);
    r.set(b.subarray(22, 28), 0); // Ethernet destination: the requester's ar$sha
    r.set(mac, 6);
    r.set(b.subarray(12, 20), 12); // EtherType, htype, ptype, hlen, plen
    r[21] = 2; // op REPLY
    r.set(mac, 22); // ar$sha
    r.set(b.subarray(38, 42), 28); // ar$spa = the requested address
    r.set(b.subarray(22, 32), 32); // ar$tha, ar$tpa = the requester's
    this.responseSent(link.name, 'arp', target);
    this.sink.send(link.name, r);
    return new FastReply('arp', target, requester, r);
  }

  /**
   * The common NDP case, from the bytes: an untagged, valid (RFC 4861 §7.1.1) Neighbor
   * Solicitation with a unicast source, to the target's solicited-node group or the target itself,
   * whose source is not an address we announce. Returns undefined for anything else.
   */
  private fastNs(link: AnnounceLink, b: Uint8Array): ReplyDecision | undefined {
    // EtherType 86dd, version 6, next header 58, hop limit 255, ICMPv6 type 135 code 0
    if (b.length < 78 || b[12] !== 0x86 || b[13] !== 0xdd || b[14]! >> 4 !== 6 || b[20] !== 58 || b[21] !== 255) return undefined;
    if (b[54] !== 135 || b[55] !== 0 || b[62] === 0xff) return undefined; // multicast target: general path
    const pl = (b[18]! << 8) | b[19]!;
    const end = 54 + pl;
    if (pl < 24 || end > b.length) return undefined;
    const mac = this.linkMacs.get(link.name)!;
    let toUs = true;
    let fromUs = true;
    for (let i = 0; i < 6; i++) {
      if (b[i] !== mac[i]) toUs = false;
      if (b[6 + i] !== mac[i]) fromUs = false;
    }
    if ((!toUs && (b[0]! & 1) === 0) || fromUs) return undefined;
    let srcZero = true;
    for (let i = 22; i < 38; i++) if (b[i] !== 0) srcZero = false;
    if (srcZero) return undefined; // DAD: general path
    // destination: the target itself or ff02::1:ffXX:XXXX of it
    let dstIsTarget = true;
    for (let i = 0; i < 16; i++) if (b[38 + i] !== b[62 + i]) dstIsTarget = false;
    if (!dstIsTarget) {
      for (let i = 0; i < 13; i++) if (b[38 + i] !== SNM_PREFIX[i]) return undefined;
      if (b[51] !== b[75] || b[52] !== b[76] || b[53] !== b[77]) return undefined;
    }
    if ((b[56] === 0xff && b[57] === 0xff) || icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b.subarray(54, end)) !== 0) return undefined;
    let slla: number | undefined;
    for (let o = 78; o < end; ) {
      if (end - o < 2 || b[o + 1] === 0 || o + b[o + 1]! * 8 > end) return undefined; // bad option: general path
      if (slla === undefined && b[o] === 1 && b[o + 1] === 1) slla = o + 2;
      o += b[o + 1]! * 8;
    }
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const srcValue = (dv.getBigUint64(22) << 64n) | dv.getBigUint64(30);
    if (this.refs.has(srcValue | V6_TAG)) return undefined; // a possible conflict: general path
    const tgtValue = (dv.getBigUint64(62) << 64n) | dv.getBigUint64(70);
    const reqMacAt = slla ?? 6;
    const requester = { mac: MacAddress.fromBytes(b.subarray(reqMacAt, reqMacAt + 6)), ip: IPAddress.fromBigInt('IPv6', srcValue) };
    const target = IPAddress.fromBigInt('IPv6', tgtValue);
    this.remember(target, { ifName: link.name, mac: requester.mac, ip: requester.ip, at: this.clock.monotonic() });
    const own = this.ownershipByKey(tgtValue | V6_TAG, link.name);
    if (own !== 'owned') {
      this.counters.drops[own]++;
      return { kind: 'drop', reason: own, ip: target };
    }
    this.requestReceived(link.name, 'ndp', target, requester);
    if (!link.ndp) {
      this.counters.drops.unsupported++;
      return { kind: 'drop', reason: 'unsupported', ip: target };
    }
    // solicited NA (S=1, O=0) with a TLLA: the same bytes neighborAdvertisement() + encodeFrame() produce
    const r = new Uint8Array(86);
    r.set(b.subarray(reqMacAt, reqMacAt + 6), 0);
    r.set(mac, 6);
    r[12] = 0x86;
    r[13] = 0xdd;
    r[14] = 0x60;
    r[19] = 32; // payload length
    r[20] = 58;
    r[21] = 255;
    r.set(b.subarray(62, 78), 22); // source = the target
    r.set(b.subarray(22, 38), 38); // destination = the solicitor
    r[54] = 136;
    r[58] = 0x40; // S
    r.set(b.subarray(62, 78), 62);
    r[78] = 2; // Target Link-Layer Address option
    r[79] = 1;
    r.set(mac, 80);
    const sum = icmpv6Checksum(r.subarray(22, 38), r.subarray(38, 54), r.subarray(54, 86));
    r[56] = sum >> 8;
    r[57] = sum & 0xff;
    this.responseSent(link.name, 'ndp', target);
    this.sink.send(link.name, r);
    return new FastReply('ndp', target, requester, r);
  }

  // --- per-address counters and events -------------------------------------------------------

  /** A request for an owned address (MetalLB counts it before answering). */
  private requestReceived(ifName: string, proto: 'arp' | 'ndp', ip: IPAddress, requester: { readonly mac: MacAddress; readonly ip: IPAddress }): void {
    this.counters.requests++;
    const r = this.refs.get(ipKey(ip));
    if (r) r.stats.requests++;
    this.sink.event?.({ kind: 'request-received', ip, ifName, proto, requester, at: this.clock.monotonic() });
  }

  /** The reply to a request for an owned address is being sent. */
  private responseSent(ifName: string, proto: 'arp' | 'ndp', ip: IPAddress): void {
    this.counters.responses++;
    const r = this.refs.get(ipKey(ip));
    if (r) r.stats.responses++;
    this.sink.event?.({ kind: 'response-sent', ip, ifName, proto, at: this.clock.monotonic() });
  }

  // --- requesters and conflicts ---------------------------------------------------------------

  private observe(link: AnnounceLink, f: Frame): void {
    const body = f.body;
    const ours = (mac: MacAddress) => macEquals(link.mac, mac);
    switch (body.kind) {
      case 'arp':
        this.observeArp(link, f, body, ours);
        return;
      case 'ndp':
        this.observeNdp(link, f, body, ours);
        return;
      case 'arp-raw':
        return; // not Ethernet/IPv4: says nothing about our addresses
      default:
        assertNever(body, 'frame body kind');
    }
  }

  private observeArp(link: AnnounceLink, f: Frame, body: ArpPacket, ours: (mac: MacAddress) => boolean): void {
    if (ours(body.senderMac) || ours(f.src)) return;
    const probe = body.senderIp.value === 0n;
    if (body.operation === ArpOperation.REQUEST && !probe && !body.senderIp.equals(body.targetIp)) {
      this.remember(body.targetIp, { ifName: link.name, mac: body.senderMac, ip: body.senderIp, at: this.clock.monotonic() });
    }
    if (!probe && this.ownership(body.senderIp, link.name) === 'owned') {
      const via =
        body.senderIp.equals(body.targetIp) ? 'arp-gratuitous' : body.operation === ArpOperation.REPLY ? 'arp-reply' : 'arp-request';
      this.reportConflict({ ip: body.senderIp, ifName: link.name, mac: body.senderMac, via });
    }
  }

  private observeNdp(link: AnnounceLink, f: Frame, body: NdpPacket, ours: (mac: MacAddress) => boolean): void {
    if (ours(f.src)) return;
    const m = body.message;
    if (m.type === 'ns') {
      if (body.ip.src.value !== 0n) {
        const slla = m.options.find((o) => o.type === 'source-lla');
        const mac = slla && slla.type === 'source-lla' ? slla.mac : f.src;
        this.remember(m.target, { ifName: link.name, mac, ip: body.ip.src, at: this.clock.monotonic() });
        if (this.ownership(body.ip.src, link.name) === 'owned') {
          this.reportConflict({ ip: body.ip.src, ifName: link.name, mac, via: 'ndp-solicitation' });
        }
      }
    } else if (this.ownership(m.target, link.name) === 'owned') {
      const tlla = m.options.find((o) => o.type === 'target-lla');
      const mac = tlla && tlla.type === 'target-lla' ? tlla.mac : f.src;
      if (!ours(mac)) this.reportConflict({ ip: m.target, ifName: link.name, mac, via: 'ndp-advertisement' });
    }
  }

  private remember(ip: IPAddress, r: Requester): void {
    if (this.opts.maxRequestersPerIp <= 0) return;
    const k = ipKey(ip);
    let m = this.requesters.get(k);
    if (m) this.requesters.delete(k); // re-insert: most recently asked last
    else m = new Map();
    this.requesters.set(k, m);
    const rk = ipKey(r.ip); // one entry per requesting address (the latest interface wins)
    m.delete(rk);
    m.set(rk, r);
    while (m.size > this.opts.maxRequestersPerIp) m.delete(m.keys().next().value!);
    while (this.requesters.size > this.opts.maxTrackedIps) this.requesters.delete(this.requesters.keys().next().value!);
  }

  /** Requesters of `ip` seen within the TTL (for tests and diagnostics). */
  recentRequesters(ip: IPAddress): { ifName: string; mac: MacAddress; ip: IPAddress }[] {
    const m = this.requesters.get(ipKey(ip));
    if (!m) return [];
    const cutoff = this.clock.monotonic() - this.opts.requesterTtlMs;
    return [...m.values()].filter((r) => r.at >= cutoff).map(({ ifName, mac, ip: rip }) => ({ ifName, mac, ip: rip }));
  }

  private reportConflict(seen: Omit<ConflictEvent, 'at' | 'suppressed'>): void {
    const k = `${seen.ip}|${seen.mac}`;
    const now = this.clock.monotonic();
    const last = this.conflictsSeen.get(k);
    if (last !== undefined && now - last.at < this.opts.conflictHoldDownMs) {
      last.suppressed++;
      return;
    }
    this.conflictsSeen.delete(k); // re-insert: the bound below forgets the least recently reported first
    this.conflictsSeen.set(k, { at: now, suppressed: 0 });
    if (this.conflictsSeen.size > 1024) this.conflictsSeen.delete(this.conflictsSeen.keys().next().value!);
    this.counters.conflicts++;
    const r = this.refs.get(ipKey(seen.ip));
    if (r) r.stats.conflicts++;
    const ev: ConflictEvent = { ...seen, at: now, suppressed: last?.suppressed ?? 0 };
    this.sink.conflict?.(ev);
    this.sink.event?.({ kind: 'conflict', ...ev });
  }

  // --- gratuitous schedule (MetalLB spamLoop) -------------------------------------------------

  private ensureTicker(): void {
    if (this.ticker || this.schedule.size === 0) return;
    this.ticker = this.clock.setInterval(this.opts.gratuitousIntervalMs, () => this.tick());
  }

  private stopTicker(): void {
    this.ticker?.cancel();
    this.ticker = undefined;
  }

  private tick(): void {
    const now = this.clock.monotonic();
    for (const [k, stopAt] of [...this.schedule]) {
      const r = this.refs.get(k);
      if (!r || now > stopAt) {
        this.schedule.delete(k);
        continue;
      }
      this.gratuitousRound(r);
    }
    if (this.schedule.size === 0) this.stopTicker();
  }

  private linksFor(ip: IPAddress): AnnounceLink[] {
    return [...this.links.values()].filter((l) => (ip.isV4 ? l.arp : l.ndp) && this.ownership(ip, l.name) === 'owned');
  }

  private gratuitousRound(r: { ip: IPAddress; stats: MutableIpStats }): void {
    for (const l of this.linksFor(r.ip)) this.gratuitousOn(l, r);
  }

  private gratuitousOn(l: AnnounceLink, r: { ip: IPAddress; stats: MutableIpStats }): void {
    const ip = r.ip;
    const o = { vlans: l.vlans ?? [] };
    const frames = ip.isV4
      ? [gratuitousArp(l.mac, ip, 'request', o), gratuitousArp(l.mac, ip, 'reply', o)]
      : [unsolicitedAdvertisement(l.mac, ip, o)];
    for (const f of frames) {
      this.counters.gratuitous++;
      const s = r.stats;
      s.gratuitous++;
      const first = s.firstGratuitousAt === undefined;
      const at = this.clock.monotonic();
      if (first) s.firstGratuitousAt = at;
      this.sink.send(l.name, encodeFrame(f));
      this.sink.event?.({ kind: 'gratuitous-sent', ip, ifName: l.name, proto: ip.isV4 ? 'arp' : 'ndp', first, announcedAt: s.announcedAt ?? at, at });
    }
  }

  private unicastToRequesters(ip: IPAddress): void {
    const allowed = new Map(this.linksFor(ip).map((l) => [l.name, l]));
    for (const r of this.recentRequesters(ip)) {
      const l = allowed.get(r.ifName);
      if (!l || r.ip.family !== ip.family) continue;
      const o = { vlans: l.vlans ?? [] };
      const f = ip.isV4
        ? arpReply(l.mac, ip, { mac: r.mac, ip: r.ip }, o)
        : neighborAdvertisement(l.mac, ip, { mac: r.mac, ip: r.ip }, { solicited: false, override: true }, o);
      this.counters.takeoverUnicasts++;
      const st = this.refs.get(ipKey(ip))?.stats;
      if (st) st.takeoverUnicasts++;
      this.sink.send(l.name, encodeFrame(f));
      this.sink.event?.({ kind: 'takeover-unicast-sent', ip, ifName: l.name, requester: { mac: r.mac, ip: r.ip }, at: this.clock.monotonic() });
    }
  }
}
