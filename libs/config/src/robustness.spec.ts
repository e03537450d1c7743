/**
 * Bad input never throws out of the pipeline: arbitrary values, and valid samples with one field
 * replaced by an arbitrary value. Either a Config or ConfigErrors comes back, and ConfigErrors
 * always names an object and says what to change.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigErrors, parseManifests } from './index.js';

const DIR = join(import.meta.dirname, '../../../deploy/examples/samples');
const samples: any[] = readdirSync(DIR).sort().flatMap((f) => parseManifests(readFileSync(join(DIR, f), 'utf8')).objects);

/** Every path (list of keys) to a value inside an object. */
function paths(v: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function setPath(obj: any, path: Array<string | number>, value: unknown): any {
  if (path.length === 0) return value;
  const copy = structuredClone(obj);
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[path[path.length - 1]!] = value;
  return copy;
}

function checkResult(r: unknown): void {
  if (r instanceof ConfigErrors) {
    expect(r.issues.length).toBeGreaterThan(0);
    expect(r.issues.filter((i) => i.message.startsWith('internal error'))).toEqual([]);
    for (const i of r.issues) {
      expect(i.object.kind).not.toBe('');
      expect(typeof i.field).toBe('string');
      expect(i.message.length).toBeGreaterThan(0);
      expect(i.hint.length).toBeGreaterThan(0);
    }
  } else {
    expect(r).toHaveProperty('pools');
  }
}

describe('robustness', () => {
  it('arbitrary values as objects', () => {
    fc.assert(
      fc.property(fc.array(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true })), (objs) => {
        checkResult(buildConfig(objs));
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary values in metallb.io envelopes', () => {
    const kinds = fc.constantFrom('IPAddressPool', 'L2Advertisement', 'BGPAdvertisement', 'BGPPeer', 'BFDProfile', 'Community', 'ConfigurationState');
    const envelope = fc.record({
      apiVersion: fc.constantFrom('metallb.io/v1beta1', 'metallb.io/v1beta2'),
      kind: kinds,
      metadata: fc.record({ name: fc.string({ minLength: 1, maxLength: 5 }), namespace: fc.constant('metallb-system') }),
      spec: fc.anything(),
    });
    fc.assert(fc.property(fc.array(envelope, { maxLength: 6 }), (objs) => checkResult(buildConfig(objs))), { numRuns: 500 });
  });

  it('valid samples with one field replaced by anything', () => {
    const targets = samples.flatMap((o, i) => paths(o).map((p) => [i, p] as const));
    const value = fc.oneof(
      fc.anything(),
      fc.constantFrom('', ' ', '-', '10.0.0.1/33', '::1/129', '10.0.0.9-10.0.0.1', 'large:1:2', '65536:1', '-1s', 0, -1, 2 ** 32, Infinity, NaN, null, [], {}, [null], [{}]),
    );
    fc.assert(
      fc.property(fc.constantFrom(...targets), value, ([i, p], v) => {
        const objs = samples.map((o, j) => (j === i ? setPath(o, p, v) : o));
        checkResult(buildConfig(objs));
        checkResult(buildConfig(objs, { bgpType: 'frr', node: 'n1' }));
      }),
      { numRuns: 600 },
    );
  });

  it('objects with throwing getters or cycles are reported, not thrown', () => {
    const evil = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'x', namespace: 'metallb-system' }, get spec(): never { throw new Error('boom'); } };
    checkResult(buildConfig([evil]));
    const cyc: any = { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'y', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.0/8'] } };
    cyc.spec.self = cyc;
    checkResult(buildConfig([cyc]));
    checkResult(buildConfig(undefined as never));
  });
});
