/** The harness's log collection keeps whole lines whatever the pipe's chunking (a regression: it split on each chunk). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lineCollector } from './harness.js';

describe('lineCollector', () => {
  it('joins a line split over chunks, drops empty lines, keeps a last line without newline at the end', () => {
    const out: string[] = [];
    const feed = lineCollector(out)();
    feed.push('{"msg":"became le');
    feed.push('ader"}\n\n{"msg":"x"}\n{"msg":"tail');
    expect(out).toEqual(['{"msg":"became leader"}', '{"msg":"x"}']);
    feed.end();
    expect(out).toEqual(['{"msg":"became leader"}', '{"msg":"x"}', '{"msg":"tail']);
  });

  it('two streams into one list do not mix their partial lines', () => {
    const out: string[] = [];
    const make = lineCollector(out);
    const a = make();
    const b = make();
    a.push('stdout li');
    b.push('stderr li');
    a.push('ne\n');
    b.push('ne\n');
    expect(out).toEqual(['stdout line', 'stderr line']);
  });

  it('any chunking of a text yields the same lines as splitting it whole', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'é', '\n', '"', 'became leader'), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 10 }), (pieces, cuts) => {
        const text = pieces.join('');
        const out: string[] = [];
        const feed = lineCollector(out)();
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
        let prev = 0;
        for (const c of [...at, text.length]) {
          feed.push(text.slice(prev, c));
          prev = c;
        }
        feed.end();
        expect(out).toEqual(text.split('\n').filter(Boolean));
      }),
    );
  });
});
