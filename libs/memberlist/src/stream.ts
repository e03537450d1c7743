/**
 * The TCP side of a memberlist node: reading and writing stream messages over any
 * fragmentation, request/reply exchanges, push/pull (join and periodic anti-entropy), the
 * TCP fallback ping, reliable user messages, and the server for inbound streams (Go
 * `handleConn`). The driver owns the state machine; this module only reads its push/pull view
 * and hands verified remote state back through {@link StreamHost.merge}.
 */
import { assertNever } from '@metallb-ts/errors';
import type { Clock, Rng, TimerHandle } from '@metallb-ts/clock';
import type { Tunables } from './config.js';
import type { DropReason } from './drops.js';
import { StreamError } from './errors.js';
import type { NodeRecord, NodeTable } from './state/node-table.js';
import type { PeerAddress, StreamConn, Transport } from './transport.js';
import type { Delegate, MemberlistMetrics } from './types.js';
import { MAX_STREAM_BYTES } from './wire/constants.js';
import { DecodeError } from './wire/errors.js';
import { openStream, sealStream, type WireSecurity } from './wire/layers.js';
import type { PacketMessage, PushNodeState, StreamMessage } from './wire/messages.js';

/** Streams up to this size are re-parsed on every received chunk. */
const PARSE_EVERY_CHUNK_BELOW = 64 * 1024;
/** Parse a partially read large stream when no byte arrived for this long. */
const STREAM_IDLE_PARSE_MS = 5;
/** Concurrent inbound streams (memberlist HEAD limits push/pulls to 128). */
const MAX_INFLIGHT_STREAMS = 128;

/** What the stream layer needs from the node that owns it. */
export interface StreamHost {
  readonly name: string;
  readonly advertise: PeerAddress;
  readonly tunables: Tunables;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly security: WireSecurity;
  /** The node's counters, updated in place (bytes, streams). */
  readonly metrics: MemberlistMetrics;
  readonly delegate: Delegate;
  /** Read only: the push/pull view and the local nodes for `verifyProtocol`. */
  readonly table: NodeTable;
  /** False once the node shut down: late replies are not merged. */
  isRunning(): boolean;
  /** Counts and logs dropped input. */
  drop(reason: DropReason, detail: string, from?: PeerAddress): void;
  /** Applies a verified remote push/pull node list to the state machine. */
  merge(nodes: readonly PushNodeState[]): void;
}

/** The stream half of a node; see the module comment. */
export class Streams {
  private inflight = 0;

  constructor(private readonly host: StreamHost) {}

  /** Seals and writes one stream message (compressed when compression is on, as Go does). */
  write(conn: StreamConn, msg: StreamMessage, initiator: boolean): void {
    const h = this.host;
    const buf = sealStream(msg, { ...h.security, compress: h.tunables.enableCompression, initiator, rng: h.rng });
    h.metrics.bytesSent += buf.length;
    conn.write(buf);
  }

  /**
   * Reads one message; the caller's deadline closes the connection. TCP may deliver any
   * fragmentation, so the buffer is re-parsed as chunks arrive: on every chunk while small, and
   * above {@link PARSE_EVERY_CHUNK_BELOW} only after 50 % growth or when the peer goes quiet
   * (it may be waiting for our reply), which keeps a large stream O(n) instead of O(n²).
   */
  private async read(conn: StreamConn, expectLabel: boolean): Promise<StreamMessage> {
    const h = this.host;
    const chunks: Uint8Array[] = [];
    let total = 0;
    let lastTry = 0;
    let pending: Promise<Uint8Array | null> | undefined;
    for (;;) {
      pending ??= conn.read();
      let c: Uint8Array | null | 'idle';
      if (total > lastTry) {
        let timer: TimerHandle | undefined;
        const idle = new Promise<'idle'>((resolve) => {
          timer = h.clock.setTimer(STREAM_IDLE_PARSE_MS, () => resolve('idle'));
        });
        c = await Promise.race([pending, idle]);
        timer?.cancel();
      } else c = await pending;
      if (c !== 'idle') pending = undefined;
      if (c === null) throw new StreamError(total === 0 ? 'connection closed before any data' : 'connection closed mid-message (timeout or truncated)');
      if (c !== 'idle') {
        chunks.push(c);
        total += c.length;
        h.metrics.bytesReceived += c.length;
        if (total > MAX_STREAM_BYTES + 65536) throw new DecodeError('too-large', total, 'stream exceeds 20 MiB');
        if (total >= PARSE_EVERY_CHUNK_BELOW && total < lastTry * 1.5) continue;
      }
      const buf = chunks.length === 1 ? chunks[0]! : concatAll(chunks, total);
      chunks.length = 0;
      chunks.push(buf);
      lastTry = total;
      const r = openStream(buf, { ...h.security, expectLabel });
      if (r) return r.message;
    }
  }

  /** One request/reply exchange on a fresh connection, bounded by `timeoutMs`. */
  async exchange(to: PeerAddress, req: StreamMessage, timeoutMs: number): Promise<StreamMessage> {
    const h = this.host;
    const conn = await h.transport.dial(to, timeoutMs);
    h.metrics.streamsOpened++;
    const deadline = h.clock.setTimer(timeoutMs, () => conn.close());
    try {
      this.write(conn, req, true);
      const reply = await this.read(conn, false);
      if (reply.type === 'err') throw new StreamError(`remote error: ${reply.error}`);
      return reply;
    } finally {
      deadline.cancel();
      conn.close();
    }
  }

