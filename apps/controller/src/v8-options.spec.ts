import { describe, expect, it } from 'vitest';
import { v8FlagsToSet } from './v8-options.js';

describe('v8FlagsToSet', () => {
  it('sets --optimize-for-size unless the operator chose either way (command line or NODE_OPTIONS, - or _ spelling)', () => {
    expect(v8FlagsToSet([], undefined)).toEqual(['--optimize-for-size']);
    expect(v8FlagsToSet(['--max-semi-space-size=4'], '--enable-source-maps')).toEqual(['--optimize-for-size']);
    expect(v8FlagsToSet(['--optimize-for-size'], undefined)).toEqual([]);
    expect(v8FlagsToSet(['--no-optimize-for-size'], undefined)).toEqual([]);
    expect(v8FlagsToSet([], '--trace-gc --no_optimize_for_size')).toEqual([]);
    expect(v8FlagsToSet([], '--optimize_for_size')).toEqual([]);
  });
});
