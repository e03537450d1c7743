import { describe, expect, it } from 'vitest';
import { SeededRng } from '@metallb-ts/clock/testing';
import { CodecDecodeError, isCodecDecodeError } from '@metallb-ts/errors';
import {
  crc32,
  DecodeError,
  decodeCompound,
  decodeMessage,
  deriveMetallbKey,
  encodeCompound,
  encodeMessage,
  encodeStreamMessage,
  flattenPacket,
  Keyring,
  lzwCompress,
  lzwDecompress,
  openPacket,
  openStream,
  sealPacket,
  sealStream,
  type PacketMessage,
} from './index.js';
import * as V from '../test/vectors/captured.js';

const plainSec = { label: '', verifyIncoming: true, verifyOutgoing: true } as const;
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('message codecs against captured Go bytes (memberlist-wire.md §14)', () => {
  const cases: Array<[string, Uint8Array, PacketMessage]> = [
    ['ping §14.1', V.PING_A_TO_B, { type: 'ping', seqNo: 3, node: 'b', sourceAddr: '127.0.0.1', sourcePort: 9000, sourceNode: 'a' }],
    ['ack §14.2', V.ACK_B_TO_A, { type: 'ack', seqNo: 3, payload: null }],
    ['alive with meta §14.3', V.ALIVE_A, { type: 'alive', incarnation: 1, node: 'a', addr: '127.0.0.1', port: 9000, meta: new TextEncoder().encode('hello'), vsn: Uint8Array.from([1, 5, 2, 0, 0, 0]) }],
    ['alive without meta §14.3', V.ALIVE_B, { type: 'alive', incarnation: 1, node: 'b', addr: '127.0.0.1', port: 9001, meta: null, vsn: Uint8Array.from([1, 5, 2, 0, 0, 0]) }],
    ['suspect §14.6', V.SUSPECT_C, { type: 'suspect', incarnation: 1, node: 'c', from: 'a' }],
    ['dead §14.6', V.DEAD_C_BY_B, { type: 'dead', incarnation: 1, node: 'c', from: 'b' }],
    ['left §14.6', V.LEFT_C, { type: 'dead', incarnation: 1, node: 'c', from: 'c' }],
    ['nack §14.6', V.NACK_7, { type: 'nack', seqNo: 7 }],
    ['indirect ping §14.6', V.INDIRECT_A_C, { type: 'indirect-ping', seqNo: 5, target: '127.0.0.1', port: 9002, node: 'c', nack: true, sourceAddr: '127.0.0.1', sourcePort: 9000, sourceNode: 'a' }],
  ];
  it.each(cases)('%s: decodes and re-encodes byte for byte', (_name, bytes, msg) => {
    expect(decodeMessage(bytes)).toEqual(msg);
    expect(toHex(encodeMessage(Object.freeze(msg)))).toBe(toHex(bytes));
  });

  it('ping without Source* omits the keys (omitempty) and counts fewer map entries', () => {
    const b = encodeMessage({ type: 'ping', seqNo: 1, node: 'x', sourceAddr: '', sourcePort: 0, sourceNode: '' });
    expect(b[1]).toBe(0x82);
    expect(decodeMessage(b)).toEqual({ type: 'ping', seqNo: 1, node: 'x', sourceAddr: '', sourcePort: 0, sourceNode: '' });
  });

  it('decoder accepts any key order, unknown keys, str8/bin and every int width', () => {
    // {"SeqNo": uint32 0xce 00000007, "Zzz": [1,2], "Payload": bin8 "hi"} as an ack
    const b = V.hex('02 83', 'a55365714e6f ce00000007', 'a35a7a7a 92 01 02', 'a75061796c6f6164 c4 02 6869');
    expect(decodeMessage(b)).toEqual({ type: 'ack', seqNo: 7, payload: Uint8Array.from([0x68, 0x69]) });
    // Vsn as an array of ints, Addr as IPv4-mapped IPv6, Incarnation as int16
    const a = V.hex('04 84', 'a441646472 b0 00000000000000000000ffff7f000001', 'ab496e6361726e6174696f6e d10102', 'a44e6f6465 a161', 'a356736e 96 01 05 02 00 00 00');
    expect(decodeMessage(a)).toMatchObject({ type: 'alive', addr: '127.0.0.1', incarnation: 258, node: 'a', port: 0, meta: null, vsn: Uint8Array.from([1, 5, 2, 0, 0, 0]) });
  });

  it('UDP user message with CRC §14.6', () => {
    const body = openPacket(V.USER_UDP_CRC, plainSec);
    expect(new TextDecoder().decode(decodeMessage(body).type === 'user' ? (decodeMessage(body) as { payload: Uint8Array }).payload : new Uint8Array())).toBe('hello-from-c (udp)');
  });

  it('CRC of the suspect vector is 0x55ff57b2 and sealPacket writes it', () => {
    expect(crc32(V.SUSPECT_C)).toBe(V.SUSPECT_C_CRC);
    const sealed = sealPacket(V.SUSPECT_C, { ...plainSec, compress: false, crc: true, rng: new SeededRng(1) });
    expect(toHex(sealed)).toBe('0c55ff57b2' + toHex(V.SUSPECT_C));
    const bad = sealed.slice();
    bad[10] = bad[10]! ^ 1;
    expect(() => openPacket(bad, plainSec)).toThrow(/CRC/);
  });

  it('compound §14.4/§14.6: CRC + compound of two alives re-encodes to 130 bytes', () => {
    const c = encodeCompound([V.ALIVE_A, V.ALIVE_B]);
    expect(toHex(c.subarray(0, 6))).toBe('070200' + '3e0039');
    const sealed = sealPacket(c, { ...plainSec, compress: false, crc: true, rng: new SeededRng(1) });
    expect(sealed.length).toBe(130);
    expect(toHex(sealed.subarray(0, 5))).toBe('0c6ebc22ad');
    const flat = flattenPacket(openPacket(sealed, plainSec));
    expect(flat.errors).toEqual([]);
    expect(flat.messages.map((m) => m.type)).toEqual(['alive', 'alive']);
  });

  it('a truncated compound keeps the parts before the cut', () => {
    const c = encodeCompound([V.NACK_7, V.SUSPECT_C]);
    const cut = c.subarray(0, c.length - 3);
    expect(decodeCompound(cut).parts.length).toBe(1);
    const flat = flattenPacket(cut);
    expect(flat.messages).toEqual([{ type: 'nack', seqNo: 7 }]);
    expect(flat.errors[0]?.reason).toBe('truncated');
  });
});

