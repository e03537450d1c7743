/**
 * Kubernetes' protobuf encoding of request bodies (`Content-Type: application/vnd.kubernetes.protobuf`),
 * decoded into the JSON form of the object. kubectl 1.37 sends it for `create namespace`,
 * `create configmap`, `create secret` and `create serviceaccount` and, unlike for CBOR, does not
 * retry a 415 as JSON, so the server has to read it.
 *
 * The wire form: the magic `k8s\0`, then a `runtime.Unknown` message (1: TypeMeta {1: apiVersion,
 * 2: kind}, 2: raw, 3: contentEncoding, 4: contentType) whose `raw` is the object's message as in
 * `k8s.io/api/core/v1/generated.proto` (field numbers below). Only the kinds of {@link PROTOBUF_KINDS}
 * are known; any other kind is an `unknown-kind` error (the HTTP layer answers 415, as kube-apiserver
 * answers protobuf for custom resources). Fields the tables do not list are skipped (their wire type
 * says how long they are), as a proto decoder skips unknown fields.
 */

/** Why a body could not be decoded. */
export type ProtobufDecodeReason = 'bad-magic' | 'truncated' | 'bad-wire-type' | 'varint-too-long' | 'unknown-kind' | 'encoded-content';

/**
 * A protobuf body that cannot be read: `reason`, byte `offset` (from the start of the body),
 * `detail` — the shape of `@metallb-ts/errors`' `CodecDecodeError` (this library does not depend
 * on that package).
 */
export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
  constructor(
    readonly reason: ProtobufDecodeReason,
    readonly offset: number,
    readonly detail: string,
  ) {
    super(`protobuf error at byte ${offset}: ${detail} (${reason})`);
  }
}

/** The media type of Kubernetes' protobuf encoding. */
export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix of every Kubernetes protobuf body: `k8s` and a zero byte. */
export const PROTOBUF_MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** How one field is decoded: a scalar, a nested message (by table name), or a map. */
type FieldType = 'string' | 'bytes' | 'bool' | 'int64' | 'int32' | 'time' | { message: string } | { map: 'string' | 'bytes' };

interface FieldSpec {
  name: string;
  type: FieldType;
  repeated?: boolean;
}

type MessageTable = Readonly<Record<number, FieldSpec>>;

/** Message tables by name, from `generated.proto` of k8s.io/api v0.37 and k8s.io/apimachinery v0.37. */
const MESSAGES: Readonly<Record<string, MessageTable>> = {
  ObjectMeta: {
    1: { name: 'name', type: 'string' },
    2: { name: 'generateName', type: 'string' },
    3: { name: 'namespace', type: 'string' },
    4: { name: 'selfLink', type: 'string' },
    5: { name: 'uid', type: 'string' },
    6: { name: 'resourceVersion', type: 'string' },
    7: { name: 'generation', type: 'int64' },
    8: { name: 'creationTimestamp', type: 'time' },
    9: { name: 'deletionTimestamp', type: 'time' },
    10: { name: 'deletionGracePeriodSeconds', type: 'int64' },
    11: { name: 'labels', type: { map: 'string' } },
    12: { name: 'annotations', type: { map: 'string' } },
    13: { name: 'ownerReferences', type: { message: 'OwnerReference' }, repeated: true },
    14: { name: 'finalizers', type: 'string', repeated: true },
    // 17 managedFields: never sent by a client on create; skipped.
  },
  OwnerReference: {
    1: { name: 'kind', type: 'string' },
    3: { name: 'name', type: 'string' },
    4: { name: 'uid', type: 'string' },
    5: { name: 'apiVersion', type: 'string' },
    6: { name: 'controller', type: 'bool' },
    7: { name: 'blockOwnerDeletion', type: 'bool' },
  },
  ObjectReference: {
    1: { name: 'kind', type: 'string' },
    2: { name: 'namespace', type: 'string' },
    3: { name: 'name', type: 'string' },
    4: { name: 'uid', type: 'string' },
    5: { name: 'apiVersion', type: 'string' },
    6: { name: 'resourceVersion', type: 'string' },
    7: { name: 'fieldPath', type: 'string' },
  },
  LocalObjectReference: { 1: { name: 'name', type: 'string' } },
  Namespace: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'spec', type: { message: 'NamespaceSpec' } },
    3: { name: 'status', type: { message: 'NamespaceStatus' } },
  },
  NamespaceSpec: { 1: { name: 'finalizers', type: 'string', repeated: true } },
  NamespaceStatus: { 1: { name: 'phase', type: 'string' } },
  ConfigMap: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'data', type: { map: 'string' } },
    3: { name: 'binaryData', type: { map: 'bytes' } },
    4: { name: 'immutable', type: 'bool' },
  },
  Secret: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'data', type: { map: 'bytes' } },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: { map: 'string' } },
    5: { name: 'immutable', type: 'bool' },
  },
  ServiceAccount: {
    1: { name: 'metadata', type: { message: 'ObjectMeta' } },
    2: { name: 'secrets', type: { message: 'ObjectReference' }, repeated: true },
    3: { name: 'imagePullSecrets', type: { message: 'LocalObjectReference' }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
};

/** The `apiVersion kind` pairs whose protobuf bodies are decoded. */
export const PROTOBUF_KINDS: ReadonlySet<string> = new Set(['v1 Namespace', 'v1 ConfigMap', 'v1 Secret', 'v1 ServiceAccount']);

/** Whether `bytes` starts with {@link PROTOBUF_MAGIC}. */
export function hasProtobufMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && PROTOBUF_MAGIC.every((b, i) => bytes[i] === b);
}

