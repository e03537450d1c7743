import { describe, expect, it } from 'vitest';
import { desiredSlices } from './controllers.js';
import { fieldValue, matchFields, parseFieldSelector, parseSelection, SelectorParseError, selects, type FieldSelectorTarget } from './selectors.js';

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
    // kube-apiserver's wording: the requirement's problem, without the selector appended.
    expect(() => parseSelection(sel, undefined)).toThrow(/^unable to parse requirement: /);
    expect(() => parseSelection(sel, undefined)).not.toThrow(/\(selector "/);
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
    ['metadata.name=web,,', true],
    ['metadata.name==', false],
  ])('%j matches: %s', (sel, want) => {
    expect(matchFields(parseFieldSelector(sel), obj)).toBe(want);
  });

  it.each([
    ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
    // Terms are sorted before parsing, so the error names the first bad one in byte order.
    ['z=1,garbage,a=b', "invalid selector: 'z=1,garbage,a=b'; can't understand 'garbage'"],
    ['metadata.name=a=b', 'invalid field selector: unescaped character in value: 61'],
    ['metadata.name=a\\x', 'invalid field selector: invalid escape sequence: \\x'],
    ['metadata.name=a\\', 'invalid field selector: invalid escape sequence: \\'],
  ])('%j is refused: %s', (sel, message) => {
    expect(() => parseFieldSelector(sel)).toThrow(SelectorParseError);
    expect(() => parseFieldSelector(sel)).toThrow(message);
  });

  it('splits on unescaped commas only, unescapes values and trims nothing', () => {
    expect(parseFieldSelector('metadata.name=a\\,b\\=c,spec.x!=y')).toEqual([
      { field: 'metadata.name', op: '=', value: 'a,b=c' },
      { field: 'spec.x', op: '!=', value: 'y' },
    ]);
    expect(parseFieldSelector(' metadata.name = web ')).toEqual([{ field: ' metadata.name ', op: '=', value: ' web ' }]);
  });

  it('reads missing paths as empty', () => {
    expect(fieldValue(obj, 'status.phase')).toBe('');
  });

  it('reads the per-kind fields with their Go zero values', () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } };
    expect(fieldValue(node, 'spec.unschedulable')).toBe('false');
    expect(fieldValue({ ...node, spec: { unschedulable: true } }, 'spec.unschedulable')).toBe('true');
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' }, spec: { nodeName: 'n1' }, status: { podIP: '198.51.100.9', podIPs: [{ ip: '198.51.100.7' }, { ip: '2001:db8::7' }] } };
    expect(fieldValue(pod, 'spec.hostNetwork')).toBe('false');
    expect(fieldValue(pod, 'status.podIP')).toBe('198.51.100.7');
    expect(fieldValue(pod, 'spec.host')).toBe('n1');
    const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'd' }, source: { component: 'speaker' } };
    expect(fieldValue(ev, 'source')).toBe('speaker');
  });

  it.each<[string, FieldSelectorTarget, string | undefined]>([
    ['spec.nodeName=n1,status.phase=Running,spec.host=n1', { group: '', plural: 'pods', namespaced: true }, undefined],
    ['spec.containers=x', { group: '', plural: 'pods', namespaced: true }, 'field label not supported: spec.containers'],
    ['metadata.uid=x', { group: '', plural: 'pods', namespaced: true }, 'field label not supported: metadata.uid'],
    ['metadata.namespace=x', { group: '', plural: 'nodes', namespaced: false }, 'field label not supported: metadata.namespace'],
    ['spec.unschedulable=false', { group: '', plural: 'nodes', namespaced: false }, undefined],
    ['type=Opaque', { group: '', plural: 'secrets', namespaced: true }, undefined],
    ['involvedObject.name=x,source=c,reportingComponent=c', { group: '', plural: 'events', namespaced: true }, undefined],
    ['note=x', { group: 'events.k8s.io', plural: 'events', namespaced: true }, 'field label not supported: note'],
    ['regarding.name=x,reportingController=c', { group: 'events.k8s.io', plural: 'events', namespaced: true }, undefined],
    ['data.x=y', { group: '', plural: 'configmaps', namespaced: true }, '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['metadata.namespace=x,metadata.name=y', { group: 'coordination.k8s.io', plural: 'leases', namespaced: true }, undefined],
    ['spec.autoAssign=true', { group: 'metallb.io', plural: 'ipaddresspools', namespaced: true, crd: 'ipaddresspools.metallb.io' }, 'field label not supported: spec.autoAssign'],
    ['metadata.name=p', { group: 'metallb.io', plural: 'ipaddresspools', namespaced: true, crd: 'ipaddresspools.metallb.io' }, undefined],
  ])('%j on %j: %s', (sel, target, refusal) => {
    if (refusal === undefined) expect(() => parseSelection(undefined, sel, target)).not.toThrow();
    else expect(() => parseSelection(undefined, sel, target)).toThrow(refusal);
    // Without a target nothing is refused (callers that do not know the kind).
    expect(() => parseSelection(undefined, sel)).not.toThrow();
  });
});
