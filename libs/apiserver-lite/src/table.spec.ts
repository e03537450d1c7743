import { describe, expect, it } from 'vitest';
import { builtinTypes, type ResourceType } from './resources.js';
import { humanDuration, jsonPathValues, tableVersion, toTable } from './table.js';

describe('humanDuration (duration.HumanDuration)', () => {
  it.each([
    [-5000, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [150_000, '2m30s'],
    [600_000, '10m'],
    [3 * 3600_000, '3h'],
    [3 * 3600_000 + 5 * 60_000, '3h5m'],
    [47 * 3600_000, '47h'],
    [50 * 3600_000, '2d2h'],
    [10 * 86400_000, '10d'],
    [3 * 365 * 86400_000 + 5 * 86400_000, '3y5d'],
    [9 * 365 * 86400_000, '9y'],
  ])('%d ms → %s', (ms, want) => expect(humanDuration(ms)).toBe(want));
});

describe('jsonPathValues', () => {
  const o = { spec: { addresses: ['a', 'b'], peers: [{ name: 'x' }, { name: 'y' }], 'dotted.key': 1 }, status: { n: 0 } };
  it.each<[string, unknown[]]>([
    ['.spec.addresses', [['a', 'b']]],
    ['.spec.addresses[1]', ['b']],
    ['.spec.peers[*].name', ['x', 'y']],
    [".spec['dotted.key']", [1]],
    ['.status.n', [0]],
    ['.status.missing', []],
    ['{.spec.addresses[0]}', ['a']],
    ['garbage(', []],
  ])('%s', (p, want) => expect(jsonPathValues(o, p)).toEqual(want));
});

describe('tableVersion', () => {
  it.each<[string | undefined, string | undefined]>([
    ['application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', 'v1'],
    ['application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json', 'v1beta1'],
    ['application/json', undefined],
    [undefined, undefined],
    ['application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io', undefined],
  ])('%s → %s', (accept, want) => expect(tableVersion(accept)).toBe(want));
});

describe('toTable', () => {
  const svcType = builtinTypes().find((t) => t.plural === 'services')!;
  const now = Date.parse('2026-01-01T00:10:00Z');
  const svc = { metadata: { name: 'web', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30000, protocol: 'TCP' }] }, status: { loadBalancer: {} } };
  it('prints Services like kube-apiserver', () => {
    const t = toTable(svcType, [svc], { now, version: 'v1', include: 'Metadata' }) as any;
    expect(t.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect(t.rows[0].cells).toEqual(['web', 'LoadBalancer', '10.96.0.10', '<pending>', '80:30000/TCP', '10m', 'app=web']);
    expect(t.rows[0].object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: svc.metadata });
    const assigned = { ...svc, status: { loadBalancer: { ingress: [{ ip: '198.51.100.1' }, { ip: '2001:db8::1' }] } } };
    expect((toTable(svcType, [assigned], { now, version: 'v1', include: 'None' }) as any).rows[0]).toEqual({ cells: ['web', 'LoadBalancer', '10.96.0.10', '198.51.100.1,2001:db8::1', '80:30000/TCP', '10m', 'app=web'] });
  });
  it('prints Events like kubectl expects (no leading NAME column)', () => {
    const ev = builtinTypes().find((t) => t.plural === 'events' && t.group === '')!;
    const t = toTable(ev, [{ metadata: { name: 'web.1', namespace: 'default' }, type: 'Normal', reason: 'IPAllocated', message: 'Assigned IP ["198.51.100.1"]', involvedObject: { kind: 'Service', name: 'web' }, lastTimestamp: '2026-01-01T00:09:00Z' }], { now, version: 'v1', include: 'None' }) as any;
    expect(t.columnDefinitions.map((c: any) => c.name)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message', 'Name']);
    expect(t.rows[0].cells).toEqual(['60s', 'Normal', 'IPAllocated', 'service/web', 'Assigned IP ["198.51.100.1"]', 'web.1']);
  });
  it('prints CRD printer columns', () => {
    const pools: ResourceType = { ...svcType, group: 'metallb.io', plural: 'ipaddresspools', crd: 'ipaddresspools.metallb.io', printerColumns: [
      { name: 'Auto Assign', type: 'boolean', jsonPath: '.spec.autoAssign' },
      { name: 'Addresses', type: 'string', jsonPath: '.spec.addresses' },
      { name: 'Assigned IPv4', type: 'integer', jsonPath: '.status.assignedIPv4' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ] };
    const t = toTable(pools, [{ metadata: { name: 'p', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { autoAssign: true, addresses: ['198.51.100.0/24'] } }], { now, version: 'v1', include: 'Object' }) as any;
    expect(t.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Auto Assign', 'Addresses', 'Assigned IPv4', 'Age']);
    expect(t.rows[0].cells).toEqual(['p', true, '["198.51.100.0/24"]', null, '10m']);
    expect(t.rows[0].object.spec.autoAssign).toBe(true);
  });
});
