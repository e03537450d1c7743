import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import {
  TransportError,
  type FrameHandlers,
  type FrameSocket,
  type LinkInfo,
  type Transport,
} from '../transport.js';

/** A frame seen on a {@link MemorySegment}, with who sent it. */
export interface SegmentRecord {
  /** `host/ifName` of the sending port, or the endpoint's name. */
  readonly from: string;
  readonly frame: Uint8Array;
}

interface Port {
  readonly id: string;
  readonly mac: () => MacAddress;
  readonly up: () => boolean;
  /** Delivers a frame if the port accepts it. */
  deliver(frame: Uint8Array): void;
}

/**
 * An in-memory Ethernet segment (a hub with MAC filtering at each port): a frame sent by one port
 * reaches every other port whose MAC is its destination, or every port for broadcast and
 * multicast (as on veth, where multicast is not filtered). Delivery is synchronous but never
 * re-entrant: frames sent while delivering are queued and delivered in order afterwards.
 */
export class MemorySegment {
  private readonly ports = new Set<Port>();
  private readonly queue: { from: Port; frame: Uint8Array }[] = [];
  private delivering = false;
  /** Every frame sent on the segment, in order. */
  readonly log: SegmentRecord[] = [];

  /** @internal */
  attach(p: Port): () => void {
    this.ports.add(p);
    return () => this.ports.delete(p);
  }

