/**
 * The CRD rules and the library agree: whatever the CRD (schema + CEL, checked offline) rejects
 * in an object's spec, the pipeline rejects too, naming that object. (The library checks more:
 * cross-object rules, reversed ranges, semantic selector duplicates, matchLabels keys.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildConfig, ConfigErrors, CRD_FILES, parseManifests } from './index.js';
import { compileVersion } from '../test/support/crd-validator.js';

const DIR = join(import.meta.dirname, '../../../deploy/examples/samples');
const samples: any[] = readdirSync(DIR).sort().flatMap((f) => parseManifests(readFileSync(join(DIR, f), 'utf8')).objects);
const configSamples = samples.map((o, i) => [o, i] as const).filter(([o]) => String(o.apiVersion).startsWith('metallb.io/') && o.spec !== undefined);

const validators = new Map<string, ReturnType<typeof compileVersion>>();
for (const { crd } of CRD_FILES) for (const v of crd.spec.versions) validators.set(`metallb.io/${v.name}/${crd.spec.names.kind}`, compileVersion(v.schema.openAPIV3Schema));

function specPaths(v: unknown, prefix: Array<string | number>): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...specPaths(x, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...specPaths(x, [...prefix, k]));
  return out;
}

function withValue(obj: any, path: Array<string | number>, value: unknown): any {
  const copy = structuredClone(obj);
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k];
  cur[path[path.length - 1]!] = value;
  return copy;
}

describe('CRD rules ⊆ library rules', () => {
  it('a spec the CRD rejects is rejected by buildConfig, on the same object (property)', () => {
    const targets = configSamples.flatMap(([o, i]) => specPaths(o.spec, ['spec']).filter((p) => p.length > 1).map((p) => [i, p] as const));
    const value = fc.oneof(
      fc.constantFrom('', ' ', 'x', '10.0.0.1/33', '::1/129', '10.0.0.1-2001:db8::1', '1:2:3', '99999999:1', 'large:1:2:3', '2s', '1500ms', 'In', 'Bogus', 0, -1, 1, 33, 129, 70000, 4294967296, true, [], {}, ['a', 'a'], [{}], [{}, {}]),
      fc.string({ maxLength: 6 }),
      fc.integer({ min: -10, max: 300 }),
    );
    let rejectedByCrd = 0;
    fc.assert(
      fc.property(fc.constantFrom(...targets), value, ([i, path], v) => {
        const mutated = withValue(samples[i], path, v);
        const crdErrors = validators.get(`${mutated.apiVersion}/${mutated.kind}`)!(mutated);
        if (crdErrors.length === 0) return;
        rejectedByCrd++;
        const objs = samples.map((o, j) => (j === i ? mutated : o));
        const r = buildConfig(objs);
        expect(r, `CRD said: ${crdErrors.map((e) => e.message).join('; ')}`).toBeInstanceOf(ConfigErrors);
        const names = (r as ConfigErrors).issues.map((x) => `${x.object.kind}/${x.object.name}`);
        expect(names).toContain(`${mutated.kind}/${mutated.metadata.name}`);
      }),
      { numRuns: 600 },
    );
    expect(rejectedByCrd).toBeGreaterThan(50);
  });
});
