/**
 * Drop reasons are a closed union: the type has no `string` escape hatch, the runtime list
 * matches it, and every reason a node produces in practice (garbage, refused messages, bad
 * streams) is a member of it.
 */
import { readFileSync } from 'node:fs';
import { ManualClock, SeededRng } from '@metallb-ts/clock/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { DECODE_DROP_REASONS, DRIVER_DROP_REASONS } from './drops.js';
import { DROP_REASONS, createMemberlist, encodeCompound, encodeMessage, sealStream, type DecodeReason, type DropReason, type MemberlistMetrics, type StreamConn, type Transport } from './index.js';
import { Simulation } from './testing/index.js';

describe('drop reasons (types)', () => {
  it('the drops counter is keyed by the closed union only', () => {
    expectTypeOf<MemberlistMetrics['drops']>().toEqualTypeOf<Partial<Record<DropReason, number>>>();
    expectTypeOf<string>().not.toExtend<DropReason>();
    expectTypeOf<'some-new-reason'>().not.toExtend<DropReason>();
  });

  it('the runtime lists match the types exactly', () => {
    expectTypeOf<(typeof DECODE_DROP_REASONS)[number]>().toEqualTypeOf<DecodeReason>();
    expectTypeOf<DropReason>().toEqualTypeOf<DecodeReason | (typeof DRIVER_DROP_REASONS)[number]>();
    expect(new Set(DROP_REASONS).size).toBe(DROP_REASONS.length);
    expect(DROP_REASONS.length).toBe(DECODE_DROP_REASONS.length + DRIVER_DROP_REASONS.length);
  });

  it('every literal reason the driver passes to drop() is listed', () => {
    const literals = new Set<string>();
    for (const f of ['memberlist.ts', 'stream.ts']) {
      const src = readFileSync(new URL(`./${f}`, import.meta.url), 'utf8');
      for (const m of src.matchAll(/drop\('([a-z-]+)'/g)) literals.add(m[1]!);
    }
    expect(literals.size).toBeGreaterThanOrEqual(10);
    for (const r of literals) expect(DROP_REASONS).toContain(r);
  });
});

/** A connection that delivers `data` and then reports the peer closed. */
class OneShotConn implements StreamConn {
  readonly remote = { ip: '10.5.0.2', port: 40000 };
  readonly written: Uint8Array[] = [];
  private sent = false;
  constructor(private readonly data: Uint8Array) {}
  write(d: Uint8Array): void {
    this.written.push(d.slice());
  }
  read(): Promise<Uint8Array | null> {
    if (this.sent || this.data.length === 0) return Promise.resolve(null);
    this.sent = true;
    return Promise.resolve(this.data);
  }
  close(): void {}
}

describe('drop reasons (produced in practice)', () => {
  it('packets: garbage, refused messages and address conflicts only count listed reasons', async () => {
    const sim = new Simulation({ size: 3, seed: 31 });
    await sim.joinAll();
    await sim.runFor(1_000);
    const rogue = sim.net.transport('10.9.9.9');
    const to = { ip: sim.ip(0), port: 7946 };
    const rng = new SeededRng(7);
    for (let i = 0; i < 200; i++) rogue.sendPacket(to, rng.bytes(rng.int(120)));
    for (let i = 0; i < 30; i++) rogue.sendPacket(to, Uint8Array.from([1, ...rng.bytes(40)]));
    const vsn = Uint8Array.from([1, 5, 2, 0, 0, 0]);
    const refused = [
      encodeMessage({ type: 'ping', seqNo: 1, node: 'somebody-else', sourceAddr: '', sourcePort: 0, sourceNode: 'rogue' }),
      encodeMessage({ type: 'ack', seqNo: 0x7fff_fff0, payload: null }),
      encodeMessage({ type: 'nack', seqNo: 0x7fff_fff0 }),
      encodeMessage({ type: 'err', error: 'out of the blue' }),
      encodeMessage({ type: 'alive', incarnation: 1, node: 'nowhere', addr: '', port: 7946, meta: null, vsn }),
      encodeMessage({ type: 'alive', incarnation: 99, node: 'n1', addr: '10.9.9.9', port: 7946, meta: null, vsn }),
    ];
    for (const m of refused) rogue.sendPacket(to, m);
    rogue.sendPacket(to, encodeCompound(refused));
    await sim.runFor(500);
    const drops = sim.node(0).metrics().drops;
    for (const r of ['ping-wrong-node', 'unknown-ack', 'unknown-nack', 'unexpected-err', 'bad-field', 'address-conflict'] as const) {
      expect(drops[r], r).toBeGreaterThan(0);
    }
    expect(Object.keys(drops).length).toBeGreaterThan(6);
    for (const r of Object.keys(drops)) expect(DROP_REASONS).toContain(r);
  });

  it('streams: garbage, truncation, stray replies and refused push/pulls only count listed reasons', async () => {
    const clock = new ManualClock();
    let serve: ((c: StreamConn) => void) | undefined;
    const reasons: string[] = [];
    const transport: Transport = {
      localAddress: { ip: '10.5.0.1', port: 7946 },
      sendPacket() {},
      onPacket() {},
      dial: () => Promise.reject(new Error('no dialing in this test')),
      onStream: (fn) => (serve = fn),
      close: async () => {},
    };
    const logger = {
      debug: (msg: string, f?: Record<string, unknown>) => void (msg === 'dropped input' && reasons.push(String(f?.['reason']))),
      info() {},
      warn() {},
      error() {},
    };
    const ml = createMemberlist({ name: 'srv', transport, clock, rng: new SeededRng(1), logger, tunables: { pushPullIntervalMs: 0, gossipIntervalMs: 0 } });
    const seal = (msg: Parameters<typeof sealStream>[0]) =>
      sealStream(msg, { label: '', verifyIncoming: true, verifyOutgoing: true, compress: false, initiator: true, rng: new SeededRng(2) });
    const badVsn = Uint8Array.from([1, 5, 9, 0, 0, 0]); // current protocol 9 is outside [1, 5]
    const inputs = [
      Uint8Array.from([0x06, 0x81, 0xa4, 0x4a, 0x6f, 0x69, 0x6e, 0x07]),
      new Uint8Array(0),
      seal({ type: 'ack', seqNo: 1, payload: null }),
      seal({ type: 'err', error: 'stray' }),
      seal({ type: 'ping', seqNo: 1, node: 'somebody-else', sourceAddr: '', sourcePort: 0, sourceNode: 'x' }),
      seal({ type: 'push-pull', join: false, nodes: [{ name: 'odd', addr: '10.6.0.1', port: 7946, meta: null, incarnation: 1, state: 0, vsn: badVsn }], userState: new Uint8Array(0) }),
    ];
    for (const data of inputs) serve!(new OneShotConn(data));
    for (let i = 0; i < 20; i++) await clock.advanceAsync(2);
    const drops = ml.metrics().drops;
    for (const r of ['bad-field', 'stream-read', 'unexpected-stream-type', 'ping-wrong-node', 'push-pull-refused'] as const) {
      expect(drops[r], r).toBeGreaterThan(0);
    }
    expect(reasons.length).toBeGreaterThanOrEqual(6);
    for (const r of [...reasons, ...Object.keys(drops)]) expect(DROP_REASONS).toContain(r);
    await ml.shutdown();
  });
});
