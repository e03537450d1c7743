import type { KubeObject } from '@metallb-ts/k8s-watch';
import { describe, expect, it } from 'vitest';
import { includedInterfaces, parseExcludeList, sliceEndpoints, sliceServiceKey, speakerNode, speakerService } from './transforms.js';

const obj = (o: Partial<KubeObject> & Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x', namespace: 'default' }, ...o }) as KubeObject;

describe('EndpointSlices', () => {
  it('belong to the Service named by kubernetes.io/service-name', () => {
    expect(sliceServiceKey(obj({ metadata: { name: 's', namespace: 'ns', labels: { 'kubernetes.io/service-name': 'web' } } }))).toBe('ns/web');
    expect(sliceServiceKey(obj({ metadata: { name: 's', namespace: 'ns' } }))).toBeUndefined();
  });

  it.each([
    [{ ready: true }, true],
    [{}, true],
    [{ ready: null }, true],
    [{ ready: false }, false],
    [{ ready: false, serving: true }, true],
    [{ ready: false, serving: false, terminating: true }, false],
  ])('conditions %j → serving %s (MetalLB\'s rule)', (conditions, serving) => {
    const s = obj({ endpoints: [{ addresses: ['10.0.0.1'], nodeName: 'n1', conditions }] });
    expect(sliceEndpoints(s)).toEqual([{ nodeName: 'n1', serving, addresses: 1 }]);
  });

  it('an endpoint without addresses or node name', () => {
    expect(sliceEndpoints(obj({ endpoints: [{ conditions: { ready: true } }] }))).toEqual([{ serving: true, addresses: 0 }]);
    expect(sliceEndpoints(obj({}))).toEqual([]);
  });
});

describe('Services and Nodes', () => {
  it('a Service: status IPs in order, policy, labels, allow-shared-ip under either prefix', () => {
    const s = obj({
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'metallb.universe.tf/allow-shared-ip': '' } },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local' },
      status: { loadBalancer: { ingress: [{ ip: '198.51.100.10' }, { hostname: 'x' }, { ip: '2001:db8::1' }] } },
    });
    expect(speakerService(s as never, [])).toEqual({
      key: 'default/web',
      namespace: 'default',
      name: 'web',
      type: 'LoadBalancer',
      labels: { app: 'web' },
      externalTrafficPolicy: 'Local',
      allowSharedIp: true,
      ips: ['198.51.100.10', '2001:db8::1'],
      endpoints: [],
    });
  });

  it('a Node: labels, NetworkUnavailable=True only, InternalIP before ExternalIP', () => {
    const n = obj({
      kind: 'Node',
      metadata: { name: 'n1', labels: { a: 'b' } },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }, { type: 'NetworkUnavailable', status: 'True' }],
        addresses: [{ type: 'ExternalIP', address: '203.0.113.1' }, { type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '198.51.100.11' }],
      },
    });
    expect(speakerNode(n)).toEqual({ name: 'n1', labels: { a: 'b' }, networkUnavailable: true, addresses: ['198.51.100.11', '203.0.113.1'] });
    expect(speakerNode(obj({ metadata: { name: 'n2' }, status: { conditions: [{ type: 'NetworkUnavailable', status: 'False' }] } })).networkUnavailable).toBe(false);
  });
});

describe('announcedInterfacesToExclude (excludel2.yaml)', () => {
  it('MetalLB\'s shipped list', () => {
    const r = parseExcludeList('announcedInterfacesToExclude:\n  - ^docker.*\n  - ^veth.*\n  - ^lo$\n');
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(includedInterfaces(['eth0', 'docker0', 'lo', 'veth12', 'eth1', 'loop'], r.patterns)).toEqual(['eth0', 'eth1', 'loop']);
  });

  it.each([
    ['', 'ok'],
    ['# nothing\n', 'ok'],
    ['announcedInterfacesToExclude: []', 'ok'],
    ['announcedInterfacesToExclude: ["("]', 'invalid'],
    ['announcedInterfacesToExclude: eth0', 'invalid'],
    ['- a', 'invalid'],
    ['a: [', 'invalid'],
  ])('%j → %s', (text, kind) => {
    expect(parseExcludeList(text).kind).toBe(kind);
  });
});
