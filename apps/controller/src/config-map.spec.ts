import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { assembleConfig, type RawObject } from './config-map.js';

const examples = join(import.meta.dirname, '..', '..', '..', 'deploy', 'examples');
const load = (f: string): RawObject[] => parseAllDocuments(readFileSync(join(examples, f), 'utf8')).map((d) => d.toJS() as RawObject);

describe('assembleConfig', () => {
  it('the seed guide pool and L2Advertisement become one allocator pool', () => {
    const r = assembleConfig([...load('ipaddresspool.yaml'), ...load('l2advertisement.yaml')], 'metallb-system');
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.pools).toEqual([{ name: 'first-pool', addresses: ['10.0.0.101-10.0.0.150'], autoAssign: true, avoidBuggyIPs: false }]);
  });

  it('serviceAllocation is carried over with namespace selectors resolved against Namespaces', () => {
    const objs: RawObject[] = [
      {
        apiVersion: 'metallb.io/v1beta1',
        kind: 'IPAddressPool',
        metadata: { name: 'team', namespace: 'metallb-system' },
        spec: {
          addresses: ['198.51.100.0/28'],
          serviceAllocation: { priority: 10, namespaces: ['a'], namespaceSelectors: [{ matchLabels: { team: 'x' } }], serviceSelectors: [{ matchLabels: { app: 'web' } }] },
        },
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b', labels: { team: 'x' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c', labels: { team: 'y' } } },
    ];
    const r = assembleConfig(objs, 'metallb-system');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.pools[0]!.serviceAllocation).toEqual({
        priority: 10,
        namespaces: ['a', 'b'],
        hasNamespaceSelectors: true,
        serviceSelectors: [{ matchLabels: { app: 'web' } }],
      });
    }
  });

  it('an invalid configuration is reported, not thrown', () => {
    const objs: RawObject[] = [
      { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'a', namespace: 'metallb-system' }, spec: { addresses: ['10.0.0.1/33'] } },
      { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'b', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.0/24'] } },
      { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'c', namespace: 'metallb-system' }, spec: { addresses: ['198.51.100.128/25'] } },
    ];
    const r = assembleConfig(objs, 'metallb-system');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.summary()).toMatch(/10\.0\.0\.1\/33/);
      expect(r.errors.summary()).toMatch(/overlap/i);
    }
  });
});
