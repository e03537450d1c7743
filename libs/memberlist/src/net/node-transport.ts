import dgram from 'node:dgram';
import net from 'node:net';
import { systemClock, type Clock } from '@metallb-ts/clock';
import { IPAddress } from '@metallb-ts/netaddr';
import type { PeerAddress, StreamConn, Transport } from '../transport.js';

/** Options of {@link createNodeTransport}. */
export interface NodeTransportOptions {
  /** IP to bind UDP and TCP to (MetalLB: the node IP). */
  readonly bindAddress: string;
  /** Port for both UDP and TCP; 0 picks a free one. @default 7946 */
  readonly bindPort?: number;
  /** Used for dial timeouts. @default systemClock */
  readonly clock?: Clock;
  /** Called for socket errors that are otherwise swallowed (UDP send failures...). */
  readonly onError?: (err: Error) => void;
}

function normalize(ip: string): string {
  const a = IPAddress.tryParse(ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip);
  return a ? a.toString() : ip;
}

class SocketConn implements StreamConn {
  private readonly queue: (Uint8Array | null)[] = [];
  private waiter: { resolve: (v: Uint8Array | null) => void; reject: (e: Error) => void } | undefined;
  private error: Error | undefined;
  private ended = false;
  readonly remote: PeerAddress;

  constructor(private readonly sock: net.Socket) {
    this.remote = { ip: normalize(sock.remoteAddress ?? ''), port: sock.remotePort ?? 0 };
    sock.on('data', (d: Buffer) => this.push(new Uint8Array(d.buffer, d.byteOffset, d.length)));
    sock.on('end', () => this.push(null));
    sock.on('close', () => this.push(null));
    sock.on('error', (e) => {
      this.error = e;
      this.push(null);
    });
  }

  private push(v: Uint8Array | null): void {
    if (this.ended) return;
    if (v === null) this.ended = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      if (v === null && this.error) w.reject(this.error);
      else w.resolve(v);
    } else this.queue.push(v);
  }

  write(data: Uint8Array): void {
    if (!this.sock.destroyed) this.sock.write(data);
  }

  read(): Promise<Uint8Array | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  close(): void {
    // end() flushes queued writes, then FINs; destroy soon after in case the peer lingers.
    if (!this.sock.destroyed) this.sock.end(() => this.sock.destroy());
    this.push(null);
  }
}

/**
 * A {@link Transport} on real sockets: one UDP socket and one TCP listener on the same
 * address and port, as memberlist uses them. Resolves once both are bound.
 */
export async function createNodeTransport(opts: NodeTransportOptions): Promise<Transport> {
  const clock = opts.clock ?? systemClock;
  const host = IPAddress.parse(opts.bindAddress);
  const family = host.isV6 ? 'udp6' : 'udp4';
  const onError = opts.onError ?? (() => {});
  let packetHandler: ((d: Uint8Array, from: PeerAddress) => void) | undefined;
  let streamHandler: ((c: StreamConn) => void) | undefined;
  const bindIp = host.toString();

  const listen = (port: number) =>
    new Promise<net.Server>((resolve, reject) => {
      const srv = net.createServer((sock) => {
        sock.setNoDelay(true);
        if (streamHandler) streamHandler(new SocketConn(sock));
        else sock.destroy();
      });
      srv.once('error', reject);
      srv.listen({ host: bindIp, port, exclusive: true }, () => {
        srv.off('error', reject);
        srv.on('error', onError);
        resolve(srv);
      });
    });
  const bindUdp = (port: number) =>
    new Promise<dgram.Socket>((resolve, reject) => {
      const s = dgram.createSocket({ type: family, reuseAddr: false });
      s.once('error', reject);
      s.bind({ address: bindIp, port, exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', onError);
        resolve(s);
      });
    });

  // With port 0 pick the TCP port first, then take the same UDP port (retry on a clash).
  let srv: net.Server | undefined;
  let udp: dgram.Socket | undefined;
  const want = opts.bindPort ?? 7946;
  for (let attempt = 0; attempt < 10 && !udp; attempt++) {
    srv = await listen(want);
    const port = (srv.address() as net.AddressInfo).port;
    try {
      udp = await bindUdp(port);
    } catch (e) {
      await new Promise<void>((r) => srv!.close(() => r()));
      if (want !== 0) throw e;
    }
  }
  if (!srv || !udp) throw new Error(`could not bind UDP and TCP on ${bindIp}:${want}`);
  const port = (srv.address() as net.AddressInfo).port;
  udp.on('message', (msg, rinfo) => {
    packetHandler?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), { ip: normalize(rinfo.address), port: rinfo.port });
  });
  let closed = false;
  const server = srv;
  const sock = udp;
  const open = new Set<net.Socket>();
  server.on('connection', (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  });

  return {
    localAddress: { ip: bindIp, port },
    sendPacket(to, data) {
      if (closed) return;
      sock.send(data, to.port, to.ip, (err) => err && onError(err));
    },
    onPacket(fn) {
      packetHandler = fn;
    },
    onStream(fn) {
      streamHandler = fn;
    },
    dial(to, timeoutMs) {
      return new Promise<StreamConn>((resolve, reject) => {
        if (closed) return reject(new Error('transport closed'));
        const s = net.connect({ host: to.ip, port: to.port, localAddress: bindIp });
        open.add(s);
        s.on('close', () => open.delete(s));
        const timer = clock.setTimer(timeoutMs, () => {
          s.destroy();
          reject(new Error(`dial ${to.ip}:${to.port}: i/o timeout`));
        });
        s.once('connect', () => {
          timer.cancel();
          s.setNoDelay(true);
          resolve(new SocketConn(s));
        });
        s.once('error', (e) => {
          timer.cancel();
          reject(e);
        });
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of open) s.destroy();
      await Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => sock.close(() => r()))]);
    },
  };
}
