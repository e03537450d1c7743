/**
 * vitest glue (a separate entry point, `@metallb-ts/test-lab/vitest`, so that benchmarks can
 * bundle the lab without vitest).
 */
import { describe } from 'vitest';
import { labSkipReason } from './exec.js';

/**
 * `describe` when the lab is usable, otherwise a skipped suite whose title says what is missing
 * (not root, or a tool not installed), so a skip is never silent.
 */
export function labDescribe(_title: string, tools: string[]): typeof describe {
  const why = labSkipReason(tools);
  if (why === undefined) return describe;
  return ((name: string, fn: () => void) => describe.skip(`${name} [skipped: ${why}]`, fn)) as unknown as typeof describe;
}
