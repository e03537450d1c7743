import { describe, expect, it } from 'vitest';
import { matchesAny, matchesSelector } from './selector.js';
import type { LabelSelector } from './types.js';

const labels = { app: 'web', tier: 'front' };

describe('label selectors (the @metallb-ts/labels matcher)', () => {
  it.each<[string, LabelSelector, boolean]>([
    ['empty selector matches everything', {}, true],
    ['matchLabels equal', { matchLabels: { app: 'web' } }, true],
    ['matchLabels different value', { matchLabels: { app: 'db' } }, false],
    ['matchLabels missing key', { matchLabels: { zone: 'a' } }, false],
    ['In with the value', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    ['In without the value', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
    ['In on a missing key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, false],
    ['NotIn with the value', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    ['NotIn on a missing key matches', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }, true],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['Exists on a missing key', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
    ['DoesNotExist', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist on a present key', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    ['matchLabels AND expressions', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, false],
    ['inherited properties are not labels', { matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, false],
    // Regression: ipam used to match NotIn with no values; Kubernetes refuses such a selector.
    ['malformed NotIn without values selects nothing', { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: [] }] }, false],
  ])('%s', (_n, sel, want) => {
    expect(matchesSelector(sel, labels)).toBe(want);
  });

  it('a list of selectors is ORed; an empty list matches nothing', () => {
    expect(matchesAny([{ matchLabels: { app: 'db' } }, { matchLabels: { tier: 'front' } }], labels)).toBe(true);
    expect(matchesAny([{ matchLabels: { app: 'db' } }], labels)).toBe(false);
    expect(matchesAny([], labels)).toBe(false);
  });
});
