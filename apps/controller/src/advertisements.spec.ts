import { buildConfig, isConfigErrors, type Config } from '@metallb-ts/config';
import { describe, expect, it } from 'vitest';
import { describeMissingPools, missingAdvertisementPools } from './advertisements.js';
import type { RawObject } from './config-map.js';

const NS = 'metallb-system';
const pool = (name: string): RawObject => ({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: NS }, spec: { addresses: ['198.51.100.0/28'] } });
const l2 = (name: string, pools?: string[]): RawObject => ({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name, namespace: NS }, spec: pools ? { ipAddressPools: pools } : {} });
const bgp = (name: string, pools: string[]): RawObject => ({ apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: { name, namespace: NS }, spec: { ipAddressPools: pools } });

function build(objects: RawObject[]): Config {
  const c = buildConfig(objects, { namespace: NS });
  if (isConfigErrors(c)) throw new Error(c.message);
  return c;
}

describe('advertisements naming pools that do not exist (issue 15 §6)', () => {
  it('finds each missing name per advertisement; the configuration stays valid, the names are ignored as MetalLB does', () => {
    const objects = [pool('a'), l2('ok', ['a']), l2('typo', ['a', 'b', 'aa']), l2('all'), bgp('b1', ['zz'])];
    const config = build(objects);
    expect(config.l2Advertisements.get('typo')?.pools).toEqual(['a']);
    const missing = missingAdvertisementPools(objects, config);
    expect(missing).toEqual([
      { kind: 'BGPAdvertisement', name: 'b1', pools: ['zz'] },
      { kind: 'L2Advertisement', name: 'typo', pools: ['aa', 'b'] },
    ]);
    expect(describeMissingPools(missing)).toBe(
      'BGPAdvertisement b1 names a pool that does not exist ("zz"); ignored for it, as MetalLB does; L2Advertisement typo names pools that do not exist ("aa", "b"); ignored for them, as MetalLB does',
    );
  });

  it('nothing to say when every name exists, or for objects the configuration ignored', () => {
    const objects = [pool('a'), l2('ok', ['a']), { ...l2('elsewhere', ['nope']), metadata: { name: 'elsewhere', namespace: 'other' } }];
    expect(missingAdvertisementPools(objects, build(objects))).toEqual([]);
  });
});
