import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeKubeProtobuf, hasProtobufMagic, ProtobufDecodeError } from './protobuf.js';

// A minimal protobuf writer for the vectors: tag = field << 3 | wire type.
const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
};
const len = (field: number, bytes: number[]) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (field: number, s: string) => len(field, [...Buffer.from(s, 'utf8')]);
const bool = (field: number, b: boolean) => [...varint(field << 3), b ? 1 : 0];
const int = (field: number, n: number) => [...varint(field << 3), ...varint(n)];
const entry = (field: number, k: string, v: string | Buffer) => len(field, [...str(1, k), ...len(2, [...(typeof v === 'string' ? Buffer.from(v) : v)])]);
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const unknown = (apiVersion: string, kind: string, raw: number[]) => Uint8Array.from([...MAGIC, ...len(1, [...str(1, apiVersion), ...str(2, kind)]), ...len(2, raw), ...str(3, ''), ...str(4, '')]);

describe('Kubernetes protobuf bodies', () => {
  it('decodes a ConfigMap as kubectl create configmap sends it', () => {
    const body = unknown('v1', 'ConfigMap', [
      ...len(1, [
        ...str(1, 'c'), // metadata.name
        ...str(3, 'p-ns'), // metadata.namespace
        ...entry(11, 'app', 'web'), // metadata.labels
        ...entry(11, 'tier', 'x'),
        ...len(8, int(1, 1767225600)), // metadata.creationTimestamp (clients send it empty or set; kept as RFC 3339)
      ]),
      ...entry(2, 'a', 'b'), // data
      ...entry(2, 'x', 'y'),
      ...entry(3, 'bin', Buffer.from([0, 255])), // binaryData (base64 in JSON)
      ...bool(4, true), // immutable
    ]);
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'p-ns', labels: { app: 'web', tier: 'x' }, creationTimestamp: '2026-01-01T00:00:00Z' },
      data: { a: 'b', x: 'y' },
      binaryData: { bin: 'AP8=' },
      immutable: true,
    });
  });

  it('decodes a Secret (data as base64, stringData, type) and a Namespace (spec.finalizers)', () => {
    const secret = unknown('v1', 'Secret', [...len(1, str(1, 's')), ...entry(2, 'a', Buffer.from('b')), ...str(3, 'Opaque'), ...entry(4, 'plain', 'text')]);
    expect(decodeKubeProtobuf(secret)).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'Yg==' }, type: 'Opaque', stringData: { plain: 'text' } });
    const ns = unknown('v1', 'Namespace', [...len(1, [...str(1, 'n'), ...str(14, 'f1'), ...str(14, 'f2')]), ...len(2, str(1, 'kubernetes')), ...len(3, [])]);
    expect(decodeKubeProtobuf(ns)).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', finalizers: ['f1', 'f2'] }, spec: { finalizers: ['kubernetes'] }, status: {} });
  });

  it('decodes owner references and skips fields it has no table for (any wire type)', () => {
    const body = unknown('v1', 'ServiceAccount', [
      ...len(1, [
        ...str(1, 'sa'),
        ...len(13, [...str(5, 'v1'), ...str(1, 'Pod'), ...str(3, 'p'), ...str(4, 'u-1'), ...bool(6, true)]),
        ...len(17, str(1, 'kubectl')), // managedFields: skipped
        ...int(99, 7), // unknown varint
        0x9d, 0x06, 1, 2, 3, 4, // unknown fixed32 (field 99)
        0x99, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, // unknown fixed64 (field 99)
      ]),
      ...bool(4, false),
    ]);
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'sa', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u-1', controller: true }] },
      automountServiceAccountToken: false,
    });
  });

  it('refuses what it cannot read with a reason and the byte offset', () => {
    const fail = (b: Uint8Array) => {
      try {
        decodeKubeProtobuf(b);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtobufDecodeError);
        return [(e as ProtobufDecodeError).reason, (e as ProtobufDecodeError).offset];
      }
      throw new Error('decoded');
    };
    expect(fail(Uint8Array.from([...Buffer.from('{"kind":"x"}')]))).toEqual(['bad-magic', 0]);
    expect(fail(unknown('metallb.io/v1beta1', 'IPAddressPool', []))).toEqual(['unknown-kind', 4]);
    // A length prefix of 5 with 1 byte left, at byte 4.
    expect(fail(Uint8Array.from([...MAGIC, 0x0a, 0x05, 0x0a]))).toEqual(['truncated', 5]);
    expect(fail(Uint8Array.from([...MAGIC, 0x0b]))).toEqual(['bad-wire-type', 4]);
    expect(fail(Uint8Array.from([...MAGIC, 0x28, ...Array(11).fill(0xff)]))).toEqual(['varint-too-long', 15]);
    expect(fail(Uint8Array.from([...MAGIC, ...str(3, 'gzip')]))).toEqual(['encoded-content', 4]);
    expect(hasProtobufMagic(Uint8Array.from(MAGIC))).toBe(true);
  });

  it('never throws anything but a ProtobufDecodeError on arbitrary bytes after the prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        try {
          decodeKubeProtobuf(Uint8Array.from([...MAGIC, ...tail]));
        } catch (e) {
          if (!(e instanceof ProtobufDecodeError)) throw e;
        }
      }),
    );
  });

  it('round-trips generated ConfigMaps (names, labels, data)', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/);
    fc.assert(
      fc.property(key, fc.dictionary(key, fc.string()), fc.dictionary(key, fc.string()), (name, labels, data) => {
        const body = unknown('v1', 'ConfigMap', [...len(1, [...str(1, name), ...Object.entries(labels).flatMap(([k, v]) => entry(11, k, v))]), ...Object.entries(data).flatMap(([k, v]) => entry(2, k, v))]);
        const got = decodeKubeProtobuf(body) as any;
        expect(got.metadata).toEqual({ name, ...(Object.keys(labels).length ? { labels: { ...labels } } : {}) });
        expect(got.data ?? {}).toEqual({ ...data });
      }),
    );
  });
});
