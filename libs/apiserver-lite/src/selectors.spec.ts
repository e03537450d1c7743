import { describe, expect, it } from 'vitest';
import { fieldValue, fromLabelSelectorObject, matchFields, matchLabels, parseFieldSelector, parseLabelSelector, SelectorParseError } from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/zone': 'a', n: '5' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['example.com/zone=a,app=web', true],
    ['example.com/zone=a,app=db', false],
    ['n>4', true],
    ['n<4', false],
    ['app in (web,x),tier=front,!missing', true],
  ])('%j matches: %s', (sel, want) => {
    expect(matchLabels(parseLabelSelector(sel), labels)).toBe(want);
  });

  it.each(['app=', 'app in web', '=x', 'a b', 'app=web,', 'Bad Key=x', 'app=in valid'])('%j is an error', (sel) => {
    if (sel === 'app=') {
      // An empty value is valid: it selects objects whose label is empty.
      expect(matchLabels(parseLabelSelector(sel), { app: '' })).toBe(true);
      return;
    }
    expect(() => parseLabelSelector(sel)).toThrow(SelectorParseError);
  });

  it('converts metav1.LabelSelector objects', () => {
    const sel = fromLabelSelectorObject({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }, { key: 'gone', operator: 'DoesNotExist' }] });
    expect(matchLabels(sel, labels)).toBe(true);
    expect(matchLabels(sel, { app: 'web' })).toBe(false);
  });
});

describe('field selectors', () => {
  const obj = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer', nodeName: 'n1' } };
  it.each([
    ['metadata.name=web', true],
    ['metadata.name==web', true],
    ['metadata.name!=web', false],
    ['metadata.namespace=default,spec.type=LoadBalancer', true],
    ['spec.type=ClusterIP', false],
    ['spec.missing=', true],
    ['spec.missing!=', false],
  ])('%j matches: %s', (sel, want) => {
    expect(matchFields(parseFieldSelector(sel), obj)).toBe(want);
  });
  it('rejects garbage', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(SelectorParseError);
  });
  it('reads missing paths as empty', () => {
    expect(fieldValue(obj, 'status.phase')).toBe('');
  });
});
