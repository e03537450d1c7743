import { IPAddress } from '@metallb-ts/netaddr';
import { ConfigError } from './config.js';

/** An IP address and port (the IP in canonical text form). */
export interface PeerAddress {
  readonly ip: string;
  readonly port: number;
}

/** Formats `ip:port` (`[v6]:port` for IPv6). */
export function formatAddress(a: PeerAddress): string {
  return a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`;
}

/**
 * One TCP-like connection. memberlist sends one request and at most one reply per connection.
 */
export interface StreamConn {
  readonly remote: PeerAddress;
  /** Queues bytes for sending. */
  write(data: Uint8Array): void;
  /** The next chunk of received bytes; `null` at end of stream. Rejects on a connection error. */
  read(): Promise<Uint8Array | null>;
  /** Closes both directions; pending reads resolve to `null`. Idempotent. */
  close(): void;
}

/**
 * The network port of the memberlist driver (like Go's `Transport`): datagrams and streams on
 * one address. `@metallb-ts/memberlist` ships {@link createNodeTransport} (UDP + TCP) and, in
 * `./testing`, an in-memory network.
 */
export interface Transport {
  /** The bound address (port resolved when 0 was asked for). */
  readonly localAddress: PeerAddress;
  /** Sends one datagram; errors are swallowed (UDP semantics) and counted by the transport. */
  sendPacket(to: PeerAddress, data: Uint8Array): void;
  /** Installs the datagram handler (one handler; replaces any previous). */
  onPacket(fn: (data: Uint8Array, from: PeerAddress) => void): void;
  /**
   * Opens a stream; rejects when it cannot connect within `timeoutMs`. A peer whose host refuses
   * the connection rejects with an error whose `code` is `ECONNREFUSED` ({@link isConnectionRefused}).
   */
  dial(to: PeerAddress, timeoutMs: number): Promise<StreamConn>;
  /** Installs the handler for accepted streams. */
  onStream(fn: (conn: StreamConn) => void): void;
  /** Stops receiving and releases the sockets. */
  close(): Promise<void>;
}

/**
 * Whether a {@link Transport.dial} failure means the peer's host refused the connection (nothing
 * listens on the port) rather than a silent network: a Node `ECONNREFUSED`, or any error whose
 * `code` says so (transports other than ours should reject that way).
 */
export function isConnectionRefused(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ECONNREFUSED';
}

/**
 * Splits `host`, `host:port` or `[v6]:port` (host may be a name); the port defaults to
 * `defaultPort`. Throws {@link ConfigError} naming `field` for a bad port or an empty host.
 */
export function splitHostPort(text: string, defaultPort: number, field = 'address'): { host: string; port: number } {
  const s = text.trim();
  let host = s;
  let port = defaultPort;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (s.split(':').length === 2) {
    const [h, p] = s.split(':');
    host = h!;
    port = p === '' ? Number.NaN : Number(p);
  }
  if (host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(field, `"${text}" is not host, host:port or [ipv6]:port`);
  }
  return { host, port };
}

/**
 * Parses `ip`, `ip:port` or `[ipv6]:port`; the port defaults to `defaultPort`. Throws
 * {@link ConfigError} naming `field`.
 */
export function parseHostPort(text: string, defaultPort: number, field = 'address'): PeerAddress {
  let hp: { host: string; port: number };
  try {
    hp = splitHostPort(text, defaultPort, field);
  } catch {
    throw new ConfigError(field, `"${text}" is not ip, ip:port or [ipv6]:port`);
  }
  const ip = IPAddress.tryParse(hp.host);
  if (!ip) throw new ConfigError(field, `"${text}" is not ip, ip:port or [ipv6]:port`);
  return { ip: ip.toString(), port: hp.port };
}