  /** A reliable user message (Go `SendReliable`): dial, write, close. */
  async sendUser(to: PeerAddress, payload: Uint8Array): Promise<void> {
    const h = this.host;
    const conn = await h.transport.dial(to, h.tunables.tcpTimeoutMs);
    h.metrics.streamsOpened++;
    try {
      this.write(conn, { type: 'user', payload }, true);
    } finally {
      conn.close();
    }
  }

  /** The TCP fallback ping of a probe: true when the node acked this very ping. */
  async tcpPing(node: NodeRecord, ping: PacketMessage & { type: 'ping' }, timeoutMs: number): Promise<boolean> {
    const reply = await this.exchange({ ip: node.addr, port: node.port }, ping, Math.max(1, timeoutMs));
    if (reply.type !== 'ack') throw new StreamError(`unexpected ${reply.type} reply to a TCP ping`);
    return reply.seqNo === ping.seqNo;
  }

  /** Push/pull with one peer (join or anti-entropy): send our state, merge theirs. */
  async pushPull(to: PeerAddress, join: boolean): Promise<void> {
    const reply = await this.exchange(to, this.localState(join), this.host.tunables.tcpTimeoutMs);
    if (reply.type !== 'push-pull') throw new StreamError(`expected a push/pull reply, got ${reply.type}`);
    this.mergeRemote(reply.nodes, reply.userState, join);
  }

  private localState(join: boolean): StreamMessage {
    const h = this.host;
    return { type: 'push-pull', join, nodes: h.table.pushState(), userState: h.delegate.localState?.(join) ?? new Uint8Array(0) };
  }

  private mergeRemote(nodes: readonly PushNodeState[], userState: Uint8Array, join: boolean): void {
    const h = this.host;
    if (!h.isRunning()) return;
    const bad = verifyProtocol(nodes, h.table.all());
    if (bad) throw new StreamError(bad);
    const fixed = nodes.map((n) => (n.port === 0 ? { ...n, port: h.advertise.port } : n));
    h.merge(fixed);
    if (userState.length > 0) h.delegate.mergeRemoteState?.(userState, join);
  }

  /** Serves one inbound stream (Go `handleConn`): push/pull, TCP ping or a user message. */
  async accept(conn: StreamConn): Promise<void> {
    const h = this.host;
    h.metrics.streamsAccepted++;
    if (this.inflight >= MAX_INFLIGHT_STREAMS) {
      h.drop('too-many-streams', `more than ${MAX_INFLIGHT_STREAMS} concurrent streams`, conn.remote);
      conn.close();
      return;
    }
    this.inflight++;
    const deadline = h.clock.setTimer(h.tunables.tcpTimeoutMs, () => conn.close());
    try {
      let msg: StreamMessage;
      try {
        msg = await this.read(conn, true);
      } catch (e) {
        const reason = e instanceof DecodeError ? e.reason : 'stream-read';
        h.drop(reason, (e as Error).message, conn.remote);
        if (e instanceof DecodeError) {
          try {
            this.write(conn, { type: 'err', error: (e as Error).message }, false);
          } catch {
            // The error reply is best effort.
          }
        }
        return;
      }
      switch (msg.type) {
        case 'push-pull':
          this.write(conn, this.localState(msg.join), false);
          try {
            this.mergeRemote(msg.nodes, msg.userState, msg.join);
          } catch (e) {
            h.drop('push-pull-refused', (e as Error).message, conn.remote);
          }
          return;
        case 'ping':
          if (msg.node !== '' && msg.node !== h.name) return h.drop('ping-wrong-node', `tcp ping for ${msg.node}`, conn.remote);
          this.write(conn, { type: 'ack', seqNo: msg.seqNo, payload: null }, false);
          return;
        case 'user':
          h.delegate.notifyMsg?.(msg.payload, undefined);
          return;
        case 'ack':
        case 'err':
          return h.drop('unexpected-stream-type', msg.type, conn.remote);
        default:
          return assertNever(msg, 'memberlist stream message type');
      }
    } catch (e) {
      h.drop('stream-error', (e as Error).message, conn.remote);
    } finally {
      this.inflight--;
      deadline.cancel();
      // Let the reply flush before closing; the transports end gracefully.
      conn.close();
    }
  }
}

function concatAll(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Go `verifyProtocol`: every alive node's current protocol/delegate version must lie inside the
 * cluster-wide [max(min), min(max)] range, remote and local nodes together. Returns a reason
 * when the merge must be refused.
 */
export function verifyProtocol(remote: readonly PushNodeState[], local: readonly NodeRecord[]): string | undefined {
  const all: Uint8Array[] = [];
  for (const r of remote) if (r.state === 0 && r.vsn.length >= 6) all.push(r.vsn);
  for (const l of local) if (l.state === 'alive' && l.vsn.length >= 6) all.push(l.vsn);
  if (all.length === 0) return undefined;
  for (const [minI, maxI, curI, what] of [
    [0, 1, 2, 'protocol'],
    [3, 4, 5, 'delegate'],
  ] as const) {
    let maxMin = 0;
    let minMax = 255;
    for (const v of all) {
      maxMin = Math.max(maxMin, v[minI]!);
      minMax = Math.min(minMax, v[maxI]!);
    }
    for (const v of all) {
      if (v[curI]! < maxMin || v[curI]! > minMax) return `${what} version ${v[curI]} is outside the cluster range [${maxMin}, ${minMax}]`;
    }
  }
  return undefined;
}