const WIRE = { varint: 0, fixed64: 1, len: 2, fixed32: 5 } as const;

/** A reader over `buf[start, end)`; offsets in errors are relative to the whole body (`base`). */
class Reader {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let out = 0n;
    for (let shift = 0n, i = 0; ; shift += 7n, i++) {
      if (i >= 10) throw new ProtobufDecodeError('varint-too-long', this.pos, 'a varint longer than 10 bytes');
      if (this.pos >= this.end) throw new ProtobufDecodeError('truncated', this.pos, 'the body ends inside a varint');
      const b = this.buf[this.pos++]!;
      out |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return out;
    }
  }

  /** A length-delimited field's bounds. */
  len(): [number, number] {
    const at = this.pos;
    const n = Number(this.varint());
    if (n > this.end - this.pos) throw new ProtobufDecodeError('truncated', at, `a field of ${n} bytes, ${this.end - this.pos} left`);
    const start = this.pos;
    this.pos += n;
    return [start, this.pos];
  }

  skip(wire: number, at: number): void {
    switch (wire) {
      case WIRE.varint:
        this.varint();
        return;
      case WIRE.fixed64:
      case WIRE.fixed32: {
        const n = wire === WIRE.fixed64 ? 8 : 4;
        if (n > this.end - this.pos) throw new ProtobufDecodeError('truncated', this.pos, `a ${n}-byte field, ${this.end - this.pos} left`);
        this.pos += n;
        return;
      }
      case WIRE.len:
        this.len();
        return;
      default:
        throw new ProtobufDecodeError('bad-wire-type', at, `wire type ${wire}`);
    }
  }

  sub(start: number, end: number): Reader {
    return new Reader(this.buf, start, end);
  }
}

const text = new TextDecoder('utf-8');

