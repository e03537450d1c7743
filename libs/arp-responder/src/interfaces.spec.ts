/** Interface selection per MetalLB §6.2 / §6.4: the advertisements' interfaces and the exclude list. */
import { describe, expect, it } from 'vitest';
import { advertisedInterfaces, compileInterfaceExcludes, isExcluded, nodeInterfaces, selectInterfaces } from './index.js';

const links = ['lo', 'eth0', 'eth1', 'veth12ab', 'docker0', 'eth0.100'].map((name) => ({ name }));
const re = (...p: string[]) => p.map((x) => new RegExp(x));

describe('advertisedInterfaces (§6.2: union, or every interface when one advertisement has none)', () => {
  it.each([
    ['no advertisement', [], undefined],
    ['one without a list', [{ interfaces: [] }], undefined],
    ['one list', [{ interfaces: ['eth0'] }], ['eth0']],
    ['union in order, without repeats', [{ interfaces: ['eth1', 'eth0'] }, { interfaces: ['eth0', 'eth2'] }], ['eth1', 'eth0', 'eth2']],
    ['a list and one without', [{ interfaces: ['eth0'] }, { interfaces: [] }], undefined],
  ] as const)('%s', (_n, ads, want) => {
    expect(advertisedInterfaces(ads)).toEqual(want);
  });
});

describe('selectInterfaces', () => {
  it.each([
    ['no restriction', undefined, [], { kind: 'all', interfaces: [] }],
    ['empty restriction = all', [], [], { kind: 'all', interfaces: [] }],
    ['restricted, present', ['eth0'], [], { kind: 'restricted', interfaces: ['eth0'], present: ['eth0'], missing: [] }],
    ['restricted, some missing: registered as written', ['eth9', 'eth1'], [], { kind: 'restricted', interfaces: ['eth9', 'eth1'], present: ['eth1'], missing: ['eth9'] }],
    ['restricted, none present → announceFailed', ['eth9'], [], { kind: 'none-present', interfaces: ['eth9'], missing: ['eth9'] }],
    ['an excluded interface does not count as present', ['veth12ab'], ['^veth.*'], { kind: 'none-present', missing: ['veth12ab'] }],
    ['exclusion is unanchored like Go MatchString', ['eth0.100'], ['\\.100'], { kind: 'none-present' }],
    ['anchored pattern spares other names', ['eth0.100'], ['^eth0$'], { kind: 'restricted', present: ['eth0.100'] }],
    ['a down interface still exists (node list, §6.4)', ['docker0'], [], { kind: 'restricted', present: ['docker0'] }],
    ['duplicates in the restriction collapse', ['eth0', 'eth0'], [], { kind: 'restricted', interfaces: ['eth0'] }],
  ] as const)('%s', (_n, interfaces, exclude, want) => {
    expect(selectInterfaces(links, { interfaces, exclude: re(...exclude) })).toMatchObject(want);
  });

  it('reports the node interface list with the excluded names left out', () => {
    const sel = selectInterfaces(links, { exclude: re('^veth', 'docker.*', '^lo$') });
    expect(sel.nodeInterfaces).toEqual(['eth0', 'eth1', 'eth0.100']);
    expect(nodeInterfaces(links)).toHaveLength(6);
  });

  it('global and sticky patterns carry no state between names', () => {
    const g = [/eth/g];
    expect([isExcluded('eth0', g), isExcluded('eth1', g), isExcluded('eth2', g)]).toEqual([true, true, true]);
  });
});

describe('compileInterfaceExcludes', () => {
  it('compiles MetalLB’s default excludel2 patterns', () => {
    const r = compileInterfaceExcludes(['docker.*', 'cbr.*', 'dummy.*', 'virbr.*', 'lxcbr.*', 'veth.*', 'lo', '^cali.*', '^tunl.*', '^flannel.*', '^kube-ipvs.*', '^cni.*', '^nodelocaldns.*']);
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') expect(nodeInterfaces(links, r.exclude)).toEqual(['eth0', 'eth1', 'eth0.100']);
  });
  it('names an invalid pattern and says what to do', () => {
    const r = compileInterfaceExcludes(['eth.*', 'bad(']);
    expect(r).toMatchObject({ kind: 'invalid', pattern: 'bad(' });
    expect(r.kind === 'invalid' && r.message).toMatch(/"bad\(" is not a valid regular expression.*fix or remove it/);
  });
});
