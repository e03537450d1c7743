import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPAddress, MacAddress } from '@metallb-ts/netaddr';
import { TransportError, type FrameHandlers, type FrameSocket, type LinkInfo, type Transport } from '../transport.js';
import { ARP_NDP_FILTER, encodeFilter } from './bpf.js';

/** Environment variable naming the `.node` file to load (overrides the search). */
export const ADDON_PATH_ENV = 'METALLB_TS_ARP_RESPONDER_ADDON';
/** File name of the built addon. */
export const ADDON_FILE = 'arp_responder.node';

/** The raw addon surface (native/packet_socket.c). */
export interface NativeAddon {
  PacketSocket: new (ifName: string, protocol: number, filter?: Buffer) => NativePacketSocket;
  listInterfaces(): {
    name: string;
    index: number;
    flags: number;
    mac?: Buffer;
    addresses: { family: 4 | 6; address: Buffer; prefix: number }[];
  }[];
  ifIndexToName(index: number): string | null;
  LinkWatcher: new (onChange: () => void) => { close(): void };
}

/** A native AF_PACKET socket. */
export interface NativePacketSocket {
  readonly ifindex: number;
  readonly mac: Buffer;
  readonly fd: number;
  /** Frames arrive in batches: every frame read in one event-loop wake-up (at most 64). */
  start(cb: (err: (Error & { code?: string }) | null, frames?: Buffer[]) => void): void;
  stop(): void;
  send(frame: Uint8Array): number;
  /** One sendmmsg(2) for several frames; returns how many were sent. */
  sendBatch(frames: Buffer[]): number;
  addMembership(mac: Buffer): void;
  dropMembership(mac: Buffer): void;
  stats(): { packets: number; drops: number };
  close(): void;
}

const IFF_UP = 0x1;
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_NOARP = 0x80;
/** Carrier (RFC 2863 lower layer up); getifaddrs(3) reports the netlink flags, which include it. */
const IFF_LOWER_UP = 0x10000;
/** ETH_P_ALL: the BPF filter does the selection. */
const ETH_P_ALL = 0x0003;

/**
 * Where the addon is looked for, in order: the explicit path, `$METALLB_TS_ARP_RESPONDER_ADDON`,
 * `arp_responder.node` beside the running module (a bundle such as `dist/apps/cli/main.mjs` ships
 * it there), beside the main script, and the package's own `build/Release/` (from `src/native/` or
 * `dist/native/`).
 */
export function addonCandidates(explicit?: string): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const main = process.argv[1] ? dirname(process.argv[1]) : undefined;
  const list = [
    explicit,
    process.env[ADDON_PATH_ENV],
    join(here, ADDON_FILE),
    main && join(main, ADDON_FILE),
    join(here, '..', '..', 'build', 'Release', ADDON_FILE),
    join(here, '..', 'build', 'Release', ADDON_FILE),
  ];
  return list.filter((p): p is string => typeof p === 'string' && p.length > 0);
}

let cached: { path: string; addon: NativeAddon } | undefined;

/**
 * Loads the native addon (once per path).
 * @throws {TransportError} `addon`, listing the paths tried and how to build it.
 */
export function loadAddon(path?: string): NativeAddon {
  const tried: string[] = [];
  const req = createRequire(import.meta.url);
  const explicit = path ?? process.env[ADDON_PATH_ENV];
  for (const p of addonCandidates(path)) {
    if (cached && cached.path === p) return cached.addon;
    tried.push(p);
    if (!existsSync(p)) {
      if (p === explicit) break; // an explicit path that is missing is an error, not a hint
      continue;
    }
    try {
      const addon = req(p) as NativeAddon;
      cached = { path: p, addon };
      return addon;
    } catch (e) {
      throw new TransportError('addon', undefined, `cannot load the arp-responder addon ${p}: ${(e as Error).message}`);
    }
  }
  throw new TransportError(
    'addon',
    undefined,
    `the arp-responder native addon was not found (tried ${tried.join(', ')}); build it with ` +
      '`npm run build:native -w libs/arp-responder` (or `npm ci`), or set ' +
      `${ADDON_PATH_ENV} to the path of ${ADDON_FILE}`,
  );
}

/** Turns an addon error into a {@link TransportError} with an actionable message. */
export function toTransportError(e: unknown, ifName: string | undefined, action: string): TransportError {
  if (e instanceof TransportError) return e;
  const err = e as Error & { code?: string };
  const code = err?.code;
  const on = ifName ? ` on "${ifName}"` : '';
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return new TransportError(
        'permission',
        ifName,
        `${action}${on} needs CAP_NET_RAW: run as root or grant the capability ` +
          '(setcap cap_net_raw+ep, or securityContext.capabilities.add: ["NET_RAW"])',
        code,
      );
    case 'ENODEV':
    case 'ENXIO':
      return new TransportError('interface-gone', ifName, `${action}${on}: interface "${ifName}" does not exist (any more)`, code);
    case 'ENETDOWN':
      return new TransportError('interface-down', ifName, `${action}${on}: interface "${ifName}" is down`, code);
    default:
      return new TransportError('io', ifName, `${action}${on} failed: ${err?.message ?? String(e)}`, code);
  }
}

