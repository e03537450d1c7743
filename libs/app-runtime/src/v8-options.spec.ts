import { describe, expect, it } from 'vitest';
import { applyV8Options, OPTIMIZE_FOR_SIZE_ENV, v8FlagsToSet } from './v8-options.js';

describe('v8FlagsToSet', () => {
  it('sets --optimize-for-size unless the operator chose either way (node command line, - or _ spelling, or METALLB_TS_OPTIMIZE_FOR_SIZE)', () => {
    expect(v8FlagsToSet([], {})).toEqual(['--optimize-for-size']);
    expect(v8FlagsToSet(['--max-semi-space-size=4'], { NODE_OPTIONS: '--enable-source-maps' })).toEqual(['--optimize-for-size']);
    expect(v8FlagsToSet(['--optimize-for-size'], {})).toEqual([]);
    expect(v8FlagsToSet(['--no-optimize-for-size'], {})).toEqual([]);
    expect(v8FlagsToSet(['--no_optimize_for_size'], {})).toEqual([]);
    expect(v8FlagsToSet(['--optimize-for-size=false'], {})).toEqual([]);
    expect(v8FlagsToSet([], { NODE_OPTIONS: ' --optimize_for_size ' })).toEqual([]);
    expect(v8FlagsToSet([], { [OPTIMIZE_FOR_SIZE_ENV]: 'false' })).toEqual([]);
    expect(v8FlagsToSet([], { [OPTIMIZE_FOR_SIZE_ENV]: ' 0 ' })).toEqual([]);
    expect(v8FlagsToSet([], { [OPTIMIZE_FOR_SIZE_ENV]: 'NO' })).toEqual([]);
    expect(v8FlagsToSet([], { [OPTIMIZE_FOR_SIZE_ENV]: 'true' })).toEqual(['--optimize-for-size']);
    expect(v8FlagsToSet([], { [OPTIMIZE_FOR_SIZE_ENV]: '' })).toEqual(['--optimize-for-size']);
  });
});

describe('applyV8Options', () => {
  it('sets exactly the chosen flags through the given setter and returns them', () => {
    const set: string[] = [];
    expect(applyV8Options({ execArgv: [], env: {}, setFlags: (f) => set.push(f) })).toEqual(['--optimize-for-size']);
    expect(set).toEqual(['--optimize-for-size']);
  });

  it('sets nothing when the operator turned it off', () => {
    const set: string[] = [];
    expect(applyV8Options({ execArgv: ['--no-optimize-for-size'], env: {}, setFlags: (f) => set.push(f) })).toEqual([]);
    expect(applyV8Options({ execArgv: [], env: { [OPTIMIZE_FOR_SIZE_ENV]: 'false' }, setFlags: (f) => set.push(f) })).toEqual([]);
    expect(set).toEqual([]);
  });
});
