/**
 * Test helpers for `@metallb-ts/bgp-speaker`: an in-memory {@link MemoryNetwork} transport
 * (connection pairs with asynchronous delivery) and re-exports of the manual clock and seeded
 * random generator.
 */
import type { Connection, ConnectAttempt, ConnectOptions, Transport } from '../session/ports.js';
export { ManualClock, SeededRng } from '@metallb-ts/clock/testing';

type Handlers = { onData(chunk: Uint8Array): void; onClose(error?: Error): void };

/** One end of an in-memory connection. */
export class MemoryConnection implements Connection {
  peer?: MemoryConnection;
  private handlers?: Handlers;
  private closed = false;
  private backlog: Uint8Array[] = [];
  /** Every chunk written by this end, for assertions. */
  readonly written: Uint8Array[] = [];
  constructor(
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}
  write(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.written.push(bytes.slice());
    const p = this.peer;
    const copy = bytes.slice();
    queueMicrotask(() => p?.deliver(copy));
    return true;
  }
  private deliver(b: Uint8Array): void {
    if (this.closed) return;
    if (this.handlers) this.handlers.onData(b);
    else this.backlog.push(b);
  }
  end(): void {
    this.destroy();
  }
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    queueMicrotask(() => {
      this.handlers?.onClose();
      this.peer?.destroy();
    });
  }
  /** True once closed. */
  get isClosed(): boolean {
    return this.closed;
  }
  setHandlers(h: Handlers): void {
    this.handlers = h;
    for (const b of this.backlog.splice(0)) h.onData(b);
  }
}

/**
 * An in-memory network: `listen(address, port, onConnection)` registers a peer, and
 * {@link MemoryNetwork.transport} connects to it. Refused connections fail asynchronously.
 */
export class MemoryNetwork {
  private readonly listeners = new Map<string, (conn: MemoryConnection) => void>();
  private nextPort = 40000;
  /** Interfaces as address lists, for `Transport.interfaceAddresses` (e.g. `[['198.51.100.2', '2001:db8::2']]`). */
  interfaces: string[][] = [];

  /** Accepts connections to `address:port`. */
  listen(address: string, port: number, onConnection: (conn: MemoryConnection) => void): () => void {
    const k = `${address}:${port}`;
    this.listeners.set(k, onConnection);
    return () => this.listeners.delete(k);
  }

  /** A transport whose connections originate from `localAddress`. */
  transport(localAddress = '127.0.30.200'): Transport & { attempts: ConnectOptions[] } {
    const attempts: ConnectOptions[] = [];
    return {
      attempts,
      interfaceAddresses: (local) => this.interfaces.find((i) => i.includes(local)) ?? [],
      connect: (opts, cb): ConnectAttempt => {
        attempts.push(opts);
        let cancelled = false;
        queueMicrotask(() => {
          if (cancelled) return;
          const l = this.listeners.get(`${opts.peerAddress}:${opts.peerPort}`);
          if (!l) return cb(new Error(`connect ECONNREFUSED ${opts.peerAddress}:${opts.peerPort}`));
          const port = this.nextPort++;
          const ours = new MemoryConnection(opts.localAddress ?? localAddress, port, opts.peerAddress, opts.peerPort);
          const theirs = new MemoryConnection(opts.peerAddress, opts.peerPort, opts.localAddress ?? localAddress, port);
          ours.peer = theirs;
          theirs.peer = ours;
          l(theirs);
          cb(undefined, ours);
        });
        return { cancel: () => void (cancelled = true) };
      },
    };
  }
}
