import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
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
  /**
   * The addresses of the interface owning `localAddress`, from `os.networkInterfaces()`; for an
   * interface it leaves out (libuv lists only interfaces flagged RUNNING, and some veths carry
   * traffic without a carrier flag), from `/proc/net/if_inet6` and `/proc/net/route`.
   */
  interfaceAddresses(localAddress: string): string[] {
    const found = interfaceAddressesOf(localAddress, os.networkInterfaces());
    if (found.length > 0) return found;
    const read = (f: string) => {
      try {
        return readFileSync(f, 'utf8');
      } catch {
        return '';
      }
    };
    return procInterfaceAddresses(localAddress, read('/proc/net/if_inet6'), read('/proc/net/route'));
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
  let want = IPAddress.tryParse(localAddress);
  if (!want) return [];
  if (want.isIPv4Mapped()) want = IPAddress.fromBigInt('IPv4', want.value & 0xffffffffn); // a dual-stack socket's view
  const strip = (a: string) => a.split('%')[0]!;
  for (const list of Object.values(ifaces)) {
    if (!list?.some((i) => IPAddress.tryParse(strip(i.address))?.equals(want))) continue;
    return list.map((i) => strip(i.address));
  }
  return [];
}

/**
 * The fallback of {@link NodeTransport.interfaceAddresses} from `/proc` texts: the interface of
 * `localAddress` (an IPv6 address by `/proc/net/if_inet6`; an IPv4 address by the connected
 * route of `/proc/net/route` that contains it), then that interface's IPv6 addresses plus the
 * IPv4 address itself. `[]` when not found. Pure.
 */
export function procInterfaceAddresses(localAddress: string, ifInet6: string, route: string): string[] {
  let local = IPAddress.tryParse(localAddress);
  if (!local) return [];
  if (local.isIPv4Mapped()) local = IPAddress.fromBigInt('IPv4', local.value & 0xffffffffn);
  const v6 = ifInet6
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 6 && /^[0-9a-f]{32}$/i.test(f[0]!))
    .map((f) => ({ addr: IPAddress.fromBigInt('IPv6', BigInt(`0x${f[0]}`)), iface: f[5]! }));
  let iface: string | undefined;
  if (local.isV6) iface = v6.find((x) => x.addr.equals(local))?.iface;
  else {
    // Destination and Mask are little-endian hex; a connected route has gateway 0.
    const le = (h: string) => BigInt(`0x${h.match(/../g)!.reverse().join('')}`);
    let best = 0n;
    for (const f of route.split('\n').slice(1).map((l) => l.trim().split(/\s+/))) {
      if (f.length < 8 || !/^[0-9A-F]{8}$/i.test(f[1]!) || !/^[0-9A-F]{8}$/i.test(f[7]!) || le(f[2]!) !== 0n) continue;
      const mask = le(f[7]!);
      if (mask > best && (local.value & mask) === le(f[1]!)) {
        best = mask; // the longest connected prefix
        iface = f[0];
      }
    }
  }
  if (!iface) return [];
  const out = v6.filter((x) => x.iface === iface).map((x) => x.addr.toString());
  return local.isV4 ? [local.toString(), ...out] : out;
}
