import { describe, expect, it } from 'vitest';
import { desiredSlices } from './controllers.js';
import { fieldValue, matchFields, parseFieldSelector, parseSelection, SelectorParseError, selects } from './selectors.js';

/** Whether an object with these labels is selected by `?labelSelector=sel` (parsed by @metallb-ts/labels). */
const matchLabels = (sel: string, labels: Record<string, string>) => selects(parseSelection(sel, undefined), { metadata: { labels } });

describe('label selectors (?labelSelector=, parsed by @metallb-ts/labels)', () => {
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
    expect(matchLabels(sel, labels)).toBe(want);
  });

  it.each(['app=', 'app in web', '=x', 'a b', 'app=web,', 'Bad Key=x', 'app=in valid'])('%j is an error', (sel) => {
    if (sel === 'app=') {
      // An empty value is valid: it selects objects whose label is empty.
      expect(matchLabels(sel, { app: '' })).toBe(true);
      return;
    }
    expect(() => parseSelection(sel, undefined)).toThrow(SelectorParseError);
    expect(() => parseSelection(sel, undefined)).toThrow(/^unable to parse requirement: .* \(selector "/);
  });

  it('the EndpointSlice controller selects Pods with the Service selector as metav1 matchLabels', () => {
    const pod = (name: string, l: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: l }, spec: { nodeName: 'n1' }, status: { podIP: '198.51.100.7', conditions: [{ type: 'Ready', status: 'True' }] } });
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'u' }, spec: { selector: { app: 'web', tier: 'front' }, ports: [{ port: 80 }] } };
    const [slice] = desiredSlices(svc as never, [pod('a', { app: 'web', tier: 'front', x: 'y' }), pod('b', { app: 'web' }), pod('c', {})] as never);
    expect((slice!.endpoints as { targetRef: { name: string } }[]).map((e) => e.targetRef.name)).toEqual(['a']);
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
