import type { Clock, TimerHandle } from '@metallb-ts/clock';
import type { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { Announcer, type AnnounceLink, type AnnouncerEvent, type AnnouncerOptions, type AnnouncerStats, type ConflictEvent, type IpStats } from './announcer.js';
import type { ReplyDecision } from './decision.js';
import { isExcluded } from './interfaces.js';
import { TransportError, type FrameSocket, type LinkInfo, type Transport } from './transport.js';

/** Options of {@link Responder}. Defaults are in {@link DEFAULT_RESPONDER_OPTIONS}. */
export interface ResponderOptions {
  /** Interface discovery and raw sockets: `AfPacketTransport` in production, `MemoryTransport` in tests. */
  transport: Transport;
  /** Time source for the gratuitous schedule and interface scans. */
  clock: Clock;
  /**
   * Only these interfaces (by name). Each must exist when the responder starts.
   * @default undefined (every qualifying interface)
   */
  interfaces?: readonly string[];
  /** Interfaces whose name matches any of these are never used (MetalLB `announcedInterfacesToExclude`). @default [] */
  excludeInterfaces?: readonly RegExp[];
  /** Interface re-scan period in ms; 0 disables periodic scans (call {@link Responder.scan}). @default 10000 */
  scanIntervalMs?: number;
  /** Also re-scan as soon as the transport reports an interface change (netlink). @default true */
  watchLinks?: boolean;
  /** Announcer tunables. */
  announcer?: Partial<AnnouncerOptions>;
  /**
   * Software VLAN interfaces: 802.1Q-tagged frames arriving on `parent` with VLAN ID `vid` are
   * treated as arriving on an interface called `name` (so announcements can be restricted to it),
   * and frames for `name` leave through `parent` with that tag. For hosts without kernel VLAN
   * devices (no 8021q); where `eth0.100` exists as a kernel device it is discovered like any
   * interface and needs no entry here. Tagged frames matching no entry are dropped (`unknown-vlan`).
   * @default []
   */
  vlans?: readonly SoftwareVlan[];
  /** Called for every frame with the decision taken (debug logs, metrics). */
  onDecision?(ifName: string, decision: ReplyDecision): void;
  /** A foreign MAC answers for one of our addresses (also an `onEvent` of kind `conflict`). */
  onConflict?(event: ConflictEvent): void;
  /**
   * Everything observable, one event per frame or change: requests received, responses,
   * gratuitous frames (with `first` after a takeover), takeover unicasts, conflicts
   * ({@link AnnouncerEvent}), and interface changes ({@link LinkEvent}).
   */
  onEvent?(event: ResponderEvent): void;
  /** A socket or scan failed after start (interface gone or down, send failure …). */
  onError?(err: TransportError): void;
}

/** Why the responder does not answer on an interface (MetalLB §6.4, plus carrier). A closed set. */
export type LinkSkipReason =
  /** The name matches `excludeInterfaces` (`announcedInterfacesToExclude`). */
  | 'excluded'
  /** Not in `ResponderOptions.interfaces`. */
  | 'not-selected'
  /** IFF_LOOPBACK. */
  | 'loopback'
  /** Not IFF_UP. */
  | 'down'
  /** Up, but no carrier (IFF_LOWER_UP clear: cable out, veth peer down). Beyond MetalLB, which answers into the void. */
  | 'no-carrier'
  /** Enslaved to a bridge, bond or VRF. */
  | 'enslaved'
  /** IFF_NOARP. */
  | 'no-arp'
  /** Neither the BROADCAST flag (ARP) nor an IPv6 link-local address (NDP). */
  | 'no-protocol'
  /** Qualifies, but opening its socket failed (the error went to `onError`); retried at the next scan. */
  | 'open-failed'
  /** The interface no longer exists (in `removed` and `silent` {@link LinkEvent}s only). */
  | 'gone';

/** How the responder uses an interface. */
export type LinkUse =
  | { readonly kind: 'answering'; readonly arp: boolean; readonly ndp: boolean }
  | { readonly kind: 'skipped'; readonly reason: LinkSkipReason };

/** An interface as the last scan saw it ({@link Responder.links}). */
export interface ScannedLink {
  readonly name: string;
  /** Kernel interface index. */
  readonly index: number;
  readonly mac: MacAddress;
  /** IFF_UP. */
  readonly up: boolean;
  /** IFF_LOWER_UP (true when the transport cannot tell). */
  readonly carrier: boolean;
  /** Every address, IPv4 and IPv6, link-local ones included. */
  readonly addresses: readonly { readonly ip: IPAddress; readonly prefix: number }[];
  /** Answered on, or why not. */
  readonly use: LinkUse;
  /** Set for a software VLAN ({@link ResponderOptions.vlans}): its parent interface. */
  readonly parent?: string;
}

/** What changed about an interface between two scans. A closed set. */
export type LinkChange =
  /** A new interface (every interface at start). */
  | 'added'
  /** The interface is gone (`link` is how it was last seen). */
  | 'removed'
  | 'up'
  | 'down'
  | 'carrier-up'
  | 'carrier-down'
  /** Its MAC or index changed (the socket is reopened). */
  | 'mac-changed'
  | 'addresses-changed'
  /**
   * The responder starts answering on it (socket opened): its announced addresses get a
   * gratuitous round there at once and a new 5 s window ({@link Announcer.refreshLink}).
   */
  | 'answering'
  /** The responder stops answering on it (`link.use` says why). */
  | 'silent';

/**
 * An interface changed. A speaker withdraws and re-elects on `silent` / `carrier-down` for the
 * addresses that have no answering interface left, and needs nothing on `answering`: the
 * responder re-announces there itself.
 */
export interface LinkEvent {
  readonly kind: 'link';
  readonly change: LinkChange;
  readonly link: ScannedLink;
  /** {@link Clock.monotonic} ms. */
  readonly at: number;
}

/** What {@link ResponderOptions.onEvent} receives. */
export type ResponderEvent = AnnouncerEvent | LinkEvent;

/** A software VLAN interface (see {@link ResponderOptions.vlans}). */
export interface SoftwareVlan {
  /** Name used in announcements' interface restrictions, e.g. `eth0.100`. */
  readonly name: string;
  /** The interface the tagged frames arrive on. */
  readonly parent: string;
  /** VLAN ID, 1–4094. */
  readonly vid: number;
}

/** Default option values of {@link Responder}. */
export const DEFAULT_RESPONDER_OPTIONS = Object.freeze({ scanIntervalMs: 10_000, watchLinks: true, excludeInterfaces: [] as readonly RegExp[], vlans: [] as readonly SoftwareVlan[] });

interface Open {
  socket: FrameSocket;
  link: AnnounceLink;
  index: number;
  groups: Map<string, MacAddress>;
}

const LINK_LOCAL = (ip: IPAddress): boolean => ip.isV6 && ip.value >> 118n === 0x3fan; // fe80::/10

/**
 * Which interfaces can answer, and how (MetalLB §6.4): up, with carrier, not enslaved, not
 * NOARP, not loopback; ARP if it has the BROADCAST flag, NDP if it has an IPv6 link-local address.
 */
export function qualifyLink(l: LinkInfo): AnnounceLink | undefined {
  const u = linkUse(l);
  return u.kind === 'answering' ? { name: l.name, mac: l.mac, arp: u.arp, ndp: u.ndp } : undefined;
}

/**
 * {@link qualifyLink} with the reason, and the responder's name filters first (exclude patterns,
 * then the `interfaces` list). Pure.
 */
export function linkUse(l: LinkInfo, filter: { readonly interfaces?: readonly string[] | undefined; readonly exclude?: readonly RegExp[] } = {}): LinkUse {
  const skip = (reason: LinkSkipReason): LinkUse => ({ kind: 'skipped', reason });
  if (isExcluded(l.name, filter.exclude ?? [])) return skip('excluded');
  if (filter.interfaces && !filter.interfaces.includes(l.name)) return skip('not-selected');
  if (l.loopback) return skip('loopback');
  if (!l.up) return skip('down');
  if (l.carrier === false) return skip('no-carrier');
  if (l.hasMaster) return skip('enslaved');
  if (l.noArp) return skip('no-arp');
  const arp = l.broadcast;
  const ndp = l.addresses.some((a) => LINK_LOCAL(a.ip));
  return arp || ndp ? { kind: 'answering', arp, ndp } : skip('no-protocol');
}

/**
 * The driver: opens a {@link FrameSocket} per qualifying interface, feeds received frames to the
 * {@link Announcer}, sends what it returns, keeps solicited-node multicast memberships in step
 * with the announced IPv6 addresses, and re-scans interfaces periodically.
 *
 * ```ts
 * const r = Responder.start({ transport: new AfPacketTransport(), clock: systemClock, interfaces: ['eth0'] });
 * r.announce('default/web', IPAddress.parse('198.51.100.10'));
 * ```
 */
export class Responder {
  readonly announcer: Announcer;
  private readonly sockets = new Map<string, Open>();
  /** Software VLANs whose parent has a socket: parent → vid → link. */
  private vlanLinks = new Map<string, Map<number, AnnounceLink>>();
  private scanTimer: TimerHandle | undefined;
  private watcher: { close(): void } | undefined;
  private closed = false;
  /** The last scan's view, by name (software VLANs included). */
  private scanned = new Map<string, ScannedLink>();
  private exclude: readonly RegExp[];

  private constructor(private readonly opts: ResponderOptions) {
    this.exclude = opts.excludeInterfaces ?? DEFAULT_RESPONDER_OPTIONS.excludeInterfaces;
    const onEvent = opts.onEvent;
    this.announcer = new Announcer(
      opts.clock,
      {
        send: (ifName, frame) => this.send(ifName, frame),
        conflict: (ev) => opts.onConflict?.(ev),
        ...(onEvent ? { event: (ev: AnnouncerEvent) => onEvent(ev) } : {}),
      },
      opts.announcer,
    );
  }

  /**
   * Discovers interfaces and opens sockets.
   * @throws {TransportError} `permission` without CAP_NET_RAW; `interface-gone` when a named
   *   interface does not exist; `addon` when the native addon cannot be loaded.
   */
  static start(opts: ResponderOptions): Responder {
    const r = new Responder(opts);
    const errors = r.scan();
    const fatal = errors.find((e) => e.kind === 'permission' || e.kind === 'addon') ?? (opts.interfaces ? errors[0] : undefined);
    if (fatal) {
      r.close();
      throw fatal;
    }
    for (const e of errors) opts.onError?.(e);
    if ((opts.watchLinks ?? DEFAULT_RESPONDER_OPTIONS.watchLinks) && opts.transport.watchLinks) {
      try {
        r.watcher = opts.transport.watchLinks(() => r.scan().forEach((e) => opts.onError?.(e)));
      } catch (e) {
        opts.onError?.(asTransportError(e, undefined)); // the periodic scan still works
      }
    }
    const every = opts.scanIntervalMs ?? DEFAULT_RESPONDER_OPTIONS.scanIntervalMs;
    if (every > 0) r.scanTimer = opts.clock.setInterval(every, () => r.scan().forEach((e) => opts.onError?.(e)));
    return r;
  }

  /** Announces `ip` for service `key` (see {@link Announcer.announce}). */
  announce(key: string, ip: IPAddress, opts: { interfaces?: readonly string[] } = {}): void {
    this.announcer.announce(key, ip, opts);
    this.syncGroups();
  }

  /** Stops announcing for `key` (only `ip` when given). */
  withdraw(key: string, ip?: IPAddress): void {
    this.announcer.withdraw(key, ip);
    this.syncGroups();
  }

  /** Names of the interfaces answered on: those with an open socket, then software VLANs on them. */
  activeInterfaces(): string[] {
    return [...this.sockets.keys(), ...[...this.vlanLinks.values()].flatMap((m) => [...m.values()].map((l) => l.name))];
  }

  /** The announcer's counters. */
  stats(): AnnouncerStats {
    return this.announcer.stats();
  }

  /** Per-address counters (see {@link Announcer.ipStats}): every address announced since the start, or one. */
  ipStats(): IpStats[];
  ipStats(ip: IPAddress): IpStats | undefined;
  ipStats(ip?: IPAddress): IpStats[] | IpStats | undefined {
    return ip ? this.announcer.ipStats(ip) : this.announcer.ipStats();
  }

  /**
   * Every interface the last scan saw, in index order, then the software VLANs: name, index,
   * MAC, up, carrier, addresses (link-local included) and whether it is answered on, or why not.
   */
  links(): ScannedLink[] {
    return [...this.scanned.values()];
  }

  /**
   * Replaces the exclude patterns (the `excludel2` ConfigMap changed) and re-scans at once.
   * Returns the scan's errors.
   */
  setExcludeInterfaces(exclude: readonly RegExp[]): TransportError[] {
    this.exclude = [...exclude];
    return this.scan();
  }

  /**
   * Re-reads the interfaces: opens sockets on new qualifying ones, closes the others. Returns
   * the errors met (it does not throw).
   */
  scan(): TransportError[] {
    if (this.closed) return [];
    const errors: TransportError[] = [];
    let links: LinkInfo[];
    try {
      links = this.opts.transport.listLinks();
    } catch (e) {
      return [asTransportError(e, undefined)];
    }
    const wanted = new Map<string, { link: AnnounceLink; index: number }>();
    const uses = new Map<string, LinkUse>();
    for (const l of links) {
      const u = linkUse(l, { interfaces: this.opts.interfaces, exclude: this.exclude });
      uses.set(l.name, u);
      if (u.kind === 'answering') wanted.set(l.name, { link: { name: l.name, mac: l.mac, arp: u.arp, ndp: u.ndp }, index: l.index });
    }
    const opened = new Set<string>();
    for (const name of this.opts.interfaces ?? []) {
      if (!links.some((l) => l.name === name)) errors.push(new TransportError('interface-gone', name, `interface "${name}" does not exist`, 'ENODEV'));
    }
    for (const [name, o] of this.sockets) {
      const w = wanted.get(name);
      if (!links.some((l) => l.name === name)) {
        // vanished (the socket's own error may not have arrived yet)
        errors.push(new TransportError('interface-gone', name, `interface "${name}" no longer exists; its socket is closed`, 'ENODEV'));
      }
      if (!w || w.index !== o.index || !w.link.mac.equals(o.link.mac)) this.drop(name);
      else o.link = w.link;
    }
    for (const [name, w] of wanted) {
      if (this.sockets.has(name)) continue;
      try {
        const socket = this.opts.transport.open(name, {
          onFrame: (frame) => this.onFrame(name, frame),
          onError: (err) => this.onSocketError(name, err),
        });
        this.sockets.set(name, { socket, link: w.link, index: w.index, groups: new Map() });
        opened.add(name);
      } catch (e) {
        errors.push(asTransportError(e, name));
        uses.set(name, { kind: 'skipped', reason: 'open-failed' });
      }
    }
    this.updateLinks();
    this.recordScan(links, uses, opened);
    return errors;
  }

  /** Updates {@link Responder.links}, emits the {@link LinkEvent}s, and re-announces on newly answering links. */
  private recordScan(links: readonly LinkInfo[], uses: ReadonlyMap<string, LinkUse>, opened: ReadonlySet<string>): void {
    const next = new Map<string, ScannedLink>();
    for (const l of links) {
      next.set(l.name, { name: l.name, index: l.index, mac: l.mac, up: l.up, carrier: l.carrier ?? true, addresses: l.addresses, use: uses.get(l.name)! });
    }
    for (const v of this.opts.vlans ?? []) {
      const p = next.get(v.parent);
      if (!p) continue;
      const use: LinkUse = this.sockets.has(v.parent) ? p.use : { kind: 'skipped', reason: p.use.kind === 'skipped' ? p.use.reason : 'open-failed' };
      next.set(v.name, { ...p, name: v.name, addresses: [], use, parent: v.parent });
    }
    const prev = this.scanned;
    this.scanned = next;
    const fresh = (name: string) => opened.has(name);
    const emit = this.opts.onEvent;
    const at = this.opts.clock.monotonic();
    for (const [name, old] of prev) {
      if (!next.has(name)) {
        const gone: ScannedLink = { ...old, use: { kind: 'skipped', reason: 'gone' } };
        if (old.use.kind === 'answering') emit?.({ kind: 'link', change: 'silent', link: gone, at });
        emit?.({ kind: 'link', change: 'removed', link: gone, at });
      }
    }
    for (const [name, l] of next) {
      const old = prev.get(name);
      const changes: LinkChange[] = [];
      if (!old) changes.push('added');
      else {
        if (old.up !== l.up) changes.push(l.up ? 'up' : 'down');
        if (old.carrier !== l.carrier) changes.push(l.carrier ? 'carrier-up' : 'carrier-down');
        if (old.index !== l.index || !old.mac.equals(l.mac)) changes.push('mac-changed');
        if (!sameAddresses(old.addresses, l.addresses)) changes.push('addresses-changed');
      }
      const parent = l.parent ?? name;
      const nowAnswering = l.use.kind === 'answering';
      const wasAnswering = old?.use.kind === 'answering';
      if (nowAnswering && (!wasAnswering || fresh(parent))) changes.push('answering');
      else if (!nowAnswering && wasAnswering) changes.push('silent');
      for (const change of changes) emit?.({ kind: 'link', change, link: l, at });
    }
    // a socket opened on this scan (new, back up, carrier back): announce there again at once
    for (const [name, l] of next) if (l.use.kind === 'answering' && fresh(l.parent ?? name)) this.announcer.refreshLink(name);
  }

  /** Closes every socket and stops the timers. */
  close(): void {
    this.closed = true;
    this.scanTimer?.cancel();
    this.watcher?.close();
    this.announcer.close();
    for (const name of [...this.sockets.keys()]) this.drop(name);
    this.vlanLinks = new Map();
    this.announcer.setLinks([]);
  }

  /** Recomputes the announcer's links: one per socket plus the software VLANs on them. */
  private updateLinks(): void {
    this.vlanLinks = new Map();
    for (const v of this.opts.vlans ?? []) {
      const parent = this.sockets.get(v.parent);
      if (!parent) continue;
      let m = this.vlanLinks.get(v.parent);
      if (!m) this.vlanLinks.set(v.parent, (m = new Map()));
      m.set(v.vid, { ...parent.link, name: v.name, vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: v.vid }] });
    }
    this.announcer.setLinks([...[...this.sockets.values()].map((o) => o.link), ...[...this.vlanLinks.values()].flatMap((m) => [...m.values()])]);
    this.syncGroups();
  }

  private onFrame(ifName: string, frame: Uint8Array): void {
    let name = ifName;
    const type = frame.length >= 16 ? (frame[12]! << 8) | frame[13]! : 0;
    if (type === 0x8100 || type === 0x88a8) {
      const link = this.vlanLinks.get(ifName)?.get(((frame[14]! << 8) | frame[15]!) & 0x0fff);
      if (!link) {
        this.announcer.recordDrop('unknown-vlan');
        this.opts.onDecision?.(ifName, { kind: 'drop', reason: 'unknown-vlan' });
        return;
      }
      name = link.name;
    }
    const d = this.announcer.receive(name, frame);
    this.opts.onDecision?.(name, d);
  }

  private socketFor(name: string): Open | undefined {
    const direct = this.sockets.get(name);
    if (direct) return direct;
    for (const [parent, m] of this.vlanLinks) for (const l of m.values()) if (l.name === name) return this.sockets.get(parent);
    return undefined;
  }

  private onSocketError(ifName: string, err: TransportError): void {
    if (err.kind === 'interface-gone') {
      this.drop(ifName);
      this.updateLinks();
    }
    this.opts.onError?.(err);
  }

  private send(ifName: string, frame: Uint8Array): void {
    const o = this.socketFor(ifName);
    if (!o) return;
    try {
      o.socket.send(frame);
    } catch (e) {
      this.onSocketError(ifName, asTransportError(e, ifName));
    }
  }

  private drop(name: string): void {
    const o = this.sockets.get(name);
    if (!o) return;
    this.sockets.delete(name);
    try {
      o.socket.close();
    } catch {
      // closing a socket of a vanished interface may fail; it is gone either way
    }
  }

  private syncGroups(): void {
    for (const [name, o] of this.sockets) {
      const names = [name, ...[...(this.vlanLinks.get(name)?.values() ?? [])].map((l) => l.name)];
      const want = new Map(names.flatMap((n) => this.announcer.multicastGroups(n)).map((m) => [m.toString(), m]));
      try {
        for (const [k, m] of o.groups) if (!want.has(k)) o.socket.leaveGroup(m);
        for (const [k, m] of want) if (!o.groups.has(k)) o.socket.joinGroup(m);
        o.groups = want;
      } catch (e) {
        this.opts.onError?.(asTransportError(e, name));
      }
    }
  }
}

function sameAddresses(a: ScannedLink['addresses'], b: ScannedLink['addresses']): boolean {
  return a.length === b.length && a.every((x, i) => x.prefix === b[i]!.prefix && x.ip.equals(b[i]!.ip));
}

function asTransportError(e: unknown, ifName: string | undefined): TransportError {
  if (e instanceof TransportError) return e;
  return new TransportError('io', ifName, e instanceof Error ? e.message : String(e));
}
