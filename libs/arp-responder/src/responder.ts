import type { Clock, TimerHandle } from '@metallb-ts/clock';
import type { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { Announcer, type AnnounceLink, type AnnouncerOptions, type AnnouncerStats, type ConflictEvent } from './announcer.js';
import type { ReplyDecision } from './decision.js';
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
  /** A foreign MAC answers for one of our addresses. */
  onConflict?(event: ConflictEvent): void;
  /** A socket or scan failed after start (interface gone or down, send failure …). */
  onError?(err: TransportError): void;
}

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
 * Which interfaces can answer, and how (MetalLB §6.4): up, not enslaved, not NOARP, not
 * loopback; ARP if it has the BROADCAST flag, NDP if it has an IPv6 link-local address.
 */
export function qualifyLink(l: LinkInfo): AnnounceLink | undefined {
  if (!l.up || l.hasMaster || l.noArp || l.loopback) return undefined;
  const arp = l.broadcast;
  const ndp = l.addresses.some((a) => LINK_LOCAL(a.ip));
  return arp || ndp ? { name: l.name, mac: l.mac, arp, ndp } : undefined;
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

  private constructor(private readonly opts: ResponderOptions) {
    this.announcer = new Announcer(
      opts.clock,
      {
        send: (ifName, frame) => this.send(ifName, frame),
        conflict: (ev) => opts.onConflict?.(ev),
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
    const exclude = this.opts.excludeInterfaces ?? [];
    const wanted = new Map<string, { link: AnnounceLink; index: number }>();
    for (const l of links) {
      if (exclude.some((re) => re.test(l.name))) continue;
      if (this.opts.interfaces && !this.opts.interfaces.includes(l.name)) continue;
      const q = qualifyLink(l);
      if (q) wanted.set(l.name, { link: q, index: l.index });
    }
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
      } catch (e) {
        errors.push(asTransportError(e, name));
      }
    }
    this.updateLinks();
    return errors;
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

function asTransportError(e: unknown, ifName: string | undefined): TransportError {
  if (e instanceof TransportError) return e;
  return new TransportError('io', ifName, e instanceof Error ? e.message : String(e));
}
