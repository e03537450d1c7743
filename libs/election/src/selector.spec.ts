import { describe, expect, it } from 'vitest';
import { anySelectorMatches, endpointCanServe, selectorListAllows, selectorMatches, type LabelSelector } from './index.js';

const labels = { zone: 'z1', role: 'worker', empty: '' };

describe('selectorMatches (metav1 semantics)', () => {
  it.each([
    ['empty selector matches everything', {}, true],
    ['matchLabels equal', { matchLabels: { zone: 'z1' } }, true],
    ['matchLabels different value', { matchLabels: { zone: 'z2' } }, false],
    ['matchLabels missing key', { matchLabels: { rack: 'r1' } }, false],
    ['matchLabels empty value', { matchLabels: { empty: '' } }, true],
    ['In', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z0', 'z1'] }] }, true],
    ['In, absent key', { matchExpressions: [{ key: 'rack', operator: 'In', values: ['r1'] }] }, false],
    ['NotIn', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1'] }] }, false],
    ['NotIn, absent key matches', { matchExpressions: [{ key: 'rack', operator: 'NotIn', values: ['r1'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'role', operator: 'Exists' }] }, true],
    ['Exists absent', { matchExpressions: [{ key: 'rack', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'rack', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, false],
    ['ANDed', { matchLabels: { zone: 'z1' }, matchExpressions: [{ key: 'role', operator: 'In', values: ['master'] }] }, false],
    ['malformed: In without values selects nothing', { matchExpressions: [{ key: 'zone', operator: 'In', values: [] }] }, false],
    ['malformed: Exists with values selects nothing', { matchExpressions: [{ key: 'zone', operator: 'Exists', values: ['z1'] }] }, false],
    ['malformed: unknown operator selects nothing', { matchExpressions: [{ key: 'zone', operator: 'Gt' as 'In', values: ['1'] }] }, false],
    ['inherited keys are not labels', { matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, false],
  ] as [string, LabelSelector, boolean][])('%s', (_n, sel, want) => {
    expect(selectorMatches(sel, labels)).toBe(want);
  });

  it('lists: MetalLB selector lists are empty = no restriction, else any; a plain OR of nothing is false', () => {
    expect(selectorListAllows(undefined, {})).toBe(true);
    expect(selectorListAllows([], {})).toBe(true);
    expect(selectorListAllows([{ matchLabels: { a: '1' } }, { matchLabels: { zone: 'z1' } }], labels)).toBe(true);
    expect(selectorListAllows([{ matchLabels: { a: '1' } }], labels)).toBe(false);
    expect(anySelectorMatches([], {})).toBe(false);
    expect(selectorMatches({}, undefined)).toBe(true);
    expect(selectorMatches(undefined, {})).toBe(false);
  });
});

describe('endpointCanServe (reference: ready absent/true OR serving true)', () => {
  it.each([
    [{}, true],
    [{ ready: true }, true],
    [{ ready: false }, false],
    [{ ready: false, serving: true }, true],
    [{ ready: true, serving: false }, true],
    [{ ready: false, serving: false, terminating: true }, false],
    [{ serving: false }, true],
  ])('%j → %s', (c, want) => {
    expect(endpointCanServe(c)).toBe(want);
  });
});
