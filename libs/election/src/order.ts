import { hash } from 'node:crypto';
import type { IPAddress } from '@metallb-ts/netaddr';
import { ElectionInputError } from './errors.js';
import { goIPString, toIPAddress } from './ip-key.js';

/** Per-node preference scores: a map or a plain object `{ node: score }`. Missing nodes score 0. */
export type Scores = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** One candidate in MetalLB's announcer order, with what put it there. */
export interface RankedCandidate {
  /** The node name. */
  readonly node: string;
  /** Its preference score (sum of matching preferred-node weights; 0 without preferences). */
  readonly score: number;
  /** Hex SHA-256 of `<node>#<firstIP>`; lower sorts first among equal scores. */
  readonly digest: string;
}

/** Reads a score from either representation; absent means 0. */
export function scoreOf(scores: Scores | undefined, node: string): number {
  if (!scores) return 0;
  const v = scores instanceof Map ? scores.get(node) : Object.hasOwn(scores, node) ? (scores as Record<string, number>)[node] : undefined;
  return v ?? 0;
}

function checkScores(scores: Scores | undefined): void {
  if (!scores) return;
  const entries = scores instanceof Map ? [...scores.entries()] : Object.entries(scores);
  for (const [node, v] of entries) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ElectionInputError(`scores.${node}`, `must be a finite number, got ${String(v)}`);
    }
  }
}

/** SHA-256 of the UTF-8 election key, as lower-case hex (hex order = byte order). */
function digestOf(node: string, ipText: string): string {
  // One-shot hashing (strings are encoded as UTF-8): no Hash object per candidate.
  return hash('sha256', `${node}#${ipText}`, 'hex');
}

/**
 * MetalLB's Layer 2 announcer order for one service IP (`metallb-behavior.md` §6.1 steps 9–10):
 * score descending, then the byte-wise ascending SHA-256 digest of `<node>#<firstIP>`. The first
 * element is the announcer. Duplicate node names are collapsed.
 *
 * `ip` is the **first** status IP of the service (dual-stack services elect with the first IP and
 * announce both IPs from the same node). It is printed like Go before hashing, so
 * `2001:DB8::0001` and `2001:db8::1` rank identically, and `::ffff:198.51.100.1` ranks like
 * `198.51.100.1`.
 *
 * @throws {ElectionInputError} for an unparsable IP, an empty or non-string node name, or a
 *   non-finite score.
 */
export function rankAnnouncers(ip: string | IPAddress, candidates: Iterable<string>, scores?: Scores): RankedCandidate[] {
  const ipText = goIPString(toIPAddress(ip));
  checkScores(scores);
  const seen = new Set<string>();
  const ranked: RankedCandidate[] = [];
  let i = 0;
  for (const node of candidates) {
    if (typeof node !== 'string' || node.length === 0) {
      throw new ElectionInputError(`nodes[${i}]`, 'a node name must be a non-empty string');
    }
    i++;
    if (seen.has(node)) continue;
    seen.add(node);
    ranked.push({ node, score: scoreOf(scores, node), digest: digestOf(node, ipText) });
  }
  ranked.sort(compareRanked);
  return ranked;
}

/** The MetalLB comparison: higher score first, then lower digest first. */
export function compareRanked(a: RankedCandidate, b: RankedCandidate): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

/**
 * The full announcer order for `ip` as node names, first = the announcer. This is the function
 * behind `metallb-ts election order --ip IP --nodes A,B,C [--scores A=100,B=50]`.
 *
 * ```ts
 * announcerOrder('198.51.100.10', ['node-a', 'node-b', 'node-c']);
 * announcerOrder('198.51.100.10', ['node-a', 'node-b'], { 'node-b': 50 }); // node-b first
 * ```
 * @throws {ElectionInputError} see {@link rankAnnouncers}.
 */
export function announcerOrder(ip: string | IPAddress, nodes: Iterable<string>, scores?: Scores): string[] {
  return rankAnnouncers(ip, nodes, scores).map((c) => c.node);
}

/**
 * The node that announces `ip` among `candidates` (MetalLB's rule), or `undefined` when there is
 * no candidate. Equivalent to `announcerOrder(ip, candidates, scores)[0]`.
 * @throws {ElectionInputError} see {@link rankAnnouncers}.
 */
export function electAnnouncer(ip: string | IPAddress, candidates: Iterable<string>, scores?: Scores): string | undefined {
  return rankAnnouncers(ip, candidates, scores)[0]?.node;
}
