import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  communityEquals,
  communityFromValue,
  communityInRange,
  communityValue,
  compareCommunities,
  formatCommunity,
  isCommunityError,
  largeCommunity,
  parseCommunity,
  sortCommunities,
  standardCommunity,
  WellKnownCommunity,
  type BgpCommunity,
} from '../index.js';

describe('the shared community type', () => {
  it.each([
    ['64512:100', standardCommunity(64512, 100)],
    ['0:0', standardCommunity(0, 0)],
    ['65535:65535', standardCommunity(65535, 65535)],
    ['00001:02', standardCommunity(1, 2)],
    ['large:4294967295:0:1', largeCommunity(4294967295, 0, 1)],
  ])('parses %s', (text, want) => {
    expect(parseCommunity(text)).toEqual(want);
  });

  it.each([
    ['65536:1', 'value'],
    ['1:-2', 'value'],
    ['a:b', 'value'],
    ['large:4294967296:0:0', 'value'],
    ['big:1:2:3', 'value'],
    ['no-export', 'format'],
    ['1:2:3', 'format'],
    ['', 'format'],
  ] as const)('refuses %s (%s error, a message)', (text, kind) => {
    const c = parseCommunity(text);
    expect(isCommunityError(c) && c.kind).toBe(kind);
    expect(isCommunityError(c) && c.message).toContain(text);
  });

  it('MetalLB order: standard by value, then large numerically (not as text); sortCommunities de-duplicates', () => {
    const texts = ['large:10:1:2', '65535:1', 'large:10:0:9', '10:1', 'large:9:1:1', '9:2', 'large:10:1:1', '9:2'];
    const sorted = sortCommunities(texts.map((t) => parseCommunity(t) as BgpCommunity));
    expect(sorted.map(formatCommunity)).toEqual(['9:2', '10:1', '65535:1', 'large:9:1:1', 'large:10:0:9', 'large:10:1:1', 'large:10:1:2']);
    expect(communityEquals(standardCommunity(1, 2), communityFromValue(65538))).toBe(true);
    expect(compareCommunities(standardCommunity(65535, 65535), largeCommunity(0, 0, 0))).toBeLessThan(0);
  });

  it('wire values and well-known names', () => {
    expect(communityValue(standardCommunity(65535, 65281))).toBe(0xffffff01);
    expect(WellKnownCommunity['no-export']).toEqual(standardCommunity(65535, 65281));
    expect(formatCommunity(WellKnownCommunity.blackhole)).toBe('65535:666');
    expect(communityInRange(standardCommunity(65536, 0))).toBe(false);
    expect(communityInRange(largeCommunity(0, 2 ** 32, 0))).toBe(false);
    expect(communityInRange(largeCommunity(0, 2 ** 32 - 1, 0))).toBe(true);
  });

  it('properties: format ∘ parse is the identity on canonical text; value ↔ community round-trips; compare is an order', () => {
    const std = fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })).map(([a, b]) => standardCommunity(a, b));
    const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
    const large = fc.tuple(u32, u32, u32).map(([a, b, c]) => largeCommunity(a, b, c));
    const any = fc.oneof(std, large);
    fc.assert(fc.property(any, (c) => void expect(parseCommunity(formatCommunity(c))).toEqual(c)));
    fc.assert(fc.property(std, (c) => void expect(communityFromValue(communityValue(c))).toEqual(c)));
    fc.assert(
      fc.property(any, any, (a, b) => {
        expect(Math.sign(compareCommunities(a, b)) + Math.sign(compareCommunities(b, a))).toBe(0);
        expect(compareCommunities(a, b) === 0).toBe(formatCommunity(a) === formatCommunity(b));
      }),
    );
    fc.assert(fc.property(fc.string(), (t) => void parseCommunity(t)));
  });

  it('is the community module of the package entry (what @metallb-ts/config re-exports)', async () => {
    const entry = await import('../index.js');
    expect(entry.parseCommunity).toBe(parseCommunity);
    expect(entry.sortCommunities).toBe(sortCommunities);
  });
});
