/**
 * Request bodies over HTTP by media type (issue 16): Kubernetes protobuf of the kinds kubectl 1.37
 * `create` sends is decoded and stored; protobuf of another kind and CBOR get kube-apiserver's 415
 * `UnsupportedMediaType` Status; a malformed protobuf body is a 400. (kubectl itself against both
 * servers: `test/parity.int.spec.ts`, "create namespace, configmap and secret generic".)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../src/index.js';
import { REPO } from './kubectl-helpers.js';

// A minimal protobuf writer: tag = field << 3 | wire type 2 (length-delimited) for everything here.
const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n);
  return out;
};
const len = (field: number, bytes: number[]) => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (field: number, s: string) => len(field, [...Buffer.from(s, 'utf8')]);
const entry = (field: number, k: string, v: string) => len(field, [...str(1, k), ...str(2, v)]);
const envelope = (apiVersion: string, kind: string, raw: number[]) => Buffer.from([0x6b, 0x38, 0x73, 0x00, ...len(1, [...str(1, apiVersion), ...str(2, kind)]), ...len(2, raw)]);

describe('request bodies by media type', () => {
  let api: RunningApiServer;
  beforeAll(async () => {
    api = await startApiServer({ crdsDir: `${REPO}deploy/crds` });
  });
  afterAll(async () => {
    await api?.stop();
  });

  const post = async (path: string, body: Buffer, contentType: string) => {
    const r = await fetch(`${api.url}${path}`, { method: 'POST', body, headers: { 'Content-Type': contentType, Accept: 'application/json' } });
    return { status: r.status, body: (await r.json()) as any };
  };

  it('a protobuf ConfigMap is stored like its JSON form', async () => {
    const body = envelope('v1', 'ConfigMap', [...len(1, [...str(1, 'from-pb'), ...entry(11, 'app', 'web')]), ...entry(2, 'a', 'b')]);
    const created = await post('/api/v1/namespaces/default/configmaps', body, 'application/vnd.kubernetes.protobuf');
    expect(created.status).toBe(201);
    const got = (await (await fetch(`${api.url}/api/v1/namespaces/default/configmaps/from-pb`)).json()) as any;
    expect({ labels: got.metadata.labels, data: got.data, uid: typeof got.metadata.uid }).toEqual({ labels: { app: 'web' }, data: { a: 'b' }, uid: 'string' });
  });

  it('protobuf of a kind without a decoding table and CBOR are a 415; a malformed protobuf body a 400', async () => {
    const pool = envelope('metallb.io/v1beta1', 'IPAddressPool', len(1, str(1, 'p')));
    const refused = await post('/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools', pool, 'application/vnd.kubernetes.protobuf');
    expect([refused.status, refused.body.kind, refused.body.reason]).toEqual([415, 'Status', 'UnsupportedMediaType']);
    const cbor = await post('/api/v1/namespaces/default/configmaps', Buffer.from([0xa0]), 'application/cbor');
    expect([cbor.status, cbor.body.reason]).toEqual([415, 'UnsupportedMediaType']);
    const truncated = await post('/api/v1/namespaces/default/configmaps', Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x09]), 'application/vnd.kubernetes.protobuf');
    expect([truncated.status, truncated.body.reason]).toEqual([400, 'BadRequest']);
    expect(truncated.body.message).toMatch(/truncated/);
  });
});