class AfPacketSocket implements FrameSocket {
  readonly mac: MacAddress;
  private closed = false;
  /** Frames sent while a received batch is being handled: flushed with one sendmmsg after it. */
  private queue: Buffer[] | undefined;

  constructor(
    readonly ifName: string,
    private readonly native: NativePacketSocket,
    handlers: FrameHandlers,
  ) {
    this.mac = MacAddress.fromBytes(native.mac);
    native.start((err, frames) => {
      if (err) {
        const te = toTransportError(err, ifName, 'receiving');
        if (te.kind === 'interface-gone') this.close();
        handlers.onError(te);
        return;
      }
      this.queue = [];
      try {
        for (const frame of frames ?? []) {
          if (this.closed) break;
          handlers.onFrame(frame);
        }
      } finally {
        const q = this.queue;
        this.queue = undefined;
        if (q.length > 0 && !this.closed) this.flush(q, handlers);
      }
    });
  }

  private flush(q: Buffer[], handlers: FrameHandlers): void {
    try {
      const sent = this.native.sendBatch(q);
      if (sent < q.length) {
        handlers.onError(new TransportError('io', this.ifName, `sending on "${this.ifName}": only ${sent} of ${q.length} replies fit in the send queue`, 'EAGAIN'));
      }
    } catch (e) {
      handlers.onError(toTransportError(e, this.ifName, 'sending'));
    }
  }

  /**
   * Sends a frame. Inside the handling of a received batch the frame is queued and all of them go
   * out with one sendmmsg(2) when the batch is done (errors then reach `onError`).
   */
  send(frame: Uint8Array): void {
    if (this.closed) throw new TransportError('io', this.ifName, `socket on "${this.ifName}" is closed`, 'EBADF');
    if (this.queue) {
      this.queue.push(Buffer.isBuffer(frame) ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
      return;
    }
    try {
      this.native.send(frame);
    } catch (e) {
      throw toTransportError(e, this.ifName, 'sending');
    }
  }

  joinGroup(mac: MacAddress): void {
    try {
      this.native.addMembership(Buffer.from(mac.toBytes()));
    } catch (e) {
      throw toTransportError(e, this.ifName, `joining ${mac}`);
    }
  }

  leaveGroup(mac: MacAddress): void {
    try {
      this.native.dropMembership(Buffer.from(mac.toBytes()));
    } catch (e) {
      throw toTransportError(e, this.ifName, `leaving ${mac}`);
    }
  }

  /** Kernel receive counters since the last call (PACKET_STATISTICS). */
  kernelStats(): { packets: number; drops: number } {
    return this.native.stats();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
  }
}

/** Options of {@link AfPacketTransport}. */
export interface AfPacketTransportOptions {
  /** Path of `arp_responder.node`. @default the search in {@link addonCandidates} */
  addonPath?: string;
}

/**
 * The Linux {@link Transport}: AF_PACKET sockets from the Node-API addon (one per interface,
 * filtered in the kernel to ARP and ICMPv6 NS/NA, received on the event loop through libuv)
 * and interface discovery through getifaddrs(3) plus `/sys/class/net/<if>/master`, with
 * rtnetlink change notifications.
 * Needs CAP_NET_RAW to open sockets.
 */
export class AfPacketTransport implements Transport {
  private readonly addon: NativeAddon;
  private readonly filter = encodeFilter(ARP_NDP_FILTER);

  /** @throws {TransportError} `addon` when the addon cannot be loaded. */
  constructor(opts: AfPacketTransportOptions = {}) {
    this.addon = loadAddon(opts.addonPath);
  }

  listLinks(): LinkInfo[] {
    let raw: ReturnType<NativeAddon['listInterfaces']>;
    try {
      raw = this.addon.listInterfaces();
    } catch (e) {
      throw toTransportError(e, undefined, 'listing interfaces');
    }
    return raw
      .map((l) => ({
        name: l.name,
        index: l.index,
        mac: l.mac ? MacAddress.fromBytes(l.mac) : MacAddress.ZERO,
        up: (l.flags & IFF_UP) !== 0,
        carrier: (l.flags & IFF_LOWER_UP) !== 0,
        broadcast: (l.flags & IFF_BROADCAST) !== 0,
        noArp: (l.flags & IFF_NOARP) !== 0,
        loopback: (l.flags & IFF_LOOPBACK) !== 0,
        hasMaster: existsSync(`/sys/class/net/${l.name}/master`),
        addresses: l.addresses.map((a) => ({ ip: IPAddress.fromBytes(a.address), prefix: a.prefix })),
      }))
      .sort((a, b) => a.index - b.index);
  }

  /** rtnetlink (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR) change notifications. */
  watchLinks(onChange: () => void): { close(): void } {
    try {
      return new this.addon.LinkWatcher(onChange);
    } catch (e) {
      throw toTransportError(e, undefined, 'watching interfaces (netlink)');
    }
  }

  open(ifName: string, handlers: FrameHandlers): AfPacketSocket {
    let native: NativePacketSocket;
    try {
      native = new this.addon.PacketSocket(ifName, ETH_P_ALL, this.filter);
    } catch (e) {
      throw toTransportError(e, ifName, 'opening an AF_PACKET socket');
    }
    return new AfPacketSocket(ifName, native, handlers);
  }
}
