/** `metallb-ts election order`. */
import { ElectionInputError, rankAnnouncers } from '@metallb-ts/election';
import { UsageError, type ElectionOrderArgs } from './args.js';
import type { Io } from './io.js';

/** Prints the announcer order, one node per line (or one JSON object per node with `explain`). */
export function runElectionOrder(a: ElectionOrderArgs, io: Io): number {
  let ranked;
  try {
    ranked = rankAnnouncers(a.ip, a.nodes, a.scores);
  } catch (e) {
    if (e instanceof ElectionInputError) throw new UsageError(e.message);
    throw e;
  }
  for (const c of ranked) io.out(a.explain ? JSON.stringify({ node: c.node, score: c.score, digest: c.digest }) + '\n' : `${c.node}\n`);
  return 0;
}
