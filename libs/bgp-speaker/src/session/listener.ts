import { IPAddress } from '@metallb-ts/netaddr';
import type { BgpSession } from './session.js';
import type { Connection, ListeningSocket, ListenTransport } from './ports.js';

/**
 * Accepts BGP connections on one address/port and hands each to the session configured for the
 * remote address (passive sessions, and collision detection for active ones). Connections from
 * unknown addresses are closed. MD5 keys of the sessions are installed on the listening socket.
 */
export class BgpListener {
  private readonly sessions = new Map<string, BgpSession>();
  private constructor(private readonly sock: ListeningSocket) {}

  /** Listens on `address:port` (port 0: ephemeral). */
  static async create(opts: { address: string; port: number }, transport: ListenTransport): Promise<BgpListener> {
    const box: { self?: BgpListener } = {};
    const sock = await transport.listen({ address: opts.address, port: opts.port }, (conn) => box.self?.onConnection(conn));
    box.self = new BgpListener(sock);
    return box.self;
  }

  /** The bound address and port. */
  get address(): { address: string; port: number } {
    return { address: this.sock.address, port: this.sock.port };
  }

  /** Routes connections from `session.options.peerAddress` to `session`. */
  add(session: BgpSession): void {
    const peer = canonical(session.options.peerAddress);
    this.sessions.set(peer, session);
    if (session.options.password) this.sock.setPassword(peer, session.options.password);
  }

  /** Stops routing connections to `session`. */
  remove(session: BgpSession): void {
    const peer = canonical(session.options.peerAddress);
    if (this.sessions.get(peer) === session) {
      this.sessions.delete(peer);
      if (session.options.password) this.sock.setPassword(peer, '');
    }
  }

  /** Stops listening (sessions keep running). */
  close(): Promise<void> {
    return this.sock.close();
  }

  private onConnection(conn: Connection): void {
    const s = this.sessions.get(canonical(conn.remoteAddress));
    if (!s) {
      conn.destroy();
      return;
    }
    s.acceptConnection(conn);
  }
}

/** Canonical text of an address (IPv4-mapped IPv6 from dual-stack sockets becomes IPv4). */
function canonical(a: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  const ip = IPAddress.tryParse(m ? m[1]! : a);
  return ip ? ip.toString() : a;
}
