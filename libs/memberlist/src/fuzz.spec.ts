import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SeededRng } from '@metallb-ts/clock/testing';
import {
  DecodeError,
  Keyring,
  decodeMessage,
  encodeCompound,
  encodeMessage,
  encodeStreamMessage,
  flattenPacket,
  lzwCompress,
  lzwDecompress,
  openPacket,
  openStream,
  sealPacket,
  sealStream,
  type DecodeReason,
  type PacketMessage,
  type StreamMessage,
} from './index.js';
import * as V from '../test/vectors/captured.js';

/*
 * Bad input must only ever produce a DecodeError (or a clean result), never another exception:
 * 100,000 random and mutated inputs through every decoder, from a fixed seed.
 */

const plain = { label: '', verifyIncoming: true, verifyOutgoing: true } as const;
const keyring = new Keyring([V.LAB_KEY]);
const encSec = { ...plain, keyring };

/** Every member of the closed union, once: the type checker rejects a missing or an extra key. */
const REASONS: Record<DecodeReason, true> = {
  truncated: true, 'trailing-bytes': true, 'bad-msgpack': true, 'bad-field': true, 'unknown-type': true, 'too-large': true,
  'bad-crc': true, 'bad-compression': true, 'bad-label': true, 'decrypt-failed': true, 'not-encrypted': true,
  'unexpected-encryption': true, 'too-deep': true,
};

/**
 * The one decode-error shape: a DecodeError with a reason from the union and, when `input` is
 * the buffer the failing layer decoded, an offset inside it.
 */
function checkDecodeError(e: unknown, input?: Uint8Array): void {
  if (!(e instanceof DecodeError)) throw new Error(`non-DecodeError escaped: ${(e as Error)?.stack ?? e}`);
  if (!Object.hasOwn(REASONS, e.reason)) throw new Error(`reason ${e.reason} is not in the union`);
  const max = input?.length ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > max) throw new Error(`offset ${e.offset} outside 0..${max}: ${e.message}`);
}

function mustBeDecodeErrorOr<T>(f: () => T, input?: Uint8Array): T | undefined {
  try {
    return f();
  } catch (e) {
    checkDecodeError(e, input);
    return undefined;
  }
}

function seeds(rng: SeededRng): Uint8Array[] {
  const msgs = [V.PING_A_TO_B, V.ACK_B_TO_A, V.ALIVE_A, V.ALIVE_B, V.SUSPECT_C, V.DEAD_C_BY_B, V.NACK_7, V.INDIRECT_A_C];
  const pk = [
    ...msgs,
    V.USER_UDP_CRC,
    V.ENC_PING,
    V.ENC_ACK,
    encodeCompound([V.PING_A_TO_B, V.SUSPECT_C]),
    sealPacket(encodeCompound([V.ALIVE_A, V.ALIVE_B, V.ALIVE_A]), { ...plain, compress: true, crc: true, rng }),
    sealPacket(encodeCompound([V.ALIVE_A, V.ALIVE_B]), { ...encSec, label: 'l', compress: true, crc: true, rng }),
  ];
  const user: StreamMessage = { type: 'user', payload: rng.bytes(40) };
  const st = [
    V.PUSHPULL_JOIN_STREAM,
    V.PUSHPULL_JOIN_PLAIN,
    sealStream(user, { ...plain, compress: false, initiator: true, rng }),
    sealStream(user, { ...encSec, compress: true, initiator: true, rng }),
    lzwCompress(V.PUSHPULL_JOIN_PLAIN),
  ];
  return [...pk, ...st];
}

const bin = (_k: string, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v);

function mutate(rng: SeededRng, src: Uint8Array): Uint8Array {
  const b = Array.from(src);
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) {
    const op = rng.int(6);
    const at = b.length === 0 ? 0 : rng.int(b.length);
    if (op === 0 && b.length) b[at] = b[at]! ^ (1 << rng.int(8));
    else if (op === 1 && b.length) b[at] = rng.int(256);
    else if (op === 2) b.splice(at, 0, rng.int(256));
    else if (op === 3 && b.length) b.splice(at, 1 + rng.int(4));
    else if (op === 4) b.length = Math.min(b.length, at);
    else b[at] = [0x00, 0x7f, 0x80, 0xc0, 0xcc, 0xcd, 0xce, 0xcf, 0xd3, 0xda, 0xdb, 0xdc, 0xde, 0xdf, 0xff][rng.int(15)]!;
  }
  return Uint8Array.from(b);
}

