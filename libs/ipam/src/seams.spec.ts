/**
 * Unit tests of the allocator's internal seams: sorted offset arrays, request normalisation and
 * the owner index, each checked on its own (the allocator tests cover them end to end).
 */
import { IPAddress } from '@metallb-ts/netaddr';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildOwnerIndex, ownerIn, ownerOfIps } from './owner-index.js';
import { compilePools } from './pool.js';
import { normalizeRequest } from './request.js';
import { cmpBig, insertSorted, removeSorted } from './sorted.js';

describe('sorted bigint arrays', () => {
  it('insertSorted then removeSorted agree with a sorted set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.bigInt({ min: 0n, max: 1000n })), fc.array(fc.bigInt({ min: 0n, max: 1000n })), (ins, rem) => {
        const arr: bigint[] = [];
        for (const x of ins) insertSorted(arr, x);
        expect(arr).toEqual([...ins].sort(cmpBig));
        const model = new Set(ins);
        for (const x of rem) {
          removeSorted(arr, x);
          model.delete(x);
        }
        expect(arr).toEqual([...model].sort(cmpBig));
      }),
    );
  });
});

describe('normalizeRequest', () => {
  it('applies every default', () => {
    expect(normalizeRequest({ key: 'ns/a', namespace: 'ns', families: ['IPv4'] })).toEqual({
      key: 'ns/a',
      namespace: 'ns',
      labels: {},
      families: ['IPv4'],
      policy: 'SingleStack',
      ports: [],
      sharingKey: '',
      backendKey: '',
      requested: undefined,
      pool: undefined,
    });
  });

  it.each([
    ['an empty key', { key: '', namespace: 'ns', families: ['IPv4'] }, 'invalid-request'],
    ['RequireDualStack with one family', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], policy: 'RequireDualStack' }, 'invalid-request'],
    ['a bad IP', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], requestedIps: ['010.0.0.1'] }, 'invalid-ip'],
    ['three IPs', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], requestedIps: ['198.51.100.1', '2001:db8::1', '198.51.100.2'] }, 'too-many-ips'],
    ['two IPv4', { key: 'ns/a', namespace: 'ns', families: ['IPv4'], requestedIps: ['198.51.100.1', '198.51.100.2'] }, 'duplicate-family'],
  ] as const)('refuses %s', (_name, req, reason) => {
    const r = normalizeRequest(req as never);
    expect('key' in r ? undefined : r.reason).toBe(reason);
  });

  it('treats an IPv4-mapped IPv6 request as IPv4 (Go To4)', () => {
    const r = normalizeRequest({ key: 'ns/a', namespace: 'ns', families: ['IPv4'], requestedIps: ['::ffff:198.51.100.7'] });
    expect('key' in r && r.requested?.map(String)).toEqual(['198.51.100.7']);
  });
});

describe('owner index', () => {
  const compiled = compilePools([
    { name: 'a', addresses: ['198.51.100.0/25', '2001:db8::/120'], avoidBuggyIPs: true },
    { name: 'b', addresses: ['198.51.100.128/25', '2001:db8::100/120'] },
  ]);
  if (!compiled.ok) throw new Error('pools');
  const idx = buildOwnerIndex(compiled.pools);
  const v = (s: string) => IPAddress.parse(s).value;

  it.each([
    ['198.51.100.1', 'a'],
    ['198.51.100.0', undefined], // avoidBuggyIPs: not part of the pool
    ['198.51.100.128', 'b'],
    ['198.51.100.255', 'b'],
    ['203.0.113.1', undefined],
  ])('%s belongs to %s', (ip, pool) => {
    expect(ownerIn(idx, v(ip), undefined)?.name).toBe(pool);
  });

  it('a dual pair has an owner only when one pool owns both', () => {
    expect(ownerOfIps(idx, [IPAddress.parse('198.51.100.1'), IPAddress.parse('2001:db8::1')])?.name).toBe('a');
    expect(ownerOfIps(idx, [IPAddress.parse('198.51.100.1'), IPAddress.parse('2001:db8::101')])).toBeUndefined();
  });
});
