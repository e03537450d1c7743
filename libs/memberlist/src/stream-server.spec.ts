import { describe, expect, it } from 'vitest';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { Keyring, createMemberlist, openStream, sealStream, type PushNodeState, type StreamConn, type StreamMessage, type Transport } from './index.js';
import * as V from '../test/vectors/captured.js';

/** A peer connection that hands over `data` in `size`-byte chunks, then waits (like a Go peer awaiting the reply). */
class ChunkedConn implements StreamConn {
  readonly remote = { ip: '10.5.0.2', port: 40000 };
  readonly written: Uint8Array[] = [];
  private off = 0;
  private closed = false;
  private wake: ((v: null) => void) | undefined;
  reads = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly size: number,
  ) {}
  write(d: Uint8Array): void {
    this.written.push(d.slice());
  }
  read(): Promise<Uint8Array | null> {
    this.reads++;
    if (this.closed) return Promise.resolve(null);
    if (this.off < this.data.length) {
      const c = this.data.subarray(this.off, this.off + this.size);
      this.off += c.length;
      return Promise.resolve(c);
    }
    return new Promise((r) => (this.wake = r));
  }
  close(): void {
    this.closed = true;
    this.wake?.(null);
  }
}

function server(keys?: Uint8Array[]) {
  const clock = new ManualClock();
  let handler: ((c: StreamConn) => void) | undefined;
  const transport: Transport = {
    localAddress: { ip: '10.5.0.1', port: 7946 },
    sendPacket() {},
    onPacket() {},
    dial: () => Promise.reject(new Error('no dialing in this test')),
    onStream: (fn) => (handler = fn),
    close: async () => {},
  };
  const ml = createMemberlist({ name: 'srv', transport, clock, rng: new SeededRng(1), tunables: { pushPullIntervalMs: 0, gossipIntervalMs: 0 }, ...(keys ? { keys } : {}) });
  return { clock, ml, serve: (c: StreamConn) => handler!(c) };
}

async function until(clock: ManualClock, cond: () => boolean, steps = 200): Promise<void> {
  for (let i = 0; i < steps && !cond(); i++) await clock.advanceAsync(2);
}

const VSN = Uint8Array.from([1, 5, 2, 0, 0, 0]);
const state = (i: number): PushNodeState => ({ name: `node-${i}`, addr: `10.6.${i >> 8}.${i & 255}`, port: 7946, meta: null, incarnation: 1, state: 0, vsn: VSN });

describe('stream server reads fragmented TCP input', () => {
  it('a 5000-node push/pull in 1 KiB chunks is answered and merged (throttled re-parsing)', async () => {
    const { clock, ml, serve } = server();
    const req: StreamMessage = { type: 'push-pull', join: true, nodes: Array.from({ length: 5000 }, (_, i) => state(i)), userState: new Uint8Array(0) };
    const bytes = sealStream(req, { label: '', verifyIncoming: true, verifyOutgoing: true, compress: false, initiator: true, rng: new SeededRng(2) });
    expect(bytes.length).toBeGreaterThan(256 * 1024);
    const conn = new ChunkedConn(bytes, 1024);
    serve(conn);
    await until(clock, () => conn.written.length > 0);
    const reply = openStream(Buffer.concat(conn.written), { label: '', verifyIncoming: true, verifyOutgoing: true, expectLabel: false });
    expect(reply?.message.type).toBe('push-pull');
    // Like Go, the responder sends its table before merging the request.
    expect(reply!.message.type === 'push-pull' && reply!.message.nodes.length).toBe(1);
    expect(ml.members().length).toBe(5001);
    expect(conn.reads).toBeGreaterThanOrEqual(Math.ceil(bytes.length / 1024));
  });

  it('an encrypted, compressed join request split into 1-byte chunks works', async () => {
    const { clock, ml, serve } = server([V.LAB_KEY]);
    const kr = new Keyring([V.LAB_KEY]);
    const req: StreamMessage = { type: 'push-pull', join: true, nodes: [state(1), state(2)], userState: new Uint8Array(0) };
    const bytes = sealStream(req, { label: '', keyring: kr, verifyIncoming: true, verifyOutgoing: true, compress: true, initiator: true, rng: new SeededRng(3) });
    const conn = new ChunkedConn(bytes, 1);
    serve(conn);
    await until(clock, () => conn.written.length > 0);
    const reply = openStream(Buffer.concat(conn.written), { label: '', keyring: kr, verifyIncoming: true, verifyOutgoing: true, expectLabel: false });
    expect(reply?.message.type).toBe('push-pull');
    expect(ml.members().map((m) => m.name).sort()).toEqual(['node-1', 'node-2', 'srv']);
  });

  it('garbage on a stream gets an errResp, like Go, and changes nothing', async () => {
    const { clock, ml, serve } = server();
    const conn = new ChunkedConn(Uint8Array.from([0x06, 0x81, 0xa4, 0x4a, 0x6f, 0x69, 0x6e, 0x07]), 64);
    serve(conn);
    await until(clock, () => conn.written.length > 0);
    const reply = openStream(Buffer.concat(conn.written), { label: '', verifyIncoming: true, verifyOutgoing: true, expectLabel: false });
    expect(reply?.message.type).toBe('err');
    expect(ml.members().map((m) => m.name)).toEqual(['srv']);
    expect(ml.metrics().drops['bad-field']).toBe(1);
  });

  it('a stream that stalls mid-message is closed by the TCP timeout', async () => {
    const { clock, ml, serve } = server();
    const req: StreamMessage = { type: 'push-pull', join: true, nodes: [state(1)], userState: new Uint8Array(0) };
    const bytes = sealStream(req, { label: '', verifyIncoming: true, verifyOutgoing: true, compress: false, initiator: true, rng: new SeededRng(4) });
    const conn = new ChunkedConn(bytes.subarray(0, bytes.length - 3), 64);
    serve(conn);
    await clock.advanceAsync(10_001);
    await clock.advanceAsync(10);
    expect(conn.written).toEqual([]);
    expect(ml.metrics().drops['stream-read']).toBe(1);
    expect(ml.members().length).toBe(1);
  });
});
