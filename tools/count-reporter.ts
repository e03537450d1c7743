/**
 * A vitest reporter that counts passed, failed and skipped tests, prints
 * `N passed, N failed, N skipped` and records the counts in `.test-results/<tier>.json`
 * of the project being tested, for `tools/run-tests.mjs` to sum.
 *
 * A test file that fails to load, or an unhandled error, counts as one failure: a suite
 * that cannot run must never look green.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export interface TierCounts {
  project: string;
  tier: string;
  passed: number;
  failed: number;
  skipped: number;
  failures: string[];
}

/** Lines of each error kept in the summary, and characters per line. */
const EXCERPT_LINES = 8;
const EXCERPT_WIDTH = 240;

/**
 * The start of a failed test's errors, indented under its name: the summary at the end of
 * `npm test` is often all a CI log keeps, and a name alone does not say what failed.
 * ANSI colours are removed; every line is cut to {@link EXCERPT_WIDTH} characters.
 */
export function failureExcerpt(errors: ReadonlyArray<{ message?: unknown; name?: unknown }> | undefined): string {
  if (!errors?.length) return '';
  const lines: string[] = [];
  for (const e of errors.slice(0, 2)) {
    const text = `${typeof e.name === 'string' && e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${typeof e.message === 'string' ? e.message : String(e.message)}`;
    // eslint-disable-next-line no-control-regex
    const clean = text.replace(/\u001b\[[0-9;]*m/g, '');
    const all = clean.split('\n').filter((l) => l.trim() !== '');
    for (const l of all.slice(0, EXCERPT_LINES)) lines.push(l.length > EXCERPT_WIDTH ? `${l.slice(0, EXCERPT_WIDTH)}…` : l);
    if (all.length > EXCERPT_LINES) lines.push(`… (${all.length - EXCERPT_LINES} more lines in the log above)`);
  }
  if (errors.length > 2) lines.push(`… and ${errors.length - 2} more errors`);
  return lines.map((l) => `\n      ${l}`).join('');
}

export default class CountReporter implements Reporter {
  constructor(private readonly tier: string) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    const counts: TierCounts = {
      project: process.cwd(),
      tier: this.tier,
      passed: 0,
      failed: 0,
      skipped: 0,
      failures: [],
    };
    for (const m of modules) {
      let tests = 0;
      for (const t of m.children.allTests()) {
        tests++;
        const s = t.result().state;
        if (s === 'passed') counts.passed++;
        else if (s === 'failed') {
          counts.failed++;
          counts.failures.push(`${m.moduleId}: ${t.fullName}${failureExcerpt(t.result().errors)}`);
        } else counts.skipped++;
      }
      if (tests === 0 && m.state() === 'failed') {
        counts.failed++;
        counts.failures.push(`${m.moduleId}: file failed to load`);
      }
    }
    for (const e of errors) {
      counts.failed++;
      counts.failures.push(`unhandled error: ${String((e as Error)?.message ?? e)}`);
    }
    const dir = join(process.cwd(), '.test-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${this.tier}.json`), JSON.stringify(counts, null, 2));
    process.stdout.write(`\n[${this.tier}] passed=${counts.passed} failed=${counts.failed} skipped=${counts.skipped}\n`);
  }
}