describe('decode errors: the shared codec error shape', () => {
  it('an unknown message type is a DecodeError with reason, offset and detail, and no stack', () => {
    let err: unknown;
    try {
      decodeMessage(Uint8Array.of(0xee));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toBeInstanceOf(CodecDecodeError);
    expect(isCodecDecodeError(err)).toBe(true);
    const e = err as DecodeError;
    expect([e.name, e.reason, e.offset, e.detail]).toEqual(['DecodeError', 'unknown-type', 0, 'unknown or misplaced message type 238']);
    expect(e.message).toBe('memberlist decode error at byte 0: unknown or misplaced message type 238 (unknown-type)');
    expect(e.stack?.split('\n').length).toBe(1);
  });
});

describe('LZW (Go compress/lzw, LSB, 8)', () => {
  it('§14.8: the captured 101-byte Buf decompresses to the 92-byte push/pull and recompresses identically', () => {
    const s = openStream(V.PUSHPULL_JOIN_STREAM, { ...plainSec, expectLabel: true });
    expect(s?.consumed).toBe(116);
    expect(s?.message).toEqual({
      type: 'push-pull',
      join: true,
      nodes: [{ name: 'b', addr: '127.0.0.1', port: 9001, meta: new Uint8Array(0), incarnation: 1, state: 0, vsn: Uint8Array.from([1, 5, 2, 0, 0, 0]) }],
      userState: new Uint8Array(0),
    });
    const lzw = V.PUSHPULL_JOIN_STREAM.subarray(15);
    expect(toHex(lzwDecompress(lzw))).toBe(toHex(V.PUSHPULL_JOIN_PLAIN));
    expect(toHex(lzwCompress(V.PUSHPULL_JOIN_PLAIN))).toBe(toHex(lzw));
    expect(toHex(encodeStreamMessage(s!.message))).toBe(toHex(V.PUSHPULL_JOIN_PLAIN));
  });

  it('round-trips long repetitive and random inputs across the 12-bit reset', () => {
    const rng = new SeededRng(7);
    for (const n of [0, 1, 2, 255, 4096, 20000, 70000]) {
      const rep = new Uint8Array(n).map((_, i) => (i * 7) % 13);
      expect(lzwDecompress(lzwCompress(rep))).toEqual(rep);
      const rnd = rng.bytes(n);
      expect(lzwDecompress(lzwCompress(rnd))).toEqual(rnd);
    }
  });

  it('decodes streams without a leading clear code (older Go)', () => {
    const withClear = lzwCompress(new TextEncoder().encode('abababababab'));
    // Drop the 9-bit clear: re-pack the remaining codes by decoding bit by bit.
    const bits: number[] = [];
    for (const byte of withClear) for (let i = 0; i < 8; i++) bits.push((byte >> i) & 1);
    const rest = bits.slice(9);
    const out = new Uint8Array(Math.ceil(rest.length / 8));
    rest.forEach((b, i) => (out[i >> 3]! |= b << (i & 7)));
    expect(new TextDecoder().decode(lzwDecompress(out))).toBe('abababababab');
  });

  it('refuses a missing end code and invalid codes', () => {
    const c = lzwCompress(new TextEncoder().encode('hello'));
    expect(() => lzwDecompress(c.subarray(0, c.length - 2))).toThrow(/end code|invalid/);
    expect(() => lzwDecompress(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow();
  });

  it('enforces the output limit', () => {
    const c = lzwCompress(new Uint8Array(100_000));
    expect(() => lzwDecompress(c, 1000)).toThrow(/exceeds/);
  });
});

describe('encryption (memberlist-wire.md §9)', () => {
  it('MetalLB key derivation: secret ‖ sha256("") truncated', () => {
    expect(toHex(deriveMetallbKey(V.LAB_SECRET))).toBe(toHex(V.LAB_KEY));
    const s22 = 'AAAAAAAAAAAAAAAAAAAAAA';
    expect(toHex(deriveMetallbKey(s22))).toBe(Buffer.from(s22).toString('hex') + 'e3b0c44298fc1c149afb');
    expect(toHex(deriveMetallbKey(s22, 128))).toBe(Buffer.from(s22.slice(0, 16)).toString('hex'));
    expect(deriveMetallbKey('x'.repeat(40))).toEqual(new TextEncoder().encode('x'.repeat(32)));
    expect(toHex(deriveMetallbKey('abc\n'))).toMatch(/^6162630a/);
  });

  it('decrypts the captured Go ping and ack (§14.5)', () => {
    const kr = new Keyring([V.LAB_KEY]);
    expect(toHex(openPacket(V.ENC_PING, { ...plainSec, keyring: kr }))).toBe(toHex(V.ENC_PING_PLAIN));
    expect(toHex(openPacket(V.ENC_ACK, { ...plainSec, keyring: kr }))).toBe(toHex(V.ENC_ACK_PLAIN));
  });

  it('tries every key, refuses the wrong key, and accepts plaintext only when not verifying', () => {
    const other = deriveMetallbKey('other');
    expect(toHex(openPacket(V.ENC_PING, { ...plainSec, keyring: new Keyring([other, V.LAB_KEY]) }))).toBe(toHex(V.ENC_PING_PLAIN));
    expect(() => openPacket(V.ENC_PING, { ...plainSec, keyring: new Keyring([other]) })).toThrow(/no installed key/);
    expect(() => openPacket(V.PING_A_TO_B, { ...plainSec, keyring: new Keyring([other]) })).toThrow();
    expect(openPacket(V.PING_A_TO_B, { ...plainSec, verifyIncoming: false, keyring: new Keyring([other]) })).toEqual(V.PING_A_TO_B);
  });

  it('keyring install/use/remove', () => {
    const k1 = deriveMetallbKey('one');
    const k2 = deriveMetallbKey('two', 128);
    const kr = new Keyring([k1]);
    kr.addKey(k2);
    expect(kr.getKeys().length).toBe(2);
    expect(() => kr.removeKey(k1)).toThrow(/primary/);
    kr.useKey(k2);
    expect(kr.primaryKey()).toEqual(k2);
    kr.removeKey(k1);
    expect(kr.getKeys()).toEqual([k2]);
    expect(() => kr.useKey(k1)).toThrow(/not installed/);
    expect(() => new Keyring([new Uint8Array(15)])).toThrow(/16, 24 or 32/);
  });

  it('round-trips packets with label, CRC, compression and encryption (vsn 1 and 0)', () => {
    const rng = new SeededRng(3);
    const kr = new Keyring([V.LAB_KEY]);
    const sec = { label: 'blue', keyring: kr, verifyIncoming: true, verifyOutgoing: true };
    const msg = encodeCompound([V.ALIVE_A, V.ALIVE_B, V.ALIVE_A]);
    const sealed = sealPacket(msg, { ...sec, compress: true, crc: true, rng });
    expect(sealed[0]).toBe(0xf4);
    const flat = flattenPacket(openPacket(sealed, sec));
    expect(flat.messages.length).toBe(3);
    expect(() => openPacket(sealed, { ...sec, label: 'red' })).toThrow(/label/);
    expect(() => openPacket(sealed, { ...sec, label: '' })).toThrow(/label/);
    const v0 = kr.encrypt(msg, new Uint8Array(0), rng, 0);
    expect(v0[0]).toBe(0);
    expect(kr.decrypt(v0, new Uint8Array(0))).toEqual(msg);
  });

  it('streams: encrypted push/pull with the 5 header bytes as AAD, label only from the initiator', () => {
    const rng = new SeededRng(4);
    const kr = new Keyring([V.LAB_KEY]);
    const msg = { type: 'user', payload: new TextEncoder().encode('hello-from-c (tcp)') } as const;
    for (const label of ['', 'lab']) {
      const sec = { label, keyring: kr, verifyIncoming: true, verifyOutgoing: true };
      const req = sealStream(msg, { ...sec, compress: true, initiator: true, rng });
      const body = label ? req.subarray(2 + label.length) : req;
      expect(body[0]).toBe(0x0a);
      expect(new DataView(body.buffer, body.byteOffset).getUint32(1)).toBe(body.length - 5);
      // incremental: null until complete
      expect(openStream(req.subarray(0, req.length - 1), { ...sec, expectLabel: true })).toBeNull();
      expect(openStream(req, { ...sec, expectLabel: true })).toEqual({ message: msg, consumed: req.length });
      const reply = sealStream(msg, { ...sec, compress: false, initiator: false, rng });
      expect(openStream(reply, { ...sec, expectLabel: false })?.message).toEqual(msg);
    }
    const sec = { label: '', keyring: kr, verifyIncoming: true, verifyOutgoing: true };
    const plain = sealStream(msg, { label: '', verifyIncoming: true, verifyOutgoing: true, compress: true, initiator: true, rng });
    expect(() => openStream(plain, { ...sec, expectLabel: true })).toThrow(/not encrypted/);
    const enc = sealStream(msg, { ...sec, compress: true, initiator: true, rng });
    expect(() => openStream(enc, { label: '', verifyIncoming: true, verifyOutgoing: true, expectLabel: true })).toThrow(/encryption is not configured/);
  });

  it('stream user message and int encodings as Go v2 writes them (UserMsgLen 300 → d1 01 2c)', () => {
    const payload = new Uint8Array(300);
    const b = encodeStreamMessage({ type: 'user', payload });
    expect(toHex(b.subarray(0, 16))).toBe('0881aa557365724d73674c656e' + 'd1012c');
    // and the 0.2.2 codec form (cd 01 2c) decodes too
    const old = Uint8Array.from([...b.subarray(0, 13), 0xcd, 0x01, 0x2c, ...payload]);
    expect(openStream(old, { ...plainSec, expectLabel: true })?.message).toEqual({ type: 'user', payload });
  });
});
