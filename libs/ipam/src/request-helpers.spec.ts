import { describe, expect, it } from 'vitest';
import { backendKeyFrom, poolFrom, requestedIpsFrom, sharingKeyFrom } from './request-helpers.js';

describe('request helpers (§1.12, §3.1)', () => {
  it.each([
    ['absent', undefined, ''],
    ['metallb.io key', { 'metallb.io/allow-shared-ip': 'k' }, 'k'],
    ['legacy key', { 'metallb.universe.tf/allow-shared-ip': 'old' }, 'old'],
    ['metallb.io wins, even empty', { 'metallb.io/allow-shared-ip': '', 'metallb.universe.tf/allow-shared-ip': 'old' }, ''],
  ])('sharingKeyFrom: %s', (_n, ann, want) => {
    expect(sharingKeyFrom(ann)).toBe(want);
  });

  it.each([
    ['Cluster', { app: 'a' }, 'Cluster', ''],
    ['Local sorts keys', { z: '1', app: 'a' }, 'Local', 'app=a,z=1'],
    ['Local with an empty selector (quirk 14)', {}, 'Local', ''],
    ['no policy', { app: 'a' }, undefined, ''],
  ])('backendKeyFrom: %s', (_n, sel, etp, want) => {
    expect(backendKeyFrom(sel, etp)).toBe(want);
  });

  it('poolFrom reads metallb.io then legacy; empty is absent', () => {
    expect(poolFrom({ 'metallb.io/address-pool': 'p' })).toBe('p');
    expect(poolFrom({ 'metallb.universe.tf/address-pool': 'q' })).toBe('q');
    expect(poolFrom({ 'metallb.io/address-pool': '' })).toBeUndefined();
    expect(poolFrom(undefined)).toBeUndefined();
  });

  it.each([
    ['annotation list, spaces trimmed', { 'metallb.io/loadBalancerIPs': ' 198.51.100.1 , 2001:db8::1' }, undefined, { ok: true, ips: ['198.51.100.1', '2001:db8::1'] }],
    ['legacy annotation', { 'metallb.universe.tf/loadBalancerIPs': '198.51.100.1' }, undefined, { ok: true, ips: ['198.51.100.1'] }],
    ['spec.loadBalancerIP', {}, '198.51.100.2', { ok: true, ips: ['198.51.100.2'] }],
    ['nothing', undefined, '', { ok: true, ips: [] }],
    ['both set', { 'metallb.io/loadBalancerIPs': '198.51.100.1' }, '198.51.100.2', { ok: false, reason: 'conflicting-requests' }],
  ])('requestedIpsFrom: %s', (_n, ann, field, want) => {
    expect(requestedIpsFrom(ann, field)).toMatchObject(want);
  });
});
