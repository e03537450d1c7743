import { describe, expect, it } from 'vitest';
import { v8FlagsToSet } from './v8-options.js';

describe('v8FlagsToSet', () => {
  it('sets --optimize-for-size unless the operator chose either way (node command line, - or _ spelling, or METALLB_TS_OPTIMIZE_FOR_SIZE)', () => {
    expect(v8FlagsToSet([], {})).toEqual(['--optimize-for-size']);
    expect(v8FlagsToSet(['--max-semi-space-size=4'], { NODE_OPTIONS: '--enable-source-maps' })).toEqual(['--optimize-for-size']);
    expect(v8FlagsToSet(['--optimize-for-size'], {})).toEqual([]);
    expect(v8FlagsToSet(['--no-optimize-for-size'], {})).toEqual([]);
    expect(v8FlagsToSet(['--no_optimize_for_size'], {})).toEqual([]);
    expect(v8FlagsToSet([], { METALLB_TS_OPTIMIZE_FOR_SIZE: 'false' })).toEqual([]);
    expect(v8FlagsToSet([], { METALLB_TS_OPTIMIZE_FOR_SIZE: ' 0 ' })).toEqual([]);
    expect(v8FlagsToSet([], { METALLB_TS_OPTIMIZE_FOR_SIZE: 'true' })).toEqual(['--optimize-for-size']);
  });
});