/** Formats a protobuf `metav1.Time` as kube-apiserver's RFC 3339 (seconds precision). */
function rfc3339(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeMessage(r: Reader, table: MessageTable, buf: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (!r.done) {
    const at = r.pos;
    const tag = Number(r.varint());
    const field = tag >>> 3;
    const wire = tag & 7;
    const spec = table[field];
    if (!spec) {
      r.skip(wire, at);
      continue;
    }
    const value = decodeField(r, spec.type, wire, at, buf, out[spec.name]);
    if (spec.repeated) ((out[spec.name] ??= []) as unknown[]).push(value);
    else out[spec.name] = value;
  }
  return out;
}

function expectWire(wire: number, want: number, at: number, what: string): void {
  if (wire !== want) throw new ProtobufDecodeError('bad-wire-type', at, `${what}: wire type ${wire}, expected ${want}`);
}

function decodeField(r: Reader, type: FieldType, wire: number, at: number, buf: Uint8Array, prev: unknown): unknown {
  if (typeof type === 'object' && 'map' in type) {
    // A map is a repeated entry message {1: key, 2: value}; entries accumulate into one object.
    expectWire(wire, WIRE.len, at, 'map entry');
    const [s, e] = r.len();
    const entry = r.sub(s, e);
    let key = '';
    let value: unknown = type.map === 'string' ? '' : '';
    while (!entry.done) {
      const fat = entry.pos;
      const tag = Number(entry.varint());
      if (tag >>> 3 === 1 || tag >>> 3 === 2) {
        expectWire(tag & 7, WIRE.len, fat, 'map key or value');
        const [ks, ke] = entry.len();
        const bytes = buf.subarray(ks, ke);
        if (tag >>> 3 === 1) key = text.decode(bytes);
        else value = type.map === 'string' ? text.decode(bytes) : Buffer.from(bytes).toString('base64');
      } else entry.skip(tag & 7, fat);
    }
    const map = (prev ?? {}) as Record<string, unknown>;
    map[key] = value;
    return map;
  }
  if (typeof type === 'object') {
    expectWire(wire, WIRE.len, at, type.message);
    const [s, e] = r.len();
    return decodeMessage(r.sub(s, e), MESSAGES[type.message]!, buf);
  }
  switch (type) {
    case 'string':
    case 'bytes': {
      expectWire(wire, WIRE.len, at, type);
      const [s, e] = r.len();
      return type === 'string' ? text.decode(buf.subarray(s, e)) : Buffer.from(buf.subarray(s, e)).toString('base64');
    }
    case 'bool':
      expectWire(wire, WIRE.varint, at, type);
      return r.varint() !== 0n;
    case 'int64':
    case 'int32': {
      expectWire(wire, WIRE.varint, at, type);
      const v = BigInt.asIntN(64, r.varint());
      return Number(v);
    }
    case 'time': {
      expectWire(wire, WIRE.len, at, 'Time');
      const [s, e] = r.len();
      const t = decodeMessage(r.sub(s, e), { 1: { name: 'seconds', type: 'int64' } }, buf);
      return rfc3339(BigInt((t.seconds as number | undefined) ?? 0));
    }
  }
}

/**
 * Decodes a Kubernetes protobuf request body into the object's JSON form (`apiVersion`, `kind` and
 * the fields the object's message sets). Throws {@link ProtobufDecodeError}.
 */
export function decodeKubeProtobuf(body: Uint8Array): Record<string, unknown> {
  if (!hasProtobufMagic(body)) throw new ProtobufDecodeError('bad-magic', 0, 'the body does not start with the Kubernetes protobuf prefix k8s\\0');
  const r = new Reader(body, 4, body.length);
  let apiVersion = '';
  let kind = '';
  let raw: [number, number] | undefined;
  while (!r.done) {
    const at = r.pos;
    const tag = Number(r.varint());
    const field = tag >>> 3;
    if (field === 1) {
      expectWire(tag & 7, WIRE.len, at, 'TypeMeta');
      const [s, e] = r.len();
      const tm = decodeMessage(r.sub(s, e), { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } }, body);
      apiVersion = String(tm.apiVersion ?? '');
      kind = String(tm.kind ?? '');
    } else if (field === 2) {
      expectWire(tag & 7, WIRE.len, at, 'raw');
      raw = r.len();
    } else if (field === 3) {
      expectWire(tag & 7, WIRE.len, at, 'contentEncoding');
      const [s, e] = r.len();
      if (e > s) throw new ProtobufDecodeError('encoded-content', at, `content encoding ${JSON.stringify(text.decode(body.subarray(s, e)))}`);
    } else r.skip(tag & 7, at);
  }
  if (!PROTOBUF_KINDS.has(`${apiVersion} ${kind}`)) throw new ProtobufDecodeError('unknown-kind', 4, `no protobuf decoding for ${kind || '(no kind)'} in version ${JSON.stringify(apiVersion)}`);
  const obj = raw ? decodeMessage(r.sub(raw[0], raw[1]), MESSAGES[kind]!, body) : {};
  return { apiVersion, kind, ...obj };
}
