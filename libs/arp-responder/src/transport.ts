import type { IPAddress, MacAddress } from '@metallb-ts/netaddr';

/** A network interface as discovery sees it. */
export interface LinkInfo {
  /** Interface name (`eth0`, `eth0.100`, …). */
  readonly name: string;
  /** Kernel interface index. */
  readonly index: number;
  /** Hardware address; `00:00:00:00:00:00` for interfaces without one (lo). */
  readonly mac: MacAddress;
  /** IFF_UP. */
  readonly up: boolean;
  /**
   * IFF_LOWER_UP: the link has carrier (cable in, veth peer up). Undefined when the transport
   * cannot tell (treated as carrier present). @default undefined
   */
  readonly carrier?: boolean;
  /** IFF_BROADCAST: ARP is possible here. */
  readonly broadcast: boolean;
  /** IFF_NOARP. */
  readonly noArp: boolean;
  /** IFF_LOOPBACK. */
  readonly loopback: boolean;
  /** The interface is enslaved to a bridge, bond or VRF (`/sys/class/net/<if>/master` exists). */
  readonly hasMaster: boolean;
  /** Addresses configured on it. */
  readonly addresses: readonly { readonly ip: IPAddress; readonly prefix: number }[];
}

/** Why a transport operation failed. */
export type TransportErrorKind =
  /** The process lacks CAP_NET_RAW (AF_PACKET sockets need it). */
  | 'permission'
  /** No interface by that name (it never existed or was deleted). */
  | 'interface-gone'
  /** The interface went down; the socket stays open and resumes when it comes back up. */
  | 'interface-down'
  /** The native addon could not be loaded. */
  | 'addon'
  /** Any other system call failure. */
  | 'io';

/** Every failure of a {@link Transport} or {@link FrameSocket}. The message says what to do. */
export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    /** What went wrong, as a closed set. */
    readonly kind: TransportErrorKind,
    /** The interface concerned, if any. */
    readonly ifName: string | undefined,
    message: string,
    /** The errno name (`EPERM`, `ENODEV`, …) from the system call, if any. */
    readonly errno?: string,
  ) {
    super(message);
  }
}

/** Callbacks of an open {@link FrameSocket}. */
export interface FrameHandlers {
  /** A frame arrived (only ARP and ICMPv6 NS/NA pass the socket's filter). */
  onFrame(frame: Uint8Array): void;
  /** The socket failed; `interface-gone` errors mean it was closed. */
  onError(err: TransportError): void;
}

/** A raw Ethernet socket bound to one interface (style.md §10.16: `send(frame)`, `onFrame(cb)`). */
export interface FrameSocket {
  /** The interface it is bound to. */
  readonly ifName: string;
  /** The interface's MAC when the socket was opened. */
  readonly mac: MacAddress;
  /** Sends one whole Ethernet frame. @throws {TransportError} */
  send(frame: Uint8Array): void;
  /** Accept frames sent to an Ethernet multicast group (reference counted by the kernel per socket). */
  joinGroup(mac: MacAddress): void;
  /** Undo one {@link FrameSocket.joinGroup}. */
  leaveGroup(mac: MacAddress): void;
  /** Closes the socket; idempotent. */
  close(): void;
}

/** The I/O port under the {@link Responder}: interface discovery and raw sockets. */
export interface Transport {
  /** Every interface, in index order. @throws {TransportError} */
  listLinks(): LinkInfo[];
  /** Opens a socket on `ifName` receiving ARP and ICMPv6 NS/NA only. @throws {TransportError} */
  open(ifName: string, handlers: FrameHandlers): FrameSocket;
  /**
   * Optional: calls `onChange` soon after interfaces or their addresses change (rtnetlink on
   * Linux), so that a re-scan need not wait for the periodic one. @throws {TransportError}
   */
  watchLinks?(onChange: () => void): { close(): void };
}
