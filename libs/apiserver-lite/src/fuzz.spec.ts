/**
 * Bad input always gets a clear error, never a crash: parsers and patchers on arbitrary input
 * either succeed or throw their own error type (which the HTTP layer turns into a Status).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatusError } from './errors.js';
import { parseRoute } from './http.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { parseFieldSelector, parseSelection, SelectorParseError, selects } from './selectors.js';

const matchLabels = (sel: string, labels: Record<string, string>) => selects(parseSelection(sel, undefined), { metadata: { labels } });
import { validate, type Schema } from './schema.js';

const onlyThrows = (fn: () => unknown, ...types: (new (...a: any[]) => Error)[]) => {
  try {
    fn();
    return true;
  } catch (e) {
    return types.some((t) => e instanceof t);
  }
};

describe('fuzz', () => {
  it('label and field selectors: parse or SelectorParseError', () => {
    const sel = fc.oneof(fc.string(), fc.stringMatching(/^[a-z!=(), ]{0,30}$/), fc.constantFrom('a in (b', 'a notin ()', '!', '=', 'a==', 'a=b,,c'));
    fc.assert(fc.property(sel, (s) => onlyThrows(() => matchLabels(s, { a: 'b' }), SelectorParseError) && onlyThrows(() => parseFieldSelector(s), SelectorParseError)), { numRuns: 2000 });
  });
  it('a parsed label selector re-parses from its canonical text to the same meaning', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
    const req = fc.oneof(
      fc.tuple(key, key).map(([k, v]) => `${k}=${v}`),
      fc.tuple(key, key).map(([k, v]) => `${k}!=${v}`),
      fc.tuple(key, fc.array(key, { minLength: 1, maxLength: 3 })).map(([k, vs]) => `${k} in (${vs.join(',')})`),
      key.map((k) => `!${k}`),
      key,
    );
    const labels = fc.dictionary(key, key, { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(req, { minLength: 1, maxLength: 4 }), labels, (reqs, l) => {
        const a = parseSelection(reqs.join(','), undefined);
        const b = parseSelection(reqs.join(' , '), undefined);
        return selects(a, { metadata: { labels: l } }) === selects(b, { metadata: { labels: l } }) && a.labels.length === reqs.length;
      }),
    );
  });
  it('routes: any path parses to a route or undefined', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('api', 'apis', 'v1', 'namespaces', 'x', 'status', '', '%zz'), { maxLength: 8 }), (segs) => onlyThrows(() => parseRoute(`/${segs.join('/')}`), URIError)));
  });
  it('patches: any JSON patch body applies or fails with a StatusError', () => {
    const op = fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'), path: fc.constantFrom('', '/', '/a', '/a/0', '/a/-', '/b/c', '/x~1y', 'nope'), from: fc.constantFrom('/a', '/b', undefined), value: fc.jsonValue() });
    fc.assert(fc.property(fc.jsonValue(), fc.oneof(fc.array(op, { maxLength: 4 }), fc.jsonValue()), (doc, ops) => onlyThrows(() => jsonPatch({ a: [1, 2], b: { c: doc } }, ops), StatusError)), { numRuns: 1000 });
  });
  it('merge and strategic merge patches never throw on JSON input', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => onlyThrows(() => (mergePatch(a, b), strategicMergePatch(a, b)))), { numRuns: 1000 });
  });
  it('schema validation never throws on arbitrary values', () => {
    const schema: Schema = { type: 'object', required: ['a'], properties: { a: { type: 'array', items: { type: 'string', pattern: '^x', 'x-kubernetes-validations': [{ rule: 'self.startsWith("x")' }] } }, n: { type: 'integer', minimum: 0 } }, 'x-kubernetes-validations': [{ rule: 'has(self.a) && size(self.a) < 3' }] };
    fc.assert(fc.property(fc.jsonValue(), (v) => { expect(Array.isArray(validate(v, schema))).toBe(true); return true; }), { numRuns: 1000 });
  });
});
