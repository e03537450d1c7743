import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatMicroTime, formatRfc3339 } from './index.js';

describe('Kubernetes time texts', () => {
  it('formats known instants', () => {
    expect(formatRfc3339(0)).toBe('1970-01-01T00:00:00Z');
    expect(formatRfc3339(1_796_406_423_999)).toBe('2026-12-04T17:47:03Z');
    expect(formatMicroTime(1_796_406_423_123)).toBe('2026-12-04T17:47:03.123000Z');
    expect(formatMicroTime(0)).toBe('1970-01-01T00:00:00.000000Z');
  });
  it('round-trips through Date.parse (to the second, and to the millisecond)', () => {
    const instants = fc.integer({ min: 0, max: 253_402_300_799_999 }); // through year 9999
    fc.assert(
      fc.property(instants, (ms) => {
        expect(Date.parse(formatRfc3339(ms))).toBe(ms - (ms % 1000));
        expect(Date.parse(formatMicroTime(ms))).toBe(ms);
        expect(formatRfc3339(ms)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(formatMicroTime(ms)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      }),
    );
  });
  it('refuses a time that is not a finite number', () => {
    expect(() => formatRfc3339(Number.NaN)).toThrow(/finite epoch milliseconds/);
    expect(() => formatMicroTime(Infinity)).toThrow(RangeError);
  });
});