describe('fuzz: 100,000 random and mutated inputs', () => {
  it('every decoder either succeeds or throws DecodeError (reason in the union, 0 ≤ offset ≤ length); successful decodes are stable', () => {
    const rng = new SeededRng(2026);
    const base = seeds(rng);
    let ok = 0;
    for (let i = 0; i < 100_000; i++) {
      const input = i % 4 === 0 ? rng.bytes(rng.int(80)) : mutate(rng, base[rng.int(base.length)]!);
      switch (i % 5) {
        case 0:
        case 1: {
          const body = mustBeDecodeErrorOr(() => openPacket(input, i % 5 === 0 ? plain : encSec), input);
          if (body) {
            const f = flattenPacket(body);
            // Offsets of nested parts are inside the inner (possibly decompressed) buffer.
            for (const e of f.errors) checkDecodeError(e);
            ok += f.messages.length;
          }
          break;
        }
        case 2: {
          const m = mustBeDecodeErrorOr(() => decodeMessage(input), input);
          if (m) {
            ok++;
            // Re-encoding a successful decode must decode to the same value.
            const again = decodeMessage(encodeMessage(m));
            if (JSON.stringify(again, bin) !== JSON.stringify(m, bin)) throw new Error(`unstable decode of ${Buffer.from(input).toString('hex')}`);
          }
          break;
        }
        case 3: {
          const r = mustBeDecodeErrorOr(() => openStream(input, { ...(i % 2 ? plain : encSec), expectLabel: true }), input);
          if (r) {
            ok++;
            if (r.consumed > input.length) throw new Error('consumed more than the input');
          }
          break;
        }
        default:
          if (mustBeDecodeErrorOr(() => lzwDecompress(input, 1 << 16), input)) ok++;
      }
    }
    // Mutations must not all be rejected, or the fuzzer tests nothing.
    expect(ok).toBeGreaterThan(1000);
  });
});

/* ---------------------------------------------------------------- properties */

const name = fc.string({ maxLength: 40 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 0xffff });
const ip = fc.oneof(fc.ipV4(), fc.constantFrom('2001:db8::1', '::1', 'fe80::1:2'));
const bytes = fc.uint8Array({ maxLength: 600 });
const nbytes = fc.option(bytes, { nil: null });
const vsn = fc.uint8Array({ minLength: 6, maxLength: 6 });
const src = fc.record({ sourceAddr: fc.oneof(fc.constant(''), ip), sourcePort: port, sourceNode: name });

const packetMsg: fc.Arbitrary<PacketMessage> = fc.oneof(
  fc.record({ type: fc.constant('ping' as const), seqNo: u32, node: name }).chain((p) => src.map((s) => ({ ...p, ...s }))),
  fc.record({ type: fc.constant('indirect-ping' as const), seqNo: u32, target: ip, port, node: name, nack: fc.boolean() }).chain((p) => src.map((s) => ({ ...p, ...s }))),
  fc.record({ type: fc.constant('ack' as const), seqNo: u32, payload: nbytes }),
  fc.record({ type: fc.constant('nack' as const), seqNo: u32 }),
  fc.record({ type: fc.constantFrom('suspect' as const, 'dead' as const), incarnation: u32, node: name, from: name }),
  fc.record({ type: fc.constant('alive' as const), incarnation: u32, node: name, addr: ip, port, meta: nbytes, vsn }),
  fc.record({ type: fc.constant('user' as const), payload: bytes }),
  fc.record({ type: fc.constant('err' as const), error: name }),
) as fc.Arbitrary<PacketMessage>;

describe('round-trip properties', () => {
  it('decodeMessage(encodeMessage(m)) = m', () => {
    fc.assert(
      fc.property(packetMsg, (m) => {
        expect(decodeMessage(encodeMessage(Object.freeze(m)))).toEqual(m);
      }),
      { numRuns: 2000 },
    );
  });

  it('packets survive compression, CRC, encryption and labels', () => {
    const rng = new SeededRng(5);
    fc.assert(
      fc.property(fc.array(packetMsg, { minLength: 1, maxLength: 5 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom('', 'blue'), (ms, compress, crc, encrypt, label) => {
        const sec = { ...(encrypt ? encSec : plain), label };
        const body = ms.length === 1 ? encodeMessage(ms[0]!) : encodeCompound(ms.map(encodeMessage));
        const wire = sealPacket(body, { ...sec, compress, crc, rng });
        const f = flattenPacket(openPacket(wire, sec));
        expect(f.errors).toEqual([]);
        expect(f.messages).toEqual(ms);
      }),
      { numRuns: 500 },
    );
  });

  it('push/pull streams round-trip (any size ints, user state), incrementally readable', () => {
    const rng = new SeededRng(6);
    const state = fc.record({ name, addr: ip, port, meta: nbytes, incarnation: u32, state: fc.integer({ min: 0, max: 3 }), vsn });
    fc.assert(
      fc.property(fc.array(state, { maxLength: 200 }), fc.boolean(), bytes, fc.boolean(), fc.boolean(), (nodes, join, userState, compress, encrypt) => {
        const m: StreamMessage = { type: 'push-pull', join, nodes, userState };
        const sec = encrypt ? encSec : plain;
        const wire = sealStream(m, { ...sec, compress, initiator: true, rng });
        const cut = rng.int(wire.length);
        expect(openStream(wire.subarray(0, cut), { ...sec, expectLabel: true })).toBeNull();
        const r = openStream(wire, { ...sec, expectLabel: true });
        expect(r?.consumed).toBe(wire.length);
        expect(r?.message).toEqual(m);
        expect(encodeStreamMessage(r!.message)).toEqual(encodeStreamMessage(m));
      }),
      { numRuns: 200 },
    );
  });
});
