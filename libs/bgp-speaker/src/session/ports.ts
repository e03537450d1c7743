/** One established TCP connection, as the session driver sees it. */
export interface Connection {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Queues bytes; false means the kernel buffer is full (the bytes are still queued). */
  write(bytes: Uint8Array): boolean;
  /** Flushes queued bytes, then closes. */
  end(): void;
  /** Closes now, dropping queued bytes. */
  destroy(): void;
  /** Sets the callbacks (once). `onClose` fires exactly once, also after `end`/`destroy`. */
  setHandlers(h: { onData(chunk: Uint8Array): void; onClose(error?: Error): void }): void;
}

/** What an outgoing connection needs. */
export interface ConnectOptions {
  peerAddress: string;
  peerPort: number;
  localAddress?: string;
  localPort?: number;
  /** RFC 2385 TCP MD5 key. */
  password?: string;
  /** IP TTL / IPv6 hop limit of our packets (undefined: the OS default). */
  ttl?: number;
}

/** A pending connection attempt. */
export interface ConnectAttempt {
  cancel(): void;
}

/** Opens TCP connections. Callbacks must be asynchronous (never inside `connect`). */
export interface Transport {
  connect(opts: ConnectOptions, cb: (err: Error | undefined, conn?: Connection) => void): ConnectAttempt;
  /**
   * The addresses (both families) of the interface that owns `localAddress`, or `[]` when
   * unknown. Sessions use it for MetalLB's router-ID fallback on an IPv6 session (the first
   * IPv4 address of that interface) and for next-hop-self of the other family (this node's
   * address of that family on the session's interface). Optional.
   */
  interfaceAddresses?(localAddress: string): string[];
}

/** What a listener needs. */
export interface ListenOptions {
  address: string;
  port: number;
  /** RFC 2385 keys by peer address, installed on the listening socket. */
  passwords?: ReadonlyMap<string, string>;
}

/** A listening socket. */
export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  /** Adds or replaces (empty key: removes) the MD5 key of a peer. */
  setPassword(peer: string, key: string): void;
  close(): Promise<void>;
}

/** Accepts TCP connections. */
export interface ListenTransport {
  listen(opts: ListenOptions, onConnection: (conn: Connection) => void): Promise<ListeningSocket>;
}
