import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { IPAddress } from '@metallb-ts/netaddr';
import type { Connection, ConnectAttempt, ConnectOptions, ListenOptions, ListeningSocket, ListenTransport, Transport } from './ports.js';

/** The functions of the `tcp_md5` Node-API addon (libs/bgp-speaker/native). */
export interface TcpMd5Addon {
  createTcpSocket(family: 4 | 6, localAddress: string | null, localPort: number, ttl: number): number;
  setTcpMd5(fd: number, peerAddress: string, key: string): void;
  setTtl(fd: number, family: 4 | 6, ttl: number): void;
}

/** Thrown when TCP MD5 or a TTL is asked for but the native addon cannot be loaded. */
export class NativeAddonError extends Error {
  override name = 'NativeAddonError';
  constructor(
    readonly tried: string[],
    readonly loadError?: unknown,
  ) {
    super(
      `TCP MD5 and TTL need the tcp_md5 addon; build it with "npm run build:native -w libs/bgp-speaker" ` +
        `or set METALLB_TS_TCP_MD5_ADDON to its path (tried ${tried.join(', ')})`,
    );
  }
}

let cached: TcpMd5Addon | undefined;

/**
 * Loads the addon: `path`, else `$METALLB_TS_TCP_MD5_ADDON`, else `native/build/tcp_md5.node`
 * next to this package, else `tcp_md5.node` beside the main script (bundled CLIs).
 * @throws {NativeAddonError} when none loads.
 */
export function loadTcpMd5Addon(path?: string): TcpMd5Addon {
  if (cached && !path) return cached;
  const require = createRequire(import.meta.url);
  const tried = [
    path,
    process.env['METALLB_TS_TCP_MD5_ADDON'],
    new URL('../../native/build/tcp_md5.node', import.meta.url).pathname,
    process.argv[1] ? new URL('tcp_md5.node', `file://${process.argv[1]}`).pathname : undefined,
  ].filter((p): p is string => !!p);
  let lastErr: unknown;
  for (const p of tried) {
    if (!existsSync(p)) continue;
    try {
      cached = require(p) as TcpMd5Addon;
      return cached;
    } catch (e) {
      lastErr = e;
    }
  }
  throw new NativeAddonError(tried, lastErr);
}

/** True when the addon can be loaded (tests use it to decide whether MD5 cases can run). */
export function tcpMd5Available(): boolean {
  try {
    loadTcpMd5Addon();
    return true;
  } catch {
    return false;
  }
}

class NodeConnection implements Connection {
  private closed = false;
  private handlers?: { onData(chunk: Uint8Array): void; onClose(error?: Error): void };
  private error?: Error;
  constructor(private readonly s: net.Socket) {
    s.setNoDelay(true);
    s.on('data', (d: Buffer) => this.handlers?.onData(d));
    s.on('error', (e) => {
      this.error = e;
    });
    s.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.handlers?.onClose(this.error);
    });
  }
  get localAddress(): string {
    return this.s.localAddress ?? '';
  }
  get localPort(): number {
    return this.s.localPort ?? 0;
  }
  get remoteAddress(): string {
    return this.s.remoteAddress ?? '';
  }
  get remotePort(): number {
    return this.s.remotePort ?? 0;
  }
  write(bytes: Uint8Array): boolean {
    if (this.s.destroyed) return false;
    return this.s.write(bytes);
  }
  end(): void {
    this.s.end();
    // A peer that never closes its side must not keep the socket forever.
    this.s.setTimeout(5000, () => this.s.destroy());
  }
  destroy(): void {
    this.s.destroy();
  }
  setHandlers(h: { onData(chunk: Uint8Array): void; onClose(error?: Error): void }): void {
    this.handlers = h;
  }
}

/**
 * The real transport over node:net. MD5 keys and TTLs go through the `tcp_md5` addon (the key
 * must be set before the SYN, which node:net cannot do); plain sessions need no addon.
 */
export class NodeTransport implements Transport, ListenTransport {
  /** The addresses of the interface owning `localAddress`, from `os.networkInterfaces()`. */
  interfaceAddresses(localAddress: string): string[] {
    return interfaceAddressesOf(localAddress, os.networkInterfaces());
  }

  connect(opts: ConnectOptions, cb: (err: Error | undefined, conn?: Connection) => void): ConnectAttempt {
    let done = false;
    let sock: net.Socket;
    const finish = (err: Error | undefined, conn?: Connection) => {
      if (done) return;
      done = true;
      cb(err, conn);
    };
    try {
      if (opts.password || opts.ttl !== undefined) {
        const addon = loadTcpMd5Addon();
        const family = net.isIPv6(opts.peerAddress) ? 6 : 4;
        const fd = addon.createTcpSocket(family, opts.localAddress ?? null, opts.localPort ?? 0, opts.ttl ?? 0);
        if (opts.password) addon.setTcpMd5(fd, opts.peerAddress, opts.password);
        sock = new net.Socket({ fd });
        sock.connect({ host: opts.peerAddress, port: opts.peerPort });
      } else {
        sock = net.connect({ host: opts.peerAddress, port: opts.peerPort, localAddress: opts.localAddress, localPort: opts.localPort });
      }
    } catch (e) {
      queueMicrotask(() => finish(e as Error));
      return { cancel: () => void (done = true) };
    }
    const onError = (e: Error) => {
      sock.destroy();
      finish(e);
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      finish(undefined, new NodeConnection(sock));
    });
    return {
      cancel: () => {
        if (!done) {
          done = true;
          sock.destroy();
        }
      },
    };
  }

  listen(opts: ListenOptions, onConnection: (conn: Connection) => void): Promise<ListeningSocket> {
    const server = net.createServer((s) => onConnection(new NodeConnection(s)));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: opts.address, port: opts.port, exclusive: true }, () => {
        server.off('error', reject);
        const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
        const setPassword = (peer: string, key: string) => {
          if (fd < 0) throw new Error('the listening socket has no file descriptor');
          loadTcpMd5Addon().setTcpMd5(fd, peer, key);
        };
        try {
          for (const [peer, key] of opts.passwords ?? []) setPassword(peer, key);
        } catch (e) {
          server.close();
          reject(e as Error);
          return;
        }
        // Accept errors (EMFILE …) must not crash the process; the listener keeps going.
        server.on('error', () => {});
        const addr = server.address() as net.AddressInfo;
        resolve({
          address: addr.address,
          port: addr.port,
          setPassword,
          close: () => new Promise<void>((r) => server.close(() => r())),
        });
      });
    });
  }
}

/**
 * The addresses of the interface (in an `os.networkInterfaces()` result) that has
 * `localAddress`, scope suffixes dropped; `[]` when no interface has it. Pure.
 */
export function interfaceAddressesOf(localAddress: string, ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): string[] {
  const want = IPAddress.tryParse(localAddress);
  if (!want) return [];
  const strip = (a: string) => a.split('%')[0]!;
  for (const list of Object.values(ifaces)) {
    if (!list?.some((i) => IPAddress.tryParse(strip(i.address))?.equals(want))) continue;
    return list.map((i) => strip(i.address));
  }
  return [];
}
