/**
 * The one BGP community type of metallb-ts, shared by the speaker (routes, UPDATE codec) and
 * `@metallb-ts/config` (which re-exports it): a standard (RFC 1997) community `A:B` with two
 * 16-bit parts, or a large (RFC 8092) community `large:A:B:C` with three 32-bit parts — the
 * two formats MetalLB accepts in `BGPAdvertisement.spec.communities` and `Community` CRs.
 * Pure; exported from `@metallb-ts/bgp-speaker` (re-exported by `@metallb-ts/config`).
 */

/** A standard community: `asn:value`, each 0..65535 (32-bit value `asn·65536 + value` on the wire). */
export interface StandardCommunity {
  readonly kind: 'standard';
  readonly asn: number;
  readonly value: number;
}

/** A large community: `global:local1:local2`, each 0..4294967295. */
export interface LargeCommunity {
  readonly kind: 'large';
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

/** A parsed community. */
export type BgpCommunity = StandardCommunity | LargeCommunity;

/**
 * Why a community string did not parse. `format`: not two or four `:`-separated parts (it may be
 * an alias name); `value`: the shape is right but a part is not a decimal number in range, or
 * four parts with a marker other than `large` (always a mistake, as in MetalLB).
 */
export interface CommunityParseError {
  readonly kind: 'format' | 'value';
  readonly message: string;
}

/** A standard community from its two 16-bit parts (not range-checked; see {@link parseCommunity}). */
export function standardCommunity(asn: number, value: number): StandardCommunity {
  return Object.freeze({ kind: 'standard', asn, value });
}

/** A large community from its three 32-bit parts (not range-checked). */
export function largeCommunity(global: number, local1: number, local2: number): LargeCommunity {
  return Object.freeze({ kind: 'large', global, local1, local2 });
}

/** The 32-bit wire value of a standard community (`asn·65536 + value`). */
export function communityValue(c: StandardCommunity): number {
  return c.asn * 65536 + c.value;
}

/** The standard community of a 32-bit wire value. */
export function communityFromValue(v: number): StandardCommunity {
  return standardCommunity(Math.floor(v / 65536), v % 65536);
}

/** Well-known standard communities by name (RFC 1997, RFC 7999, RFC 8326). */
export const WellKnownCommunity: Readonly<Record<'no-export' | 'no-advertise' | 'no-export-subconfed' | 'blackhole' | 'graceful-shutdown', StandardCommunity>> = Object.freeze({
  'no-export': communityFromValue(0xffffff01),
  'no-advertise': communityFromValue(0xffffff02),
  'no-export-subconfed': communityFromValue(0xffffff03),
  blackhole: communityFromValue(0xffff029a),
  'graceful-shutdown': communityFromValue(0xffff0000),
});

const DIGITS = /^[0-9]+$/;

function part(p: string, max: number): number | undefined {
  // Go's strconv.ParseUint(p, 10, n): decimal digits only, leading zeros allowed.
  if (!DIGITS.test(p)) return undefined;
  const n = Number(p.replace(/^0+(?=\d)/, ''));
  return Number.isSafeInteger(n) && n <= max ? n : undefined;
}

/**
 * Parses a community literal as MetalLB does (`community.New`): `A:B` (16-bit parts) or
 * `large:A:B:C` (32-bit parts). Well-known names are not accepted here (in MetalLB config a
 * name is a Community alias); look them up in {@link WellKnownCommunity}.
 */
export function parseCommunity(text: string): BgpCommunity | CommunityParseError {
  const parts = text.split(':');
  if (parts.length === 2) {
    const asn = part(parts[0]!, 0xffff);
    const value = part(parts[1]!, 0xffff);
    if (asn === undefined || value === undefined) {
      return { kind: 'value', message: `"${text}" is not a standard community: both parts must be decimal numbers from 0 to 65535` };
    }
    return standardCommunity(asn, value);
  }
  if (parts.length === 4) {
    if (parts[0] !== 'large') {
      // MetalLB's community.New: a value error, not a format error, so it is never taken for an alias name.
      return { kind: 'value', message: `invalid marker for large community, expected community to be of format large:<uint32>:<uint32>:<uint32> but got "${text}" instead` };
    }
    const [g, l1, l2] = [part(parts[1]!, 0xffffffff), part(parts[2]!, 0xffffffff), part(parts[3]!, 0xffffffff)];
    if (g === undefined || l1 === undefined || l2 === undefined) {
      return { kind: 'value', message: `"${text}" is not a large community: the three parts must be decimal numbers from 0 to 4294967295` };
    }
    return largeCommunity(g, l1, l2);
  }
  return { kind: 'format', message: `"${text}" is neither "A:B" nor "large:A:B:C"` };
}

/** Whether a parse result is an error. */
export function isCommunityError(x: BgpCommunity | CommunityParseError): x is CommunityParseError {
  return x.kind === 'format' || x.kind === 'value';
}

/** The canonical text of a community (`65535:65282`, `large:1:2:3`). */
export function formatCommunity(c: BgpCommunity): string {
  return c.kind === 'standard' ? `${c.asn}:${c.value}` : `large:${c.global}:${c.local1}:${c.local2}`;
}

/** Equality of two parsed communities. */
export function communityEquals(a: BgpCommunity, b: BgpCommunity): boolean {
  return compareCommunities(a, b) === 0;
}

/**
 * MetalLB's community ordering (`BGPCommunity.LessThan`): standard communities first, by their
 * 32-bit value (`asn`, then `value`); then large communities numerically by global
 * administrator, then local data 1, then local data 2 — never as text (`large:9:…` comes before
 * `large:10:…`). Returns a negative number, zero or a positive number, for `Array.sort`.
 */
export function compareCommunities(a: BgpCommunity, b: BgpCommunity): number {
  if (a.kind !== b.kind) return a.kind === 'standard' ? -1 : 1;
  if (a.kind === 'standard') {
    const s = b as StandardCommunity;
    return a.asn - s.asn || a.value - s.value;
  }
  const l = b as LargeCommunity;
  return a.global - l.global || a.local1 - l.local1 || a.local2 - l.local2;
}

/** The communities sorted by {@link compareCommunities}, each once (MetalLB keeps them as a set). */
export function sortCommunities(list: readonly BgpCommunity[]): BgpCommunity[] {
  const sorted = [...list].sort(compareCommunities);
  return sorted.filter((c, i) => i === 0 || compareCommunities(c, sorted[i - 1]!) !== 0);
}

/**
 * Whether a community's parts are integers in range (16-bit for standard, 32-bit for large);
 * for values built without {@link parseCommunity}.
 */
export function communityInRange(c: BgpCommunity): boolean {
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
  return c.kind === 'standard' ? ok(c.asn, 0xffff) && ok(c.value, 0xffff) : ok(c.global, 0xffffffff) && ok(c.local1, 0xffffffff) && ok(c.local2, 0xffffffff);
}
