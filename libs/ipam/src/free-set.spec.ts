import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FreeSet } from './free-set.js';

const runs = (s: FreeSet) => [...s.intervals()].map(([a, b]) => `${a}-${b}`);

describe('FreeSet', () => {
  it('starts with one run covering the whole space', () => {
    const s = new FreeSet(10n);
    expect(runs(s)).toEqual(['0-9']);
    expect(s.first()).toBe(0n);
    expect(new FreeSet(0n).first()).toBeUndefined();
  });

  it.each([
    ['take the first offset shrinks the run', [['take', 0n]], ['1-9']],
    ['take the last offset shrinks the run', [['take', 9n]], ['0-8']],
    ['take in the middle splits the run', [['take', 4n]], ['0-3', '5-9']],
    ['give between two runs merges them', [['take', 4n], ['give', 4n]], ['0-9']],
    ['give next to the left run extends it', [['take', 4n], ['take', 5n], ['give', 4n]], ['0-4', '6-9']],
    ['give next to the right run extends it', [['take', 4n], ['take', 5n], ['give', 5n]], ['0-3', '5-9']],
    ['give an isolated offset creates a run', [['take', 3n], ['take', 4n], ['take', 5n], ['give', 4n]], ['0-2', '4-4', '6-9']],
    ['take a single-offset run removes it', [['take', 3n], ['take', 5n], ['take', 4n]], ['0-2', '6-9']],
  ] as const)('%s', (_name, ops, want) => {
    const s = new FreeSet(10n);
    for (const [op, x] of ops) expect(op === 'take' ? s.take(x) : s.give(x)).toBe(true);
    expect(runs(s)).toEqual(want);
  });

  it('refuses to take a used offset or give a free one, and ignores out-of-range offsets', () => {
    const s = new FreeSet(4n);
    expect(s.take(1n)).toBe(true);
    expect(s.take(1n)).toBe(false);
    expect(s.give(2n)).toBe(false);
    expect(s.give(4n)).toBe(false);
    expect(s.give(-1n)).toBe(false);
    expect(s.take(7n)).toBe(false);
    expect(runs(s)).toEqual(['0-0', '2-3']);
  });

  it('handles a 2^128 space without enumerating it', () => {
    const size = 1n << 128n;
    const s = new FreeSet(size);
    expect(s.take(0n)).toBe(true);
    expect(s.take(size - 1n)).toBe(true);
    expect(s.first()).toBe(1n);
    expect(s.firstAtOrAfter(size - 2n)).toBe(size - 2n);
    expect(s.firstAtOrAfter(size - 1n)).toBeUndefined();
    expect(s.runCount).toBe(1);
  });

  it('withUsed builds the same runs as taking one by one', () => {
    const used = [5n, 1n, 2n, 9n, 2n];
    const a = FreeSet.withUsed(12n, used);
    const b = new FreeSet(12n);
    for (const u of used) b.take(u);
    expect(runs(a)).toEqual(runs(b));
    expect(runs(a)).toEqual(['0-0', '3-4', '6-8', '10-11']);
  });

  it('stays balanced when fragmented (every other offset taken)', () => {
    const s = new FreeSet(20_000n);
    for (let i = 0n; i < 20_000n; i += 2n) s.take(i);
    expect(s.runCount).toBe(10_000);
    // AVL height bound: 1.44 log2(n + 2)
    expect(s.height).toBeLessThanOrEqual(Math.ceil(1.45 * Math.log2(10_002)));
    expect(s.first()).toBe(1n);
  });

  it('property: agrees with a naive boolean-array model', () => {
    const size = 64;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -2, max: size + 1 })), { maxLength: 300 }), (ops) => {
        const s = new FreeSet(BigInt(size));
        const used = new Array<boolean>(size).fill(false);
        for (const [take, x] of ops) {
          const inRange = x >= 0 && x < size;
          if (take) {
            expect(s.take(BigInt(x))).toBe(inRange && !used[x]);
            if (inRange) used[x] = true;
          } else {
            expect(s.give(BigInt(x))).toBe(inRange && used[x]);
            if (inRange) used[x] = false;
          }
          const first = used.indexOf(false);
          expect(s.first()).toBe(first < 0 ? undefined : BigInt(first));
        }
        for (let i = 0; i < size; i++) expect(s.has(BigInt(i))).toBe(!used[i]);
        // runs are maximal and sorted
        const r = [...s.intervals()];
        for (let i = 1; i < r.length; i++) expect(r[i]![0]).toBeGreaterThan(r[i - 1]![1] + 1n);
        for (let i = 0; i < size; i++) {
          const want = used.findIndex((u, j) => j >= i && !u);
          expect(s.firstAtOrAfter(BigInt(i))).toBe(want < 0 ? undefined : BigInt(want));
        }
      }),
      { numRuns: 200 },
    );
  });
});