  /** @internal */
  transmit(from: Port, frame: Uint8Array): void {
    this.log.push({ from: from.id, frame: Uint8Array.from(frame) });
    this.queue.push({ from, frame: Uint8Array.from(frame) });
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let item = this.queue.shift(); item; item = this.queue.shift()) {
        const dst = item.frame.subarray(0, 6);
        const group = (dst[0]! & 1) === 1;
        for (const p of this.ports) {
          if (p === item.from || !p.up()) continue;
          if (group || sameBytes(dst, p.mac().toBytes())) p.deliver(item.frame);
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  /**
   * A plain host port (a test client): frames it receives are kept in `received`; `send` puts
   * frames on the segment.
   */
  endpoint(name: string, mac: MacAddress): MemoryEndpoint {
    return new MemoryEndpoint(this, name, mac);
  }
}

/** A test client on a {@link MemorySegment}. */
export class MemoryEndpoint {
  /** Frames delivered to this endpoint, in order. */
  readonly received: Uint8Array[] = [];
  private readonly port: Port;

  constructor(
    private readonly segment: MemorySegment,
    readonly name: string,
    readonly mac: MacAddress,
  ) {
    this.port = { id: name, mac: () => mac, up: () => true, deliver: (f) => this.received.push(Uint8Array.from(f)) };
    segment.attach(this.port);
  }

  /** Puts a frame on the segment. */
  send(frame: Uint8Array): void {
    this.segment.transmit(this.port, frame);
  }

  /** Returns and forgets what was received so far. */
  take(): Uint8Array[] {
    return this.received.splice(0);
  }
}

interface MemLink {
  name: string;
  index: number;
  mac: MacAddress;
  up: boolean;
  carrier: boolean;
  broadcast: boolean;
  noArp: boolean;
  loopback: boolean;
  hasMaster: boolean;
  addresses: { ip: IPAddress; prefix: number }[];
  segment: MemorySegment | undefined;
  sockets: Set<MemorySocket>;
  detach?: () => void;
}

/** Options of {@link MemoryTransport.addLink}. */
export interface MemoryLinkInit {
  name: string;
  mac: MacAddress | string;
  /** The segment the link is plugged into. */
  segment?: MemorySegment;
  /** @default true */
  up?: boolean;
  /** Carrier (IFF_LOWER_UP); without it nothing is delivered either way. @default true */
  carrier?: boolean;
  /** @default true */
  broadcast?: boolean;
  /** @default false */
  noArp?: boolean;
  /** @default false */
  hasMaster?: boolean;
  /**
   * Addresses as `ip/prefix` text. @default a link-local address derived from the MAC, so the
   * link answers NDP.
   */
  addresses?: string[];
}

class MemorySocket implements FrameSocket {
  private closed = false;
  /** Joined groups with their counts (kernel semantics: reference counted). */
  readonly groups = new Map<string, number>();

  constructor(
    private readonly link: MemLink,
    private readonly handlers: FrameHandlers,
    private readonly owner: MemoryTransport,
  ) {}

  get ifName(): string {
    return this.link.name;
  }

  get mac(): MacAddress {
    return this.link.mac;
  }

  send(frame: Uint8Array): void {
    if (this.closed) throw new TransportError('io', this.link.name, `socket on "${this.link.name}" is closed`, 'EBADF');
    if (!this.owner.hasLink(this.link.name)) throw new TransportError('interface-gone', this.link.name, `interface "${this.link.name}" no longer exists`, 'ENXIO');
    if (!this.link.up) throw new TransportError('interface-down', this.link.name, `interface "${this.link.name}" is down`, 'ENETDOWN');
    this.owner.sent.push({ ifName: this.link.name, frame: Uint8Array.from(frame) });
    if (this.link.carrier) this.link.segment?.transmit(this.owner.portOf(this.link), frame);
  }

  joinGroup(mac: MacAddress): void {
    const k = mac.toString();
    this.groups.set(k, (this.groups.get(k) ?? 0) + 1);
  }

  leaveGroup(mac: MacAddress): void {
    const k = mac.toString();
    const n = (this.groups.get(k) ?? 0) - 1;
    if (n > 0) this.groups.set(k, n);
    else this.groups.delete(k);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.link.sockets.delete(this);
  }

  /** @internal */
  deliver(frame: Uint8Array): void {
    if (!this.closed) this.handlers.onFrame(Uint8Array.from(frame));
  }

  /** @internal */
  fail(err: TransportError): void {
    if (!this.closed) this.handlers.onError(err);
  }
}

/**
 * An in-memory {@link Transport}: a host with links you add, remove, bring up or down, each
 * optionally plugged into a {@link MemorySegment}. Use it to test everything above the raw
 * sockets without root.
 */
export class MemoryTransport implements Transport {
  private readonly links = new Map<string, MemLink>();
  private readonly ports = new Map<MemLink, Port>();
  private nextIndex = 2;
  /** Every frame sent through this transport's sockets. */
  readonly sent: { ifName: string; frame: Uint8Array }[] = [];
  /** When set, `open` fails with this error (e.g. a `permission` error to simulate a missing CAP_NET_RAW). */
  failOpen: TransportError | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(readonly hostName = 'host') {}

  /** Adds a link (plugged into `init.segment` if given). */
  addLink(init: MemoryLinkInit): this {
    const mac = typeof init.mac === 'string' ? MacAddress.parse(init.mac) : init.mac;
    const addresses = (init.addresses ?? [linkLocalFor(mac)]).map(parseAddress);
    const link: MemLink = {
      name: init.name,
      index: this.nextIndex++,
      mac,
      up: init.up ?? true,
      carrier: init.carrier ?? true,
      broadcast: init.broadcast ?? true,
      noArp: init.noArp ?? false,
      loopback: false,
      hasMaster: init.hasMaster ?? false,
      addresses,
      segment: init.segment,
      sockets: new Set(),
    };
    this.links.set(link.name, link);
    if (init.segment) link.detach = init.segment.attach(this.portOf(link));
    this.notify();
    return this;
  }

  /** Deletes a link: its sockets get an `interface-gone` error. */
  removeLink(name: string): void {
    const link = this.links.get(name);
    if (!link) return;
    this.links.delete(name);
    link.detach?.();
    for (const s of [...link.sockets]) s.fail(new TransportError('interface-gone', name, `interface "${name}" was removed`, 'ENODEV'));
    this.notify();
  }

  /** Brings a link up or down; going down reports `interface-down` to its sockets. */
  setUp(name: string, up: boolean): void {
    const link = this.links.get(name);
    if (!link) throw new Error(`no link "${name}"`);
    link.up = up;
    if (!up) for (const s of [...link.sockets]) s.fail(new TransportError('interface-down', name, `interface "${name}" went down`, 'ENETDOWN'));
    this.notify();
  }

  /**
   * Plugs the cable in or out (IFF_LOWER_UP; for veth: the peer up or down). Sockets stay open
   * and get no error, as on Linux; frames are neither delivered nor transmitted without carrier.
   */
  setCarrier(name: string, carrier: boolean): void {
    const link = this.links.get(name);
    if (!link) throw new Error(`no link "${name}"`);
    link.carrier = carrier;
    this.notify();
  }

  /** Changes a link's addresses (`ip/prefix` text), like `ip addr`. */
  setAddresses(name: string, addresses: readonly string[]): void {
    const link = this.links.get(name);
    if (!link) throw new Error(`no link "${name}"`);
    link.addresses = addresses.map(parseAddress);
    this.notify();
  }

  /** Like netlink: `onChange` is called after every addLink, removeLink, setUp, setCarrier and setAddresses. */
  watchLinks(onChange: () => void): { close(): void } {
    this.watchers.add(onChange);
    return { close: () => this.watchers.delete(onChange) };
  }

  private notify(): void {
    for (const w of [...this.watchers]) w();
  }

  /** Groups joined on `ifName`, summed over its open sockets (text MACs). */
  joinedGroups(ifName: string): string[] {
    const out = new Set<string>();
    for (const s of this.links.get(ifName)?.sockets ?? []) for (const k of s.groups.keys()) out.add(k);
    return [...out].sort();
  }

  /** Number of open sockets on `ifName`. */
  openSockets(ifName: string): number {
    return this.links.get(ifName)?.sockets.size ?? 0;
  }

  /** @internal */
  hasLink(name: string): boolean {
    return this.links.has(name);
  }

  /** @internal */
  portOf(link: MemLink): Port {
    let p = this.ports.get(link);
    if (!p) {
      p = {
        id: `${this.hostName}/${link.name}`,
        mac: () => link.mac,
        up: () => link.up && link.carrier,
        deliver: (f) => {
          for (const s of [...link.sockets]) s.deliver(f);
        },
      };
      this.ports.set(link, p);
    }
    return p;
  }

  listLinks(): LinkInfo[] {
    return [...this.links.values()]
      .sort((a, b) => a.index - b.index)
      .map((l) => ({
        name: l.name,
        index: l.index,
        mac: l.mac,
        up: l.up,
        carrier: l.carrier,
        broadcast: l.broadcast,
        noArp: l.noArp,
        loopback: l.loopback,
        hasMaster: l.hasMaster,
        addresses: [...l.addresses],
      }));
  }

  open(ifName: string, handlers: FrameHandlers): FrameSocket {
    if (this.failOpen) throw this.failOpen;
    const link = this.links.get(ifName);
    if (!link) throw new TransportError('interface-gone', ifName, `interface "${ifName}" does not exist`, 'ENODEV');
    const s = new MemorySocket(link, handlers, this);
    link.sockets.add(s);
    return s;
  }
}

function parseAddress(t: string): { ip: IPAddress; prefix: number } {
  const [ip, prefix] = t.split('/');
  const addr = IPAddress.parse(ip!);
  return { ip: addr, prefix: prefix === undefined ? addr.bits : Number(prefix) };
}

/** The EUI-64 link-local address (RFC 4291 App. A) of a MAC. */
function linkLocalFor(mac: MacAddress): string {
  const b = mac.toBytes();
  const eui = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((eui[i]! << 8) | eui[i + 1]!).toString(16));
  return `fe80::${groups.join(':')}/64`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
